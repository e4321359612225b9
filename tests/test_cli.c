// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The option layer without root: typed options (enum with its values,
 * required, interface list, remote prefix with port, ranges), the shared
 * attach options and their cross-checks, and replay's link-type conversion.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "cli.h"
#include "flows.h"
#include "options.h"
#include "replay.h"

struct cfg {
	struct ta_attach_cli a;
	struct ta_remote remote;
	unsigned n;
	bool flag;
	const char *pos[1];
};

static const struct ta_opt opts[] = {
	TA_ATTACH_OPTS(struct cfg, a),
	{ "remote", 'r', TA_OPT_REMOTE, offsetof(struct cfg, remote), "ADDR[:PORT]", "remote" },
	{ "n", 0, TA_OPT_UINT, offsetof(struct cfg, n), "N", "a number", 1, 10 },
	{ "flag", 'f', TA_OPT_FLAG, offsetof(struct cfg, flag), NULL, "a flag" },
	{ 0 },
};

static const struct ta_cmd cmd = {
	.name = "t", .summary = "test", .opts = opts, .cfg_size = sizeof(struct cfg),
	.max_pos = 1, .pos_offset = offsetof(struct cfg, pos),
};

/* Parse a NULL-terminated argument list into c (attach options "not given" first). */
static int parse(struct cfg *c, ...)
{
	char *argv[32] = { "t" };
	int argc = 1;
	va_list ap;

	memset(c, 0, sizeof(*c));
	ta_attach_cli_init(&c->a);
	va_start(ap, c);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	return ta_cli_parse(&cmd, argc, argv, c);
}

static void test_enum_values(void **state)
{
	struct cfg c;
	struct ta_attach_opts o;

	assert_int_equal(parse(&c, "-i", "lo", NULL), 0);
	assert_int_equal(ta_attach_cli_resolve("t", &c.a, &o), 0);
	assert_int_equal(o.side, TA_SIDE_OUTSIDE);
	assert_int_equal(o.hook, TA_HOOK_XDP);
	assert_int_equal(o.xdp_mode, TA_XDP_NATIVE);
	assert_int_equal(parse(&c, "-i", "lo", "--side", "inside", "--hook", "xdp", "--xdp-mode", "skb", NULL), 0);
	assert_int_equal(ta_attach_cli_resolve("t", &c.a, &o), 0);
	assert_int_equal(o.side, TA_SIDE_INSIDE);
	assert_int_equal(o.xdp_mode, TA_XDP_SKB);
	assert_int_equal(parse(&c, "-i", "lo", "--side", "up", NULL), TA_EXIT_USAGE);
	assert_int_equal(parse(&c, "-i", "lo", "--hook", "nft", NULL), TA_EXIT_USAGE);
	/* --xdp-mode means nothing with --hook tc */
	assert_int_equal(parse(&c, "-i", "lo", "--hook", "tc", "--xdp-mode", "native", NULL), 0);
	assert_int_equal(ta_attach_cli_resolve("t", &c.a, &o), TA_EXIT_USAGE);
}

static void test_required_and_interfaces(void **state)
{
	struct cfg c;

	assert_int_equal(parse(&c, "--side", "inside", NULL), TA_EXIT_USAGE); /* no -i */
	assert_int_equal(parse(&c, "-i", "lo", NULL), 0);
	assert_int_equal(c.a.ifaces.n, 1);
	assert_string_equal(c.a.ifaces.v[0].name, "lo");
	assert_int_equal(c.a.ifaces.v[0].ifindex, 1);
	assert_int_equal(parse(&c, "-i", "no-such-if0", NULL), TA_EXIT_FAIL);
	assert_int_equal(parse(&c, "-i", "lo,lo", NULL), TA_EXIT_FAIL); /* twice */
}

