/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Media health (issue 31): a flow's RTP streams (ta_rtp, kept by
 * bpf/media.h) as people read them: RFC 3550 A.3's expected and lost
 * packets, the late and duplicate ones, and A.8's jitter in milliseconds.
 */
#ifndef TA_CORE_MEDIA_H
#define TA_CORE_MEDIA_H

#include <stdbool.h>
#include <stdint.h>
#include "tokaudit.h"

struct ta_media {
	uint32_t ssrc;
	uint8_t dir;   /* enum ta_dir: in (toward the inside), out */
	uint8_t pt;    /* payload type of its last packet */
	bool relayed;  /* inside TURN ChannelData */
	uint32_t rate; /* clock rate inferred (Hz); 0: not (yet) inferred, no jitter */
	uint64_t received, expected, lost, duplicates, late;
	uint32_t restarts;
	double jitter_ms; /* RFC 3550 A.8, when rate */
	double seconds;   /* from its first packet to its last */
	/* the receiver's own figures, from its last plain RTCP report about it */
	uint32_t rr_reports;    /* 0: none seen (SRTCP's are ciphertext) */
	double rr_fraction_pct; /* lost since its report before */
	int32_t rr_lost;        /* cumulative (RFC 3550: may go below 0 with duplicates) */
	double rr_jitter_ms;    /* when rate; its jitter in timestamp units otherwise */
};

/* The streams of v past their probation, in out (max at most): how many */
int ta_media_of(const struct ta_rtp *v, struct ta_media *out, int max);
/* lost / expected in percent (0 with nothing expected) */
double ta_media_loss_pct(uint64_t lost, uint64_t expected);
/* The larger of two jitters (us), TA_MEDIA_NO_JITTER being none */
static inline uint32_t ta_jitter_max(uint32_t a, uint32_t b)
{
	return a == TA_MEDIA_NO_JITTER ? b : b == TA_MEDIA_NO_JITTER || a > b ? a : b;
}

#endif /* TA_CORE_MEDIA_H */
