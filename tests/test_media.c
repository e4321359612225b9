// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Media health (bpf/media.h), with BPF_PROG_TEST_RUN and the capture clock
 * replay uses: RTP streams sent with loss, reordering, duplicates and a
 * sequence number wrap must give RFC 3550 A.3's figures as a model of the
 * same packets counts them; A.8's jitter from known arrival offsets; the
 * clock rate inferred (48 and 90 kHz) or not (a rate no codec uses); RTP
 * inside TURN ChannelData; RTCP, short payloads and privileged ports not
 * taken; a restart after a large jump; a flow past TA_RTP_STREAMS streams;
 * plain RTCP receiver reports read into the stream they report on, and
 * SRTCP's (ciphertext) left alone.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include "harness.h"
#include "media.h"
#include "pkt.h"

#define LOCAL "10.1.0.5"
#define MEDIA "70.42.47.70"
#define MS    1000000ull

struct fx {
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	uint64_t now;
};

static int open_fx(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->now = 1700000000ull * 1000000000ull;
	return ta_test_dp(&f->pol, &f->comp, &f->dp);
}

static void close_fx(struct fx *f)
{
	ta_dp_close(&f->dp);
	ta_compiled_free(&f->comp);
	ta_policy_free(&f->pol);
}

/* An RTP header (12 bytes) and n bytes of payload at b (after a TURN
 * channel's 4 bytes when chan): the packet's length */
static int rtp(uint8_t *b, int chan, int pt, uint16_t seq, uint32_t ts, uint32_t ssrc, int n)
{
	uint8_t *r = b + (chan ? 4 : 0);

	memset(b, 0x5a, (size_t)(12 + n + (chan ? 4 : 0)));
	if (chan)
		b[0] = 0x40, b[1] = 0x01, b[2] = (uint8_t)((12 + n) >> 8), b[3] = (uint8_t)(12 + n);
	r[0] = 0x80, r[1] = (uint8_t)pt, r[2] = (uint8_t)(seq >> 8), r[3] = (uint8_t)seq;
	r[4] = (uint8_t)(ts >> 24), r[5] = (uint8_t)(ts >> 16), r[6] = (uint8_t)(ts >> 8), r[7] = (uint8_t)ts;
	r[8] = (uint8_t)(ssrc >> 24), r[9] = (uint8_t)(ssrc >> 16), r[10] = (uint8_t)(ssrc >> 8), r[11] = (uint8_t)ssrc;
	return 12 + n + (chan ? 4 : 0);
}

/* One UDP packet at time at (ns) from the media address's dport to the
 * local port lport (in: XDP), or the other way (out: tc) */
static void send_at(struct fx *f, bool in, uint16_t lport, uint16_t dport, const uint8_t *data, int n, uint64_t at)
{
	uint8_t frame[PK_MAX];
	uint32_t ret;
	struct pk p = PK(.family = 4, .src = in ? MEDIA : LOCAL, .dst = in ? LOCAL : MEDIA, .proto = 17,
			 .sport = in ? dport : lport, .dport = in ? lport : dport, .payload = n, .data = data);
	int len = pk_build(&p, frame);

	ta_dp_set_replay_time(&f->dp, at);
	if (in)
		assert_int_equal(ta_dp_run_xdp(&f->dp, frame, (uint32_t)len, &ret), 0);
	else
		assert_int_equal(ta_dp_run_tc(&f->dp, frame, (uint32_t)len, &ret), 0);
}

static int streams_of(struct fx *f, uint16_t lport, uint16_t rport, struct ta_media *m)
{
	struct ta_flow_key k = { .ifindex = 1, .lport = lport, .rport = rport, .proto = 17, .family = 4 };
	struct ta_rtp v;

	k.local[10] = k.local[11] = k.remote[10] = k.remote[11] = 0xff;
	inet_pton(AF_INET, LOCAL, k.local + 12);
	inet_pton(AF_INET, MEDIA, k.remote + 12);
	if (ta_dp_rtp(&f->dp, &k, &v))
		return 0;
	return ta_media_of(&v, m, TA_RTP_STREAMS);
}

/* The model: what arrived, in order of arrival, counted the plain way
 * (every distinct sequence number from the second packet's on) */
struct model {
	uint32_t seen[8192];
	int n;
};

