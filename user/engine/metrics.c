// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Prometheus exposition of live sessions: see metrics.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include "evwriter.h"
#include "kdrop.h"
#include "log.h"
#include "metrics.h"
#include "ipfix.h"
#include "session.h"

/* A label value, escaped as the text format wants (\\, \", \n). */
static void lv(FILE *f, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{interface="IF"[,k="v"]...} value */
static void sample(FILE *f, const char *name, const struct ta_session *s, const char *k1, const char *v1,
		   const char *k2, const char *v2, double value)
{
	fprintf(f, "%s{interface=\"", name);
	lv(f, s->ifaces[0].name);
	fputc('"', f);
	if (k1) {
		fprintf(f, ",%s=\"", k1);
		lv(f, v1);
		fputc('"', f);
	}
	if (k2) {
		fprintf(f, ",%s=\"", k2);
		lv(f, v2);
		fputc('"', f);
	}
	/* counters are integers: print them as such, exactly */
	if (value == (double)(uint64_t)value && value < 1e19)
		fprintf(f, "} %llu\n", (unsigned long long)value);
	else
		fprintf(f, "} %.9g\n", value);
}

struct snap { /* what one session's maps say now */
	struct ta_count vs[TA_VSTAT_MAX];
	struct ta_count rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	uint64_t reasons[TA_KDROP_REASON_SLOTS];
	uint32_t capacity;
};

static int snap_read(struct ta_session *s, struct snap *x)
{
	if (ta_dp_vstats(&s->dp, x->vs) || ta_dp_rstats(&s->dp, x->rs) || ta_dp_counters(&s->dp, x->cnt) ||
	    ta_dp_kdrop_reasons(&s->dp, x->reasons)) {
		ta_err("metrics: cannot read the counters of %s: %s", s->ifaces[0].name, strerror(errno));
		return -1;
	}
	x->capacity = ta_dp_flow_capacity(&s->dp);
	return 0;
}

static const char *const vs_dir[TA_VSTAT_DIRS] = { "in", "out", "none" };

static void verdict_dir(FILE *f, const char *name, const char *help, struct ta_session *const *ss, int n,
			const struct snap *x, bool bytes)
{
	family(f, name, "counter", help);
	for (int i = 0; i < n; i++)
		for (int v = 0; v < TA_V_MAX; v++)
			for (int d = 0; d < TA_VSTAT_DIRS; d++) {
				const struct ta_count *c = &x[i].vs[v * TA_VSTAT_DIRS + d];

				sample(f, name, ss[i], "verdict", ta_verdict_name(v), "direction", vs_dir[d],
				       (double)(bytes ? c->bytes : c->packets));
			}
}

static void per_rule(FILE *f, const char *name, const char *help, struct ta_session *const *ss, int n,
		     const struct snap *x, bool bytes)
{
	family(f, name, "counter", help);
	for (int i = 0; i < n; i++)
		for (uint32_t r = 0; r < ss[i]->meta.nrules && r < TA_MAX_RULES; r++)
			sample(f, name, ss[i], "rule", ss[i]->labels[r], NULL, NULL,
			       (double)(bytes ? x[i].rs[r].bytes : x[i].rs[r].packets));
}

/* One kernel counter per interface */
static void counter(FILE *f, const char *name, const char *help, struct ta_session *const *ss, int n,
		    const struct snap *x, int idx)
{
	family(f, name, "counter", help);
	for (int i = 0; i < n; i++)
		sample(f, name, ss[i], NULL, NULL, NULL, NULL, (double)x[i].cnt[idx]);
}

/* The IPFIX export, per collector */
static void ipfix_metrics(FILE *f, struct ta_ipfix *x)
{
	static const struct { const char *name, *type, *help; } fam[] = {
		{ "tokaudit_ipfix_records_total", "counter", "Flow records sent to the collector" },
		{ "tokaudit_ipfix_records_dropped_total", "counter",
		  "Flow records lost: the queue was full, or the collector unreachable" },
		{ "tokaudit_ipfix_errors_total", "counter", "Failed sends and connects to the collector" },
		{ "tokaudit_ipfix_queue_records", "gauge", "Flow records waiting to be sent" },
		{ "tokaudit_ipfix_connected", "gauge", "1 while the collector takes records (TCP: connected)" },
	};
	struct ta_ipfix_stats st;

	for (size_t j = 0; j < sizeof(fam) / sizeof(fam[0]); j++) {
		family(f, fam[j].name, fam[j].type, fam[j].help);
		for (int i = 0; !ta_ipfix_stats(x, i, &st); i++) {
			double v[] = { (double)st.records, (double)st.dropped, (double)st.errors, (double)st.queued,
				       st.connected ? 1 : 0 };
			fprintf(f, "%s{collector=\"", fam[j].name);
			lv(f, st.name);
			fprintf(f, "\"} %.17g\n", v[j]);
		}
	}
}

/* One family of the pins and hooks serve watches, a sample per hook the
 * attach has (xdp, or tc_ingress with --hook tc): whether it was there at
 * the last check, or how often serve put it back */
static void hook_family(FILE *f, struct ta_session *const *ss, int n, const char *name, bool restores)
{
	if (restores)
		family(f, name, "counter", "Hooks (or pins) another command removed and serve put back");
	else
		family(f, name, "gauge",
		       "1 when the hook (or the pins) was in place at serve's last check, 0 while missing");
	for (int i = 0; i < n; i++)
		for (int k = 0; k < TA_HK_MAX; k++)
			if (k != (ss[i]->hook == TA_HOOK_XDP ? TA_HK_TC_INGRESS : TA_HK_XDP))
				sample(f, name, ss[i], "hook", ta_hook_names[k], NULL, NULL,
				       restores ? (double)ss[i]->hook_restores[k]
						: !(ss[i]->hooks_missing & (1u << k)));
}

/* One media gauge per rule: 0 expected RTP packets, 1 lost, 2 the largest
 * jitter (no sample while none is known) */
static void media_rule_gauge(FILE *f, const char *name, const char *help, struct ta_session *const *ss, int n,
			     int which)
{
	family(f, name, "gauge", help);
	for (int i = 0; i < n; i++)
		for (uint32_t r = 0; r < ss[i]->meta.nrules && r < TA_MAX_RULES; r++) {
			const struct ta_media_gauges *m = &ss[i]->media;

			if (which == 2 && m->jitter_us[r] == TA_MEDIA_NO_JITTER)
				continue;
			sample(f, name, ss[i], "rule", ss[i]->labels[r], NULL, NULL,
			       which == 0   ? (double)m->expected[r]
			       : which == 1 ? (double)m->lost[r]
					    : m->jitter_us[r] / 1e6);
		}
}

/* Calls by path, and media health per rule, over the flows in the table */
static void media_metrics(FILE *f, struct ta_session *const *ss, int n)
{
	family(f, "tokaudit_calls", "gauge",
	       "Inside clients whose media currently flows, by the path it takes (direct-udp, relayed-udp, "
	       "relayed-tcp, tls-443; a client on two paths counts on its best)");
	for (int i = 0; i < n; i++)
		for (int p = 0; p < TA_PATH_MAX; p++)
			sample(f, "tokaudit_calls", ss[i], "path", ta_path_name(p), NULL, NULL,
			       (double)ss[i]->media.calls[p]);
	media_rule_gauge(f, "tokaudit_media_packets_expected",
			 "RTP packets the media flows in the table should have carried so far (RFC 3550 A.3), by rule",
			 ss, n, 0);
	media_rule_gauge(f, "tokaudit_media_packets_lost",
			 "Of those, the ones that never reached this gateway (lost before it), by rule", ss, n, 1);
	media_rule_gauge(f, "tokaudit_media_jitter_seconds",
			 "The largest RTP interarrival jitter (RFC 3550 A.8) among the rule's media flows in the table",
			 ss, n, 2);
}

/* tokaudit_build_info: the version and the kernel */
static void build_info(FILE *f)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "unknown");
	family(f, "tokaudit_build_info", "gauge", "tokaudit's version and the kernel it runs on (always 1)");
	fprintf(f, "tokaudit_build_info{version=\"%s\",kernel=\"", TA_VERSION);
	lv(f, u.release);
	fputs("\"} 1\n", f);
}

