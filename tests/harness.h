/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Shared helpers for the tests that load the BPF programs. */
#ifndef TA_TEST_HARNESS_H
#define TA_TEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "dp.h"
#include "policy.h"

/* Policy used by the datapath tests: the built-in rules first, in their
 * order, then rules that exercise what the built-in one does not. */
#define TA_TEST_POLICY_EXTRA                                           \
	"rule v6media\n proto udp\n ports 1025-65535\n dir both\n"     \
	" addr 2001:db8:100::/48\n"                                    \
	"rule v6ctl\n proto tcp\n ports 443\n dir both\n"              \
	" addr 2001:db8:100::/48\n"                                    \
	"rule ping\n proto icmp\n dir both\n addr 198.51.100.0/24\n"   \
	"rule pin\n proto tcp\n ports 22\n dir out\n addr 70.42.47.70\n" \
	"rule inonly\n proto tcp\n ports 8443\n dir in\n addr 203.0.113.0/24\n" \
	"rule udpout\n proto udp\n ports 3478\n dir out\n addr 100.64.7.0/24\n" \
	"rule pingout\n proto icmp\n dir out\n addr 100.64.8.0/24\n"       \
	"rule udpin\n proto udp\n ports 5353\n dir in\n addr 100.64.9.0/24\n" \
	"rule hlg6\n proto tcp\n ports 443\n dir out\n addr 2001:db8:72::1/128\n"

/* Root is needed to load BPF.  Outside CI a missing privilege is a visible
 * SKIP; under CI=true it is a failure, since CI runs as root. */
static inline int ta_need_root(void)
{
	if (geteuid() == 0)
		return 1;
	if (getenv("CI") && !strcmp(getenv("CI"), "true")) {
		fprintf(stderr, "FAIL: needs root, and CI must not skip\n");
		fail();
	}
	fprintf(stderr, "SKIP: needs root to load BPF programs\n");
	skip();
	return 0;
}

/* Built-in policy text + extra, parsed and compiled. */
static inline void ta_test_policy(struct ta_policy *pol, struct ta_compiled *c, const char *extra)
{
	size_t blen;
	const char *b = ta_policy_builtin_text(&blen);
	size_t elen = extra ? strlen(extra) : 0;
	char *t = malloc(blen + elen + 2);
	struct ta_diags d = { 0 };

	assert_non_null(t);
	memcpy(t, b, blen);
	t[blen] = '\n';
	memcpy(t + blen + 1, extra ? extra : "", elen);
	int r = ta_policy_parse(t, blen + 1 + elen, "test", pol, &d);
	if (r)
		ta_diags_print(&d, stderr);
	assert_int_equal(r, 0);
	ta_diags_free(&d);
	free(t);
	assert_int_equal(ta_policy_compile(pol, c), 0);
}

/* The built-in policy in a datapath that keeps each packet's result, its
 * XDP hook facing the outside (in) and tc the inside (out): -1 when the
 * programs do not load */
static inline int ta_test_dp(struct ta_policy *pol, struct ta_compiled *comp, struct ta_dp *dp)
{
	struct ta_dp_opts o = { .record_last = true, .xdp_dir_mode = TA_DM_IN, .tc_dir_mode = TA_DM_OUT };

	ta_test_policy(pol, comp, NULL);
	if (ta_dp_open(dp, &o))
		return -1;
	assert_int_equal(ta_dp_set_policy(dp, comp), 0);
	return 0;
}

static inline int ta_rule_index(const struct ta_policy *pol, const char *label)
{
	if (!label)
		return -1;
	for (size_t i = 0; i < pol->nrules; i++)
		if (!strcmp(pol->rules[i].label, label))
			return (int)i;
	fail_msg("no rule '%s' in the test policy", label);
	return -1;
}

#endif
