/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the programs tell: named per-CPU counters, ring-buffer events, and
 * evidence captures (bounded per flow).  A full ring never blocks a packet:
 * the loss is counted by cause.
 */
#ifndef TA_EVENTS_H
#define TA_EVENTS_H

#include "maps.h"

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
	return ta_clock_coarse();
}

/* The same clock where the coarse one is not to be had (the drop tracer
 * reaches ta_cover too): the lives of learned addresses */
static __always_inline __u64 ta_learn_now(void)
{
	if (cfg_record_last && replay_now_ns)
		return replay_now_ns;
	return bpf_ktime_get_ns();
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

/* What a new flow's event tells of its first packet */
struct ta_first {
	__u64 first_ns;
	__u32 len;
	__u8 tcp_flags;
};

/* The one ring-buffer event writer; a full ring counts lost_idx. */
static __always_inline void ta_emit(const struct ta_flow_key *k, __u8 type, __u8 verdict, __u8 dir, __u32 rule,
				    __u8 drop_flow, __u32 reason, __u64 loc, __u32 lost_idx,
				    const struct ta_first *first)
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
	e->drop_flow = drop_flow;
	e->drop_reason = reason;
	e->drop_loc = loc;
	e->first_ns = first ? first->first_ns : 0;
	e->len = first ? first->len : 0;
	e->tcp_flags = first ? first->tcp_flags : 0;
	e->pad[0] = e->pad[1] = e->pad[2] = 0;
	bpf_ringbuf_submit(e, 0);
	ta_count(TA_C_EV_SENT);
}

static __always_inline void ta_event(const struct ta_flow_key *k, __u8 type, __u8 verdict,
				     __u8 dir, __u32 rule)
{
	ta_emit(k, type, verdict, dir, rule, 0, 0, 0,
		type == TA_EV_NEW_FLOW && verdict == TA_V_ALLOWED ? TA_C_EV_LOST_NEW : TA_C_EV_LOST_UNEXP, NULL);
}

/* A new flow's event, with its first packet */
static __always_inline void ta_event_new(const struct ta_flow_key *k, __u8 verdict, __u8 dir, __u32 rule,
					 const struct ta_first *first)
{
	ta_emit(k, TA_EV_NEW_FLOW, verdict, dir, rule, 0, 0, 0,
		verdict == TA_V_ALLOWED ? TA_C_EV_LOST_NEW : TA_C_EV_LOST_UNEXP, first);
}

/* Evidence capture, at most TA_CAP_PER_FLOW_PER_SEC packets per flow a second. */
static __always_inline int ta_capture_allowed(struct ta_flow_cold *f)
{
	__u64 now = bpf_ktime_get_ns();

	if (now - f->cap_window_ns > TA_NSEC_PER_SEC) {
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

/* The length to copy, n in 1..TA_CAP_MAX, in a form every verifier bounds:
 * Linux 6.1's learns neither "n != 0" nor a bound from comparing n with
 * another unknown, so the range is restated with a mask, out of the
 * compiler's sight (it knows the range already and would drop it). */
_Static_assert((TA_CAP_MAX & (TA_CAP_MAX - 1)) == 0, "TA_CAP_MAX must be a power of two");
static __always_inline __u32 ta_cap_len(__u32 n)
{
	barrier_var(n);
	return ((n - 1) & (TA_CAP_MAX - 1)) + 1;
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

#endif /* TA_EVENTS_H */
