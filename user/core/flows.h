/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Flows as an admin sees them: state, timeouts, text and JSON records. */
#ifndef TA_FLOWS_H
#define TA_FLOWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "tokaudit.h"
#include "policy.h"
#include "clock.h"

struct json_object;
struct ta_dp;

/* Idle timeouts (seconds) after which a flow is reported closed and removed */
#define TA_IDLE_TCP 300
#define TA_IDLE_TCP_CLOSED 10   /* after FIN or RST */
#define TA_IDLE_UDP 60
#define TA_IDLE_OTHER 60
#define TA_SYN_UNANSWERED 3     /* a SYN with no reply for this long is "unanswered" */

enum ta_fstate {
	TA_STATE_TCP_SYN_SENT,     /* SYN, no reply yet (younger than TA_SYN_UNANSWERED) */
	TA_STATE_TCP_UNANSWERED,
	TA_STATE_TCP_REFUSED,      /* RST answered the SYN */
	TA_STATE_TCP_ESTABLISHED,
	TA_STATE_TCP_CLOSING,      /* one side sent FIN */
	TA_STATE_TCP_CLOSED,       /* FIN both ways, or RST */
	TA_STATE_TWO_WAY,
	TA_STATE_ONE_WAY_OUT,
	TA_STATE_ONE_WAY_IN,
	TA_STATE_BLOCKED_BEFORE_EGRESS, /* only ever seen dying in this host, before the audited interface */
	TA_STATE_MAX,
};

struct ta_closed {   /* a flow as it was: one kept for a report after it closed */
	struct ta_flow_key k;
	struct ta_flow_val v;
};
/* Append (k, v) to the growing array *a of *n flows: -1 when out of memory. */
int ta_closed_add(struct ta_closed **a, size_t *cap, size_t *n, const struct ta_flow_key *k,
		  const struct ta_flow_val *v);

/* How to read flows: rule labels, the clock their times are in, now. */
struct ta_flow_ctx {
	const char *const *labels;      /* rules of the generation in force */
	uint32_t nlabels;
	uint32_t generation;            /* 0: unknown, labels apply to every flow */
	const char *const *prev_labels; /* rules of generation - 1, NULL when unknown */
	uint32_t prev_nlabels;
	uint64_t now_ns;                /* in the flows' clock */
	bool unix_clock;                /* flow times are Unix ns (replay), not CLOCK_MONOTONIC */
	double unix_off;                /* Unix time less CLOCK_MONOTONIC's, in s, read with now_ns
					 * (0: read the clocks for each time written) */
	const struct ta_dp *dp;         /* the policy's tables, for ta_flow_other_way_rule; may be NULL */
};

/* The server name of a flow where known (its remote address learned from
 * DNS), in d; NULL when not */
const char *ta_flow_name(const struct ta_flow_ctx *c, const struct ta_flow_key *k, struct ta_dname *d, uint64_t *drift);
/* What the flow's TLS ClientHello gave: "name", "no-name", "split" (longer
 * than its first segment: not read), "malformed"; NULL: none seen */
const char *ta_flow_sni_status(const struct ta_flow_ctx *c, const struct ta_flow_key *k);
/* The document's two tables disagreeing on a flow: its name (learned from
 * DNS) is a rule's whose addresses do not cover its remote address.  The
 * sentence in buf, or false */
bool ta_flow_drift_note(const struct ta_flow_ctx *c, const struct ta_flow_key *k, char *buf, size_t len);
/* A TA_CARRY_* kind's name: "stun", "dtls", "turn-channel", "rtp" ... */
const char *ta_carry_name(int c);
/* What a flow carries, for a person: "stun(binding,allocate) dtls rtp rtcp",
 * "turn-channel(rtp)" for what a TURN relay carries; "" when nothing seen */
