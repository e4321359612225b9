/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fragments: the first fragment's verdict is remembered (LRU) and inherited
 * by the later ones, which carry no ports; a later fragment whose first was
 * never seen is unexpected.
 */
#ifndef TA_FRAG_H
#define TA_FRAG_H

#include "flow.h"

/* An IPv4 datagram's entry has the compact key (ta_frags4), others the
 * full one (ta_frags) */
static __always_inline void ta_frag4_key_of(struct ta_frag4_key *fk, const struct ta_tuple *t)
{
	/* the IPv4 address is the last word of the mapped form */
	fk->src = *(const __u32 *)&t->src[12];
	fk->dst = *(const __u32 *)&t->dst[12];
	fk->id = (__u16)t->frag_id;
	fk->proto = t->proto;
	fk->pad = 0;
}

static __always_inline void ta_frag_key_of(struct ta_frag_key *fk, const struct ta_tuple *t)
{
	__builtin_memcpy(fk->src, t->src, 16);
	__builtin_memcpy(fk->dst, t->dst, 16);
	fk->id = t->frag_id;
	fk->proto = t->proto;
}

/* The remembered first fragment of a later fragment's datagram, or NULL */
static __always_inline struct ta_frag_val *ta_frag_find(const struct ta_tuple *t)
{
	struct ta_frag_val *fv;

	/* (barrier_var: one call per map, which the verifier inlines, as ta_flow_find) */
	if (t->family == 4) {
		struct ta_frag4_key fk;

		ta_frag4_key_of(&fk, t);
		fv = bpf_map_lookup_elem(&ta_frags4, &fk);
		barrier_var(fv);
	} else {
		struct ta_frag_key fk = {};

		ta_frag_key_of(&fk, t);
		fv = bpf_map_lookup_elem(&ta_frags, &fk);
	}
	return fv;
}

/* Remember v for the datagram of t */
static __always_inline void ta_frag_put(const struct ta_tuple *t, const struct ta_frag_val *v)
{
	if (t->family == 4) {
		struct ta_frag4_key fk;

		ta_frag4_key_of(&fk, t);
		bpf_map_update_elem(&ta_frags4, &fk, v, BPF_ANY);
	} else {
		struct ta_frag_key fk = {};

		ta_frag_key_of(&fk, t);
		bpf_map_update_elem(&ta_frags, &fk, v, BPF_ANY);
	}
}

/* A later fragment: inherit the first fragment's verdict (fv). */
static __always_inline void ta_classify_later_frag(const struct ta_frag_val *fv, const struct ta_tuple *t,
						   __u8 dir, __u32 ifindex, __u32 len, struct ta_res *r)
{
	ta_count(TA_C_FRAG_INHERIT);
	r->verdict = fv->verdict;
	r->rule = fv->rule;
	if (fv->has_flow) {
		/* the datagram's ports, as its first fragment carried them */
		r->flow = ta_flow_find_at(t, dir, ifindex, fv->lport, fv->rport);
		if (r->flow) {
			ta_flow_account(r->flow, dir, len, ta_flow_now());
			if (r->verdict == TA_V_UNEXPECTED && (cfg_enforce || cfg_capture)) {
				struct ta_flow_key k = {};

				ta_flow_key_of(&k, t, dir, ifindex);
				k.lport = fv->lport;
				k.rport = fv->rport;
				r->cold = ta_flow_cold(r->flow, &k);
			}
		}
	}
}

/* A later fragment of a covered address whose first fragment was never
 * seen: nothing says what this is. */
static __always_inline void ta_orphan_frag(const struct ta_tuple *t, __u8 dir, __u32 ifindex,
					   __u32 gen, struct ta_res *r)
{
	ta_count(TA_C_FRAG_ORPHAN);
	r->verdict = TA_V_UNEXPECTED;
	r->rule = TA_NO_RULE;
	{
		struct ta_frag_val nv = { .rule = TA_NO_RULE, .verdict = TA_V_UNEXPECTED, .dir = dir,
					  .generation = gen };
		struct ta_flow_key k = {};

		ta_frag_put(t, &nv);
		ta_flow_key_of(&k, t, dir, ifindex);
		k.lport = 0;
		k.rport = 0;
		ta_event(&k, TA_EV_ORPHAN_FRAG, TA_V_UNEXPECTED, dir, TA_NO_RULE);
	}
}

static __always_inline void ta_remember_first_frag(const struct ta_tuple *t, __u8 dir, __u32 gen,
						   const struct ta_res *r)
{
	struct ta_frag_val fv = {};

	fv.rule = r->rule;
	fv.verdict = r->verdict;
	fv.dir = dir;
	fv.lport = dir == TA_DIR_OUT ? t->sport : t->dport;
	fv.rport = dir == TA_DIR_OUT ? t->dport : t->sport;
	fv.has_flow = r->flow != NULL;
	fv.generation = gen;
	ta_frag_put(t, &fv);
	ta_count(TA_C_FRAG_FIRST);
}

#endif /* TA_FRAG_H */
