// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One sentence an admin can act on, per flow that something blocked:
 *   UDP 10.1.0.5:40000 → 70.42.47.70:50000 (media, allowed): 120 out, 0 in; 118 dropped in this host at nft_do_chain (NETFILTER_DROP)
 * put together from what the datapath recorded on the flow.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "dp.h"
#include "flows.h"
#include "kdrop.h"
#include "policy.h"
#include "why.h"


static void vapp(char *buf, size_t len, size_t *used, const char *fmt, va_list ap)
{
	if (*used < len)
		*used += (size_t)vsnprintf(buf + *used, len - *used, fmt, ap);
}

/* Append to the sentence's last part */
static void __attribute__((format(printf, 4, 5))) app(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vapp(buf, len, used, fmt, ap);
	va_end(ap);
}

/* Append a part, after "; " when it is not the first */
static void __attribute__((format(printf, 5, 6))) cat(char *buf, size_t len, size_t *used, int *parts,
						      const char *fmt, ...)
{
	va_list ap;

	if ((*parts)++)
		app(buf, len, used, "; ");
	va_start(ap, fmt);
	vapp(buf, len, used, fmt, ap);
	va_end(ap);
}

/* "TCP 10.0.0.1:40000 → 70.42.47.70:443 (control, allowed): ", the remote
 * end's server name after its address where known */
static size_t flow_head(const struct ta_flow_ctx *c, const struct ta_flow_key *k, const struct ta_flow_val *v,
			char *buf, size_t len)
{
	char loc[64], rem[64], pb[24], proto[24], nm[sizeof(struct ta_dname) + 4] = "";
	const char *rule = ta_flow_rule_label(c, v);
	struct ta_dname dn;

	snprintf(proto, sizeof(proto), "%s", ta_proto_name(k->proto, pb, sizeof(pb)));
	for (char *p = proto; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 32);
	ta_addr_str(k->local, loc, sizeof(loc));
	ta_addr_str(k->remote, rem, sizeof(rem));
	/* the server, where DNS named it: "70.42.47.70:443 [x.tokbox.com]" */
	if (ta_flow_name(c, k, &dn, NULL))
		snprintf(nm, sizeof(nm), " [%s]", dn.name);
	if (ta_is_icmp(k->proto)) /* no ports; an echo's identifier once */
		return (size_t)snprintf(buf, len, "%s %s \xe2\x86\x92 %s%s%.0u%s (%s, %s): ", proto, loc, rem,
					k->lport ? " echo id " : "", k->lport, nm, rule ? rule : "no rule",
					ta_verdict_name(ta_flow_verdict(v)));
	return (size_t)snprintf(buf, len, "%s %s:%u \xe2\x86\x92 %s:%u%s (%s, %s): ", proto, loc, k->lport, rem,
				k->rport, nm, rule ? rule : "no rule", ta_verdict_name(ta_flow_verdict(v)));
}

/* The kernel's drops of the flow: what died, where, why */
static void kernel_drops_clause(const struct ta_flow_key *k, const struct ta_flow_val *v, const char *ifname,
				bool before, char *buf, size_t len, size_t *used, int *parts)
{
	char rb[64], sb[128], eb[48];
	const char *route;
	/* a flow only ever seen dying: name what died, and where it was going */
	const char *what = k->proto == TA_IPPROTO_TCP && (v->last_drop_tcp & (TA_TCP_SYN | TA_TCP_ACK)) == TA_TCP_SYN
				   ? "SYN"
				   : "packet";

	if (before)
		cat(buf, len, used, parts, "%llu %s%s dropped in this host at %s (%s) before leaving %s",
		    (unsigned long long)v->kernel_drops, what, v->kernel_drops == 1 ? "" : "s",
		    ta_ksym(v->last_drop_loc, sb, sizeof(sb)),
		    ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)), ifname ? ifname : "the interface");
	else
		cat(buf, len, used, parts, "%llu dropped in this host at %s (%s)%s",
		    (unsigned long long)v->kernel_drops, ta_ksym(v->last_drop_loc, sb, sizeof(sb)),
		    ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)),
		    v->last_drop_dir == TA_DIR_IN ? ", inbound" : ", outbound");
	if ((route = ta_route_err_name(v->last_drop_route, eb, sizeof(eb))))
		app(buf, len, used, ": this host's routing refused it, %s", route);
}