/* Packets and bytes by verdict and direction, and per rule */
static void traffic_metrics(FILE *f, struct ta_session *const *ss, int n, const struct snap *x)
{
	verdict_dir(f, "tokaudit_packets_total",
		    "Packets audited, by verdict and direction (every frame has one: its hook's)", ss, n, x, false);
	verdict_dir(f, "tokaudit_bytes_total", "Bytes audited (wire length), by verdict and direction", ss, n, x, true);
	per_rule(f, "tokaudit_rule_packets_total", "Packets allowed by each rule of the policy", ss, n, x, false);
	per_rule(f, "tokaudit_rule_bytes_total", "Bytes allowed by each rule of the policy", ss, n, x, true);
	family(f, "tokaudit_rule_last_seen_timestamp_seconds", "gauge",
	       "When a flow of the rule last carried a packet (Unix time; 0: never since attach)");
	for (int i = 0; i < n; i++)
		for (uint32_t r = 0; r < ss[i]->meta.nrules && r < TA_MAX_RULES; r++)
			sample(f, "tokaudit_rule_last_seen_timestamp_seconds", ss[i], "rule", ss[i]->labels[r], NULL,
			       NULL, (double)(ss[i]->persist.rule_last_ns[r] / TA_NSEC_PER_SEC));
}

