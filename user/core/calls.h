/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Calls (issue 31): per inside client, the path its media takes, as the
 * flows show it (what they carry, bpf/carry.h; their RTP streams,
 * bpf/media.h): straight over UDP, relayed by TURN over UDP, over TCP, or
 * over TLS on 443; and the finding an admin acts on when media fell back
 * to TCP: UDP tried (STUN unanswered, or blocked in this host) and given up.
 */
#ifndef TA_CORE_CALLS_H
#define TA_CORE_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tokaudit.h"

struct ta_dp;

enum ta_path {
	TA_PATH_DIRECT_UDP = 0, /* RTP straight between the client and a media address */
	TA_PATH_RELAYED_UDP,    /* RTP in TURN ChannelData over UDP */
	TA_PATH_RELAYED_TCP,    /* TURN over TCP (3478, or STUN framing seen on any port) */
	TA_PATH_TLS_443,        /* TLS on 443 to a media address, with a call's packet rate */
	TA_PATH_MAX,
};
/* packets each way a TCP relay flow needs to be carrying a call's media
 * (TURN allocations kept alive but unused send a few a minute) */
#define TA_CALL_TCP_MIN 100

struct ta_call {
	uint8_t client[16];
	uint64_t flows[TA_PATH_MAX]; /* its media flows by path */
	uint32_t streams;            /* RTP streams counted on UDP */
	uint64_t expected, lost;     /* theirs summed (RFC 3550 A.3) */
	uint32_t jitter_us;          /* the largest; TA_MEDIA_NO_JITTER: none known */
	/* UDP tried: STUN sent to a media address and never answered */
	uint32_t udp_unanswered;
	struct ta_flow_key unanswered; /* the first such flow */
	uint16_t unanswered_methods;   /* its STUN methods */
	/* UDP flows of its that this host dropped (drop forensics) */
	uint64_t udp_blocked;
	struct ta_flow_key blocked; /* the flow with the most: */
	uint64_t blocked_drops;     /* its drops, */
	uint64_t blocked_loc;       /* where the last one was, */
	uint32_t blocked_reason;    /* and why */
};

struct ta_call_idx;
struct ta_calls {
	struct ta_call *c;
	size_t n, cap;
	struct ta_call_idx *idx; /* client address -> position in c (a serve walk sees every flow) */
};

/* A flow into the client it belongs to (its local address) */
int ta_calls_add(struct ta_calls *cs, const struct ta_dp *dp, const struct ta_flow_key *k, const struct ta_flow_val *v);
void ta_calls_free(struct ta_calls *cs);
/* The best path its media took (direct UDP first), or -1 without media */
int ta_call_path(const struct ta_call *c);
const char *ta_path_name(int path);
/* The finding for the client, in buf; false when there is none (media
 * straight over UDP, or nothing tried) */
bool ta_call_finding(const struct ta_call *c, char *buf, size_t len);

#endif /* TA_CORE_CALLS_H */
