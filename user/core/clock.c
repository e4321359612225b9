// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
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

double ta_ktime_to_unix(uint64_t ns)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	double now_unix = (double)rt.tv_sec + (double)rt.tv_nsec / TA_NSEC_PER_SEC;
	return now_unix - ((double)ta_now_ns() - (double)ns) / TA_NSEC_PER_SEC;
}

double ta_unix_offset(uint64_t *now_ns)
{
	struct timespec rt;

	*now_ns = ta_now_ns();
	clock_gettime(CLOCK_REALTIME, &rt);
	return (double)rt.tv_sec + (double)rt.tv_nsec / TA_NSEC_PER_SEC - (double)*now_ns / TA_NSEC_PER_SEC;
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