static void test_loss_reorder_dups_wrap(void **state)
{
	static struct model md;
	uint8_t b[200];
	struct ta_media m[TA_RTP_STREAMS];
	struct fx f;
	uint64_t distinct = 0, dups = 0, late = 0, maxext = 0, base;
	uint32_t ext[4000];
	int n = 0;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	srand(31);
	/* 3 000 packets from 64 000 (the sequence number wraps): about 3 % lost
	 * at random, about 2 % swapped with the next, 10 sent twice */
	for (uint32_t e = 64000; e < 67000; e++) {
		if (e > 64001 && rand() % 100 < 3)
			continue;
		ext[n++] = e;
	}
	for (int i = 2; i + 1 < n; i++)
		if (rand() % 100 < 2) {
			uint32_t t = ext[i];
			ext[i] = ext[i + 1], ext[i + 1] = t, i++;
		}
	md.n = 0;
	for (int i = 0; i < n; i++) {
		int times = i % 300 == 150 ? 2 : 1;

		for (int t = 0; t < times; t++) {
			int len = rtp(b, 0, 111, (uint16_t)ext[i], ext[i] * 960, 0xabcdef01, 100);

			send_at(&f, true, 40000, 50000, b, len, f.now += 20 * MS);
			md.seen[md.n++] = ext[i];
		}
	}
	/* the model: from the second packet on; late is behind the highest */
	base = md.seen[1];
	for (int i = 1; i < md.n; i++) {
		bool again = false;

		for (int j = 1; j < i; j++)
			again |= md.seen[j] == md.seen[i];
		if (again) {
			dups++;
			continue;
		}
		distinct++;
		if (md.seen[i] < maxext)
			late++;
		else
			maxext = md.seen[i];
	}
	assert_int_equal(streams_of(&f, 40000, 50000, m), 1);
	assert_int_equal(m[0].ssrc, 0xabcdef01);
	assert_int_equal(m[0].dir, TA_DIR_IN);
	assert_int_equal(m[0].expected, maxext - base + 1);
	assert_int_equal(m[0].received, distinct);
	assert_int_equal(m[0].lost, maxext - base + 1 - distinct);
	assert_int_equal(m[0].duplicates, dups);
	assert_int_equal(m[0].late, late);
	assert_true(m[0].lost > 50 && m[0].late > 20 && dups == 10);
	assert_int_equal(m[0].restarts, 0);
	close_fx(&f);
}

/* A stream of ts_step per packet every 20 ms, arrival offsets alternating
 * 0 and skew: |D| is skew on every packet, so the jitter nears it */
static void jitter_stream(struct fx *f, uint16_t lport, uint32_t ts_step, uint64_t skew, int packets)
{
	uint8_t b[200];

	for (int i = 0; i < packets; i++) {
		int len = rtp(b, 0, 96, (uint16_t)(100 + i), 5000 + (uint32_t)i * ts_step, 0x1000 + lport, 50);

		send_at(f, false, lport, 50000, b, len, f->now + (uint64_t)i * 20 * MS + (i & 1) * skew);
	}
}

static void test_jitter_and_rate(void **state)
{
	struct ta_media m[TA_RTP_STREAMS];
	struct fx f;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	jitter_stream(&f, 40010, 960, 4 * MS, 400);  /* 48 kHz, 20 ms */
	jitter_stream(&f, 40011, 1800, 2 * MS, 400); /* 90 kHz */
	jitter_stream(&f, 40012, 20, 4 * MS, 400);   /* 1 kHz: no codec's */
	assert_int_equal(streams_of(&f, 40010, 50000, m), 1);
	assert_int_equal(m[0].rate, 48000);
	assert_int_equal(m[0].dir, TA_DIR_OUT);
	assert_true(fabs(m[0].jitter_ms - 4.0) < 0.3);
	assert_int_equal(m[0].lost, 0);
	assert_int_equal(streams_of(&f, 40011, 50000, m), 1);
	assert_int_equal(m[0].rate, 90000);
	assert_true(fabs(m[0].jitter_ms - 2.0) < 0.2);
	assert_int_equal(streams_of(&f, 40012, 50000, m), 1);
	assert_int_equal(m[0].rate, 0);
	assert_int_equal(m[0].received, 399);
	close_fx(&f);
}

