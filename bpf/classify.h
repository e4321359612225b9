/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Classifier shared by the XDP and tc programs: policy lookup, flow state,
 * fragments, ICMP error attribution, counters and events.  One exit point
 * (ta_finish) records every verdict.
 */
#ifndef TA_CLASSIFY_H
#define TA_CLASSIFY_H

#include "parse.h"

/* ---- Configuration, set by the loader before load ---- */
const volatile __u8 cfg_xdp_dir_mode = TA_DM_IN;  /* enum ta_dir_mode */
const volatile __u8 cfg_tc_dir_mode = TA_DM_OUT;     /* tc egress */
const volatile __u8 cfg_tc_in_dir_mode = TA_DM_IN;   /* tc ingress (--hook tc) */
const volatile __u8 cfg_enforce = 0;              /* drop unexpected packets */
const volatile __u8 cfg_events = 1;               /* ring-buffer events at all (a reader runs) */
const volatile __u8 cfg_events_allowed = 0;       /* new-flow events for allowed flows too */
const volatile __u8 cfg_record_last = 0;          /* write last_res (replay, tests) */
const volatile __u16 cfg_capture = 0;             /* evidence: bytes of unexpected/dropped packets, 0 off */

/* ---- Run-time state, written by the loader through the mmapped .bss ---- */
__u32 active_gen = 0;       /* policy generation in force; slot = gen & 1 */
struct ta_last last_res = {};
__u32 replay_wire_len = 0;  /* replay: the frame's length on the wire, when set */
__u32 audited_ifindex[TA_MAX_IFACES] = {}; /* drop tracing: interfaces whose flows we keep */
__u32 audited_netns = 0;    /* drop tracing: inode of their network namespace */
__u64 replay_now_ns = 0;    /* replay: the frame's capture time, used as the flow clock */
/* drop tracing: reason value -> enum ta_drop_class, and the kernel text of
 * socket code (sorted, disjoint), both written by the loader from the running
 * kernel's BTF and kallsyms */
__u8 drop_class[TA_DROP_REASONS] = {};
struct ta_text_range ep_ranges[TA_EP_RANGES] = {};
__u32 ep_nranges = 0;

/* ---- Maps ---- */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * TA_MAX_PREFIXES);
	__type(key, struct ta_lpm_key);
	__type(value, struct ta_lpm_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ta_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TA_PORT_ENTRIES);
	__type(key, __u32);
	__type(value, __u64); /* rule mask */
	__uint(map_flags, BPF_F_MMAPABLE); /* the loader writes a whole slot at once */
} ta_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TA_MAX_LOCAL);
	__type(key, struct ta_local_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ta_local SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072); /* resized by the loader */
	__type(key, struct ta_flow_key);
	__type(value, struct ta_flow_val);
} ta_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct ta_frag_key);
	__type(value, struct ta_frag_val);
} ta_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_VSTAT_MAX);
	__type(key, __u32);
	__type(value, struct ta_count);
} ta_vstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ta_count);
} ta_rstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ta_counters SEC(".maps");

/* What userspace needs to read the other maps later (pinned mode): rule
 * labels and the configuration.  Never read by the programs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_meta);
} ta_meta SEC(".maps");

/* The flow of the packet this CPU just dropped in enforce mode: the kernel
 * frees it right after the program returns, and drop tracing must not count
 * it as a kernel drop too. */
struct ta_selfdrop {
	__u64 flow;    /* address of the flow's value */
	__u64 ts_ns;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_selfdrop);
} ta_selfdrop SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} ta_events SEC(".maps");

/* Per-packet state carried from classification to the exit point. */
struct ta_res {
	__u32 rule;
	__u8 verdict;
	__u8 dir;
	__u8 inv;
	__u8 icmp_err;
	struct ta_flow_val *flow;
};

static __always_inline void ta_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&ta_counters, &idx);

	if (v)
		*v += 1;
}

/* The flow clock: CLOCK_MONOTONIC, or the capture's time in replay (the
 * branch is compiled out of the live programs, cfg_record_last being 0). */
static __always_inline __u64 ta_flow_now(void)
{
	if (cfg_record_last && replay_now_ns)
		return replay_now_ns;
	return bpf_ktime_get_coarse_ns();
}

