/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Prometheus exposition (text format 0.0.4) of live sessions: counters from
 * the kernel maps and the pinned reader state, so every _total is monotonic
 * across restarts of serve.  Bounded label sets: interface, verdict,
 * direction, rule, state, reason, cause; never a flow.
 */
#ifndef TA_METRICS_H
#define TA_METRICS_H

#include <stddef.h>
#include <stdio.h>

struct ta_session;
struct ta_ipfix;
struct ta_evw;

/* Write the exposition of the n sessions (and of the IPFIX export, when
 * ipfix is not NULL) to f.  0, or -1 when a map could not be read (what was
 * written so far is incomplete). */
int ta_metrics_write(FILE *f, struct ta_session *const *s, int n, struct ta_ipfix *ipfix, struct ta_evw *evw);
/* The same into a malloc'ed string (*len bytes); NULL on error. */
char *ta_metrics_text(struct ta_session *const *s, int n, struct ta_ipfix *ipfix, struct ta_evw *evw, size_t *len);

#endif
