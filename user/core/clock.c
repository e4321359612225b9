// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <time.h>
#include "tokaudit.h"
#include "clock.h"

#define NSEC_PER_MSEC 1000000

uint64_t ta_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TA_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Unix time less monotonic time, as one read of each close together gives
 * it: the narrowest of three brackets of monotonic reads around a Unix read */
static double offset_measure(void)
{
	double best = 0, width = -1;

	for (int i = 0; i < 3; i++) {
		struct timespec rt;
		uint64_t a = ta_now_ns(), b;

		clock_gettime(CLOCK_REALTIME, &rt);
		b = ta_now_ns();
		if (width < 0 || (double)(b - a) < width) {
			width = (double)(b - a);
			best = (double)rt.tv_sec + (double)rt.tv_nsec / TA_NSEC_PER_SEC -
			       ((double)a + (double)(b - a) / 2) / TA_NSEC_PER_SEC;
		}
	}
	return best;
}

/* The offset, measured at most once a second and kept while it holds to
 * within OFFSET_SLACK: a time printed twice (one flow in two lines) is
 * printed alike, where a fresh read per line moved it by the microseconds a
 * preempted read takes.  A step or a slew of the wall clock past the slack
 * is taken within a second. */
#define OFFSET_SLACK 20e-6
static double offset_at(uint64_t now)
{
	static __thread double off;
	static __thread uint64_t at;

	if (!at || now - at >= TA_NSEC_PER_SEC) {
		double m = offset_measure();

		if (!at || fabs(m - off) > OFFSET_SLACK)
			off = m;
		at = now ? now : 1;
	}
	return off;
}

double ta_ktime_to_unix(uint64_t ns)
{
	return (double)ns / TA_NSEC_PER_SEC + offset_at(ta_now_ns());
}

double ta_unix_offset(uint64_t *now_ns)
{
	*now_ns = ta_now_ns();
	return offset_at(*now_ns);
}

void ta_ticker_start(struct ta_ticker *t, double interval, double duration)
{
	uint64_t now = ta_now_ns();

	t->step = (uint64_t)(interval * TA_NSEC_PER_SEC);
	t->next = now + t->step;
	t->end = duration > 0 ? now + (uint64_t)(duration * TA_NSEC_PER_SEC) : 0;
}

bool ta_ticker_over(const struct ta_ticker *t, uint64_t now)
{
	return t->end && now >= t->end;
}

int ta_ticker_wait_ms(const struct ta_ticker *t, uint64_t now)
{
	int64_t wait = (int64_t)(t->next - now) / NSEC_PER_MSEC;

	if (t->end && (int64_t)(t->end - now) / NSEC_PER_MSEC < wait)
		wait = (int64_t)(t->end - now) / NSEC_PER_MSEC;
	return wait < 0 ? 0 : wait > INT32_MAX ? INT32_MAX : (int)wait;
}

bool ta_ticker_due(struct ta_ticker *t)
{
	uint64_t now = ta_now_ns();

	if (now < t->next)
		return false;
	t->next += t->step;
	if (t->next < now)
		t->next = now + t->step;
	return true;
}

void ta_ticker_not_before(struct ta_ticker *t, uint64_t at)
{
	if (t->next < at)
		t->next = at;
}
