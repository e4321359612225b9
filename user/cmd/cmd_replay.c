// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit replay: options, and frames, flows and the summary printed
 * (the engine: replay.c). */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "flows.h"
#include "json.h"
#include "replay.h"
#include "report.h"
#include "flowsel.h"
#include "callrep.h"
#include "flowtable.h"
#include "util.h"

#define XDP_DROP 1

struct replay_cfg {
	const char *policy;
	const char *local;
	bool packets;
	bool json;
	unsigned flows;
	const char *filter;
	bool quiet;
	struct ta_table_opts table;
	struct ta_flow_sel_args sel_args;
	struct ta_flow_sel sel;
	uint64_t packets_shown;
	const char *pos[1];
	const struct ta_flow_ctx *ctx; /* rule labels, for the frame callback */
};

static const struct ta_opt replay_opts[] = {
	{ "policy", 'p', TA_OPT_STR, offsetof(struct replay_cfg, policy), "FILE",
	  "policy file (default: $TOKAUDIT_POLICY, else the installed one if any, else the built-in one)" },
	{ "local", 'l', TA_OPT_STR, offsetof(struct replay_cfg, local), "CIDR[,CIDR...]",
	  "the protected network: a source inside means out, a destination inside means in" },
	{ "packets", 0, TA_OPT_FLAG, offsetof(struct replay_cfg, packets), NULL,
	  "add one record per frame" },
	{ "filter", 'f', TA_OPT_STR, offsetof(struct replay_cfg, filter), "EXPR",
	  "run only the frames this pcap-filter expression accepts (as tcpdump's: 'udp and net 70.42.47.64/26')" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct replay_cfg, json), NULL,
	  "one JSON object per line (README: \"replay JSON records\")" },
	{ "quiet", 'q', TA_OPT_FLAG, offsetof(struct replay_cfg, quiet), NULL,
	  "no progress line (there is one on a terminal when a capture takes more than 1 s)" },
	{ "flows", 0, TA_OPT_UINT, offsetof(struct replay_cfg, flows), "N",
	  "IPv4 flow table entries (IPv6: N/4; default " TA_STR(TA_DEFAULT_FLOWS) ")", 1024, 16777216 },
	TA_FLOW_SEL_OPTS(offsetof(struct replay_cfg, sel_args)),
	TA_TABLE_OPTS(offsetof(struct replay_cfg, table)),
	{ 0 },
};

/* Parse "a/b,c/d" into prefixes. */
static int parse_local(const char *s, struct ta_prefix **out, size_t *n)
{
	char *dup = strdup(s), *save = NULL, *tok;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct ta_prefix p;
		char err[160];

		if (ta_prefix_parse(tok, &p, err, sizeof(err))) {
			ta_err("replay: --local '%s': %s", tok, err);
			rc = TA_EXIT_USAGE;
			break;
		}
		if (*n >= TA_MAX_LOCAL) {
			ta_err("replay: --local takes at most %d prefixes", TA_MAX_LOCAL);
			rc = TA_EXIT_USAGE;
			break;
		}
		struct ta_prefix *np = realloc(*out, (*n + 1) * sizeof(*np));
		if (!np) {
			rc = TA_EXIT_FAIL;
			break;
		}
		np[(*n)++] = p;
		*out = np;
	}
	if (!rc && !*n) {
		ta_err("replay: --local needs at least one CIDR");
		rc = TA_EXIT_USAGE;
	}
	free(dup);
	if (rc) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

