// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The streaming JSON writer: see jw.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include "json.h"
#include "jw.h"

bool ta_jw_grow(struct ta_jw *w, size_t need)
{
	size_t cap = w->cap ? w->cap : 1024;
	char *b;

	if (w->oom)
		return false;
	if (w->len + need + 1 <= w->cap)
		return true;
	while (cap < w->len + need + 1)
		cap *= 2;
	b = realloc(w->buf, cap);
	if (!b) {
		w->oom = true;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

/* (the buffer, once grown, holds every line: the check is all a byte costs) */
static inline void put(struct ta_jw *w, const char *s, size_t n)
{
	if (w->len + n + 1 > w->cap && !ta_jw_grow(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void putc1(struct ta_jw *w, char c)
{
	if (w->len + 2 > w->cap && !ta_jw_grow(w, 1))
		return;
	w->buf[w->len++] = c;
}

/* s, escaped, without its quotes: as json-c escapes with '/' left alone,
 * after invalid UTF-8 became U+FFFD as ta_jstr makes it */
static void escaped(struct ta_jw *w, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0;

	while (s[run]) {
		unsigned char c = s[run];
		size_t q;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { /* most bytes: plain ASCII */
			run++;
			continue;
		}
		q = ta_utf8_seq(s + run);
		if (q && c >= 0x20 && c != '"' && c != '\\') {
			run += q;
			continue;
		}
		put(w, (const char *)s, run);
		s += run;
		run = 0;
		if (!q) {
			put(w, "\xef\xbf\xbd", 3);
		} else if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			put(w, e, 2);
		} else {
			char e[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
			const char *m = c == '\b'   ? "\\b"
					: c == '\f' ? "\\f"
					: c == '\n' ? "\\n"
					: c == '\r' ? "\\r"
					: c == '\t' ? "\\t"
						    : e;
			put(w, m, strlen(m));
		}
		s++;
	}
	put(w, (const char *)s, run);
}

void ta_jw_reset(struct ta_jw *w)
{
	w->len = 0;
	w->oom = false;
	w->depth = 0;
	memset(w->more, 0, sizeof(w->more));
	if (w->buf)
		w->buf[0] = 0;
}

void ta_jw_free(struct ta_jw *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

static void open_(struct ta_jw *w, const char *k, char c)
{
	ta_jw_key(w, k);
	putc1(w, c);
	if (w->depth < TA_JW_DEPTH)
		w->depth++;
	else
		w->oom = true; /* deeper than any document here: cut */
	w->more[w->depth] = false;
	w->open[w->depth] = c;
}

void ta_jw_obj(struct ta_jw *w, const char *k)
{
	open_(w, k, '{');
}

void ta_jw_arr(struct ta_jw *w, const char *k)
{
	open_(w, k, '[');
}

void ta_jw_end(struct ta_jw *w)
{
	putc1(w, w->open[w->depth] == '[' ? ']' : '}');
	if (w->depth > 0)
		w->depth--;
}

void ta_jw_str_v(struct ta_jw *w, const char *s)
{
	if (!s) {
		put(w, "null", 4);
		return;
	}
	putc1(w, '"');
	escaped(w, s);
	putc1(w, '"');
}

void ta_jw_lit_v(struct ta_jw *w, const char *lit, size_t n)
{
	put(w, lit, n);
}

#define UTOA_LEN 24 /* room for any uint64_t's digits */

/* v's decimal digits at the end of b: where they start */
static int utoa(char b[UTOA_LEN], uint64_t v)
{
	int n = UTOA_LEN;

	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return n;
}

static void digits(struct ta_jw *w, uint64_t v)
{
	char b[UTOA_LEN];
	int n = utoa(b, v);

	put(w, b + n, UTOA_LEN - (size_t)n);
}

void ta_jw_u64_v(struct ta_jw *w, uint64_t v)
{
	digits(w, v);
}

void ta_jw_i64_v(struct ta_jw *w, int64_t v)
{
	if (v < 0)
		putc1(w, '-');
	digits(w, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

void ta_jw_num(struct ta_jw *w, const char *k, double v, int decimals)
{
	char b[64];
	const char *t = ta_jnum_text(b, sizeof(b), v, decimals);

	ta_jw_key(w, k);
	if (!t)
		put(w, "null", 4);
	else
		put(w, t, strlen(t));
}

static void two(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

/* "2026-11-25T03:40:12" of a second (sec >= 0): the day's part is kept
 * from the last call (event lines come many a second, of a day or two) */
static void iso_second(int64_t sec, char text[19])
{
	static __thread int64_t last_day = -1;
	static __thread char day[12];
	int64_t d = sec / 86400;
	int s = (int)(sec % 86400);

	if (d != last_day) {
		time_t t = (time_t)sec;
		struct tm tm;

		gmtime_r(&t, &tm);
		snprintf(day, sizeof(day), "%04d-%02d-%02dT", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		last_day = d;
	}
	memcpy(text, day, 11);
	two(text + 11, s / 3600);
	text[13] = ':';
	two(text + 14, s / 60 % 60);
	text[16] = ':';
	two(text + 17, s % 60);
}

/* The key k "_iso", after its separator */
static void iso_key(struct ta_jw *w, const char *k)
{
	ta_jw_key(w, NULL);
	putc1(w, '"');
	put(w, k, strlen(k));
	put(w, "_iso\":", 6);
}

void ta_jw_time(struct ta_jw *w, const char *k, double unix_s)
{
	/* the last second written, as digits and as RFC 3339 */
	static __thread int64_t last_sec = -1;
	static __thread char sec_txt[UTOA_LEN], iso[19];
	static __thread int sec_at;
	char frac[6];
	int64_t sec;
	long usec;
	size_t n = sizeof(frac);

	if (unix_s <= 0 || !isfinite(unix_s)) {
		ta_jw_null(w, k);
		iso_key(w, k);
		put(w, "null", 4);
		return;
	}
	ta_unix_split(unix_s, &sec, &usec);
	for (int i = 5; i >= 0; i--, usec /= 10)
		frac[i] = (char)('0' + usec % 10);
	if (sec != last_sec) { /* (an event line has up to three times, mostly of one second) */
		sec_at = utoa(sec_txt, (uint64_t)sec);
		iso_second(sec, iso);
		last_sec = sec;
	}
	ta_jw_key(w, k);
	put(w, sec_txt + sec_at, UTOA_LEN - (size_t)sec_at);
	while (n && frac[n - 1] == '0') /* trailing zeros trimmed, as ta_jnum */
		n--;
	if (n) {
		putc1(w, '.');
		put(w, frac, n);
	}
	iso_key(w, k);
	putc1(w, '"');
	put(w, iso, sizeof(iso));
	putc1(w, '.');
	put(w, frac, sizeof(frac));
	put(w, "Z\"", 2);
}

bool ta_jw_splice(struct ta_jw *w, size_t at, size_t n, const char *r, size_t sn)
{
	if (w->oom || at > w->len || n > w->len - at)
		return false;
	if (sn > n && !ta_jw_grow(w, sn - n))
		return false;
	memmove(w->buf + at + sn, w->buf + at + n, w->len - at - n);
	memcpy(w->buf + at, r, sn);
	w->len = w->len - n + sn;
	return true;
}

const char *ta_jw_text(const struct ta_jw *w, size_t *len)
{
	if (w->oom || !w->buf)
		return NULL;
	w->buf[w->len] = 0; /* grow kept room for it */
	if (len)
		*len = w->len;
	return w->buf;
}
