/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a flow carries (issue 31): the first bytes of a UDP or TCP payload
 * told apart as RFC 7983 / RFC 9443 demultiplex them (STUN 0-3 with its
 * magic cookie and a length that fits, DTLS 20-63, TURN ChannelData 64-79,
 * RTP/RTCP 128-191, QUIC 192-255), and over TCP STUN (plain, or framed by
 * RFC 6544's length), ChannelData and TLS.  Only the first TA_CARRY_FIRST
 * packets of each direction of a flow, and one in TA_CARRY_EVERY after,
 * are looked at: the others pay one compare, and the parser only notes
 * where the payload starts.  A sampled packet's first 16 bytes are read in
 * the hook, after its verdict; the bits go to the flow's cold part.
 */
#ifndef TA_CARRY_H
#define TA_CARRY_H

#include "flow.h"

#define TA_STUN_COOKIE 0x2112A442u

#define TA_CARRY_HEAD 16 /* bytes of a payload read */

static __always_inline __u32 ta_pl_u8(const __u8 *h, __u32 i)
{
	return h[i & (TA_CARRY_HEAD - 1)];
}

static __always_inline __u32 ta_pl_u16(const __u8 *h, __u32 i)
{
	return ta_pl_u8(h, i) << 8 | ta_pl_u8(h, i + 1);
}

/* What the len bytes from off are: enum ta_carry; a STUN message's type in *stun */
static __always_inline int ta_carry_of(const __u8 *p, __u32 off, __u32 len, int tcp, __u32 *stun)
{
	__u32 b0 = ta_pl_u8(p, off), b1 = ta_pl_u8(p, off + 1);

	if (len < 4)
		return TA_CARRY_UNKNOWN;
	if (b0 <= 3) { /* STUN: a 20-byte header, the cookie, a length of whole words that fits */
		if (len >= 20 && (ta_pl_u16(p, off + 4) << 16 | ta_pl_u16(p, off + 6)) == TA_STUN_COOKIE &&
		    !(ta_pl_u16(p, off + 2) & 3) && ta_pl_u16(p, off + 2) + 20 <= len) {
			*stun = ta_pl_u16(p, off);
			return TA_CARRY_STUN;
		}
		return TA_CARRY_UNKNOWN;
	}
	if (b0 >= 20 && b0 <= 63) {
		if (!tcp && b1 == 0xfe) /* DTLS 1.x: version 254.x */
			return TA_CARRY_DTLS;
		return tcp && b0 <= 23 && b1 == 3 ? TA_CARRY_TLS : TA_CARRY_UNKNOWN;
	}
	if (b0 >= 64 && b0 <= 79) /* a channel number 0x4000-0x4fff, its data within */
		return ta_pl_u16(p, off + 2) + 4 <= len ? TA_CARRY_CHANNEL : TA_CARRY_UNKNOWN;
	if (tcp)
		return TA_CARRY_UNKNOWN;
	if (b0 >= 128 && b0 <= 191) /* version 2: RTCP's packet types 192-223, else RTP */
		return b1 >= 192 && b1 <= 223 ? TA_CARRY_RTCP : len >= 12 ? TA_CARRY_RTP : TA_CARRY_UNKNOWN;
	return b0 >= 192 ? TA_CARRY_QUIC : TA_CARRY_UNKNOWN;
}

/* A STUN type's method and class, as the cold part's bits */
static __always_inline __u32 ta_stun_bits(__u32 type)
{
	__u32 method = (type & 0xf) | ((type >> 1) & 0x70) | ((type >> 2) & 0xf80);
	__u32 class = ((type >> 7) & 2) | ((type >> 4) & 1);

	return (method < 16 ? 1u << method : 0) | (1u << (16 + class));
}

/* The classifier's part: is this packet of the flow a sample? (its count
 * this way is at most TA_CARRY_FIRST, or a multiple of TA_CARRY_EVERY; the
 * benchmark's classification row samples every one) */
static __always_inline void ta_carry_due(struct ta_pkt *p, const struct ta_res *r)
{
	__u64 n = r->flow->packets[r->dir & 1];

	if (n <= TA_CARRY_FIRST || !(n & cfg_carry_mask)) {
		p->out_carry = 1;
		p->out_flow_dir = r->dir;
	}
}

/* What the first bytes h of a payload of len bytes say, as the cold part's bits */
static __always_inline void ta_carry_bits(const __u8 *h, __u32 len, int tcp, __u32 *bits, __u32 *sbits)
{
	__u32 stun = 0, istun = 0;
	int what = ta_carry_of(h, 0, len, tcp, &stun);

	if (tcp && what == TA_CARRY_UNKNOWN && ta_pl_u16(h, 0) + 2 <= len &&
	    ta_carry_of(h, 2, ta_pl_u16(h, 0), 1, &stun) == TA_CARRY_STUN) /* RFC 6544 framing */
		what = TA_CARRY_STUN;
	*bits = 1u << what;
	*sbits = what == TA_CARRY_STUN ? ta_stun_bits(stun) : 0;
	if (what == TA_CARRY_CHANNEL) /* what the relay carries */
		*bits |= 1u << (16 + ta_carry_of(h, 4, ta_pl_u16(h, 2), 0, &istun));
}

/* The sampled packet's bits into its flow's cold part */
static __always_inline void ta_carry_keep(const struct ta_pkt *p, const __u8 *h, const struct ta_flow_key *k,
					  __u32 ifindex)
{
	struct ta_flow_hot *f;
	struct ta_flow_cold *c;
	__u32 bits, sbits;

	ta_carry_bits(h, p->pl_len, p->t.proto == TA_IPPROTO_TCP, &bits, &sbits);
	f = ta_flow_find(&p->t, p->out_flow_dir, ifindex);
	if (!f)
		return;
	c = ta_flow_cold(f, k);
	if (!c)
		return;
	if ((c->carries & bits) != bits)
		ta_fetch_or(&c->carries, bits);
	if (sbits && (c->stun & sbits) != sbits)
		ta_fetch_or(&c->stun, sbits);
}

/* Per context type: the first bytes of a sampled packet, or of a media
 * packet (media.h), read (fewer than 16: the rest zeros), then kept */
#define TA_DEFINE_CARRY(sfx, ctx_t, LOAD)                                                                                   \
	TA_FUNC int ta_carry_##sfx(ctx_t *ctx, TA_PKT_PARAM __u32 ifindex)                                                  \
	{                                                                                                                   \
		TA_PKT_LOCAL                                                                                                \
		__u8 h[TA_CARRY_HEAD] = {};                                                                                 \
		struct ta_flow_key k = {};                                                                                  \
		__u32 n;                                                                                                    \
                                                                                                                            \
		if (!p || !(p->out_carry || p->out_media) || !p->pl_len)                                                    \
			return 0;                                                                                           \
		n = p->pl_len;                                                                                              \
		if (n > TA_CARRY_HEAD)                                                                                      \
			n = TA_CARRY_HEAD;                                                                                  \
		/* 1 to 16 by arithmetic, which every verifier follows (6.1 learns no lower bound from a test against 0) */ \
		barrier_var(n);                                                                                             \
		n = ((n - 1) & (TA_CARRY_HEAD - 1)) + 1;                                                                    \
		if (LOAD(ctx, p->pl_off, h, n))                                                                             \
			return 0;                                                                                           \
		ta_flow_key_of(&k, &p->t, p->out_flow_dir, ifindex);                                                        \
		if (p->out_carry)                                                                                           \
			ta_carry_keep(p, h, &k, ifindex);                                                                   \
		if (p->out_media)                                                                                           \
			ta_rtp_keep(&k, p->out_flow_dir, h, p->pl_len);                                                     \
		if (p->out_media && (h[1] == 200 || h[1] == 201))                                                           \
			ta_rtcp_read_##sfx(ctx, p, &k, h);                                                                  \
		return 0;                                                                                                   \
	}

#endif /* TA_CARRY_H */
