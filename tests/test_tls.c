// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The server name of a TLS ClientHello (core/tls.c): found, absent, split
 * over segments or records (said, not guessed), and malformed ones refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "tls.h"

/* A ClientHello with the given extensions block (NULL: none) */
static size_t client_hello(uint8_t *b, const uint8_t *ext, size_t extlen)
{
	size_t n = 0, body;

	b[n++] = 22, b[n++] = 3, b[n++] = 1, n += 2; /* record; length below */
	b[n++] = 1, n += 3;                          /* ClientHello; length below */
	body = n;
	b[n++] = 3, b[n++] = 3;                            /* version */
	memset(b + n, 7, 32), n += 32;                     /* random */
	b[n++] = 0;                                        /* session id */
	b[n++] = 0, b[n++] = 2, b[n++] = 0x13, b[n++] = 1; /* one cipher suite */
	b[n++] = 1, b[n++] = 0;                            /* null compression */
	if (ext) {
		b[n++] = (uint8_t)(extlen >> 8), b[n++] = (uint8_t)extlen;
		memcpy(b + n, ext, extlen), n += extlen;
	}
	b[3] = (uint8_t)((n - 5) >> 8), b[4] = (uint8_t)(n - 5);
	b[6] = 0, b[7] = (uint8_t)((n - body) >> 8), b[8] = (uint8_t)(n - body);
	return n;
}

/* server_name with one host_name, after another extension */
static size_t sni_ext(uint8_t *e, const char *name)
{
	size_t n = 0, l = strlen(name);

	e[n++] = 0, e[n++] = 10, e[n++] = 0, e[n++] = 2, e[n++] = 0, e[n++] = 0x1d; /* supported_groups */
	e[n++] = 0, e[n++] = 0, e[n++] = (uint8_t)((l + 5) >> 8), e[n++] = (uint8_t)(l + 5);
	e[n++] = (uint8_t)((l + 3) >> 8), e[n++] = (uint8_t)(l + 3);
	e[n++] = 0, e[n++] = (uint8_t)(l >> 8), e[n++] = (uint8_t)l;
	memcpy(e + n, name, l);
	return n + l;
}

static void test_sni(void **state)
{
	uint8_t b[1024], e[512];
	char out[TA_TLS_NAME_MAX + 1];
	const char *why;
	size_t n = client_hello(b, e, sni_ext(e, "API.OpenTok.com"));

	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_NAME);
	assert_string_equal(out, "api.opentok.com");
	/* every prefix: incomplete, never a name read from a part */
	for (size_t k = 0; k < n; k++)
		assert_int_equal(ta_tls_sni(b, k, out, &why), TA_TLS_INCOMPLETE);
	n = client_hello(b, e, 6); /* supported_groups alone */
	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_NO_NAME);
	n = client_hello(b, NULL, 0);
	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_NO_NAME);
}

static void test_malformed(void **state)
{
	uint8_t b[1024], e[512];
	char out[TA_TLS_NAME_MAX + 1];
	const char *why;
	size_t n = client_hello(b, e, sni_ext(e, "x.opentok.com"));

	b[0] = 23; /* application data */
	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_NOT_HELLO);
	assert_string_equal(why, "not a TLS handshake record");
	memcpy(b, "GET / HTTP/1.1\r\n", 16);
	assert_int_equal(ta_tls_sni(b, 16, out, &why), TA_TLS_NOT_HELLO);
	n = client_hello(b, e, sni_ext(e, "x.opentok.com"));
	b[5] = 2; /* a ServerHello */
	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_NOT_HELLO);
	n = client_hello(b, e, sni_ext(e, "x.opentok.com"));
	b[8] = (uint8_t)(b[8] + 40); /* the ClientHello longer than its record: another record follows */
	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_INCOMPLETE);
	assert_string_equal(why, "a ClientHello split over records");
	n = client_hello(b, e, sni_ext(e, "x.opentok.com"));
	b[n - 14] = 0x40; /* the name's length past its list */
	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_NOT_HELLO);
	n = client_hello(b, e, sni_ext(e, "bad\x01name"));
	assert_int_equal(ta_tls_sni(b, n, out, &why), TA_TLS_NOT_HELLO);
	assert_string_equal(why, "a server name with a byte no name uses");
}

/* --dump: each line of stdin a stream's first bytes in hex; a line out for
 * each, as tests/tls.test.sh compares with what Python's ssl sent */
static int dump(void)
{
	static char line[2 * 65536 + 2];
	static uint8_t b[65536];
	char out[TA_TLS_NAME_MAX + 1];

	while (fgets(line, sizeof(line), stdin)) {
		size_t n = 0;
		const char *why;
		unsigned x;

		for (const char *p = line; sscanf(p, "%2x", &x) == 1 && n < sizeof(b); p += 2)
			b[n++] = (uint8_t)x;
		switch (ta_tls_sni(b, n, out, &why)) {
		case TA_TLS_NAME: printf("name %s\n", out); break;
		case TA_TLS_NO_NAME: printf("no-name\n"); break;
		case TA_TLS_INCOMPLETE: printf("incomplete\n"); break;
		default: printf("not-hello %s\n", why);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--dump"))
		return dump();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
