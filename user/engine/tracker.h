/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flows a live session tracks, compactly: per flow its key, its first
 * packet time (the flow's identity beside the key), and what the last walk
 * saw of it, enough to report it when the LRU table pushes it out: 56 bytes
 * a record for an IPv4 flow (its 16-byte kernel key), 88 for another, plus
 * 2 to 4 bytes of hash buckets.  Counters past 32 bits, a flow older than
 * 71 minutes, policy drops and IPFIX baselines go to a side entry of the
 * few flows that have them.
 */
#ifndef TA_TRACKER_H
#define TA_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tokaudit.h"
#include "flowexport.h"

#define TA_TRK_NONE UINT32_MAX

/* A table of records of one key size (handles: index, top bit the table) */
struct ta_trk_tab {
	size_t keylen, stride;
	uint32_t per_chunk; /* records a chunk */
	unsigned char **chunk;
	size_t nchunk, capchunk;
	uint32_t nrec;    /* record slots handed out, live or free */
	uint32_t free;    /* free slots, linked through next */
	uint32_t *bucket; /* chain heads, nbucket a power of two */
	uint32_t nbucket;
	size_t count;
};

struct ta_trk_side;

struct ta_trk {
	struct ta_trk_tab t[2]; /* IPv4 flows with the kernel's 16-byte key; all others */
	struct ta_trk_side *side;
	size_t nside;
	uint32_t hand[2]; /* where the bound's sweep looks next, per table */
};

/* IPFIX: what a flow's records carried so far, and the flow at the last walk */
struct ta_trk_ext {
	struct ta_exported x;
	struct ta_flow_val *seen;
};

uint32_t ta_trk_find(const struct ta_trk *t, const struct ta_flow_key *k);
/* Ask for k's bucket (stage 0), then for the first record it chains (stage
 * 1, the bucket read by then), ahead of a find: finds one after another
 * then wait for memory together, not each in turn */
void ta_trk_prefetch(const struct ta_trk *t, const struct ta_flow_key *k, int stage);
/* Fetch ahead the bucket of tracked flow h, for its ta_trk_del */
void ta_trk_prefetch_del(const struct ta_trk *t, uint32_t h);
/* Track k, last seen as v, stamped with walk: its handle, TA_TRK_NONE
 * when out of memory */
uint32_t ta_trk_add(struct ta_trk *t, const struct ta_flow_key *k, const struct ta_flow_val *v, uint64_t walk);
void ta_trk_del(struct ta_trk *t, uint32_t h);
/* What a walk saw of it (counters, times, rule, generation, flags, opener) */
void ta_trk_set(struct ta_trk *t, uint32_t h, const struct ta_flow_val *v);
/* ...and back: a flow value with only those fields */
void ta_trk_val(const struct ta_trk *t, uint32_t h, struct ta_flow_val *v);
void ta_trk_key(const struct ta_trk *t, uint32_t h, struct ta_flow_key *k);
uint64_t ta_trk_first_ns(const struct ta_trk *t, uint32_t h);
/* packets both ways as last seen */
uint64_t ta_trk_packets(const struct ta_trk *t, uint32_t h);
void ta_trk_add_flags(struct ta_trk *t, uint32_t h, uint32_t flags);
/* The walk that last saw it: only its parity is kept, every tracked flow
 * being seen or forgotten by each walk */
void ta_trk_stamp(struct ta_trk *t, uint32_t h, uint64_t walk);
bool ta_trk_stamped(const struct ta_trk *t, uint32_t h, uint64_t walk);
/* policy drops already reported */
uint64_t ta_trk_drops(const struct ta_trk *t, uint32_t h);
void ta_trk_set_drops(struct ta_trk *t, uint32_t h, uint64_t drops);
/* IPFIX state, made on first use when create (NULL: none, or no memory) */
struct ta_trk_ext *ta_trk_ext(struct ta_trk *t, uint32_t h, bool create);
size_t ta_trk_count(const struct ta_trk *t);
/* The next tracked flow after h (TA_TRK_NONE: the first); TA_TRK_NONE at the end */
uint32_t ta_trk_next(const struct ta_trk *t, uint32_t h);
/* The two tables, as the kernel's: IPv4 flows its 16-byte key takes (0),
 * the others (1): the table of a handle, the flows tracked in one */
int ta_trk_tab(uint32_t h);
size_t ta_trk_count_in(const struct ta_trk *t, int tab);
/* The next flow of table tab a sweep over them reaches, round and round
 * (TA_TRK_NONE: none there) */
uint32_t ta_trk_sweep(struct ta_trk *t, int tab);
/* The bound on the flows tracked in the table of keep (the flow just
 * added, never closed here), the kernel's table holding cap: up to 1.5 cap
 * nothing is done, the reader's walks close what the table pushed out
 * (one looks every tracked flow up in a batch).  Past 1.5 cap the answer
 * is true: a walk is wanted now.  Past 1.75 cap (a walk late, or new flows
 * tracked while it runs) the sweep asks held() whether the kernel's table
 * still holds a tracked flow and hands one it does not to gone(), which
 * closes and deletes it, until the count is back at 1.75 cap,
 * TA_TRK_SWEEP_HARD lookups at most: at least three sevenths of the flows
 * are gone then (the table holds cap at most), about two lookups a new
 * flow.  The count stays within 1.75 cap, plus cap / TA_TRK_SWEEP_HARD
 * while the sweep passes runs of flows still held. */
#define TA_TRK_SWEEP_HARD 64
bool ta_trk_bound(struct ta_trk *t, uint32_t keep, size_t cap, bool (*held)(void *arg, uint32_t h),
		  void (*gone)(void *arg, uint32_t h), void *arg);
/* Bytes held: records, buckets and side entries */
size_t ta_trk_bytes(const struct ta_trk *t);
void ta_trk_free(struct ta_trk *t);

#endif
