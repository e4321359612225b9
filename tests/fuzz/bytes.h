/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The byte mutator of the wire-format fuzzers (fuzz_dns.c, fuzz_tls.c): a
 * deterministic generator, and a few random edits of a message: flip a
 * byte, truncate, duplicate or delete a span, or the format's own edit
 * (a compression pointer, a length that lies).
 */
#ifndef TA_FUZZ_BYTES_H
#define TA_FUZZ_BYTES_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static unsigned long long rng_state;

static unsigned rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33);
}

/* The format's own edit at pos of b[0, len) */
typedef void (*fuzz_edit)(uint8_t *b, size_t len, size_t pos);

/* 1 to 6 edits of b (room for max bytes); the new length */
static size_t mutate_bytes(uint8_t *b, size_t len, size_t max, fuzz_edit own)
{
	int n = 1 + rnd() % 6;

	for (int i = 0; i < n; i++) {
		size_t pos = len ? rnd() % len : 0, span = 1 + rnd() % 32;

		if (pos + span > len)
			span = len - pos;
		switch (rnd() % 5) {
		case 0: /* flip a byte */
			if (len)
				b[pos] = (uint8_t)rnd();
			break;
		case 1: /* truncate */ len = pos; break;
		case 2: /* duplicate a span: many records */
			if (len + span < max) {
				memmove(b + pos + span, b + pos, len - pos);
				len += span;
			}
			break;
		case 3: /* delete a span */
			memmove(b + pos, b + pos + span, len - pos - span);
			len -= span;
			break;
		default: own(b, len, pos);
		}
	}
	return len;
}

#endif
