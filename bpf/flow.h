/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow state: one LRU entry per connection (both directions), every packet
 * judged by the rules of the direction that opened it, cached per policy
 * generation, and ICMP errors charged to the flow they quote.  IPv4 flows
 * use a 16-byte key (ta_flows), the others the full one (ta_flows6); a
 * flow's rare diagnostics live in ta_fcold (see struct ta_flow_hot).
 */
#ifndef TA_FLOW_H
#define TA_FLOW_H

#include "policy_lookup.h"

#define TA_FS_FIELD(st, shift) ((__u32)((st) >> (shift)) & TA_FS_NONE)

static __always_inline int ta_flow_compact(const struct ta_tuple *t, __u32 ifindex)
{
	return t->family == 4 && ifindex < TA_FLOW4_MAX_IFINDEX;
}

static __always_inline void ta_flow4_key_of(struct ta_flow4_key *k, const struct ta_tuple *t,
					    __u8 dir, __u32 ifindex)
{
	/* the IPv4 address is the last word of the mapped form */
	if (dir == TA_DIR_OUT) {
		k->local = *(const __u32 *)&t->src[12];
		k->remote = *(const __u32 *)&t->dst[12];
		k->lport = t->sport;
		k->rport = t->dport;
	} else {
		k->local = *(const __u32 *)&t->dst[12];
		k->remote = *(const __u32 *)&t->src[12];
		k->lport = t->dport;
		k->rport = t->sport;
	}
	k->ifx_proto = ifindex << 8 | t->proto;
}

/* The flow of a tuple seen in direction dir on ifindex, its ports lport
 * and rport (a later fragment carries none: its first one's), or NULL */
static __always_inline struct ta_flow_hot *ta_flow_find_at(const struct ta_tuple *t, __u8 dir, __u32 ifindex,
							   __u16 lport, __u16 rport)
{
	struct ta_flow_hot *f;

	/* (barrier_var: one call per map, which the verifier inlines; merged
	 * into one call with either map it would not, costing ~5 ns a packet) */
	if (ta_flow_compact(t, ifindex)) {
		struct ta_flow4_key k;

		ta_flow4_key_of(&k, t, dir, ifindex);
		k.lport = lport;
		k.rport = rport;
		f = bpf_map_lookup_elem(&ta_flows, &k);
		barrier_var(f);
	} else {
		struct ta_flow_key k = {};

		ta_flow_key_of(&k, t, dir, ifindex);
		k.lport = lport;
		k.rport = rport;
		f = bpf_map_lookup_elem(&ta_flows6, &k);
	}
	return f;
}

/* The flow of a tuple seen in direction dir on ifindex, or NULL */
static __always_inline struct ta_flow_hot *ta_flow_find(const struct ta_tuple *t, __u8 dir, __u32 ifindex)
{
	return ta_flow_find_at(t, dir, ifindex, dir == TA_DIR_OUT ? t->sport : t->dport,
			       dir == TA_DIR_OUT ? t->dport : t->sport);
}

/* The same from a full key (drop tracing builds one anyway) */
static __always_inline struct ta_flow_hot *ta_flow_find_key(const struct ta_flow_key *k)
{
	if (k->family == 4 && k->ifindex < TA_FLOW4_MAX_IFINDEX) {
		struct ta_flow4_key k4 = {
			.local = *(const __u32 *)&k->local[12], .remote = *(const __u32 *)&k->remote[12],
			.lport = k->lport, .rport = k->rport, .ifx_proto = k->ifindex << 8 | k->proto,
		};

		struct ta_flow_hot *f = bpf_map_lookup_elem(&ta_flows, &k4);

		barrier_var(f);
		return f;
	}
	return bpf_map_lookup_elem(&ta_flows6, k);
}

/* Add nf unless the flow exists; the flow either way (NULL: the table
 * refused).  *created is 1 when this call added it. */
