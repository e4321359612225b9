// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "dp.h"
#include "flowsel.h"
#include "names.h"
#include "util.h"

/* Each comma-separated word of list must be one of names[0..n): a bit per word.
 * On an unknown word, err names it and what is accepted. */
static int words(const char *list, const char *what, const char *(*name)(int), int n, unsigned *bits,
		 char *err, size_t len)
{
	const char *p = list;

	*bits = 0;
	while (*p) {
		size_t w = strcspn(p, ","), i;
		char accepted[200] = "";

		for (i = 0; i < (size_t)n; i++)
			if (name(i) && strlen(name(i)) == w && !strncmp(p, name(i), w))
				break;
		if (i == (size_t)n) {
			for (int j = 0; j < n; j++)
				if (name(j))
					snprintf(accepted + strlen(accepted), sizeof(accepted) - strlen(accepted),
						 "%s%s", *accepted ? ", " : "", name(j));
			snprintf(err, len, "no %s '%.*s' (%s)", what, (int)w, p, accepted);
			return -1;
		}
		*bits |= 1u << i;
		p += w + (p[w] == ',');
	}
	return 0;
}

static const char *verdict_word(int i)
{
	return i < TA_V_MAX ? ta_verdict_name(i) : i == TA_SEL_DROPPED ? "dropped" : NULL;
}

static const char *state_word(int i)
{
	return ta_fstate_name(i);
}

static const char *const sorts[] = { [TA_SORT_BYTES] = "bytes", [TA_SORT_PACKETS] = "packets",
				     [TA_SORT_IDLE] = "idle", [TA_SORT_AGE] = "age", [TA_SORT_REMOTE] = "remote" };

static const char *sort_word(int i)
{
	return i > 0 && i < (int)(sizeof(sorts) / sizeof(sorts[0])) ? sorts[i] : NULL;
}

static const char *proto_word(int i)
{
	static const char *const p[] = { "tcp", "udp", "icmp", "icmp6" };

	return i < 4 ? p[i] : NULL;
}

int ta_flow_sel_values(const char *opt, FILE *f)
{
	static const struct {
		const char *opt;
		const char *(*word)(int);
		int n;
	} lists[] = {
		{ "verdict", verdict_word, TA_SEL_DROPPED + 1 }, { "state", state_word, TA_STATE_MAX },
		{ "proto", proto_word, 4 }, { "sort", sort_word, 8 },
	};

	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		if (strcmp(opt, lists[l].opt))
			continue;
		for (int i = 0; i < lists[l].n; i++)
			if (lists[l].word(i))
				fprintf(f, "%s\n", lists[l].word(i));
		return 0;
	}
	return -1;
}

int ta_flow_sel_init(struct ta_flow_sel *s, const struct ta_flow_sel_args *a, char *err, size_t len)
{

	memset(s, 0, sizeof(*s));
	s->rules = a->rule;
	s->remote = a->remote;
	s->limit = a->limit;
	s->proto = -1;
	if (a->verdict && words(a->verdict, "verdict", verdict_word, TA_SEL_DROPPED + 1, &s->verdicts, err, len))
		return -1;
	if (a->state && words(a->state, "state", state_word, TA_STATE_MAX, &s->states, err, len))
		return -1;
	if (a->proto) {
		static const struct { const char *n; int p; } pn[] = {
			{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmp6", 58 }, { "icmpv6", 58 },
		};
		char *end;
		long v = strtol(a->proto, &end, 10);

		for (size_t i = 0; i < sizeof(pn) / sizeof(pn[0]); i++)
			if (!strcmp(a->proto, pn[i].n))
				s->proto = pn[i].p;
		if (s->proto < 0 && *a->proto && !*end && v >= 0 && v <= 255)
			s->proto = (int)v;
		if (s->proto < 0) {
			snprintf(err, len, "no protocol '%s' (tcp, udp, icmp, icmp6 or a number 0-255)", a->proto);
			return -1;
		}
	}
	if (a->sort) {
		for (size_t i = 1; i < sizeof(sorts) / sizeof(sorts[0]); i++)
			if (!strcmp(a->sort, sorts[i]))
				s->sort = (int)i;
		if (!s->sort) {
			snprintf(err, len, "cannot sort by '%s' (bytes, packets, idle, age or remote)", a->sort);
			return -1;
		}
	}
	return 0;
}

/* What packets and flows share: verdict, protocol, remote end, rule label */
static bool match(const struct ta_flow_sel *s, int verdict, bool dropped, const char *label,
		  const struct ta_flow_key *k)
{
	if (s->verdicts && !(s->verdicts & (1u << verdict)) && !(dropped && (s->verdicts & (1u << TA_SEL_DROPPED))))
		return false;
	if (s->proto >= 0 && k->proto != s->proto)
		return false;
	if (!ta_remote_match(&s->remote, k))
		return false;
	return !s->rules || (label && ta_in_list(s->rules, label));
}

bool ta_flow_sel_match_packet(const struct ta_flow_sel *s, const struct ta_flow_ctx *c, int verdict, bool dropped,
			       uint32_t rule, const struct ta_flow_key *k)
{
	return match(s, verdict, dropped, ta_rule_label(c, rule), k);
}

bool ta_flow_sel_match(const struct ta_flow_sel *s, const struct ta_flow_ctx *c, const struct ta_flow_key *k,
		       const struct ta_flow_val *v)
{
	if (s->states && !(s->states & (1u << ta_flow_state(k, v, c->now_ns))))
		return false;
	return match(s, ta_flow_verdict(v), v->policy_drops || v->kernel_drops, ta_flow_rule_label(c, v), k);
}

static int sort_kind;

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_kind(const struct ta_closed *a, const struct ta_closed *b)
{
	switch (sort_kind) {
	case TA_SORT_BYTES:
		return cmp_u64_desc(a->v.bytes[0] + a->v.bytes[1], b->v.bytes[0] + b->v.bytes[1]);
	case TA_SORT_PACKETS:
		return cmp_u64_desc(a->v.packets[0] + a->v.packets[1], b->v.packets[0] + b->v.packets[1]);
	case TA_SORT_IDLE: /* the most recently active first */
		return cmp_u64_desc(a->v.last_ns, b->v.last_ns);
	case TA_SORT_AGE: /* the oldest first */
		return -cmp_u64_desc(a->v.first_ns, b->v.first_ns);
	case TA_SORT_REMOTE: {
		int r = memcmp(a->k.remote, b->k.remote, sizeof(a->k.remote));
		return r ? r : (int)a->k.rport - (int)b->k.rport;
	}
	}
	return 0;
}

/* ties in the key's order, so that a listing is the same every time */
static int cmp(const void *pa, const void *pb)
{
	const struct ta_closed *a = pa, *b = pb;
	int r = cmp_kind(a, b);

	return r ? r : memcmp(&a->k, &b->k, sizeof(a->k));
}

void ta_flow_sel_sort(const struct ta_flow_sel *s, struct ta_closed *f, size_t n)
{
	ta_flow_sort(s->sort, f, n);
}

void ta_flow_sort(int kind, struct ta_closed *f, size_t n)
{
	if (!kind || n < 2)
		return;
	sort_kind = kind;
	qsort(f, n, sizeof(*f), cmp);
}
