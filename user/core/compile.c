// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Policy compiler: parsed rules -> images of the kernel maps.
 *
 * LPM: one entry per distinct prefix, whose value is the set of rules of that
 * prefix *and of every prefix covering it*: an LPM trie returns only the
 * longest match, so a /32 of one rule inside a /26 of another must carry
 * both rules itself.  Done in O(n log n): sort by address then length, and
 * sweep with a stack of the prefixes that contain the current one.
 *
 * Ports: per protocol class and direction, a 65536-entry table of rule masks.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "policy.h"
#include "util.h"

static int prefix_cmp(const void *a, const void *b)
{
	const struct ta_lpm_entry *x = a, *y = b;
	int c = memcmp(x->prefix.addr, y->prefix.addr, 16);

	if (c)
		return c;
	return (int)x->prefix.len - (int)y->prefix.len;
}

/* Does p contain q? */
static int prefix_covers(const struct ta_prefix *p, const struct ta_prefix *q)
{
	int full = p->len / 8, rem = p->len % 8;

	if (p->len > q->len)
		return 0;
	if (memcmp(p->addr, q->addr, full))
		return 0;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));
		if ((p->addr[full] & mask) != (q->addr[full] & mask))
			return 0;
	}
	return 1;
}

static int addr_in(const struct ta_prefix *p, const uint8_t addr[16])
{
	struct ta_prefix q;

	memcpy(q.addr, addr, 16);
	q.len = 128;
	return prefix_covers(p, &q);
}

/* ---- server names: the datapath's keys ---- */

struct name_acc {
	struct ta_name_entry *e;
	size_t n, cap;
	uint32_t kind;
	uint64_t rules;
	int err;
};

static void add_name(const char *name, void *arg)
{
	struct name_acc *a = arg;
	size_t len = strlen(name);

	if (len && name[len - 1] == '.')
		len--;
	if (a->err || ta_grow(&a->e, &a->cap, a->n, sizeof(*a->e), 64)) {
		a->err = -ENOMEM;
		return;
	}
	a->e[a->n++] = (struct ta_name_entry){ a->kind, ta_name_hash(name, len), a->rules };
}

static int name_cmp(const void *x, const void *y)
{
	const struct ta_name_entry *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	return a->hash < b->hash ? -1 : a->hash > b->hash;
}

/* Every name a pattern spells out (kind EXACT) and every suffix after a
 * leading '*' (kind SUFFIX, the dot kept), sorted, one entry per key */
static int compile_names(const struct ta_policy *p, struct ta_compiled *c)
{
	struct name_acc a = { 0 };
	size_t m = 0;

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ta_rule *r = &p->rules[i];

		a.rules = 1ull << i;
		for (size_t j = 0; j < r->nnames; j++) {
			bool wild = ta_name_is_wildcard(r->names[j]);

			a.kind = wild ? TA_NAME_SUFFIX : TA_NAME_EXACT;
			ta_names_expand(r->names[j] + (wild ? 1 : 0), add_name, &a);
		}
	}
	if (a.err) {
		free(a.e);
		return a.err;
	}
	if (a.n)
		qsort(a.e, a.n, sizeof(*a.e), name_cmp);
	for (size_t i = 0; i < a.n; i++) {
		if (m && !name_cmp(&a.e[m - 1], &a.e[i]))
			a.e[m - 1].rules |= a.e[i].rules;
		else
			a.e[m++] = a.e[i];
	}
	if (m > TA_NAME_KEYS) {
		free(a.e);
		return -E2BIG;
	}
	c->names = a.e;
	c->nnames = m;
	return 0;
}

static uint64_t name_rules(const struct ta_compiled *c, uint32_t kind, uint64_t hash)
{
	struct ta_name_entry k = { kind, hash, 0 }, *e;

	if (!c->nnames)
		return 0;
	e = bsearch(&k, c->names, c->nnames, sizeof(k), name_cmp);
	return e ? e->rules : 0;
}

uint64_t ta_compiled_name_rules(const struct ta_compiled *c, const char *name)
{
	size_t n = strlen(name);
	uint64_t h = TA_FNV_BASIS, rules = 0;
	unsigned dots = 0;

	if (n && name[n - 1] == '.')
		n--;
	for (size_t i = n; i-- > 0;) {
		h = ta_fnv_step(h, (uint8_t)tolower((unsigned char)name[i]));
		if (name[i] == '.' && dots < TA_NAME_SUFFIXES) {
			dots++;
			rules |= name_rules(c, TA_NAME_SUFFIX, h);
		}
	}
	return rules | name_rules(c, TA_NAME_EXACT, h);
}

