/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A live audit: loaded programs, attached interfaces, the flows userspace tracks. */
#ifndef TA_SESSION_H
#define TA_SESSION_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include "calls.h"
#include "dp.h"
#include "flows.h"
#include "jw.h"
#include "hooks.h"
#include "policy.h"
#include "evidence.h"
#include "tracker.h"

struct ta_rule_acc { /* per rule, over the session */
	uint64_t flows;
	uint64_t last_ns;
};


struct ta_flow_sel;
struct ta_ipfix;
struct ta_evw;

/* Calls and media health over the flows in the table at a tick: inside
 * clients by the path their media takes, and per rule the RTP packets
 * expected and lost and the largest jitter (metrics: bounded by rules) */
#define TA_MEDIA_TOP 4
struct ta_media_gauges {
	uint64_t calls[TA_PATH_MAX];
	uint64_t expected[TA_MAX_RULES], lost[TA_MAX_RULES];
	uint32_t jitter_us[TA_MAX_RULES]; /* TA_MEDIA_NO_JITTER: none known */
	/* the clients the live view lists: those that fell back first */
	struct ta_call top[TA_MEDIA_TOP];
	size_t ntop;
};

/* Events read ahead of their handling (a session's pipe) */
#define TA_EV_PIPE 8

struct ta_session {
	struct ta_dp dp;
	struct ta_jw jw;       /* event lines are written here, one after another */
	uint32_t track_cap[2]; /* flows each kernel table holds (IPv4 16-byte keys, others):
			       * tracked at most (0: not read yet) */
	size_t tracked_peak;   /* the most flows tracked at once */
	struct ta_policy pol;
	struct ta_policy prev_pol;    /* the policy before the last reload (its flows' labels) */
	const char *policy_path;      /* NULL: built-in */
	const char *labels[TA_MAX_RULES];
	const char *prev_labels[TA_MAX_RULES];
	struct ta_iface ifaces[TA_MAX_IFACES];
	int nifaces;
	int side, hook, xdp_mode;
	uint32_t dns_ttl_min, dns_ttl_max;
	bool enforce;
	FILE *out;
	struct ta_evw *evw;           /* serve: events go to the writer thread instead of out */
	bool json;
	const struct ta_flow_sel *sel; /* run --verdict...: the flows evented, shown and reported; NULL: all */
	uint64_t start_ns;
	/* tracking */
	struct ta_trk trk;            /* the flows this reader tracks */
	uint64_t walk;                /* number of the current walk */
	uint64_t walk_start_ns;       /* when the last walk began (0: none yet) */
	bool walk_verify;             /* the next walk looks every flow up */
	bool walk_wanted;             /* a walk now: the tracked flows passed 1.5 tables (ta_trk_bound) */
	uint64_t evicted, closed_idle, opened;
	struct ta_rule_acc rules[TA_MAX_RULES];
	struct ta_closed *keep;       /* unexpected/dropped flows that closed */
	size_t nkeep, capkeep;
	struct ring_buffer *rb;
	int drop_link_fd;             /* kfree_skb tracing, -1 when off */
	struct ta_evidence *evidence; /* --pcap */
	unsigned snaplen;
	uint64_t kdrop_events;
	uint64_t events_read;         /* ring events this reader consumed */
	uint64_t swept;               /* flows the tracker's sweep closed (walks look out for them) */
	/* a long walk (and its closing of what the tables pushed out) calls it
	 * now and then: serve answers scrapes and reads a bounded part of the
	 * ring, whose events may add and close tracked flows meanwhile */
	void (*yield)(void *arg);
	void *yield_arg;
	unsigned drain_budget;        /* events left to read in this drain (0: no bound) */
	/* events read, not handled yet: their tracked flows are fetched from
	 * memory meanwhile (empty between two reads of the ring) */
	struct ta_event pipe[TA_EV_PIPE];
	unsigned pipe_head, pipe_n;
	/* pinned mode (serve): one interface, its maps and programs the pin store's */
	bool pinned;
	bool adopted;                 /* the pins were there: flows and counters continue */
	struct ta_meta meta;          /* its labels and configuration, as pinned */
	char adopted_policy[256];     /* the adopted pins' policy file, reloaded by SIGHUP */
	struct ta_persist persist;    /* the reader's counters, kept in the pins */
	uint64_t active[TA_V_MAX][TA_STATE_MAX]; /* flows in the table at the last tick */
	uint64_t carrying[TA_CARRY_MAX];         /* of those, the ones carrying each kind */
	struct ta_media_gauges media;            /* calls and media health at the last tick */
	uint64_t table_flows;         /* entries in the flow table at the last tick */
	double walk_seconds;          /* how long the last walk took */
	uint64_t walks_deferred;      /* serve: walks put off while the ring held a backlog */
	unsigned hooks_missing;       /* serve: a bit per enum ta_hook_watch missing at the last check */
	uint64_t hook_restores[TA_HK_MAX]; /* serve: put back since it started */
	double hook_restored;         /* ...the last time (Unix seconds), 0: never */
	uint64_t hook_retry_ns;       /* serve: a failed put-back is tried again from then on */
	uint32_t recent_next;         /* serve: the slot of ta_recent the next closed flow goes to */
	double reload_refused_at;     /* the last reload was refused then (Unix s); 0: it went in */
	struct ta_ipfix *ipfix;       /* serve --ipfix: flow records, NULL: none */
	uint64_t ipfix_active_ns;     /* a long flow's records this often */
};

