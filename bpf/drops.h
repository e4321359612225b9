/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Drop forensics: the kernel's kfree_skb tracepoint, for every packet the
 * kernel frees as dropped.  Packets whose remote end is in the policy are
 * charged to their flow (count, last reason, last location, direction) and
 * reported to userspace, at most once per flow per TA_DROP_EV_GAP_NS.
 * Every other drop costs a few reads and one or two LPM lookups.
 *
 * The skb is read through CO-RE (head + network/transport header offsets),
 * so forwarded, local and egress drops are all seen.
 */
#ifndef TA_DROPS_H
#define TA_DROPS_H

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "classify.h"

static __always_inline void ta_drop_event(const struct ta_flow_key *k, __u8 dir, __u32 rule,
					  __u32 reason, __u64 loc, __u8 has_flow)
{
	struct ta_event *e;

	if (!cfg_events)
		return;
	e = bpf_ringbuf_reserve(&ta_events, sizeof(*e), 0);
	if (!e) {
		ta_count(TA_C_EV_LOST_DROP);
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	__builtin_memcpy(&e->key, k, sizeof(*k));
	e->rule = rule;
	e->generation = active_gen;
	e->type = TA_EV_KERNEL_DROP;
	e->verdict = 0;
	e->dir = dir;
	e->has_flow = has_flow;
	e->drop_reason = reason;
	e->drop_loc = loc;
	bpf_ringbuf_submit(e, 0);
	ta_count(TA_C_EV_SENT);
}

/*
 * The skb's fields come from the caller: read directly through BTF in the
 * tp_btf program (plain loads, no helper calls), through CO-RE helpers in
 * the classic tracepoint.  ino: network namespace of the skb (0: unknown).
 */
static __always_inline int ta_on_drop(struct sk_buff *skb, unsigned char *head, __u16 nh, __u16 th, __u32 ino,
				      __u32 wire, __u64 loc, __u32 reason)
{
	struct ta_tuple t = {};
	struct ta_flow_key k = {};
	struct ta_flow_val *f = NULL;
	__u32 slot = active_gen & 1;
	__u8 first, dir;
	__u64 cover;
	int i;

	/* drops in other network namespaces are not this gateway's */
	if (audited_netns && ino && ino != audited_netns)
		return 0;
	if (!head || nh == (__u16)~0U)
		return 0;
	struct iphdr ip;

	/* one read for IPv4; IPv6 reads its longer header again */
	if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
		return 0;
	first = ((__u8 *)&ip)[0];
	if ((first >> 4) == 4) {
		if (ip.ihl < 5)
			return 0;
		t.family = 4;
		t.proto = ip.protocol;
		ta_addr4(t.src, ip.saddr);
		ta_addr4(t.dst, ip.daddr);
		if (bpf_ntohs(ip.frag_off) & 0x1fff)
			t.frag = TA_FRAG_LATER;
		if (th == (__u16)~0U || th <= nh)
			th = nh + ip.ihl * 4;
	} else if ((first >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return 0;
		t.family = 6;
		t.proto = ip6.nexthdr; /* extension headers: the transport header says where L4 is */
		ta_addr6(t.src, &ip6.saddr);
		ta_addr6(t.dst, &ip6.daddr);
		if (th == (__u16)~0U || th <= nh)
			th = nh + sizeof(ip6);
	} else {
		return 0;
	}

	/* the side in the policy is the remote one */
	cover = ta_lpm(slot, t.dst);
	dir = TA_DIR_OUT;
	if (!cover) {
		cover = ta_lpm(slot, t.src);
		dir = TA_DIR_IN;
	}
	if (!cover)
		return 0;

	if (t.frag != TA_FRAG_LATER) {
		__u8 l4[8];

		if (!bpf_probe_read_kernel(l4, sizeof(l4), head + th)) {
			if (t.proto == TA_IPPROTO_TCP || t.proto == TA_IPPROTO_UDP) {
				t.sport = ((__u16)l4[0] << 8) | l4[1];
				t.dport = ((__u16)l4[2] << 8) | l4[3];
			} else if (ta_is_icmp_echo(t.proto, l4[0])) {
				t.sport = ((__u16)l4[4] << 8) | l4[5];
				t.dport = t.sport;
			}
		}
	}
	/* the flow, as one of the audited interfaces keyed it */
	for (i = 0; i < TA_MAX_IFACES; i++) {
		__u32 ifx = audited_ifindex[i];

		if (!ifx)
			break;
		ta_flow_key_of(&k, &t, dir, ifx);
		f = bpf_map_lookup_elem(&ta_flows, &k);
		if (f)
			break;
	}
	if (f) {
		__u32 zero = 0;
		struct ta_selfdrop *sd = bpf_map_lookup_elem(&ta_selfdrop, &zero);

		/* our own enforce-mode drop, freed just now: already counted */
		if (sd && sd->flow == (__u64)(long)f && bpf_ktime_get_ns() - sd->ts_ns < 1000000) {
			sd->flow = 0;
			return 0;
		}
	}
	if (!f) {
		ta_count(TA_C_KDROP_NOFLOW);
		ta_flow_key_of(&k, &t, dir, 0);
		ta_drop_event(&k, dir, TA_NO_RULE, reason, loc, 0);
		return 0;
	}
	ta_count(TA_C_KDROP);
	__sync_fetch_and_add(&f->kernel_drops, 1);
	f->last_drop_reason = reason;
	f->last_drop_loc = loc;
	f->last_drop_dir = dir;
	if (cfg_capture && ta_capture_allowed(f)) {
		struct ta_capture *c = bpf_ringbuf_reserve(&ta_events, sizeof(*c), 0);
		__u32 n;

		if (!c) {
			ta_count(TA_C_CAP_LOST);
			goto event;
		}
		/* skb->len counts from skb->data; the capture starts at the network header */
		n = wire < cfg_capture ? wire : cfg_capture;
		if (n > TA_CAP_MAX)
			n = TA_CAP_MAX;
		c->ts_ns = bpf_ktime_get_ns();
		c->type = TA_EV_CAPTURE;
		c->verdict = (f->flags & TA_FF_UNEXPECTED) ? TA_V_UNEXPECTED : TA_V_ALLOWED;
		c->dir = dir;
		c->l3 = 1;
		c->rule = f->rule;
		c->wire_len = wire;
		c->ifindex = k.ifindex;
		c->drop_reason = reason;
		c->drop_loc = loc;
		c->policy_drop = 0;
		if (n && bpf_probe_read_kernel(c->data, n, head + nh)) {
			bpf_ringbuf_discard(c, 0);
			ta_count(TA_C_CAP_LOST);
			goto event;
		}
		c->cap_len = n;
		bpf_ringbuf_submit(c, 0);
		ta_count(TA_C_CAP_SENT);
	}
event:
	{
		__u64 now = bpf_ktime_get_ns();

		if (now - f->last_drop_ev_ns < TA_DROP_EV_GAP_NS) {
			ta_count(TA_C_KDROP_EV_BOUND);
			return 0;
		}
		f->last_drop_ev_ns = now;
	}
	ta_drop_event(&k, dir, f->rule, reason, loc, 1);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(tokaudit_kfree_skb, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	struct net_device *dev = skb->dev;
	struct sock *sk = skb->sk;
	__u32 ino = 0;

	if (dev)
		ino = dev->nd_net.net->ns.inum;
	else if (sk)
		ino = sk->__sk_common.skc_net.net->ns.inum;
	return ta_on_drop(skb, skb->head, skb->network_header, skb->transport_header, ino, skb->len,
			  (__u64)location, (__u32)reason);
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
	if (dev)
		ino = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	else if (BPF_CORE_READ(skb, sk))
		ino = BPF_CORE_READ(skb, sk, __sk_common.skc_net.net, ns.inum);
	return ta_on_drop(skb, BPF_CORE_READ(skb, head), BPF_CORE_READ(skb, network_header),
			  BPF_CORE_READ(skb, transport_header), ino, BPF_CORE_READ(skb, len),
			  (__u64)BPF_CORE_READ(ctx, location), reason);
}

#endif