/* The flow tables: active flows, opened, closed, fill */
static void flow_metrics(FILE *f, struct ta_session *const *ss, int n, const struct snap *x)
{
	family(f, "tokaudit_flows_active", "gauge", "Flows in the kernel flow table, by verdict and state");
	/* the verdicts a flow can have, every state, at 0 too: a dashboard's
	 * panel has its series from the start */
	for (int i = 0; i < n; i++)
		for (int v = 0; v < TA_V_MAX; v++)
			for (int st = 0; st < TA_STATE_MAX; st++)
				if (ss[i]->active[v][st] || v == TA_V_ALLOWED || v == TA_V_UNEXPECTED)
					sample(f, "tokaudit_flows_active", ss[i], "verdict", ta_verdict_name(v),
					       "state", ta_fstate_name(st), (double)ss[i]->active[v][st]);
	family(f, "tokaudit_flows_carrying", "gauge",
	       "Flows in the table whose payloads were seen to carry each kind (stun, dtls, rtp, ...; a flow counts "
	       "once per kind)");
	for (int i = 0; i < n; i++)
		for (int c = 0; c < TA_CARRY_MAX; c++)
			sample(f, "tokaudit_flows_carrying", ss[i], "kind", ta_carry_name(c), NULL, NULL,
			       (double)ss[i]->carrying[c]);
	media_metrics(f, ss, n);
	counter(f, "tokaudit_flows_opened_total", "Flow entries the programs created", ss, n, x, TA_C_FLOW_NEW);
	counter(f, "tokaudit_flows_not_created_total", "Flows the full table could not take", ss, n, x, TA_C_FLOW_FAIL);
	family(f, "tokaudit_flows_closed_total", "counter",
	       "Flows whose record ended, by reason (fin, rst, idle; evicted: pushed out of the full table)");
	for (int i = 0; i < n; i++)
		for (int r = 0; r < TA_CLOSE_MAX; r++)
			sample(f, "tokaudit_flows_closed_total", ss[i], "reason", ta_close_name(r), NULL, NULL,
			       (double)ss[i]->persist.closed[r]);
	family(f, "tokaudit_flow_table_entries", "gauge", "Entries in the kernel flow table at the last walk");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flow_table_entries", ss[i], NULL, NULL, NULL, NULL, (double)ss[i]->table_flows);
	family(f, "tokaudit_flow_table_capacity", "gauge",
	       "Entries the kernel flow tables (IPv4 and IPv6) hold at most");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flow_table_capacity", ss[i], NULL, NULL, NULL, NULL, (double)x[i].capacity);
	family(f, "tokaudit_flow_table_fill_ratio", "gauge", "Entries over capacity (0 to 1)");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flow_table_fill_ratio", ss[i], NULL, NULL, NULL, NULL,
		       x[i].capacity ? (double)ss[i]->table_flows / x[i].capacity : 0);
	family(f, "tokaudit_flows_tracked", "gauge",
	       "Flows this reader tracks (opened, not closed yet): the tables' worth, in a flood up to half more until a walk");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flows_tracked", ss[i], NULL, NULL, NULL, NULL,
		       (double)ta_session_open_flows(ss[i]));
	family(f, "tokaudit_flows_tracked_peak", "gauge",
	       "The most flows this reader tracked at once since it started (bounded: README \"Bounded memory\")");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flows_tracked_peak", ss[i], NULL, NULL, NULL, NULL, (double)ss[i]->tracked_peak);
	family(f, "tokaudit_flow_table_walks_total", "counter", "Walks of the flow tables since this reader started");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flow_table_walks_total", ss[i], NULL, NULL, NULL, NULL, (double)ss[i]->walk);
	family(f, "tokaudit_flow_table_walk_seconds", "gauge", "How long the last walk of the flow tables took");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flow_table_walk_seconds", ss[i], NULL, NULL, NULL, NULL, ss[i]->walk_seconds);
	family(f, "tokaudit_flow_table_walks_deferred_total", "counter",
	       "Walks put off while the event ring held a backlog (events first)");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_flow_table_walks_deferred_total", ss[i], NULL, NULL, NULL, NULL,
		       (double)ss[i]->walks_deferred);
}

