// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Pinned mode, changing what is attached: tokaudit attach | detach | reload.
 * The work is the pin store's (pinstore.c); these print what it did.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "options.h"
#include "owner.h"
#include "pinstore.h"

/* ---- attach ---- */

struct attach_cfg {
	struct ta_attach_cli a;
	const char *policy;
	bool enforce;
	unsigned flows;
};

static const struct ta_opt attach_opts[] = {
	TA_ATTACH_OPTS(struct attach_cfg, a),
	{ "policy", 'p', TA_OPT_STR, offsetof(struct attach_cfg, policy), "FILE",
	  "policy file (default: the pinned one when attached already; else $TOKAUDIT_POLICY, the installed one if any, the built-in one)" },
	{ "enforce", 'e', TA_OPT_FLAG, offsetof(struct attach_cfg, enforce), NULL,
	  "drop unexpected packets (default: audit only)" },
	{ "flows", 0, TA_OPT_UINT, offsetof(struct attach_cfg, flows), "N",
	  "IPv4 flow table entries on a first attach (IPv6: N/4; default " TA_STR(TA_DEFAULT_FLOWS) ")", 1024,
	  16777216 },
	{ 0 },
};

static void attach_init(void *vcfg)
{
	ta_attach_cli_init(&((struct attach_cfg *)vcfg)->a);
}

static int do_attach(void *vcfg)
{
	struct attach_cfg *cfg = vcfg;
	struct ta_attach_opts o;
	struct ta_policy pol = { 0 };
	struct ta_compiled comp = { 0 };
	int rc = TA_EXIT_FAIL;

	if ((rc = ta_attach_cli_resolve("attach", &cfg->a, &o)))
		return rc;
	o.enforce = cfg->enforce;
	rc = TA_EXIT_FAIL;
	const char *first = cfg->policy ? cfg->policy : ta_policy_default(); /* a first attach's */

	if (ta_policy_load_compiled("attach", first, &pol, &comp))
		goto out;
	if (ta_pins_lock(true))
		goto out;
	rc = TA_EXIT_OK;
	for (int i = 0; i < cfg->a.ifaces.n; i++) {
		struct ta_iface *ifc = &cfg->a.ifaces.v[i];
		struct ta_meta m;
		bool again;
		char dir[256];

		if (ta_owner_refuse_attach("attach", ifc->name, ifc->ifindex, false) ||
		    ta_pins_attach(ifc, &o, cfg->flows, &pol, &comp,
				   cfg->policy || !ta_pins_any(ifc->name) ? first : NULL, &m, &again)) {
			rc = TA_EXIT_FAIL;
			continue;
		}
		ta_pin_dir(dir, sizeof(dir), ifc->name);
		printf("%s: %s (%s side, %s, %s), policy %s generation %u, pins in %s\n", ifc->name,
		       again ? "attached again, counters kept" : "attached",
		       o.side == TA_SIDE_OUTSIDE ? "outside" : "inside",
		       o.hook == TA_HOOK_TC ? "tc" : m.xdp_mode == TA_XDP_SKB ? "xdp skb mode + tc" : "xdp + tc",
		       o.enforce ? "enforcing" : "audit only", m.policy, m.generation, dir);
	}
	ta_pins_unlock();
out:
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	return rc;
}

const struct ta_cmd ta_cmd_attach = {
	.name = "attach",
	.brief = "Attach and return: audit from pins, no process",
	.examples = "sudo tokaudit attach -i eth0\taudit with the built-in policy; read with status, flows, stats\n"
		    "sudo tokaudit attach -i eth0 --hook tc --policy /etc/tokaudit/policy\ttc both ways, your policy\n",
	.summary = "Attach and return: programs, links and maps pinned under\n"
		   "/sys/fs/bpf/tokaudit/IFACE/, auditing with no process running.",
	.details = "Attaching again keeps the flows and counters (and the policy, unless\n"
		   "--policy is given). bpffs is mounted when missing. Read with status,\n"
		   "flows and stats; change the policy with reload; remove with detach.",
	.opts = attach_opts,
	.cfg_size = sizeof(struct attach_cfg),
	.init = attach_init,
	.run = do_attach,
};

/* ---- detach ---- */

struct detach_cfg {
	const char *ifaces;
	bool all;
	bool force;
};

static const struct ta_opt detach_opts[] = {
	{ "interface", 'i', TA_OPT_STR, offsetof(struct detach_cfg, ifaces), "IFACE[,IFACE...]",
	  "interfaces to detach from" },
	{ "all", 'a', TA_OPT_FLAG, offsetof(struct detach_cfg, all), NULL,
	  "every interface with pins (what the package's removal runs)" },
	{ "force", 'f', TA_OPT_FLAG, offsetof(struct detach_cfg, force), NULL,
	  "detach even where a running serve or run audits (a serve puts its hooks back)" },
	{ 0 },
};

/* --all: the interfaces with pins, as "a,b,c" in buf; 0 when there are none */
static int pinned_list(char *buf, size_t len)
{
	char list[TA_PINS_MAX][IF_NAMESIZE + 1];
	int n = ta_pins_names(list, TA_PINS_MAX);
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "", list[i]);
	return n;
}

