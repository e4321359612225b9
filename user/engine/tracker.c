// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The session's tracked flows (tracker.h): records in chunks that never
 * move, chained in a power-of-two bucket array by a 32-bit index, freed
 * slots reused.  What the kernel holds of a flow now is read from the
 * kernel; a record keeps only what the reader must remember after the
 * kernel has forgotten it.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <uthash.h>
#include "dp.h"
#include "tracker.h"
#include "util.h"

/* Records come in chunks of 2 MiB, on huge pages where the kernel gives
 * them: a lookup's random reads then miss the TLB far less often */
#define TRK_CHUNK_BYTES   (2u << 20)
#define TRK_TAB_BIT       0x80000000u
#define TRK_FIRST_BUCKETS 1024u

/* The record's word: the flow's TA_FF_* flags, opener and rule as the walk
 * saw them, the reader's own bits, and the generation in the top half */
#define W_FLAGS      0x7ffffull
#define W_OPENER     (1ull << 19)
#define W_RULE_SHIFT 20
#define W_RULE_NONE  0x7fu
#define W_LIVE       (1ull << 27)
#define W_WALK       (1ull << 28)
#define W_SIDE       (1ull << 29)
#define W_GEN_SHIFT  32

/* A record is its key (ta_flow4_key, or the whole ta_flow_key), then this:
 * a chain's walk reads the key and next, in one cache line mostly */
struct rec {
	uint32_t next;    /* the bucket's chain, or the free list */
	uint32_t last_us; /* last_ns - first_ns, to the microsecond */
	uint64_t first_ns;
	uint64_t word;
	uint32_t pk[2], by[2]; /* as last seen, when they fit (else the side's) */
};

/* A flow's side entry: what its record cannot hold */
struct ta_trk_side {
	uint32_t h;
	bool big; /* counters and last time are these */
	uint64_t pk[2], by[2], last_ns;
	uint64_t drops;
	bool has_ext;
	struct ta_trk_ext ext;
	UT_hash_handle hh;
};

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static uint32_t hash_key(const unsigned char *k, size_t n)
{
	uint64_t h = n;

	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w;

		memcpy(&w, k + i, 8);
		h = mix64(h ^ w);
	}
	return (uint32_t)h;
}

static struct ta_trk_tab *tab_of(const struct ta_trk *t, uint32_t h)
{
	return (struct ta_trk_tab *)&t->t[h & TRK_TAB_BIT ? 1 : 0];
}

static unsigned char *key_at(const struct ta_trk_tab *tb, uint32_t i)
{
	return tb->chunk[i / tb->per_chunk] + (size_t)(i % tb->per_chunk) * tb->stride;
}

static struct rec *rec_at(const struct ta_trk_tab *tb, uint32_t i)
{
	return (struct rec *)(key_at(tb, i) + tb->keylen);
}

/* k's chain (any bucket count: the hash scaled, not masked) */
static uint32_t *bucket_of(const struct ta_trk_tab *tb, const unsigned char *k)
{
	return &tb->bucket[(uint32_t)(((uint64_t)hash_key(k, tb->keylen) * tb->nbucket) >> 32)];
}

static struct rec *rec_of(const struct ta_trk *t, uint32_t h)
{
	return rec_at(tab_of(t, h), h & ~TRK_TAB_BIT);
}

/* The key as the table stores it; the table it goes to */
static int key_bytes(const struct ta_flow_key *k, unsigned char out[sizeof(struct ta_flow_key)])
{
	if (ta_flow_key_compact(k)) {
		struct ta_flow4_key k4;

		ta_flow_key_to4(&k4, k);
		memcpy(out, &k4, sizeof(k4));
		return 0;
	}
	memcpy(out, k, sizeof(*k));
	return 1;
}

static void tab_init(struct ta_trk_tab *tb, size_t keylen)
{
	if (tb->stride)
		return;
	tb->keylen = keylen;
	tb->stride = sizeof(struct rec) + keylen;
	tb->per_chunk = (uint32_t)(TRK_CHUNK_BYTES / tb->stride);
	tb->free = TA_TRK_NONE;
}

static void trk_init(struct ta_trk *t)
{
	tab_init(&t->t[0], sizeof(struct ta_flow4_key));
	tab_init(&t->t[1], sizeof(struct ta_flow_key));
}

