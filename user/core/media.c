// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A flow's RTP streams as people read them (media.h).
 */
#include <stdio.h>
#include "media.h"

/* RFC 3550 A.3: expected from the extended highest sequence number and the
 * base; lost is what did not come (never below 0: the late and duplicate
 * packets RFC 3550 counts as received are told apart here) */
static void media_one(const struct ta_rtp_stream *s, struct ta_media *m)
{
	uint64_t ext_max = (uint64_t)s->cycles + s->max_seq;

	m->ssrc = s->ssrc;
	m->dir = s->dir;
	m->pt = s->pt;
	m->relayed = s->flags & TA_RTP_RELAYED;
	m->rate = s->rate;
	m->received = s->received;
	m->expected = ext_max >= s->base_seq ? ext_max - s->base_seq + 1 : 0;
	m->lost = m->expected > m->received ? m->expected - m->received : 0;
	m->duplicates = s->duplicates;
	m->late = s->late;
	m->restarts = s->restarts;
	m->jitter_ms = s->rate ? (double)s->jitter16 / 16 / 1e6 : 0;
	m->seconds = s->last_ns > s->first_ns ? (double)(s->last_ns - s->first_ns) / 1e9 : 0;
	m->rr_reports = s->rr_reports;
	m->rr_fraction_pct = s->rr_fraction * 100.0 / 256;
	m->rr_lost = (int32_t)(s->rr_lost << 8) >> 8; /* 24 bits, signed */
	m->rr_jitter_ms = s->rate ? s->rr_jitter * 1000.0 / s->rate : s->rr_jitter;
}

int ta_media_of(const struct ta_rtp *v, struct ta_media *out, int max)
{
	int n = 0;

	for (int i = 0; i < TA_RTP_STREAMS && n < max; i++)
		if (v->s[i].first_ns && !v->s[i].probation)
			media_one(&v->s[i], &out[n++]);
	return n;
}

double ta_media_loss_pct(uint64_t lost, uint64_t expected)
{
	return expected ? 100.0 * (double)lost / (double)expected : 0;
}
