// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Pinned mode, reading: tokaudit status | flows | stats | why.  The pinned
 * maps are opened without loading any program (pinstore.c).
 */
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include "commands.h"
#include "flowsel.h"
#include "table.h"
#include "units.h"
#include "util.h"
#include "json.h"
#include "kdrop.h"
#include "pinstore.h"
#include "report.h"

struct read_cfg {
	const char *ifaces;
	bool json;
};

static const struct ta_opt read_opts[] = {
	{ "interface", 'i', TA_OPT_STR, offsetof(struct read_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct read_cfg, json), NULL, "one JSON object per line" },
	{ 0 },
};

/* ---- status ---- */

struct status_walk {
	const struct read_cfg *cfg;
	int *any; /* interfaces shown */
};

static int status_one(struct ta_attached *a, void *arg)
{
	const struct status_walk *w = arg;
	const struct read_cfg *cfg = w->cfg;
	const struct ta_meta *m = &a->meta;
	bool xdp, tc;
	uint64_t cnt[TA_C_MAX], tot[TA_V_MAX];
	struct ta_count vs[TA_VSTAT_MAX];
	double up;

	ta_pins_hooks(a, &xdp, &tc);
	if (ta_dp_counters(&a->dp, cnt) || ta_dp_vstats(&a->dp, vs))
		return -1;
	(*w->any)++;
	for (int v = 0; v < TA_V_MAX; v++)
		tot[v] = ta_vstat_total(vs, v).packets;
	up = (double)(ta_now_ns() - m->attached_ns) / 1e9;
	if (cfg->json) {
		json_object *o = json_object_new_object(), *p = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(a->ifname));
		ta_jadd(o, "pins", ta_jstr(a->dir));
		ta_jadd(o, "side", ta_jstr(m->side ? "inside" : "outside"));
		ta_jadd(o, "hook", ta_jstr(m->hook ? "tc" : m->xdp_mode == TA_XDP_SKB ? "xdp-skb" : "xdp"));
		ta_jadd(o, "xdp_attached", ta_jbool(xdp));
		ta_jadd(o, "tc_attached", ta_jbool(tc));
		ta_jadd(o, "enforce", ta_jbool(m->enforce));
		ta_jadd(o, "policy", ta_jstr(m->policy));
		ta_jadd(o, "generation", ta_ju64(a->dp.generation));
		ta_jadd(o, "rules", ta_ju64(m->nrules));
		ta_jadd(o, "attaches", ta_ju64(m->attaches));
		ta_jadd(o, "uptime", ta_jnum(up, 0));
		for (int v = 0; v < TA_V_MAX; v++)
			ta_jadd(p, ta_verdict_name(v), ta_ju64(tot[v]));
		ta_jadd(o, "packets", p);
		ta_jadd(o, "policy_drops", ta_ju64(cnt[TA_C_POLICY_DROP]));
		ta_jadd(o, "flows_created", ta_ju64(cnt[TA_C_FLOW_NEW]));
		return ta_jprint(stdout, o);
	}
	printf("%s: %s side, %s%s, %s, policy %s (generation %u, %u rules), attached %.0f s ago (%u attach%s)\n"
	       "  packets: %llu allowed, %llu unexpected, %llu other, %llu invalid; %llu dropped by policy\n"
	       "  pins: %s\n",
	       a->ifname, m->side ? "inside" : "outside",
	       m->hook ? "tc" : (xdp ? (m->xdp_mode == TA_XDP_SKB ? "XDP (skb mode)" : "XDP") : "XDP MISSING"),
	       tc ? " + tc" : ", tc MISSING", m->enforce ? "enforcing" : "audit only", m->policy, a->dp.generation,
	       m->nrules, up, m->attaches, m->attaches == 1 ? "" : "es", (unsigned long long)tot[TA_V_ALLOWED],
	       (unsigned long long)tot[TA_V_UNEXPECTED], (unsigned long long)tot[TA_V_OTHER],
	       (unsigned long long)tot[TA_V_INVALID], (unsigned long long)cnt[TA_C_POLICY_DROP], a->dir);
	return 0;
}

/* ---- flows ---- */

struct flows_cfg {
	const char *ifaces;
	bool json;
	struct ta_flow_sel_args sel_args;
	struct ta_flow_sel sel;
	struct ta_table_opts table;
};

enum { FC_FLOW, FC_PROTO, FC_LOCAL, FC_REMOTE, FC_VERDICT, FC_RULE, FC_STATE, FC_PKTS_OUT, FC_PKTS_IN,
       FC_BYTES_OUT, FC_BYTES_IN, FC_AGE, FC_IDLE, FC_NOTES, FC_IFACE, FC_MAX };
