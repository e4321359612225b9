// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Command dispatch: tokaudit [-v] COMMAND [SUBCOMMAND] [options] [args] */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "dp.h"
#include "flowsel.h"


static const struct ta_cmd *const commands[] = {
	&ta_cmd_policy_check,
	&ta_cmd_policy_show,
	&ta_cmd_policy_verify,
	&ta_cmd_run,
	&ta_cmd_serve,
	&ta_cmd_ipfix_elements,
	&ta_cmd_attach,
	&ta_cmd_status,
	&ta_cmd_flows,
	&ta_cmd_stats,
	&ta_cmd_reload,
	&ta_cmd_why,
	&ta_cmd_probe,
	&ta_cmd_detach,
	&ta_cmd_replay,
	&ta_cmd_version,
};
#define NCMDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: tokaudit [-v] COMMAND [options]\n\n"
		   "Audit traffic against the OpenTok (Vonage Video API) network requirements\n"
		   "with eBPF: which flows are allowed, unexpected or dropped.\n\nCommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-16s %s\n", commands[i]->name, commands[i]->brief);
	fprintf(f, "\n'tokaudit help COMMAND' tells more about a command.\n"
		   "Exit status: 0 success, 1 failure at run time, 2 usage error.\n");
}

/* "unknown command 'X'", with the closest command when X looks like a typo */
static int unknown_command(const char *what)
{
	const char *names[NCMDS + 1], *near;
	char first[NCMDS][24];
	size_t n = 0;

	for (size_t i = 0; i < NCMDS; i++) {
		snprintf(first[n], sizeof(first[n]), "%.*s", (int)strcspn(commands[i]->name, " "), commands[i]->name);
		names[n] = first[n];
		n++;
	}
	names[n++] = "help";
	near = ta_cli_closest(what, names, n);
	ta_err("%s: unknown command%s%s%s (see 'tokaudit --help')", what, near ? "; did you mean '" : "",
	       near ? near : "", near ? "'?" : "");
	return TA_EXIT_USAGE;
}

/* One command: its configuration, defaults, options, then its work.
 * argv[0] is the command word. */
static int run_cmd(const struct ta_cmd *cmd, int argc, char **argv)
{
	void *cfg = calloc(1, cmd->cfg_size ? cmd->cfg_size : 1);
	int r;

	if (!cfg) {
		ta_err("%s: out of memory", cmd->name);
		return TA_EXIT_FAIL;
	}
	if (cmd->init)
		cmd->init(cfg);
	r = ta_cli_parse(cmd, argc, argv, cfg);
	if (r == -1)
		r = TA_EXIT_OK;
	else if (r == TA_EXIT_FAIL && cmd->config_exit)
		r = TA_EXIT_CONFIG; /* e.g. no such interface */
	else if (r == 0)
		r = cmd->run(cfg);
	free(cfg);
	return r;
}

/* tokaudit help [COMMAND [SUBCOMMAND]]: that command's --help */
static int help(int argc, char **argv, int i)
{
	char *hv[4] = { argv[0], NULL, NULL, NULL };
	int hc = 1;

	if (i + 1 >= argc) {
		usage(stdout);
		return TA_EXIT_OK;
	}
	for (int k = i + 1; k < argc && hc < 3; k++)
		hv[hc++] = argv[k];
	hv[hc++] = "--help";
	return ta_main(hc, hv);
}

int ta_main(int argc, char **argv)
{
	int i = 1;

	/* libbpf speaks only with -v: errors are reported in one line by us */
	ta_dp_quiet_libbpf();

	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			ta_verbose = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return TA_EXIT_OK;
		} else if (!strcmp(argv[i], "--version")) {
			/* as 'tokaudit version' with no option: a zeroed configuration */
			void *cfg = calloc(1, ta_cmd_version.cfg_size);
			int rc = cfg ? ta_cmd_version.run(cfg) : TA_EXIT_FAIL;

			free(cfg);
			return rc;
		} else {
			ta_err("%s: unknown option (see 'tokaudit --help')", argv[i]);
			return TA_EXIT_USAGE;
		}
		i++;
	}
	if (i >= argc) {
		usage(stderr);
		return TA_EXIT_USAGE;
	}
	/* tokaudit __values OPTION: the words it takes, for bash completion */
	if (!strcmp(argv[i], "__values")) {
		if (i + 1 < argc && !ta_flow_sel_values(argv[i + 1], stdout))
			return TA_EXIT_OK;
		ta_err("__values: takes one option name: verdict, state, proto or sort");
		return TA_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help"))
		return help(argc, argv, i);
	for (size_t c = 0; c < NCMDS; c++) {
		const struct ta_cmd *cmd = commands[c];
		const char *sp = strchr(cmd->name, ' ');
		size_t l1 = sp ? (size_t)(sp - cmd->name) : strlen(cmd->name);
		int used = 1;

		if (strlen(argv[i]) != l1 || strncmp(argv[i], cmd->name, l1))
			continue;
		if (sp) {
			/* two-word command: find the subcommand */
			const struct ta_cmd *sub = NULL;
			if (i + 1 < argc)
				for (size_t s = 0; s < NCMDS; s++) {
					const char *n = commands[s]->name;
					if (!strncmp(n, cmd->name, l1 + 1) && !strcmp(n + l1 + 1, argv[i + 1]))
						sub = commands[s];
				}
			if (!sub) {
				if (i + 1 < argc && (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"))) {
					printf("Usage: tokaudit %.*s SUBCOMMAND [options]\n\nSubcommands:\n", (int)l1,
					       argv[i]);
					for (size_t s = 0; s < NCMDS; s++)
						if (!strncmp(commands[s]->name, cmd->name, l1 + 1))
							printf("  %-16s %.*s\n", commands[s]->name,
							       (int)strcspn(commands[s]->summary, "\n"),
							       commands[s]->summary);
					return TA_EXIT_OK;
				}
				ta_err("%.*s: needs a subcommand%s%s (see 'tokaudit %.*s --help')", (int)l1, argv[i],
				       i + 1 < argc ? ", not " : "", i + 1 < argc ? argv[i + 1] : "", (int)l1, argv[i]);
				return TA_EXIT_USAGE;
			}
			cmd = sub;
			used = 2;
		}
		return run_cmd(cmd, argc - i - used + 1, argv + i + used - 1);
	}
	return unknown_command(argv[i]);
}