/* (the compact key, most flows', in two words: no call to memcmp) */
static inline bool key_eq(const unsigned char *a, const unsigned char *b, size_t n)
{
	uint64_t x[2], y[2];

	if (n != sizeof(x))
		return !memcmp(a, b, n);
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return x[0] == y[0] && x[1] == y[1];
}

static uint32_t tab_find(const struct ta_trk_tab *tb, const unsigned char *kb)
{
	if (!tb->nbucket)
		return TA_TRK_NONE;
	for (uint32_t i = *bucket_of(tb, kb); i != TA_TRK_NONE; i = rec_at(tb, i)->next)
		if (key_eq(key_at(tb, i), kb, tb->keylen))
			return i;
	return TA_TRK_NONE;
}

uint32_t ta_trk_find(const struct ta_trk *t, const struct ta_flow_key *k)
{
	unsigned char kb[sizeof(struct ta_flow_key)];
	int w = key_bytes(k, kb);
	uint32_t i = tab_find(&t->t[w], kb);

	return i == TA_TRK_NONE ? i : i | (w ? TRK_TAB_BIT : 0);
}

void ta_trk_prefetch(const struct ta_trk *t, const struct ta_flow_key *k, int stage)
{
	unsigned char kb[sizeof(struct ta_flow_key)];
	const struct ta_trk_tab *tb = &t->t[key_bytes(k, kb)];
	const uint32_t *b;

	if (!tb->nbucket)
		return;
	b = bucket_of(tb, kb);
	if (stage == 0)
		__builtin_prefetch(b);
	else if (*b != TA_TRK_NONE)
		__builtin_prefetch(key_at(tb, *b));
}

void ta_trk_prefetch_del(const struct ta_trk *t, uint32_t h)
{
	const struct ta_trk_tab *tb = tab_of(t, h);

	__builtin_prefetch(bucket_of(tb, key_at(tb, h & ~TRK_TAB_BIT)));
}

static void link_rec(struct ta_trk_tab *tb, uint32_t i)
{
	struct rec *r = rec_at(tb, i);
	uint32_t *head = bucket_of(tb, key_at(tb, i));

	r->next = *head;
	*head = i;
}

/* len bytes (a multiple of 2 MiB) aligned to 2 MiB, huge pages asked for
 * when huge (not for a table's first chunk, nor small bucket arrays: a
 * session with few flows holds no more than their pages) */
