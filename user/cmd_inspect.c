// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Pinned mode, reading: tokaudit status | flows | stats | why.  The pinned
 * maps are opened without loading any program (pinstore.c).
 */
#include <stddef.h>
#include <string.h>
#include "commands.h"
#include "json.h"
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

static int status_one(struct ta_attached *a, void *arg)
{
	const struct read_cfg *cfg = arg;
	const struct ta_meta *m = &a->meta;
	bool xdp, tc;
	uint64_t cnt[TA_C_MAX], tot[TA_V_MAX];
	struct ta_count vs[TA_VSTAT_MAX];
	double up;

	ta_pins_hooks(a, &xdp, &tc);
	if (ta_dp_counters(&a->dp, cnt) || ta_dp_vstats(&a->dp, vs))
		return -1;
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

struct flows_print {
	const char *ifname;
	struct ta_meta_view mv;
	bool json;
	size_t n;
};

static int print_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct flows_print *fp = arg;

	fp->n++;
	if (fp->json)
		ta_jprint(stdout, ta_flow_jobj(&fp->mv.ctx, NULL, fp->ifname, k, v));
	else
		ta_flow_line(stdout, &fp->mv.ctx, k, v, 52);
	return 0;
}

static int flows_one(struct ta_attached *a, void *arg)
{
	const struct read_cfg *cfg = arg;
	struct flows_print fp = { .ifname = a->ifname, .json = cfg->json };

	ta_meta_view(&a->meta, a->dp.generation, &fp.mv);
	if (!cfg->json)
		printf("%s:\n%-52s %-10s %-8s %-11s %13s %15s %6s\n", a->ifname, "FLOW", "VERDICT", "RULE", "STATE",
		       "PKTS OUT/IN", "BYTES OUT/IN", "IDLE");
	ta_dp_flows(&a->dp, print_flow, &fp);
	if (!cfg->json && !fp.n)
		printf("  no flows\n");
	return 0;
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

static void status_leftover(const char *ifname, bool xdp, bool tc, void *arg)
{
	const struct read_cfg *cfg = arg;
	const char *what = xdp && tc ? "XDP program and tc filter" : xdp ? "XDP program" : "tc filter";

	if (cfg->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "iface", ta_jstr(ifname));
		ta_jadd(o, "pins", NULL);
		ta_jadd(o, "left_behind", ta_jbool(true));
		ta_jadd(o, "xdp_attached", ta_jbool(xdp));
		ta_jadd(o, "tc_attached", ta_jbool(tc));
		ta_jprint(stdout, o);
		return;
	}
	printf("%s: a tokaudit %s without pins, left behind (by a killed 'tokaudit run'?): "
	       "'tokaudit detach -i %s' removes it\n", ifname, what, ifname);
}

/* Hooks of tokaudit that no pin accounts for, then the pinned attachments:
 * the exit status says whether anything is attached through pins. */
static int do_status(void *vcfg)
{
	struct read_cfg *cfg = vcfg;

	if (ta_pins_readable())
		return TA_EXIT_FAIL;
	if (ta_pins_leftovers(cfg->ifaces, status_leftover, cfg) && !ta_pins_any(cfg->ifaces))
		return TA_EXIT_FAIL;
	return ta_pins_walk(cfg->ifaces, false, status_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

static int do_flows(void *cfg)
{
	return ta_pins_walk(((struct read_cfg *)cfg)->ifaces, false, flows_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

static int do_stats(void *cfg)
{
	return ta_pins_walk(((struct read_cfg *)cfg)->ifaces, false, stats_one, cfg) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_status = {
	.name = "status",
	.summary = "Show where tokaudit is attached (pinned mode), how, and its totals.",
	.opts = read_opts, .cfg_size = sizeof(struct read_cfg), .run = do_status,
};
const struct ta_cmd ta_cmd_flows = {
	.name = "flows",
	.summary = "List the flows of the pinned flow tables.",
	.opts = read_opts, .cfg_size = sizeof(struct read_cfg), .run = do_flows,
};
const struct ta_cmd ta_cmd_stats = {
	.name = "stats",
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
	.summary = "Say, per flow, what blocked it: kernel drops (where, why), policy drops,\n"
		   "ICMP errors, refused or unanswered SYNs, one-way UDP (pinned mode).",
	.details = "Also lists the rules that never carried traffic. 'tokaudit run' prints the\n"
		   "same in its report.",
	.opts = why_opts,
	.cfg_size = sizeof(struct why_cfg),
	.run = do_why,
};
