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
#include "flowtable.h"
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

struct status_cfg {
	const char *ifaces;
	bool json;
	struct ta_table_opts table;
};

enum { ST_IFACE, ST_SIDE, ST_HOOK, ST_MODE, ST_POLICY, ST_GEN, ST_RULES, ST_UP, ST_ATTACHES, ST_ALLOWED,
       ST_UNEXPECTED, ST_OTHER, ST_INVALID, ST_DROPS, ST_PINS, ST_MAX };
static const struct ta_col status_cols[ST_MAX] = {
	[ST_IFACE] = { "IFACE" }, [ST_SIDE] = { "SIDE" }, [ST_HOOK] = { "HOOK" }, [ST_MODE] = { "MODE" },
	[ST_POLICY] = { "POLICY", .wrap = true }, [ST_GEN] = { "GEN", true }, [ST_RULES] = { "RULES", true },
	[ST_UP] = { "UP", true }, [ST_ATTACHES] = { "ATTACHES", true }, [ST_ALLOWED] = { "ALLOWED", true },
	[ST_UNEXPECTED] = { "UNEXPECTED", true }, [ST_OTHER] = { "OTHER", true }, [ST_INVALID] = { "INVALID", true },
	[ST_DROPS] = { "DROPS", true, "packets enforce mode dropped" }, [ST_PINS] = { "PINS", .wrap = true },
};
#define STATUS_COLS_DEFAULT "IFACE,SIDE,HOOK,MODE,POLICY,GEN,UP,ALLOWED,UNEXPECTED,OTHER,INVALID,DROPS"

static const struct ta_opt status_opts[] = {
	{ "interface", 'i', TA_OPT_STR, offsetof(struct status_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct status_cfg, json), NULL, "one JSON object per line" },
	TA_TABLE_OPTS(offsetof(struct status_cfg, table)),
	{ 0 },
};

struct status_walk {
	const struct status_cfg *cfg;
	int *any; /* interfaces shown */
	struct ta_table *t;
};

static int status_one(struct ta_attached *a, void *arg)
{
	const struct status_walk *w = arg;
	const struct status_cfg *cfg = w->cfg;
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
	char hook[40], gen[16], rules[16], upt[24], att[16], n[5][24];
	const char *cells[ST_MAX];
	bool raw = cfg->table.raw;

	/* a hook the pins have but the interface lacks is named MISSING */
	snprintf(hook, sizeof(hook), "%s%s", m->hook ? "tc" : (xdp ? (m->xdp_mode == TA_XDP_SKB ? "xdp-skb" : "xdp") : "XDP-MISSING"),
		 m->hook ? (tc ? "" : "-MISSING") : (tc ? "+tc" : "+TC-MISSING"));
	snprintf(gen, sizeof(gen), "%u", a->dp.generation);
	snprintf(rules, sizeof(rules), "%u", m->nrules);
	snprintf(att, sizeof(att), "%u", m->attaches);
	if (raw)
		snprintf(upt, sizeof(upt), "%.0f", up);
	else
		ta_fmt_dur(upt, sizeof(upt), up);
	for (int v = 0; v < TA_V_MAX; v++)
		snprintf(n[v], sizeof(n[v]), "%llu", (unsigned long long)tot[v]);
	snprintf(n[4], sizeof(n[4]), "%llu", (unsigned long long)cnt[TA_C_POLICY_DROP]);
	cells[ST_IFACE] = a->ifname;
	cells[ST_SIDE] = m->side ? "inside" : "outside";
	cells[ST_HOOK] = hook;
	cells[ST_MODE] = m->enforce ? "enforce" : "audit";
	cells[ST_POLICY] = m->policy;
	cells[ST_GEN] = gen;
	cells[ST_RULES] = rules;
	cells[ST_UP] = upt;
	cells[ST_ATTACHES] = att;
	cells[ST_ALLOWED] = n[TA_V_ALLOWED];
	cells[ST_UNEXPECTED] = n[TA_V_UNEXPECTED];
	cells[ST_OTHER] = n[TA_V_OTHER];
	cells[ST_INVALID] = n[TA_V_INVALID];
	cells[ST_DROPS] = n[4];
	cells[ST_PINS] = a->dir;
	return ta_table_row(w->t, cells);
}

/* --since: the unexpected or blocked flows serve saw close lately, kept in
 * the pins after they left the flow table (ta_recent) */
#define SINCE_OPT(type)                                                                                       \
	{ "since", 0, TA_OPT_DOUBLE, offsetof(type, since), "SECONDS",                                    \
	  "also the unexpected or blocked flows that closed this long ago or less (e.g. 10m; serve keeps the " \
	  "last 1024)", 1, 31536000 }

