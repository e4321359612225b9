/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The classifier shared by the XDP and tc programs, top to bottom: parse
 * result -> direction and policy cover -> ICMP error, later fragment or flow
 * -> the single exit point (ta_finish) that counts every verdict.
 *
 *   maps.h           configuration, run-time state, maps
 *   events.h         counters, ring-buffer events, evidence captures
 *   policy_lookup.h  LPM cover, port rules, direction
 *   flow.h           flow state, ICMP error attribution
 *   frag.h           fragments
 */
#ifndef TA_CLASSIFY_H
#define TA_CLASSIFY_H

#include "carry.h"
#include "media.h"
#include "frag.h"

/* Replay and tests: the last packet's result.  The endpoints are copied here
 * rather than through ta_flow_key_of: building a zeroed flow key for it cost
 * 75 instructions per packet for nothing. */
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

/* An IP packet outside the policy, one in cfg_other_mask + 1: counted by its
 * remote end (the hot path pays a random number, rarely a map update). */
static __always_inline void ta_other_sample(const struct ta_pkt *p, const struct ta_res *r, __u32 len)
{
	const struct ta_tuple *t = &p->t;

	/* the 63 packets in 64 that are not sampled stop here, before any key is built */
	if (!t->family || (bpf_get_prandom_u32() & cfg_other_mask))
		return;

	struct ta_other_key k = {};
	struct ta_count *c, one = { 1, len };

	k.dir = r->dir;
	k.proto = t->proto;
	if (r->dir == TA_DIR_OUT) {
		__builtin_memcpy(k.remote, t->dst, 16);
		k.rport = t->dport;
	} else {
		__builtin_memcpy(k.remote, t->src, 16);
		k.rport = t->sport;
	}
	if (t->proto != TA_IPPROTO_TCP && t->proto != TA_IPPROTO_UDP)
		k.rport = 0;
	c = bpf_map_lookup_elem(&ta_other, &k);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
	} else {
		bpf_map_update_elem(&ta_other, &k, &one, BPF_NOEXIST);
	}
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
	} else if (r->verdict == TA_V_OTHER) {
		ta_other_sample(p, r, len);
	} else if (r->verdict == TA_V_INVALID) {
		ta_count(TA_C_INV_BASE + (r->inv < TA_INV_MAX ? r->inv : 0));
	} else if (r->verdict == TA_V_UNEXPECTED && cfg_enforce) {
		drop = 1;
		ta_count(TA_C_POLICY_DROP);
		if (r->flow) {
			__u32 zero = 0;
			struct ta_selfdrop *sd = bpf_map_lookup_elem(&ta_selfdrop, &zero);

			if (r->cold)
				__sync_fetch_and_add(&r->cold->policy_drops, 1);
			if (sd) {
				sd->flow = (__u64)(long)r->flow;
				sd->ts_ns = bpf_ktime_get_ns();
			}
		}
	}
	if (cfg_record_last)
		ta_record_last(p, r);
	if (cfg_capture && (r->verdict == TA_V_UNEXPECTED || drop) && r->cold && ta_capture_allowed(r->cold)) {
		p->out_capture = 1;
		p->out_verdict = r->verdict;
		p->out_dir = r->dir;
		p->out_rule = r->rule;
		p->out_policy_drop = drop;
	}
	return drop;
}

/* A packet the parser refused: invalid, with the direction when it can tell */
static __always_inline void ta_classify_invalid(const struct ta_pkt *p, __u32 mode, __u32 slot, struct ta_res *r)
{
	__u64 cover;

	r->verdict = TA_V_INVALID;
	r->inv = p->inv;
	/* fixed-direction hooks know the direction of even a broken packet;
	 * the others, when its addresses could be read */
	if (mode == TA_DM_IN || mode == TA_DM_OUT)
		r->dir = mode;
	else if (p->t.family)
		r->dir = ta_direction(mode, slot, &p->t, &cover);
}

/* An ICMP error: direction and policy from the quoted packet, which went the
 * other way.  0 when the quote is no policy flow (then it is any ICMP packet). */
static __always_inline int ta_classify_quoted(struct ta_pkt *p, __u32 mode, __u32 slot, __u32 ifindex,
					      struct ta_res *r)
{
	__u64 qcover;
	__u8 qdir = ta_direction(mode == TA_DM_IN ? TA_DM_OUT : mode == TA_DM_OUT ? TA_DM_IN : mode, slot, &p->q,
				 &qcover);

