/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Who audits an interface: a running 'serve' (and the systemd unit it runs
 * under), a running 'run', pins left by 'attach', or hooks with nothing
 * behind them.  serve and run each hold a lock per interface, an abstract
 * socket the kernel releases however the process ends; another command
 * finds its process through /proc/net/unix, so a refusal can name it.
 */
#ifndef TA_OWNER_H
#define TA_OWNER_H

#include <stdbool.h>
#include <stddef.h>

enum ta_owner_kind {
	TA_OWNER_NONE = 0,
	TA_OWNER_SERVE,  /* a running serve (under a unit or by hand) */
	TA_OWNER_RUN,    /* a running run */
	TA_OWNER_PINS,   /* pins (attach, serve --keep-attached), no serve */
	TA_OWNER_HOOKS,  /* tokaudit's hooks with no process or pins behind them */
};

struct ta_owner {
	enum ta_owner_kind kind;
	int pid;          /* serve, run: 0 when it cannot be found (another PID namespace) */
	char unit[128];   /* serve under systemd: its unit, "" else */
};

/* Take the lock of a serve or a run on ifname: an fd to keep open, or -1
 * with errno EADDRINUSE when one holds it already (nothing said). */
int ta_owner_lock(enum ta_owner_kind kind, const char *ifname);
/* Who audits ifname (index ifindex, 0: unknown) in this network namespace */
void ta_owner_of(const char *ifname, int ifindex, struct ta_owner *o);
/* "tokaudit.service (pid 123)", "'tokaudit run' (pid 456)"... */
const char *ta_owner_str(const struct ta_owner *o, char *buf, size_t len);
/* A command that would attach on ifname (cmd names it in the message): 0
 * when no serve or run audits it there; else one line saying who does and
 * what to do instead, and -EBUSY.  no_pins: the command attaches without
 * the pin store (run), so pins or leftover hooks are in its way too. */
int ta_owner_refuse_attach(const char *cmd, const char *ifname, int ifindex, bool no_pins);

#endif
