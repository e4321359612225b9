// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Policy parser and compiler: every rule form, every error with its line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include "policy.h"

static int parse(const char *txt, struct ta_policy *p, struct ta_diags *d)
{
	memset(d, 0, sizeof(*d));
	return ta_policy_parse(txt, strlen(txt), "t.policy", p, d);
}

/* Parse txt, expect exactly one error at line:col whose message contains want. */
static void expect_error(const char *txt, int line, int col, const char *want)
{
	struct ta_policy p;
	struct ta_diags d;
	int r = parse(txt, &p, &d);

	if (r <= 0 || d.n < 1) {
		fail_msg("no error for:\n%s", txt);
	}
	if (d.v[0].line != line || d.v[0].col != col || !strstr(d.v[0].msg, want)) {
		ta_diags_print(&d, stderr);
		fail_msg("want %d:%d '%s', got %d:%d '%s'", line, col, want, d.v[0].line, d.v[0].col,
			 d.v[0].msg);
	}
	assert_int_equal(p.nrules, 0); /* never half-loaded */
	assert_null(p.rules);
	ta_diags_free(&d);
}

#define R(body) "rule r\n proto udp\n dir both\n addr 10.0.0.0/8\n" body

static void test_builtin(void **state)
{
	struct ta_policy p;

	assert_int_equal(ta_policy_builtin(&p), 0);
	assert_int_equal(p.nrules, 3);
	assert_string_equal(p.rules[0].label, "media");
	assert_int_equal(p.rules[0].pclass, TA_PC_UDP);
	assert_int_equal(p.rules[0].dir, TA_RDIR_BOTH);
	assert_int_equal(p.rules[0].nranges, 1);
	assert_int_equal(p.rules[0].ranges[0].lo, 1025);
	assert_int_equal(p.rules[0].ranges[0].hi, 65535);
	assert_int_equal(p.rules[0].nprefixes, 3);
	assert_string_equal(p.rules[1].label, "control");
	assert_int_equal(p.rules[1].pclass, TA_PC_TCP);
	assert_int_equal(p.rules[1].nranges, 4);
	assert_int_equal(p.rules[1].nprefixes, 3);
	assert_string_equal(p.rules[2].label, "hlg");
	assert_int_equal(p.rules[2].dir, TA_RDIR_OUT);
	assert_int_equal(p.rules[2].nprefixes, 2);
	assert_int_equal(p.rules[2].nnames, 1);
	assert_string_equal(p.rules[2].names[0], "hlg.tokbox.com");
	assert_true(p.rules[1].nnotes >= 4); /* the port purposes */
	char buf[64];
	ta_prefix_str(&p.rules[0].prefixes[2], buf, sizeof(buf));
	assert_string_equal(buf, "212.118.226.32/27");
	ta_prefix_str(&p.rules[2].prefixes[0], buf, sizeof(buf));
	assert_string_equal(buf, "216.151.209.20");
	ta_policy_free(&p);
}

