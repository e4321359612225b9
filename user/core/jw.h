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
/* Each value takes its member's key k, or NULL inside an array. */
void ta_jw_obj(struct ta_jw *w, const char *k);
void ta_jw_arr(struct ta_jw *w, const char *k);
void ta_jw_end(struct ta_jw *w); /* closes the innermost object or array */
/* s NULL: null */
void ta_jw_str(struct ta_jw *w, const char *k, const char *s);
void ta_jw_u64(struct ta_jw *w, const char *k, uint64_t v);
void ta_jw_i64(struct ta_jw *w, const char *k, int64_t v);
void ta_jw_bool(struct ta_jw *w, const char *k, bool b);
void ta_jw_null(struct ta_jw *w, const char *k);
/* at most 'decimals' digits after the point, trailing zeros trimmed; not finite: null */
void ta_jw_num(struct ta_jw *w, const char *k, double v, int decimals);
/* k: Unix seconds with microseconds, k "_iso": RFC 3339 UTC; 0 gives nulls */
void ta_jw_time(struct ta_jw *w, const char *k, double unix_s);
/* The document, 0-terminated; NULL when an allocation failed */
const char *ta_jw_text(const struct ta_jw *w, size_t *len);

#endif
