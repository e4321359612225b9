// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "flows.h"
#include "hooks.h"
#include "table.h"

#define HELP_WIDTH 80
#define OPT_COL 33 /* where an option's help starts */

/* text from column col, wrapped at HELP_WIDTH (continuation lines at col) */
static void wrap(FILE *f, int col, const char *text)
{
	int at = col;

	while (*text) {
		size_t w = strcspn(text, " ");

		if (at > col && at + 1 + (int)w > HELP_WIDTH) {
			fprintf(f, "\n%*s", col, "");
			at = col;
		} else if (at > col) {
			fputc(' ', f);
			at++;
		}
		fprintf(f, "%.*s", (int)w, text);
		at += (int)w;
		text += w;
		text += strspn(text, " ");
	}
	fputc('\n', f);
}

static void opt_line(FILE *f, const char *left, const char *help)
{
	/* an option too wide for its column gets its help on the next line */
	if (2 + (int)strlen(left) + 1 > OPT_COL)
		fprintf(f, "  %s\n%*s", left, OPT_COL, "");
	else
		fprintf(f, "  %-*s", OPT_COL - 2, left);
	wrap(f, OPT_COL, help);
}

void ta_cli_help(const struct ta_cmd *cmd, FILE *f)
{
	fprintf(f, "Usage: tokaudit %s [options]%s%s\n\n%s\n", cmd->name, cmd->args ? " " : "",
		cmd->args ? cmd->args : "", cmd->summary);
	if (cmd->details)
		fprintf(f, "\n%s\n", cmd->details);
	if (cmd->cols) {
		char names[600], text[900], def[400];
		size_t n = 0;

		ta_table_names(cmd->cols, cmd->ncols, names, sizeof(names));
		/* the default list with spaces after its commas, so that it wraps */
		for (const char *p = cmd->cols_default; *p && n + 3 < sizeof(def); p++) {
			def[n++] = *p;
			if (*p == ',')
				def[n++] = ' ';
		}
		def[n] = 0;
		snprintf(text, sizeof(text), "Columns (-o): %s; default %s.", names, def);
		fputc('\n', f);
		wrap(f, 0, text);
	}
	fprintf(f, "\nOptions:\n");
	for (const struct ta_opt *o = cmd->opts; o && o->name; o++) {
		char left[64];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
			 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		opt_line(f, left, o->help);
	}
	if (!cmd->no_verbose)
		opt_line(f, "-v, --verbose", "show libbpf's debug messages");
	opt_line(f, "-h, --help", "show this help");
	if (cmd->examples) {
		fprintf(f, "\nExamples:\n");
		for (const char *l = cmd->examples; *l;) {
			size_t n = strcspn(l, "\n"), t = strcspn(l, "\t");

			if (t < n) /* "command\twhat it does": the command, then its effect */
				fprintf(f, "  %.*s\n      %.*s\n", (int)t, l, (int)(n - t - 1), l + t + 1);
			else
				fprintf(f, "  %.*s\n", (int)n, l);
			l += n + (l[n] == '\n');
		}
	}
	fprintf(f, "\nExit status: 0 success, 1 failure at run time, 2 usage error.\n");
}

/* Edit distance of two short words (for "did you mean") */
int ta_cli_distance(const char *a, const char *b)
{
	int la = (int)strlen(a), lb = (int)strlen(b), d[33][33];

	if (la > 32 || lb > 32)
		return 99;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++)
		for (int j = 1; j <= lb; j++) {
			int c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

/* The closest of names to word, when close enough to be a typo (else NULL);
 * a word that starts a name counts as close. */
const char *ta_cli_closest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	int bd = 3;

	for (size_t i = 0; i < n; i++) {
		int d = ta_cli_distance(word, names[i]);
		if (strlen(word) >= 3 && !strncmp(names[i], word, strlen(word)))
			d = 1;
		if (d < bd) {
			bd = d;
			best = names[i];
		}
	}
	return best;
}

