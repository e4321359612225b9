// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The DNS message parser (core/dns.c): answers, CNAME chains in any order,
 * compression, and every malformed form refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "dns.h"

/* A message under construction */
struct msg {
	uint8_t b[65536];
	size_t n;
};

static void put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

/* "a.b.c" as labels and the root */
static size_t put_name(struct msg *m, const char *name)
{
	size_t at = m->n;

	while (*name) {
		size_t l = strcspn(name, ".");
		put8(m, (unsigned)l);
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (name[l] == '.');
	}
	put8(m, 0);
	return at;
}

static void put_ptr(struct msg *m, size_t to)
{
	put16(m, 0xc000 | (unsigned)to);
}

static void header(struct msg *m, unsigned qd, unsigned an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180); /* a response, no error */
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* the question; returns where its name is */
static size_t question(struct msg *m, const char *name, unsigned type)
{
	size_t at = put_name(m, name);

	put16(m, type);
	put16(m, 1);
	return at;
}

static void rr_head(struct msg *m, size_t owner, unsigned type, uint32_t ttl, unsigned rdlen)
{
	put_ptr(m, owner);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
}

static void rr_a(struct msg *m, size_t owner, uint32_t ttl, const uint8_t a[4])
{
	rr_head(m, owner, 1, ttl, 4);
	memcpy(m->b + m->n, a, 4);
	m->n += 4;
}

/* a CNAME whose target is written out; returns where the target is */
static size_t rr_cname(struct msg *m, size_t owner, const char *target)
{
	size_t l = strlen(target) + 2;

	rr_head(m, owner, 5, 60, (unsigned)l);
	return put_name(m, target);
}

static void expect_refused(const struct msg *m, const char *want)
{
	struct ta_dns_msg d;
	const char *why = NULL;

	if (!ta_dns_parse(m->b, m->n, &d, &why))
		fail_msg("accepted; want '%s'", want);
	if (!why || !strstr(why, want))
		fail_msg("want '%s', got '%s'", want, why ? why : "(nothing)");
}

static void test_answer(void **state)
{
	static struct msg m;
	struct ta_dns_msg d;
	const char *why = NULL;
	const uint8_t a[4] = { 70, 42, 47, 70 };

	header(&m, 1, 1);
	size_t q = question(&m, "API.TokBox.com", 1);
	rr_a(&m, q, 300, a);
	assert_int_equal(ta_dns_parse(m.b, m.n, &d, &why), 0);
	assert_true(d.response);
	assert_int_equal(d.id, 0x1234);
	assert_int_equal(d.qtype, 1);
	assert_string_equal(d.chain[0], "api.tokbox.com");
	assert_int_equal(d.naddrs, 1);
	assert_int_equal(d.addrs[0].family, 4);
	assert_memory_equal(d.addrs[0].addr + 12, a, 4);
	assert_int_equal(d.addrs[0].addr[10], 0xff);
	assert_int_equal(d.addrs[0].ttl, 300);
	assert_int_equal(d.addrs[0].link, 0);
}

/* www.example.net -> x.opentok.com -> y.opentok.com -> A, AAAA; the records
 * in reverse order, and one of another name */
static void test_cname_chain(void **state)
{
	static struct msg m;
	struct ta_dns_msg d;
	const char *why = NULL;
	const uint8_t a[4] = { 72, 5, 167, 130 }, other[4] = { 192, 0, 2, 1 };

	header(&m, 1, 5);
	size_t q = question(&m, "www.example.net", 1);
	/* y's records first: y is written out by the second CNAME, so build
	 * the CNAMEs first and point the addresses back at them */
	size_t x = rr_cname(&m, q, "x.opentok.com");
	size_t y = rr_cname(&m, x, "y.opentok.com");
	rr_a(&m, y, 30, a);
	rr_head(&m, y, 28, 40, 16);
	memset(m.b + m.n, 0, 16);
	m.b[m.n] = 0x20, m.b[m.n + 1] = 0x01, m.b[m.n + 15] = 1;
	m.n += 16;
	size_t o = m.n;
	put_name(&m, "other.example.org");
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 5);
	put16(&m, 4);
	memcpy(m.b + m.n, other, 4);
	m.n += 4;
	(void)o;
	assert_int_equal(ta_dns_parse(m.b, m.n, &d, &why), 0);
	assert_int_equal(d.nchain, 3);
	assert_string_equal(d.chain[1], "x.opentok.com");
	assert_string_equal(d.chain[2], "y.opentok.com");
	assert_int_equal(d.naddrs, 2);
	assert_int_equal(d.addrs[0].link, 2);
	assert_int_equal(d.addrs[1].family, 6);
	assert_int_equal(d.addrs[1].ttl, 40);
	assert_int_equal(d.other, 1);
}