/* A running serve or run owns ifname: refused without --force (one line) */
static bool owned_elsewhere(const char *ifname, bool force)
{
	struct ta_owner o;
	char who[200];

	ta_owner_of(ifname, (int)if_nametoindex(ifname), &o);
	if (o.kind != TA_OWNER_SERVE && o.kind != TA_OWNER_RUN)
		return false;
	ta_owner_str(&o, who, sizeof(who));
	if (force) {
		ta_info("detach: %s is audited by %s: detaching anyway (--force)%s", ifname, who,
			o.kind == TA_OWNER_SERVE ? "; that serve will put its hooks back" : "");
		return false;
	}
	if (o.kind == TA_OWNER_SERVE && o.unit[0])
		ta_err("detach: %s is audited by %s: 'systemctl stop %s' stops it and detaches; "
		       "--force detaches anyway", ifname, who, o.unit);
	else
		ta_err("detach: %s is audited by %s, which detaches when it stops; --force detaches anyway", ifname,
		       who);
	return true;
}

static int do_detach(void *vcfg)
{
	struct detach_cfg *cfg = vcfg;
	char *dup, *save = NULL, *tok, all[TA_PINS_MAX * (IF_NAMESIZE + 1) + 1];
	const char *why;
	int rc = TA_EXIT_OK;
	bool no_pins = false;

	if (!cfg->ifaces == !cfg->all) {
		ta_err("detach: give -i IFACE[,IFACE...] or --all (one of them)");
		return TA_EXIT_USAGE;
	}
	if (cfg->all) {
		if (!ta_pins_visible(&why)) {
			printf("nothing attached: %s\n", why);
			return TA_EXIT_OK;
		}
		if (ta_pins_lock(false))
			return TA_EXIT_FAIL;
		int n = pinned_list(all, sizeof(all));
		ta_pins_unlock();
		if (!n) {
			printf("nothing attached\n");
			return TA_EXIT_OK;
		}
		cfg->ifaces = all;
	}

	/* no pins to see (private mount namespace, no bpffs): the hooks of
	 * ours still go, found by name */
	if (!ta_pins_visible(&why)) {
		ta_info("detach: no pins visible here (%s); removing tokaudit's hooks by name", why);
		no_pins = true;
	} else if (ta_pins_lock(false)) {
		return TA_EXIT_FAIL;
	}
	dup = strdup(cfg->ifaces);
	for (tok = dup ? strtok_r(dup, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		struct ta_detached d;

		if (owned_elsewhere(tok, cfg->force) || ta_pins_detach(tok, no_pins, &d)) {
			rc = TA_EXIT_FAIL;
			continue;
		}
		if (d.had_pins)
			printf("%s: detached, pins removed\n", tok);
		else
			printf("%s: no pins; removed tokaudit's %s%s%s left behind\n", tok,
			       d.tc_filters ? "tc filters" : "", d.tc_filters && d.xdp > 0 ? " and " : "",
			       d.xdp > 0 ? "XDP program" : "");
	}
	free(dup);
	if (!no_pins)
		ta_pins_unlock();
	return rc;
}

const struct ta_cmd ta_cmd_detach = {
	.name = "detach",
	.brief = "Detach and remove everything attach made",
	.examples = "sudo tokaudit detach -i eth0\tone interface (refused where a serve or run audits it)\n"
		    "sudo tokaudit detach --all\tevery interface tokaudit is on (as the package's removal does)\n",
	.summary = "Detach from interfaces and remove everything attach made there.",
	.opts = detach_opts,
	.cfg_size = sizeof(struct detach_cfg),
	.run = do_detach,
};

/* ---- reload ---- */

struct reload_cfg {
	const char *policy;
	const char *ifaces;
};

static const struct ta_opt reload_opts[] = {
	{ "policy", 'p', TA_OPT_STR, offsetof(struct reload_cfg, policy), "FILE", "the new policy (required)",
	  .required = true },
	TA_PINS_IFACE_OPT(struct reload_cfg, ifaces),
	{ 0 },
};

struct reload_ctx {
	const char *path;
	struct ta_policy pol;
	struct ta_compiled comp;
};

static int reload_one(struct ta_attached *a, void *arg)
{
	struct reload_ctx *r = arg;

	int rc = ta_pins_install(&a->dp, &a->meta, a->ifname, &r->pol, &r->comp, r->path);

	if (rc < 0)
		return -1;
	if (rc == TA_PINS_UNCHANGED)
		printf("%s: policy %s unchanged: generation %u stays\n", a->ifname, r->path, a->dp.generation);
	else
		printf("%s: policy %s installed, generation %u\n", a->ifname, r->path, a->dp.generation);
	return 0;
}

static int do_reload(void *vcfg)
{
	struct reload_cfg *cfg = vcfg;
	struct reload_ctx r = { .path = cfg->policy };
	int rc;

	if (ta_policy_load_compiled("reload", cfg->policy, &r.pol, &r.comp)) {
		ta_err("reload: the running policy stays");
		return TA_EXIT_FAIL;
	}
	rc = ta_pins_walk(cfg->ifaces, false, reload_one, &r) ? TA_EXIT_FAIL : TA_EXIT_OK;
	ta_compiled_free(&r.comp);
	ta_policy_free(&r.pol);
	return rc;
}

const struct ta_cmd ta_cmd_reload = {
	.name = "reload",
	.brief = "Replace the policy of attached interfaces atomically",
	.examples = "sudo tokaudit reload -p /etc/tokaudit/policy\tevery attached interface\n"
		    "sudo tokaudit reload -i eth0 -p new.policy\tone interface; a broken file changes nothing\n",
	.summary = "Replace the policy of attached interfaces atomically (pinned mode).",
	.details = "The new policy is written to the idle slot and switched to with one store:\n"
		   "no packet is classified against half a policy. A broken file is rejected\n"
		   "and the running policy stays. ('tokaudit run' reloads on SIGHUP.)",
	.opts = reload_opts,
	.cfg_size = sizeof(struct reload_cfg),
	.run = do_reload,
};