static __always_inline struct ta_flow_hot *ta_flow_make(const struct ta_tuple *t, __u8 dir, __u32 ifindex,
							 const struct ta_flow_hot *nf, int *created)
{
	if (ta_flow_compact(t, ifindex)) {
		struct ta_flow4_key k;

		ta_flow4_key_of(&k, t, dir, ifindex);
		struct ta_flow_hot *f;

		*created = bpf_map_update_elem(&ta_flows, &k, nf, BPF_NOEXIST) == 0;
		f = bpf_map_lookup_elem(&ta_flows, &k);
		barrier_var(f);
		return f;
	} else {
		struct ta_flow_key k = {};

		ta_flow_key_of(&k, t, dir, ifindex);
		*created = bpf_map_update_elem(&ta_flows6, &k, nf, BPF_NOEXIST) == 0;
		return bpf_map_lookup_elem(&ta_flows6, &k);
	}
}

/* The state word of a new flow: its opener, no rule, the generation */
static __always_inline __u64 ta_flow_state0(__u8 opener, __u32 gen)
{
	return (opener == TA_DIR_OUT ? TA_FS_OPENER_OUT : 0) | ((__u64)TA_FS_NONE << TA_FS_RULE_SHIFT) |
	       ((__u64)(gen & TA_FS_GEN_MASK) << TA_FS_GEN_SHIFT);
}

static __always_inline __u8 ta_flow_opener(__u64 st)
{
	return (st & TA_FS_OPENER_OUT) ? TA_DIR_OUT : TA_DIR_IN;
}

/* st with its first allowing rule set to rule (age 0: judged now) */
static __always_inline __u64 ta_flow_with_rule(__u64 st, __u32 rule)
{
	return (st & ~(((__u64)TA_FS_NONE << TA_FS_RULE_SHIFT) | (3ull << TA_FS_AGE_SHIFT))) |
	       ((__u64)(rule & TA_FS_NONE) << TA_FS_RULE_SHIFT);
}

/* The first rule that allowed a packet of the flow, or TA_NO_RULE */
static __always_inline __u32 ta_flow_rule(__u64 st)
{
	__u32 r = TA_FS_FIELD(st, TA_FS_RULE_SHIFT);

	return r == TA_FS_NONE ? TA_NO_RULE : r;
}

/* A flow's cold part, made when first needed.  An entry left by an earlier
 * flow of the same key (the hot one was evicted) is cleared first: it is
 * told by its first_ns. */
static __always_inline struct ta_flow_cold *ta_flow_cold(struct ta_flow_hot *f, const struct ta_flow_key *k)
{
	struct ta_flow_cold *c = bpf_map_lookup_elem(&ta_fcold, k);

	if (!c) {
		/* from a zero in global data: the drop tracer has no stack to spare */
		bpf_map_update_elem(&ta_fcold, k, &ta_cold_zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&ta_fcold, k);
		if (!c)
			return NULL;
	}
	if (c->first_ns != f->first_ns) {
		__builtin_memset(c, 0, sizeof(*c));
		c->first_ns = f->first_ns;
	}
	if (!(f->state & TA_FS_COLD))
		ta_fetch_or(&f->state, TA_FS_COLD);
	return c;
}

/* Set flag bits with one atomic, and only when some are new.  Returns the old state. */
static __always_inline __u64 ta_flow_set(struct ta_flow_hot *f, __u64 bits)
{
	__u64 old = f->state;

	if ((old & bits) == bits)
		return old;
	return ta_fetch_or(&f->state, bits);
}

static __always_inline void ta_flow_account(struct ta_flow_hot *f, __u8 dir, __u32 len, __u64 now)
{
	__sync_fetch_and_add(&f->packets[dir & 1], 1);
	__sync_fetch_and_add(&f->bytes[dir & 1], len);
	f->last_ns = now;
}

/* The cached verdict of a packet of direction dir under generation gen:
 * 1 with r set, or 0. */
static __always_inline int ta_flow_cached(__u64 st, __u8 dir, __u32 gen, struct ta_res *r)
{
	__u32 code = TA_FS_FIELD(st, TA_FS_CODE_SHIFT(dir));

	if (((__u32)(st >> TA_FS_GEN_SHIFT) & TA_FS_GEN_MASK) != (gen & TA_FS_GEN_MASK) || !code)
		return 0;
	if (code == TA_FS_NONE) {
		r->verdict = TA_V_UNEXPECTED;
		r->rule = TA_NO_RULE;
	} else {
		r->verdict = TA_V_ALLOWED;
		r->rule = code - 1;
	}
	return 1;
}

