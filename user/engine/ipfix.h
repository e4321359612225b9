/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * IPFIX export (RFC 7011) with libfixbuf: flow records to one or two
 * collectors over UDP or TCP.  Each direction of a connection is its own
 * record (uniflow: nfdump and pmacct sum them as they are), with delta
 * counters, so a collector's totals equal tokaudit's.  Records are queued
 * per collector and sent by a thread of its own: a slow or dead collector
 * costs queued records (counted), never the datapath, the event loop or the
 * metrics.  UDP templates are re-sent every TA_IPFIX_TEMPLATE_S; a TCP
 * collector is reconnected with backoff, templates first.
 */
#ifndef TA_IPFIX_H
#define TA_IPFIX_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TA_IPFIX_MAX_COLLECTORS 2
#define TA_IPFIX_PEN_DEFAULT 32473u /* RFC 5612's documentation number: set your own */
#define TA_IPFIX_QUEUE 65536        /* records waiting per collector */
#define TA_IPFIX_TEMPLATE_S 30      /* UDP: templates re-sent this often */

/* flowEndReason (IANA) */
enum { TA_FER_IDLE = 1, TA_FER_ACTIVE = 2, TA_FER_END = 3, TA_FER_FORCED = 4, TA_FER_RESOURCES = 5 };

/* One direction of one flow, for one export */
struct ta_ipfix_rec {
	uint64_t start_ms, end_ms;   /* Unix milliseconds */
	uint64_t packets, octets;    /* deltas since the last record of this direction */
	uint64_t policy_drops, kernel_drops;
	uint8_t src[16], dst[16];    /* IPv4 mapped (::ffff:a.b.c.d) for family 4 */
	uint8_t icmp_from[16];
	uint32_t ingress, egress;    /* ifindex, 0: none */
	uint32_t icmp_errors;
	uint16_t sport, dport;
	uint16_t icmp_type_code;     /* type << 8 | code, for ICMP records */
	uint16_t tcp_flags;
	uint8_t family, proto;
	uint8_t direction;           /* flowDirection: 0 ingress, 1 egress */
	uint8_t end_reason;          /* TA_FER_* */
	char verdict[12], opener[4], state[16];
	char rule[48];
	char drop_reason[48];
	char server_name[256]; /* learned from DNS, "" when not known */
	char carries[160];     /* ta_flow_carries_str, "" when nothing seen */
};

struct ta_ipfix_collector {
	char host[256], port[8];
	bool tcp;
	char name[300];              /* "HOST:PORT/udp", for messages and metrics */
};

struct ta_ipfix_opts {
	struct ta_ipfix_collector c[TA_IPFIX_MAX_COLLECTORS];
	int n;
	uint32_t domain;             /* observationDomainId */
	uint32_t pen;                /* private enterprise number of tokaudit's elements */
	double active_timeout;       /* seconds: long flows get a record this often */
};

/* "HOST:PORT[,tcp|udp]" ("[v6]:PORT" for IPv6): 0, or -1 with err filled */
int ta_ipfix_parse_collector(const char *s, struct ta_ipfix_collector *c, char *err, size_t len);

struct ta_ipfix;
/* Start a thread per collector.  NULL with err filled on failure. */
struct ta_ipfix *ta_ipfix_start(const struct ta_ipfix_opts *o, char *err, size_t len);
/* Queue a record for every collector; never blocks (a full queue drops it,
 * counted). */
void ta_ipfix_put(struct ta_ipfix *x, const struct ta_ipfix_rec *r);
/* Send what is queued now (the end of a walk) */
void ta_ipfix_flush(struct ta_ipfix *x);
/* Send what is queued (at most wait_s seconds), stop the threads, free. */
void ta_ipfix_stop(struct ta_ipfix *x, double wait_s);

struct ta_ipfix_stats {
	const char *name;
	uint64_t records;            /* sent (in messages the transport took) */
	uint64_t dropped;            /* lost: queue full, or the collector unreachable */
	uint64_t errors;             /* failed sends and connects */
	uint64_t queued;
	bool connected;
};
/* Counters of collector i (0 <= i < n): 0, or -1 past the last */
int ta_ipfix_stats(struct ta_ipfix *x, int i, struct ta_ipfix_stats *st);

/* The elements a record carries: "text" (a table: name, element id, type,
 * what it holds), "pmacct" (aggregate_primitives for nfacctd: the
 * enterprise elements) or "xml" (an IANA-style registry of the enterprise
 * elements, as libfixbuf and other collectors load).  -1 on an unknown
 * format. */
int ta_ipfix_elements(FILE *f, const char *format, uint32_t pen);

#endif