static uint64_t since_unix_ns(double since)
{
	return (uint64_t)((ta_ktime_to_unix(ta_now_ns()) - since) * 1e9);
}

/* ---- flows ---- */

struct flows_cfg {
	const char *ifaces;
	bool json;
	double since;
	struct ta_flow_sel_args sel_args;
	struct ta_flow_sel sel;
	struct ta_table_opts table;
};

static const struct ta_opt flows_opts[] = {
	TA_FLOW_SEL_OPTS(offsetof(struct flows_cfg, sel_args)),
	SINCE_OPT(struct flows_cfg),
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
	if (ta_closed_add(&fp->f, &fp->cap, &fp->n, k, v)) {
		fp->err = -1;
		return -1;
	}
	return 0;
}

static int keep_recent(const struct ta_recent *r, void *arg)
{
	return keep_flow(&r->key, &r->val, arg);
}

static int flows_one(struct ta_attached *a, void *arg)
{
	const struct flows_cfg *cfg = arg;
	struct flows_print fp = { .cfg = cfg };
	struct ta_table *t = NULL;
	bool plain = !cfg->table.noheadings && !cfg->table.raw;
	char err[500];
	size_t show;

	ta_meta_view(&a->meta, &a->dp, &fp.mv);
	ta_dp_flows(&a->dp, keep_flow, &fp);
	if (cfg->since > 0)
		ta_dp_recent(&a->dp, since_unix_ns(cfg->since), keep_recent, &fp);
	if (fp.err) {
		ta_err("flows: %s: out of memory", a->ifname);
		free(fp.f);
		return -1;
	}
	ta_flow_sel_sort(&cfg->sel, fp.f, fp.n);
	show = cfg->sel.limit && cfg->sel.limit < fp.n ? cfg->sel.limit : fp.n;
	if (!cfg->json && !(t = ta_table_new(ta_flow_cols, FC_MAX, FLOW_COLS_DEFAULT, &cfg->table, err, sizeof(err)))) {
		ta_err("flows: -o: %s", err);
		free(fp.f);
		return -1;
	}
	for (size_t i = 0; i < show; i++) {
		if (cfg->json)
			ta_jprint(stdout, ta_flow_jobj(&fp.mv.ctx, NULL, a->ifname, &fp.f[i].k, &fp.f[i].v));
		else
			ta_flow_row(t, &fp.mv.ctx, a->ifname, &fp.f[i].k, &fp.f[i].v, cfg->table.raw);
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
		struct ta_table *t = ta_table_new(ta_flow_cols, FC_MAX, FLOW_COLS_DEFAULT, &cfg->table, terr, sizeof(terr));
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

	ta_meta_view(&a->meta, &a->dp, &mv);
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
	const struct status_cfg *cfg = arg;
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
	struct status_cfg *cfg = vcfg;
	struct ta_table *t = NULL;
	char err[500];

	if (!cfg->json && !(t = ta_table_new(status_cols, ST_MAX, STATUS_COLS_DEFAULT, &cfg->table, err, sizeof(err)))) {
		ta_err("status: -o: %s", err);
		return TA_EXIT_USAGE;
	}
	if (ta_pins_readable()) {
		ta_table_free(t);
		return TA_EXIT_FAIL;
	}
	int left = ta_pins_leftovers(cfg->ifaces, status_leftover, cfg), any = 0, rc;

	if (left && !ta_pins_any(cfg->ifaces)) {
		ta_table_free(t);
		return TA_EXIT_FAIL;
	}
	ta_pins_skip_incomplete(true);
	rc = ta_pins_walk(cfg->ifaces, false, status_one, &(struct status_walk){ cfg, &any, t });
	ta_pins_skip_incomplete(false);
	if (t && any && ta_table_print(t, stdout))
		rc = -1;
	else if (t && !any)
		ta_table_free(t);
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
	.examples = "sudo tokaudit status\tevery attached interface, a line each\n"
		    "sudo tokaudit status -o iface,hook,mode,pins\twhere each one's pins are\n"
		    "sudo tokaudit status -i eth0 --json\tone JSON object\n",
	.summary = "Show where tokaudit is attached (pinned mode), how, and its totals.",
	.details = "HOOK names a hook the pins hold but the interface lacks as MISSING.\n"
		   "Pins that an interrupted attach left, and tokaudit hooks without pins,\n"
		   "are reported above the table, with the command that clears them.",
	.cols = status_cols, .ncols = ST_MAX, .cols_default = STATUS_COLS_DEFAULT,
	.opts = status_opts, .cfg_size = sizeof(struct status_cfg), .run = do_status,
};
const struct ta_cmd ta_cmd_flows = {
	.name = "flows",
	.brief = "List the flows of the pinned flow tables",
	.examples = "sudo tokaudit flows --verdict unexpected --sort bytes --limit 20\tthe 20 biggest unexpected flows\n"
		    "sudo tokaudit flows --remote 70.42.47.64/26 --proto udp --state one-way-out\tmedia that never got an answer\n",
	.summary = "List the flows of the pinned flow tables.",
	.details = "Filters combine (all must hold); a list within one matches any of its words.\n"
		   "A table of 131072 flows is browsed with --sort and --limit.",
	.cols = ta_flow_cols, .ncols = FC_MAX, .cols_default = FLOW_COLS_DEFAULT,
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
	double since;
	struct ta_flow_sel_args sel_args;
	struct ta_flow_sel sel;
	bool all;
};

static const struct ta_opt why_opts[] = {
	TA_FLOW_SEL_OPTS(offsetof(struct why_cfg, sel_args)),
	SINCE_OPT(struct why_cfg),
	{ "all", 'a', TA_OPT_FLAG, offsetof(struct why_cfg, all), NULL,
	  "endpoint discards too (socket teardown, unread data: not blocks)" },
	{ "interface", 'i', TA_OPT_STR, offsetof(struct why_cfg, ifaces), "IFACE[,IFACE...]",
	  "only these interfaces (default: every attached one)" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct why_cfg, json), NULL, "one JSON object per interface" },
	{ 0 },
};

