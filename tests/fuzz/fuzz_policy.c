// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Thousands of random and mutated policies through the parser, compiler and
 * printers.  Built with AddressSanitizer, UBSan and LeakSanitizer (see the
 * Makefile): any overflow, undefined behaviour or leak fails the run.
 * Deterministic: the seed is printed and can be set with TA_FUZZ_SEED;
 * TA_FUZZ_SECONDS runs for that long instead of 5000 inputs (make fuzz).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "policy.h"
#include "table.h"

#define ITER 5000
#define MAXLEN 4096

static const char *const dict[] = {
	"rule ", "proto ", "ports ", "dir ", "addr ", "names ", "udp", "tcp", "icmp", "in", "out",
	"both", "1025", "65535", "65536", "0", "-", "\xe2\x80\x93", ",", "\n", " ", "#", "/",
	"70.42.47.64/26", "2001:db8::/32", "::", "/0", "/128", "[1-8]", "[", "]", "*", "\t",
	"\xe2\x80", "4294967296", "media", "x", "...", ":::", "\r\n",
};

static unsigned long long rng_state;

static unsigned rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33);
}

static size_t mutate(char *buf, size_t len)
{
	int n = 1 + rnd() % 8;

	for (int i = 0; i < n; i++) {
		size_t pos = len ? rnd() % len : 0;
		switch (rnd() % 6) {
		case 0: /* flip a byte */
			if (len)
				buf[pos] = (char)rnd();
			break;
		case 1: { /* insert a dictionary word */
			const char *w = dict[rnd() % (sizeof(dict) / sizeof(dict[0]))];
			size_t wl = strlen(w);
			if (len + wl < MAXLEN) {
				memmove(buf + pos + wl, buf + pos, len - pos);
				memcpy(buf + pos, w, wl);
				len += wl;
			}
			break;
		}
		case 2: /* delete a span */
			if (len) {
				size_t span = 1 + rnd() % 16;
				if (pos + span > len)
					span = len - pos;
				memmove(buf + pos, buf + pos + span, len - pos - span);
				len -= span;
			}
			break;
		case 3: /* truncate */
			len = pos;
			break;
		case 4: { /* duplicate a span (duplicate rules, long lines) */
			size_t span = 1 + rnd() % 64;
			if (pos + span > len)
				span = len - pos;
			if (len + span < MAXLEN) {
				memmove(buf + pos + span, buf + pos, len - pos);
				len += span;
			}
			break;
		}
		default: /* a digit run */
			if (len)
				buf[pos] = (char)('0' + rnd() % 10);
		}
	}
	return len;
}

static void one(const char *buf, size_t len)
{
	struct ta_policy p;
	struct ta_diags d = { 0 };
	int r = ta_policy_parse(buf, len, "fuzz", &p, &d);

	assert_true(r >= 0); /* no allocation failure here */
	if (r == 0) {
		struct ta_compiled c;
		char *out = NULL;
		size_t olen = 0;

		assert_true(p.nrules > 0 && p.nrules <= TA_MAX_RULES);
		assert_int_equal(d.n, 0);
		assert_int_equal(ta_policy_compile(&p, &c), 0);
		ta_compiled_free(&c);
		FILE *f = open_memstream(&out, &olen);
		ta_policy_write(&p, f);
		char terr[200];
		assert_int_equal(ta_policy_write_table(&p, f, &(struct ta_table_opts){ 0 }, terr, sizeof(terr)), 0);
		assert_int_equal(ta_policy_write_table(&p, f, &(struct ta_table_opts){ .raw = true, .columns = "names,rule" },
						       terr, sizeof(terr)), 0);
		ta_policy_write_nfdump(&p, f);
		fclose(f);
		free(out);
		char *j = ta_policy_json(&p);
		assert_non_null(j);
		free(j);
		ta_policy_free(&p);
	} else {
		assert_true(d.n > 0);
		assert_int_equal(p.nrules, 0);
		FILE *f = fopen("/dev/null", "w");
		ta_diags_print(&d, f);
		fclose(f);
	}
	ta_diags_free(&d);
}

static void test_fuzz(void **state)
{
	static char buf[MAXLEN + 64];
	size_t blen;
	const char *builtin = ta_policy_builtin_text(&blen);
	const char *seed = getenv("TA_FUZZ_SEED"), *secs = getenv("TA_FUZZ_SECONDS");
	time_t end = secs ? time(NULL) + atol(secs) : 0;
	int ok = 0, i;

	rng_state = seed ? strtoull(seed, NULL, 0) : 20131823ULL;
	printf("fuzz seed %llu, %s %s\n", rng_state, secs ? secs : "5000", secs ? "seconds" : "inputs");
	for (i = 0; end ? time(NULL) < end : i < ITER; i++) {
		size_t len;
		if (i % 10 == 0) { /* pure noise */
			len = rnd() % 512;
			for (size_t k = 0; k < len; k++)
				buf[k] = (char)rnd();
		} else { /* the built-in policy, mutated */
			len = blen < MAXLEN ? blen : MAXLEN;
			memcpy(buf, builtin, len);
			len = mutate(buf, len);
		}
		one(buf, len);
		struct ta_policy p;
		if (ta_policy_parse(buf, len, "f", &p, NULL) == 0) {
			ok++;
			ta_policy_free(&p);
		}
	}
	printf("fuzz: %d of %d inputs were valid policies\n", ok, i);
	assert_true(ok > 0); /* the mutations must not be all noise */
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fuzz) };

	return cmocka_run_group_tests_name("policy-fuzz", tests, NULL, NULL);
}