static void test_rule_forms(void **state)
{
	const char *txt =
		"# header comment\n"
		"\n"
		"rule a_1  # trailing comment\n"
		"  proto tcp\n"
		"  ports 80, 443,3478 5560\n"
		"  ports 1000-1010, 2000 – 2001\n"
		"  ports 3000–3001\n"
		"  dir out\n"
		"  addr 192.0.2.0/24, 198.51.100.7 2001:db8::/32 2001:db8:1::1\n"
		"  names a[1-3].example.com b.example.com\n"
		"rule ping\n"
		"\tproto icmp\n"
		"\tdir in\n"
		"\taddr 0.0.0.0/0 ::/0\n";
	struct ta_policy p;
	struct ta_diags d;
	int r = parse(txt, &p, &d);

	if (r)
		ta_diags_print(&d, stderr);
	assert_int_equal(r, 0);
	assert_int_equal(p.nrules, 2);
	struct ta_rule *a = &p.rules[0];
	assert_int_equal(a->nranges, 7);
	assert_int_equal(a->ranges[3].lo, 5560);
	assert_int_equal(a->ranges[4].lo, 1000);
	assert_int_equal(a->ranges[4].hi, 1010);
	assert_int_equal(a->ranges[5].lo, 2000);
	assert_int_equal(a->ranges[5].hi, 2001);
	assert_int_equal(a->ranges[6].lo, 3000);
	assert_int_equal(a->ranges[6].hi, 3001);
	assert_int_equal(a->dir, TA_RDIR_OUT);
	assert_int_equal(a->nprefixes, 4);
	assert_int_equal(a->prefixes[0].len, 96 + 24);
	assert_int_equal(a->prefixes[1].len, 128);
	assert_int_equal(a->prefixes[2].len, 32);
	assert_int_equal(a->prefixes[2].family, 6);
	assert_int_equal(a->nnames, 2);
	assert_int_equal(p.rules[1].pclass, TA_PC_ICMP);
	assert_int_equal(p.rules[1].dir, TA_RDIR_IN);
	assert_int_equal(p.rules[1].prefixes[0].len, 96);
	assert_int_equal(p.rules[1].prefixes[1].len, 0);
	assert_int_equal(p.nheader, 1);
	ta_policy_free(&p);
	ta_diags_free(&d);
}

/* The document's own typo: "UDP ports 1025–65536". */
static void test_doc_typo_65536(void **state)
{
	expect_error(R(" ports 1025–65536\n"), 5, 13, "65536 out of range");
	expect_error(R(" ports 1025-65536\n"), 5, 13, "65536 out of range");
	expect_error(R(" ports 65536\n"), 5, 8, "65536 out of range");
	expect_error(R(" ports 99999999999\n"), 5, 8, "out of range");
}

static void test_errors(void **state)
{
	expect_error("rule a\n proto udp\n ports 1-2\n dir both\n addr 10.0.0.0/8\n"
		     "rule a\n proto udp\n ports 1-2\n dir both\n addr 10.0.0.0/8\n",
		     6, 6, "duplicate rule label 'a' (first defined at line 1)");
	expect_error(R(" ports\n"), 5, 7, "empty port set");
	expect_error("rule a\n proto tcp\n dir both\n addr 10.0.0.0/8\n", 1, 0, "empty port set");
	expect_error(R(" ports 2000-1000\n"), 5, 8, "inverted port range 2000-1000");
	expect_error(R(" ports 80,http\n"), 5, 11, "found 'http'");
	expect_error(R(" ports 10-\n"), 5, 11, "end of the port range");
	expect_error(R(" ports 1\n addr 70.42.47.65/26\n"), 6, 7,
		     "host bits set; the network address is 70.42.47.64/26");
	expect_error(R(" ports 1\n addr 2001:db8::1/32\n"), 6, 7,
		     "host bits set; the network address is 2001:db8::/32");
	expect_error(R(" ports 1\n addr 10.0.0.0/33\n"), 6, 7, "prefix length /33 out of range");
	expect_error(R(" ports 1\n addr 10.0.0.256\n"), 6, 7, "not a valid IPv4 address");
	expect_error(R(" ports 1\n addr 2001:db8::g\n"), 6, 7, "not a valid IPv6 address");
	expect_error(R(" ports 1\n addr 10.0.0.0/\n"), 6, 7, "prefix length");
	expect_error(R(" ports 1\n addr\n"), 6, 6, "at least one address");
	expect_error(R(" prot udp\n"), 5, 2, "unknown keyword 'prot'");
	expect_error("rule a\n proto udp\n ports 1\n dir sideways\n addr 10.0.0.0/8\n", 4, 6, "unknown direction 'sideways'");
	expect_error("rule a\n proto sctp\n", 2, 8, "unknown protocol 'sctp'");
	expect_error(R(" ports 1\n proto tcp\n"), 6, 2, "'proto' given twice");
	expect_error(R(" ports 1\n dir in\n"), 6, 2, "'dir' given twice");
	expect_error(R(" ports 1\n dir in out\n"), 6, 9, "takes one value");
	expect_error(" proto udp\n", 1, 2, "outside a rule");
	expect_error("rule\n", 1, 5, "expected a label");
	expect_error("rule a b\n", 1, 8, "one label per 'rule' line");
	expect_error("rule a.b\n proto udp\n ports 1\n dir in\n addr 10.0.0.0/8\n", 1, 7, "label 'a.b'");
	expect_error("rule a\n proto icmp\n ports 1\n dir in\n addr 10.0.0.0/8\n", 3, 2, "icmp rules take no ports");
	expect_error("rule a\n proto udp\n ports 1\n addr 10.0.0.0/8\n", 1, 0, "no 'dir' line");
	expect_error("rule a\n ports 1\n dir in\n addr 10.0.0.0/8\n", 1, 0, "no 'proto' line");
	expect_error("rule a\n proto udp\n ports 1\n dir in\n", 1, 0, "no 'addr' or 'names' line");
	expect_error(R(" ports 1\n names a.*.com\n"), 6, 10, "'*' stands only as the first label");
	expect_error(R(" ports 1\n names *opentok.com\n"), 6, 8, "'*' stands only as the first label");
	expect_error(R(" ports 1\n names *\n"), 6, 8, "'*' stands only as the first label");
	expect_error(R(" ports 1\n names foo[1-\n"), 6, 13, "bad range");
	expect_error(R(" ports 1\n names foo_bar.com\n"), 6, 11, "unexpected character '_'");
	expect_error("# nothing\n\n", 0, 0, "no rules");
}

