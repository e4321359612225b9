// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The streaming JSON writer (user/core/jw.c) against json-c, which every
 * other document goes through: hostile strings (quotes, backslashes, every
 * control byte, DEL, '/', braces, invalid UTF-8 of each kind: a lone
 * continuation byte, overlong forms, surrogates, cut sequences, bytes over
 * F4) must come out byte for byte as json-c writes them after ta_jstr's
 * repair, and parse back with json-c's strict, UTF-8-validating tokener to
 * the repaired string; numbers at their limits and with decimals as
 * ta_ju64/ta_jnum print them; nesting; and the buffer reused, not grown,
 * from one document to the next.
 */
#include <math.h>
#include <stdint.h>
#include "harness.h"
#include "json.h"
#include "jw.h"
#include "clock.h"
#include <time.h>

static const char *const hostile[] = {
	"",
	"plain",
	"quote \" and backslash \\ and slash / end",
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a"
	"\x1b\x1c\x1d\x1e\x1f",
	"del \x7f",
	"braces { [ ] } and \"a\":1,",
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", /* valid: 2, 3 and 4 bytes */
	"lone \x80 continuation",
	"overlong \xc0\xaf and \xe0\x80\xaf and \xf0\x80\x80\xaf",
	"surrogate \xed\xa0\x80 half",
	"cut \xe2\x82",
	"cut at end \xf0\x9f\x98",
	"over f4 \xf5\x80\x80\x80 \xff\xfe",
	"\xc2",
};

/* json-c's text of {"k": ta_jstr(s)} */
static char *jsonc_text(const char *s)
{
	json_object *o = json_object_new_object();
	char *t;

	ta_jadd(o, "k", ta_jstr(s));
	t = strdup(ta_jtext(o));
	json_object_put(o);
	return t;
}

static json_object *strict_parse(const char *t)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *o;

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, t, (int)strlen(t) + 1);
	json_tokener_free(tok);
	return o;
}

static void test_strings(void **state)
{
	struct ta_jw w = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *want = jsonc_text(hostile[i]);
		const char *got;
		json_object *o, *back;

		ta_jw_reset(&w);
		ta_jw_obj(&w, NULL);
		ta_jw_str(&w, "k", hostile[i]);
		ta_jw_end(&w);
		got = ta_jw_text(&w, NULL);
		assert_non_null(got);
		if (strcmp(got, want))
			fail_msg("string %zu: jw wrote %s, json-c %s", i, got, want);
		o = strict_parse(got);
		if (!o)
			fail_msg("string %zu: %s does not parse strictly", i, got);
		back = ta_jstr(hostile[i]); /* the repaired string */
		assert_string_equal(json_object_get_string(json_object_object_get(o, "k")),
				    json_object_get_string(back));
		json_object_put(back);
		json_object_put(o);
		free(want);
	}
	ta_jw_free(&w);
}

