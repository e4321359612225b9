/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Time: the monotonic clock (the kernel's bpf_ktime_get_ns), its Unix
 * seconds, and the ticker of run and serve: the walk every --interval and
 * the end after --duration, how long a poll may sleep, whether a tick is due.
 */
#ifndef TA_CLOCK_H
#define TA_CLOCK_H
#include <stdbool.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: the clock of bpf_ktime_get_ns() */
uint64_t ta_now_ns(void);
/* Wall-clock time of a ta_now_ns() (or bpf_ktime_get_ns()) value, as Unix seconds */
double ta_ktime_to_unix(uint64_t ns);
/* Unix time less CLOCK_MONOTONIC, in seconds (measured at most once a
 * second, and kept while it holds: the same time converts alike from one
 * line to the next); *now_ns: the monotonic time now */
double ta_unix_offset(uint64_t *now_ns);

struct ta_ticker {
	uint64_t step; /* ns between ticks */
	uint64_t next; /* the next tick */
	uint64_t end;  /* 0: no end */
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
/* The next tick no sooner than at (monotonic ns) */
void ta_ticker_not_before(struct ta_ticker *t, uint64_t at);

#endif
