// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The Calls section of run's report and replay's summary: per inside
 * client, the path its media took, its media health, and the finding.
 */
#include <stdio.h>
#include "callrep.h"
#include "json.h"
#include "media.h"
#include "policy.h"

static json_object *call_json(const struct ta_call *c)
{
	json_object *o = json_object_new_object(), *p = json_object_new_object();
	char a[64], finding[1024];

	ta_addr_str(c->client, a, sizeof(a));
	ta_jadd(o, "client", ta_jstr(a));
	ta_jadd(o, "path", ta_jstr(ta_call_path(c) < 0 ? NULL : ta_path_name(ta_call_path(c))));
	for (int i = 0; i < TA_PATH_MAX; i++)
		ta_jadd(p, ta_path_name(i), ta_ju64(c->flows[i]));
	ta_jadd(o, "media_flows", p);
	ta_jadd(o, "rtp_streams", ta_ju64(c->streams));
	ta_jadd(o, "rtp_expected", ta_ju64(c->expected));
	ta_jadd(o, "rtp_lost", ta_ju64(c->lost));
	ta_jadd(o, "rtp_loss_pct", c->expected ? ta_jnum(ta_media_loss_pct(c->lost, c->expected), 2) : NULL);
	ta_jadd(o, "jitter_ms", c->jitter_us == TA_MEDIA_NO_JITTER ? NULL : ta_jnum(c->jitter_us / 1000.0, 2));
	ta_jadd(o, "udp_unanswered_flows", ta_ju64(c->udp_unanswered));
	ta_jadd(o, "udp_blocked_packets", ta_ju64(c->udp_blocked));
	ta_jadd(o, "finding", ta_call_finding(c, finding, sizeof(finding)) ? ta_jstr(finding) : NULL);
	return o;
}

static void call_plain(FILE *f, const struct ta_call *c)
{
	char a[64], lost[32] = "-", jit[32] = "-";
	int p = ta_call_path(c);
	uint64_t flows = 0;

	for (int i = 0; i < TA_PATH_MAX; i++)
		flows += c->flows[i];
	ta_addr_str(c->client, a, sizeof(a));
	if (c->expected)
		snprintf(lost, sizeof(lost), "%.2f%% (%llu)", ta_media_loss_pct(c->lost, c->expected),
			 (unsigned long long)c->lost);
	if (c->jitter_us != TA_MEDIA_NO_JITTER)
		snprintf(jit, sizeof(jit), "%.1f ms", c->jitter_us / 1000.0);
	fprintf(f, "  %-39s %-12s %5llu %7u  %-16s %s\n", a, p < 0 ? "none" : ta_path_name(p),
		(unsigned long long)flows, c->streams, lost, jit);
}

void ta_calls_report(FILE *f, json_object *obj, const struct ta_calls *cs)
{
	char finding[1024];
	bool any = false;

	if (obj) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < cs->n; i++)
			json_object_array_add(a, call_json(&cs->c[i]));
		ta_jadd(obj, "calls", a);
		return;
	}
	fputs("\nCalls (media per inside client; RTP loss and jitter as this gateway sees them):\n", f);
	if (!cs->n) {
		fputs("  none seen\n", f);
		return;
	}
	fprintf(f, "  %-39s %-12s %5s %7s  %-16s %s\n", "CLIENT", "PATH", "FLOWS", "STREAMS", "LOST", "JITTER");
	for (size_t i = 0; i < cs->n; i++)
		call_plain(f, &cs->c[i]);
	for (size_t i = 0; i < cs->n; i++)
		if (ta_call_finding(&cs->c[i], finding, sizeof(finding))) {
			if (!any)
				fputs("  Findings:\n", f);
			any = true;
			fprintf(f, "  - %s\n", finding);
		}
}