static __always_inline __u64 ta_lpm(__u32 slot, const __u8 *addr)
{
	struct ta_lpm_key k = { .prefixlen = TA_LPM_SLOT_BITS + 128, .slot = slot };
	struct ta_lpm_val *v;

	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(&ta_policy, &k);
	return v ? v->rules : 0;
}

static __always_inline int ta_is_local(const __u8 *addr)
{
	struct ta_local_key k = { .prefixlen = 128 };

	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(&ta_local, &k) != NULL;
}

static __always_inline __u64 ta_port_rules(__u32 slot, __u8 proto, __u8 dir, __u16 port)
{
	__u32 pc, idx;
	__u64 *v;

	if (proto == TA_IPPROTO_TCP)
		pc = TA_PC_TCP;
	else if (proto == TA_IPPROTO_UDP)
		pc = TA_PC_UDP;
	else if (proto == TA_IPPROTO_ICMP || proto == TA_IPPROTO_ICMPV6) {
		pc = TA_PC_ICMP;
		port = 0;
	} else
		return 0;
	idx = TA_PORT_IDX(slot & 1, pc, dir & 1, port);
	v = bpf_map_lookup_elem(&ta_ports, &idx);
	return v ? *v : 0;
}

/* Lowest set bit = first matching rule in policy order. */
static __always_inline __u32 ta_first_rule(__u64 m)
{
	__u32 r = 0;

	if (!(m & 0xffffffffull)) { r += 32; m >>= 32; }
	if (!(m & 0xffff)) { r += 16; m >>= 16; }
	if (!(m & 0xff)) { r += 8; m >>= 8; }
	if (!(m & 0xf)) { r += 4; m >>= 4; }
	if (!(m & 0x3)) { r += 2; m >>= 2; }
	if (!(m & 0x1)) { r += 1; }
	return r;
}

/*
 * Direction of a tuple and the rules covering its remote address.
 * Fixed modes cost one LPM lookup; local/auto modes (replay) up to three.
 */
static __always_inline __u8 ta_direction(__u8 mode, __u32 slot, const struct ta_tuple *t,
					 __u64 *cover)
{
	if (mode == TA_DM_IN) {
		*cover = ta_lpm(slot, t->src);
		return TA_DIR_IN;
	}
	if (mode == TA_DM_OUT) {
		*cover = ta_lpm(slot, t->dst);
		return TA_DIR_OUT;
	}
	if (mode == TA_DM_LOCAL) {
		if (ta_is_local(t->src)) {
			*cover = ta_lpm(slot, t->dst);
			return TA_DIR_OUT;
		}
		if (ta_is_local(t->dst)) {
			*cover = ta_lpm(slot, t->src);
			return TA_DIR_IN;
		}
	}
	/* auto: the side in the policy is the remote one; neither: dst is remote */
	*cover = ta_lpm(slot, t->dst);
	if (*cover)
		return TA_DIR_OUT;
	*cover = ta_lpm(slot, t->src);
	return *cover ? TA_DIR_IN : TA_DIR_OUT;
}

/* The verdict a mask of matching rules gives: the first rule, or unexpected. */
static __always_inline void ta_set_verdict(struct ta_res *r, __u64 m)
{
	if (m) {
		r->verdict = TA_V_ALLOWED;
		r->rule = ta_first_rule(m);
	} else {
		r->verdict = TA_V_UNEXPECTED;
		r->rule = TA_NO_RULE;
	}
}

static __always_inline void ta_flow_key_of(struct ta_flow_key *k, const struct ta_tuple *t,
					   __u8 dir, __u32 ifindex)
{
	if (dir == TA_DIR_OUT) {
		__builtin_memcpy(k->local, t->src, 16);
		__builtin_memcpy(k->remote, t->dst, 16);
		k->lport = t->sport;
		k->rport = t->dport;
	} else {
		__builtin_memcpy(k->local, t->dst, 16);
		__builtin_memcpy(k->remote, t->src, 16);
		k->lport = t->dport;
		k->rport = t->sport;
	}
	k->ifindex = ifindex;
	k->proto = t->proto;
	k->family = t->family;
}

