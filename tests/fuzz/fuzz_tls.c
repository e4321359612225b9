// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Random and mutated TLS ClientHellos through the server-name reader
 * (core/tls.c), built with AddressSanitizer and UBSan (see the Makefile):
 * any read past the bytes, undefined behaviour or hang fails the run.
 * Mutations aim at lengths that lie (record, handshake, vectors, names) and
 * truncation.  A name read must be sane: 1 to 255 printable lower-case bytes.
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
#include "tls.h"
#include "bytes.h"

#define ITER   50000
#define MAXLEN 1500

/* A ClientHello: TLS 1.2 record, one cipher suite, supported_groups, then
 * server_name "x.opentok.com" */
static size_t seed_msg(uint8_t *b)
{
	/* clang-format off */
	static const uint8_t m[] = {
		22, 3, 1, 0, 77,                 /* record: handshake, 77 bytes */
		1, 0, 0, 73,                     /* ClientHello, 73 bytes */
		3, 3,                            /* version */
		7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
		7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, /* random */
		0,                               /* session id */
		0, 2, 0x13, 1,                   /* cipher suites */
		1, 0,                            /* compression */
		0, 30,                           /* extensions */
		0, 10, 0, 4, 0, 2, 0, 0x1d,      /* supported_groups */
		0, 0, 0, 18, 0, 16, 0, 0, 13,    /* server_name: list, host_name of 13 */
		'x', '.', 'o', 'p', 'e', 'n', 't', 'o', 'k', '.', 'c', 'o', 'm',
	};
	/* clang-format on */

	memcpy(b, m, sizeof(m));
	return sizeof(m);
}

/* TLS's own edits: a length that lies a little; the record's or the
 * handshake's length */
static void tls_edit(uint8_t *b, size_t len, size_t pos)
{
	if (rnd() % 2 && len)
		b[pos] = (uint8_t)(b[pos] + (int)(rnd() % 9) - 4);
	else if (len > 8)
		b[(size_t[]){ 3, 4, 7, 8 }[rnd() % 4]] = (uint8_t)rnd();
}

static size_t mutate(uint8_t *b, size_t len)
{
	return mutate_bytes(b, len, MAXLEN, tls_edit);
}

static void test_fuzz(void **state)
{
	static uint8_t buf[MAXLEN + 64];
	static const uint8_t hdr[2] = { 22, 3 }; /* a handshake record */
	char out[TA_TLS_NAME_MAX + 1];
	const char *why;
	time_t end = fuzz_start("tls", ITER);
	int names = 0, i;

	for (i = 0; fuzz_more(end, i, ITER); i++) {
		size_t len = fuzz_input(buf, i, seed_msg, mutate, hdr, sizeof(hdr));

		if (ta_tls_sni(buf, len, out, &why) != TA_TLS_NAME)
			continue;
		names++;
		size_t l = strlen(out);
		assert_true(l >= 1 && l <= TA_TLS_NAME_MAX);
		for (size_t k = 0; k < l; k++)
			assert_true(out[k] > ' ' && out[k] <= '~' && !(out[k] >= 'A' && out[k] <= 'Z'));
	}
	printf("tls fuzz: %d of %d inputs gave a name\n", names, i);
	assert_true(names > 0); /* the mutations must not be all noise */
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fuzz) };

	return cmocka_run_group_tests_name("tls-fuzz", tests, NULL, NULL);
}
