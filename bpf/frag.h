/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fragments: the first fragment's verdict is remembered (LRU) and inherited
 * by the later ones, which carry no ports; a later fragment whose first was
 * never seen is unexpected.
 */
#ifndef TA_FRAG_H
#define TA_FRAG_H

#include "flow.h"

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
	struct ta_frag_key fk = {};

	ta_frag_key_of(&fk, t);
	return bpf_map_lookup_elem(&ta_frags, &fk);
}

/* A later fragment: inherit the first fragment's verdict (fv). */
static __always_inline void ta_classify_later_frag(const struct ta_frag_val *fv, const struct ta_tuple *t,
						   __u8 dir, __u32 ifindex, __u32 len, struct ta_res *r)
{
	ta_count(TA_C_FRAG_INHERIT);
	r->verdict = fv->verdict;
	r->rule = fv->rule;
	if (fv->has_flow) {
		struct ta_tuple ft = *t;

		/* the datagram's ports, as its first fragment carried them */
		if (dir == TA_DIR_OUT) {
			ft.sport = fv->lport;
			ft.dport = fv->rport;
		} else {
			ft.sport = fv->rport;
			ft.dport = fv->lport;
		}
		r->flow = ta_flow_find(&ft, dir, ifindex);
		if (r->flow) {
			ta_flow_account(r->flow, dir, len, ta_flow_now());
			if (r->verdict == TA_V_UNEXPECTED && (cfg_enforce || cfg_capture)) {
				struct ta_flow_key k = {};

				ta_flow_key_of(&k, &ft, dir, ifindex);
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
	struct ta_frag_key fk = {};

	ta_frag_key_of(&fk, t);
	ta_count(TA_C_FRAG_ORPHAN);
	r->verdict = TA_V_UNEXPECTED;
	r->rule = TA_NO_RULE;
	{
		struct ta_frag_val nv = { .rule = TA_NO_RULE, .verdict = TA_V_UNEXPECTED, .dir = dir,
					  .generation = gen };
		struct ta_flow_key k = {};

		bpf_map_update_elem(&ta_frags, &fk, &nv, BPF_ANY);
		ta_flow_key_of(&k, t, dir, ifindex);
		k.lport = 0;
		k.rport = 0;
		ta_event(&k, TA_EV_ORPHAN_FRAG, TA_V_UNEXPECTED, dir, TA_NO_RULE);
	}
}

static __always_inline void ta_remember_first_frag(const struct ta_tuple *t, __u8 dir, __u32 gen,
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
	fv.generation = gen;
	bpf_map_update_elem(&ta_frags, &fk, &fv, BPF_ANY);
	ta_count(TA_C_FRAG_FIRST);
}

#endif /* TA_FRAG_H */
