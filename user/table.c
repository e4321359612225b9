// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libsmartcols/libsmartcols.h>
#include "table.h"

#define TA_TABLE_MAX_COLS 32

struct ta_table {
	struct libscols_table *tb;
	int map[TA_TABLE_MAX_COLS]; /* printed column j shows cols[map[j]] */
	size_t n;
};

struct ta_table *ta_table_new(const struct ta_col *cols, size_t ncols, const char *def,
			      const struct ta_table_opts *o, char *err, size_t errlen)
{
	struct ta_table *t = calloc(1, sizeof(*t));
	const char *list = o && o->columns ? o->columns : def;

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
			char names[400];
			ta_table_names(cols, ncols, names, sizeof(names));
			snprintf(err, errlen, "no column '%.*s' (%s)", (int)w, p, names);
			ta_table_free(t);
			return NULL;
		}
		t->map[t->n++] = (int)i;
		if (!scols_table_new_column(t->tb, cols[i].name, 0, cols[i].right ? SCOLS_FL_RIGHT : 0)) {
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
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", cols[i].name);
}