/* Server names learned from DNS */
static void dns_metrics(FILE *f, struct ta_session *const *ss, int n, const struct snap *x)
{
	static const struct {
		const char *cause;
		int c;
	} ign[] = {
		{ "unasked", TA_C_DNS_UNASKED },
		{ "malformed", TA_C_DNS_BAD },
		{ "cut", TA_C_DNS_CUT },
	};

	counter(f, "tokaudit_dns_answers_learned_total",
		"DNS answers to a query seen leaving, for a name of the policy, that taught addresses", ss, n, x,
		TA_C_DNS_ANSWERS);
	counter(f, "tokaudit_dns_addresses_learned_total", "Addresses learned from DNS answers (new or renewed)", ss, n,
		x, TA_C_DNS_LEARNED);
	counter(f, "tokaudit_dns_name_drift_total",
		"Addresses learned for a rule whose own addresses do not cover them (the two tables disagree)", ss, n,
		x, TA_C_DNS_DRIFT);
	family(f, "tokaudit_dns_answers_ignored_total", "counter",
	       "DNS answers that taught nothing, by cause (unasked: no query seen; malformed; cut: more than was read)");
	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < sizeof(ign) / sizeof(ign[0]); j++)
			sample(f, "tokaudit_dns_answers_ignored_total", ss[i], "cause", ign[j].cause, NULL, NULL,
			       (double)x[i].cnt[ign[j].c]);
}