static void print_packet(FILE *f, bool json, uint64_t n, const struct pcap_pkthdr *h,
			 const struct ta_last *l, const struct ta_flow_ctx *c, uint32_t retval)
{
	char loc[64], rem[64], pb[24];
	const char *dir = ta_dir_name(l->dir);
	const char *rule = ta_rule_label(c, l->rule);
	int ip = l->family == 4 || l->family == 6, icmp = ta_is_icmp(l->proto);
	const char *proto = ip ? ta_proto_name(l->proto, pb, sizeof(pb)) : NULL;
	const char *frag = l->is_frag == 1 ? "first" : l->is_frag == 2 ? "later" : NULL;
	const char *action = retval == XDP_DROP ? "drop" : "pass";

	if (ip) {
		ta_addr_str(l->local, loc, sizeof(loc));
		ta_addr_str(l->remote, rem, sizeof(rem));
	}
	if (json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "type", ta_jstr("packet"));
		ta_jadd(o, "pkt", ta_ju64(n));
		ta_jadd(o, "ts", ta_jnum((double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6, 6));
		{
			char iso[48];
			ta_rfc3339(iso, sizeof(iso), (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6);
			ta_jadd(o, "ts_iso", ta_jstr(iso));
		}
		ta_jadd(o, "len", ta_ju64(h->len));
		ta_jadd(o, "verdict", ta_jstr(ta_verdict_name(l->verdict)));
		ta_jadd(o, "rule", ta_jstr(rule));
		ta_jadd(o, "dir", ta_jstr(dir));
		ta_jadd(o, "family", ip ? ta_ju64(l->family) : NULL);
		ta_jadd(o, "proto", ta_jstr(proto));
		ta_jadd(o, "local", ip ? ta_jstr(loc) : NULL);
		ta_jadd(o, "lport", ip && !icmp ? ta_ju64(l->lport) : NULL);
		ta_jadd(o, "remote", ip ? ta_jstr(rem) : NULL);
		ta_jadd(o, "rport", ip && !icmp ? ta_ju64(l->rport) : NULL);
		ta_jadd(o, "echo_id", ip && icmp && l->lport ? ta_ju64(l->lport) : NULL);
		ta_jadd(o, "frag", ta_jstr(frag));
		ta_jadd(o, "icmp_error", ta_jbool(l->icmp_err));
		ta_jadd(o, "invalid_reason",
			ta_jstr(l->verdict == TA_V_INVALID ? ta_invalid_name(l->invalid_reason) : NULL));
		ta_jadd(o, "action", ta_jstr(action));
		ta_jprint(f, o);
		return;
	}
	fprintf(f, "%8" PRIu64 "  %-10s %-10s %-4s ", n, ta_verdict_name(l->verdict),
		rule ? rule : "-", dir ? dir : "-");
	if (ip) {
		struct ta_flow_key k = { .proto = l->proto, .family = l->family, .lport = l->lport, .rport = l->rport };
		char ends[160];

		memcpy(k.local, l->local, 16);
		memcpy(k.remote, l->remote, 16);
		ta_flow_ends(ends, sizeof(ends), &k);
		fprintf(f, "%s", ends);
	} else
		fputs("non-IP", f);
	if (frag)
		fprintf(f, " frag=%s", frag);
	if (l->icmp_err)
		fputs(" icmp-error", f);
	if (l->verdict == TA_V_INVALID)
		fprintf(f, " (%s)", ta_invalid_name(l->invalid_reason));
	if (retval == XDP_DROP)
		fputs(" DROP", f);
	fputc('\n', f);
}

struct flow_print {
	FILE *f;
	bool json;
	const char *labels[TA_MAX_RULES];
	struct ta_flow_ctx ctx;   /* capture time: the flows' clock is the capture's */
	struct ta_flow_counts counts; /* every flow, shown or not */
	uint64_t nflows;
	const struct ta_flow_sel *sel;
	struct ta_closed *shown;      /* the flows --verdict... chose */
	struct ta_calls calls;        /* media per inside client, from every flow */
	size_t nshown, capshown;
};

/* Count every flow; keep the ones the selection takes. */
static int count_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct flow_print *fp = arg;

	fp->nflows++;
	fp->counts.verdict[ta_flow_verdict(v)]++;
	if (ta_calls_add(&fp->calls, fp->ctx.dp, k, v))
		return 1;
	if (v->rule < TA_MAX_RULES)
		fp->counts.rule[v->rule]++;
	if (!ta_flow_sel_match(fp->sel, &fp->ctx, k, v))
		return 0;
	return ta_closed_add(&fp->shown, &fp->capshown, &fp->nshown, k, v) ? 1 : 0;
}

#define REPLAY_FLOW_COLS "FLOW,VERDICT,RULE,OPENED,PKTS-OUT,PKTS-IN,BYTES-OUT,BYTES-IN,NOTES"

