// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The session's compact flow tracker (user/engine/tracker.c) against a
 * plain array model, over random operations: IPv4 keys (the 16-byte
 * record), IPv6 keys and IPv4 keys on an ifindex past 2^24 (the whole key),
 * counters and times past 32 bits (the side entry), policy drops, IPFIX
 * state, freed slots reused, buckets grown, walk stamps, and a sweep that
 * reaches every tracked flow.  Then the bound on what a session tracks
 * (ta_trk_bound) against a table that keeps its busy flows and pushes the
 * others out oldest first, an order the sweep does not follow.
 */
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "tracker.h"

#define NKEYS 6000

struct model {
	struct ta_flow_key k;
	bool live;
	struct ta_flow_val v;
	uint64_t drops;
	uint64_t walk;
};

static uint64_t rnd_state = 20261205;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void make_key(struct ta_flow_key *k, unsigned i)
{
	memset(k, 0, sizeof(*k));
	k->proto = i % 3 ? 17 : 6;
	k->lport = (uint16_t)(1024 + i);
	k->rport = (uint16_t)(i * 7);
	if (i % 5 == 0) { /* IPv6 */
		k->family = 6;
		k->local[0] = 0x20;
		k->local[15] = (uint8_t)i;
		k->remote[0] = 0xfd;
		memcpy(k->remote + 8, &i, sizeof(i));
		k->ifindex = 3;
		return;
	}
	k->family = 4;
	k->local[10] = k->local[11] = k->remote[10] = k->remote[11] = 0xff;
	k->local[12] = 10;
	memcpy(k->local + 13, &i, 3);
	k->remote[12] = 70;
	k->remote[15] = (uint8_t)(i >> 3);
	k->ifindex = i % 7 == 0 ? (1u << 24) + i : 2 + i % 3; /* some past the compact key's ifindex */
}

static void make_val(struct ta_flow_val *v)
{
	/* one figure past what the record holds, now and then */
	unsigned big = rnd() % 8 == 0 ? (unsigned)(rnd() % 5) : 5;

	memset(v, 0, sizeof(*v));
	v->first_ns = 1000000000ull + rnd() % 100000000000ull;
	v->last_ns = v->first_ns + (big == 4 ? 5000ull * 1000000000ull : rnd() % 3000000000ull);
	for (unsigned d = 0; d < 2; d++) {
		v->packets[d] = big == d ? (1ull << 32) + rnd() % 1000 : rnd() % 100000;
		v->bytes[d] = big == 2 + d ? (1ull << 32) + rnd() % 1000 : rnd() % 1000000000;
	}
	v->rule = rnd() % 4 ? (uint32_t)(rnd() % TA_MAX_RULES) : TA_NO_RULE;
	v->generation = (uint32_t)rnd();
	v->flags = (uint32_t)rnd() & 0x7ffff;
	v->opener = rnd() % 2 ? TA_DIR_OUT : TA_DIR_IN;
}

static void check_val(const struct ta_trk *t, uint32_t h, const struct model *m)
{
	struct ta_flow_val v;
	struct ta_flow_key k;
	uint64_t d;

	ta_trk_val(t, h, &v);
	ta_trk_key(t, h, &k);
	assert_memory_equal(&k, &m->k, sizeof(k));
	assert_int_equal(v.first_ns, m->v.first_ns);
	assert_int_equal(ta_trk_first_ns(t, h), m->v.first_ns);
	/* the last time to the microsecond (exactly when it is kept apart) */
	d = v.last_ns > m->v.last_ns ? v.last_ns - m->v.last_ns : m->v.last_ns - v.last_ns;
	assert_true(d <= 500);
	assert_memory_equal(v.packets, m->v.packets, sizeof(v.packets));
	assert_memory_equal(v.bytes, m->v.bytes, sizeof(v.bytes));
	assert_int_equal(ta_trk_packets(t, h), m->v.packets[0] + m->v.packets[1]);
	assert_int_equal(v.rule, m->v.rule);
	assert_int_equal(v.generation, m->v.generation);
	assert_int_equal(v.flags, m->v.flags);
	assert_int_equal(v.opener, m->v.opener);
	assert_int_equal(ta_trk_drops(t, h), m->drops);
	assert_true(ta_trk_stamped(t, h, m->walk));
	assert_false(ta_trk_stamped(t, h, m->walk + 1));
}

static void check_all(struct ta_trk *t, struct model *m)
{
	size_t live = 0, seen = 0;

	for (unsigned i = 0; i < NKEYS; i++) {
		uint32_t h = ta_trk_find(t, &m[i].k);

		assert_int_equal(h != TA_TRK_NONE, m[i].live);
		if (h != TA_TRK_NONE) {
			check_val(t, h, &m[i]);
			live++;
		}
	}
	assert_int_equal(ta_trk_count(t), live);
	for (uint32_t h = ta_trk_next(t, TA_TRK_NONE); h != TA_TRK_NONE; h = ta_trk_next(t, h)) {
		struct ta_flow_key k;

		ta_trk_key(t, h, &k);
		assert_int_equal(ta_trk_find(t, &k), h);
		seen++;
	}
	assert_int_equal(seen, live);
}

