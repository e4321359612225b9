// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit policy check | show | verify */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "commands.h"
#include "json.h"
#include "policy.h"
#include "probe.h"
#include "table.h"

/* ---- policy check ---- */
struct check_cfg {
	bool quiet;
	const char *pos[1];
};

static const struct ta_opt check_opts[] = {
	{ "quiet", 'q', TA_OPT_FLAG, offsetof(struct check_cfg, quiet), NULL,
	  "print nothing when the policy is valid" },
	{ 0 },
};

static int do_policy_check(void *vcfg)
{
	struct check_cfg *cfg = vcfg;
	struct ta_policy pol;
	struct ta_compiled comp;
	size_t nprefix = 0, nnames = 0;
	int err;

	if (ta_policy_get(cfg->pos[0], &pol))
		return TA_EXIT_FAIL;
	err = ta_policy_compile(&pol, &comp);
	if (err) {
		ta_err("%s: cannot compile policy: %s", cfg->pos[0], strerror(-err));
		ta_policy_free(&pol);
		return TA_EXIT_FAIL;
	}
	for (size_t i = 0; i < pol.nrules; i++) {
		nprefix += pol.rules[i].nprefixes;
		nnames += pol.rules[i].nnames;
	}
	if (!cfg->quiet) {
		printf("%s: valid: %zu rule%s, %zu address%s (%zu distinct prefixes in the trie), %zu server-name pattern%s\n",
		       cfg->pos[0], pol.nrules, pol.nrules == 1 ? "" : "s", nprefix, nprefix == 1 ? "" : "es",
		       comp.nlpm, nnames, nnames == 1 ? "" : "s");
		for (size_t i = 0; i < pol.nrules; i++) {
			struct ta_rule *r = &pol.rules[i];
			printf("  %-12s %-4s %-4s %zu port range%s, %zu address%s\n", r->label,
			       ta_pclass_name(r->pclass), ta_rdir_name(r->dir), r->nranges,
			       r->nranges == 1 ? "" : "s", r->nprefixes, r->nprefixes == 1 ? "" : "es");
		}
	}
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	return TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_policy_check = {
	.name = "policy check",
	.brief = "Check a policy file: a summary, or each error with its place",
	.examples =
		"tokaudit policy check /etc/tokaudit/policy\tvalid? a summary per rule, or each error as FILE:LINE:COL\n"
		"tokaudit policy check my.policy && sudo systemctl reload tokaudit\tinstall a change only when it checks\n",
	.no_verbose = true,
	.args = "FILE",
	.summary = "Check a policy file: print a summary when it is valid, every error\n"
		   "(FILE:LINE:COLUMN: error: ...) and exit 1 when it is not.",
	.opts = check_opts,
	.cfg_size = sizeof(struct check_cfg),
	.min_pos = 1,
	.max_pos = 1,
	.pos_offset = offsetof(struct check_cfg, pos),
	.run = do_policy_check,
};

/* ---- policy show ---- */
struct show_cfg {
	bool json;
	bool table;
	bool nfdump;
	struct ta_table_opts topts;
	const char *pos[1];
};

static const struct ta_opt show_opts[] = {
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct show_cfg, json), NULL, "print the rules as JSON" },
	{ "table", 't', TA_OPT_FLAG, offsetof(struct show_cfg, table), NULL,
	  "print the rules as a table, like the requirement document's (so do -o, --noheadings and --raw)" },
	TA_TABLE_OPTS(offsetof(struct show_cfg, topts)),
	{ "nfdump-filter", 0, TA_OPT_FLAG, offsetof(struct show_cfg, nfdump), NULL,
	  "print an nfdump filter of the flow records to or from the policy's addresses that no rule allows" },
	{ 0 },
};

/* Without FILE: the policy every command judges by, said on stderr when it
 * is not the built-in one (stdout stays the policy) */
static const char *default_policy(void)
{
	const char *p = ta_policy_default();

	if (p)
		ta_info("policy %s (%s)", p, getenv("TOKAUDIT_POLICY") && *getenv("TOKAUDIT_POLICY") ?
			"from TOKAUDIT_POLICY" : "the installed one; TOKAUDIT_POLICY=built-in for the built-in one");
	return p;
}

