/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Command-line frame: each command declares its options in a table that
 * fills a per-command config struct, and its logic is a do_X(cfg) function
 * that tests can call directly.
 */
#ifndef TA_CLI_H
#define TA_CLI_H

#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes (README "Exit codes") */
#define TA_EXIT_OK 0
#define TA_EXIT_FAIL 1   /* failure at run time: bad input, kernel refused, ... */
#define TA_EXIT_USAGE 2  /* the command line itself is wrong */
/* serve: its settings name what is not there or not valid (an interface, a
 * policy file with errors, an events file it cannot open); systemd shows
 * 6/NOTCONFIGURED and, by the unit's RestartPreventExitStatus=, does not
 * restart it in a loop */
#define TA_EXIT_CONFIG 6

enum ta_opt_type {
	TA_OPT_FLAG,     /* bool, no argument */
	TA_OPT_STR,      /* const char * */
	TA_OPT_UINT,     /* unsigned, range-checked against min..max */
	TA_OPT_DOUBLE,   /* double, range-checked, for seconds */
	TA_OPT_ENUM,     /* int: the index of the value in 'values' (set it to -1 for "not given") */
	TA_OPT_IFACES,   /* struct ta_iface_list: existing interfaces, comma-separated */
	TA_OPT_REMOTE,   /* struct ta_remote: ADDR[/LEN][:PORT], [ADDR6[/LEN]]:PORT */
	TA_OPT_STRS,     /* struct ta_strs: each use of the option adds one */
};

#define TA_STRS_MAX 4
struct ta_strs {
	const char *v[TA_STRS_MAX];
	int n;
};

struct ta_opt {
	const char *name;     /* long name, without -- */
	char short_name;      /* 0: none */
	enum ta_opt_type type;
	size_t offset;        /* offsetof(config struct, field) */
	const char *metavar;  /* for --help */
	const char *help;
	double min, max;      /* for UINT / DOUBLE */
	const char *const *values; /* for ENUM: NULL-terminated */
	bool required;        /* the command cannot run without it */
};

struct ta_col;

struct ta_cmd {
	const char *name;     /* "replay", "policy check", ... */
	const char *args;     /* positional arguments, for the usage line */
	const char *brief;    /* one line for 'tokaudit --help' (at most 60 columns) */
	const char *summary;
	const char *details;  /* extra --help text, may be NULL */
	const char *examples; /* "tokaudit ...\twhat it does\n" lines, 2 to 4 */
	const struct ta_col *cols; /* a table's columns, listed by --help for -o */
	size_t ncols;
	const char *cols_default;
	bool no_verbose;      /* no libbpf here: no -v */
	bool config_exit;     /* an option naming what is not there exits TA_EXIT_CONFIG (serve) */
	const struct ta_opt *opts;
	size_t cfg_size;
	int min_pos, max_pos; /* number of positional arguments */
	size_t pos_offset;    /* offsetof(cfg, positional array of const char *) */
	void (*init)(void *cfg); /* sets defaults, may be NULL */
	int (*run)(void *cfg);
};

/* Parse argv for cmd into cfg (zeroed by the caller, defaults pre-set).
 * Returns 0, TA_EXIT_USAGE after printing an error, or -1 after --help. */
int ta_cli_parse(const struct ta_cmd *cmd, int argc, char **argv, void *cfg);
void ta_cli_help(const struct ta_cmd *cmd, FILE *f);
/* Edit distance of two words; the closest of names to word if it looks
 * like a typo of it (NULL otherwise). */
int ta_cli_distance(const char *a, const char *b);
const char *ta_cli_closest(const char *word, const char *const *names, size_t n);

/* Messages (ta_err, ta_info) and -v */
#include "log.h"

#endif
