// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Calls per inside client (user/core/calls.c) from flows as the loader
 * shows them, with the built-in policy in a datapath (what counts as a
 * media address is the policy's): each path's rule and its edges (a TCP
 * relay below 100 packets a way is an idle allocation, TLS to a host the
 * policy allows no UDP to is not media), the best path of a client on two,
 * clients kept apart, and the findings: UDP tried (STUN unanswered, or
 * dropped in this host) then TCP; TCP with no UDP attempt; relayed UDP; a
 * direct call with none.  tests/calls.test.sh makes real calls of each kind.
 */
#include <arpa/inet.h>
#include "harness.h"
#include "calls.h"

#define CARRY(x) (1u << TA_CARRY_##x)

static struct ta_flow_key key(const char *local, const char *remote, int proto, uint16_t rport)
{
	struct ta_flow_key k = { .ifindex = 1, .lport = 40000, .rport = rport, .proto = (uint8_t)proto, .family = 4 };

	k.local[10] = k.local[11] = k.remote[10] = k.remote[11] = 0xff;
	inet_pton(AF_INET, local, k.local + 12);
	inet_pton(AF_INET, remote, k.remote + 12);
	return k;
}

static struct ta_flow_val val(uint16_t carries, uint16_t relayed, uint64_t out, uint64_t in)
{
	struct ta_flow_val v = { .carries = carries, .relayed = relayed };

	v.packets[TA_DIR_OUT] = out;
	v.packets[TA_DIR_IN] = in;
	v.media_jitter_us = TA_MEDIA_NO_JITTER;
	return v;
}

struct fx {
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	struct ta_calls cs;
};

static int open_fx(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	return ta_test_dp(&f->pol, &f->comp, &f->dp);
}

static void close_fx(struct fx *f)
{
	ta_calls_free(&f->cs);
	ta_dp_close(&f->dp);
	ta_compiled_free(&f->comp);
	ta_policy_free(&f->pol);
}

static void add(struct fx *f, const char *local, const char *remote, int proto, uint16_t rport, struct ta_flow_val v)
{
	struct ta_flow_key k = key(local, remote, proto, rport);

	assert_int_equal(ta_calls_add(&f->cs, &f->dp, &k, &v), 0);
}

static const struct ta_call *client(struct fx *f, const char *a)
{
	uint8_t want[16] = { [10] = 0xff, [11] = 0xff };

	inet_pton(AF_INET, a, want + 12);
	for (size_t i = 0; i < f->cs.n; i++)
		if (!memcmp(f->cs.c[i].client, want, 16))
			return &f->cs.c[i];
	return NULL;
}

static void test_paths(void **state)
{
	struct ta_flow_val v;
	struct fx f;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	v = val(CARRY(STUN) | CARRY(DTLS) | CARRY(RTP), 0, 500, 500);
	v.media_streams = 2, v.media_expected = 1000, v.media_lost = 10, v.media_jitter_us = 1500;
	add(&f, "10.1.0.1", "70.42.47.70", 17, 50000, v);
	add(&f, "10.1.0.2", "72.5.167.140", 17, 3478, val(CARRY(STUN) | CARRY(CHANNEL), CARRY(RTP), 500, 500));
	add(&f, "10.1.0.3", "72.5.167.140", 6, 3478, val(CARRY(STUN) | CARRY(CHANNEL), 0, 100, 100));
	add(&f, "10.1.0.4", "72.5.167.140", 6, 443, val(CARRY(TLS), 0, 100, 100));
	/* an idle TURN allocation over TCP; TLS to the API hosts (no UDP there) */
	add(&f, "10.1.0.5", "72.5.167.140", 6, 3478, val(CARRY(STUN), 0, 99, 500));
	add(&f, "10.1.0.6", "216.151.209.20", 6, 443, val(CARRY(TLS), 0, 5000, 5000));
	/* a client on two paths takes its best */
	add(&f, "10.1.0.7", "72.5.167.140", 6, 443, val(CARRY(TLS), 0, 300, 300));
	add(&f, "10.1.0.7", "72.5.167.140", 17, 3478, val(CARRY(CHANNEL), CARRY(RTP), 300, 300));
	assert_int_equal(ta_call_path(client(&f, "10.1.0.1")), TA_PATH_DIRECT_UDP);
	assert_int_equal(client(&f, "10.1.0.1")->lost, 10);
	assert_int_equal(client(&f, "10.1.0.1")->jitter_us, 1500);
	assert_int_equal(ta_call_path(client(&f, "10.1.0.2")), TA_PATH_RELAYED_UDP);
	assert_int_equal(ta_call_path(client(&f, "10.1.0.3")), TA_PATH_RELAYED_TCP);
	assert_int_equal(ta_call_path(client(&f, "10.1.0.4")), TA_PATH_TLS_443);
	assert_null(client(&f, "10.1.0.5"));
	assert_null(client(&f, "10.1.0.6"));
	assert_int_equal(ta_call_path(client(&f, "10.1.0.7")), TA_PATH_RELAYED_UDP);
	assert_int_equal(client(&f, "10.1.0.7")->flows[TA_PATH_TLS_443], 1);
	assert_string_equal(ta_path_name(TA_PATH_TLS_443), "tls-443");
	close_fx(&f);
}

static void test_findings(void **state)
{
	struct ta_flow_val v;
	char buf[1024];
	struct fx f;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f), 0);
	/* UDP tried: STUN binding unanswered (to TURN's port named first), and dropped here */
	v = val(CARRY(STUN), 0, 7, 0);
	v.stun_methods = 1u << 1;
	add(&f, "10.1.0.1", "70.42.47.70", 17, 50001, v);
	add(&f, "10.1.0.1", "72.5.167.140", 17, 3478, v);
	v = val(0, 0, 0, 0);
	v.kernel_drops = 11;
	v.last_drop_reason = 0;
	add(&f, "10.1.0.1", "72.5.167.140", 17, 3478, v);
	add(&f, "10.1.0.1", "72.5.167.140", 6, 443, val(CARRY(TLS), 0, 400, 400));
	assert_true(ta_call_finding(client(&f, "10.1.0.1"), buf, sizeof(buf)));
	assert_non_null(
		strstr(buf, "10.1.0.1: UDP media attempted (STUN binding to 72.5.167.140:3478, no answer, and 1 more"));
	assert_non_null(strstr(buf, "11 UDP packets dropped in this host at "));
	assert_non_null(strstr(buf, "then TURN over TLS 443: UDP is blocked on this path"));
	/* TCP with no UDP attempt; relayed UDP; direct: no finding; STUN to a host no UDP goes to: not an attempt */
	add(&f, "10.1.0.2", "72.5.167.140", 6, 3478, val(CARRY(CHANNEL), 0, 400, 400));
	add(&f, "10.1.0.2", "192.0.2.10", 17, 3478, val(CARRY(STUN), 0, 5, 0));
	assert_true(ta_call_finding(client(&f, "10.1.0.2"), buf, sizeof(buf)));
	assert_string_equal(buf, "10.1.0.2: media over TURN over TCP, no UDP attempt seen: the client did not try UDP, "
				 "or UDP is blocked before this gateway");
	add(&f, "10.1.0.3", "72.5.167.140", 17, 3478, val(CARRY(CHANNEL), CARRY(RTP), 400, 400));
	assert_true(ta_call_finding(client(&f, "10.1.0.3"), buf, sizeof(buf)));
	assert_string_equal(buf, "10.1.0.3: media relayed by TURN over UDP: direct UDP to the media addresses did not "
				 "connect");
	add(&f, "10.1.0.4", "70.42.47.70", 17, 50000, val(CARRY(RTP), 0, 400, 400));
	assert_false(ta_call_finding(client(&f, "10.1.0.4"), buf, sizeof(buf)));
	/* UDP tried, no media anywhere */
	v = val(CARRY(STUN), 0, 3, 0);
	v.stun_methods = 1u << 3;
	add(&f, "10.1.0.5", "72.5.167.140", 17, 3478, v);
	assert_int_equal(ta_call_path(client(&f, "10.1.0.5")), -1);
	assert_true(ta_call_finding(client(&f, "10.1.0.5"), buf, sizeof(buf)));
	assert_string_equal(buf,
			    "10.1.0.5: UDP media attempted (STUN allocate to 72.5.167.140:3478, no answer), and no "
			    "media seen on any path");
	close_fx(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_findings),
	};

	return cmocka_run_group_tests_name("calls", tests, NULL, NULL);
}
