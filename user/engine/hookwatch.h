/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * serve's watch over its own pins and hooks, at every walk: what another
 * command removed (run's exit, detach --force, tc qdisc del) is said in the
 * journal and a "hook" event, and put back with the same maps, so counters
 * and flows go on; what cannot be (another XDP program in the way) is
 * tried again every few seconds.  The session keeps what is missing and how
 * often each was put back, for the metrics and the status line.
 */
#ifndef TA_HOOKWATCH_H
#define TA_HOOKWATCH_H

#include <stddef.h>

struct ta_session;
struct ta_attach_opts;
struct ta_evw;

/* One session's check (o: how serve attaches, events on) */
void ta_hookwatch(struct ta_session *s, const struct ta_attach_opts *o, unsigned flows, struct ta_evw *evw);
/* "pins, xdp" for a bit set of enum ta_hook_watch */
void ta_hook_list(unsigned bits, char *buf, size_t len);

#endif
