// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One sentence an admin can act on, per flow that something blocked:
 *   UDP 10.1.0.5:40000 → 70.42.47.70:50000 (media, allowed): 120 out, 0 in; 118 dropped in this host at nft_do_chain (NETFILTER_DROP)
 * put together from what the datapath recorded on the flow.
 */
#include <stdio.h>
#include <string.h>
#include "dp.h"
#include "flows.h"
#include "kdrop.h"
#include "policy.h"
#include "why.h"

#define F_SYN 0x02

static void cat(char *buf, size_t len, size_t *used, int *parts, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#include <stdarg.h>
static void cat(char *buf, size_t len, size_t *used, int *parts, const char *fmt, ...)
{
	va_list ap;

	if (*used >= len)
		return;
	if ((*parts)++)
		*used += (size_t)snprintf(buf + *used, len - *used, "; ");
	if (*used >= len)
		return;
	va_start(ap, fmt);
	*used += (size_t)vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
}

int ta_flow_diagnosis(const struct ta_flow_key *k, const struct ta_flow_val *v, const char *const *labels,
		      uint64_t now_ns, char *buf, size_t len)
{
	char loc[64], rem[64], pb[24], rb[64], sb[128], from[64];
	const char *rule = v->rule < TA_MAX_RULES && labels[v->rule] ? labels[v->rule] : NULL;
	int state = ta_flow_state(k, v, now_ns);
	int o = v->opener & 1;
	unsigned opener_flags = (v->flags >> TA_FF_TCP_SHIFT(o)) & 0xff;
	size_t used;
	int parts = 0, affected = 0;
	char proto[24];

	snprintf(proto, sizeof(proto), "%s", ta_proto_name(k->proto, pb, sizeof(pb)));
	for (char *c = proto; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 32);
	ta_addr_str(k->local, loc, sizeof(loc));
	ta_addr_str(k->remote, rem, sizeof(rem));
	used = (size_t)snprintf(buf, len, "%s %s:%u \xe2\x86\x92 %s:%u (%s, %s): %llu out, %llu in", proto, loc,
				k->lport, rem, k->rport, rule ? rule : "no rule", ta_verdict_name(ta_flow_verdict(v)),
				(unsigned long long)v->packets[TA_DIR_OUT], (unsigned long long)v->packets[TA_DIR_IN]);
	parts = 1;
	if (v->kernel_drops) {
		affected = 1;
		cat(buf, len, &used, &parts, "%llu dropped in this host at %s (%s)%s",
		    (unsigned long long)v->kernel_drops, ta_ksym(v->last_drop_loc, sb, sizeof(sb)),
		    ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)),
		    v->last_drop_dir == TA_DIR_IN ? ", inbound" : ", outbound");
	}
	if (v->policy_drops) {
		affected = 1;
		cat(buf, len, &used, &parts, "%llu dropped by tokaudit (policy: unexpected)",
		    (unsigned long long)v->policy_drops);
	}
	if (v->icmp_errors) {
		affected = 1;
		ta_addr_str(v->icmp_from, from, sizeof(from));
		cat(buf, len, &used, &parts, "%s answered by ICMP %s (type %u code %u) from %s%s",
		    k->proto == 6 && (opener_flags & F_SYN) && !v->packets[o ^ 1] ? "SYN" : "traffic",
		    ta_icmp_name(k->family, v->icmp_type, v->icmp_code), v->icmp_type, v->icmp_code, from,
		    v->icmp_errors > 1 ? " (and earlier errors)" : "");
	}
	if (state == TA_FS_TCP_REFUSED) {
		affected = 1;
		cat(buf, len, &used, &parts, "SYN answered by a TCP reset (refused)");
	} else if (state == TA_FS_TCP_UNANSWERED && !v->icmp_errors) {
		affected = 1;
		cat(buf, len, &used, &parts, "SYN never answered");
	} else if (k->proto == 17 && (state == TA_FS_ONE_WAY_OUT || state == TA_FS_ONE_WAY_IN)) {
		affected = 1;
		cat(buf, len, &used, &parts, "UDP only ever flowed %s", state == TA_FS_ONE_WAY_OUT ? "out" : "in");
	}
	return affected;
}