static const struct ta_col flow_cols[FC_MAX] = {
	[FC_FLOW] = { "FLOW" }, [FC_PROTO] = { "PROTO" }, [FC_LOCAL] = { "LOCAL" }, [FC_REMOTE] = { "REMOTE" },
	[FC_VERDICT] = { "VERDICT" }, [FC_RULE] = { "RULE" }, [FC_STATE] = { "STATE" },
	[FC_PKTS_OUT] = { "PKTS-OUT", true }, [FC_PKTS_IN] = { "PKTS-IN", true },
	[FC_BYTES_OUT] = { "BYTES-OUT", true }, [FC_BYTES_IN] = { "BYTES-IN", true },
	[FC_AGE] = { "AGE", true }, [FC_IDLE] = { "IDLE", true }, [FC_NOTES] = { "NOTES" }, [FC_IFACE] = { "IFACE" },
};
#define FLOW_COLS_DEFAULT "FLOW,VERDICT,RULE,STATE,PKTS-OUT,PKTS-IN,BYTES-OUT,BYTES-IN,IDLE,NOTES"

static const struct ta_opt flows_opts[] = {
	TA_FLOW_SEL_OPTS(offsetof(struct flows_cfg, sel_args)),
	TA_TABLE_OPTS(offsetof(struct flows_cfg, table)),
	{ "interface", 'i', TA_OPT_STR, offsetof(struct flows_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct flows_cfg, json), NULL, "one JSON object per line" },
	{ 0 },
};

struct flows_print {
	const struct flows_cfg *cfg;
	struct ta_meta_view mv;
	struct ta_closed *f;
	size_t n, cap, seen;
	int err;
};

static int keep_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct flows_print *fp = arg;

	fp->seen++;
	if (!ta_flow_sel_match(&fp->cfg->sel, &fp->mv.ctx, k, v))
		return 0;
	if (ta_grow(&fp->f, &fp->cap, fp->n + 1, sizeof(*fp->f), 1024)) {
		fp->err = -1;
		return -1;
	}
	fp->f[fp->n].k = *k;
	fp->f[fp->n].v = *v;
	fp->n++;
	return 0;
}

/* One row of the flows table: every column's cell */
static int flow_row(struct ta_table *t, const struct ta_flow_ctx *c, const char *ifname, const struct ta_flow_key *k,
		    const struct ta_flow_val *v, bool raw)
{
	char ends[160], pb[16], loc[64], rem[80], po[24], pi[24], bo[24], bi[24], age[24], idle[24], notes[160] = "";
	const char *cells[FC_MAX] = { 0 }, *rule = ta_flow_rule_label(c, v);
	double a = c->now_ns > v->first_ns ? (double)(c->now_ns - v->first_ns) / 1e9 : 0;
	double i = c->now_ns > v->last_ns ? (double)(c->now_ns - v->last_ns) / 1e9 : 0;

	ta_flow_ends(ends, sizeof(ends), k);
	ta_addr_str(k->local, loc, sizeof(loc));
	ta_addr_str(k->remote, rem, sizeof(rem));
	if (k->proto == 6 || k->proto == 17)
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
	if (v->icmp_errors)
		snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes), "%sicmp %u/%u", *notes ? "; " : "",
			 v->icmp_type, v->icmp_code);
	cells[FC_FLOW] = ends;
	cells[FC_PROTO] = ta_proto_name(k->proto, pb, sizeof(pb));
	cells[FC_LOCAL] = loc;
	cells[FC_REMOTE] = rem;
	cells[FC_VERDICT] = ta_verdict_name(ta_flow_verdict(v));
	cells[FC_RULE] = rule ? rule : "-";
	cells[FC_STATE] = ta_fstate_name(ta_flow_state(k, v, c->now_ns));
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

static int flows_one(struct ta_attached *a, void *arg)
{
	const struct flows_cfg *cfg = arg;
	struct flows_print fp = { .cfg = cfg };
	struct ta_table *t = NULL;
	bool plain = !cfg->table.noheadings && !cfg->table.raw;
	char err[500];
	size_t show;

	ta_meta_view(&a->meta, a->dp.generation, &fp.mv);
	ta_dp_flows(&a->dp, keep_flow, &fp);
	if (fp.err) {
		ta_err("flows: %s: out of memory", a->ifname);
		free(fp.f);
		return -1;
	}
	ta_flow_sel_sort(&cfg->sel, fp.f, fp.n);
	show = cfg->sel.limit && cfg->sel.limit < fp.n ? cfg->sel.limit : fp.n;
	if (!cfg->json && !(t = ta_table_new(flow_cols, FC_MAX, FLOW_COLS_DEFAULT, &cfg->table, err, sizeof(err)))) {
		ta_err("flows: -o: %s", err);
		free(fp.f);
		return -1;
	}
	for (size_t i = 0; i < show; i++) {
		if (cfg->json)
			ta_jprint(stdout, ta_flow_jobj(&fp.mv.ctx, NULL, a->ifname, &fp.f[i].k, &fp.f[i].v));
		else
			flow_row(t, &fp.mv.ctx, a->ifname, &fp.f[i].k, &fp.f[i].v, cfg->table.raw);
	}
	if (!cfg->json) {
		if (plain)
			printf("%s:\n", a->ifname);
		if (show)
			ta_table_print(t, stdout);
		else
			ta_table_free(t);
		if (plain && !fp.seen)
			printf("  no flows\n");
		else if (plain && !fp.n)
			printf("  none of the %zu flows matches\n", fp.seen);
		else if (plain && show < fp.n)
			printf("  ... %zu more (%zu of %zu flows match; --limit shows more)\n", fp.n - show, fp.n,
			       fp.seen);
	}
	free(fp.f);
	return 0;
}