/* The same chain with its CNAMEs in reverse order: still followed */
static void test_cname_out_of_order(void **state)
{
	static struct msg m;
	struct ta_dns_msg d;
	const char *why = NULL;
	const uint8_t a[4] = { 212, 118, 226, 40 };

	header(&m, 1, 3);
	question(&m, "a.example.net", 1);
	/* y.opentok.com A; x.opentok.com CNAME y; a.example.net CNAME x */
	size_t y = m.n;
	put_name(&m, "y.opentok.com");
	put16(&m, 1), put16(&m, 1), put32(&m, 9), put16(&m, 4);
	memcpy(m.b + m.n, a, 4);
	m.n += 4;
	size_t x = m.n;
	put_name(&m, "x.opentok.com");
	put16(&m, 5), put16(&m, 1), put32(&m, 9), put16(&m, 2);
	put_ptr(&m, y);
	put_ptr(&m, 12);
	put16(&m, 5), put16(&m, 1), put32(&m, 9), put16(&m, 2);
	put_ptr(&m, x);
	assert_int_equal(ta_dns_parse(m.b, m.n, &d, &why), 0);
	assert_int_equal(d.nchain, 3);
	assert_string_equal(d.chain[2], "y.opentok.com");
	assert_int_equal(d.naddrs, 1);
	assert_int_equal(d.addrs[0].link, 2);
}

static void test_malformed(void **state)
{
	static struct msg m;

	header(&m, 1, 0);
	put_ptr(&m, 12); /* the question's name points at itself */
	expect_refused(&m, "does not point backwards");
	header(&m, 1, 0);
	put_ptr(&m, 40); /* forward */
	expect_refused(&m, "does not point backwards");
	header(&m, 1, 0);
	put8(&m, 0xc0); /* half a pointer */
	expect_refused(&m, "pointer runs past the end");
	header(&m, 1, 0);
	put8(&m, 0x41); /* a label of 65 bytes: a reserved type */
	expect_refused(&m, "reserved type");
	header(&m, 1, 0);
	for (int i = 0; i < 5; i++) { /* 5 labels of 63 bytes */
		put8(&m, 63);
		memset(m.b + m.n, 'a', 63);
		m.n += 63;
	}
	put8(&m, 0);
	expect_refused(&m, "longer than 255 bytes");
	header(&m, 1, 0);
	put8(&m, 3);
	put8(&m, 'a');
	expect_refused(&m, "label runs past the end");
	header(&m, 1, 0);
	put8(&m, 3), put8(&m, 'a'), put8(&m, 0), put8(&m, 'b'), put8(&m, 0);
	expect_refused(&m, "a byte no name uses");
	header(&m, 2, 0);
	expect_refused(&m, "not one question");
	header(&m, 1, 3000);
	question(&m, "a.example", 1);
	expect_refused(&m, "more answer records");
	header(&m, 1, 1);
	size_t q = question(&m, "a.example", 1);
	rr_head(&m, q, 1, 5, 3); /* an A record of 3 bytes */
	put8(&m, 1), put8(&m, 2), put8(&m, 3);
	expect_refused(&m, "wrong length");
	m.n = 5;
	expect_refused(&m, "shorter than a DNS header");
}

/* A loop two pointers long: the second jump lands after the first's start */
static void test_pointer_loop(void **state)
{
	static struct msg m;

	header(&m, 1, 0);
	/* 12: "a" then a pointer to 16; 16: "b" then a pointer to 12 */
	put8(&m, 1), put8(&m, 'a'), put_ptr(&m, 16);
	put8(&m, 1), put8(&m, 'b'), put_ptr(&m, 12);
	expect_refused(&m, "does not point backwards");
}

/* More addresses than kept: counted; every truncation of a good message is
 * refused, none crashes */
static void test_bounds(void **state)
{
	static struct msg m;
	struct ta_dns_msg d;
	const char *why = NULL;
	const uint8_t a[4] = { 10, 0, 0, 1 };

	header(&m, 1, 100);
	size_t q = question(&m, "many.opentok.com", 1);
	for (int i = 0; i < 100; i++)
		rr_a(&m, q, 1, a);
	assert_int_equal(ta_dns_parse(m.b, m.n, &d, &why), 0);
	assert_int_equal(d.naddrs, TA_DNS_ADDRS_MAX);
	assert_int_equal(d.dropped, 100 - TA_DNS_ADDRS_MAX);
	for (size_t n = 0; n < m.n; n++)
		assert_int_equal(ta_dns_parse(m.b, n, &d, &why), -1);
}

/* --dump: each line of stdin a message in hex; a line out for each, as
 * tests/dns.test.sh compares with dnspython's reading:
 *   ok QTYPE CHAIN0,CHAIN1,... ADDR/TTL/LINK ... dropped=N other=N
 *   refused WHY */
static int dump(void)
{
	static char line[2 * 65536 + 2];
	static uint8_t b[65536];
	static struct ta_dns_msg d;

	while (fgets(line, sizeof(line), stdin)) {
		size_t n = 0;
		const char *why = NULL;
		unsigned x;

		for (const char *p = line; sscanf(p, "%2x", &x) == 1 && n < sizeof(b); p += 2)
			b[n++] = (uint8_t)x;
		if (ta_dns_parse(b, n, &d, &why)) {
			printf("refused %s\n", why);
			continue;
		}
		printf("ok %u ", d.qtype);
		for (int i = 0; i < d.nchain; i++)
			printf("%s%s", i ? "," : "", d.chain[i]);
		for (int i = 0; i < d.naddrs; i++) {
			char a[64];
			ta_dns_addr_str(&d.addrs[i], a, sizeof(a));
			printf(" %s/%u/%u", a, d.addrs[i].ttl, d.addrs[i].link);
		}
		printf(" dropped=%u other=%u\n", d.dropped, d.other);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--dump"))
		return dump();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_cname_out_of_order),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_pointer_loop),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
