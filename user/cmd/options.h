/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Option sets several commands share (run, attach, serve...): a command
 * embeds struct ta_attach_cli in its config and TA_ATTACH_OPTS in its table.
 */
#ifndef TA_OPTIONS_H
#define TA_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include "cli.h"
#include "dp.h"
#include "hooks.h"

extern const char *const ta_side_values[];     /* outside, inside: enum ta_side */
extern const char *const ta_hook_values[];     /* xdp, tc: enum ta_hook_kind */
extern const char *const ta_xdp_mode_values[]; /* native, skb: enum ta_xdp_mode - 1 */

struct ta_attach_cli {
	struct ta_iface_list ifaces;
	int side, hook, xdp_mode; /* -1: not given */
	double dns_ttl_min, dns_ttl_max; /* 0: not given */
};

#define TA_ATTACH_OPTS(CFG, F)                                                                                         \
	{ "interface",        'i',                                                                                     \
	  TA_OPT_IFACES,      offsetof(CFG, F.ifaces),                                                                 \
	  "IFACE[,IFACE...]", "interfaces to audit (required)",                                                        \
	  .required = true },                                                                                          \
		{ "side",                                                                                              \
		  's',                                                                                                 \
		  TA_OPT_ENUM,                                                                                         \
		  offsetof(CFG, F.side),                                                                               \
		  "outside|inside",                                                                                    \
		  "the interfaces face the outside (default) or the protected network",                                \
		  .values = ta_side_values },                                                                          \
		{ "hook",                                                                                              \
		  0,                                                                                                   \
		  TA_OPT_ENUM,                                                                                         \
		  offsetof(CFG, F.hook),                                                                               \
		  "xdp|tc",                                                                                            \
		  "ingress hook: XDP (default) or tc",                                                                 \
		  .values = ta_hook_values },                                                                          \
		{ "xdp-mode",                                                                                          \
		  0,                                                                                                   \
		  TA_OPT_ENUM,                                                                                         \
		  offsetof(CFG, F.xdp_mode),                                                                           \
		  "native|skb",                                                                                        \
		  "XDP mode (default native, falling back to skb)",                                                    \
		  .values = ta_xdp_mode_values },                                                                      \
		{ "dns-ttl-min",                                                                                       \
		  0,                                                                                                   \
		  TA_OPT_DOUBLE,                                                                                       \
		  offsetof(CFG, F.dns_ttl_min),                                                                        \
		  "SECONDS",                                                                                           \
		  "an address learned from DNS counts for its TTL, at least this long (default " TA_STR(               \
			  TA_DNS_TTL_MIN) " s)",                                                                       \
		  1,                                                                                                   \
		  31536000 },                                                                                          \
	{                                                                                                              \
		"dns-ttl-max", 0, TA_OPT_DOUBLE, offsetof(CFG, F.dns_ttl_max), "SECONDS",                              \
			"and at most this long (default " TA_STR(TA_DNS_TTL_MAX) " s)", 1, 31536000                    \
	}

/* Before parsing: nothing given yet. */
void ta_attach_cli_init(struct ta_attach_cli *c);
/* After parsing: defaults, cross-checks, the result in o.  0, or
 * TA_EXIT_USAGE after one line naming the command. */
int ta_attach_cli_resolve(const char *cmd, const struct ta_attach_cli *c, struct ta_attach_opts *o);

/* -i of the commands that read the pins (status, stats, flows, why, reload):
 * a list of interfaces, by default every attached one */
#define TA_PINS_IFACE_OPT(CFG, F)                                                                                      \
	{                                                                                                              \
		"interface", 'i', TA_OPT_STR, offsetof(CFG, F), "IFACE[,IFACE...]",                                    \
			"only these interfaces (default: every attached one)"                                          \
	}

/* --since: the unexpected or blocked flows serve saw close lately, kept in
 * the pins after they left the flow table (ta_recent); flows and why */
#define TA_SINCE_OPT(CFG, F)                                                                              \
	{ "since", 0, TA_OPT_DOUBLE, offsetof(CFG, F), "SECONDS",                                         \
	  "also the unexpected or blocked flows that closed this long ago or less (e.g. 10m; serve keeps the " \
	  "last 1024)", 1, 31536000 }
/* The wall-clock time, in ns since the epoch, that many seconds ago */
uint64_t ta_since_unix_ns(double seconds_ago);

#endif