/* The one ring-buffer event writer; a full ring counts lost_idx. */
static __always_inline void ta_emit(const struct ta_flow_key *k, __u8 type, __u8 verdict, __u8 dir, __u32 rule,
				    __u8 has_flow, __u32 reason, __u64 loc, __u32 lost_idx)
{
	struct ta_event *e;

	if (!cfg_events)
		return;
	e = bpf_ringbuf_reserve(&ta_events, sizeof(*e), 0);
	if (!e) {
		ta_count(lost_idx);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&e->key, k, sizeof(*k));
	e->rule = rule;
	e->generation = active_gen;
	e->type = type;
	e->verdict = verdict;
	e->dir = dir;
	e->has_flow = has_flow;
	e->drop_reason = reason;
	e->drop_loc = loc;
	bpf_ringbuf_submit(e, 0);
	ta_count(TA_C_EV_SENT);
}

static __always_inline void ta_event(const struct ta_flow_key *k, __u8 type, __u8 verdict,
				     __u8 dir, __u32 rule)
{
	ta_emit(k, type, verdict, dir, rule, 0, 0, 0,
		type == TA_EV_NEW_FLOW && verdict == TA_V_ALLOWED ? TA_C_EV_LOST_NEW : TA_C_EV_LOST_UNEXP);
}

/* Set flow flag bits with one atomic, and only when some are new. Returns the old flags. */
static __always_inline __u32 ta_flow_set(struct ta_flow_val *f, __u32 bits)
{
	__u32 old = f->flags;

	if ((old & bits) == bits)
		return old;
	return __sync_fetch_and_or(&f->flags, bits);
}

static __always_inline void ta_flow_account(struct ta_flow_val *f, __u8 dir, __u32 len,
					    __u64 now)
{
	__sync_fetch_and_add(&f->packets[dir & 1], 1);
	__sync_fetch_and_add(&f->bytes[dir & 1], len);
	f->last_ns = now;
}

/*
 * Classify one L4 tuple that is not a later fragment.
 * cover: rules whose addresses cover the remote end (non-zero).
 * Creates or updates the flow entry and returns the verdict in r.
 */
static __always_inline void ta_classify_flow(const struct ta_tuple *t, __u8 dir, __u64 cover,
					     __u32 gen, __u32 ifindex, __u32 len,
					     struct ta_res *r)
{
	struct ta_flow_key k = {};
	struct ta_flow_val *f;
	__u32 slot = gen & 1;
	__u16 rport = dir == TA_DIR_OUT ? t->dport : t->sport;
	__u64 m, now = ta_flow_now();
	__u32 old;
	int created = 0;

	ta_flow_key_of(&k, t, dir, ifindex);
	f = bpf_map_lookup_elem(&ta_flows, &k);
	if (!f) {
		struct ta_flow_val nf = {};

		nf.first_ns = now;
		nf.rule = TA_NO_RULE;
		nf.generation = gen;
		/* The side whose packet the auditor saw first opened the flow. */
		nf.opener = dir;
		if (bpf_map_update_elem(&ta_flows, &k, &nf, BPF_NOEXIST) == 0) {
			created = 1;
			ta_count(TA_C_FLOW_NEW);
		}
		f = bpf_map_lookup_elem(&ta_flows, &k);
		if (!f)
			ta_count(TA_C_FLOW_FAIL);
	}

	m = cover & ta_port_rules(slot, t->proto, dir, rport);
	/* Rules of the other direction match a packet of a flow that side opened
	 * (outbound-only rules let the answers in). */
	if (f && f->opener != dir)
		m |= cover & ta_port_rules(slot, t->proto, f->opener, rport);
	ta_set_verdict(r, m);
	r->flow = f;
	if (!f)
		return;

	ta_flow_account(f, dir, len, now);
	old = ta_flow_set(f, (r->verdict == TA_V_ALLOWED ? TA_FF_ALLOWED : TA_FF_UNEXPECTED) |
				     ((__u32)t->tcp_flags << TA_FF_TCP_SHIFT(dir & 1)));
	if (r->verdict == TA_V_ALLOWED && f->rule == TA_NO_RULE) {
		f->rule = r->rule;
		f->generation = gen; /* the labels to read f->rule with */
	}
	if (created) {
		if (r->verdict == TA_V_UNEXPECTED || cfg_events_allowed)
			ta_event(&k, TA_EV_NEW_FLOW, r->verdict, dir, r->rule);
	} else if (r->verdict == TA_V_UNEXPECTED && !(old & TA_FF_UNEXPECTED)) {
		ta_event(&k, TA_EV_UNEXPECTED, r->verdict, dir, r->rule);
	}
}

