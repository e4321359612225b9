/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Media health (issue 31): every RTP packet of a flow the auditor tracks,
 * straight or inside TURN ChannelData, counted per stream (SSRC and
 * direction) as RFC 3550 has a receiver count it: A.1's sequence
 * accounting (probation, wraps, restarts after a large jump), the packets
 * that came late or twice (a window of the last 64 sequence numbers), and
 * A.8's interarrival jitter once the stream's clock rate is known.  SRTP
 * leaves these 12 bytes in clear.  The clock rate is inferred from how the
 * RTP timestamp moves against the arrival clock over a second or more,
 * snapped to the rates media codecs use; a stream whose rate fits none has
 * no jitter.  The parser marks the candidates (UDP between unprivileged
 * ports, the first byte RTP's version 2 or a TURN channel's); the hook
 * reads 16 bytes of those whose flow exists.
 */
#ifndef TA_MEDIA_H
#define TA_MEDIA_H

#include "carry.h"

#define TA_RTP_RATE_GIVE_UP_NS (60 * TA_NSEC_PER_SEC) /* no rate inferred this long after: none */

/* RFC 3550 A.1 init_seq: the stream counts from seq */
static __always_inline void ta_rtp_init_seq(struct ta_rtp_stream *s, __u16 seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = 0x10000 + 1; /* no sequence number */
	s->cycles = 0;
	s->received = 0;
	s->window = 1;
}

/* A packet behind the highest sequence number: late, or seen already
 * (within the window); 1 if it counts as received */
static __always_inline int ta_rtp_behind(struct ta_rtp_stream *s, __u16 seq)
{
	__u16 back = s->max_seq - seq;

	if (back < 64) {
		if ((s->window >> back) & 1) {
			s->duplicates++;
			return 0;
		}
		s->window |= 1ull << back;
	}
	s->late++;
	return 1;
}

/* RFC 3550 A.1 update_seq: 1 if the packet counts */
static __always_inline int ta_rtp_seq(struct ta_rtp_stream *s, __u16 seq)
{
	__u16 udelta = seq - s->max_seq;

	if (s->probation) {
		if (seq != (__u16)(s->max_seq + 1)) { /* not in order: start over */
			s->probation = TA_RTP_PROBATION - 1;
			s->max_seq = seq;
			return 0;
		}
		s->max_seq = seq;
		if (--s->probation)
			return 0;
		ta_rtp_init_seq(s, seq);
	} else if (!udelta) {
		s->duplicates++;
		return 0;
	} else if (udelta < TA_RTP_MAX_DROPOUT) { /* in order, with a gap allowed */
		if (seq < s->max_seq)
			s->cycles += 0x10000;
		s->window = udelta >= 64 ? 1 : (s->window << udelta) | 1;
		s->max_seq = seq;
	} else if (udelta <= 0x10000 - TA_RTP_MAX_MISORDER) { /* a large jump: a restart if the next follows */
		if (seq != s->bad_seq) {
			s->bad_seq = (seq + 1) & 0xffff;
			return 0;
		}
		ta_rtp_init_seq(s, seq);
		s->restarts++;
	} else if (!ta_rtp_behind(s, seq)) {
		return 0;
	}
	s->received++;
	return 1;
}

/* The clock rates codecs use (RFC 3551, and Opus's and video's) */
static const __u32 ta_rtp_rates[] = { 8000, 16000, 24000, 32000, 44100, 48000, 90000 };

/* The stream's clock rate, from how far its timestamp moved in a second
 * or more of arrivals: the codec rate within 4 % of it, if any */
static __always_inline void ta_rtp_infer(struct ta_rtp_stream *s, __u32 ts, __u64 now)
{
	__u64 el = now - s->rate_ns, est;
	int i;

	if (el < TA_RTP_RATE_WAIT_NS || el > TA_RTP_RATE_GIVE_UP_NS)
		return;
	est = (__u64)(__u32)(ts - s->rate_ts) * TA_NSEC_PER_SEC / el;
#pragma unroll
	for (i = 0; i < (int)(sizeof(ta_rtp_rates) / sizeof(ta_rtp_rates[0])); i++)
		if (est * 25 >= (__u64)ta_rtp_rates[i] * 24 && est * 25 <= (__u64)ta_rtp_rates[i] * 26)
			s->rate = ta_rtp_rates[i];
}

/* RFC 3550 A.8: D, the difference of two packets' spacing in arrival and
 * in RTP time (ns), into the running jitter (16 times it, in ns) */
static __always_inline void ta_rtp_jitter(struct ta_rtp_stream *s, __u32 ts, __u64 now)
{
	__s32 dts = (__s32)(ts - s->last_ts);
	__u64 span = (__u64)(dts < 0 ? -(__s64)dts : dts) * TA_NSEC_PER_SEC / s->rate;
	__s64 d = (__s64)(now - s->last_ns) - (dts < 0 ? -(__s64)span : (__s64)span);
	__u64 ad = d < 0 ? -d : d;

	s->jitter16 += ad - ((s->jitter16 + 8) >> 4);
}

/* The flow's stream of ssrc going dir, or the first free one (streams are
 * taken in order and never given back); NULL when all are others' */
static __always_inline struct ta_rtp_stream *ta_rtp_slot(struct ta_rtp *v, __u32 ssrc, __u8 dir)
{
	int i;

	for (i = 0; i < TA_RTP_STREAMS; i++) {
		struct ta_rtp_stream *s = &v->s[i];

		if (!s->first_ns || (s->ssrc == ssrc && s->dir == dir))
			return s;
	}
	return NULL;
}