static void test_model(void **state)
{
	static struct model m[NKEYS];
	struct ta_trk t = { 0 };

	(void)state;
	for (unsigned i = 0; i < NKEYS; i++)
		make_key(&m[i].k, i);
	for (int round = 0; round < 8; round++) {
		for (int op = 0; op < 20000; op++) {
			unsigned i = (unsigned)(rnd() % NKEYS);
			uint32_t h = ta_trk_find(&t, &m[i].k);

			if (!m[i].live) {
				make_val(&m[i].v);
				m[i].walk = rnd() % 5;
				m[i].drops = 0;
				assert_int_not_equal(ta_trk_add(&t, &m[i].k, &m[i].v, m[i].walk), TA_TRK_NONE);
				m[i].live = true;
				continue;
			}
			switch (rnd() % 6) {
			case 0:
				ta_trk_del(&t, h);
				m[i].live = false;
				break;
			case 1:
				make_val(&m[i].v);
				ta_trk_set(&t, h, &m[i].v);
				break;
			case 2:
				m[i].drops = rnd() % 3 ? rnd() % 1000 : 0;
				ta_trk_set_drops(&t, h, m[i].drops);
				break;
			case 3:
				m[i].walk++;
				ta_trk_stamp(&t, h, m[i].walk);
				break;
			case 4: {
				struct ta_trk_ext *x = ta_trk_ext(&t, h, true);

				assert_non_null(x);
				x->x.ns = m[i].v.first_ns;
				assert_ptr_equal(ta_trk_ext(&t, h, false), x);
				if (!x->seen)
					x->seen = calloc(1, sizeof(*x->seen));
				break;
			}
			default: ta_trk_add_flags(&t, h, TA_FF_UNEXPECTED); m[i].v.flags |= TA_FF_UNEXPECTED;
			}
		}
		check_all(&t, m);
	}
	ta_trk_free(&t);
}

/* The bound's sweep reaches every tracked flow of a table once a round,
 * skipping freed slots */
static void test_sweep(void **state)
{
	struct ta_trk t = { 0 };
	struct ta_flow_val v;
	struct ta_flow_key k;
	static unsigned hits[NKEYS];

	(void)state;
	assert_int_equal(ta_trk_sweep(&t, 0), TA_TRK_NONE);
	assert_int_equal(ta_trk_sweep(&t, 1), TA_TRK_NONE);
	memset(&v, 0, sizeof(v));
	for (unsigned i = 0; i < NKEYS; i++) {
		make_key(&k, i);
		assert_int_not_equal(ta_trk_add(&t, &k, &v, 0), TA_TRK_NONE);
	}
	for (unsigned i = 0; i < NKEYS; i += 3) {
		make_key(&k, i);
		ta_trk_del(&t, ta_trk_find(&t, &k));
	}
	assert_int_equal(ta_trk_count_in(&t, 0) + ta_trk_count_in(&t, 1), ta_trk_count(&t));
	for (size_t n = 0; n < 2 * ta_trk_count(&t); n++) {
		int tab = n < 2 * ta_trk_count_in(&t, 0) ? 0 : 1;
		uint32_t h = ta_trk_sweep(&t, tab);
		unsigned i;

		assert_int_not_equal(h, TA_TRK_NONE);
		assert_int_equal(ta_trk_tab(h), tab);
		ta_trk_key(&t, h, &k);
		i = (unsigned)(uint16_t)(k.lport - 1024);
		assert_int_not_equal(i % 3, 0);
		hits[i]++;
	}
	for (unsigned i = 0; i < NKEYS; i++)
		assert_int_equal(hits[i], i % 3 ? 2 : 0);
	ta_trk_free(&t);
	assert_int_equal(ta_trk_count(&t), 0);
}

/* test_bound's table: BOUND_CAP entries, BOUND_BUSY of them flows kept
 * busy (never pushed out), the rest the newest of the other flows */
#define BOUND_CAP  1024u
#define BOUND_BUSY 768u

struct bound_table {
	struct ta_trk *t;
	unsigned newest; /* the flow just made */
	size_t closed;
	bool held_closed; /* gone() was handed a flow the table holds */
};

static void bound_key(struct ta_flow_key *k, unsigned i)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->proto = 17;
	k->ifindex = 2;
	k->local[10] = k->local[11] = k->remote[10] = k->remote[11] = 0xff;
	k->local[12] = 10;
	memcpy(k->local + 13, &i, 3);
	k->remote[12] = 70;
	k->remote[15] = 80;
	k->lport = 40000;
	k->rport = 5000;
}