static void test_relayed_and_not_media(void **state)
{
	struct ta_media m[TA_RTP_STREAMS];
	uint8_t b[200];
	struct fx f;
	int len;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	for (int i = 0; i < 50; i++) { /* RTP in a TURN channel, and RTCP beside it */
		len = rtp(b, 1, 111, (uint16_t)i, (uint32_t)i * 960, 77, 60);
		send_at(&f, false, 40020, 3478, b, len, f.now += 20 * MS);
		len = rtp(b, 0, 200, (uint16_t)i, 0, 78, 20); /* the second byte of an RTCP SR */
		send_at(&f, false, 40020, 3478, b, len, f.now += MS);
	}
	assert_int_equal(streams_of(&f, 40020, 3478, m), 1);
	assert_int_equal(m[0].ssrc, 77);
	assert_true(m[0].relayed);
	assert_int_equal(m[0].received, 49);
	for (int i = 0; i < 20; i++) { /* a channel too short for RTP; a privileged port */
		rtp(b, 1, 111, (uint16_t)i, 0, 79, 0);
		b[3] = 10; /* 14 bytes: a whole channel message, too short for RTP */
		send_at(&f, false, 40021, 3478, b, 14, f.now += 20 * MS);
		len = rtp(b, 0, 111, (uint16_t)i, 0, 80, 40);
		send_at(&f, false, 40022, 443, b, len, f.now += 20 * MS);
	}
	assert_int_equal(streams_of(&f, 40021, 3478, m), 0);
	assert_int_equal(streams_of(&f, 40022, 443, m), 0);
	close_fx(&f);
}

/* TURN ChannelData is read as RFC 8656 frames it: the channel's length is
 * what the datagram holds (padded to 4 bytes at most), or the payload is
 * no channel message at all, whatever its first byte */
static void test_channel_framing(void **state)
{
	/* the datagram's length against the channel's (73): padded by 3 is a
	 * channel, by 4 or short of it is not; and a payload of 'A's */
	static const struct {
		uint16_t lport;
		int extra;   /* bytes beyond the channel message */
		uint16_t cl; /* the length field; 0: the message's own */
		int streams;
	} c[] = { { 40030, 0, 0, 1 },  { 40031, 3, 0, 1 },      { 40032, 4, 0, 0 },
		  { 40033, -1, 0, 0 }, { 40034, 0, 0x4141, 0 }, { 40035, 0, 11, 0 } };
	struct ta_media m[TA_RTP_STREAMS];
	uint8_t b[200];
	struct fx f;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		for (int i = 0; i < 20; i++) {
			int len = rtp(b, 1, 111, (uint16_t)i, (uint32_t)i * 960, 90 + (uint32_t)k, 61);

			memset(b + len, 0, 8);
			if (c[k].cl)
				b[2] = (uint8_t)(c[k].cl >> 8), b[3] = (uint8_t)c[k].cl;
			send_at(&f, true, c[k].lport, 3478, b, len + c[k].extra, f.now += 20 * MS);
		}
		assert_int_equal(streams_of(&f, c[k].lport, 3478, m), c[k].streams);
		if (c[k].streams) {
			assert_int_equal(m[0].ssrc, 90 + k);
			assert_true(m[0].relayed);
			assert_int_equal(m[0].received, 19);
		}
	}
	close_fx(&f);
}

static void test_restart_and_full(void **state)
{
	struct ta_media m[TA_RTP_STREAMS];
	uint64_t c[TA_C_MAX];
	uint8_t b[200];
	struct fx f;
	int len;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	for (int i = 0; i < 40; i++) { /* 20 in order, then a jump of 10 000 and 20 more */
		uint16_t seq = (uint16_t)(i < 20 ? 500 + i : 10500 + i);

		len = rtp(b, 0, 0, seq, (uint32_t)i * 160, 5, 160);
		send_at(&f, false, 40030, 50000, b, len, f.now += 20 * MS);
	}
	assert_int_equal(streams_of(&f, 40030, 50000, m), 1);
	assert_int_equal(m[0].restarts, 1);
	assert_int_equal(m[0].lost, 0);
	assert_int_equal(m[0].received, 19); /* from the restart's packet, after the one it waited for */
	for (uint32_t s = 0; s < TA_RTP_STREAMS + 2; s++)
		for (int i = 0; i < 3; i++) {
			len = rtp(b, 0, 96, (uint16_t)i, 0, 1000 + s, 20);
			send_at(&f, false, 40031, 50000, b, len, f.now += MS);
		}
	assert_int_equal(streams_of(&f, 40031, 50000, m), TA_RTP_STREAMS);
	assert_int_equal(ta_dp_counters(&f.dp, c), 0);
	assert_int_equal(c[TA_C_RTP_FULL], 2 * 3);
	close_fx(&f);
}