static void *huge_alloc(size_t len, bool huge)
{
	size_t al = TRK_CHUNK_BYTES;
	unsigned char *p = mmap(NULL, len + al, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + al - 1) & ~(uintptr_t)(al - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((unsigned char *)a + len, (uintptr_t)p + al - a);
	if (huge) /* a hint: without it, 4 KiB pages */
		(void)madvise((void *)a, len, MADV_HUGEPAGE);
	return (void *)a;
}

static size_t huge_len(size_t len)
{
	return (len + TRK_CHUNK_BYTES - 1) & ~(size_t)(TRK_CHUNK_BYTES - 1);
}

static void huge_free(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

/* Half as many buckets again once there are half as many records again as
 * buckets (chains of 1 to 1.5 records on average; 2.7 to 4 bytes a record) */
static int grow_buckets(struct ta_trk_tab *tb)
{
	uint32_t n = tb->nbucket ? tb->nbucket + tb->nbucket / 2 : TRK_FIRST_BUCKETS;
	uint32_t *b;

	if (tb->nbucket && tb->count < (size_t)tb->nbucket + tb->nbucket / 2)
		return 0;
	if (tb->nbucket >= (1u << 30) || !(b = huge_alloc(huge_len(n * sizeof(*b)), n * sizeof(*b) >= TRK_CHUNK_BYTES)))
		return tb->nbucket ? 0 : -1; /* longer chains rather than none */
	memset(b, 0xff, n * sizeof(*b));
	huge_free(tb->bucket, huge_len(tb->nbucket * sizeof(*b)));
	tb->bucket = b;
	tb->nbucket = n;
	for (uint32_t i = 0; i < tb->nrec; i++)
		if (rec_at(tb, i)->word & W_LIVE)
			link_rec(tb, i);
	return 0;
}

/* A record slot: a freed one, or the next of the last chunk */
static uint32_t tab_slot(struct ta_trk_tab *tb)
{
	uint32_t i = tb->free;

	if (i != TA_TRK_NONE) {
		tb->free = rec_at(tb, i)->next;
		return i;
	}
	if (tb->nrec >= TRK_TAB_BIT - 1)
		return TA_TRK_NONE;
	if (tb->nrec / tb->per_chunk == tb->nchunk) {
		unsigned char *c;

		if (tb->nchunk == tb->capchunk &&
		    ta_grow(&tb->chunk, &tb->capchunk, tb->nchunk, sizeof(*tb->chunk), 16))
			return TA_TRK_NONE;
		if (!(c = huge_alloc(TRK_CHUNK_BYTES, tb->nchunk > 0)))
			return TA_TRK_NONE;
		tb->chunk[tb->nchunk++] = c;
	}
	return tb->nrec++;
}

uint32_t ta_trk_add(struct ta_trk *t, const struct ta_flow_key *k, const struct ta_flow_val *v, uint64_t walk)
{
	unsigned char kb[sizeof(struct ta_flow_key)];
	int w;
	struct ta_trk_tab *tb;
	struct rec *r;
	uint32_t i, h;

	trk_init(t);
	w = key_bytes(k, kb);
	tb = &t->t[w];
	if (grow_buckets(tb) || (i = tab_slot(tb)) == TA_TRK_NONE)
		return TA_TRK_NONE;
	r = rec_at(tb, i);
	memset(key_at(tb, i), 0, tb->stride);
	memcpy(key_at(tb, i), kb, tb->keylen);
	r->word = W_LIVE | (walk & 1 ? W_WALK : 0);
	link_rec(tb, i);
	tb->count++;
	h = i | (w ? TRK_TAB_BIT : 0);
	ta_trk_set(t, h, v);
	return h;
}

static struct ta_trk_side *side_of(const struct ta_trk *t, uint32_t h)
{
	struct ta_trk_side *s = NULL;

	if (rec_of(t, h)->word & W_SIDE)
		HASH_FIND(hh, t->side, &h, sizeof(h), s);
	return s;
}

static struct ta_trk_side *side_make(struct ta_trk *t, uint32_t h)
{
	struct ta_trk_side *s = side_of(t, h);

	if (s || !(s = calloc(1, sizeof(*s))))
		return s;
	s->h = h;
	HASH_ADD(hh, t->side, h, sizeof(s->h), s);
	t->nside++;
	rec_of(t, h)->word |= W_SIDE;
	return s;
}

static void side_drop(struct ta_trk *t, uint32_t h)
{
	struct ta_trk_side *s = side_of(t, h);

	if (!s)
		return;
	HASH_DEL(t->side, s);
	t->nside--;
	if (s->has_ext)
		free(s->ext.seen);
	free(s);
	rec_of(t, h)->word &= ~W_SIDE;
}

void ta_trk_del(struct ta_trk *t, uint32_t h)
{
	struct ta_trk_tab *tb = tab_of(t, h);
	uint32_t i = h & ~TRK_TAB_BIT;
	struct rec *r = rec_at(tb, i);
	uint32_t *p = bucket_of(tb, key_at(tb, i));

	side_drop(t, h);
	while (*p != i && *p != TA_TRK_NONE)
		p = &rec_at(tb, *p)->next;
	if (*p == i)
		*p = r->next;
	r->word = 0;
	r->next = tb->free;
	tb->free = i;
	tb->count--;
}

static uint32_t sat32(uint64_t x)
{
	return x > UINT32_MAX ? UINT32_MAX : (uint32_t)x;
}

void ta_trk_set(struct ta_trk *t, uint32_t h, const struct ta_flow_val *v)
{
	struct rec *r = rec_of(t, h);
	uint64_t d = v->last_ns >= v->first_ns ? v->last_ns - v->first_ns : UINT64_MAX;
	uint64_t us = d == UINT64_MAX ? d : (d + 500) / 1000;
	uint32_t rule = v->rule < W_RULE_NONE ? v->rule : W_RULE_NONE;
	bool fits = us <= UINT32_MAX && (v->packets[0] | v->packets[1] | v->bytes[0] | v->bytes[1]) <= UINT32_MAX;
	struct ta_trk_side *s;

	r->first_ns = v->first_ns;
	r->word = (r->word & (W_LIVE | W_WALK | W_SIDE)) | (v->flags & W_FLAGS) |
		  (v->opener == TA_DIR_OUT ? W_OPENER : 0) | (uint64_t)rule << W_RULE_SHIFT |
		  (uint64_t)v->generation << W_GEN_SHIFT;
	r->last_us = sat32(us);
	for (int i = 0; i < 2; i++) {
		r->pk[i] = sat32(v->packets[i]);
		r->by[i] = sat32(v->bytes[i]);
	}
	s = fits ? side_of(t, h) : side_make(t, h);
	if (!s)
		return; /* fits (or no memory for the exact figures: kept saturated) */
	s->big = !fits;
	memcpy(s->pk, v->packets, sizeof(s->pk));
	memcpy(s->by, v->bytes, sizeof(s->by));
	s->last_ns = v->last_ns;
	if (fits && !s->drops && !s->has_ext)
		side_drop(t, h);
}

void ta_trk_val(const struct ta_trk *t, uint32_t h, struct ta_flow_val *v)
{
	const struct rec *r = rec_of(t, h);
	const struct ta_trk_side *s = side_of(t, h);
	uint32_t rule = (uint32_t)(r->word >> W_RULE_SHIFT) & W_RULE_NONE;

	memset(v, 0, sizeof(*v));
	v->first_ns = r->first_ns;
	v->flags = (uint32_t)(r->word & W_FLAGS);
	v->opener = r->word & W_OPENER ? TA_DIR_OUT : TA_DIR_IN;
	v->rule = rule == W_RULE_NONE ? TA_NO_RULE : rule;
	v->generation = (uint32_t)(r->word >> W_GEN_SHIFT);
	if (s && s->big) {
		memcpy(v->packets, s->pk, sizeof(v->packets));
		memcpy(v->bytes, s->by, sizeof(v->bytes));
		v->last_ns = s->last_ns;
		return;
	}
	v->last_ns = r->first_ns + (uint64_t)r->last_us * 1000;
	for (int d = 0; d < 2; d++) {
		v->packets[d] = r->pk[d];
		v->bytes[d] = r->by[d];
	}
}

void ta_trk_key(const struct ta_trk *t, uint32_t h, struct ta_flow_key *k)
{
	const struct ta_trk_tab *tb = tab_of(t, h);
	const unsigned char *kb = key_at(tb, h & ~TRK_TAB_BIT);

	if (h & TRK_TAB_BIT) {
		memcpy(k, kb, sizeof(*k));
	} else {
		struct ta_flow4_key k4;

		memcpy(&k4, kb, sizeof(k4));
		ta_flow_key_from4(k, &k4);
	}
}

uint64_t ta_trk_first_ns(const struct ta_trk *t, uint32_t h)
{
	return rec_of(t, h)->first_ns;
}

uint64_t ta_trk_packets(const struct ta_trk *t, uint32_t h)
{
	const struct rec *r = rec_of(t, h);
	const struct ta_trk_side *s = side_of(t, h);

	return s && s->big ? s->pk[0] + s->pk[1] : (uint64_t)r->pk[0] + r->pk[1];
}

void ta_trk_add_flags(struct ta_trk *t, uint32_t h, uint32_t flags)
{
	rec_of(t, h)->word |= flags & W_FLAGS;
}

void ta_trk_stamp(struct ta_trk *t, uint32_t h, uint64_t walk)
{
	struct rec *r = rec_of(t, h);

	r->word = (r->word & ~W_WALK) | (walk & 1 ? W_WALK : 0);
}

bool ta_trk_stamped(const struct ta_trk *t, uint32_t h, uint64_t walk)
{
	return !(rec_of(t, h)->word & W_WALK) == !(walk & 1);
}

uint64_t ta_trk_drops(const struct ta_trk *t, uint32_t h)
{
	const struct ta_trk_side *s = side_of(t, h);

	return s ? s->drops : 0;
}

void ta_trk_set_drops(struct ta_trk *t, uint32_t h, uint64_t drops)
{
	struct ta_trk_side *s = drops ? side_make(t, h) : side_of(t, h);

	if (s)
		s->drops = drops;
}

struct ta_trk_ext *ta_trk_ext(struct ta_trk *t, uint32_t h, bool create)
{
	struct ta_trk_side *s = create ? side_make(t, h) : side_of(t, h);

	if (!s || (!s->has_ext && !create))
		return NULL;
	s->has_ext = true;
	return &s->ext;
}

size_t ta_trk_count(const struct ta_trk *t)
{
	return t->t[0].count + t->t[1].count;
}

/* The first live record of tb at index i or after; TA_TRK_NONE: none */
static uint32_t live_in(const struct ta_trk_tab *tb, uint32_t i)
{
	for (; i < tb->nrec; i++)
		if (rec_at(tb, i)->word & W_LIVE)
			return i;
	return TA_TRK_NONE;
}

/* The first live record at or after handle h, in handle order (the IPv4
 * table, then the other) */
static uint32_t live_from(const struct ta_trk *t, uint32_t h)
{
	uint32_t i;

	if (!(h & TRK_TAB_BIT) && (i = live_in(&t->t[0], h)) != TA_TRK_NONE)
		return i;
	i = live_in(&t->t[1], h & TRK_TAB_BIT ? h & ~TRK_TAB_BIT : 0);
	return i == TA_TRK_NONE ? i : i | TRK_TAB_BIT;
}

uint32_t ta_trk_next(const struct ta_trk *t, uint32_t h)
{
	if (h == TA_TRK_NONE)
		return live_from(t, 0);
	return live_from(t, h + 1); /* the last IPv4 slot + 1 is below the other table's first */
}

size_t ta_trk_count_in(const struct ta_trk *t, int tab)
{
	return t->t[tab ? 1 : 0].count;
}

int ta_trk_tab(uint32_t h)
{
	return h & TRK_TAB_BIT ? 1 : 0;
}

uint32_t ta_trk_sweep(struct ta_trk *t, int tab)
{
	const struct ta_trk_tab *tb = &t->t[tab ? 1 : 0];
	uint32_t i;

	if (!tb->count)
		return TA_TRK_NONE;
	i = live_in(tb, t->hand[tab ? 1 : 0]);
	if (i == TA_TRK_NONE) /* round again */
		i = live_in(tb, 0);
	t->hand[tab ? 1 : 0] = i + 1;
	return i | (tab ? TRK_TAB_BIT : 0);
}

bool ta_trk_bound(struct ta_trk *t, uint32_t keep, size_t cap, bool (*held)(void *arg, uint32_t h),
		  void (*gone)(void *arg, uint32_t h), void *arg)
{
	int tab = ta_trk_tab(keep);
	size_t hard = cap + cap / 2 + cap / 4;

	if (!cap || ta_trk_count_in(t, tab) <= cap + cap / 2)
		return false;
	for (int i = 0; i < TA_TRK_SWEEP_HARD && ta_trk_count_in(t, tab) > hard; i++) {
		uint32_t h = ta_trk_sweep(t, tab);

		if (h != keep && h != TA_TRK_NONE && !held(arg, h))
			gone(arg, h);
	}
	return true;
}

size_t ta_trk_bytes(const struct ta_trk *t)
{
	size_t n = t->nside * sizeof(struct ta_trk_side);

	for (int w = 0; w < 2; w++)
		n += t->t[w].nchunk * (size_t)TRK_CHUNK_BYTES + huge_len(t->t[w].nbucket * sizeof(uint32_t)) +
		     t->t[w].capchunk * sizeof(void *);
	return n;
}

void ta_trk_free(struct ta_trk *t)
{
	struct ta_trk_side *s, *tmp;

	HASH_ITER(hh, t->side, s, tmp) {
		HASH_DEL(t->side, s);
		if (s->has_ext)
			free(s->ext.seen);
		free(s);
	}
	for (int w = 0; w < 2; w++) {
		for (size_t i = 0; i < t->t[w].nchunk; i++)
			huge_free(t->t[w].chunk[i], TRK_CHUNK_BYTES);
		free(t->t[w].chunk);
		huge_free(t->t[w].bucket, huge_len(t->t[w].nbucket * sizeof(uint32_t)));
	}
	memset(t, 0, sizeof(*t));
}
