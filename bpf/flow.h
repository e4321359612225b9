/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Flow state: one LRU entry per connection (both directions), its verdict
 * from the rules of the direction that opened it, and ICMP errors charged
 * to the flow they quote.
 */
#ifndef TA_FLOW_H
#define TA_FLOW_H

#include "policy_lookup.h"

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

/* The cached verdict of a packet of direction dir, when the flow's cache
 * was filled under generation gen: 1, with r set; 0 otherwise. */
static __always_inline int ta_flow_cached(const struct ta_flow_val *f, __u8 dir, __u32 gen,
					  struct ta_res *r)
{
	__u64 vc = *(volatile const __u64 *)&f->vcache;
	__u32 code = (vc >> TA_VC_SHIFT(dir)) & 0xff;

	if ((__u32)vc != gen || !code)
		return 0;
	if (code == TA_VC_UNEXPECTED) {
		r->verdict = TA_V_UNEXPECTED;
		r->rule = TA_NO_RULE;
	} else {
		r->verdict = TA_V_ALLOWED;
		r->rule = code - 1;
	}
	return 1;
}

/* Remember the verdict r of direction dir under gen, keeping the other
 * direction's when it was computed under the same generation.  One store:
 * a racing CPU's entry may be lost (recomputed later), never mixed. */
static __always_inline void ta_flow_cache(struct ta_flow_val *f, __u8 dir, __u32 gen,
					  const struct ta_res *r)
{
	__u64 vc = *(volatile const __u64 *)&f->vcache;
	__u64 code = r->verdict == TA_V_ALLOWED ? r->rule + 1 : TA_VC_UNEXPECTED;
	__u64 keep = (__u32)vc == gen ? vc & (0xffull << TA_VC_SHIFT(dir ^ 1)) : 0;

	*(volatile __u64 *)&f->vcache = gen | keep | (code << TA_VC_SHIFT(dir));
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
	struct ta_flow_key k = {};
	struct ta_flow_val *f;
	__u32 slot = gen & 1;
	__u16 rport = dir == TA_DIR_OUT ? t->dport : t->sport;
	__u64 m, now;
	__u32 old;
	int created = 0;

	ta_flow_key_of(&k, t, dir, ifindex);
	f = bpf_map_lookup_elem(&ta_flows, &k);
	if (f && ta_flow_cached(f, dir, gen, r))
		goto account;
	if (!cover) {
		cover = ta_cover(slot, t->family, dir == TA_DIR_OUT ? t->dst : t->src);
		if (!cover)
			return; /* not in the policy (any more): 'other', the flow untouched */
	}
	if (!f) {
		struct ta_flow_val nf = {};

		nf.first_ns = ta_flow_now();
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
	ta_flow_cache(f, dir, gen, r);
account:
	r->flow = f;
	now = ta_flow_now();
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

#endif /* TA_FLOW_H */
