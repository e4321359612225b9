// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What flows carry (bpf/carry.h), with BPF_PROG_TEST_RUN: payloads of the
 * kinds RFC 7983 / RFC 9443 tell apart (STUN with its methods and classes,
 * DTLS, TURN ChannelData and what it relays, RTP, RTCP, QUIC) over UDP, and
 * STUN (plain and RFC 6544-framed) and TLS over TCP, each on a flow of its
 * own; near misses (a wrong cookie, a length that does not fit) are
 * 'unknown'; and the sampling: the first packets of a flow, then one in
 * TA_CARRY_EVERY.
 */
#include <arpa/inet.h>
#include "harness.h"
#include "flows.h"
#include "pkt.h"

#define LOCAL "10.1.0.5"
#define MEDIA "70.42.47.70"

struct fx {
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
};

static int open_fx(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	return ta_test_dp(&f->pol, &f->comp, &f->dp);
}

static void close_fx(struct fx *f)
{
	ta_dp_close(&f->dp);
	ta_compiled_free(&f->comp);
	ta_policy_free(&f->pol);
}

/* One packet out, from local port sport to the media address's dport */
static void send_out(struct fx *f, int proto, uint16_t sport, uint16_t dport, const uint8_t *data, int n)
{
	uint8_t frame[PK_MAX];
	uint32_t ret;
	struct pk p = PK(.family = 4, .src = LOCAL, .dst = MEDIA, .proto = proto, .sport = sport, .dport = dport,
			 .tcp_flags = proto == 6 ? 0x18 : 0, .payload = n, .data = data);
	int len = pk_build(&p, frame);

	assert_int_equal(ta_dp_run_tc(&f->dp, frame, (uint32_t)len, &ret), 0);
}

static struct ta_flow_val flow_of(struct fx *f, int proto, uint16_t sport, uint16_t dport)
{
	struct ta_flow_key k = { .ifindex = 1, .lport = sport, .rport = dport, .proto = (uint8_t)proto, .family = 4 };
	struct ta_flow_val v;

	k.local[10] = k.local[11] = k.remote[10] = k.remote[11] = 0xff;
	inet_pton(AF_INET, LOCAL, k.local + 12);
	inet_pton(AF_INET, MEDIA, k.remote + 12);
	assert_int_equal(ta_dp_flow_lookup(&f->dp, &k, &v), 0);
	return v;
}

/* A STUN message of type t with len bytes of attributes (cookie right or not) */
static int stun(uint8_t *b, unsigned t, unsigned len, bool cookie)
{
	memset(b, 0, 20 + len);
	b[0] = (uint8_t)(t >> 8), b[1] = (uint8_t)t, b[2] = (uint8_t)(len >> 8), b[3] = (uint8_t)len;
	b[4] = 0x21, b[5] = 0x12, b[6] = 0xa4, b[7] = cookie ? 0x42 : 0x43;
	for (int i = 8; i < 20; i++)
		b[i] = (uint8_t)(i * 7);
	return 20 + (int)len;
}

static int rtp(uint8_t *b, int pt, int n)
{
	memset(b, 0x11, (size_t)n);
	b[0] = 0x80, b[1] = (uint8_t)pt;
	return n;
}

struct ucase {
	const char *what;
	uint8_t data[200];
	int n;
	const char *carries; /* ta_flow_carries_str */
	unsigned classes;
};

