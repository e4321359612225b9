/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The byte mutator of the wire-format fuzzers (fuzz_dns.c, fuzz_tls.c): a
 * deterministic generator, and a few random edits of a message: flip a
 * byte, truncate, duplicate or delete a span, write a small length
 * anywhere, or the format's own edit (a compression pointer, a count).
 */
#ifndef TA_FUZZ_BYTES_H
#define TA_FUZZ_BYTES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long rng_state;

static inline unsigned rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33);
}

/* The format's own edit at pos of b[0, len) */
typedef void (*fuzz_edit)(uint8_t *b, size_t len, size_t pos);

/* 1 to 6 edits of b (room for max bytes); the new length */
static inline size_t mutate_bytes(uint8_t *b, size_t len, size_t max, fuzz_edit own)
{
	int n = 1 + rnd() % 6;

	for (int i = 0; i < n; i++) {
		size_t pos = len ? rnd() % len : 0, span = 1 + rnd() % 32;

		if (pos + span > len)
			span = len - pos;
		switch (rnd() % 6) {
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
		case 4: /* a small length anywhere (a label's, a vector's) */
			if (len)
				b[pos] = (uint8_t)(rnd() % 80);
			break;
		default: own(b, len, pos);
		}
	}
	return len;
}

/* A run: the seed from TA_FUZZ_SEED (printed), and for how long: iter
 * inputs, or TA_FUZZ_SECONDS (make fuzz).  Returns the end time, 0: none. */
static inline time_t fuzz_start(const char *what, int iter)
{
	const char *seed = getenv("TA_FUZZ_SEED"), *secs = getenv("TA_FUZZ_SECONDS");

	rng_state = seed ? strtoull(seed, NULL, 0) : 20131823ULL;
	if (secs)
		printf("%s fuzz seed %llu, %s seconds\n", what, rng_state, secs);
	else
		printf("%s fuzz seed %llu, %d inputs\n", what, rng_state, iter);
	return secs ? time(NULL) + atol(secs) : 0;
}

static inline bool fuzz_more(time_t end, int i, int iter)
{
	return end ? time(NULL) < end : i < iter;
}

/* The i-th input into b: every tenth is noise (hdrlen to hdrlen + 511 random
 * bytes) behind the first bytes of a plausible header, the others the
 * seed message mutated */
static inline size_t fuzz_input(uint8_t *b, int i, size_t (*seed)(uint8_t *b), size_t (*mut)(uint8_t *b, size_t len),
				const uint8_t *hdr, size_t hdrlen)
{
	size_t len;

	if (i % 10)
		return mut(b, seed(b));
	len = hdrlen + rnd() % 512;
	for (size_t k = 0; k < len; k++)
		b[k] = (uint8_t)rnd();
	memcpy(b, hdr, hdrlen > 6 ? 6 : hdrlen);
	return len;
}

#endif
