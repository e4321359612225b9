/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The names of the ABI's enums as every output prints them: one table each. */
#ifndef TA_NAMES_H
#define TA_NAMES_H
#include <stddef.h>
#include "tokaudit.h"

/* enum ta_invalid_reason: "ipv4-truncated" ... */
const char *ta_invalid_name(int r);
/* a named counter (enum ta_counter) as stats and metrics print it */
const char *ta_counter_name(int c);
/* "tcp", "udp", "icmp", "icmp6", else "ip-proto-N" written into buf */
const char *ta_proto_name(int proto, char *buf, size_t len);

static inline const char *ta_verdict_name(int v)
{
	static const char *const n[TA_V_MAX] = {
		[TA_V_OTHER] = "other", [TA_V_ALLOWED] = "allowed",
		[TA_V_UNEXPECTED] = "unexpected", [TA_V_INVALID] = "invalid",
	};

	return v >= 0 && v < TA_V_MAX ? n[v] : "?";
}

/* NULL for TA_DIR_NONE */
static inline const char *ta_dir_name(int d)
{
	return d == TA_DIR_IN ? "in" : d == TA_DIR_OUT ? "out" : NULL;
}

/* enum ta_close_reason: why a flow's record ended */
static inline const char *ta_close_name(int r)
{
	static const char *const n[TA_CLOSE_MAX] = {
		[TA_CLOSE_FIN] = "fin", [TA_CLOSE_RST] = "rst",
		[TA_CLOSE_IDLE] = "idle", [TA_CLOSE_EVICTED] = "evicted",
	};

	return r >= 0 && r < TA_CLOSE_MAX ? n[r] : "?";
}
#endif
