// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit policy check | show */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "commands.h"
#include "policy.h"

int ta_load_policy_or_builtin(const char *path, struct ta_policy *pol)
{
	struct ta_diags d = { 0 };
	int err;

	if (!path) {
		err = ta_policy_builtin(pol);
		if (err)
			ta_err("the built-in policy does not parse (error %d): this is a bug", err);
		return err ? TA_EXIT_FAIL : 0;
	}
	err = ta_policy_load(path, pol, &d);
	if (err) {
		ta_diags_print(&d, stderr);
		if (err > 0)
			ta_err("%s: %d error%s, policy not loaded", path, err, err == 1 ? "" : "s");
	}
	ta_diags_free(&d);
	return err ? TA_EXIT_FAIL : 0;
}

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

int do_policy_check(void *vcfg)
{
	struct check_cfg *cfg = vcfg;
	struct ta_policy pol;
	struct ta_compiled comp;
	size_t nprefix = 0, nnames = 0;
	int err;

	if (ta_load_policy_or_builtin(cfg->pos[0], &pol))
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
		       cfg->pos[0], pol.nrules, pol.nrules == 1 ? "" : "s", nprefix,
		       nprefix == 1 ? "" : "es", comp.nlpm, nnames, nnames == 1 ? "" : "s");
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
	const char *pos[1];
};

static const struct ta_opt show_opts[] = {
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct show_cfg, json), NULL, "print the rules as JSON" },
	{ "table", 't', TA_OPT_FLAG, offsetof(struct show_cfg, table), NULL,
	  "print the rules as a table, like the requirement document's" },
	{ 0 },
};

int do_policy_show(void *vcfg)
{
	struct show_cfg *cfg = vcfg;
	struct ta_policy pol;

	if (cfg->json && cfg->table) {
		ta_err("policy show: --json and --table exclude each other");
		return TA_EXIT_USAGE;
	}
	if (ta_load_policy_or_builtin(cfg->pos[0], &pol))
		return TA_EXIT_FAIL;
	if (cfg->json) {
		char *s = ta_policy_json(&pol);
		if (!s) {
			ta_policy_free(&pol);
			return TA_EXIT_FAIL;
		}
		puts(s);
		free(s);
	} else if (cfg->table) {
		ta_policy_write_table(&pol, stdout);
	} else {
		ta_policy_write(&pol, stdout);
	}
	ta_policy_free(&pol);
	return fflush(stdout) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_policy_show = {
	.name = "policy show",
	.args = "[FILE]",
	.summary = "Print a policy (the built-in OpenTok policy without FILE) in the\n"
		   "policy file syntax, as a table (--table) or as JSON (--json).",
	.opts = show_opts,
	.cfg_size = sizeof(struct show_cfg),
	.min_pos = 0,
	.max_pos = 1,
	.pos_offset = offsetof(struct show_cfg, pos),
	.run = do_policy_show,
};