/* An RTCP RR from ssrc about `about` (fraction, cumulative lost, jitter),
 * followed by an SDES of sdes_words words: the compound's length (plus
 * trailer bytes that are not RTCP, as SRTCP's are) */
static int rtcp_rr(uint8_t *b, uint32_t ssrc, uint32_t about, uint8_t fraction, int32_t lost, uint32_t jitter,
		   int trailer)
{
	memset(b, 0, 64);
	b[0] = 0x81, b[1] = 201, b[2] = 0, b[3] = 7; /* one report block: 32 bytes */
	b[4] = (uint8_t)(ssrc >> 24), b[5] = (uint8_t)(ssrc >> 16), b[6] = (uint8_t)(ssrc >> 8), b[7] = (uint8_t)ssrc;
	b[8] = (uint8_t)(about >> 24), b[9] = (uint8_t)(about >> 16), b[10] = (uint8_t)(about >> 8),
	b[11] = (uint8_t)about;
	b[12] = fraction, b[13] = (uint8_t)(lost >> 16), b[14] = (uint8_t)(lost >> 8), b[15] = (uint8_t)lost;
	b[20] = (uint8_t)(jitter >> 24), b[21] = (uint8_t)(jitter >> 16), b[22] = (uint8_t)(jitter >> 8);
	b[23] = (uint8_t)jitter;
	b[32] = 0x81, b[33] = 202, b[34] = 0, b[35] = 2; /* SDES: 12 bytes */
	memset(b + 44, 0xee, (size_t)trailer);
	return 44 + trailer;
}

/* Plain RTCP receiver reports about a stream reach it; SRTCP-shaped ones
 * (bytes after the compound), reports about no stream of the flow and
 * reports sent the stream's own way do not */
static void test_receiver_reports(void **state)
{
	struct ta_media m[TA_RTP_STREAMS];
	uint8_t b[200];
	struct fx f;
	int len;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	for (int i = 0; i < 100; i++) { /* a 48 kHz stream out */
		len = rtp(b, 0, 111, (uint16_t)i, (uint32_t)i * 960, 0x5150, 60);
		send_at(&f, false, 40040, 50000, b, len, f.now += 20 * MS);
	}
	len = rtcp_rr(b, 0x99, 0x5150, 64, 7, 480, 14); /* SRTCP: 4-byte index and 10-byte tag after */
	send_at(&f, true, 40040, 50000, b, len, f.now += MS);
	len = rtcp_rr(b, 0x99, 0x7777, 64, 7, 480, 0); /* about no stream of the flow */
	send_at(&f, true, 40040, 50000, b, len, f.now += MS);
	len = rtcp_rr(b, 0x99, 0x5150, 64, 7, 480, 0); /* the stream's own way */
	send_at(&f, false, 40040, 50000, b, len, f.now += MS);
	assert_int_equal(streams_of(&f, 40040, 50000, m), 1);
	assert_int_equal(m[0].rr_reports, 0);
	len = rtcp_rr(b, 0x99, 0x5150, 64, 7, 480, 0);
	send_at(&f, true, 40040, 50000, b, len, f.now += MS);
	len = rtcp_rr(b, 0x99, 0x5150, 32, -2, 960, 0); /* the next one replaces it */
	send_at(&f, true, 40040, 50000, b, len, f.now += MS);
	assert_int_equal(streams_of(&f, 40040, 50000, m), 1);
	assert_int_equal(m[0].rr_reports, 2);
	assert_true(fabs(m[0].rr_fraction_pct - 12.5) < 1e-9);
	assert_int_equal(m[0].rr_lost, -2);
	assert_int_equal(m[0].rate, 48000);
	assert_true(fabs(m[0].rr_jitter_ms - 20.0) < 1e-9);
	assert_int_equal(m[0].received, 99); /* the RTCP was not taken for RTP */
	close_fx(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loss_reorder_dups_wrap), cmocka_unit_test(test_jitter_and_rate),
		cmocka_unit_test(test_relayed_and_not_media),  cmocka_unit_test(test_channel_framing),
		cmocka_unit_test(test_restart_and_full),       cmocka_unit_test(test_receiver_reports),
	};

	return cmocka_run_group_tests_name("media", tests, NULL, NULL);
}