/* Kernel drops of policy traffic, endpoint discards, invalid packets */
static void drop_metrics(FILE *f, struct ta_session *const *ss, int n, const struct snap *x)
{
	char rb[64];

	family(f, "tokaudit_kernel_drops_total", "counter",
	       "Blocks of policy traffic in this host's path (drop forensics), by kernel drop reason");
	/* the reasons seen, and a firewall's own at 0 before any: the family is
	 * there from the start (a panel or an alert on it has a series) */
	long nf = ta_drop_reason_value("NETFILTER_DROP");
	for (int i = 0; i < n; i++)
		for (uint32_t r = 0; r < TA_KDROP_REASON_SLOTS; r++)
			if (x[i].reasons[r] || (long)r == nf)
				sample(f, "tokaudit_kernel_drops_total", ss[i], "reason",
				       r == TA_DROP_REASONS ? "OTHER_SUBSYSTEM"
							    : ta_drop_reason_name(r, rb, sizeof(rb)),
				       NULL, NULL, (double)x[i].reasons[r]);
	counter(f, "tokaudit_endpoint_discards_total",
		"Policy packets an endpoint discarded (socket teardown, unread data): not blocks", ss, n, x,
		TA_C_KDROP_ENDPOINT);
	counter(f, "tokaudit_kernel_drops_missed_total",
		"Packet frees the drop tracer did not see: the kernel skipped it, already running on that CPU "
		"(host-wide)", ss, n, x, TA_C_KDROP_MISSED);
	counter(f, "tokaudit_kernel_drops_elsewhere_total",
		"Blocks of policy packets not on their way through an audited interface: counted, no flow", ss, n,
		x, TA_C_KDROP_ELSEWHERE);
	counter(f, "tokaudit_kernel_drops_unattributed_total",
		"Kernel drops whose network namespace could not be read (not counted as blocks)", ss, n, x,
		TA_C_KDROP_NONS);
	counter(f, "tokaudit_policy_drops_total", "Packets dropped by enforce mode", ss, n, x, TA_C_POLICY_DROP);
	counter(f, "tokaudit_icmp_errors_attributed_total", "ICMP errors attributed to the flow they quote", ss, n, x,
		TA_C_ICMP_ERR_FLOW);
	family(f, "tokaudit_invalid_packets_total", "counter", "Malformed packets, by what was wrong");
	for (int i = 0; i < n; i++)
		for (int r = 1; r < TA_INV_MAX; r++)
			sample(f, "tokaudit_invalid_packets_total", ss[i], "reason", ta_invalid_name(r), NULL, NULL,
			       (double)x[i].cnt[TA_C_INV_BASE + r]);
	counter(f, "tokaudit_orphan_fragments_total", "Later fragments whose first was never seen", ss, n, x,
		TA_C_FRAG_ORPHAN);
	dns_metrics(f, ss, n, x);
}

/* The ring buffer and the events file */
static void event_metrics(FILE *f, struct ta_session *const *ss, int n, const struct snap *x, struct ta_evw *evw)
{
	counter(f, "tokaudit_events_sent_total", "Events the programs wrote to the ring buffer", ss, n, x,
		TA_C_EV_SENT);
	family(f, "tokaudit_events_read_total", "counter",
	       "Ring-buffer events serve read (this process: sent minus read is what waits in the ring)");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_events_read_total", ss[i], NULL, NULL, NULL, NULL, (double)ss[i]->events_read);
	family(f, "tokaudit_events_lost_total", "counter",
	       "Events lost because the ring buffer was full (no reader, or too slow), by cause");
	{
		static const struct { const char *cause; int c; } lost[] = {
			{ "new-flow", TA_C_EV_LOST_NEW }, { "unexpected", TA_C_EV_LOST_UNEXP },
			{ "kernel-drop", TA_C_EV_LOST_DROP }, { "capture", TA_C_CAP_LOST },
		};
		for (int i = 0; i < n; i++)
			for (size_t j = 0; j < sizeof(lost) / sizeof(lost[0]); j++)
				sample(f, "tokaudit_events_lost_total", ss[i], "cause", lost[j].cause, NULL, NULL,
				       (double)x[i].cnt[lost[j].c]);
	}

	if (evw) { /* the events file: lines written, lines that could not be */
		struct ta_evw_stats st;

		ta_evw_stats(evw, &st);
		family(f, "tokaudit_events_written_total", "counter", "Event lines written whole to --events");
		fprintf(f, "tokaudit_events_written_total %llu\n", (unsigned long long)st.written);
		family(f, "tokaudit_events_unwritten_total", "counter",
		       "Event lines not written to --events, by cause (queue-full: the output took no more for a while; "
		       "write-error: a full disk, an I/O error, the reader gone)");
		fprintf(f, "tokaudit_events_unwritten_total{cause=\"queue-full\"} %llu\n",
			(unsigned long long)st.lost_queue);
		fprintf(f, "tokaudit_events_unwritten_total{cause=\"write-error\"} %llu\n",
			(unsigned long long)st.lost_write);
		family(f, "tokaudit_events_queued", "gauge", "Event lines waiting to be written");
		fprintf(f, "tokaudit_events_queued %llu\n", (unsigned long long)st.queued);
		family(f, "tokaudit_events_output_waiting", "gauge", "1 while the events FIFO has no reader");
		fprintf(f, "tokaudit_events_output_waiting %d\n", st.waiting ? 1 : 0);
	}
}