/* Server-name patterns: classes, a leading "*." for one or more labels,
 * any case, a trailing dot */
static void test_name_match(void **state)
{
	static const struct {
		const char *pat, *name;
		bool want;
	} t[] = {
		{ "api.tokbox.com", "api.tokbox.com", true },
		{ "api.tokbox.com", "API.TokBox.com.", true },
		{ "api.tokbox.com", "api.tokbox.co", false },
		{ "api.tokbox.com", "xapi.tokbox.com", false },
		{ "mantis40[1-8]-oak.tokbox.com", "mantis404-oak.tokbox.com", true },
		{ "mantis40[1-8]-oak.tokbox.com", "mantis409-oak.tokbox.com", false },
		{ "mantis40[1-8]-oak.tokbox.com", "mantis40-oak.tokbox.com", false },
		{ "turn[ab]x.tokbox.com", "turnbx.tokbox.com", true },
		{ "turn[ab]x.tokbox.com", "turncx.tokbox.com", false },
		{ "*.opentok.com", "anvil.opentok.com", true },
		{ "*.opentok.com", "a.b.opentok.com", true },
		{ "*.opentok.com", "opentok.com", false },
		{ "*.opentok.com", ".opentok.com", false },
		{ "*.opentok.com", "evilopentok.com", false },
		{ "*.opentok.com", "opentok.com.evil.net", false },
		{ "*.opentok.com", "", false },
		{ "*.tokbox.com", "ANVIL.TOKBOX.COM.", true },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++)
		if (ta_name_match(t[i].pat, t[i].name) != t[i].want)
			fail_msg("%s ~ %s: want %d", t[i].pat, t[i].name, t[i].want);
	assert_true(ta_name_is_wildcard("*.opentok.com"));
	assert_false(ta_name_is_wildcard("api.opentok.com"));
}

/* A rule may name servers and give no address: it compiles, and covers no
 * address until one is learned */
static void test_names_only_rule(void **state)
{
	struct ta_policy p;
	struct ta_diags d;
	struct ta_compiled c;

	assert_int_equal(
		parse("rule sig\n proto tcp\n ports 443\n dir out\n names *.opentok.com api.tokbox.com\n", &p, &d), 0);
	assert_int_equal(p.nrules, 1);
	assert_int_equal(p.rules[0].nprefixes, 0);
	assert_int_equal(p.rules[0].nnames, 2);
	assert_int_equal(ta_policy_compile(&p, &c), 0);
	assert_int_equal(c.nlpm, 0);
	ta_compiled_free(&c);
	ta_policy_free(&p);
}

