// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Random and mutated captures (pcap in both byte orders and both time
 * resolutions, pcapng with its block types and unknown ones, every link type
 * replay supports and some it does not) through the capture reader: libpcap,
 * then replay's link-layer conversion (ta_replay_to_ethernet).  As root,
 * every 64th input also goes through the whole replay engine (the XDP
 * program with BPF_PROG_TEST_RUN), under the same sanitizers.
 * Built with AddressSanitizer and UBSan (see the Makefile): an overflow,
 * undefined behaviour or leak fails the run.  Deterministic: the seed is
 * printed; TA_FUZZ_SEED sets it, TA_FUZZ_SECONDS runs for a time instead of
 * TA_FUZZ_ITER inputs (default 3000).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "log.h"
#include "policy.h"
#include "replay.h"

#define MAXLEN 16384

static unsigned long long rng_state;

static unsigned rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng_state >> 33);
}

struct buf {
	uint8_t d[MAXLEN];
	size_t n;
	int swap; /* write integers in the other byte order */
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > MAXLEN)
		n = MAXLEN - b->n;
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put32(struct buf *b, uint32_t v)
{
	if (b->swap)
		v = __builtin_bswap32(v);
	put(b, &v, 4);
}

static void put16(struct buf *b, uint16_t v)
{
	if (b->swap)
		v = __builtin_bswap16(v);
	put(b, &v, 2);
}

static const int dlts[] = { DLT_EN10MB, DLT_RAW, DLT_LINUX_SLL, DLT_NULL, DLT_LOOP, 276 /* SLL2 */,
			    228 /* IPV4 */, 229 /* IPV6 */, 105 /* 802.11: unsupported */, 0x7fff };

/* One frame of link type dlt: an IPv4 UDP packet to a media address, or bytes. */
static size_t frame(int dlt, uint8_t *f)
{
	static const uint8_t ip[] = {
		0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 5, 70, 42, 47, 70,
		0x13, 0x88, 0xc3, 0x50, 0, 12, 0, 0, 'f', 'u', 'z', 'z',
	};
	size_t n = 0;

	switch (dlt) {
	case DLT_EN10MB:
		memset(f, 2, 12);
		f[12] = 8, f[13] = 0;
		n = 14;
		break;
	case DLT_LINUX_SLL:
		memset(f, 0, 16);
		f[14] = 8;
		n = 16;
		break;
	case 276:
		memset(f, 0, 20);
		f[0] = 8;
		n = 20;
		break;
	case DLT_NULL: {
		uint32_t fam = 2;
		memcpy(f, &fam, 4);
		n = 4;
		break;
	}
	case DLT_LOOP:
		f[0] = f[1] = f[2] = 0, f[3] = 2;
		n = 4;
		break;
	}
	memcpy(f + n, ip, sizeof(ip));
	n += sizeof(ip);
	if (rnd() % 4 == 0) { /* or noise of any length */
		n = rnd() % 200;
		for (size_t j = 0; j < n; j++)
			f[j] = (uint8_t)rnd();
	}
	return n;
}

