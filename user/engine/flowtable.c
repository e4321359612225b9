// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "dp.h"
#include "flows.h"
#include "flowtable.h"
#include "kdrop.h"
#include "names.h"
#include "units.h"

const struct ta_col ta_flow_cols[FC_MAX] = {
	[FC_FLOW] = { "FLOW" },
	[FC_PROTO] = { "PROTO" },
	[FC_LOCAL] = { "LOCAL" },
	[FC_REMOTE] = { "REMOTE" },
	[FC_NAME] = { "NAME", .help = "the server name the remote address was learned by from DNS" },
	[FC_CARRIES] = { "CARRIES", .help = "what the payloads are: stun(methods), dtls, rtp, rtcp, turn-channel(what "
					    "it relays), quic, tls, unknown" },
	[FC_MEDIA] = { "MEDIA", .help = "RTP streams, the share of their packets lost before this gateway (RFC 3550), "
					"and the largest jitter" },
	[FC_VERDICT] = { "VERDICT" },
	[FC_RULE] = { "RULE" },
	[FC_STATE] = { "STATE" },
	[FC_OPENED] = { "OPENED", .help = "the direction of the first packet" },
	[FC_PKTS_OUT] = { "PKTS-OUT", true },
	[FC_PKTS_IN] = { "PKTS-IN", true },
	[FC_BYTES_OUT] = { "BYTES-OUT", true },
	[FC_BYTES_IN] = { "BYTES-IN", true },
	[FC_AGE] = { "AGE", true },
	[FC_IDLE] = { "IDLE", true },
	[FC_NOTES] = { "NOTES", .help = "drops, ICMP errors, a rule that allows only the other opener", .wrap = true },
	[FC_IFACE] = { "IFACE" },
};

/* One row of the flows table: every column's cell */
int ta_flow_row(struct ta_table *t, const struct ta_flow_ctx *c, const char *ifname, const struct ta_flow_key *k,
		const struct ta_flow_val *v, bool raw)
{
	char ends[160], pb[16], loc[64], rem[80], po[24], pi[24], bo[24], bi[24], age[24], idle[24], notes[640] = "";
	const char *cells[FC_MAX] = { 0 }, *rule = ta_flow_rule_label(c, v), *rule2;
	struct ta_dname dn;
	char dnote[400], carries[160], media[80];
	double a = c->now_ns > v->first_ns ? (double)(c->now_ns - v->first_ns) / TA_NSEC_PER_SEC : 0;
	double i = c->now_ns > v->last_ns ? (double)(c->now_ns - v->last_ns) / TA_NSEC_PER_SEC : 0;

	ta_flow_ends(ends, sizeof(ends), k);
	ta_addr_str(k->local, loc, sizeof(loc));
	ta_addr_str(k->remote, rem, sizeof(rem));
	if (k->proto == TA_IPPROTO_TCP || k->proto == TA_IPPROTO_UDP)
		snprintf(rem + strlen(rem), sizeof(rem) - strlen(rem), ":%u", k->rport);
	if (raw) {
		snprintf(po, sizeof(po), "%llu", (unsigned long long)v->packets[TA_DIR_OUT]);
		snprintf(pi, sizeof(pi), "%llu", (unsigned long long)v->packets[TA_DIR_IN]);
		snprintf(bo, sizeof(bo), "%llu", (unsigned long long)v->bytes[TA_DIR_OUT]);
		snprintf(bi, sizeof(bi), "%llu", (unsigned long long)v->bytes[TA_DIR_IN]);
		snprintf(age, sizeof(age), "%.0f", a);
		snprintf(idle, sizeof(idle), "%.0f", i);
	} else {
		ta_fmt_count(po, sizeof(po), (double)v->packets[TA_DIR_OUT]);
		ta_fmt_count(pi, sizeof(pi), (double)v->packets[TA_DIR_IN]);
		ta_fmt_bytes(bo, sizeof(bo), v->bytes[TA_DIR_OUT]);
		ta_fmt_bytes(bi, sizeof(bi), v->bytes[TA_DIR_IN]);
		ta_fmt_dur(age, sizeof(age), a);
		ta_fmt_dur(idle, sizeof(idle), i);
	}
	if (v->policy_drops)
		snprintf(notes, sizeof(notes), "dropped %llu", (unsigned long long)v->policy_drops);
	if (v->kernel_drops) {
		char rb[64];
		snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%skernel-dropped %llu (%s)",
			 *notes ? "; " : "", (unsigned long long)v->kernel_drops,
			 ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)));
	}
	if (v->icmp_errors) {
		char from[64];
		ta_addr_str(v->icmp_from, from, sizeof(from));
		snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%s%u icmp error%s, last %u/%u from %s",
			 *notes ? "; " : "", v->icmp_errors, v->icmp_errors == 1 ? "" : "s", v->icmp_type, v->icmp_code,
			 from);
	}
	const char *sni = ta_flow_sni_status(c, k);
	if (sni && (!strcmp(sni, "split") || !strcmp(sni, "malformed")))
		snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%sClientHello %s: no name read",
			 *notes ? "; " : "", !strcmp(sni, "split") ? "split over segments" : "malformed");
	if (ta_flow_drift_note(c, k, dnote, sizeof(dnote)))
		snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%s%s", *notes ? "; " : "", dnote);
	if ((rule2 = ta_flow_other_way_rule(c, k, v))) /* short: the sentence is why's */
		snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%s%s: %s-opened only",
			 *notes ? "; " : "", rule2, (v->opener & 1) == TA_DIR_IN ? "out" : "in");
	cells[FC_FLOW] = ends;
	cells[FC_PROTO] = ta_proto_name(k->proto, pb, sizeof(pb));
	cells[FC_LOCAL] = loc;
	cells[FC_REMOTE] = rem;
	cells[FC_NAME] = ta_flow_name(c, k, &dn, NULL) ? dn.name : "-";
	cells[FC_CARRIES] = *ta_flow_carries_str(v, carries, sizeof(carries)) ? carries : "-";
	cells[FC_MEDIA] = *ta_flow_media_str(v, media, sizeof(media)) ? media : "-";
	cells[FC_VERDICT] = ta_verdict_name(ta_flow_verdict(v));
	cells[FC_RULE] = rule ? rule : "-";
	cells[FC_STATE] = ta_fstate_name(ta_flow_state(k, v, c->now_ns));
	cells[FC_OPENED] = ta_dir_name(v->opener) ? ta_dir_name(v->opener) : "-";
	cells[FC_PKTS_OUT] = po;
	cells[FC_PKTS_IN] = pi;
	cells[FC_BYTES_OUT] = bo;
	cells[FC_BYTES_IN] = bi;
	cells[FC_AGE] = age;
	cells[FC_IDLE] = idle;
	cells[FC_NOTES] = notes;
	cells[FC_IFACE] = ifname;
	return ta_table_row(t, cells);
}