static int do_flows(void *vcfg)
{
	struct flows_cfg *cfg = vcfg;
	char err[300];

	if (ta_flow_sel_init(&cfg->sel, &cfg->sel_args, err, sizeof(err))) {
		ta_err("flows: %s", err);
		return TA_EXIT_USAGE;
	}
	if (!cfg->json) { /* -o names checked before anything is read */
		char terr[500];
		struct ta_table *t = ta_table_new(flow_cols, FC_MAX, FLOW_COLS_DEFAULT, &cfg->table, terr, sizeof(terr));
		if (!t) {
			ta_err("flows: -o: %s", terr);
			return TA_EXIT_USAGE;
		}
		ta_table_free(t);
	}
	return ta_pins_walk(cfg->ifaces, false, flows_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

/* ---- stats ---- */

static int stats_one(struct ta_attached *a, void *arg)
{
	const struct read_cfg *cfg = arg;
	struct ta_meta_view mv;

	ta_meta_view(&a->meta, a->dp.generation, &mv);
	if (cfg->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(a->ifname));
		ta_jadd(o, "generation", ta_ju64(a->dp.generation));
		ta_counters_json(o, &a->dp, mv.labels, a->meta.nrules);
		return ta_jprint(stdout, o);
	}
	printf("%s (policy %s, generation %u):\n", a->ifname, a->meta.policy, a->dp.generation);
	ta_print_counters(stdout, &a->dp, mv.labels, a->meta.nrules);
	return 0;
}

static void status_leftover(const char *ifname, const char *pins, bool xdp, bool tc, void *arg)
{
	const struct read_cfg *cfg = arg;
	const char *what = xdp && tc ? "XDP program and tc filter" : xdp ? "XDP program" : tc ? "tc filter" : NULL;

	if (cfg->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(ifname));
		ta_jadd(o, "pins", pins ? ta_jstr(pins) : NULL);
		ta_jadd(o, pins ? "incomplete" : "left_behind", ta_jbool(true));
		ta_jadd(o, "xdp_attached", ta_jbool(xdp));
		ta_jadd(o, "tc_attached", ta_jbool(tc));
		ta_jprint(stdout, o);
		return;
	}
	if (pins)
		printf("%s: an interrupted attach left incomplete pins in %s%s%s%s: 'tokaudit attach -i %s' starts "
		       "afresh, 'tokaudit detach -i %s' removes them\n", ifname, pins, what ? " (" : "",
		       what ? what : "", what ? " attached)" : "", ifname, ifname);
	else
		printf("%s: a tokaudit %s without pins, left behind (by a killed 'tokaudit run'?): "
		       "'tokaudit detach -i %s' removes it\n", ifname, what, ifname);
}

static int do_status(void *vcfg)
{
	struct read_cfg *cfg = vcfg;

	if (ta_pins_readable())
		return TA_EXIT_FAIL;
	int left = ta_pins_leftovers(cfg->ifaces, status_leftover, cfg), any = 0, rc;

	if (left && !ta_pins_any(cfg->ifaces))
		return TA_EXIT_FAIL;
	ta_pins_skip_incomplete(true);
	rc = ta_pins_walk(cfg->ifaces, false, status_one, &(struct status_walk){ cfg, &any });
	ta_pins_skip_incomplete(false);
	/* attached through pins: at least one interface whose pins are whole */
	return rc || !any ? TA_EXIT_FAIL : TA_EXIT_OK;
}

