/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef TA_WHY_H
#define TA_WHY_H
#include <stddef.h>
#include <stdint.h>
#include "tokaudit.h"

/* Fill buf with the flow's diagnosis; returns 1 when something blocked it
 * (kernel or policy drops, an ICMP error, a refused or unanswered SYN, UDP
 * that flowed one way only), 0 when it looks healthy. */
int ta_flow_diagnosis(const struct ta_flow_key *k, const struct ta_flow_val *v, const char *const *labels,
		      uint64_t now_ns, char *buf, size_t len);
#endif
