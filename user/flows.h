/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flows as an admin sees them: state, timeouts, text and JSON records. */
#ifndef TA_FLOWS_H
#define TA_FLOWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "tokaudit.h"

/* Idle timeouts (seconds) after which a flow is reported closed and removed */
#define TA_IDLE_TCP 300
#define TA_IDLE_TCP_CLOSED 10   /* after FIN or RST */
#define TA_IDLE_UDP 60
#define TA_IDLE_OTHER 60
#define TA_SYN_UNANSWERED 3     /* a SYN with no reply for this long is "unanswered" */

enum ta_fstate {
	TA_FS_TCP_SYN_SENT,     /* SYN, no reply yet (younger than TA_SYN_UNANSWERED) */
	TA_FS_TCP_UNANSWERED,
	TA_FS_TCP_REFUSED,      /* RST answered the SYN */
	TA_FS_TCP_ESTABLISHED,
	TA_FS_TCP_CLOSING,      /* one side sent FIN */
	TA_FS_TCP_CLOSED,       /* FIN both ways, or RST */
	TA_FS_TWO_WAY,
	TA_FS_ONE_WAY_OUT,
	TA_FS_ONE_WAY_IN,
	TA_FS_MAX,
};

/* now_ns: CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
int ta_flow_state(const struct ta_flow_key *k, const struct ta_flow_val *v, uint64_t now_ns);
const char *ta_fstate_name(int s);
/* Seconds of idleness after which the flow is closed */
unsigned ta_flow_idle_limit(const struct ta_flow_key *k, const struct ta_flow_val *v);
uint64_t ta_now_ns(void);
/* Wall-clock time of a bpf_ktime_get_ns() value, as seconds since the epoch */
double ta_ktime_to_unix(uint64_t ns);

/* One JSON object (no newline) describing a flow, with an "event" name
 * (NULL: none) and an optional extra "key":value fragment (NULL: none). */
void ta_flow_json(FILE *f, const char *event, const char *iface, const struct ta_flow_key *k,
		  const struct ta_flow_val *v, const char *const *labels, uint32_t nlabels,
		  uint64_t now_ns, const char *extra);
/* The same fields, without the braces (for records that add their own). */
void ta_flow_json_fields(FILE *f, const char *iface, const struct ta_flow_key *k, const struct ta_flow_val *v,
			 const char *const *labels, uint32_t nlabels, uint64_t now_ns, const char *extra);
/* One line of text: proto local -> remote verdict rule state counters */
void ta_flow_line(FILE *f, const struct ta_flow_key *k, const struct ta_flow_val *v,
		  const char *const *labels, uint32_t nlabels, uint64_t now_ns, int width);
/* "tcp 10.0.0.1:123 -> 1.2.3.4:443" */
void ta_flow_ends(char *buf, size_t len, const struct ta_flow_key *k);

#endif