static void test_numbers_and_nesting(void **state)
{
	struct ta_jw w = { 0 };
	json_object *o = json_object_new_object(), *a = json_object_new_array(), *in = json_object_new_object();
	const double nums[] = { 0, -0.0, 1.5, 1796488195.287075, 0.1 + 0.2, -3.25, 1e-9, NAN, INFINITY };
	char *want;

	(void)state;
	ta_jw_obj(&w, NULL);
	ta_jw_u64(&w, "max", UINT64_MAX);
	ta_jadd(o, "max", ta_ju64(UINT64_MAX));
	ta_jw_i64(&w, "min", INT64_MIN);
	ta_jadd(o, "min", json_object_new_int64(INT64_MIN));
	ta_jw_u64(&w, "zero", 0);
	ta_jadd(o, "zero", ta_ju64(0));
	ta_jw_arr(&w, "nums");
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		ta_jw_num(&w, NULL, nums[i], 6);
		json_object_array_add(a, ta_jnum(nums[i], 6));
	}
	ta_jw_end(&w);
	ta_jadd(o, "nums", a);
	ta_jw_obj(&w, "in");
	ta_jw_str(&w, "s", "}]");
	ta_jw_bool(&w, "t", true);
	ta_jw_null(&w, "n");
	ta_jw_arr(&w, "empty");
	ta_jw_end(&w);
	ta_jw_end(&w);
	ta_jadd(in, "s", ta_jstr("}]"));
	ta_jadd(in, "t", ta_jbool(true));
	ta_jadd(in, "n", NULL);
	ta_jadd(in, "empty", json_object_new_array());
	ta_jadd(o, "in", in);
	ta_jw_time(&w, "time", 1796488195.287075);
	ta_jtime(o, "time", 1796488195.287075);
	ta_jw_time(&w, "never", 0);
	ta_jtime(o, "never", 0);
	ta_jw_end(&w);
	want = strdup(ta_jtext(o));
	assert_string_equal(ta_jw_text(&w, NULL), want);
	json_object *p = strict_parse(ta_jw_text(&w, NULL));
	assert_non_null(p);
	json_object_put(p);
	free(want);
	json_object_put(o);
	ta_jw_free(&w);
}

/* Times as ta_jtime writes them: seconds with microseconds, trimmed, and
 * RFC 3339; a microsecond that rounds up into the next second; none */
static void test_times(void **state)
{
	const double t[] = {
		1.0, 1796488195.0, 1796488195.5, 1796488195.000001, 1700000000.9999996, 1796488195.287075, 1e-6,
		0,   -1,           NAN
	};
	struct ta_jw w = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *o = json_object_new_object();

		ta_jw_reset(&w);
		ta_jw_obj(&w, NULL);
		ta_jw_time(&w, "t", t[i]);
		ta_jw_end(&w);
		ta_jtime(o, "t", isnan(t[i]) ? 0 : t[i]);
		if (strcmp(ta_jw_text(&w, NULL), ta_jtext(o)))
			fail_msg("time %.7f: jw wrote %s, json-c %s", t[i], ta_jw_text(&w, NULL), ta_jtext(o));
		json_object_put(o);
	}
	ta_jw_free(&w);
}

/* Many times, the day changing back and forth (the writer keeps the last
 * day's text, and the last second's), every second of a day's edges, the
 * second before again, against json-c's text */
static void test_times_days(void **state)
{
	struct ta_jw w = { 0 };
	uint64_t x = 88172645463325252ull;
	double t = 1;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		json_object *o = json_object_new_object();

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* a day's last and first seconds, alternating days, any time up to
		 * 2100, and the last second again with another fraction */
		t = i % 4 == 3   ? floor(t) + (double)(x % 1000000) / 1e6
		    : i % 3 == 0 ? 1796428800.0 + (double)(i % 7) - 3 + (double)(x % 1000000) / 1e6
		    : i % 3 == 1 ? 86400.0 * (double)(x % 3) + (double)(x % 86400)
				 : (double)(x % 4102444800ull) + (double)(x % 1000) / 1e3;
		ta_jw_reset(&w);
		ta_jw_obj(&w, NULL);
		ta_jw_time(&w, "t", t);
		ta_jw_end(&w);
		ta_jtime(o, "t", t);
		if (strcmp(ta_jw_text(&w, NULL), ta_jtext(o)))
			fail_msg("time %.6f: jw wrote %s, json-c %s", t, ta_jw_text(&w, NULL), ta_jtext(o));
		json_object_put(o);
	}
	ta_jw_free(&w);
}

/* a ticker put off stays put off; one already later is not brought forward */
static void test_ticker_not_before(void **state)
{
	struct ta_ticker t;

	(void)state;
	ta_ticker_start(&t, 1, 0);
	ta_ticker_not_before(&t, t.next + 5 * TA_NSEC_PER_SEC);
	assert_true(ta_ticker_wait_ms(&t, ta_now_ns()) > 5000);
	assert_false(ta_ticker_due(&t));
	uint64_t later = t.next;
	ta_ticker_not_before(&t, later - TA_NSEC_PER_SEC);
	assert_int_equal(t.next, later);
}

