/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The walk every --interval and the end after --duration, as run and serve
 * keep them: how long a poll may sleep, and whether a tick is due.  Times
 * are CLOCK_MONOTONIC nanoseconds (ta_now_ns).
 */
#ifndef TA_TICKER_H
#define TA_TICKER_H
#include <stdbool.h>
#include <stdint.h>

struct ta_ticker {
	uint64_t step;    /* ns between ticks */
	uint64_t next;    /* the next tick */
	uint64_t end;     /* 0: no end */
};

/* From now: a tick every interval seconds, the end after duration (<= 0: none) */
void ta_ticker_start(struct ta_ticker *t, double interval, double duration);
/* The end has come */
bool ta_ticker_over(const struct ta_ticker *t, uint64_t now);
/* Milliseconds until the next tick or the end, whichever comes first (>= 0) */
int ta_ticker_wait_ms(const struct ta_ticker *t, uint64_t now);
/* Whether a tick is due; if so the next one is set (a late one is not made
 * up for: the next comes a step from now) */
bool ta_ticker_due(struct ta_ticker *t);

#endif
