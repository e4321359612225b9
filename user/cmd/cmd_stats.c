// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit stats: the pinned counters, per verdict, per rule, named. */
#include <stddef.h>
#include <stdio.h>
#include "commands.h"
#include "options.h"
#include "json.h"
#include "pinstore.h"
#include "report.h"

struct read_cfg {
	const char *ifaces;
	bool json;
};

static const struct ta_opt read_opts[] = {
	TA_PINS_IFACE_OPT(struct read_cfg, ifaces),
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct read_cfg, json), NULL, "one JSON object per line" },
	{ 0 },
};

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

static int do_stats(void *cfg)
{
	return ta_pins_walk(((struct read_cfg *)cfg)->ifaces, false, stats_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_stats = {
	.name = "stats",
	.brief = "The pinned counters: per verdict, per rule, named",
	.examples = "sudo tokaudit stats\tpackets and bytes per verdict and rule, and the named counters\n"
		    "sudo tokaudit stats --json | jq .counters.events_lost_new_flow\tone counter\n",
	.summary = "Show the pinned counters: per verdict, per rule, named counters.",
	.opts = read_opts, .cfg_size = sizeof(struct read_cfg), .run = do_stats,
};
