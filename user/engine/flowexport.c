// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A flow as IPFIX records: see flowexport.h. */
#include <string.h>
#include "dp.h"
#include "flowexport.h"
#include "flows.h"
#include "ipfix.h"
#include "kdrop.h"
#include "names.h"

void ta_flow_export(struct ta_ipfix *ipfix, const struct ta_flow_ctx *c, const struct ta_flow_key *k,
		    const struct ta_flow_val *v, struct ta_exported *x, int reason, uint64_t now_ns)
{
	struct ta_ipfix_rec r = {
		.start_ms = (uint64_t)(ta_ktime_to_unix(v->first_ns) * 1000),
		.end_ms = (uint64_t)(ta_ktime_to_unix(v->last_ns) * 1000),
		.policy_drops = v->policy_drops, .kernel_drops = v->kernel_drops,
		.icmp_errors = v->icmp_errors, .family = k->family, .proto = k->proto,
		.end_reason = (uint8_t)reason,
	};
	const char *rule = ta_flow_rule_label(c, v), *opener = ta_dir_name(v->opener);

	if (v->icmp_errors) {
		memcpy(r.icmp_from, v->icmp_from, 16);
		r.icmp_type_code = (uint16_t)(v->icmp_type << 8 | v->icmp_code);
	}
	snprintf(r.verdict, sizeof(r.verdict), "%s", ta_verdict_name(ta_flow_verdict(v)));
	snprintf(r.rule, sizeof(r.rule), "%s", rule ? rule : "");
	snprintf(r.opener, sizeof(r.opener), "%s", opener ? opener : "");
	snprintf(r.state, sizeof(r.state), "%s", ta_fstate_name(ta_flow_state(k, v, now_ns)));
	if (v->kernel_drops)
		ta_drop_reason_name(v->last_drop_reason, r.drop_reason, sizeof(r.drop_reason));
	struct ta_dname dn;
	if (ta_flow_name(c, k, &dn, NULL))
		snprintf(r.server_name, sizeof(r.server_name), "%s", dn.name);
	ta_flow_carries_str(v, r.carries, sizeof(r.carries));
	for (int d = TA_DIR_IN; d <= TA_DIR_OUT; d++) {
		if (v->packets[d] <= x->packets[d])
			continue;
		r.packets = v->packets[d] - x->packets[d];
		r.octets = v->bytes[d] >= x->bytes[d] ? v->bytes[d] - x->bytes[d] : 0;
		r.tcp_flags = (uint16_t)((v->flags >> TA_FF_TCP_SHIFT(d)) & 0xff);
		if (d == TA_DIR_OUT) { /* local -> remote, leaving through the interface */
			memcpy(r.src, k->local, 16);
			memcpy(r.dst, k->remote, 16);
			r.sport = k->lport;
			r.dport = k->rport;
			r.ingress = 0;
			r.egress = k->ifindex;
			r.direction = 1;
		} else {
			memcpy(r.src, k->remote, 16);
			memcpy(r.dst, k->local, 16);
			r.sport = k->rport;
			r.dport = k->lport;
			r.ingress = k->ifindex;
			r.egress = 0;
			r.direction = 0;
		}
		if (ta_is_icmp(k->proto)) /* an echo identifier is no port */
			r.sport = r.dport = 0;
		ta_ipfix_put(ipfix, &r);
		x->packets[d] = v->packets[d];
		x->bytes[d] = v->bytes[d];
	}
	x->ns = now_ns;
}
