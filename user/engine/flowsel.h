/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which flows to show and in what order: --verdict, --rule, --remote,
 * --proto, --state, --sort, --limit, shared by the commands that list flows.
 */
#ifndef TA_FLOWSEL_H
#define TA_FLOWSEL_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include "flows.h"

enum ta_flow_sort { TA_SORT_NONE, TA_SORT_BYTES, TA_SORT_PACKETS, TA_SORT_IDLE, TA_SORT_AGE, TA_SORT_REMOTE };

/* The options as given (strings, NULL when absent) */
struct ta_flow_sel_args {
	const char *verdict, *rule, *proto, *state, *sort;
	struct ta_remote remote;
	unsigned limit;
};

struct ta_flow_sel {
	unsigned verdicts;   /* bit per enum ta_verdict, bit TA_SEL_DROPPED; 0: any */
	const char *rules;   /* comma-separated labels, NULL: any */
	struct ta_remote remote;
	int proto;           /* IP protocol number, -1: any */
	unsigned states;     /* bit per enum ta_fstate; 0: any */
	int sort;            /* enum ta_flow_sort */
	unsigned limit;      /* 0: all */
};
#define TA_SEL_DROPPED 31 /* "dropped": policy drops or kernel blocks on the flow */

/* Check and convert; on a bad value, err says which and what is accepted. */
int ta_flow_sel_init(struct ta_flow_sel *s, const struct ta_flow_sel_args *a, char *err, size_t len);
bool ta_flow_sel_match(const struct ta_flow_sel *s, const struct ta_flow_ctx *c, const struct ta_flow_key *k,
		       const struct ta_flow_val *v);
/* One packet (replay --packets): its verdict, whether it was dropped, its
 * rule and ends (k: proto, remote, rport); --state does not apply. */
bool ta_flow_sel_match_packet(const struct ta_flow_sel *s, const struct ta_flow_ctx *c, int verdict, bool dropped,
			       uint32_t rule, const struct ta_flow_key *k);
/* Order flows (struct ta_closed: key and value) as s->sort says. */
void ta_flow_sel_sort(const struct ta_flow_sel *s, struct ta_closed *f, size_t n);
/* Order by kind (enum ta_flow_sort); ties in the order of their keys. */
void ta_flow_sort(int kind, struct ta_closed *f, size_t n);

/* The words an option of TA_FLOW_SEL_OPTS takes (opt: "verdict", "state",
 * "proto", "sort"), one a line, for shell completion ('tokaudit __values
 * OPT'); -1 for another option */
int ta_flow_sel_values(const char *opt, FILE *f);

/* The option table entries, for a command's options (cfg holds a
 * struct ta_flow_sel_args at offset off) */

#define TA_FLOW_SEL_OPTS(off)                                                                         \
	{ "verdict", 0, TA_OPT_STR, (off) + offsetof(struct ta_flow_sel_args, verdict), "V[,V...]",     \
	  "only flows with these verdicts: allowed, unexpected, other, dropped" },                     \
	{ "rule", 0, TA_OPT_STR, (off) + offsetof(struct ta_flow_sel_args, rule), "LABEL[,LABEL...]",  \
	  "only flows of these rules" },                                                               \
	{ "remote", 'r', TA_OPT_REMOTE, (off) + offsetof(struct ta_flow_sel_args, remote),             \
	  "ADDR[/LEN][:PORT]", "only flows with this remote end; IPv6 with a port: [ADDR]:PORT" },      \
	{ "proto", 0, TA_OPT_STR, (off) + offsetof(struct ta_flow_sel_args, proto), "P",               \
	  "only this protocol: tcp, udp, icmp, icmp6 or a number" },                                   \
	{ "state", 0, TA_OPT_STR, (off) + offsetof(struct ta_flow_sel_args, state), "S[,S...]",         \
	  "only flows in these states (two-way, one-way-out, established, refused, ...)" },            \
	{ "sort", 0, TA_OPT_STR, (off) + offsetof(struct ta_flow_sel_args, sort), "FIELD",             \
	  "order: bytes, packets (most first), idle (least first), age (oldest first), remote" },      \
	{ "limit", 'n', TA_OPT_UINT, (off) + offsetof(struct ta_flow_sel_args, limit), "N",            \
	  "at most N flows (after sorting)", .max = 100000000 }

#endif
