/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * JSON through json-c: every document tokaudit prints but the event lines
 * is a json-c tree serialised here, so every string is escaped (and made
 * valid UTF-8), '/' is not escaped, and numbers carry the precision chosen
 * for them.  The event lines and a flow's fields are written by jw.h to
 * the same rules.
 */
#ifndef TA_JSON_H
#define TA_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

/* A string; invalid UTF-8 bytes become U+FFFD.  NULL gives JSON null. */
json_object *ta_jstr(const char *s);
/* A number with at most 'decimals' digits after the point (trailing zeros trimmed). */
json_object *ta_jnum(double v, int decimals);
/* Its text in buf; NULL when v is not finite */
const char *ta_jnum_text(char *buf, size_t len, double v, int decimals);
/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one */
size_t ta_utf8_seq(const unsigned char *s);
json_object *ta_ju64(uint64_t v);
json_object *ta_jbool(bool b);
/* o[k] = v (v may be NULL: JSON null) */
void ta_jadd(json_object *o, const char *k, json_object *v);
/* Move every member of src into dst (in order) and release src; src may be NULL. */
void ta_jmerge(json_object *dst, json_object *src);
/* o[k] = Unix seconds (microseconds), o[k "_iso"] = RFC 3339 UTC; t <= 0 gives nulls */
void ta_jtime(json_object *o, const char *k, double unix_s);
/* Unix seconds to whole seconds and microseconds, rounded to the nearest */
void ta_unix_split(double unix_s, int64_t *sec, long *usec);
/* "2026-11-25T03:40:12.123456Z" */
void ta_rfc3339(char *buf, size_t len, double unix_s);
/* Print o on one line followed by a newline, flush, and release o.
 * Returns 0, or -1 when writing failed. */
int ta_jprint(FILE *f, json_object *o);
/* The serialisation of o (one line, or indented), valid until o changes or is released. */
const char *ta_jtext(json_object *o);
const char *ta_jtext_pretty(json_object *o);
/* Write o, indented, to path (created 0600, never through a symbolic link).  Returns 0 or -1 (errno set). */
int ta_jsave(const char *path, json_object *o);

#endif