/* Every error of a file is reported, not only the first. */
static void test_all_errors_reported(void **state)
{
	struct ta_policy p;
	struct ta_diags d;
	const char *txt = "rule a\n proto udp\n ports 70000\n dir up\n addr 1.2.3.4/8\n";

	assert_int_equal(parse(txt, &p, &d), 3);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0].line, 3);
	assert_int_equal(d.v[1].line, 4);
	assert_int_equal(d.v[2].line, 5);
	ta_diags_free(&d);
}

static void test_limits(void **state)
{
	size_t cap = 200000, n = 0;
	char *t = malloc(cap);

	assert_non_null(t);
	for (int i = 0; i <= TA_MAX_RULES; i++)
		n += (size_t)snprintf(t + n, cap - n, "rule r%d\n proto udp\n ports 1\n dir in\n addr 10.%d.0.0/16\n", i, i);
	struct ta_policy p;
	struct ta_diags d;
	assert_true(ta_policy_parse(t, n, "big", &p, &d) > 0);
	assert_int_equal(d.v[0].line, TA_MAX_RULES * 5 + 1);
	assert_non_null(strstr(d.v[0].msg, "too many rules: at most 64"));
	ta_diags_free(&d);
	free(t);
}

static void test_prefix_limit(void **state)
{
	size_t cap = (size_t)(TA_MAX_PREFIXES + 2) * 24 + 128, n = 0;
	char *t = malloc(cap);
	struct ta_policy p;
	struct ta_diags d;

	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n, "rule big\n proto udp\n ports 1\n dir in\n");
	for (int i = 0; i <= TA_MAX_PREFIXES; i++)
		n += (size_t)snprintf(t + n, cap - n, " addr 10.%d.%d.%d\n", i >> 16, (i >> 8) & 255, i & 255);
	assert_int_equal(ta_policy_parse(t, n, "big", &p, &d), 1);
	assert_int_equal(d.v[0].line, 4 + TA_MAX_PREFIXES + 1);
	assert_non_null(strstr(d.v[0].msg, "too many addresses: at most 131072 per policy"));
	ta_diags_free(&d);
	free(t);
}

static void test_nul_byte(void **state)
{
	struct ta_policy p;
	struct ta_diags d = { 0 };
	const char txt[] = "rule a\n\0proto";

	assert_true(ta_policy_parse(txt, sizeof(txt) - 1, "bin", &p, &d) > 0);
	assert_non_null(strstr(d.v[0].msg, "NUL byte"));
	ta_diags_free(&d);
}

/* A file saved by Notepad starts with a UTF-8 byte-order mark */
static void test_bom(void **state)
{
	struct ta_policy p;
	struct ta_diags d;

	assert_int_equal(parse("\xef\xbb\xbfrule a\n proto udp\n ports 1025-65535\n dir both\n addr 10.0.0.0/8\n", &p, &d), 0);
	assert_int_equal(p.nrules, 1);
	assert_string_equal(p.rules[0].label, "a");
	ta_policy_free(&p);
	ta_diags_free(&d);
	/* its columns are counted after the mark, and a mark elsewhere is no blank */
	expect_error("\xef\xbb\xbfrule a\n proto udpx\n", 2, 8, "udpx");
	expect_error("rule a\n\xef\xbb\xbfproto udp\n", 2, 1, "");
}

static void test_load_missing_file(void **state)
{
	struct ta_policy p;
	struct ta_diags d = { 0 };

	assert_true(ta_policy_load("/nonexistent/x.policy", &p, &d) < 0);
	assert_non_null(strstr(d.v[0].msg, "cannot open policy"));
	ta_diags_free(&d);
}