/* Before opening: how and where it audits (run's and serve's options) */
void ta_session_setup(struct ta_session *s, const struct ta_attach_opts *o, bool enforce,
		      const struct ta_iface *ifaces, int nifaces);
/* Load the policy, open and configure the programs (no attach yet). */
int ta_session_open(struct ta_session *s, const char *policy, unsigned flows);
/* Pinned mode (serve): attach s->ifaces[0] through the pin store, adopting
 * what an earlier serve or attach left there (flows and counters continue;
 * its policy too unless policy is given), with events on, and open its maps
 * and ring buffer.  Nothing to call ta_session_attach for. */
int ta_session_open_pinned(struct ta_session *s, const char *policy, unsigned flows);
/* Pinned mode: pick up a reload made by another command (new labels). */
void ta_session_refresh(struct ta_session *s);
/* IPFIX: the last records of every flow in the table (serve stops) */
void ta_session_ipfix_final(struct ta_session *s);
/* Pinned mode: save the reader's counters in the pins. */
void ta_session_persist(struct ta_session *s);

/* Attach to every interface of s->ifaces; undoes everything on failure. */
int ta_session_attach(struct ta_session *s);
void ta_session_close(struct ta_session *s);   /* detach, unload, free */
/* Replace the policy (SIGHUP / reload); the old one stays on error. */
int ta_session_reload(struct ta_session *s);
/* Wait for events up to timeout_ms and read them (handled on return, as
 * ta_session_consume): emits JSON events when s->json. */
int ta_session_poll(struct ta_session *s, int timeout_ms);
/* Read what the ring holds, without waiting (up to a bounded drain's
 * share, drain_budget, when set): every event read is handled on return */
int ta_session_consume(struct ta_session *s);
/* What the event callback returns when a bounded drain has read its share */
#define TA_DRAIN_DONE (-EAGAIN)
#define TA_DRAIN_BATCH 4096
int ta_session_tick(struct ta_session *s);
/* The live screen and the compliance report (report.c) */
void ta_session_screen(struct ta_session *s, FILE *f);
/* all: endpoint discards in the Why section too */
void ta_session_report(struct ta_session *s, FILE *f, bool json, bool all);

/* Flows the session tracks now */
unsigned ta_session_open_flows(const struct ta_session *s);
/* The name of one of the session's interfaces, or NULL */
const char *ta_session_iface_name(const struct ta_session *s, uint32_t ifindex);
/* Fill the label tables from s->pol and s->prev_pol */
void ta_session_labels(struct ta_session *s);
/* How to read the session's flows now */
struct ta_flow_ctx ta_session_ctx(struct ta_session *s);

#endif