const char *ta_flow_carries_str(const struct ta_flow_val *v, char *buf, size_t len);
/* A STUN method's name (1 "binding", 3 "allocate" ...); NULL for the others */
const char *ta_stun_method_name(int m);
/* Its media health: "2 rtp, 1.5% lost, jitter 3.2 ms" ("" when it has no RTP streams) */
const char *ta_flow_media_str(const struct ta_flow_val *v, char *buf, size_t len);
/* now_ns: CLOCK_MONOTONIC, as bpf_ktime_get_ns() */
int ta_flow_state(const struct ta_flow_key *k, const struct ta_flow_val *v, uint64_t now_ns);
const char *ta_fstate_name(int s);
/* Seconds of idleness after which the flow is closed */
unsigned ta_flow_idle_limit(const struct ta_flow_key *k, const struct ta_flow_val *v);
/* Why a flow is over when it is removed: "rst", "fin" or "idle" */
const char *ta_flow_close_reason(const struct ta_flow_key *k, const struct ta_flow_val *v);
/* The same as enum ta_close_reason */
int ta_flow_close_kind(const struct ta_flow_key *k, const struct ta_flow_val *v);
/* A flow time in ctx's clock, as Unix seconds */
double ta_flow_unix(const struct ta_flow_ctx *c, uint64_t ns);
/* The label of the rule that allowed the flow, judged under its generation:
 * NULL when none; "(rule removed by reload)" when that policy is gone. */
const char *ta_flow_rule_label(const struct ta_flow_ctx *c, const struct ta_flow_val *v);
/* An unexpected flow that no rule allowed: the rule that would have allowed
 * it had the other side opened it (a directional rule judges a flow by its
 * opener), under the policy in force; NULL when none or not known. */
const char *ta_flow_other_way_rule(const struct ta_flow_ctx *c, const struct ta_flow_key *k,
				   const struct ta_flow_val *v);
/* The same as a phrase: "opened from outside; hlg allows only flows opened
 * from inside".  false (buf untouched) when there is no such rule. */
bool ta_flow_other_way_note(const struct ta_flow_ctx *c, const struct ta_flow_key *k, const struct ta_flow_val *v,
			    char *buf, size_t len);
/* A rule label by index in the generation in force, or NULL */
const char *ta_rule_label(const struct ta_flow_ctx *c, uint32_t rule);
#define TA_RULE_REMOVED "(rule removed by reload)"

/* The JSON object describing a flow (README "Flow objects"), with an "event"
 * name first when event is not NULL.  The caller owns it. */
struct ta_jw;
/* The flow's members, written into the object w has open (jw.h) */
void ta_flow_jw(struct ta_jw *w, const struct ta_flow_ctx *c, const char *event, const char *iface,
		const struct ta_flow_key *k, const struct ta_flow_val *v);
struct json_object *ta_flow_jobj(const struct ta_flow_ctx *c, const char *event, const char *iface,
				 const struct ta_flow_key *k, const struct ta_flow_val *v);
/* One line of text: proto local -> remote verdict rule state counters */
/* The headings of ta_flow_line's columns, at the same width */
void ta_flow_line_head(FILE *f, int width);
void ta_flow_line(FILE *f, const struct ta_flow_ctx *c, const struct ta_flow_key *k, const struct ta_flow_val *v,
		  int width);
/* A remote-end filter: ADDR[/LEN], ADDR:PORT, [ADDR6]:PORT, [ADDR6/LEN]:PORT */
struct ta_remote {
	bool has;
	struct ta_prefix p;
	int port;                 /* -1: any */
};
/* Parse s into r; returns 0, or -1 with a message in err. */
int ta_remote_parse(const char *s, struct ta_remote *r, char *err, size_t errlen);
bool ta_remote_match(const struct ta_remote *r, const struct ta_flow_key *k);

/* ICMP or ICMPv6: no ports (an echo flow's lport and rport both hold its identifier) */
static inline bool ta_is_icmp(int proto)
{
	return proto == TA_IPPROTO_ICMP || proto == TA_IPPROTO_ICMPV6;
}

/* "tcp 10.0.0.1:123 -> 1.2.3.4:443", "icmp 10.0.0.1 -> 1.2.3.4 echo id 7" */
void ta_flow_ends(char *buf, size_t len, const struct ta_flow_key *k);

#endif