int ta_policy_compile(const struct ta_policy *p, struct ta_compiled *c)
{
	size_t total = 0, n = 0;
	struct ta_lpm_entry *e, **stack = NULL;
	size_t depth = 0;

	memset(c, 0, sizeof(*c));
	if (p->nrules > TA_MAX_RULES)
		return -E2BIG;
	for (size_t i = 0; i < p->nrules; i++)
		total += p->rules[i].nprefixes;
	if (total > TA_MAX_PREFIXES)
		return -E2BIG;

	c->ports = calloc((size_t)TA_PC_MAX * TA_DIR_MAX * TA_PORTS, sizeof(uint64_t));
	e = calloc(total ? total : 1, sizeof(*e));
	stack = calloc(130, sizeof(*stack)); /* nesting depth is at most 129 lengths */
	if (!c->ports || !e || !stack) {
		free(e);
		free(stack);
		ta_compiled_free(c);
		return -ENOMEM;
	}

	for (size_t i = 0; i < p->nrules; i++) {
		const struct ta_rule *r = &p->rules[i];
		uint64_t bit = 1ull << i;

		for (size_t j = 0; j < r->nprefixes; j++) {
			e[n].prefix = r->prefixes[j];
			e[n].rules = bit;
			n++;
		}
		for (int d = 0; d < TA_DIR_MAX; d++) {
			if (!(r->dir & (1u << d)))
				continue;
			if (r->pclass == TA_PC_ICMP) {
				TA_CPORT(c, TA_PC_ICMP, d, 0) |= bit;
				continue;
			}
			for (size_t j = 0; j < r->nranges; j++)
				for (uint32_t port = r->ranges[j].lo; port <= r->ranges[j].hi; port++)
					TA_CPORT(c, r->pclass, d, port) |= bit;
		}
	}

	qsort(e, n, sizeof(*e), prefix_cmp);
	/* merge identical prefixes */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && !prefix_cmp(&e[m - 1], &e[i]))
			e[m - 1].rules |= e[i].rules;
		else
			e[m++] = e[i];
	}
	/* fold covering prefixes into the ones they contain */
	for (size_t i = 0; i < m; i++) {
		while (depth && !prefix_covers(&stack[depth - 1]->prefix, &e[i].prefix))
			depth--;
		if (depth)
			e[i].rules |= stack[depth - 1]->rules;
		stack[depth++] = &e[i];
	}
	free(stack);
	c->lpm = e;
	c->nlpm = m;
	int err = compile_names(p, c);
	if (err)
		ta_compiled_free(c);
	return err;
}

void ta_compiled_free(struct ta_compiled *c)
{
	free(c->lpm);
	free(c->ports);
	free(c->names);
	memset(c, 0, sizeof(*c));
}

uint64_t ta_compiled_lookup(const struct ta_compiled *c, const uint8_t addr[16])
{
	int best = -1;
	uint64_t rules = 0;

	for (size_t i = 0; i < c->nlpm; i++) {
		if (c->lpm[i].prefix.len > best && addr_in(&c->lpm[i].prefix, addr)) {
			best = c->lpm[i].prefix.len;
			rules = c->lpm[i].rules;
		}
	}
	return rules;
}

int ta_policy_get(const char *path, struct ta_policy *pol)
{
	struct ta_diags d = { 0 };
	int err;

	if (!path) {
		err = ta_policy_builtin(pol);
		if (err)
			ta_err("built-in policy: does not parse (error %d): this is a bug", err);
		return err ? -EINVAL : 0;
	}
	err = ta_policy_load(path, pol, &d);
	if (err) {
		ta_diags_print(&d, stderr);
		if (err > 0)
			ta_err("%s: %d error%s, policy not loaded", path, err, err == 1 ? "" : "s");
	}
	ta_diags_free(&d);
	return err ? -EINVAL : 0;
}

#ifndef TA_SYSCONFDIR
#define TA_SYSCONFDIR "/etc"
#endif

const char *ta_policy_installed(void)
{
	return TA_SYSCONFDIR "/tokaudit/opentok.policy";
}

const char *ta_policy_default(void)
{
	const char *e = getenv("TOKAUDIT_POLICY");

	if (e && *e)
		return strcmp(e, "built-in") ? e : NULL;
	return access(ta_policy_installed(), F_OK) ? NULL : ta_policy_installed();
}

int ta_policy_load_compiled(const char *who, const char *path, struct ta_policy *pol, struct ta_compiled *comp)
{
	int err;

	memset(comp, 0, sizeof(*comp));
	if (ta_policy_get(path, pol))
		return -EINVAL;
	if ((err = ta_policy_compile(pol, comp))) {
		if (err == -E2BIG)
			ta_err("%s: the policy is too large: over %d rules, %d prefixes or %d server names (their [..] "
			       "classes spelt out)",
			       who, TA_MAX_RULES, TA_MAX_PREFIXES, TA_NAME_KEYS);
		else
			ta_err("%s: cannot compile the policy: %s", who, strerror(-err));
		ta_policy_free(pol);
		return err;
	}
	return 0;
}