/*
 * An ICMP error quoting a packet whose remote end is in the policy: the
 * quoted packet travelled the other way, and the error belongs to its flow.
 */
static __always_inline void ta_classify_icmp_err(const struct ta_pkt *p, __u8 qdir, __u64 cover,
						 __u32 slot, __u32 ifindex, struct ta_res *r)
{
	struct ta_flow_key k = {};
	struct ta_flow_val *f;
	__u16 rport = qdir == TA_DIR_OUT ? p->q.dport : p->q.sport;

	ta_flow_key_of(&k, &p->q, qdir, ifindex);
	f = bpf_map_lookup_elem(&ta_flows, &k);
	r->icmp_err = 1;
	if (f) {
		__u32 fl = f->flags;

		ta_count(TA_C_ICMP_ERR_FLOW);
		__sync_fetch_and_add(&f->icmp_errors, 1);
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
		__builtin_memcpy(f->icmp_from, p->t.src, 16);
		f->last_ns = ta_flow_now();
		r->flow = f;
		if ((fl & TA_FF_UNEXPECTED) || !(fl & TA_FF_ALLOWED)) {
			r->verdict = TA_V_UNEXPECTED;
			r->rule = TA_NO_RULE;
		} else {
			r->verdict = TA_V_ALLOWED;
			r->rule = f->rule;
		}
		return;
	}
	/* No flow seen: judge the quoted packet itself, statelessly. */
	ta_set_verdict(r, cover & ta_port_rules(slot, p->q.proto, qdir, rport));
}

static __always_inline void ta_frag_key_of(struct ta_frag_key *fk, const struct ta_tuple *t)
{
	__builtin_memcpy(fk->src, t->src, 16);
	__builtin_memcpy(fk->dst, t->dst, 16);
	fk->id = t->frag_id;
	fk->proto = t->proto;
}

/* A later fragment: inherit the first fragment's verdict. */
static __always_inline void ta_classify_later_frag(const struct ta_tuple *t, __u8 dir,
						   __u32 ifindex, __u32 len, struct ta_res *r)
{
	struct ta_frag_key fk = {};
	struct ta_frag_val *fv;

	ta_frag_key_of(&fk, t);
	fv = bpf_map_lookup_elem(&ta_frags, &fk);
	if (fv) {
		ta_count(TA_C_FRAG_INHERIT);
		r->verdict = fv->verdict;
		r->rule = fv->rule;
		if (fv->has_flow) {
			struct ta_flow_key k = {};
			struct ta_tuple ft = *t;

			/* the datagram's ports, as its first fragment carried them */
			if (dir == TA_DIR_OUT) {
				ft.sport = fv->lport;
				ft.dport = fv->rport;
			} else {
				ft.sport = fv->rport;
				ft.dport = fv->lport;
			}
			ta_flow_key_of(&k, &ft, dir, ifindex);
			r->flow = bpf_map_lookup_elem(&ta_flows, &k);
			if (r->flow)
				ta_flow_account(r->flow, dir, len, ta_flow_now());
		}
		return;
	}
	/* First fragment never seen: nothing says what this is. */
	ta_count(TA_C_FRAG_ORPHAN);
	r->verdict = TA_V_UNEXPECTED;
	r->rule = TA_NO_RULE;
	{
		struct ta_frag_val nv = { .rule = TA_NO_RULE, .verdict = TA_V_UNEXPECTED, .dir = dir };
		struct ta_flow_key k = {};

		bpf_map_update_elem(&ta_frags, &fk, &nv, BPF_ANY);
		ta_flow_key_of(&k, t, dir, ifindex);
		k.lport = 0;
		k.rport = 0;
		ta_event(&k, TA_EV_ORPHAN_FRAG, TA_V_UNEXPECTED, dir, TA_NO_RULE);
	}
}