static void make_pcap(struct buf *b)
{
	int dlt = dlts[rnd() % (sizeof(dlts) / sizeof(dlts[0]))];
	int nsec = rnd() & 1;
	uint32_t snap = rnd() % 4 ? 65535 : rnd() % 128;

	b->swap = rnd() & 1;
	put32(b, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
	put16(b, 2);
	put16(b, 4);
	put32(b, 0);
	put32(b, 0);
	put32(b, snap);
	put32(b, (uint32_t)dlt);
	for (int i = 0, k = 1 + (int)(rnd() % 12); i < k; i++) {
		uint8_t f[256];
		size_t n = frame(dlt, f);
		put32(b, 1700000000u + (uint32_t)i);
		put32(b, rnd() % 1000000);
		put32(b, (uint32_t)n);
		put32(b, (uint32_t)(n + (rnd() % 3 ? 0 : rnd() % 2000)));
		put(b, f, n);
	}
}

static void block(struct buf *b, uint32_t type, const uint8_t *body, size_t n)
{
	uint32_t len = (uint32_t)(12 + ((n + 3) & ~(size_t)3));
	static const uint8_t pad[4];

	put32(b, type);
	put32(b, len);
	put(b, body, n);
	put(b, pad, ((n + 3) & ~(size_t)3) - n);
	put32(b, len);
}

static void make_pcapng(struct buf *b)
{
	struct buf body;
	int dlt = dlts[rnd() % (sizeof(dlts) / sizeof(dlts[0]))];

	b->swap = rnd() & 1;
	body.swap = b->swap;
	body.n = 0;
	put32(&body, 0x1a2b3c4d);
	put16(&body, 1); /* version 1.0, section length unknown */
	put(&body, "\0\0\xff\xff\xff\xff\xff\xff\xff\xff", 10);
	block(b, 0x0a0d0d0a, body.d, body.n);
	for (int ifs = 0; ifs < 1 + (int)(rnd() % 2); ifs++) {
		body.n = 0;
		put16(&body, (uint16_t)dlt);
		put16(&body, 0);
		put32(&body, rnd() % 4 ? 262144 : rnd() % 64);
		if (rnd() % 3 == 0) /* if_tsresol: nanoseconds (option 9, length 1, padded; end of options) */
			put(&body, body.swap ? "\0\x09\0\x01\x09\0\0\0\0\0\0\0" : "\x09\0\x01\0\x09\0\0\0\0\0\0\0", 12);
		block(b, 1, body.d, body.n);
	}
	for (int i = 0, k = 1 + (int)(rnd() % 12); i < k; i++) {
		uint8_t f[256];
		size_t n = frame(dlt, f);

		body.n = 0;
		switch (rnd() % 6) {
		case 0: /* simple packet block */
			put32(&body, (uint32_t)n);
			put(&body, f, n);
			block(b, 3, body.d, body.n);
			break;
		case 1: { /* a block nobody knows, or a name resolution / statistics block */
			uint32_t types[] = { 4, 5, 0x40000bad, 0x80000001, 0xdeadbeef };
			uint8_t junk[40];
			for (size_t j = 0; j < sizeof(junk); j++)
				junk[j] = (uint8_t)rnd();
			block(b, types[rnd() % 5], junk, rnd() % sizeof(junk));
			break;
		}
		default: /* enhanced packet block */
			put32(&body, rnd() % 8 ? 0 : rnd() % 4);
			put32(&body, 0x0005f000);
			put32(&body, rnd());
			put32(&body, (uint32_t)n);
			put32(&body, (uint32_t)n);
			put(&body, f, n);
			block(b, 6, body.d, body.n);
		}
	}
}

static void mutate(struct buf *b)
{
	for (int i = 0, k = (int)(rnd() % 6); i < k && b->n; i++) {
		size_t pos = rnd() % b->n;
		switch (rnd() % 5) {
		case 0: /* flip a byte */
			b->d[pos] = (uint8_t)rnd();
			break;
		case 1: /* cut the file here */
			b->n = pos;
			break;
		case 2: { /* a length field to an extreme */
			uint32_t v[] = { 0, 0xffffffff, 0x7fffffff, 0x10000, 262145, 3 };
			if (pos + 4 <= b->n)
				memcpy(b->d + pos, &v[rnd() % 6], 4);
			break;
		}
		case 3: /* repeat a span */
			if (pos + 16 <= b->n && b->n + 16 <= MAXLEN) {
				memmove(b->d + pos + 16, b->d + pos, b->n - pos);
				b->n += 16;
			}
			break;
		default: /* drop a span */
			if (pos + 8 <= b->n) {
				memmove(b->d + pos, b->d + pos + 8, b->n - pos - 8);
				b->n -= 8;
			}
		}
	}
}

static uint64_t engine_frames;

static void on_frame(void *arg, uint64_t n, const struct pcap_pkthdr *h, const struct ta_last *l, uint32_t r)
{
	(void)arg, (void)h, (void)r;
	assert_true(l->verdict < TA_V_MAX);
	engine_frames = n;
}

/* One capture: libpcap and the link-layer conversion; returns the frames read. */
static uint64_t read_capture(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	static uint8_t out[TA_RUN_MAX];
	pcap_t *pc = pcap_open_offline(path, err);
	uint64_t frames = 0;
	struct pcap_pkthdr *h;
	const u_char *d;

	if (!pc)
		return 0;
	int dlt = pcap_datalink(pc);
	while (pcap_next_ex(pc, &h, &d) == 1) {
		frames++;
		if (!ta_replay_dlt_supported(dlt))
			continue;
		int n = ta_replay_to_ethernet(dlt, d, h->caplen, out, sizeof(out));
		assert_true(n <= (int)sizeof(out));
	}
	pcap_close(pc);
	return frames;
}

static void test_fuzz(void **state)
{
	static struct buf b;
	const char *seed = getenv("TA_FUZZ_SEED"), *secs = getenv("TA_FUZZ_SECONDS"),
		   *iters = getenv("TA_FUZZ_ITER");
	long limit = iters ? atol(iters) : 3000;
	time_t end = secs ? time(NULL) + atol(secs) : 0;
	int fd = memfd_create("fuzz.pcap", 0), engine = geteuid() == 0 && !getenv("TA_FUZZ_NO_ENGINE");
	char path[64];
	long i;
	uint64_t frames = 0, through_engine = 0;
	struct ta_policy pol;
	struct ta_compiled comp;

	assert_true(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rng_state = seed ? strtoull(seed, NULL, 0) : 20131823ULL;
	printf("pcap fuzz seed %llu, %s%s\n", rng_state, secs ? secs : iters ? iters : "3000",
	       secs ? " seconds" : " inputs");
	if (engine)
		assert_int_equal(ta_policy_load_compiled("fuzz", NULL, &pol, &comp), 0);
	for (i = 0; end ? time(NULL) < end : i < limit; i++) {
		b.n = 0;
		if (rnd() % 2)
			make_pcap(&b);
		else
			make_pcapng(&b);
		if (rnd() % 8)
			mutate(&b);
		assert_int_equal(ftruncate(fd, 0), 0);
		assert_int_equal(pwrite(fd, b.d, b.n, 0), (ssize_t)b.n);
		uint64_t n = read_capture(path);
		frames += n;
		if (engine && i % 64 == 0) {
			struct ta_replay r;
			engine_frames = 0;
			if (ta_replay_open(&r, path, &comp, NULL, 0, 1024) == 0) {
				int rc = ta_replay_run(&r, on_frame, NULL);
				/* the engine reads what libpcap reads, to the same end */
				assert_true(rc == 0 || rc == -1);
				assert_int_equal(engine_frames, n);
				through_engine++;
				ta_replay_close(&r);
			}
		}
	}
	printf("pcap fuzz: %ld captures, %llu frames read, %llu captures through the replay engine%s\n", i,
	       (unsigned long long)frames, (unsigned long long)through_engine,
	       engine ? "" : " (not root: reader only)");
	assert_true(frames > 0);
	if (engine) {
		ta_compiled_free(&comp);
		ta_policy_free(&pol);
	}
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_fuzz) };

	return cmocka_run_group_tests_name("pcap-fuzz", tests, NULL, NULL);
}
