/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TA_WHY_H
#define TA_WHY_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "flows.h"

/* Fill buf with the flow's diagnosis; returns 1 when something blocked it
 * (blocks in this host, policy drops, an ICMP error, a refused or unanswered
 * SYN, UDP that flowed one way only; with all, endpoint discards too), 0
 * when it looks healthy.  ifname: the interface the flow was keyed on. */
int ta_flow_diagnosis(const struct ta_flow_ctx *c, const char *ifname, const struct ta_flow_key *k,
		      const struct ta_flow_val *v, bool all, char *buf, size_t len);
#endif
