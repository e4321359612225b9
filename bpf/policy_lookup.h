/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The policy as the datapath reads it: which rules cover an address (LPM
 * trie, one generation slot of two), which rules allow a port, and the
 * direction of a packet.
 */
#ifndef TA_POLICY_LOOKUP_H
#define TA_POLICY_LOOKUP_H

#include "events.h"

/* Per-packet state carried from classification to the exit point. */
struct ta_res {
	__u32 rule;
	__u8 verdict;
	__u8 dir;
	__u8 inv;
	__u8 icmp_err;
	struct ta_flow_hot *flow;
	struct ta_flow_cold *cold; /* when an enforce drop, a capture or an ICMP error needs it */
};

static __always_inline __u64 ta_lpm(__u32 slot, const __u8 *addr)
{
	struct ta_lpm_key k = { .prefixlen = TA_LPM_SLOT_BITS + 128, .slot = slot };
	struct ta_lpm_val *v;

	__builtin_memcpy(k.addr, addr, 16);
	v = bpf_map_lookup_elem(&ta_policy, &k);
	return v ? v->rules : 0;
}

/* IPv4 prefilter: 0 when no policy prefix can cover the (mapped) address */
static __always_inline int ta_may_cover4(__u32 slot, const __u8 *addr)
{
	__u32 h = ((__u32)addr[12] << 8) | addr[13];

	/* restated out of the compiler's sight: Linux 6.1's verifier loses the
	 * bound of the OR the compiler makes of it */
	barrier_var(h);
	h &= 0xffff;
	return (cover16[slot & 1][h >> 6] >> (h & 63)) & 1;
}

/* The rules an address learned from DNS (dns.h) is part of, while its TTL
 * lasts; no lookup at all until some address was learned */
static __always_inline __u64 ta_learned_rules(__u32 slot, const __u8 *addr)
{
	struct ta_addr_key k;
	struct ta_learned *l;

	if (!learned_any)
		return 0;
	__builtin_memcpy(k.addr, addr, 16);
	l = bpf_map_lookup_elem(&ta_learned, &k);
	if (!l || l->expires_ns < ta_learn_now())
		return 0;
	return l->rules[slot & 1];
}

/* The rules covering an address, configured (the trie) or learned: an IPv4
 * address whose /16 holds neither is answered by the prefilter, without
 * walking the trie. */
static __always_inline __u64 ta_cover(__u32 slot, __u8 family, const __u8 *addr)
{
	if (family == 4 && !ta_may_cover4(slot, addr))
		return 0;
	return ta_lpm(slot, addr) | ta_learned_rules(slot, addr);
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
		*cover = ta_cover(slot, t->family, t->src);
		return TA_DIR_IN;
	}
	if (mode == TA_DM_OUT) {
		*cover = ta_cover(slot, t->family, t->dst);
		return TA_DIR_OUT;
	}
	if (mode == TA_DM_LOCAL) {
		if (ta_is_local(t->src)) {
			*cover = ta_cover(slot, t->family, t->dst);
			return TA_DIR_OUT;
		}
		if (ta_is_local(t->dst)) {
			*cover = ta_cover(slot, t->family, t->src);
			return TA_DIR_IN;
		}
	}
	/* auto: the side in the policy is the remote one; neither: dst is remote */
	*cover = ta_cover(slot, t->family, t->dst);
	if (*cover)
		return TA_DIR_OUT;
	*cover = ta_cover(slot, t->family, t->src);
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

#endif /* TA_POLICY_LOOKUP_H */