static int do_policy_show(void *vcfg)
{
	struct show_cfg *cfg = vcfg;
	struct ta_policy pol;

	if (cfg->json && cfg->table) {
		ta_err("policy show: --json and --table exclude each other");
		return TA_EXIT_USAGE;
	}
	if (!cfg->pos[0])
		cfg->pos[0] = default_policy();
	if (ta_policy_get(cfg->pos[0], &pol))
		return TA_EXIT_FAIL;
	if (cfg->json) {
		char *s = ta_policy_json(&pol);
		if (!s) {
			ta_policy_free(&pol);
			return TA_EXIT_FAIL;
		}
		puts(s);
		free(s);
	} else if (cfg->nfdump) {
		ta_policy_write_nfdump(&pol, stdout);
	} else if (cfg->table || cfg->topts.columns || cfg->topts.noheadings || cfg->topts.raw) {
		char err[400];
		int rc = ta_policy_write_table(&pol, stdout, &cfg->topts, err, sizeof(err));
		if (rc) {
			ta_err("policy show: %s%s", rc == -1 ? "-o: " : "", err);
			ta_policy_free(&pol);
			return rc == -1 ? TA_EXIT_USAGE : TA_EXIT_FAIL;
		}
	} else {
		ta_policy_write(&pol, stdout);
	}
	ta_policy_free(&pol);
	return fflush(stdout) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_policy_show = {
	.name = "policy show",
	.brief = "Print a policy (default: the one commands judge by)",
	.examples =
		"TOKAUDIT_POLICY=built-in tokaudit policy show\tthe built-in OpenTok policy, as a file to start from\n"
		"tokaudit policy show --table /etc/tokaudit/policy\tone line per rule\n"
		"tokaudit policy show --json | jq '.rules[].label'\tthe rule labels\n"
		"nfdump -R /var/cache/nfdump -A odid \"$(tokaudit policy show --nfdump-filter)\"\tgateways with unexpected traffic\n",
	.no_verbose = true,
	.args = "[FILE]",
	.summary = "Print a policy in the policy file syntax, as a table (--table) or as\n"
		   "JSON (--json). Without FILE: the one every command judges by by default\n"
		   "(README \"Which policy\"), named on stderr unless it is the built-in one.",
	.cols = ta_policy_cols,
	.ncols = TA_POLICY_NCOLS,
	.cols_default = TA_POLICY_COLS_DEFAULT,
	.opts = show_opts,
	.cfg_size = sizeof(struct show_cfg),
	.min_pos = 0,
	.max_pos = 1,
	.pos_offset = offsetof(struct show_cfg, pos),
	.run = do_policy_show,
};

/* ---- policy verify ---- */

struct verify_cfg {
	const char *hosts;
	bool json;
	bool strict;
	const char *pos[1];
};

static const struct ta_opt verify_opts[] = {
	{ "hosts", 0, TA_OPT_STR, offsetof(struct verify_cfg, hosts), "FILE", "name -> address pairs instead of DNS" },
	{ "strict", 0, TA_OPT_FLAG, offsetof(struct verify_cfg, strict), NULL,
	  "also fail on names that do not resolve and blocks no name resolves into" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct verify_cfg, json), NULL, "print JSON" },
	{ 0 },
};

struct verify_ctx {
	const struct ta_rule *ru;
	const struct ta_hosts *h;
	int drift, unresolved;
	bool *block_hit;
	json_object *arr;
	bool json;
};

static void verify_note(struct verify_ctx *v, const char *kind, const char *name, const char *addr, const char *msg)
{
	if (v->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "rule", ta_jstr(v->ru->label));
		json_object_object_add(o, "kind", ta_jstr(kind));
		json_object_object_add(o, "name", name ? ta_jstr(name) : NULL);
		json_object_object_add(o, "addr", addr ? ta_jstr(addr) : NULL);
		json_object_object_add(o, "message", ta_jstr(msg));
		json_object_array_add(v->arr, o);
	} else {
		printf("%s: %s\n", kind, msg);
	}
}

static void verify_name(const char *name, void *arg)
{
	struct verify_ctx *v = arg;
	char addrs[16][64], msg[512];
	int n = ta_resolve(name, v->h, addrs, 16);

	if (!n) {
		v->unresolved++;
		snprintf(msg, sizeof(msg), "rule %s: %s does not resolve", v->ru->label, name);
		verify_note(v, "unresolved", name, NULL, msg);
		return;
	}
	for (int i = 0; i < n && v->ru->nprefixes; i++) { /* names only: no address to compare */
		struct ta_prefix a;
		char err[128];
		int in = 0;
		if (ta_prefix_parse(addrs[i], &a, err, sizeof(err)))
			continue;
		for (size_t j = 0; j < v->ru->nprefixes; j++)
			if (ta_prefix_contains(&v->ru->prefixes[j], a.addr)) {
				in = 1;
				v->block_hit[j] = true;
			}
		if (!in) {
			v->drift++;
			snprintf(msg, sizeof(msg), "rule %s: %s resolves to %s, outside the rule's addresses",
				 v->ru->label, name, addrs[i]);
			verify_note(v, "drift", name, addrs[i], msg);
		}
	}
}