/* One attempt to record verdict r of direction dir under gen in the state
 * word: the cache entry, and the flow's rule when it is the first to allow.
 * A new generation clears the other direction's entry and ages the rule.
 * 1 when written (or nothing to write), 0 when another CPU changed the word. */
static __always_inline int ta_flow_try_judge(struct ta_flow_hot *f, __u8 dir, __u32 gen, const struct ta_res *r)
{
	__u64 old = *(volatile __u64 *)&f->state, st = old;
	__u64 code = r->verdict == TA_V_ALLOWED ? r->rule + 1 : TA_FS_NONE;
	__u32 g = gen & TA_FS_GEN_MASK, og = (__u32)(old >> TA_FS_GEN_SHIFT) & TA_FS_GEN_MASK;

	if (og != g) {
		__u32 age = TA_FS_FIELD(old, TA_FS_AGE_SHIFT) & 3, d = (g - og) & TA_FS_GEN_MASK;

		age = d >= 2 || age + d >= 2 ? 2 : age + d;
		st &= ~(((__u64)TA_FS_NONE << TA_FS_CODE_SHIFT(0)) | ((__u64)TA_FS_NONE << TA_FS_CODE_SHIFT(1)) |
			(3ull << TA_FS_AGE_SHIFT) | ((__u64)TA_FS_GEN_MASK << TA_FS_GEN_SHIFT));
		st |= ((__u64)age << TA_FS_AGE_SHIFT) | ((__u64)g << TA_FS_GEN_SHIFT);
	}
	st = (st & ~((__u64)TA_FS_NONE << TA_FS_CODE_SHIFT(dir))) | (code << TA_FS_CODE_SHIFT(dir));
	if (r->verdict == TA_V_ALLOWED && TA_FS_FIELD(old, TA_FS_RULE_SHIFT) == TA_FS_NONE)
		st = ta_flow_with_rule(st, r->rule);
	return st == old || ta_cas(&f->state, old, st) == old;
}

static __always_inline void ta_flow_judged(struct ta_flow_hot *f, __u8 dir, __u32 gen, const struct ta_res *r)
{
	/* twice at most: a flag bit set by another CPU in between is the usual
	 * cause; should it fail again the next packet computes and retries */
	if (!ta_flow_try_judge(f, dir, gen, r))
		ta_flow_try_judge(f, dir, gen, r);
}

/*
 * Classify one L4 tuple that is not a later fragment.
 * cover: rules whose addresses cover the remote end, or 0 when not looked up
 * yet (fixed-direction hooks look it up only when the flow's cached verdict
 * cannot answer).  Creates or updates the flow entry and returns the verdict
 * in r; leaves r's verdict 'other' when the remote end is not covered.
 */
static __always_inline void ta_classify_flow(const struct ta_tuple *t, __u8 dir, __u64 cover,
					     __u32 gen, __u32 ifindex, __u32 len,
					     struct ta_res *r)
{
	struct ta_flow_hot *f = ta_flow_find(t, dir, ifindex);
	__u32 slot = gen & 1;
	__u16 rport = dir == TA_DIR_OUT ? t->dport : t->sport;
	__u64 m, old;
	__u8 opener;
	int created = 0, unexp;

	if (f && ta_flow_cached(f->state, dir, gen, r))
		goto account;
	if (!cover) {
		cover = ta_cover(slot, t->family, dir == TA_DIR_OUT ? t->dst : t->src);
		if (!cover)
			return; /* not in the policy (any more): 'other', the flow untouched */
	}
	if (!f) {
		struct ta_flow_hot nf = {};

		nf.first_ns = ta_flow_now();
		/* The side whose packet the auditor saw first opened the flow. */
		nf.state = ta_flow_state0(dir, gen);
		f = ta_flow_make(t, dir, ifindex, &nf, &created);
		if (created)
			ta_count(TA_C_FLOW_NEW);
		if (!f)
			ta_count(TA_C_FLOW_FAIL);
	}

