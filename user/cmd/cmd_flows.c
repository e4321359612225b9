// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit flows: the flows of the pinned flow tables, and with --since the
 * unexpected or blocked ones serve saw close lately. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "commands.h"
#include "flowsel.h"
#include "flowtable.h"
#include "json.h"
#include "options.h"
#include "pinstore.h"

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
	TA_SINCE_OPT(struct flows_cfg, since),
	TA_TABLE_OPTS(offsetof(struct flows_cfg, table)),
	TA_PINS_IFACE_OPT(struct flows_cfg, ifaces),
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
		ta_dp_recent(&a->dp, ta_since_unix_ns(cfg->since), keep_recent, &fp);
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
		struct ta_table *t =
			ta_table_new(ta_flow_cols, FC_MAX, FLOW_COLS_DEFAULT, &cfg->table, terr, sizeof(terr));
		if (!t) {
			ta_err("flows: -o: %s", terr);
			return TA_EXIT_USAGE;
		}
		ta_table_free(t);
	}
	return ta_pins_walk(cfg->ifaces, false, flows_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_flows = {
	.name = "flows",
	.brief = "List the flows of the pinned flow tables",
	.examples =
		"sudo tokaudit flows --verdict unexpected --sort bytes --limit 20\tthe 20 biggest unexpected flows\n"
		"sudo tokaudit flows --remote 70.42.47.64/26 --proto udp --state one-way-out\tmedia that never got an answer\n",
	.summary = "List the flows of the pinned flow tables.",
	.details = "Filters combine (all must hold); a list within one matches any of its words.\n"
		   "A table of " TA_STR(TA_DEFAULT_FLOWS) " flows is browsed with --sort and --limit.",
	.cols = ta_flow_cols,
	.ncols = FC_MAX,
	.cols_default = FLOW_COLS_DEFAULT,
	.opts = flows_opts,
	.cfg_size = sizeof(struct flows_cfg),
	.run = do_flows,
};
