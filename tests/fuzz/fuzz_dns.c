// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Random and mutated DNS messages through the parser (core/dns.c), built
 * with AddressSanitizer and UBSan (see the Makefile): any read past a
 * message, undefined behaviour or hang fails the run.  Mutations aim at
 * what attackers send: compression pointers anywhere, long labels, counts
 * that lie, truncation.  Whatever is accepted must be sane: names of at most
 * 255 printable lower-case bytes, the bounds on chain and addresses kept.
 * Deterministic: the seed is printed and can be set with TA_FUZZ_SEED;
 * TA_FUZZ_SECONDS runs for that long instead of 50000 inputs (make fuzz).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "dns.h"
#include "bytes.h"

#define ITER   50000
#define MAXLEN 1500

/* A good answer: a question, a CNAME chain, A and AAAA records, compressed */
static size_t seed_msg(uint8_t *b)
{
	/* clang-format off */
	static const uint8_t m[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 4, 0, 0, 0, 0,
		/* 12: www.opentok.com A IN */
		3, 'w', 'w', 'w', 7, 'o', 'p', 'e', 'n', 't', 'o', 'k', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1,
		/* www CNAME x.opentok.com (x + pointer to 16) */
		0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 1, 'x', 0xc0, 16,
		/* x A 70.42.47.70 (the name at 45) */
		0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 70, 42, 47, 70,
		/* x A 70.42.47.71 */
		0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 70, 42, 47, 71,
		/* x AAAA 2001:db8::1 */
		0xc0, 45, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16, 0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	};
	/* clang-format on */

	memcpy(b, m, sizeof(m));
	return sizeof(m);
}

/* DNS's own edits: a compression pointer anywhere, to anywhere; a count
 * that lies */
static void dns_edit(uint8_t *b, size_t len, size_t pos)
{
	if (rnd() % 2 && pos + 1 < len) {
		b[pos] = (uint8_t)(0xc0 | (rnd() % 4));
		b[pos + 1] = (uint8_t)rnd();
	} else if (len > 11) {
		b[4 + 2 * (rnd() % 4) + 1] = (uint8_t)rnd();
	}
}

static size_t mutate(uint8_t *b, size_t len)
{
	return mutate_bytes(b, len, MAXLEN, dns_edit);
}

static void sane_name(const char *n)
{
	size_t l = strlen(n);

	assert_true(l <= TA_DNS_NAME_MAX);
	for (size_t i = 0; i < l; i++)
		assert_true((n[i] > ' ' && n[i] <= '~') && !(n[i] >= 'A' && n[i] <= 'Z'));
}

static void test_fuzz(void **state)
{
	static uint8_t buf[MAXLEN + 64];
	static struct ta_dns_msg m;
	static const uint8_t hdr[6] = { 0x12, 0x34, 0x81, 0x80, 0, 1 }; /* a response, one question */
	const char *why;
	time_t end = fuzz_start("dns", ITER);
	int ok = 0, i;

	for (i = 0; fuzz_more(end, i, ITER); i++) {
		size_t len = fuzz_input(buf, i, seed_msg, mutate, hdr, 12);

		if (ta_dns_parse(buf, len, &m, &why)) {
			assert_non_null(why);
			continue;
		}
		ok++;
		assert_true(m.nchain >= 1 && m.nchain <= TA_DNS_CHAIN_MAX);
		assert_true(m.naddrs <= TA_DNS_ADDRS_MAX);
		for (int k = 0; k < m.nchain; k++)
			sane_name(m.chain[k]);
		for (int k = 0; k < m.naddrs; k++)
			assert_true(m.addrs[k].link < m.nchain && (m.addrs[k].family == 4 || m.addrs[k].family == 6));
	}
	printf("dns fuzz: %d of %d inputs were messages\n", ok, i);
	assert_true(ok > 0); /* the mutations must not be all noise */
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fuzz) };

	return cmocka_run_group_tests_name("dns-fuzz", tests, NULL, NULL);
}
