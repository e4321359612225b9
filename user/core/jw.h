/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A streaming JSON writer into a buffer that is reused from one document to
 * the next: no allocation per document once the buffer has grown to fit.
 * Strings are escaped as json.c's json-c output escapes them ('"', '\\',
 * control bytes; '/' is not escaped) and made valid UTF-8 the same way
 * (an invalid byte becomes U+FFFD); numbers print as ta_ju64 and ta_jnum
 * print them.  For the hot paths (the event lines of run and serve); the
 * json-c tree of a flow (ta_flow_jobj) is parsed from the same text, so
 * the fields are written in one place.
 */
#ifndef TA_JW_H
#define TA_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TA_JW_DEPTH 8

struct ta_jw {
	char *buf;
	size_t len, cap;
	bool oom; /* an allocation failed: the document is cut */
	int depth;
	bool more[TA_JW_DEPTH + 1]; /* a member already written at this depth */
	char open[TA_JW_DEPTH + 1]; /* '{' or '[' opened at this depth */
};

/* Start a new document (the buffer is kept) */
void ta_jw_reset(struct ta_jw *w);
void ta_jw_free(struct ta_jw *w);

/* Room for need more bytes and the terminator ta_jw_text writes; false
 * when an allocation failed (the document is cut) */
bool ta_jw_grow(struct ta_jw *w, size_t need);

/* The separator and the key of a member (k NULL: an array's element).
 * Inline, so that a literal key is copied as a constant, not measured:
 * the event lines are made of such members.  Keys are the program's own
 * literals: nothing to escape. */
static inline void ta_jw_key(struct ta_jw *w, const char *k)
{
	size_t n = k ? __builtin_strlen(k) : 0;
	char *p;

	if (w->len + n + 5 > w->cap && !ta_jw_grow(w, n + 4))
		return;
	p = w->buf + w->len;
	if (w->more[w->depth])
		*p++ = ',';
	w->more[w->depth] = true;
	if (k) {
		*p++ = '"';
		__builtin_memcpy(p, k, n);
		p += n;
		*p++ = '"';
		*p++ = ':';
	}
	w->len = (size_t)(p - w->buf);
}

/* The values alone, after ta_jw_key */
void ta_jw_str_v(struct ta_jw *w, const char *s);
void ta_jw_u64_v(struct ta_jw *w, uint64_t v);
void ta_jw_i64_v(struct ta_jw *w, int64_t v);
void ta_jw_lit_v(struct ta_jw *w, const char *lit, size_t n); /* true, false, null */

/* Each value takes its member's key k, or NULL inside an array. */
void ta_jw_obj(struct ta_jw *w, const char *k);
void ta_jw_arr(struct ta_jw *w, const char *k);
void ta_jw_end(struct ta_jw *w); /* closes the innermost object or array */

/* s NULL: null */
static inline void ta_jw_str(struct ta_jw *w, const char *k, const char *s)
{
	ta_jw_key(w, k);
	ta_jw_str_v(w, s);
}

static inline void ta_jw_u64(struct ta_jw *w, const char *k, uint64_t v)
{
	ta_jw_key(w, k);
	ta_jw_u64_v(w, v);
}

static inline void ta_jw_i64(struct ta_jw *w, const char *k, int64_t v)
{
	ta_jw_key(w, k);
	ta_jw_i64_v(w, v);
}

static inline void ta_jw_bool(struct ta_jw *w, const char *k, bool b)
{
	ta_jw_key(w, k);
	ta_jw_lit_v(w, b ? "true" : "false", b ? 4 : 5);
}

static inline void ta_jw_null(struct ta_jw *w, const char *k)
{
	ta_jw_key(w, k);
	ta_jw_lit_v(w, "null", 4);
}

/* at most 'decimals' digits after the point, trailing zeros trimmed; not finite: null */
void ta_jw_num(struct ta_jw *w, const char *k, double v, int decimals);
/* k: Unix seconds with microseconds, k "_iso": RFC 3339 UTC; 0 gives nulls */
void ta_jw_time(struct ta_jw *w, const char *k, double unix_s);
/* Replace the n bytes at 'at' by the sn bytes of r (the document so far
 * must hold them); false when an allocation failed */
bool ta_jw_splice(struct ta_jw *w, size_t at, size_t n, const char *r, size_t sn);
/* The document, 0-terminated; NULL when an allocation failed */
const char *ta_jw_text(const struct ta_jw *w, size_t *len);

#endif