/* The flows chosen, as JSON records or a table */
static int print_flows(struct flow_print *fp, const struct replay_cfg *cfg, const char *file)
{
	size_t n = cfg->sel.limit && cfg->sel.limit < fp->nshown ? cfg->sel.limit : fp->nshown;
	struct ta_table *t = NULL;
	char err[500];

	if (fp->json) {
		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			ta_jadd(o, "type", ta_jstr("flow"));
			ta_jmerge(o, ta_flow_jobj(&fp->ctx, NULL, NULL, &fp->shown[i].k, &fp->shown[i].v));
			ta_jprint(fp->f, o);
		}
		return 0;
	}
	if (!(t = ta_table_new(ta_flow_cols, FC_MAX, REPLAY_FLOW_COLS, &cfg->table, err, sizeof(err)))) {
		ta_err("replay: -o: %s", err);
		return TA_EXIT_USAGE;
	}
	fprintf(fp->f, "%sFlows (%s", cfg->packets ? "\n" : "", file);
	if (n < fp->nflows)
		fprintf(fp->f, ": %zu of %llu", n, (unsigned long long)fp->nflows);
	fprintf(fp->f, "):\n");
	fflush(fp->f);
	for (size_t i = 0; i < n; i++)
		ta_flow_row(t, &fp->ctx, NULL, &fp->shown[i].k, &fp->shown[i].v, cfg->table.raw);
	return ta_table_print(t, fp->f) ? TA_EXIT_FAIL : 0;
}

/* Packets, bytes (in, out, none) and flows per verdict, into vj */
static void verdicts_json(json_object *vj, const struct ta_count vs[TA_VSTAT_MAX], const struct flow_print *fp)
{
	for (int v = 0; v < TA_V_MAX; v++) {
		json_object *x = json_object_new_object();
		uint64_t p = 0, b = 0;

		for (int d = 0; d < TA_VSTAT_DIRS; d++) {
			const struct ta_count *c = &vs[v * TA_VSTAT_DIRS + d];
			json_object *y = json_object_new_object();

			ta_jadd(y, "packets", ta_ju64(c->packets));
			ta_jadd(y, "bytes", ta_ju64(c->bytes));
			ta_jadd(x, d == 2 ? "none" : ta_dir_name(d), y);
			p += c->packets;
			b += c->bytes;
		}
		ta_jadd(x, "packets", ta_ju64(p));
		ta_jadd(x, "bytes", ta_ju64(b));
		ta_jadd(x, "flows", ta_ju64(fp->counts.verdict[v]));
		ta_jadd(vj, ta_verdict_name(v), x);
	}
}

static void print_summary(FILE *f, bool json, struct ta_dp *dp, const struct ta_policy *pol, const char *policy,
			  struct flow_print *fp, uint64_t frames, uint64_t cut, uint64_t filtered, const char *status,
			  double first_ts, double last_ts)
{
	struct ta_count vs[TA_VSTAT_MAX], rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];

	if (ta_dp_vstats(dp, vs) || ta_dp_rstats(dp, rs) || ta_dp_counters(dp, cnt)) {
		ta_err("replay: cannot read counters: %s", strerror(errno));
		return;
	}
	if (json) {
		json_object *o = json_object_new_object(), *vj = json_object_new_object(), *rj;

		ta_jadd(o, "type", ta_jstr("summary"));
		ta_jadd(o, "policy", ta_jstr(policy ? policy : "built-in"));
		ta_jadd(o, "frames", ta_ju64(frames));
		ta_jadd(o, "frames_cut", ta_ju64(cut));
		ta_jadd(o, "frames_filtered", ta_ju64(filtered));
		ta_jadd(o, "flows", ta_ju64(fp->nflows));
		ta_jadd(o, "status", ta_jstr(status));
		ta_jtime(o, "first_frame", first_ts);
		ta_jtime(o, "last_frame", last_ts);
		verdicts_json(vj, vs, fp);
		ta_jadd(o, "verdicts", vj);
		rj = json_object_new_object();
		for (size_t r = 0; r < pol->nrules; r++) {
			json_object *x = json_object_new_object();

			ta_jadd(x, "packets", ta_ju64(rs[r].packets));
			ta_jadd(x, "bytes", ta_ju64(rs[r].bytes));
			ta_jadd(x, "flows", ta_ju64(fp->counts.rule[r]));
			ta_jadd(rj, pol->rules[r].label, x);
		}
		ta_jadd(o, "rules", rj);
		rj = json_object_new_object();
		for (int c = 0; c < TA_C_MAX; c++)
			ta_jadd(rj, ta_counter_name(c), ta_ju64(cnt[c]));
		ta_jadd(o, "counters", rj);
		ta_calls_report(NULL, o, &fp->calls);
		ta_jprint(f, o);
		return;
	}
	fprintf(f, "\npolicy %s: %" PRIu64 " frames", policy ? policy : "built-in", frames);
	if (filtered)
		fprintf(f, ", %" PRIu64 " left out by --filter", filtered);
	fprintf(f, "%s", cut ? "" : "\n");
	if (cut)
		fprintf(f,
			" (%" PRIu64
			" longer than %d bytes were cut to it for the run; their wire length is counted)\n",
			cut, TA_RUN_MAX);
	fputc('\n', f);
	ta_print_count_tables(f, vs, rs, fp->labels, (uint32_t)pol->nrules, &fp->counts);
	if (cnt[TA_C_FRAG_ORPHAN] || cnt[TA_C_ICMP_ERR_FLOW] || cnt[TA_C_FLOW_FAIL])
		fprintf(f, "\norphan fragments %llu, ICMP errors on flows %llu, flows not created (table full) %llu\n",
			(unsigned long long)cnt[TA_C_FRAG_ORPHAN], (unsigned long long)cnt[TA_C_ICMP_ERR_FLOW],
			(unsigned long long)cnt[TA_C_FLOW_FAIL]);
	for (int c = TA_C_INV_BASE + 1; c < TA_C_MAX; c++)
		if (cnt[c])
			fprintf(f, "invalid: %s %llu\n", ta_invalid_name(c - TA_C_INV_BASE),
				(unsigned long long)cnt[c]);
	if (fp->calls.n)
		ta_calls_report(f, NULL, &fp->calls);
}

