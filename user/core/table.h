/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Text tables (libsmartcols, as lsblk and findmnt print): columns aligned
 * whatever the width of their cells, -o to choose them, --noheadings,
 * --raw.  A command declares its columns once; rows give every column's
 * cell and only the chosen ones are printed.
 */
#ifndef TA_TABLE_H
#define TA_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ta_col {
	const char *name;   /* as -o takes it: FLOW, PKTS-OUT... */
	bool right;         /* numbers: aligned right */
	const char *help;   /* for --help's list of columns */
	bool wrap;          /* text that may wrap within its column when the terminal is narrow */
};

struct ta_table_opts {
	const char *columns; /* -o: comma-separated names (case-insensitive), NULL: the default */
	bool noheadings, raw;
};

struct ta_table;

/* A table of the columns -o chose (else def, comma-separated names):
 * NULL with err filled when a name is unknown.  On a terminal it fits the
 * terminal's width (wrapping the wrap columns); into a pipe or a file the
 * lines are as long as their cells. */
struct ta_table *ta_table_new(const struct ta_col *cols, size_t ncols, const char *def,
			      const struct ta_table_opts *o, char *err, size_t errlen);
/* Whether column i is printed */
bool ta_table_shows(const struct ta_table *t, size_t i);
/* A row: cells[i] for cols[i] (NULL prints as empty). */
int ta_table_row(struct ta_table *t, const char *const *cells);
/* Print and free; returns -1 when writing failed. */
int ta_table_print(struct ta_table *t, FILE *f);
void ta_table_free(struct ta_table *t);
/* "FLOW, VERDICT, NOTES (drops, ICMP errors), ..." for a help text */
void ta_table_names(const struct ta_col *cols, size_t ncols, char *buf, size_t len);

/* The option table entries (cfg holds a struct ta_table_opts at off) */
#define TA_TABLE_OPTS(off)                                                                            \
	{ "output", 'o', TA_OPT_STR, (off) + offsetof(struct ta_table_opts, columns), "COL[,COL...]",   \
	  "the columns to print, in this order (Columns above)" },                                         \
	{ "noheadings", 0, TA_OPT_FLAG, (off) + offsetof(struct ta_table_opts, noheadings), NULL,      \
	  "no header line" },                                                                          \
	{ "raw", 0, TA_OPT_FLAG, (off) + offsetof(struct ta_table_opts, raw), NULL,                    \
	  "one space between columns, no alignment, exact numbers" }

#endif
