// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "files.h"
#include "json.h"

#define TA_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
size_t ta_utf8_seq(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (s[0] == 0xe0 && s[1] < 0xa0)
			return 0; /* overlong */
		if (s[0] == 0xed && s[1] >= 0xa0)
			return 0; /* surrogates */
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

json_object *ta_jstr(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, len, o = 0;
	char *buf;
	json_object *j;

	if (!s)
		return NULL;
	len = strlen(s);
	for (n = 0; p[n]; n += ta_utf8_seq(p + n))
		if (!ta_utf8_seq(p + n))
			break;
	if (!p[n]) /* all valid */
		return json_object_new_string_len(s, (int)len);
	buf = malloc(len * 3 + 1);
	if (!buf)
		return json_object_new_string("");
	for (n = 0; p[n];) {
		size_t q = ta_utf8_seq(p + n);

		if (q) {
			memcpy(buf + o, p + n, q);
			o += q;
			n += q;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3); /* U+FFFD */
			o += 3;
			n++;
		}
	}
	j = json_object_new_string_len(buf, (int)o);
	free(buf);
	return j;
}

json_object *ta_jnum(double v, int decimals)
{
	char buf[64];

	if (!ta_jnum_text(buf, sizeof(buf), v, decimals))
		return NULL;
	return json_object_new_double_s(v, buf);
}

const char *ta_jnum_text(char *buf, size_t len, double v, int decimals)
{
	char *e;

	if (!isfinite(v))
		return NULL;
	snprintf(buf, len, "%.*f", decimals, v);
	if (strchr(buf, '.')) {
		e = buf + strlen(buf) - 1;
		while (*e == '0')
			*e-- = 0;
		if (*e == '.')
			*e = 0;
	}
	if (!strcmp(buf, "-0"))
		strcpy(buf, "0");
	return buf;
}

json_object *ta_ju64(uint64_t v)
{
	return json_object_new_uint64(v);
}

json_object *ta_jbool(bool b)
{
	return json_object_new_boolean(b);
}

void ta_jadd(json_object *o, const char *k, json_object *v)
{
	json_object_object_add(o, k, v);
}

void ta_jmerge(json_object *dst, json_object *src)
{
	if (!src)
		return;
	json_object_object_foreach(src, key, val)
		ta_jadd(dst, key, json_object_get(val));
	json_object_put(src);
}

void ta_unix_split(double unix_s, int64_t *sec, long *usec)
{
	*sec = (int64_t)floor(unix_s);
	*usec = (long)llround((unix_s - (double)*sec) * 1e6);
	if (*usec >= 1000000) {
		(*sec)++;
		*usec -= 1000000;
	}
}

void ta_rfc3339(char *buf, size_t len, double unix_s)
{
	int64_t s;
	long usec;
	struct tm tm;

	ta_unix_split(unix_s, &s, &usec);
	time_t sec = (time_t)s;
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
}

void ta_jtime(json_object *o, const char *k, double unix_s)
{
	char key[64], iso[48];

	snprintf(key, sizeof(key), "%s_iso", k);
	if (unix_s <= 0) {
		ta_jadd(o, k, NULL);
		ta_jadd(o, key, NULL);
		return;
	}
	ta_rfc3339(iso, sizeof(iso), unix_s);
	ta_jadd(o, k, ta_jnum(unix_s, 6));
	ta_jadd(o, key, json_object_new_string(iso));
}

const char *ta_jtext(json_object *o)
{
	return json_object_to_json_string_ext(o, TA_JSON_FLAGS);
}

const char *ta_jtext_pretty(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int ta_jsave(const char *path, json_object *o)
{
	FILE *f = ta_fopen_private(path, false);
	int bad;

	if (!f)
		return -1;
	bad = fputs(ta_jtext_pretty(o), f) < 0 || fputc('\n', f) == EOF;
	if (fclose(f))
		bad = 1;
	return bad ? -1 : 0;
}

int ta_jprint(FILE *f, json_object *o)
{
	int r = fputs(ta_jtext(o), f) < 0 || fputc('\n', f) == EOF || fflush(f) ? -1 : 0;

	json_object_put(o);
	return r;
}
