/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The long-running audit (tokaudit serve): one pinned session per
 * interface, the ring buffers and the metrics endpoint in one event loop,
 * JSON events written by a thread of their own (evwriter.h) to a file that
 * SIGUSR1 reopens, the policy reread on SIGHUP, systemd notification.
 * Counters live in the pins, so a restart (or a crash) loses nothing.
 */
#ifndef TA_SERVE_H
#define TA_SERVE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include "hooks.h"
#include "ipfix.h"

struct ta_serve_opts {
	struct ta_iface ifaces[TA_MAX_IFACES];
	int nifaces;
	struct ta_attach_opts o;
	const char *policy;      /* NULL: the adopted pins' policy, or the built-in one */
	unsigned flows;          /* flow table entries (first attach) */
	double interval;         /* seconds between walks of the flow table */
	const char *metrics;     /* [ADDR:]PORT as given, or NULL: no endpoint */
	struct sockaddr_storage metrics_sa; /* it, parsed (ta_listen_parse) */
	socklen_t metrics_len;
	const char *events;      /* JSON events to this file; NULL or "-": stdout */
	bool keep_attached;      /* on SIGTERM/SIGINT leave the programs auditing */
	struct ta_ipfix_opts ipfix; /* flow records to these collectors (ipfix.n 0: none) */
};

/* Signals the caller's handlers set */
struct ta_serve_signals {
	volatile sig_atomic_t stop;
	volatile sig_atomic_t hup;   /* reread the policy */
	volatile sig_atomic_t usr1;  /* reopen the events file */
};

/* Run until *stop.  TA_SERVE_OK on a clean stop, TA_SERVE_BAD_CONFIG when
 * the policy file or the events file will not do (the command exits
 * TA_EXIT_CONFIG), TA_SERVE_FAIL on any other failure (each said in one line). */
enum { TA_SERVE_OK, TA_SERVE_FAIL, TA_SERVE_BAD_CONFIG };
int ta_serve(const struct ta_serve_opts *so, struct ta_serve_signals *sig);

#endif
