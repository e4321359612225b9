// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tokaudit kernel programs: the XDP program (ingress) and the tc program
 * (clsact egress, or ingress where XDP is not wanted) share one parser, one
 * classifier (classify.h, which reads top to bottom) and one set of maps;
 * the kfree_skb tracer of drop forensics is in drops.h.
 */
#include "classify.h"
#include "drops.h"
#include "dns.h"
#include "tls.h"

#define TC_ACT_UNSPEC (-1)
#define TC_ACT_SHOT 2

char LICENSE[] SEC("license") = "Dual BSD/GPL";

TA_DEFINE_PARSER(xdp, struct xdp_md, ctx->data, ctx->data_end)
TA_DEFINE_PARSER(tc, struct __sk_buff, ctx->data, ctx->data_end)
TA_DEFINE_DNS(xdp, struct xdp_md, ta_xdp_load)
TA_DEFINE_DNS(tc, struct __sk_buff, bpf_skb_load_bytes)
TA_DEFINE_TLS(xdp, struct xdp_md, ta_xdp_load)
TA_DEFINE_TLS(tc, struct __sk_buff, bpf_skb_load_bytes)
TA_DEFINE_RTCP(xdp, struct xdp_md, ta_xdp_load)
TA_DEFINE_CARRY(xdp, struct xdp_md, ta_xdp_load)
TA_DEFINE_RTCP(tc, struct __sk_buff, bpf_skb_load_bytes)
TA_DEFINE_CARRY(tc, struct __sk_buff, bpf_skb_load_bytes)

SEC("xdp")
int tokaudit_xdp(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	int rc, drop;
	TA_PKT_NEW(p, XDP_PASS)

	rc = ta_parse_xdp(ctx TA_PKT_ARG_LAST(p));
	/* a DNS answer teaches its addresses before its own verdict, and
	 * before it reaches the client */
	if (p->dns_len)
		ta_dns_xdp(ctx, TA_PKT_ARG(p) cfg_xdp_dir_mode);
	drop = ta_classify(TA_PKT_ARG(p) rc, cfg_xdp_dir_mode, ctx->ingress_ifindex, len);
	if (p->out_carry || p->out_media)
		ta_carry_xdp(ctx, TA_PKT_ARG(p) ctx->ingress_ifindex);
	if (p->out_flow)
		ta_tls_xdp(ctx, TA_PKT_ARG(p) ctx->ingress_ifindex);

	if (cfg_capture && p->out_capture) {
		__u32 n;
		struct ta_capture *c = ta_cap_reserve(p->out_verdict, p->out_dir, p->out_rule, p->out_policy_drop, len,
						      ctx->ingress_ifindex, &n);

		if (c)
			ta_cap_submit(c, n, n ? ta_xdp_load(ctx, 0, c->data, ta_cap_len(n)) : 0);
	}
	return drop ? XDP_DROP : XDP_PASS;
}

/* tc: one body, two programs (egress, and ingress with --hook tc), each
 * with its own direction mode. */
static __always_inline int ta_tc(struct __sk_buff *skb, __u32 mode)
{
	/* counted as the wire carries the frame: a VLAN tag the stack keeps in
	 * the skb's metadata (offloaded) counts, as XDP counts it inline (the
	 * evidence holds the bytes the skb has, tag-less) */
	__u32 len = skb->len + (skb->vlan_present ? TA_VLAN_HLEN : 0);
	int rc;
	TA_PKT_NEW(p, TC_ACT_UNSPEC)

	/* Headers of a non-linear skb may lie beyond data_end: pull them in. */
	if (skb->data_end - skb->data < 128 && skb->len > skb->data_end - skb->data)
		bpf_skb_pull_data(skb, skb->len < 128 ? skb->len : 128);
	rc = ta_parse_tc(skb TA_PKT_ARG_LAST(p));
	if (p->dns_len)
		ta_dns_tc(skb, TA_PKT_ARG(p) mode);
	rc = ta_classify(TA_PKT_ARG(p) rc, mode, skb->ifindex, len);
	if (p->out_carry || p->out_media)
		ta_carry_tc(skb, TA_PKT_ARG(p) skb->ifindex);
	if (p->out_flow)
		ta_tls_tc(skb, TA_PKT_ARG(p) skb->ifindex);
	if (cfg_capture && p->out_capture) {
		__u32 n;
		struct ta_capture *c = ta_cap_reserve(p->out_verdict, p->out_dir, p->out_rule, p->out_policy_drop,
						      skb->len, skb->ifindex, &n);

		if (c)
			ta_cap_submit(c, n, n ? bpf_skb_load_bytes(skb, 0, c->data, ta_cap_len(n)) : 0);
	}
	return rc ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("tc")
int tokaudit_tc(struct __sk_buff *skb) /* egress (or the only tc hook) */
{
	return ta_tc(skb, cfg_tc_dir_mode);
}

SEC("tc")
int tokaudit_tc_in(struct __sk_buff *skb) /* ingress, with --hook tc */
{
	return ta_tc(skb, cfg_tc_in_dir_mode);
}
