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
		char names[600], text[900];

		ta_table_names(cmd->cols, cmd->ncols, names, sizeof(names));
		snprintf(text, sizeof(text), "Columns (-o): %s; default %s.", names, cmd->cols_default);
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

static int set_opt(const struct ta_cmd *cmd, const struct ta_opt *o, const char *arg, void *cfg)
{
	char *field = (char *)cfg + o->offset;
	char *end;

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
	case TA_OPT_UINT: {
		unsigned long long v;

		errno = 0;
		if (!arg[0] || arg[0] == '-')
			goto bad;
		v = strtoull(arg, &end, 0);
		if (errno || *end || v < o->min || v > o->max)
			goto bad;
		*(unsigned *)field = (unsigned)v;
		return 0;
	}
	case TA_OPT_DOUBLE: {
		double v;

		errno = 0;
		v = strtod(arg, &end);
		/* seconds, or with a unit: 90s, 10m, 2h, 1d */
		if (*end && !end[1] && end != arg && strchr("smhd", *end)) {
			v *= *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 1;
			end++;
		}
		if (errno || *end || !arg[0] || !isfinite(v) || v < o->min || v > o->max)
			goto bad;
		*(double *)field = v;
		return 0;
	}
	case TA_OPT_ENUM: {
		char list[160] = "";

		for (int i = 0; o->values[i]; i++) {
			if (!strcmp(arg, o->values[i])) {
				*(int *)field = i;
				return 0;
			}
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? (o->values[i + 1] ? ", " : " or ") : "", o->values[i]);
		}
		ta_err("%s: --%s takes %s, not '%s'", cmd->name, o->name, list, arg);
		return TA_EXIT_USAGE;
	}
	case TA_OPT_IFACES: {
		struct ta_iface_list *l = (struct ta_iface_list *)field;

		return ta_ifaces_parse(arg, l->v, TA_MAX_IFACES, &l->n) ? TA_EXIT_FAIL : 0;
	}
	case TA_OPT_REMOTE: {
		char err[256];

		if (ta_remote_parse(arg, (struct ta_remote *)field, err, sizeof(err))) {
			ta_err("%s: --%s '%s': %s", cmd->name, o->name, arg, err);
			return TA_EXIT_USAGE;
		}
		return 0;
	}
	}
bad:
	ta_err("%s: --%s takes a number from %g to %g%s, not '%s'", cmd->name, o->name, o->min, o->max,
	       o->type == TA_OPT_DOUBLE ? " (seconds, or with a unit: 90s, 10m, 2h, 1d)" : "", arg);
	return TA_EXIT_USAGE;
}

int ta_cli_parse(const struct ta_cmd *cmd, int argc, char **argv, void *cfg)
{
	struct option lo[64];
	bool given[64] = { false };
	char so[160];
	int n = 0, sl = 0, c, npos;

	so[sl++] = '+';
	so[sl++] = ':';
	for (const struct ta_opt *o = cmd->opts; o && o->name && n < 60; o++, n++) {
		lo[n].name = o->name;
		lo[n].has_arg = o->type == TA_OPT_FLAG ? no_argument : required_argument;
		lo[n].flag = NULL;
		lo[n].val = 256 + n;
		if (o->short_name) {
			so[sl++] = o->short_name;
			if (o->type != TA_OPT_FLAG)
				so[sl++] = ':';
		}
	}
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	if (!cmd->no_verbose)
		lo[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	lo[n] = (struct option){ 0 };
	so[sl++] = 'h';
	if (!cmd->no_verbose)
		so[sl++] = 'v';
	so[sl] = 0;

	optind = 1;
	opterr = 0;
	/* positional arguments may stand anywhere: collect them as we go */
	const char **pos = cmd->max_pos ? (const char **)((char *)cfg + cmd->pos_offset) : NULL;
	npos = 0;
	while (optind < argc) {
		if (argv[optind][0] != '-' || !argv[optind][1]) {
			if (npos >= cmd->max_pos) {
				ta_err("%s: unexpected argument '%s' (see 'tokaudit %s --help')", cmd->name,
				       argv[optind], cmd->name);
				return TA_EXIT_USAGE;
			}
			pos[npos++] = argv[optind++];
			continue;
		}
		if (!strcmp(argv[optind], "--")) {
			optind++;
			while (optind < argc) {
				if (npos >= cmd->max_pos) {
					ta_err("%s: unexpected argument '%s'", cmd->name, argv[optind]);
					return TA_EXIT_USAGE;
				}
				pos[npos++] = argv[optind++];
			}
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
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (c == ':')
				ta_err("%s: option '%s' needs a value (see 'tokaudit %s --help')",
				       cmd->name, bad, cmd->name);
			else {
				const char *names[64], *near;
				char want[48];
				size_t k = 0;

				for (const struct ta_opt *x = cmd->opts; x && x->name && k < 62; x++)
					names[k++] = x->name;
				names[k++] = "help";
				if (!cmd->no_verbose)
					names[k++] = "verbose";
				char word[40];

				snprintf(word, sizeof(word), "%.*s", (int)strcspn(bad + 2, "="), bad + 2);
				near = !strncmp(bad, "--", 2) ? ta_cli_closest(word, names, k) : NULL;
				snprintf(want, sizeof(want), "--%s", near ? near : "");
				ta_err("%s: unknown option '%s'%s%s%s (see 'tokaudit %s --help')", cmd->name, bad,
				       near ? "; did you mean '" : "", near ? want : "", near ? "'?" : "", cmd->name);
			}
			return TA_EXIT_USAGE;
		}
		const struct ta_opt *o = NULL;
		if (c >= 256)
			o = &cmd->opts[c - 256];
		else
			for (const struct ta_opt *x = cmd->opts; x && x->name; x++)
				if (x->short_name == c)
					o = x;
		if (!o)
			return TA_EXIT_USAGE;
		int r = set_opt(cmd, o, optarg, cfg);
		if (r)
			return r;
		given[o - cmd->opts] = true;
	}
	for (const struct ta_opt *o = cmd->opts; o && o->name; o++)
		if (o->required && !given[o - cmd->opts]) {
			char give[64];

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
