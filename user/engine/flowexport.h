/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A flow of the table as IPFIX records: one per direction that carried
 * packets since the last export, with the deltas against what was exported
 * before (the baseline, which the caller keeps per flow).
 */
#ifndef TA_FLOWEXPORT_H
#define TA_FLOWEXPORT_H

#include <stdint.h>

struct ta_ipfix;
struct ta_flow_ctx;
struct ta_flow_key;
struct ta_flow_val;

/* What was exported of a flow so far, per direction (enum ta_dir) */
struct ta_exported {
	uint64_t packets[2], bytes[2];
	uint64_t ns;                 /* when (ktime), 0: never */
};

/* Queue the records of (k, v) with end reason (TA_FER_*) and move *x to
 * the flow's counters.  Nothing is queued for a direction without new
 * packets. */
void ta_flow_export(struct ta_ipfix *ipfix, const struct ta_flow_ctx *c, const struct ta_flow_key *k,
		    const struct ta_flow_val *v, struct ta_exported *x, int reason, uint64_t now_ns);

#endif