static void on_frame(void *arg, uint64_t n, const struct pcap_pkthdr *h, const struct ta_last *l, uint32_t retval)
{
	struct replay_cfg *cfg = arg;
	struct ta_flow_key k = { .proto = l->proto, .rport = l->rport };

	if (cfg->sel.limit && cfg->packets_shown >= cfg->sel.limit)
		return;
	memcpy(k.remote, l->remote, sizeof(k.remote));
	if ((l->family == 4 || l->family == 6 || !(cfg->sel.proto >= 0 || cfg->sel.remote.has)) &&
	    ta_flow_sel_match_packet(&cfg->sel, cfg->ctx, l->verdict, retval == XDP_DROP, l->rule, &k)) {
		print_packet(stdout, cfg->json, n, h, l, cfg->ctx, retval);
		cfg->packets_shown++;
	}
}

/* The progress line: on a terminal, after 1 s, at most every half second */
struct progress {
	uint64_t start_ns, last_ns, last_frames;
	bool shown;
};

static void on_progress(void *arg, const struct ta_replay *r)
{
	struct progress *p = arg;
	uint64_t now = ta_now_ns();
	double frac = ta_replay_fraction(r);

	if (now - p->start_ns < TA_NSEC_PER_SEC || now - p->last_ns < TA_NSEC_PER_SEC / 2)
		return;
	double rate = (double)(r->frames - p->last_frames) /
		      ((double)(now - (p->last_ns ? p->last_ns : p->start_ns)) / TA_NSEC_PER_SEC);
	if (frac >= 0)
		fprintf(stderr, "\rreplay: %" PRIu64 " frames, %.0f k frames/s, %.0f %% of %s ", r->frames, rate / 1e3,
			frac * 100, r->file);
	else
		fprintf(stderr, "\rreplay: %" PRIu64 " frames, %.0f k frames/s ", r->frames, rate / 1e3);
	p->last_ns = now;
	p->last_frames = r->frames;
	p->shown = true;
}