static void test_remote_and_numbers(void **state)
{
	struct cfg c;

	assert_int_equal(parse(&c, "-i", "lo", "--remote", "[2001:db8::1]:443", NULL), 0);
	assert_true(c.remote.has);
	assert_int_equal(c.remote.port, 443);
	assert_int_equal(c.remote.p.len, 128);
	assert_int_equal(parse(&c, "-i", "lo", "-r", "[2001:db8::1]", NULL), 0);
	assert_true(c.remote.has && c.remote.port == -1);
	assert_int_equal(parse(&c, "-i", "lo", "-r", "not-an-address", NULL), TA_EXIT_USAGE);
	assert_int_equal(parse(&c, "-i", "lo", "--n", "11", NULL), TA_EXIT_USAGE);
	assert_int_equal(parse(&c, "-i", "lo", "--n", "-1", NULL), TA_EXIT_USAGE);
	assert_int_equal(parse(&c, "-i", "lo", "--n", "7", "-f", "pos", NULL), 0);
	assert_int_equal(c.n, 7);
	assert_true(c.flag);
	assert_string_equal(c.pos[0], "pos");
	assert_int_equal(parse(&c, "-i", "lo", "a", "b", NULL), TA_EXIT_USAGE); /* one positional */
	assert_int_equal(parse(&c, "-i", "lo", "--nope", NULL), TA_EXIT_USAGE);
}

static void test_link_types(void **state)
{
	uint8_t ip4[20] = { 0x45 }, ip6[40] = { 0x60 }, out[64], in[64];

	/* raw IP: an Ethernet header with the type from the version */
	assert_int_equal(ta_replay_to_ethernet(DLT_RAW, ip4, sizeof(ip4), out, sizeof(out)), 34);
	assert_int_equal(out[12] << 8 | out[13], 0x0800);
	assert_int_equal(ta_replay_to_ethernet(DLT_RAW, ip6, sizeof(ip6), out, sizeof(out)), 54);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	assert_int_equal(out[14], 0x60);
	/* Linux cooked: the protocol at 14, 16 bytes of header */
	memset(in, 0, sizeof(in));
	in[14] = 0x86;
	in[15] = 0xdd;
	memcpy(in + 16, ip6, 40);
	assert_int_equal(ta_replay_to_ethernet(DLT_LINUX_SLL, in, 56, out, sizeof(out)), 54);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	assert_int_equal(ta_replay_to_ethernet(DLT_LINUX_SLL, in, 10, out, sizeof(out)), -1); /* runt */
	/* SLL2: the protocol first, 20 bytes */
	memset(in, 0, sizeof(in));
	in[0] = 0x08;
	memcpy(in + 20, ip4, 20);
	assert_int_equal(ta_replay_to_ethernet(DLT_LINUX_SLL2, in, 40, out, sizeof(out)), 34);
	assert_int_equal(out[12] << 8 | out[13], 0x0800);
	/* NULL (host order) and LOOP (network order) families */
	uint32_t fam = 2;
	memcpy(in, &fam, 4);
	memcpy(in + 4, ip4, 20);
	assert_int_equal(ta_replay_to_ethernet(DLT_NULL, in, 24, out, sizeof(out)), 34);
	assert_int_equal(out[12] << 8 | out[13], 0x0800);
	in[0] = 0, in[1] = 0, in[2] = 0, in[3] = 24; /* LOOP AF_INET6 (BSD) */
	assert_int_equal(ta_replay_to_ethernet(DLT_LOOP, in, 24, out, sizeof(out)), 34);
	assert_int_equal(out[12] << 8 | out[13], 0x86dd);
	/* a frame longer than the buffer is cut to it */
	assert_int_equal(ta_replay_to_ethernet(DLT_EN10MB, in, 64, out, 32), 32);
	assert_true(ta_replay_dlt_supported(DLT_EN10MB));
	assert_false(ta_replay_dlt_supported(DLT_IEEE802_11));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_required_and_interfaces),
		cmocka_unit_test(test_remote_and_numbers),
		cmocka_unit_test(test_link_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
