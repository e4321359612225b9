/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TA_PINNED_H
#define TA_PINNED_H
#include "dp.h"

/* Call fn for every interface tokaudit is attached to (pinned mode), with its
 * pinned state open.  Quiet when nothing is attached.  Returns how many. */
int ta_pinned_walk(void (*fn)(const char *ifname, struct ta_dp *dp, const struct ta_meta *m, void *arg),
		   void *arg);
#endif