/* What the endpoints did (--all): discards, and ICMP errors this side sent */
static int endpoint_clauses(const struct ta_flow_key *k, const struct ta_flow_val *v, char *buf, size_t len,
			    size_t *used, int *parts)
{
	char rb[64], sb[128], from[64];
	int affected = 0;

	if (v->endpoint_drops) {
		affected = 1;
		cat(buf, len, used, parts, "%u discarded by an endpoint at %s (%s)", v->endpoint_drops,
		    ta_ksym(v->last_ep_loc, sb, sizeof(sb)), ta_drop_reason_name(v->last_ep_reason, rb, sizeof(rb)));
	}
	if (v->icmp_sent) {
		/* this side refused what it was sent: not a block of the path */
		affected = 1;
		ta_addr_str(v->icmp_sent_from, from, sizeof(from));
		cat(buf, len, used, parts, "%u inbound %s refused by this side with ICMP %s (type %u code %u) from %s",
		    v->icmp_sent, v->icmp_sent == 1 ? "packet" : "packets",
		    ta_icmp_name(k->family, v->icmp_sent_type, v->icmp_sent_code), v->icmp_sent_type,
		    v->icmp_sent_code, from);
	}
	return affected;
}

/* What the flow's own packets say: refused, unanswered, one-way */
static int state_clause(const struct ta_flow_key *k, const struct ta_flow_val *v, int state, char *buf,
			size_t len, size_t *used, int *parts)
{
	if (state == TA_STATE_TCP_REFUSED)
		cat(buf, len, used, parts, "SYN answered by a TCP reset (refused)");
	else if (state == TA_STATE_TCP_UNANSWERED && !v->icmp_errors)
		cat(buf, len, used, parts, "SYN never answered");
	else if (k->proto == TA_IPPROTO_UDP && (state == TA_STATE_ONE_WAY_OUT || state == TA_STATE_ONE_WAY_IN))
		cat(buf, len, used, parts, "UDP only ever flowed %s", state == TA_STATE_ONE_WAY_OUT ? "out" : "in");
	else
		return 0;
	return 1;
}

int ta_flow_diagnosis(const struct ta_flow_ctx *c, const char *ifname, const struct ta_flow_key *k,
		      const struct ta_flow_val *v, bool all, char *buf, size_t len)
{
	char from[64], note[128];
	int state = ta_flow_state(k, v, c->now_ns);
	int o = v->opener & 1;
	unsigned opener_flags = (v->flags >> TA_FF_TCP_SHIFT(o)) & 0xff;
	bool before = state == TA_STATE_BLOCKED_BEFORE_EGRESS;
	size_t used = flow_head(c, k, v, buf, len);
	int parts = 0, affected = 0;

	if (!before) /* packets the audited interface saw */
		cat(buf, len, &used, &parts, "%llu out, %llu in", (unsigned long long)v->packets[TA_DIR_OUT],
		    (unsigned long long)v->packets[TA_DIR_IN]);
	if (v->kernel_drops) {
		affected = 1;
		kernel_drops_clause(k, v, ifname, before, buf, len, &used, &parts);
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
		    k->proto == TA_IPPROTO_TCP && (opener_flags & TA_TCP_SYN) && !v->packets[o ^ 1] ? "SYN" : "traffic",
		    ta_icmp_name(k->family, v->icmp_type, v->icmp_code), v->icmp_type, v->icmp_code, from,
		    v->icmp_errors > 1 ? " (and earlier errors)" : "");
	}
	affected |= state_clause(k, v, state, buf, len, &used, &parts);
	if (ta_flow_other_way_note(c, k, v, note, sizeof(note)))
		cat(buf, len, &used, &parts, "%s", note);
	if (all)
		affected |= endpoint_clauses(k, v, buf, len, &used, &parts);
	return affected;
}