static int do_verify(void *vcfg)
{
	struct verify_cfg *cfg = vcfg;
	struct ta_policy pol;
	struct ta_hosts hosts, *hp = NULL;
	int drift = 0, unresolved = 0, empty = 0;
	json_object *arr = json_object_new_array();

	if (!cfg->pos[0])
		cfg->pos[0] = default_policy();
	if (ta_policy_get(cfg->pos[0], &pol)) {
		json_object_put(arr);
		return TA_EXIT_FAIL;
	}
	if (cfg->hosts) {
		if (ta_hosts_load(cfg->hosts, &hosts)) {
			ta_policy_free(&pol);
			json_object_put(arr);
			return TA_EXIT_FAIL;
		}
		hp = &hosts;
	}
	for (size_t i = 0; i < pol.nrules; i++) {
		const struct ta_rule *ru = &pol.rules[i];
		bool *hit = calloc(ru->nprefixes + 1, sizeof(bool));
		struct verify_ctx v = { ru, hp, 0, 0, hit, arr, cfg->json };
		char msg[512], pb[64];

		for (size_t j = 0; j < ru->nnames; j++) {
			if (!ta_name_is_wildcard(ru->names[j])) {
				ta_names_expand(ru->names[j], verify_name, &v);
				continue;
			}
			snprintf(msg, sizeof(msg), "rule %s: %s is a pattern: no name of it to resolve here", ru->label,
				 ru->names[j]);
			verify_note(&v, "pattern", ru->names[j], NULL, msg);
		}
		if (ru->nnames)
			for (size_t j = 0; j < ru->nprefixes; j++)
				if (!hit[j]) {
					empty++;
					ta_prefix_str(&ru->prefixes[j], pb, sizeof(pb));
					snprintf(msg, sizeof(msg), "rule %s: no server name resolves into %s",
						 ru->label, pb);
					verify_note(&v, "unused-block", NULL, pb, msg);
				}
		drift += v.drift;
		unresolved += v.unresolved;
		free(hit);
	}
	if (cfg->json) {
		json_object *root = json_object_new_object();
		json_object_object_add(root, "findings", arr);
		json_object_object_add(root, "drift", json_object_new_int(drift));
		json_object_object_add(root, "unresolved", json_object_new_int(unresolved));
		json_object_object_add(root, "unused_blocks", json_object_new_int(empty));
		puts(ta_jtext(root));
		json_object_put(root);
	} else {
		json_object_put(arr);
		printf("%d name%s outside their rule's addresses (drift), %d not resolving, %d block%s no name resolves into\n",
		       drift, drift == 1 ? "" : "s", unresolved, empty, empty == 1 ? "" : "s");
	}
	if (hp)
		ta_hosts_free(hp);
	ta_policy_free(&pol);
	return drift || (cfg->strict && (unresolved || empty)) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_policy_verify = {
	.name = "policy verify",
	.brief = "Resolve the policy's server names: report address drift",
	.examples = "tokaudit policy verify\tdo the OpenTok servers still resolve inside the policy's blocks?\n"
		    "tokaudit policy verify --strict /etc/tokaudit/policy\texit 1 on any drift (for a cron job)\n",
	.no_verbose = true,
	.args = "[FILE]",
	.summary = "Resolve the policy's server names and report drift: names whose addresses\n"
		   "fall outside their rule's blocks (exit 1), names that do not resolve, and\n"
		   "blocks no name resolves into.",
	.details = "Uses DNS, or --hosts. Meant for cron: exit 1 on drift (with --strict, also\n"
		   "on names that do not resolve and blocks no name resolves into).",
	.opts = verify_opts,
	.cfg_size = sizeof(struct verify_cfg),
	.min_pos = 0,
	.max_pos = 1,
	.pos_offset = offsetof(struct verify_cfg, pos),
	.run = do_verify,
};