/* A number of an option: 0, or -1 when 'arg' is none of o's range */
static int parse_uint(const struct ta_opt *o, const char *arg, unsigned *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (!arg[0] || arg[0] == '-')
		return -1;
	v = strtoull(arg, &end, 0);
	if (errno || *end || v < o->min || v > o->max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Seconds, or with a unit: 90s, 10m, 2h, 1d */
static int parse_seconds(const struct ta_opt *o, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (*end && !end[1] && end != arg && strchr("smhd", *end)) {
		v *= *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 1;
		end++;
	}
	if (errno || *end || !arg[0] || !isfinite(v) || v < o->min || v > o->max)
		return -1;
	*out = v;
	return 0;
}

static int parse_enum(const struct ta_cmd *cmd, const struct ta_opt *o, const char *arg, int *out)
{
	char list[160] = "";

	for (int i = 0; o->values[i]; i++) {
		if (!strcmp(arg, o->values[i])) {
			*out = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? (o->values[i + 1] ? ", " : " or ") : "", o->values[i]);
	}
	ta_err("%s: --%s takes %s, not '%s'", cmd->name, o->name, list, arg);
	return TA_EXIT_USAGE;
}

static int bad_number(const struct ta_cmd *cmd, const struct ta_opt *o, const char *arg)
{
	ta_err("%s: --%s takes a number from %g to %g%s, not '%s'", cmd->name, o->name, o->min, o->max,
	       o->type == TA_OPT_DOUBLE ? " (seconds, or with a unit: 90s, 10m, 2h, 1d)" : "", arg);
	return TA_EXIT_USAGE;
}

static int set_opt(const struct ta_cmd *cmd, const struct ta_opt *o, const char *arg, void *cfg)
{
	char *field = (char *)cfg + o->offset;
	char err[256];

	switch (o->type) {
	case TA_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case TA_OPT_STR:
		*(const char **)field = arg;
		return 0;
	case TA_OPT_STRS: {
		struct ta_strs *l = (struct ta_strs *)field;

		if (l->n == TA_STRS_MAX) {
			ta_err("%s: --%s is taken at most %d times", cmd->name, o->name, TA_STRS_MAX);
			return TA_EXIT_USAGE;
		}
		l->v[l->n++] = arg;
		return 0;
	}
	case TA_OPT_UINT:
		return parse_uint(o, arg, (unsigned *)field) ? bad_number(cmd, o, arg) : 0;
	case TA_OPT_DOUBLE:
		return parse_seconds(o, arg, (double *)field) ? bad_number(cmd, o, arg) : 0;
	case TA_OPT_ENUM:
		return parse_enum(cmd, o, arg, (int *)field);
	case TA_OPT_IFACES: {
		struct ta_iface_list *l = (struct ta_iface_list *)field;

		return ta_ifaces_parse(arg, l->v, TA_MAX_IFACES, &l->n) ? TA_EXIT_FAIL : 0;
	}
	case TA_OPT_REMOTE:
		if (ta_remote_parse(arg, (struct ta_remote *)field, err, sizeof(err))) {
			ta_err("%s: --%s '%s': %s", cmd->name, o->name, arg, err);
			return TA_EXIT_USAGE;
		}
		return 0;
	}
	return bad_number(cmd, o, arg);
}

#define MAX_OPTS 60 /* options of one command, besides --help and --verbose */

/* getopt_long's tables for a command: long options (an option's index + 256
 * as its value) and the short ones */
static void getopt_tables(const struct ta_cmd *cmd, struct option lo[MAX_OPTS + 3], char so[3 * MAX_OPTS + 8])
{
	int n = 0, sl = 0;

	so[sl++] = '+';
	so[sl++] = ':';
	for (const struct ta_opt *o = cmd->opts; o && o->name && n < MAX_OPTS; o++, n++) {
		lo[n] = (struct option){ o->name, o->type == TA_OPT_FLAG ? no_argument : required_argument, NULL,
					 256 + n };
		if (o->short_name) {
			so[sl++] = o->short_name;
			if (o->type != TA_OPT_FLAG)
				so[sl++] = ':';
		}
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	so[sl++] = 'h';
	if (!cmd->no_verbose) {
		lo[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
		so[sl++] = 'v';
	}
	lo[n] = (struct option){ 0 };
	so[sl] = 0;
}

/* An option getopt did not take: unknown (with the nearest name), or
 * without its value */
static int bad_option(const struct ta_cmd *cmd, int c, const char *bad)
{
	const char *names[MAX_OPTS + 2], *near;
	char want[48], word[40];
	size_t k = 0;

	if (c == ':') {
		ta_err("%s: option '%s' needs a value (see 'tokaudit %s --help')", cmd->name, bad, cmd->name);
		return TA_EXIT_USAGE;
	}
	for (const struct ta_opt *x = cmd->opts; x && x->name && k < MAX_OPTS; x++)
		names[k++] = x->name;
	names[k++] = "help";
	if (!cmd->no_verbose)
		names[k++] = "verbose";
	snprintf(word, sizeof(word), "%.*s", (int)strcspn(bad + 2, "="), bad + 2);
	near = !strncmp(bad, "--", 2) ? ta_cli_closest(word, names, k) : NULL;
	snprintf(want, sizeof(want), "--%s", near ? near : "");
	ta_err("%s: unknown option '%s'%s%s%s (see 'tokaudit %s --help')", cmd->name, bad,
	       near ? "; did you mean '" : "", near ? want : "", near ? "'?" : "", cmd->name);
	return TA_EXIT_USAGE;
}

/* The option getopt returned c for */
static const struct ta_opt *opt_of(const struct ta_cmd *cmd, int c)
{
	if (c >= 256)
		return &cmd->opts[c - 256];
	for (const struct ta_opt *x = cmd->opts; x && x->name; x++)
		if (x->short_name == c)
			return x;
	return NULL;
}

/* After parsing: every required option given, enough positional arguments */
static int check_given(const struct ta_cmd *cmd, const bool *given, int npos)
{
	char give[64];

	for (const struct ta_opt *o = cmd->opts; o && o->name; o++) {
		if (!o->required || given[o - cmd->opts])
			continue;
		if (o->short_name)
			snprintf(give, sizeof(give), "-%c %s", o->short_name, o->metavar ? o->metavar : "");
		else
			snprintf(give, sizeof(give), "--%s %s", o->name, o->metavar ? o->metavar : "");
		ta_err("%s: which %s? give %s (see 'tokaudit %s --help')", cmd->name, o->name, give, cmd->name);
		return TA_EXIT_USAGE;
	}
	if (npos < cmd->min_pos) {
		ta_err("%s: missing %s (see 'tokaudit %s --help')", cmd->name,
		       cmd->args ? cmd->args : "argument", cmd->name);
		return TA_EXIT_USAGE;
	}
	return 0;
}

/* A positional argument, wherever it stands */
static int add_pos(const struct ta_cmd *cmd, void *cfg, int *npos, const char *arg, bool hint)
{
	if (*npos >= cmd->max_pos) {
		if (hint)
			ta_err("%s: unexpected argument '%s' (see 'tokaudit %s --help')", cmd->name, arg, cmd->name);
		else
			ta_err("%s: unexpected argument '%s'", cmd->name, arg);
		return TA_EXIT_USAGE;
	}
	((const char **)((char *)cfg + cmd->pos_offset))[(*npos)++] = arg;
	return 0;
}

int ta_cli_parse(const struct ta_cmd *cmd, int argc, char **argv, void *cfg)
{
	struct option lo[MAX_OPTS + 3];
	bool given[MAX_OPTS] = { false };
	char so[3 * MAX_OPTS + 8];
	int c, npos = 0, r;

	getopt_tables(cmd, lo, so);
	optind = 1;
	opterr = 0;
	while (optind < argc) {
		if (argv[optind][0] != '-' || !argv[optind][1]) {
			if ((r = add_pos(cmd, cfg, &npos, argv[optind++], true)))
				return r;
			continue;
		}
		if (!strcmp(argv[optind], "--")) {
			for (optind++; optind < argc;)
				if ((r = add_pos(cmd, cfg, &npos, argv[optind++], false)))
					return r;
			break;
		}
		c = getopt_long(argc, argv, so, lo, NULL);
		if (c == -1)
			break;
		if (c == 'h') {
			ta_cli_help(cmd, stdout);
			return -1;
		}
		if (c == 'v') {
			ta_verbose = 1;
			continue;
		}
		if (c == '?' || c == ':')
			return bad_option(cmd, c, argv[optind - 1]);
		const struct ta_opt *o = opt_of(cmd, c);
		if (!o)
			return TA_EXIT_USAGE;
		if ((r = set_opt(cmd, o, optarg, cfg)))
			return r;
		given[o - cmd->opts] = true;
	}
	return check_given(cmd, given, npos);
}
