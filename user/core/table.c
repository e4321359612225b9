// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <libsmartcols/libsmartcols.h>
#include "table.h"

#define TA_TABLE_MAX_COLS 32

struct ta_table {
	struct libscols_table *tb;
	int map[TA_TABLE_MAX_COLS]; /* printed column j shows cols[map[j]] */
	size_t n;
};

/* Wrapping at spaces, never inside a word (an address, a name): the
 * column is at least as wide as its longest word. */
static size_t word_longest(const struct libscols_column *cl, const char *data, void *ud)
{
	size_t best = 0;

	(void)cl;
	(void)ud;
	while (data && *data) {
		size_t w = strcspn(data, " ");
		if (w > best)
			best = w;
		data += w + (data[w] == ' ');
	}
	return best;
}

static char *word_next(const struct libscols_column *cl, char *data, void *ud)
{
	size_t width = scols_column_get_width(cl), end = 0;

	(void)ud;
	if (!data || strlen(data) <= width)
		return NULL;
	/* the last space at or before the width, else the first after it */
	for (size_t i = 0; data[i] && (i <= width || !end); i++)
		if (data[i] == ' ')
			end = i;
	if (!end)
		return NULL;
	data[end] = 0;
	return data + end + 1;
}

struct ta_table *ta_table_new(const struct ta_col *cols, size_t ncols, const char *def,
			      const struct ta_table_opts *o, char *err, size_t errlen)
{
	struct ta_table *t = calloc(1, sizeof(*t));
	const char *list = o && o->columns ? o->columns : def;
	/* wrapping only to fit a terminal: a pipe gets whole lines */
	bool wrap = isatty(STDOUT_FILENO) && !(o && o->raw);

	if (!t || !(t->tb = scols_new_table())) {
		snprintf(err, errlen, "out of memory");
		free(t);
		return NULL;
	}
	for (const char *p = list; *p && t->n < TA_TABLE_MAX_COLS;) {
		size_t w = strcspn(p, ","), i;

		for (i = 0; i < ncols; i++)
			if (strlen(cols[i].name) == w && !strncasecmp(p, cols[i].name, w))
				break;
		if (i == ncols) {
			char names[400] = "";
			for (size_t j = 0; j < ncols; j++)
				snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", j ? ", " : "",
					 cols[j].name);
			snprintf(err, errlen, "no column '%.*s' (%s)", (int)w, p, names);
			ta_table_free(t);
			return NULL;
		}
		t->map[t->n++] = (int)i;
		/* a column that wraps asks for a quarter of the terminal, so
		 * that it is not squeezed to its longest word */
		struct libscols_column *cl = scols_table_new_column(
			t->tb, cols[i].name, cols[i].wrap && wrap ? 0.25 : 0,
			(cols[i].right ? SCOLS_FL_RIGHT : 0) | (cols[i].wrap && wrap ? SCOLS_FL_WRAP : 0));
		if (!cl || (cols[i].wrap && wrap && scols_column_set_wrapfunc(cl, word_longest, word_next, NULL))) {
			snprintf(err, errlen, "out of memory");
			ta_table_free(t);
			return NULL;
		}
		p += w + (p[w] == ',');
	}
	if (!t->n) {
		snprintf(err, errlen, "no columns chosen");
		ta_table_free(t);
		return NULL;
	}
	scols_table_enable_noheadings(t->tb, o && o->noheadings);
	scols_table_enable_raw(t->tb, o && o->raw);
	return t;
}

bool ta_table_shows(const struct ta_table *t, size_t i)
{
	for (size_t j = 0; j < t->n; j++)
		if (t->map[j] == (int)i)
			return true;
	return false;
}

int ta_table_row(struct ta_table *t, const char *const *cells)
{
	struct libscols_line *ln = scols_table_new_line(t->tb, NULL);

	if (!ln)
		return -1;
	for (size_t j = 0; j < t->n; j++)
		if (scols_line_set_data(ln, j, cells[t->map[j]] ? cells[t->map[j]] : ""))
			return -1;
	return 0;
}

int ta_table_print(struct ta_table *t, FILE *f)
{
	int r;

	scols_table_set_stream(t->tb, f);
	r = scols_print_table(t->tb) ? -1 : 0;
	ta_table_free(t);
	return r;
}

void ta_table_free(struct ta_table *t)
{
	if (!t)
		return;
	if (t->tb)
		scols_unref_table(t->tb);
	free(t);
}

void ta_table_names(const struct ta_col *cols, size_t ncols, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < ncols && at < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s%s%s%s", i ? ", " : "", cols[i].name,
				       cols[i].help ? " (" : "", cols[i].help ? cols[i].help : "",
				       cols[i].help ? ")" : "");
}
