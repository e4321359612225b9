/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What the audit shows: named counters and the diagnosis of blocked flows
 * (why), as text or JSON.  (A live session's screen and report are in
 * report.c too, declared in session.h.) */
#ifndef TA_REPORT_H
#define TA_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "dp.h"
#include "flows.h"

/* Which flows 'why' explains */
struct ta_flow_sel;
struct ta_why_filter {
	const struct ta_flow_sel *sel; /* which flows, in what order, how many; NULL: every one */
	bool all;                      /* endpoint discards too */
};
/* The diagnosis of every blocked flow, the rules that carried nothing, and
 * notes on drops no flow took: printed to f, or added to obj (keys "why",
 * "rules_without_traffic", "drops_without_flow", "drops_elsewhere",
 * "flows_only_all_explains", "drops_ns_unknown", "endpoint_discards", "calls") when
 * obj is not NULL. */
void ta_why(FILE *f, struct json_object *obj, struct ta_dp *dp, const struct ta_closed *closed, size_t nclosed,
	    const struct ta_flow_ctx *c, uint32_t nrules, const struct ta_why_filter *flt);
/* One note per cause of kernel drops no flow took (and of drops the tracer
 * missed), each saying what to do: text lines after indent */
void ta_drop_notes(FILE *f, const uint64_t cnt[TA_C_MAX], const char *indent);
/* Named counters and verdict tables, shared with the pinned-mode commands:
 * as text, or added to o (keys "verdicts", "rules", "counters"). */
/* The busiest remote ends of the sampled 'other' traffic: text to f, or the
 * keys other_top and other_sample added to obj. */
#define TA_TOP_OTHER 10
struct ta_talkers {
	struct ta_other_key k[TA_TOP_OTHER];
	struct ta_count c[TA_TOP_OTHER]; /* samples: times TA_OTHER_SAMPLE for estimates */
	size_t n;
	uint64_t entries;
};
void ta_other_talkers(struct ta_dp *dp, struct ta_talkers *t);
void ta_other_top(struct ta_dp *dp, FILE *f, struct json_object *obj);
/* Packets and bytes per verdict (in and out) and per rule, as two tables;
 * with fc, the flows of each too. */
struct ta_flow_counts {
	uint64_t verdict[TA_V_MAX];
	uint64_t rule[TA_MAX_RULES];
};
void ta_print_count_tables(FILE *f, const struct ta_count *vs, const struct ta_count *rs, const char *const *labels,
			   uint32_t nr, const struct ta_flow_counts *fc);
void ta_print_counters(FILE *f, struct ta_dp *dp, const char *const *labels, uint32_t nrules);
void ta_counters_json(struct json_object *o, struct ta_dp *dp, const char *const *labels, uint32_t nrules);

#endif
