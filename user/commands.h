/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TA_COMMANDS_H
#define TA_COMMANDS_H
#include "cli.h"
#include "policy.h"

extern const struct ta_cmd ta_cmd_policy_check;
extern const struct ta_cmd ta_cmd_policy_show;
extern const struct ta_cmd ta_cmd_replay;
extern const struct ta_cmd ta_cmd_version;
extern const struct ta_cmd ta_cmd_run;
extern const struct ta_cmd ta_cmd_attach, ta_cmd_detach, ta_cmd_status, ta_cmd_flows, ta_cmd_stats,
	ta_cmd_reload, ta_cmd_why, ta_cmd_probe, ta_cmd_policy_verify;

/* The options run and attach share; CFG is the command's config struct, which
 * has the fields ifaces, side, hook and xdp_mode. */
#define TA_ATTACH_OPTS(CFG)                                                                   \
	{ "interface", 'i', TA_OPT_STR, offsetof(CFG, ifaces), "IFACE[,IFACE...]",             \
	  "interfaces to audit (required)" },                                                  \
	{ "side", 's', TA_OPT_STR, offsetof(CFG, side), "outside|inside",                       \
	  "the interfaces face the outside (default) or the protected network" },              \
	{ "hook", 0, TA_OPT_STR, offsetof(CFG, hook), "xdp|tc",                                 \
	  "ingress hook: XDP (default) or tc" },                                               \
	{ "xdp-mode", 0, TA_OPT_STR, offsetof(CFG, xdp_mode), "native|skb",                     \
	  "XDP mode (default native, falling back to skb)" }

struct ta_session;
int ta_parse_attach_opts(const char *cmd, const char *side, const char *hook, const char *xdp_mode,
			 struct ta_session *s);

/* Load FILE, or the built-in policy when path is NULL; prints errors.
 * Returns 0 or TA_EXIT_FAIL. */
int ta_load_policy_or_builtin(const char *path, struct ta_policy *pol);

/* Entry point with argv[0] = "tokaudit" */
int ta_main(int argc, char **argv);
#endif