static bool bound_held(void *arg, uint32_t h)
{
	struct bound_table *b = arg;
	struct ta_flow_key k;
	unsigned i = 0;

	ta_trk_key(b->t, h, &k);
	memcpy(&i, k.local + 13, 3);
	return i < BOUND_BUSY || i + (BOUND_CAP - BOUND_BUSY) > b->newest;
}

static void bound_gone(void *arg, uint32_t h)
{
	struct bound_table *b = arg;

	if (bound_held(arg, h))
		b->held_closed = true;
	ta_trk_del(b->t, h);
	b->closed++;
}

/* The flows the table no longer holds closed, as a walk closes them */
static void bound_walk(struct bound_table *b)
{
	uint32_t h = ta_trk_next(b->t, TA_TRK_NONE);

	while (h != TA_TRK_NONE) {
		uint32_t next = ta_trk_next(b->t, h);

		if (!bound_held(b, h))
			bound_gone(b, h);
		h = next;
	}
}

/* 50 tables' worth of new flows after the busy ones, each made in the
 * table (pushing the oldest other out) and then tracked; a walk whenever
 * the bound wants one if walks: the most tracked at once */
static size_t bound_run(struct bound_table *b, bool walks, size_t *wanted)
{
	struct ta_flow_val v;
	struct ta_flow_key k;
	size_t peak = 0;

	memset(&v, 0, sizeof(v));
	*wanted = 0;
	for (b->newest = 0; b->newest < BOUND_BUSY + 50 * BOUND_CAP; b->newest++) {
		uint32_t h;
		bool want;

		bound_key(&k, b->newest);
		h = ta_trk_add(b->t, &k, &v, 0);
		assert_int_not_equal(h, TA_TRK_NONE);
		want = ta_trk_bound(b->t, h, BOUND_CAP, bound_held, bound_gone, b);
		assert_int_not_equal(ta_trk_find(b->t, &k), TA_TRK_NONE); /* the flow just added stays */
		if (ta_trk_count(b->t) > peak)
			peak = ta_trk_count(b->t);
		/* wanted exactly past half over the table */
		assert_int_equal(want, ta_trk_count(b->t) > BOUND_CAP + BOUND_CAP / 2);
		*wanted += want;
		if (want && walks)
			bound_walk(b);
	}
	return peak;
}

static void test_bound(void **state)
{
	struct ta_trk t = { 0 };
	struct bound_table b = { .t = &t };
	struct ta_flow_key k;
	size_t peak, wanted, lim = BOUND_CAP + BOUND_CAP / 2 + BOUND_CAP / 4 + BOUND_CAP / TA_TRK_SWEEP_HARD;

	(void)state;
	/* no walk comes: the tracker's own sweep holds the count */
	peak = bound_run(&b, false, &wanted);
	assert_false(b.held_closed);
	for (unsigned i = 0; i < BOUND_BUSY; i++) { /* the busy flows are all still tracked */
		bound_key(&k, i);
		assert_int_not_equal(ta_trk_find(&t, &k), TA_TRK_NONE);
	}
	print_message("bound, no walk: peak %zu tracked for a %u-entry table (at most %zu), %zu closed, a walk wanted "
		      "%zu times\n",
		      peak, BOUND_CAP, lim, b.closed, wanted);
	assert_true(peak >
		    BOUND_CAP + BOUND_CAP / 2 + BOUND_CAP / 4); /* the sweep missed: the bound was put to the test */
	assert_true(peak <= lim);
	assert_true(b.closed >= 49 * BOUND_CAP);
	assert_true(wanted > 0);
	ta_trk_free(&t);

	/* walks when wanted: never past half over the table, and one walk per
	 * half a table of new flows (each closes what the table pushed out) */
	b = (struct bound_table){ .t = &t };
	peak = bound_run(&b, true, &wanted);
	print_message("bound, walks: peak %zu, %zu walks for 50 tables of new flows\n", peak, wanted);
	assert_false(b.held_closed);
	assert_int_equal(peak, BOUND_CAP + BOUND_CAP / 2 + 1);
	assert_true(wanted >= 50 * BOUND_CAP / (BOUND_CAP / 2) - 1 && wanted <= 50 * BOUND_CAP / (BOUND_CAP / 2) + 1);
	/* a table of no size: nothing bounded, nothing closed */
	b.closed = 0;
	assert_false(ta_trk_bound(&t, ta_trk_sweep(&t, 0), 0, bound_held, bound_gone, &b));
	assert_int_equal(b.closed, 0);
	ta_trk_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_bound),
	};

	return cmocka_run_group_tests_name("tracker", tests, NULL, NULL);
}
