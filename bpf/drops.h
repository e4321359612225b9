/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Drop forensics: the kernel's kfree_skb tracepoint, for every packet the
 * kernel frees as dropped.  Only drops in the audited network namespace
 * count (a drop whose namespace cannot be read is counted apart, never
 * attributed).  A drop of a packet whose remote end is in the policy is
 * either
 *   - a block: this host's path refused it (netfilter, routing, qdisc...).
 *     It is charged to its flow (count, last reason, location, direction),
 *     creating the flow when the packet never reached an audited hook (it
 *     died before leaving through the audited interface), and reported to
 *     userspace at most once per flow per TA_DROP_EV_GAP_NS; or
 *   - an endpoint discard: a socket let it go (teardown, unread receive
 *     queue, TCP_CLOSE...).  Counted on a known flow, apart from blocks.
 * The class comes from the reason, and for drops without one from the
 * location (socket code or not): tables the loader fills from the running
 * kernel's BTF and kallsyms.
 *
 * The skb is read through BTF/CO-RE (head + network/transport header
 * offsets), so forwarded, local and egress drops are all seen.
 */
#ifndef TA_DROPS_H
#define TA_DROPS_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "classify.h"

/* A block of a flow's packet: the event carries the flow's verdict and rule */
static __always_inline void ta_drop_event(const struct ta_flow_key *k, __u8 dir, __u64 st,
					  __u32 reason, __u64 loc, __u8 drop_flow)
{
	ta_emit(k, TA_EV_KERNEL_DROP, (st & TA_FF_UNEXPECTED) ? TA_V_UNEXPECTED : TA_V_ALLOWED, dir, ta_flow_rule(st),
		drop_flow, reason, loc, TA_C_EV_LOST_DROP, NULL);
}