static __always_inline void ta_remember_first_frag(const struct ta_tuple *t, __u8 dir,
						   const struct ta_res *r)
{
	struct ta_frag_key fk = {};
	struct ta_frag_val fv = {};

	ta_frag_key_of(&fk, t);
	fv.rule = r->rule;
	fv.verdict = r->verdict;
	fv.dir = dir;
	fv.lport = dir == TA_DIR_OUT ? t->sport : t->dport;
	fv.rport = dir == TA_DIR_OUT ? t->dport : t->sport;
	fv.has_flow = r->flow != NULL;
	bpf_map_update_elem(&ta_frags, &fk, &fv, BPF_ANY);
	ta_count(TA_C_FRAG_FIRST);
}

static __always_inline void ta_record_last(const struct ta_pkt *p, const struct ta_res *r)
{
	const struct ta_tuple *t = r->icmp_err ? &p->q : &p->t;
	/* for an attributed ICMP error the flow is the quoted packet's, seen the other way */
	__u8 fdir = r->icmp_err ? r->dir ^ 1 : r->dir;

	last_res.seq++;
	last_res.rule = r->rule;
	last_res.verdict = r->verdict;
	last_res.dir = r->dir;
	last_res.invalid_reason = r->inv;
	last_res.proto = t->proto;
	last_res.family = t->family;
	last_res.is_frag = p->t.frag;
	last_res.icmp_err = r->icmp_err;
	if (fdir == TA_DIR_OUT) {
		last_res.lport = t->sport;
		last_res.rport = t->dport;
		__builtin_memcpy(last_res.local, t->src, 16);
		__builtin_memcpy(last_res.remote, t->dst, 16);
	} else {
		last_res.lport = t->dport;
		last_res.rport = t->sport;
		__builtin_memcpy(last_res.local, t->dst, 16);
		__builtin_memcpy(last_res.remote, t->src, 16);
	}
}

/* Evidence capture, at most TA_CAP_PER_FLOW_PER_SEC packets per flow a second. */
static __always_inline int ta_capture_allowed(struct ta_flow_val *f)
{
	__u64 now = bpf_ktime_get_ns();

	if (now - f->cap_window_ns > 1000000000ull) {
		f->cap_window_ns = now;
		f->cap_window_count = 0;
	}
	if (f->cap_window_count >= TA_CAP_PER_FLOW_PER_SEC) {
		ta_count(TA_C_CAP_BOUND);
		return 0;
	}
	f->cap_window_count++;
	return 1;
}

/* Evidence: room for the first cfg_capture bytes of a packet of wire_len
 * bytes; *caplen gets how many to copy.  NULL (counted) when the ring is full. */
static __always_inline struct ta_capture *ta_cap_reserve(__u8 verdict, __u8 dir, __u32 rule, __u8 policy_drop,
							  __u32 wire_len, __u32 ifindex, __u32 *caplen)
{
	struct ta_capture *c = bpf_ringbuf_reserve(&ta_events, sizeof(*c), 0);
	__u32 n = wire_len < cfg_capture ? wire_len : cfg_capture;

	if (!c) {
		ta_count(TA_C_CAP_LOST);
		return NULL;
	}
	if (n > TA_CAP_MAX)
		n = TA_CAP_MAX;
	c->ts_ns = bpf_ktime_get_ns();
	c->type = TA_EV_CAPTURE;
	c->verdict = verdict;
	c->dir = dir;
	c->l3 = 0;
	c->rule = rule;
	c->wire_len = wire_len;
	c->ifindex = ifindex;
	c->drop_reason = 0;
	c->drop_loc = 0;
	c->policy_drop = policy_drop;
	*caplen = n;
	return c;
}

/* Send the capture, or discard it (counted) when copying failed (err). */
static __always_inline void ta_cap_submit(struct ta_capture *c, __u32 n, long err)
{
	if (err) {
		bpf_ringbuf_discard(c, 0);
		ta_count(TA_C_CAP_LOST);
		return;
	}
	c->cap_len = n;
	bpf_ringbuf_submit(c, 0);
	ta_count(TA_C_CAP_SENT);
}

/*
 * The single exit point: counts the verdict, applies enforce mode, and
 * returns 1 when the packet must be dropped.
 */
