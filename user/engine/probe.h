/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The probe engine: server names expanded and resolved, checks planned from
 * a policy, run in parallel with bounded time, failures explained by the
 * attached auditor, results as JSON.  No printing.
 */
#ifndef TA_PROBE_H
#define TA_PROBE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include "policy.h"

/* ---- names ---- */
/* name -> address pairs, /etc/hosts format */
struct ta_hosts {
	char **names;
	char **addrs;
	size_t n;
};
int ta_hosts_load(const char *path, struct ta_hosts *h);
void ta_hosts_free(struct ta_hosts *h);
/* Addresses of name, from h when given, else DNS; how many (0: none) */
int ta_resolve(const char *name, const struct ta_hosts *h, char addrs[][64], int max);

/* ---- checks ---- */
enum { TA_PR_NOTRUN, TA_PR_OK, TA_PR_REFUSED, TA_PR_TIMEOUT, TA_PR_UNREACH, TA_PR_DNS, TA_PR_OPENFILT, TA_PR_ERROR,
       TA_PR_NOHOST, TA_PR_MAX };
extern const char *const ta_probe_result_names[];

struct ta_check {
	int rule;
	char name[TA_NAME_MAX + 1];
	char addr[64];
	int proto; /* TA_IPPROTO_TCP or TA_IPPROTO_UDP */
	int port;
	int result;
	double ms;
	int icmp_type, icmp_code;
	char icmp_from[64];
	char detail[128];
	int lport;
	bool retried;      /* tried again, alone, after a silence an ICMP rate limit may explain */
	char auditor[768];
};

struct ta_probe {
	struct ta_check *c;
	size_t n, cap, next;
	pthread_mutex_t lock;
	double timeout;                  /* per check, seconds */
	uint64_t deadline_ns;            /* CLOCK_MONOTONIC bound of the whole run */
	volatile sig_atomic_t *stop;     /* set (by a signal) to stop early */
	bool oom;
};

/* The checks of every rule (or the one labelled rule) of pol: each name's
 * addresses on the rule's ports (wide TCP ranges at their ends, UDP at the
 * udp ports in range).  -ENOENT: no such rule. */
int ta_probe_plan(struct ta_probe *r, const struct ta_policy *pol, const char *rule, const struct ta_hosts *hosts,
		  const int *udp, int nudp);
/* Run the planned checks, 'parallel' at once. */
void ta_probe_execute(struct ta_probe *r, unsigned parallel);
/* Failed checks: what the auditor attached on this host saw of them. */
void ta_probe_explain(struct ta_probe *r);
/* The run as JSON (README "probe"): tool, started, policy, policy_rules,
 * checks, summary. */
json_object *ta_probe_json(const struct ta_probe *r, const struct ta_policy *pol, const char *policy_name,
			   double started);
void ta_probe_free(struct ta_probe *r);

#endif