	/* A rule's direction says who may open a flow: every packet of a flow,
	 * either way, is judged by the rules of its opener's direction (an
	 * outbound-only rule lets the answers in, and never the answers out of
	 * a flow opened from outside).  No entry: the packet opens it. */
	opener = f ? ta_flow_opener(f->state) : dir;
	m = cover & ta_port_rules(slot, t->proto, opener, rport);
	ta_set_verdict(r, m);
	if (!f)
		return;
	ta_flow_judged(f, dir, gen, r);
account:
	r->flow = f;
	ta_flow_account(f, dir, len, ta_flow_now());
	unexp = r->verdict == TA_V_UNEXPECTED;
	old = ta_flow_set(f, (unexp ? TA_FF_UNEXPECTED : TA_FF_ALLOWED) |
				     ((__u64)t->tcp_flags << TA_FF_TCP_SHIFT(dir & 1)));
	/* the full key only where an event or the cold part needs it */
	if (created || (unexp && (!(old & TA_FF_UNEXPECTED) || cfg_enforce || cfg_capture))) {
		struct ta_flow_key k = {};

		ta_flow_key_of(&k, t, dir, ifindex);
		if (created) {
			if (unexp || cfg_events_allowed) {
				struct ta_first first = { f->first_ns, len, t->tcp_flags };

				ta_event_new(&k, r->verdict, dir, r->rule, &first);
			}
		} else if (unexp && !(old & TA_FF_UNEXPECTED)) {
			ta_event(&k, TA_EV_UNEXPECTED, r->verdict, dir, r->rule);
		}
		if (unexp && (cfg_enforce || cfg_capture))
			r->cold = ta_flow_cold(f, &k);
	}
}

/*
 * An ICMP error quoting a packet whose remote end is in the policy: the
 * quoted packet travelled the other way, and the error belongs to its flow.
 */
static __always_inline void ta_classify_icmp_err(const struct ta_pkt *p, __u8 qdir, __u64 cover,
						 __u32 slot, __u32 ifindex, struct ta_res *r)
{
	struct ta_flow_hot *f = ta_flow_find(&p->q, qdir, ifindex);
	__u16 rport = qdir == TA_DIR_OUT ? p->q.dport : p->q.sport;

	r->icmp_err = 1;
	if (f) {
		struct ta_flow_key k = {};
		struct ta_flow_cold *c;
		__u64 st = f->state;

		ta_flow_key_of(&k, &p->q, qdir, ifindex);
		c = ta_flow_cold(f, &k);
		ta_count(TA_C_ICMP_ERR_FLOW);
		/* An error answers the flow (a far host or router refused what the
		 * protected side sent) only when it comes in about an outbound
		 * packet.  One going out, about an inbound packet, is the protected
		 * side refusing what it was sent (a closed socket, this gateway's
		 * own firewall): recorded apart, never read as a block. */
		if (c && qdir == TA_DIR_OUT) {
			__sync_fetch_and_add(&c->icmp_errors, 1);
			c->icmp_type = p->icmp_type;
			c->icmp_code = p->icmp_code;
			__builtin_memcpy(c->icmp_from, p->t.src, 16);
		} else if (c) {
			__sync_fetch_and_add(&c->icmp_sent, 1);
			c->icmp_sent_type = p->icmp_type;
			c->icmp_sent_code = p->icmp_code;
			__builtin_memcpy(c->icmp_sent_from, p->t.src, 16);
		}
		f->last_ns = ta_flow_now();
		r->flow = f;
		r->cold = c;
		if ((st & TA_FF_UNEXPECTED) || !(st & TA_FF_ALLOWED)) {
			r->verdict = TA_V_UNEXPECTED;
			r->rule = TA_NO_RULE;
		} else {
			r->verdict = TA_V_ALLOWED;
			r->rule = ta_flow_rule(st);
		}
		return;
	}
	/* No flow seen: judge the quoted packet itself, statelessly. */
	ta_set_verdict(r, cover & ta_port_rules(slot, p->q.proto, qdir, rport));
}

#endif /* TA_FLOW_H */