static int do_stats(void *cfg)
{
	return ta_pins_walk(((struct read_cfg *)cfg)->ifaces, false, stats_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_status = {
	.name = "status",
	.brief = "Where tokaudit is attached, how, and its totals",
	.examples = "sudo tokaudit status\tevery attached interface\n"
		    "sudo tokaudit status -i eth0 --json\tone JSON object\n",
	.summary = "Show where tokaudit is attached (pinned mode), how, and its totals.",
	.opts = read_opts, .cfg_size = sizeof(struct read_cfg), .run = do_status,
};
const struct ta_cmd ta_cmd_flows = {
	.name = "flows",
	.brief = "List the flows of the pinned flow tables",
	.examples = "sudo tokaudit flows --verdict unexpected --sort bytes --limit 20\tthe 20 biggest unexpected flows\n"
		    "sudo tokaudit flows --remote 70.42.47.64/26 --proto udp --state one-way-out\tmedia that never got an answer\n",
	.summary = "List the flows of the pinned flow tables.",
	.details = "Filters combine (all must hold); a list within one matches any of its words.\n"
		   "A table of 131072 flows is browsed with --sort and --limit.\n"
		   "Columns (-o): FLOW, PROTO, LOCAL, REMOTE, VERDICT, RULE, STATE, PKTS-OUT,\n"
		   "PKTS-IN, BYTES-OUT, BYTES-IN, AGE, IDLE, NOTES (drops, ICMP errors), IFACE;\n"
		   "default " FLOW_COLS_DEFAULT ".",
	.opts = flows_opts, .cfg_size = sizeof(struct flows_cfg), .run = do_flows,
};
const struct ta_cmd ta_cmd_stats = {
	.name = "stats",
	.brief = "The pinned counters: per verdict, per rule, named",
	.examples = "sudo tokaudit stats\tpackets and bytes per verdict and rule, and the named counters\n"
		    "sudo tokaudit stats --json | jq .counters.events_lost_new_flow\tone counter\n",
	.summary = "Show the pinned counters: per verdict, per rule, named counters.",
	.opts = read_opts, .cfg_size = sizeof(struct read_cfg), .run = do_stats,
};

/* ---- why ---- */

struct why_cfg {
	const char *ifaces;
	bool json;
	struct ta_remote remote;
	const char *rule;
	bool all;
};

static const struct ta_opt why_opts[] = {
	{ "remote", 'r', TA_OPT_REMOTE, offsetof(struct why_cfg, remote), "ADDR[/LEN][:PORT]",
	  "only flows with this remote address or prefix (and port); IPv6 with a port: [ADDR]:PORT" },
	{ "rule", 0, TA_OPT_STR, offsetof(struct why_cfg, rule), "LABEL", "only flows of this rule" },
	{ "all", 'a', TA_OPT_FLAG, offsetof(struct why_cfg, all), NULL,
	  "endpoint discards too (socket teardown, unread data: not blocks)" },
	{ "interface", 'i', TA_OPT_STR, offsetof(struct why_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct why_cfg, json), NULL, "one JSON object per interface" },
	{ 0 },
};

static int why_one(struct ta_attached *a, void *arg)
{
	const struct why_cfg *cfg = arg;
	const struct ta_why_filter flt = { .remote = cfg->remote, .rule = cfg->rule, .all = cfg->all };
	struct ta_meta_view mv;

	ta_meta_view(&a->meta, a->dp.generation, &mv);
	if (cfg->rule) {
		uint32_t r;
		for (r = 0; r < a->meta.nrules && strcmp(mv.labels[r], cfg->rule); r++)
			;
		if (r == a->meta.nrules) {
			ta_err("why: %s: the policy has no rule '%s'", a->ifname, cfg->rule);
			return -1;
		}
	}
	if (cfg->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(a->ifname));
		ta_why(NULL, o, &a->dp, NULL, 0, &mv.ctx, a->meta.nrules, &flt);
		return ta_jprint(stdout, o);
	}
	printf("%s (policy %s):\n", a->ifname, a->meta.policy);
	ta_why(stdout, NULL, &a->dp, NULL, 0, &mv.ctx, a->meta.nrules, &flt);
	return 0;
}

static int do_why(void *vcfg)
{
	struct why_cfg *cfg = vcfg;

	return ta_pins_walk(cfg->ifaces, false, why_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_why = {
	.name = "why",
	.brief = "Say per flow what blocked it: kernel, policy, ICMP",
	.examples = "sudo tokaudit why\tone sentence per blocked flow\n"
		    "sudo tokaudit why --remote 70.42.47.64/26 --rule media\tonly the media flows to one block\n"
		    "sudo tokaudit why --all --json\tendpoint discards too, as JSON\n",
	.summary = "Say, per flow, what blocked it: kernel drops (where, why), policy drops,\n"
		   "ICMP errors, refused or unanswered SYNs, one-way UDP (pinned mode).",
	.details = "Also lists the rules that never carried traffic. 'tokaudit run' prints the\n"
		   "same in its report.",
	.opts = why_opts,
	.cfg_size = sizeof(struct why_cfg),
	.run = do_why,
};