/* Printing back and parsing again gives the same policy. */
static void test_roundtrip(void **state)
{
	struct ta_policy p, q;
	struct ta_diags d = { 0 };
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(ta_policy_builtin(&p), 0);
	FILE *f = open_memstream(&buf, &len);
	ta_policy_write(&p, f);
	fclose(f);
	assert_int_equal(ta_policy_parse(buf, len, "rt", &q, &d), 0);
	assert_int_equal(q.nrules, p.nrules);
	for (size_t i = 0; i < p.nrules; i++) {
		assert_string_equal(q.rules[i].label, p.rules[i].label);
		assert_int_equal(q.rules[i].nranges, p.rules[i].nranges);
		assert_memory_equal(q.rules[i].ranges, p.rules[i].ranges, p.rules[i].nranges * sizeof(struct ta_range));
		assert_int_equal(q.rules[i].nprefixes, p.rules[i].nprefixes);
		assert_memory_equal(q.rules[i].prefixes, p.rules[i].prefixes, p.rules[i].nprefixes * sizeof(struct ta_prefix));
		assert_int_equal(q.rules[i].nnames, p.rules[i].nnames);
		assert_int_equal(q.rules[i].nnotes, p.rules[i].nnotes);
	}
	char *j = ta_policy_json(&p);
	assert_non_null(strstr(j, "\"label\":\"media\""));
	assert_non_null(strstr(j, "\"70.42.47.64\\/26\"") ? j : strstr(j, "\"70.42.47.64/26\""));
	free(j);
	free(buf);
	ta_policy_free(&p);
	ta_policy_free(&q);
}

/* ---- compiler ---- */

static void addr(const char *s, uint8_t out[16])
{
	struct ta_prefix p;
	char err[128];

	assert_int_equal(ta_prefix_parse(s, &p, err, sizeof(err)), 0);
	memcpy(out, p.addr, 16);
}

static void compile(const char *txt, struct ta_policy *p, struct ta_compiled *c)
{
	struct ta_diags d;

	assert_int_equal(parse(txt, p, &d), 0);
	assert_int_equal(ta_policy_compile(p, c), 0);
}

static void test_compile_port_edges(void **state)
{
	struct ta_policy p;
	struct ta_compiled c;

	compile("rule lo\n proto udp\n ports 0-1\n dir out\n addr 10.0.0.0/8\n"
		"rule mid\n proto udp\n ports 1024\n dir in\n addr 10.0.0.0/8\n"
		"rule hi\n proto udp\n ports 1025-65535\n dir both\n addr 10.0.0.0/8\n"
		"rule t\n proto tcp\n ports 65535\n dir out\n addr 10.0.0.0/8\n"
		"rule i\n proto icmp\n dir in\n addr 10.0.0.0/8\n", &p, &c);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_OUT, 0), 1 << 0);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_OUT, 1), 1 << 0);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_IN, 1), 0);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_OUT, 2), 0);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_IN, 1024), 1 << 1);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_OUT, 1024), 0);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_IN, 1025), 1 << 2);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_OUT, 1025), 1 << 2);
	assert_int_equal(TA_CPORT(&c, TA_PC_UDP, TA_DIR_OUT, 65535), 1 << 2);
	assert_int_equal(TA_CPORT(&c, TA_PC_TCP, TA_DIR_OUT, 65535), 1 << 3);
	assert_int_equal(TA_CPORT(&c, TA_PC_TCP, TA_DIR_IN, 65535), 0);
	assert_int_equal(TA_CPORT(&c, TA_PC_TCP, TA_DIR_OUT, 65534), 0);
	assert_int_equal(TA_CPORT(&c, TA_PC_ICMP, TA_DIR_IN, 0), 1 << 4);
	assert_int_equal(TA_CPORT(&c, TA_PC_ICMP, TA_DIR_OUT, 0), 0);
	assert_int_equal(c.nlpm, 1);
	assert_int_equal(c.lpm[0].rules, 0x1f);
	ta_compiled_free(&c);
	ta_policy_free(&p);
}