/* The flow's stream of ssrc going dir: found, or a free one taken */
static __always_inline struct ta_rtp_stream *ta_rtp_stream(struct ta_rtp *v, __u32 ssrc, __u8 dir, __u16 seq, __u32 ts,
							   __u64 now)
{
	struct ta_rtp_stream *s = ta_rtp_slot(v, ssrc, dir);

	if (!s) {
		ta_count(TA_C_RTP_FULL);
		return NULL;
	}
	if (s->first_ns)
		return s;
	/* RFC 3550 A.1: a new source waits for TA_RTP_PROBATION in order */
	s->ssrc = ssrc;
	s->dir = dir;
	s->probation = TA_RTP_PROBATION;
	s->max_seq = seq - 1;
	s->rate_ns = now;
	s->rate_ts = ts;
	s->first_ns = now;
	ta_count(TA_C_RTP_STREAMS);
	return s;
}

/* The RTP header at r (12 bytes) into its flow's stream; RTCP is not counted */
static __noinline void ta_rtp_count(const struct ta_flow_key *k, __u8 dir, const __u8 *r, __u8 flags)
{
	__u32 pt = r[1] & 0x7f, ssrc, ts;
	struct ta_rtp_stream *s;
	struct ta_rtp *v;
	__u64 now;
	__u16 seq;

	if ((r[0] & 0xc0) != 0x80 || (pt >= 64 && pt <= 95)) /* RFC 5761: RTCP's packet types */
		return;
	seq = r[2] << 8 | r[3];
	ts = (__u32)r[4] << 24 | r[5] << 16 | r[6] << 8 | r[7];
	ssrc = (__u32)r[8] << 24 | r[9] << 16 | r[10] << 8 | r[11];
	v = bpf_map_lookup_elem(&ta_rtp, k);
	if (!v) {
		bpf_map_update_elem(&ta_rtp, k, &ta_rtp_zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&ta_rtp, k);
		if (!v)
			return;
	}
	now = ta_learn_now();
	s = ta_rtp_stream(v, ssrc, dir & 1, seq, ts, now);
	if (!s)
		return;
	s->pt = pt;
	s->flags = flags;
	if (ta_rtp_seq(s, seq)) {
		if (s->rate)
			ta_rtp_jitter(s, ts, now);
		else
			ta_rtp_infer(s, ts, now);
		s->last_ts = ts;
	}
	s->last_ns = now;
}

/* A receiver report block (24 bytes at b, RFC 3550 6.4.1) sent going dir:
 * into the stream it reports on, which flows the other way */
static __noinline void ta_rtcp_keep(const struct ta_flow_key *k, __u8 dir, const __u8 *b)
{
	__u32 ssrc = (__u32)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	struct ta_rtp *v = bpf_map_lookup_elem(&ta_rtp, k);
	struct ta_rtp_stream *s = v ? ta_rtp_slot(v, ssrc, (dir & 1) ^ 1) : NULL;

	if (!s || !s->first_ns)
		return;
	s->rr_fraction = b[4];
	s->rr_lost = (__u32)b[5] << 16 | b[6] << 8 | b[7];
	s->rr_jitter = (__u32)b[12] << 24 | b[13] << 16 | b[14] << 8 | b[15];
	s->rr_reports++;
}

/* An RTCP packet plain enough to read: a compound of sub-packets, each
 * version 2 with an RTCP packet type, whose lengths add up to the payload
 * exactly (SRTCP's encrypted part and trailer do not), the first an SR or
 * RR with a report block; where that block starts, or 0 */
#define TA_RTCP_PARTS 4
#define TA_DEFINE_RTCP(sfx, ctx_t, LOAD)                                                                               \
	static __noinline __u32 ta_rtcp_block_##sfx(ctx_t *ctx, __u32 base, __u32 len, const __u8 *h)                  \
	{                                                                                                              \
		__u32 off = ((__u32)(h[2] << 8 | h[3]) + 1) * 4;                                                       \
		__u8 w[4];                                                                                             \
		int i;                                                                                                 \
                                                                                                                       \
		if ((h[0] & 0xc0) != 0x80 || (h[1] != 200 && h[1] != 201) || !(h[0] & 0x1f))                           \
			return 0;                                                                                      \
		for (i = 0; i < TA_RTCP_PARTS && off < len; i++) {                                                     \
			if (off > 0xffff || LOAD(ctx, base + off, w, 4) || (w[0] & 0xc0) != 0x80 || w[1] < 192 ||      \
			    w[1] > 223)                                                                                \
				return 0;                                                                              \
			off += ((__u32)(w[2] << 8 | w[3]) + 1) * 4;                                                    \
		}                                                                                                      \
		if (off != len)                                                                                        \
			return 0;                                                                                      \
		return h[1] == 200 ? 28 : 8;                                                                           \
	}                                                                                                              \
	static __noinline void ta_rtcp_read_##sfx(ctx_t *ctx, const struct ta_pkt *p, const struct ta_flow_key *k,     \
						  const __u8 *h)                                                       \
	{                                                                                                              \
		__u32 at = ta_rtcp_block_##sfx(ctx, p->pl_off, p->pl_len, h);                                          \
		__u8 b[24];                                                                                            \
                                                                                                                       \
		if (!at || at + 24 > p->pl_len || LOAD(ctx, p->pl_off + at, b, 24))                                    \
			return;                                                                                        \
		ta_rtcp_keep(k, p->out_flow_dir, b);                                                                   \
	}

/* The 16 bytes h read of a media payload of len bytes: RTP straight, or
 * inside a TURN channel */
static __always_inline void ta_rtp_keep(const struct ta_flow_key *k, __u8 dir, const __u8 *h, __u32 len)
{
	if ((h[0] & 0xf0) != 0x40)
		ta_rtp_count(k, dir, h, 0);
	else if (len >= 16)
		ta_rtp_count(k, dir, h + 4, TA_RTP_RELAYED);
}

#endif /* TA_MEDIA_H */