static __always_inline int ta_finish(struct ta_pkt *p, struct ta_res *r, __u32 len)
{
	__u32 idx = TA_VSTAT_IDX(r->verdict, r->dir);
	struct ta_count *c = bpf_map_lookup_elem(&ta_vstats, &idx);
	int drop = 0;

	if (c) {
		c->packets++;
		c->bytes += len;
	}
	if (r->verdict == TA_V_ALLOWED && r->rule < TA_MAX_RULES) {
		idx = r->rule;
		c = bpf_map_lookup_elem(&ta_rstats, &idx);
		if (c) {
			c->packets++;
			c->bytes += len;
		}
	} else if (r->verdict == TA_V_INVALID) {
		ta_count(TA_C_INV_BASE + (r->inv < TA_INV_MAX ? r->inv : 0));
	} else if (r->verdict == TA_V_UNEXPECTED && cfg_enforce) {
		drop = 1;
		ta_count(TA_C_POLICY_DROP);
		if (r->flow) {
			__u32 zero = 0;
			struct ta_selfdrop *sd = bpf_map_lookup_elem(&ta_selfdrop, &zero);

			__sync_fetch_and_add(&r->flow->policy_drops, 1);
			if (sd) {
				sd->flow = (__u64)(long)r->flow;
				sd->ts_ns = bpf_ktime_get_ns();
			}
		}
	}
	if (cfg_record_last)
		ta_record_last(p, r);
	if (cfg_capture && (r->verdict == TA_V_UNEXPECTED || drop) && r->flow && ta_capture_allowed(r->flow)) {
		p->out_capture = 1;
		p->out_verdict = r->verdict;
		p->out_dir = r->dir;
		p->out_rule = r->rule;
		p->out_policy_drop = drop;
	}
	return drop;
}

/*
 * Classify a parsed packet (rc from ta_parse_*) seen by a hook whose
 * direction mode is 'mode'; len is its length on the wire.  Returns 1 to
 * drop.  A global function: verified once, whatever path the parser took.
 */
__noinline int ta_classify(struct ta_pkt *p, int rc, __u32 mode, __u32 ifindex, __u32 len)
{
	struct ta_res r = { .rule = TA_NO_RULE, .verdict = TA_V_OTHER, .dir = TA_DIR_NONE };
	__u32 gen = active_gen;
	__u32 slot = gen & 1;
	__u64 cover = 0;

	if (!p)
		return 0;
	/* replay: count the length the capture says the frame had on the wire */
	if (cfg_record_last && replay_wire_len)
		len = replay_wire_len;
	if (rc == 1) /* not IP */
		return ta_finish(p, &r, len);
	if (rc < 0) {
		r.verdict = TA_V_INVALID;
		r.inv = p->inv;
		/* fixed-direction hooks know the direction of even a broken packet;
		 * the others, when its addresses could be read */
		if (mode == TA_DM_IN || mode == TA_DM_OUT)
			r.dir = mode;
		else if (p->t.family)
			r.dir = ta_direction(mode, slot, &p->t, &cover);
		return ta_finish(p, &r, len);
	}

	if (p->icmp_err) {
		/* Direction and policy from the quoted packet, which went the other way. */
		__u64 qcover;
		__u8 qdir = ta_direction(mode == TA_DM_IN ? TA_DM_OUT :
					 mode == TA_DM_OUT ? TA_DM_IN : mode,
					 slot, &p->q, &qcover);

		if (qcover) {
			r.dir = qdir ^ 1;
			ta_classify_icmp_err(p, qdir, qcover, slot, ifindex, &r);
			return ta_finish(p, &r, len);
		}
		/* quote is not a policy flow: judge the error as any ICMP packet */
		p->icmp_err = 0;
	}

	r.dir = ta_direction(mode, slot, &p->t, &cover);
	if (!cover)
		return ta_finish(p, &r, len);

	if (p->t.frag == TA_FRAG_LATER) {
		ta_classify_later_frag(&p->t, r.dir, ifindex, len, &r);
		return ta_finish(p, &r, len);
	}
	ta_classify_flow(&p->t, r.dir, cover, gen, ifindex, len, &r);
	if (p->t.frag == TA_FRAG_FIRST)
		ta_remember_first_frag(&p->t, r.dir, &r);
	return ta_finish(p, &r, len);
}

#endif /* TA_CLASSIFY_H */