struct recent_list {
	struct ta_closed *a;
	size_t n, cap;
};

static int add_recent(const struct ta_recent *r, void *arg)
{
	struct recent_list *l = arg;

	return ta_closed_add(&l->a, &l->cap, &l->n, &r->key, &r->val);
}

/* The diagnosis of an interface's flows, and of those closed lately */
static int why_print(struct ta_attached *a, const struct why_cfg *cfg, const struct ta_meta_view *mv)
{
	const struct ta_why_filter flt = { .sel = &cfg->sel, .all = cfg->all };
	struct recent_list l = { 0 };
	int rc = 0;

	if (cfg->since > 0 && ta_dp_recent(&a->dp, since_unix_ns(cfg->since), add_recent, &l)) {
		ta_err("why: %s: out of memory", a->ifname);
		free(l.a);
		return -1;
	}
	if (cfg->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(a->ifname));
		ta_why(NULL, o, &a->dp, l.a, l.n, &mv->ctx, a->meta.nrules, &flt);
		rc = ta_jprint(stdout, o);
	} else {
		printf("%s (policy %s):\n", a->ifname, a->meta.policy);
		ta_why(stdout, NULL, &a->dp, l.a, l.n, &mv->ctx, a->meta.nrules, &flt);
	}
	free(l.a);
	return rc;
}

static int why_one(struct ta_attached *a, void *arg)
{
	const struct why_cfg *cfg = arg;
	struct ta_meta_view mv;

	ta_meta_view(&a->meta, &a->dp, &mv);
	for (const char *p = cfg->sel.rules; p && *p;) { /* every label asked for is the policy's */
		size_t w = strcspn(p, ","), r;
		for (r = 0; r < a->meta.nrules && (strlen(mv.labels[r]) != w || strncmp(mv.labels[r], p, w)); r++)
			;
		if (r == a->meta.nrules) {
			ta_err("why: %s: the policy has no rule '%.*s'", a->ifname, (int)w, p);
			return -1;
		}
		p += w + (p[w] == ',');
	}
	return why_print(a, cfg, &mv);
}

static int do_why(void *vcfg)
{
	struct why_cfg *cfg = vcfg;
	char err[300];

	if (ta_flow_sel_init(&cfg->sel, &cfg->sel_args, err, sizeof(err))) {
		ta_err("why: %s", err);
		return TA_EXIT_USAGE;
	}
	return ta_pins_walk(cfg->ifaces, false, why_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_why = {
	.name = "why",
	.brief = "Say per flow what blocked it: kernel, policy, ICMP",
	.examples = "sudo tokaudit why\tone sentence per blocked flow\n"
		    "sudo tokaudit why --remote 70.42.47.64/26 --rule media\tonly the media flows to one block\n"
		    "sudo tokaudit why --verdict allowed --sort packets -n 5\tthe five busiest allowed flows that something blocked\n"
		    "sudo tokaudit why --all --json\tendpoint discards too, as JSON\n",
	.summary = "Say, per flow, what blocked it: kernel drops (where, why), policy drops,\n"
		   "ICMP errors, refused or unanswered SYNs, one-way UDP (pinned mode).",
	.details = "Also lists the rules that never carried traffic. 'tokaudit run' prints the\n"
		   "same in its report.",
	.opts = why_opts,
	.cfg_size = sizeof(struct why_cfg),
	.run = do_why,
};
