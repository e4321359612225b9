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
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "policy.h"

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
	return 0;
}

void ta_compiled_free(struct ta_compiled *c)
{
	free(c->lpm);
	free(c->ports);
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
		ta_err("%s: cannot compile the policy: %s", who, strerror(-err));
		ta_policy_free(pol);
		return err;
	}
	for (size_t i = 0; i < pol->nrules; i++)
		if (!pol->rules[i].nprefixes)
			ta_info("rule %s: server names and no address: packets are judged by address, so none matches "
				"it (README \"Server names\")",
				pol->rules[i].label);
	return 0;
}