/* The policy in force, its reloads, the attach and its readers */
static void policy_metrics(FILE *f, struct ta_session *const *ss, int n)
{
	family(f, "tokaudit_policy_generation", "gauge", "Generation of the policy in force (1 at the first attach)");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_policy_generation", ss[i], NULL, NULL, NULL, NULL, (double)ss[i]->dp.generation);
	family(f, "tokaudit_policy_rules", "gauge", "Rules of the policy in force");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_policy_rules", ss[i], NULL, NULL, NULL, NULL, (double)ss[i]->meta.nrules);
	family(f, "tokaudit_policy_reloads_total", "counter",
	       "Policy reloads (SIGHUP, or tokaudit reload beside serve), by result (refused: the file had errors, the policy in force stayed)");
	for (int i = 0; i < n; i++) {
		sample(f, "tokaudit_policy_reloads_total", ss[i], "result", "ok", NULL, NULL,
		       (double)ss[i]->persist.reloads_ok);
		sample(f, "tokaudit_policy_reloads_total", ss[i], "result", "refused", NULL, NULL,
		       (double)ss[i]->persist.reloads_refused);
	}
	family(f, "tokaudit_policy_last_reload_successful", "gauge",
	       "0 while the last reload was refused (the policy in force stays), 1 once one goes in (or none failed)");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_policy_last_reload_successful", ss[i], NULL, NULL, NULL, NULL,
		       ss[i]->reload_refused_at ? 0 : 1);
	family(f, "tokaudit_enforce", "gauge", "1 when unexpected packets are dropped, 0 when only audited");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_enforce", ss[i], NULL, NULL, NULL, NULL, ss[i]->meta.enforce ? 1 : 0);
	family(f, "tokaudit_attached_timestamp_seconds", "gauge", "When these pins were first attached (Unix time)");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_attached_timestamp_seconds", ss[i], NULL, NULL, NULL, NULL,
		       ss[i]->meta.attached_ns ? (double)(uint64_t)ta_ktime_to_unix(ss[i]->meta.attached_ns) : 0);
	family(f, "tokaudit_serve_starts_total", "counter", "serve processes that took over these pins");
	for (int i = 0; i < n; i++)
		sample(f, "tokaudit_serve_starts_total", ss[i], NULL, NULL, NULL, NULL, (double)ss[i]->persist.starts);
}

int ta_metrics_write(FILE *f, struct ta_session *const *ss, int n, struct ta_ipfix *ipfix, struct ta_evw *evw)
{
	struct snap *x = calloc((size_t)(n ? n : 1), sizeof(*x));

	if (!x)
		return -1;
	for (int i = 0; i < n; i++)
		if (snap_read(ss[i], &x[i])) {
			free(x);
			return -1;
		}
	build_info(f);
	traffic_metrics(f, ss, n, x);
	flow_metrics(f, ss, n, x);
	drop_metrics(f, ss, n, x);
	event_metrics(f, ss, n, x, evw);
	policy_metrics(f, ss, n);
	hook_family(f, ss, n, "tokaudit_hook_attached", false);
	hook_family(f, ss, n, "tokaudit_hook_restores_total", true);
	if (ipfix)
		ipfix_metrics(f, ipfix);
	free(x);
	return ferror(f) ? -1 : 0;
}

char *ta_metrics_text(struct ta_session *const *s, int n, struct ta_ipfix *ipfix, struct ta_evw *evw, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int err;

	if (!f)
		return NULL;
	err = ta_metrics_write(f, s, n, ipfix, evw);
	if (fclose(f) || err) {
		free(buf);
		return NULL;
	}
	return buf;
}
