/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The command registry: every command, for the dispatcher. */
#ifndef TA_COMMANDS_H
#define TA_COMMANDS_H
#include "cli.h"

extern const struct ta_cmd ta_cmd_policy_check;
extern const struct ta_cmd ta_cmd_policy_show;
extern const struct ta_cmd ta_cmd_replay;
extern const struct ta_cmd ta_cmd_version;
extern const struct ta_cmd ta_cmd_run;
extern const struct ta_cmd ta_cmd_serve;
extern const struct ta_cmd ta_cmd_ipfix_elements;
extern const struct ta_cmd ta_cmd_attach, ta_cmd_detach, ta_cmd_status, ta_cmd_flows, ta_cmd_stats,
	ta_cmd_reload, ta_cmd_why, ta_cmd_probe, ta_cmd_policy_verify;

/* Entry point with argv[0] = "tokaudit" */
int ta_main(int argc, char **argv);
#endif