static void check(struct fx *f, int proto, uint16_t sport, uint16_t dport, const char *want, unsigned classes)
{
	struct ta_flow_val v = flow_of(f, proto, sport, dport);
	char got[160];

	ta_flow_carries_str(&v, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("flow %u -> %u: carries '%s', want '%s'", sport, dport, got, want);
	if (classes != 0xff)
		assert_int_equal(v.stun_classes, classes);
}

static void test_udp_kinds(void **state)
{
	struct fx f;
	uint8_t b[256];
	uint16_t sp = 41000;
	int n;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	n = stun(b, 0x0001, 8, true); /* Binding request */
	send_out(&f, 17, sp, 3478, b, n);
	n = stun(b, 0x0101, 12, true); /* Binding success */
	send_out(&f, 17, sp, 3478, b, n);
	check(&f, 17, sp++, 3478, "stun(binding)", 1u << 0 | 1u << 2);
	n = stun(b, 0x0003, 4, true); /* Allocate request, then ChannelBind request, Send indication */
	send_out(&f, 17, sp, 3478, b, n);
	n = stun(b, 0x0009, 16, true);
	send_out(&f, 17, sp, 3478, b, n);
	n = stun(b, 0x0016, 8, true);
	send_out(&f, 17, sp, 3478, b, n);
	check(&f, 17, sp++, 3478, "stun(allocate,send,channel-bind)", 1u << 0 | 1u << 1);
	n = stun(b, 0x0001, 8, false); /* a wrong cookie */
	send_out(&f, 17, sp, 3478, b, n);
	n = stun(b, 0x0001, 40, true); /* a length past the datagram */
	send_out(&f, 17, sp, 3478, b, 28);
	check(&f, 17, sp++, 3478, "unknown", 0);
	memset(b, 0, 64), b[0] = 22, b[1] = 0xfe, b[2] = 0xfd; /* DTLS 1.2 handshake */
	send_out(&f, 17, sp, 50000, b, 64);
	check(&f, 17, sp++, 50000, "dtls", 0);
	send_out(&f, 17, sp, 50000, b, rtp(b, 111, 120)); /* RTP (Opus), then RTCP SR */
	send_out(&f, 17, sp, 50000, b, rtp(b, 200, 28));
	check(&f, 17, sp++, 50000, "rtp rtcp", 0);
	/* ChannelData 0x4001 relaying RTP, then relaying DTLS */
	b[0] = 0x40, b[1] = 0x01, b[2] = 0, b[3] = 100, rtp(b + 4, 96, 100);
	send_out(&f, 17, sp, 3478, b, 104);
	b[4] = 23, b[5] = 0xfe;
	send_out(&f, 17, sp, 3478, b, 104);
	check(&f, 17, sp++, 3478, "turn-channel(dtls,rtp)", 0xff);
	b[0] = 0x40, b[1] = 0x01, b[2] = 1, b[3] = 0; /* says 256 bytes, carries 100 */
	send_out(&f, 17, sp, 3478, b, 104);
	check(&f, 17, sp++, 3478, "unknown", 0xff);
	memset(b, 0, 64), b[0] = 0xc3, b[1] = 0, b[4] = 1; /* a QUIC long header */
	send_out(&f, 17, sp, 50000, b, 64);
	check(&f, 17, sp++, 50000, "quic", 0xff);
	close_fx(&f);
}

static void test_tcp_kinds(void **state)
{
	struct fx f;
	uint8_t b[256];
	int n;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	memset(b, 0, 64), b[0] = 23, b[1] = 3, b[2] = 3, b[4] = 59; /* TLS application data */
	send_out(&f, 6, 42000, 443, b, 64);
	check(&f, 6, 42000, 443, "tls", 0xff);
	n = stun(b + 2, 0x0003, 8, true); /* RFC 6544: a length, then STUN (Allocate) */
	b[0] = 0, b[1] = (uint8_t)n;
	send_out(&f, 6, 42001, 443, b, n + 2);
	n = stun(b, 0x0101, 8, true); /* and plain STUN (RFC 8656) on another */
	send_out(&f, 6, 42002, 443, b, n);
	check(&f, 6, 42001, 443, "stun(allocate)", 1u << 0);
	check(&f, 6, 42002, 443, "stun(binding)", 1u << 2);
	rtp(b, 111, 120); /* RTP is not looked for over TCP */
	send_out(&f, 6, 42003, 443, b, 120);
	check(&f, 6, 42003, 443, "unknown", 0xff);
	close_fx(&f);
}

/* The first TA_CARRY_FIRST packets each way, then one in TA_CARRY_EVERY:
 * a STUN packet that is the 50th of its direction is not looked at, the
 * 64th is */
static void test_sampling(void **state)
{
	struct fx f;
	uint8_t r[200], s[64];
	int ns = stun(s, 0x0001, 8, true);

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	rtp(r, 111, 120);
	for (int i = 1; i <= 70; i++)
		send_out(&f, 17, 43000, 50000, i == 50 ? s : r, i == 50 ? ns : 120);
	check(&f, 17, 43000, 50000, "rtp", 0xff);
	for (int i = 1; i <= 70; i++)
		send_out(&f, 17, 43001, 50000, i == 64 ? s : r, i == 64 ? ns : 120);
	check(&f, 17, 43001, 50000, "stun(binding) rtp", 1u << 0);
	close_fx(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_kinds),
		cmocka_unit_test(test_tcp_kinds),
		cmocka_unit_test(test_sampling),
	};

	return cmocka_run_group_tests_name("carry", tests, NULL, NULL);
}