	if (!qcover)
		return 0;
	r->dir = qdir ^ 1;
	ta_classify_icmp_err(p, qdir, qcover, slot, ifindex, r);
	return 1;
}

/* A later fragment: its datagram's flow, remembered from the first */
static __always_inline void ta_classify_later(struct ta_pkt *p, __u64 cover, __u32 gen, __u32 slot,
					      __u32 ifindex, __u32 len, struct ta_res *r)
{
	struct ta_frag_val *fv = ta_frag_find(&p->t);

	/* a datagram remembered under this policy needs no trie: its
	 * first fragment was covered then */
	if (!fv || fv->generation != gen) {
		if (!cover)
			cover = ta_cover(slot, p->t.family, r->dir == TA_DIR_OUT ? p->t.dst : p->t.src);
		if (!cover)
			return;
	}
	if (fv)
		ta_classify_later_frag(fv, &p->t, r->dir, ifindex, len, r);
	else
		ta_orphan_frag(&p->t, r->dir, ifindex, gen, r);
}

/*
 * Classify a parsed packet (rc from ta_parse_*) seen by a hook whose
 * direction mode is 'mode'; len is its length on the wire.  Returns 1 to
 * drop.  A global function: verified once, whatever path the parser took.
 */
TA_FUNC int ta_classify(TA_PKT_PARAM int rc, __u32 mode, __u32 ifindex, __u32 len)
{
	TA_PKT_LOCAL
	struct ta_res r = { .rule = TA_NO_RULE, .verdict = TA_V_OTHER, .dir = TA_DIR_NONE };
	__u32 gen = active_gen;
	__u32 slot = gen & 1;
	__u64 cover = 0;

	if (!p)
		return 0;
	/* replay: count the length the capture says the frame had on the wire */
	if (cfg_record_last && replay_wire_len)
		len = replay_wire_len;
	if (rc == 1) { /* not IP: the hook's own direction (replay has none to give) */
		if (mode == TA_DM_IN || mode == TA_DM_OUT)
			r.dir = mode;
		return ta_finish(p, &r, len);
	}
	if (rc < 0) {
		ta_classify_invalid(p, mode, slot, &r);
		return ta_finish(p, &r, len);
	}
	if (p->icmp_err) {
		if (ta_classify_quoted(p, mode, slot, ifindex, &r))
			return ta_finish(p, &r, len);
		p->icmp_err = 0;
	}
	if (mode == TA_DM_IN || mode == TA_DM_OUT) {
		/* The remote end is known without the trie.  IPv4: the prefilter
		 * turns most other traffic away, then the flow is looked up first
		 * and its cached verdict saves the LPM and port lookups.  IPv6 has
		 * no prefilter: the trie comes first. */
		const __u8 *remote = mode == TA_DM_OUT ? p->t.dst : p->t.src;

		r.dir = mode;
		if (p->t.family == 4 ? !ta_may_cover4(slot, remote) : !(cover = ta_cover(slot, 6, remote)))
			return ta_finish(p, &r, len);
	} else {
		r.dir = ta_direction(mode, slot, &p->t, &cover);
		if (!cover)
			return ta_finish(p, &r, len);
	}
	if (p->t.frag == TA_FRAG_LATER) {
		ta_classify_later(p, cover, gen, slot, ifindex, len, &r);
		return ta_finish(p, &r, len);
	}
	ta_classify_flow(&p->t, r.dir, cover, gen, ifindex, len, &r);
	if (p->pl_len && r.flow) /* its payload is read after, when a sample is due */
		ta_carry_due(p, &r);
	if (p->pl_media && r.flow) { /* its RTP header is read after (media.h) */
		p->out_media = 1;
		p->out_flow_dir = r.dir;
	}
	if (p->tls_len && r.flow) { /* its ClientHello is read after (tls.h) */
		p->out_flow = 1;
		p->out_flow_dir = r.dir;
	}
	if (p->t.frag == TA_FRAG_FIRST && r.verdict != TA_V_OTHER)
		ta_remember_first_frag(&p->t, r.dir, gen, &r);
	return ta_finish(p, &r, len);
}

#endif /* TA_CLASSIFY_H */
