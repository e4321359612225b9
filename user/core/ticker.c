// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "flows.h" /* ta_now_ns */
#include "ticker.h"

#define NSEC_PER_MSEC 1000000

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