static int do_replay(void *vcfg)
{
	struct replay_cfg *cfg = vcfg;
	const char *file = cfg->pos[0];
	struct ta_policy pol = { 0 };
	struct ta_compiled comp = { 0 };
	struct ta_prefix *local = NULL;
	size_t nlocal = 0;
	struct ta_replay r = { 0 };
	int rc;
	struct flow_print fp = { .f = stdout, .json = cfg->json };

	char err[300];

	if (ta_flow_sel_init(&cfg->sel, &cfg->sel_args, err, sizeof(err))) {
		ta_err("replay: %s", err);
		return TA_EXIT_USAGE;
	}
	fp.sel = &cfg->sel;
	if (!cfg->json) { /* a bad -o is said before the capture runs */
		struct ta_table *t =
			ta_table_new(ta_flow_cols, FC_MAX, REPLAY_FLOW_COLS, &cfg->table, err, sizeof(err));
		if (!t) {
			ta_err("replay: -o: %s", err);
			return TA_EXIT_USAGE;
		}
		ta_table_free(t);
	}
	if (cfg->local && (rc = parse_local(cfg->local, &local, &nlocal)))
		return rc;
	rc = TA_EXIT_FAIL;
	if (!cfg->policy)
		cfg->policy = ta_policy_default();
	if (ta_policy_load_compiled("replay", cfg->policy, &pol, &comp))
		goto out;
	if (ta_replay_open(&r, file, &comp, local, nlocal, cfg->flows))
		goto out;
	if (cfg->filter && ta_replay_set_filter(&r, cfg->filter))
		goto out;
	for (size_t i = 0; i < pol.nrules && i < TA_MAX_RULES; i++)
		fp.labels[i] = pol.rules[i].label;
	fp.ctx = (struct ta_flow_ctx){ .labels = fp.labels, .nlabels = TA_MAX_RULES, .unix_clock = true, .dp = &r.dp };
	cfg->ctx = &fp.ctx;
	struct progress prog = { .start_ns = ta_now_ns() };
	if (!cfg->quiet && isatty(STDERR_FILENO)) {
		r.progress = on_progress;
		r.progress_arg = &prog;
	}
	ta_replay_run(&r, cfg->packets ? on_frame : NULL, cfg);
	if (prog.shown)
		fprintf(stderr, "\r\033[K"); /* the line goes: the report follows */
	fp.ctx.now_ns = r.ts_ns;
	ta_dp_flows(&r.dp, count_flow, &fp);
	/* in the order of their first frames, unless --sort says otherwise */
	ta_flow_sort(cfg->sel.sort ? cfg->sel.sort : TA_SORT_AGE, fp.shown, fp.nshown);
	if ((rc = print_flows(&fp, cfg, file))) {
		free(fp.shown);
		goto out;
	}
	free(fp.shown);
	print_summary(stdout, cfg->json, &r.dp, &pol, cfg->policy, &fp, r.frames, r.cut, r.filtered, r.status,
		      r.first_ts, r.last_ts);
	ta_calls_free(&fp.calls);
	if (fflush(stdout))
		r.status = "error";
	rc = strcmp(r.status, "ok") ? TA_EXIT_FAIL : TA_EXIT_OK;
out:
	ta_replay_close(&r);
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	free(local);
	return rc;
}

const struct ta_cmd ta_cmd_replay = {
	.name = "replay",
	.brief = "Run a capture through the XDP program offline",
	.examples =
		"sudo tokaudit replay trace.pcapng\tflows and verdicts, as the kernel judged them\n"
		"sudo tokaudit replay --local 10.0.0.0/8 --packets --json trace.pcap\ta record per frame, direction from your prefixes\n"
		"sudo tokaudit replay --filter 'host 70.42.47.70' --packets trace.pcap\tone host's frames, one line each\n"
		"sudo tokaudit replay --verdict unexpected --sort bytes -n 10 trace.pcap\tthe ten biggest unexpected flows\n",
	.args = "CAPTURE",
	.summary = "Run a pcap/pcapng capture through the XDP program (BPF_PROG_TEST_RUN)\n"
		   "and report flows, verdicts and rules as the kernel judged them.",
	.details = "Frames run in capture order and flow and fragment state is kept between\n"
		   "them. Direction: with --local, a source inside is 'out' and a destination\n"
		   "inside is 'in'; otherwise (or when neither is inside) the side in the\n"
		   "policy is the remote one, and when neither is, the destination is.\n"
		   "--verdict, --rule, --remote, --proto and --limit choose the flows listed\n"
		   "and, with --packets, the frames; --state and --sort apply to flows only.\n"
		   "The summary counts every frame and flow.\n"
		   "Needs root, or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN: the programs are\n"
		   "loaded into the kernel (README: \"Capabilities\").",
	.cols = ta_flow_cols,
	.ncols = FC_MAX,
	.cols_default = REPLAY_FLOW_COLS,
	.opts = replay_opts,
	.cfg_size = sizeof(struct replay_cfg),
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct replay_cfg, pos),
	.run = do_replay,
};
