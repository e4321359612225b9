/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The live view of 'tokaudit run' on a terminal (ncurses): totals and rates
 * per verdict and per rule, then the flows, sorted and filtered by keys.
 * The alternate screen is left, and the terminal restored, on close.
 */
#ifndef TA_TUI_H
#define TA_TUI_H

#include <stdbool.h>
#include <stdint.h>
#include "tokaudit.h"

struct ta_session;

struct ta_tui_prev;

struct ta_tui {
	void *scr;                 /* ncurses' SCREEN */
	bool color, paused, quit;
	int sort;                  /* enum ta_tui_sort */
	int verdict;               /* -1: all; a verdict; TA_TUI_DROPPED */
	int rule;                  /* -1: all; a rule index */
	uint64_t last_ns;          /* the previous draw */
	uint64_t prev_v[TA_V_MAX][2], prev_r[TA_MAX_RULES][2]; /* packets, bytes then */
	double rate_v[TA_V_MAX][2], rate_r[TA_MAX_RULES][2];  /* per second, over the last interval */
	struct ta_tui_prev *prev;  /* each flow's packets and bytes then */
};

enum ta_tui_sort { TA_TUI_SORT_RATE, TA_TUI_SORT_BYTES, TA_TUI_SORT_PACKETS, TA_TUI_SORT_IDLE, TA_TUI_SORT_MAX };
#define TA_TUI_DROPPED TA_V_MAX

/* Take the terminal: 0, or -1 when it cannot be driven (then print plainly). */
int ta_tui_open(struct ta_tui *t);
/* Redraw from the session's maps.  tick: the interval passed, rates are
 * computed anew over it; else (a key) they stay. */
void ta_tui_draw(struct ta_tui *t, struct ta_session *s, bool tick);
/* Read the keys typed since: true when the view must be redrawn now
 * (t->quit set by q). */
bool ta_tui_keys(struct ta_tui *t, const struct ta_session *s);
/* Give the terminal back as it was. */
void ta_tui_close(struct ta_tui *t);

#endif
