// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit why: per flow of the pinned tables, what blocked it (why.c says
 * it), and the rules that never carried traffic. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "flowsel.h"
#include "json.h"
#include "options.h"
#include "pinstore.h"
#include "report.h"

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
	TA_SINCE_OPT(struct why_cfg, since),
	{ "all", 'a', TA_OPT_FLAG, offsetof(struct why_cfg, all), NULL,
	  "endpoint discards too (socket teardown, unread data: not blocks)" },
	TA_PINS_IFACE_OPT(struct why_cfg, ifaces),
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

	if (cfg->since > 0 && ta_dp_recent(&a->dp, ta_since_unix_ns(cfg->since), add_recent, &l)) {
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
	.examples =
		"sudo tokaudit why\tone sentence per blocked flow\n"
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
