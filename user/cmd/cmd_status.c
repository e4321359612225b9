// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tokaudit status: where tokaudit is attached through pins, how, and its
 * totals; pins or hooks that something left behind.  The pinned maps are
 * opened without loading any program (pinstore.c).
 */
#include <stddef.h>
#include <stdio.h>
#include "commands.h"
#include "options.h"
#include "json.h"
#include "pinstore.h"
#include "table.h"
#include "units.h"

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
	TA_PINS_IFACE_OPT(struct status_cfg, ifaces),
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
	up = (double)(ta_now_ns() - m->attached_ns) / TA_NSEC_PER_SEC;
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
	snprintf(hook, sizeof(hook), "%s%s",
		 m->hook ? "tc" : (xdp ? (m->xdp_mode == TA_XDP_SKB ? "xdp-skb" : "xdp") : "XDP-MISSING"),
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

	if (!cfg->json &&
	    !(t = ta_table_new(status_cols, ST_MAX, STATUS_COLS_DEFAULT, &cfg->table, err, sizeof(err)))) {
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