static void test_compile_overlap(void **state)
{
	struct ta_policy p;
	struct ta_compiled c;
	uint8_t a[16];

	compile("rule wide\n proto udp\n ports 1025-65535\n dir both\n addr 70.42.47.64/26\n"
		"rule pin\n proto tcp\n ports 22\n dir out\n addr 70.42.47.70\n"
		"rule mid\n proto tcp\n ports 22\n dir out\n addr 70.42.47.64/28 70.42.47.64/26\n"
		"rule v6\n proto udp\n ports 1\n dir in\n addr 2001:db8::/32\n"
		"rule v6b\n proto udp\n ports 1\n dir in\n addr 2001:db8:5::/48 ::ffff:70.42.47.70\n", &p, &c);
	addr("70.42.47.70", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0x1 | 0x2 | 0x4 | 0x10); /* all that cover it */
	addr("70.42.47.79", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0x1 | 0x4);
	addr("70.42.47.80", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0x1 | 0x4);
	addr("70.42.47.128", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0);
	addr("2001:db8:5::1", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0x8 | 0x10);
	addr("2001:db8:6::1", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0x8);
	addr("2001:db9::", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0);
	/* identical prefixes merged: /26 (twice), /28, /32, v6 /32, v6 /48 */
	assert_int_equal(c.nlpm, 5);
	ta_compiled_free(&c);
	ta_policy_free(&p);
}

static void test_compile_many_prefixes(void **state)
{
	size_t cap = 4 << 20, n = 0;
	char *t = malloc(cap);
	struct ta_policy p;
	struct ta_compiled c;
	struct ta_diags d;
	uint8_t a[16];

	assert_non_null(t);
	n += (size_t)snprintf(t + n, cap - n, "rule many\n proto udp\n ports 1\n dir in\n");
	for (int i = 0; i < 20000; i++)
		n += (size_t)snprintf(t + n, cap - n, " addr 10.%d.%d.0/24\n", i / 256, i % 256);
	n += (size_t)snprintf(t + n, cap - n, "rule all\n proto udp\n ports 2\n dir in\n addr 10.0.0.0/8\n");
	assert_int_equal(ta_policy_parse(t, n, "many", &p, &d), 0);
	assert_int_equal(ta_policy_compile(&p, &c), 0);
	assert_int_equal(c.nlpm, 20001);
	addr("10.78.31.9", a); /* 10.78.31.0/24 = i 19999 */
	assert_int_equal(ta_compiled_lookup(&c, a), 0x3);
	addr("10.79.0.1", a);
	assert_int_equal(ta_compiled_lookup(&c, a), 0x2);
	ta_compiled_free(&c);
	ta_policy_free(&p);
	free(t);
}

/* Addresses as text: every byte value in each place of an IPv4 address,
 * and IPv6, as inet_ntop writes them */
static void test_addr_text(void **state)
{
	uint8_t a[16] = { 0 };
	char got[64], want[64];

	(void)state;
	a[10] = a[11] = 0xff;
	for (int pos = 0; pos < 4; pos++)
		for (int v = 0; v < 256; v++) {
			for (int i = 0; i < 4; i++)
				a[12 + i] = (uint8_t)(i == pos ? v : (v * 37 + i * 101) & 0xff);
			assert_int_equal(ta_addr_str(a, got, sizeof(got)), 4);
			inet_ntop(AF_INET, a + 12, want, sizeof(want));
			assert_string_equal(got, want);
		}
	a[10] = 0;
	a[0] = 0x20;
	assert_int_equal(ta_addr_str(a, got, sizeof(got)), 6);
	inet_ntop(AF_INET6, a, want, sizeof(want));
	assert_string_equal(got, want);
	/* a buffer too short for the longest v4 text is inet_ntop's to refuse */
	a[0] = 0;
	a[10] = 0xff;
	assert_int_equal(ta_addr_str(a, got, 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_addr_text),
		cmocka_unit_test(test_rule_forms),
		cmocka_unit_test(test_doc_typo_65536),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_prefix_limit),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_compile_port_edges),
		cmocka_unit_test(test_compile_overlap),
		cmocka_unit_test(test_compile_many_prefixes),
		cmocka_unit_test(test_name_match),
		cmocka_unit_test(test_names_only_rule),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