/* Is loc inside socket/endpoint code?  Binary search of ep_ranges. */
static __always_inline int ta_loc_is_endpoint(__u64 loc)
{
	__u32 lo = 0, hi = ep_nranges;
	int i;

	if (hi > TA_EP_RANGES)
		hi = TA_EP_RANGES;
	for (i = 0; i < 12 && lo < hi; i++) { /* 2^11 = TA_EP_RANGES */
		__u32 mid = (lo + hi) / 2;

		if (mid >= TA_EP_RANGES)
			return 0;
		if (loc < ep_ranges[mid].lo)
			hi = mid;
		else if (loc >= ep_ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* A block of policy traffic, by reason (other subsystems' share one slot) */
static __always_inline void ta_count_block_reason(__u32 reason)
{
	__u32 idx = reason < TA_DROP_REASONS ? reason : TA_DROP_REASONS;
	__u64 *v = bpf_map_lookup_elem(&ta_kdrop_reasons, &idx);

	if (v)
		*v += 1;
}

static __always_inline __u8 ta_drop_class_of(__u32 reason, __u64 loc)
{
	__u8 c;

	if (reason >= TA_DROP_REASONS) /* other subsystems' reasons: their path refused it */
		return TA_DC_BLOCK;
	barrier_var(reason); /* keeps the mask below, which the verifier needs */
	c = drop_class[reason & (TA_DROP_REASONS - 1)];
	if (c != TA_DC_BY_LOC)
		return c;
	return ta_loc_is_endpoint(loc) ? TA_DC_ENDPOINT : TA_DC_BLOCK;
}

/* The packet's length from its IP header (skb->len counts from skb->data,
 * which may already point past the network header). */
static __always_inline __u32 ta_ip_len(const struct iphdr *ip, const struct ipv6hdr *ip6)
{
	if (ip)
		return bpf_ntohs(ip->tot_len);
	return bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
}

static __always_inline void ta_drop_capture(struct ta_flow_hot *f, struct ta_flow_cold *cold,
					    const struct ta_flow_key *k, __u8 dir,
					    unsigned char *head, __u16 nh, __u32 wire, __u32 linear,
					    __u32 reason, __u64 loc)
{
	struct ta_capture *c;
	__u64 st = f->state;
	__u32 n;

	if (!ta_capture_allowed(cold))
		return;
	c = ta_cap_reserve((st & TA_FF_UNEXPECTED) ? TA_V_UNEXPECTED : TA_V_ALLOWED, dir, ta_flow_rule(st), 0, wire,
			   k->ifindex, &n);
	if (!c)
		return;
	/* from the network header, never past the skb's linear data */
	if (n > linear)
		n = linear;
	c->l3 = 1;
	c->drop_reason = reason;
	c->drop_loc = loc;
	ta_cap_submit(c, n, n ? bpf_probe_read_kernel(c->data, ta_cap_len(n), head + nh) : 0);
}

/* The interface the skb was routed out of (0: not routed, or unreadable),
 * and the route's error: a blackhole, unreachable or prohibit route or rule
 * (or no route at all) routes to a discard entry whose error is an errno and
 * whose device is a loopback, never the way out.  Without a branch (reads
 * through a NULL dst fail and give 0), so the paths after it stay as many as
 * they were: Linux 6.1's verifier has few to spare here. */
static __always_inline __u32 ta_skb_route(struct sk_buff *skb, __u8 *route_err)
{
	unsigned long refdst = BPF_CORE_READ(skb, _skb_refdst);
	struct dst_entry *dst = (struct dst_entry *)(refdst & ~1UL); /* SKB_DST_NOREF */
	__s32 err = BPF_CORE_READ(dst, error), sign = err >> 31;
	__u32 ifx = BPF_CORE_READ(dst, dev, ifindex);
	__u32 e = (__u32)((err ^ sign) - sign); /* either sign is used */

	*route_err = (__u8)e;
	/* no error: (0 - 1) >> 31 is 1; any error (1 to 32768): 0 */
	return ifx * ((e - 1) >> 31);
}

/*
 * A block with no flow: the packet died before an audited hook saw it.  Only
 * packets on their way out through an audited interface (the direction its
 * egress hook sees, cfg_tc_dir_mode) get a flow, keyed on that interface:
 * out (ta_skb_route) is one, or 0: not routed (yet, or to a discard entry:
 * the route refused it), and then the first.  m: the rules allowing the packet
 * as if it opened the flow.  *why: TA_DF_CREATED, or why there is no flow.
 */
static __always_inline struct ta_flow_hot *ta_drop_new_flow(struct ta_flow_key *k,
							   const struct ta_tuple *t, __u8 dir, __u64 m,
							   __u8 tcp_flags, __u32 out, __u8 *why)
{
	struct ta_flow_hot nf = {}, *f;
	int created = 0;
	__u32 gen = active_gen, ifx;
	int i, found = 0;

	*why = TA_DF_ELSEWHERE;
	if (dir != cfg_tc_dir_mode)
		return NULL;
	ifx = audited_ifindex[0];
	if (out) { /* routed: only through an audited interface */
		for (i = 0; i < TA_MAX_IFACES; i++) {
			if (!audited_ifindex[i])
				break;
			if (audited_ifindex[i] == out) {
				found = 1;
				break;
			}
		}
		if (!found)
			return NULL;
		ifx = out;
	}
	if (!ifx)
		return NULL;
	*why = TA_DF_NONE;
	ta_flow_key_of(k, t, dir, ifx);
	nf.first_ns = nf.last_ns = bpf_ktime_get_ns(); /* tracing: no coarse clock */
	nf.state = ta_flow_state0(dir, gen) | TA_FF_DROP_OPENED | (m ? TA_FF_ALLOWED : TA_FF_UNEXPECTED) |
		   ((__u64)tcp_flags << TA_FF_TCP_SHIFT(dir & 1));
	if (m) /* its rule, judged now (the cache stays empty) */
		nf.state = ta_flow_with_rule(nf.state, ta_first_rule(m));
	f = ta_flow_make(t, dir, ifx, &nf, &created);
	if (created)
		ta_count(TA_C_KDROP_FLOW_NEW);
	if (f)
		*why = TA_DF_CREATED;
	return f;
}

/* The headers of a dropped packet, one after the other: the tracer has no
 * stack to spare */
union ta_drop_hdrs {
	struct iphdr ip;
	struct ipv6hdr ip6;
	__u8 l4[14];
};

/* The IP header at head + nh into t; *th where L4 starts (when the skb did
 * not say), *wire the packet's length.  0, or -1: not IP, or unreadable. */
static __always_inline int ta_drop_ip(unsigned char *head, __u16 nh, __u16 *th, union ta_drop_hdrs *h,
				      struct ta_tuple *t, __u32 *wire)
{
	__u8 first;

	/* one read for IPv4; IPv6 reads its longer header again */
	if (bpf_probe_read_kernel(&h->ip, sizeof(h->ip), head + nh))
		return -1;
	first = ((__u8 *)&h->ip)[0];
	if ((first >> 4) == 4) {
		if (h->ip.ihl < 5)
			return -1;
		t->family = 4;
		t->proto = h->ip.protocol;
		ta_addr4(t->src, h->ip.saddr);
		ta_addr4(t->dst, h->ip.daddr);
		if (bpf_ntohs(h->ip.frag_off) & 0x1fff)
			t->frag = TA_FRAG_LATER;
		if (*th == (__u16)~0U || *th <= nh)
			*th = nh + h->ip.ihl * 4;
		*wire = ta_ip_len(&h->ip, NULL);
		return 0;
	}
	if ((first >> 4) != 6 || bpf_probe_read_kernel(&h->ip6, sizeof(h->ip6), head + nh))
		return -1;
	t->family = 6;
	t->proto = h->ip6.nexthdr; /* extension headers: the transport header says where L4 is */
	ta_addr6(t->src, &h->ip6.saddr);
	ta_addr6(t->dst, &h->ip6.daddr);
	if (*th == (__u16)~0U || *th <= nh)
		*th = nh + sizeof(h->ip6);
	*wire = ta_ip_len(NULL, &h->ip6);
	return 0;
}

/* Ports (an echo's identifier) and TCP flags of a first fragment, from the
 * L4 header at head + th; returns the TCP flags */
static __always_inline __u8 ta_drop_l4(unsigned char *head, __u16 th, union ta_drop_hdrs *h, struct ta_tuple *t)
{
	__u8 *l4 = h->l4;

	if (t->frag == TA_FRAG_LATER || bpf_probe_read_kernel(h->l4, sizeof(h->l4), head + th))
		return 0;
	if (t->proto == TA_IPPROTO_TCP || t->proto == TA_IPPROTO_UDP) {
		t->sport = ((__u16)l4[0] << 8) | l4[1];
		t->dport = ((__u16)l4[2] << 8) | l4[3];
		return t->proto == TA_IPPROTO_TCP ? l4[13] : 0;
	}
	if (ta_is_icmp_echo(t->proto, l4[0])) {
		t->sport = ((__u16)l4[4] << 8) | l4[5];
		t->dport = t->sport;
	}
	return 0;
}

/* The flow, as one of the audited interfaces keyed it (k: the last key tried) */
static __always_inline struct ta_flow_hot *ta_drop_find_flow(struct ta_flow_key *k, const struct ta_tuple *t,
							    __u8 dir)
{
	struct ta_flow_hot *f;
	int i;

	for (i = 0; i < TA_MAX_IFACES; i++) {
		__u32 ifx = audited_ifindex[i];

		if (!ifx)
			break;
		ta_flow_key_of(k, t, dir, ifx);
		f = ta_flow_find_key(k);
		if (f)
			return f;
	}
	return NULL;
}

/*
 * Our own enforce-mode drop of flow f, freed just now on this CPU: already
 * counted.  'Just now' is at most 100 ms: a vCPU of an emulated or loaded
 * machine can be descheduled between the two for more than the microsecond
 * it takes elsewhere (1 ms was too short under qemu TCG), and a block of a
 * flow enforce mode is already dropping changes nothing its diagnosis says.
 */
static __always_inline int ta_drop_is_own(const struct ta_flow_hot *f)
{
	__u32 zero = 0;
	struct ta_selfdrop *sd = bpf_map_lookup_elem(&ta_selfdrop, &zero);

	if (sd && sd->flow == (__u64)(long)f && bpf_ktime_get_ns() - sd->ts_ns < TA_NSEC_PER_SEC / 10) {
		sd->flow = 0;
		return 1;
	}
	return 0;
}

/* A socket let it go: the flow's business, not a block */
static __always_inline void ta_drop_endpoint(struct ta_flow_hot *f, const struct ta_flow_key *k, __u32 reason,
					     __u64 loc)
{
	struct ta_flow_cold *c;

	ta_count(TA_C_KDROP_ENDPOINT);
	if (f && (c = ta_flow_cold(f, k))) {
		__sync_fetch_and_add(&c->endpoint_drops, 1);
		c->last_ep_reason = reason;
		c->last_ep_loc = loc;
	}
}

/* At most one drop event per flow per TA_DROP_EV_GAP_NS: 1 when this one may go */
static __always_inline int ta_drop_event_due(struct ta_flow_cold *c)
{
	__u64 now = bpf_ktime_get_ns();

	if (now - c->last_drop_ev_ns < TA_DROP_EV_GAP_NS) {
		ta_count(TA_C_KDROP_EV_BOUND);
		return 0;
	}
	c->last_drop_ev_ns = now;
	return 1;
}

/* Drops in other network namespaces are not this gateway's: the first test,
 * before any of the skb is read (every drop in the host comes here) */
static __always_inline int ta_drop_foreign(__u32 ino)
{
	return !audited_netns || (ino && ino != audited_netns);
}

/*
 * The skb's fields come from the caller: read directly through BTF in the
 * tp_btf program (plain loads, no helper calls), through CO-RE helpers in
 * the classic tracepoint.  ino: network namespace of the skb (0: unknown).
 * Parse, find the flow (or make one), charge the block to it.
 */
static __always_inline int ta_on_drop(struct sk_buff *skb, unsigned char *head, __u16 nh, __u16 th,
				      __u32 tail, __u32 ino, __u64 loc, __u32 reason)
{
	struct ta_tuple t = {};
	struct ta_flow_key k = {};
	struct ta_flow_hot *f;
	struct ta_flow_cold *c;
	__u32 slot = active_gen & 1, wire, out;
	__u8 dir, cls, tcp_flags, drop_flow = TA_DF_KNOWN, route;
	union ta_drop_hdrs h;
	__u64 cover;

	if (!head || nh == (__u16)~0U || ta_drop_ip(head, nh, &th, &h, &t, &wire))
		return 0;
	/* the side in the policy is the remote one */
	cover = ta_cover(slot, t.family, t.dst);
	dir = TA_DIR_OUT;
	if (!cover) {
		cover = ta_cover(slot, t.family, t.src);
		dir = TA_DIR_IN;
	}
	if (!cover)
		return 0;
	/* policy traffic whose namespace is unknown: maybe not this host's */
	if (!ino) {
		ta_count(TA_C_KDROP_NONS);
		return 0;
	}
	tcp_flags = ta_drop_l4(head, th, &h, &t);
	/* the class first: its search is verified once, not once per kind of
	 * flow map the lookup below may have found the flow in */
	cls = ta_drop_class_of(reason, loc);
	f = ta_drop_find_flow(&k, &t, dir);
	if (f && ta_drop_is_own(f))
		return 0;
	if (cls == TA_DC_ENDPOINT) {
		ta_drop_endpoint(f, &k, reason, loc);
		return 0;
	}
	out = ta_skb_route(skb, &route); /* where it was going, or the route refused it */
	if (!f) {
		/* judged as the packet opening its flow, as the hooks would have */
		__u64 m = cover & ta_port_rules(slot, t.proto, dir, dir == TA_DIR_OUT ? t.dport : t.sport);

		f = ta_drop_new_flow(&k, &t, dir, m, tcp_flags, out, &drop_flow);
		if (!f) {
			ta_count_block_reason(reason);
			ta_count(drop_flow == TA_DF_NONE ? TA_C_KDROP_NOFLOW : TA_C_KDROP_ELSEWHERE);
			ta_flow_key_of(&k, &t, dir, 0);
			ta_emit(&k, TA_EV_KERNEL_DROP, m ? TA_V_ALLOWED : TA_V_UNEXPECTED, dir,
				m ? ta_first_rule(m) : TA_NO_RULE, drop_flow, reason, loc, TA_C_EV_LOST_DROP, NULL);
			return 0;
		}
	}
	ta_count_block_reason(reason);
	ta_count(TA_C_KDROP);
	c = ta_flow_cold(f, &k);
	if (!c) { /* the cold table refused: the block is counted, not described */
		ta_drop_event(&k, dir, f->state, reason, loc, drop_flow);
		return 0;
	}
	__sync_fetch_and_add(&c->kernel_drops, 1);
	c->last_drop_reason = reason;
	c->last_drop_loc = loc;
	c->last_drop_dir = dir;
	c->last_drop_tcp = tcp_flags;
	c->last_drop_route = route;
	if (cfg_capture)
		ta_drop_capture(f, c, &k, dir, head, nh, wire, tail > nh ? tail - nh : 0, reason, loc);
	if (ta_drop_event_due(c))
		ta_drop_event(&k, dir, f->state, reason, loc, drop_flow);
	return 0;
}

/* The tracepoint passes the receiving socket (rx_sk) since Linux 6.11: the
 * loader sets this where the kernel has it.  Older kernels: the read below
 * is removed before the verifier sees it. */
const volatile __u8 cfg_drop_rx_sk = 0;
/* and the drop reason since Linux 5.17 (before: no third argument) */
const volatile __u8 cfg_drop_reason = 0;

SEC("tp_btf/kfree_skb")
int tokaudit_kfree_skb(unsigned long long *ctx)
{
	/* args: skb, location, reason[, rx_sk], typed by the kernel's BTF */
	struct sk_buff *skb = (struct sk_buff *)ctx[0];
	struct net_device *dev = skb->dev;
	struct sock *sk = skb->sk;
	__u32 ino = 0;

	/* The socket's namespace first: on a socket's queues skb->dev may hold
	 * something else (UDP keeps scratch data there), and a queued skb may
	 * have no owner but the socket the tracepoint names. */
	if (!sk && cfg_drop_rx_sk)
		sk = (struct sock *)ctx[3];
	if (sk)
		ino = sk->__sk_common.skc_net.net->ns.inum;
	if (!ino && dev)
		ino = dev->nd_net.net->ns.inum;
	if (ta_drop_foreign(ino))
		return 0;
	return ta_on_drop(skb, skb->head, skb->network_header, skb->transport_header, skb->tail, ino, (__u64)ctx[1],
			  cfg_drop_reason ? (__u32)ctx[2] : 0);
}

/* Kernels without BTF for tp_btf: the classic tracepoint; reason only where it exists. */
SEC("tracepoint/skb/kfree_skb")
int tokaudit_kfree_skb_tp(struct trace_event_raw_kfree_skb *ctx)
{
	struct sk_buff *skb = (struct sk_buff *)BPF_CORE_READ(ctx, skbaddr);
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	__u32 reason = 0, ino = 0;

	if (bpf_core_field_exists(ctx->reason))
		reason = BPF_CORE_READ(ctx, reason);
	struct sock *sk = BPF_CORE_READ(skb, sk);

	if (!sk && bpf_core_field_exists(ctx->rx_sk))
		sk = (struct sock *)BPF_CORE_READ(ctx, rx_sk);
	if (sk)
		ino = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (!ino && dev)
		ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	if (ta_drop_foreign(ino))
		return 0;
	return ta_on_drop(skb, BPF_CORE_READ(skb, head), BPF_CORE_READ(skb, network_header),
			  BPF_CORE_READ(skb, transport_header), BPF_CORE_READ(skb, tail), ino,
			  (__u64)BPF_CORE_READ(ctx, location), reason);
}

#endif