/* A monotonic time converts to Unix time alike from one call to the next
 * (one flow's times in two lines), and to the wall clock's reading */
static void test_clock_offset(void **state)
{
	uint64_t now, ns = ta_now_ns() - 5000000;
	double first = ta_ktime_to_unix(ns), off = ta_unix_offset(&now);
	struct timespec rt;

	(void)state;
	for (int i = 0; i < 100000; i++)
		if (ta_ktime_to_unix(ns) != first)
			fail_msg("call %d: %.9f, then %.9f", i, first, ta_ktime_to_unix(ns));
	clock_gettime(CLOCK_REALTIME, &rt);
	/* the offset and the wall clock read now agree to well within a millisecond */
	double wall = (double)rt.tv_sec + (double)rt.tv_nsec / 1e9, mono = (double)ta_now_ns() / 1e9;
	if (fabs(wall - mono - off) > 1e-3)
		fail_msg("offset %.9f, wall less monotonic %.9f", off, wall - mono);
	assert_true(now >= ns);
}

/* A splice replaces bytes in place, growing or shrinking the document, and
 * refuses a range the document does not hold */
static void test_splice(void **state)
{
	struct ta_jw w = { 0 };
	char big[3000];

	(void)state;
	ta_jw_obj(&w, NULL);
	ta_jw_str(&w, "event", "opened");
	ta_jw_u64(&w, "n", 7);
	ta_jw_end(&w);
	assert_true(ta_jw_splice(&w, 10, 6, "unexpected", 10));
	assert_string_equal(ta_jw_text(&w, NULL), "{\"event\":\"unexpected\",\"n\":7}");
	assert_true(ta_jw_splice(&w, 10, 10, "x", 1));
	assert_string_equal(ta_jw_text(&w, NULL), "{\"event\":\"x\",\"n\":7}");
	assert_false(ta_jw_splice(&w, 20, 1, "y", 1)); /* past the end */
	assert_false(ta_jw_splice(&w, 18, 5, "y", 1));
	assert_string_equal(ta_jw_text(&w, NULL), "{\"event\":\"x\",\"n\":7}");
	/* longer than the buffer holds: it grows */
	memset(big, 'a', sizeof(big));
	assert_true(ta_jw_splice(&w, 11, 0, big, sizeof(big)));
	assert_int_equal(strlen(ta_jw_text(&w, NULL)), 19 + sizeof(big));
	assert_int_equal(ta_jw_text(&w, NULL)[11 + sizeof(big)], '"');
	ta_jw_free(&w);
}

/* One document after another: the buffer is reused, not grown */
static void test_reuse(void **state)
{
	struct ta_jw w = { 0 };
	const char *first;
	size_t cap;

	(void)state;
	for (int n = 0; n < 1000; n++) {
		ta_jw_reset(&w);
		ta_jw_obj(&w, NULL);
		for (int i = 0; i < 40; i++)
			ta_jw_str(&w, "field", "a value of some length, as event lines have");
		ta_jw_end(&w);
		if (n == 0) {
			first = w.buf;
			cap = w.cap;
		}
		assert_ptr_equal(w.buf, first);
		assert_int_equal(w.cap, cap);
	}
	ta_jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),      cmocka_unit_test(test_numbers_and_nesting),
		cmocka_unit_test(test_times),        cmocka_unit_test(test_times_days),
		cmocka_unit_test(test_reuse),        cmocka_unit_test(test_splice),
		cmocka_unit_test(test_clock_offset), cmocka_unit_test(test_ticker_not_before),
	};

	return cmocka_run_group_tests_name("jw", tests, NULL, NULL);
}
