// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The names of the ABI's enums that need more than an inline table. */
#include <stdio.h>
#include "names.h"

const char *ta_invalid_name(int r)
{
	static const char *const n[] = {
		[TA_INV_NONE] = "none",
		[TA_INV_L2_TRUNC] = "l2-truncated",
		[TA_INV_L2_VLAN] = "too-many-vlan-tags",
		[TA_INV_IP4_TRUNC] = "ipv4-truncated",
		[TA_INV_IP4_HDR] = "ipv4-bad-header",
		[TA_INV_IP6_TRUNC] = "ipv6-truncated",
		[TA_INV_IP6_HDR] = "ipv6-bad-header",
		[TA_INV_IP6_CHAIN] = "ipv6-ext-chain-too-long",
		[TA_INV_L4_TRUNC] = "l4-truncated",
		[TA_INV_TCP_DOFF] = "tcp-bad-data-offset",
		[TA_INV_ICMP_QUOTE] = "icmp-bad-quote",
		[TA_INV_UDP_LEN] = "udp-bad-length",
	};

	return r >= 0 && r < TA_INV_MAX ? n[r] : "?";
}

const char *ta_counter_name(int c)
{
	static const char *const n[TA_C_INV_BASE] = {
		[TA_C_POLICY_DROP] = "policy_drops",
		[TA_C_FLOW_NEW] = "flows_created",
		[TA_C_FLOW_FAIL] = "flow_create_failed",
		[TA_C_FRAG_FIRST] = "frag_first",
		[TA_C_FRAG_INHERIT] = "frag_inherited",
		[TA_C_FRAG_ORPHAN] = "frag_orphan",
		[TA_C_ICMP_ERR_FLOW] = "icmp_errors_attributed",
		[TA_C_EV_SENT] = "events_sent",
		[TA_C_EV_LOST_NEW] = "events_lost_new_flow",
		[TA_C_EV_LOST_UNEXP] = "events_lost_unexpected",
		[TA_C_KDROP] = "kernel_drops",
		[TA_C_KDROP_NOFLOW] = "kernel_drops_no_flow",
		[TA_C_KDROP_ELSEWHERE] = "kernel_drops_elsewhere",
		[TA_C_KDROP_EV_BOUND] = "drop_events_rate_bounded",
		[TA_C_EV_LOST_DROP] = "events_lost_kernel_drop",
		[TA_C_CAP_SENT] = "evidence_captured",
		[TA_C_CAP_BOUND] = "evidence_rate_bounded",
		[TA_C_CAP_LOST] = "evidence_lost",
		[TA_C_KDROP_NONS] = "kernel_drops_ns_unknown",
		[TA_C_KDROP_ENDPOINT] = "kernel_drops_endpoint",
		[TA_C_KDROP_FLOW_NEW] = "flows_created_by_drops",
		[TA_C_KDROP_MISSED] = "kernel_drops_missed",
		[TA_C_DNS_ANSWERS] = "dns_answers_learned_from",
		[TA_C_DNS_LEARNED] = "dns_addresses_learned",
		[TA_C_DNS_NEW] = "dns_addresses_new",
		[TA_C_DNS_UNASKED] = "dns_answers_unasked",
		[TA_C_DNS_BAD] = "dns_malformed",
		[TA_C_DNS_CUT] = "dns_answers_cut",
		[TA_C_DNS_DRIFT] = "dns_name_drift",
		[TA_C_RTP_STREAMS] = "rtp_streams",
		[TA_C_RTP_FULL] = "rtp_streams_full",
	};
	/* invalid packets by reason: "invalid_" + the reason, dashes as underscores */
	static char inv[TA_INV_MAX][48];

	if (c >= TA_C_INV_BASE && c < TA_C_MAX) {
		int r = c - TA_C_INV_BASE;

		if (!inv[r][0]) {
			snprintf(inv[r], sizeof(inv[r]), "invalid_%s", r ? ta_invalid_name(r) : "other");
			for (char *p = inv[r]; *p; p++)
				if (*p == '-')
					*p = '_';
		}
		return inv[r];
	}
	return c >= 0 && c < TA_C_INV_BASE && n[c] ? n[c] : "?";
}

const char *ta_proto_name(int proto, char *buf, size_t len)
{
	switch (proto) {
	case TA_IPPROTO_TCP: return "tcp";
	case TA_IPPROTO_UDP: return "udp";
	case TA_IPPROTO_ICMP: return "icmp";
	case TA_IPPROTO_ICMPV6: return "icmp6";
	default:
		snprintf(buf, len, "ip-proto-%d", proto);
		return buf;
	}
}
