// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The long-running audit: see serve.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <systemd/sd-daemon.h>
#include "evwriter.h"
#include "hookwatch.h"
#include "httpd.h"
#include "ipfix.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "owner.h"
#include "pinstore.h"
#include "sdunit.h"
#include "serve.h"
#include "clock.h"
#include "session.h"

struct serve {
	const struct ta_serve_opts *so;
	struct ta_session *s[TA_MAX_IFACES];
	int n;
	int lock_fd[TA_MAX_IFACES];
	struct ta_evw *evw;        /* the events, written by a thread of their own */
	struct ta_httpd *http;
	struct ta_ipfix *ipfix;
	int ep;
	uint64_t watchdog_us;
	bool deferring;    /* a due walk waits for the rings' backlog */
	uint64_t yield_ns; /* time walks gave to the rings and scrapes */
};

/* One serve per interface (owner.h), and none where a run audits */
static int serve_lock(const char *ifname, int ifindex)
{
	struct ta_owner o;
	char who[200];
	int fd = ta_owner_lock(TA_OWNER_SERVE, ifname);

	if (fd < 0 && errno == EADDRINUSE) {
		ta_owner_of(ifname, ifindex, &o);
		ta_err("serve: another tokaudit serve is already auditing %s: %s", ifname,
		       ta_owner_str(&o, who, sizeof(who)));
	} else if (fd < 0) {
		ta_err("serve: cannot take the lock of %s: %s", ifname, strerror(errno));
	} else if (ta_owner_refuse_attach("serve", ifname, ifindex, false)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void started(struct serve *v)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	ta_jadd(o, "event", ta_jstr("started"));
	ta_jtime(o, "time", ta_ktime_to_unix(ta_now_ns()));
	for (int i = 0; i < v->n; i++) {
		struct ta_session *s = v->s[i];
		json_object *x = json_object_new_object();

		ta_jadd(x, "name", ta_jstr(s->ifaces[0].name));
		ta_jadd(x, "ifindex", ta_ju64((uint64_t)s->ifaces[0].ifindex));
		ta_jadd(x, "xdp", s->meta.xdp_mode ? ta_jstr(s->meta.xdp_mode == TA_XDP_SKB ? "skb" : "native") : NULL);
		ta_jadd(x, "adopted", ta_jbool(s->adopted));
		ta_jadd(x, "generation", ta_ju64(s->dp.generation));
		ta_jadd(x, "policy", ta_jstr(s->meta.policy));
		json_object_array_add(a, x);
	}
	ta_jadd(o, "interfaces", a);
	ta_jadd(o, "side", ta_jstr(v->so->o.side == TA_SIDE_OUTSIDE ? "outside" : "inside"));
	ta_jadd(o, "hook", ta_jstr(v->so->o.hook == TA_HOOK_TC ? "tc" : "xdp"));
	ta_jadd(o, "enforce", ta_jbool(v->so->o.enforce));
	ta_jadd(o, "policy", ta_jstr(v->n ? v->s[0]->meta.policy : "built-in"));
	ta_jadd(o, "generation", ta_ju64(v->n ? v->s[0]->dp.generation : 0));
	ta_jadd(o, "rules", ta_ju64(v->n ? v->s[0]->meta.nrules : 0));
	{
		const char *t = ta_jtext(o);

		ta_evw_put(v->evw, t, strlen(t));
	}
	json_object_put(o);
}

static char *metrics_page(void *arg, size_t *len)
{
	struct serve *v = arg;

	return ta_metrics_text(v->s, v->n, v->ipfix, v->evw, len);
}

static int epoll_add(int ep, int fd)
{
	struct epoll_event e = { .events = EPOLLIN, .data.fd = fd };

	return fd < 0 ? -1 : epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static void clock_str(double unix_s, char *buf, size_t len)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S UTC", &tm);
}

/* The status line's word on reloads and hooks: a refused reload until one
 * goes in; hooks missing now, else what was put back and when; "" when
 * nothing of the kind happened */
static const char *status_hooks(const struct serve *v, char *buf, size_t len)
{
	char what[80], when[32];
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < v->n && off < len; i++) {
		const struct ta_session *s = v->s[i];
		uint64_t n = 0;

		for (int k = 0; k < TA_HK_MAX; k++)
			n += s->hook_restores[k];
		if (s->reload_refused_at) {
			clock_str(s->reload_refused_at, when, sizeof(when));
			off += (size_t)snprintf(buf + off, len - off, "; %s: reload REFUSED %s, generation %u stays",
						s->ifaces[0].name, when, s->dp.generation);
		}
		if (s->hooks_missing) {
			ta_hook_list(s->hooks_missing, what, sizeof(what));
			off += (size_t)snprintf(buf + off, len - off, "; %s: %s MISSING", s->ifaces[0].name, what);
		} else if (n) {
			clock_str(s->hook_restored, when, sizeof(when));
			off += (size_t)snprintf(buf + off, len - off, "; %s: hooks put back %llu time(s), last %s",
						s->ifaces[0].name, (unsigned long long)n, when);
		}
	}
	return buf;
}

static void notify_status(struct serve *v)
{
	char note[400];
	struct ta_count vs[TA_VSTAT_MAX];
	uint64_t pk[TA_V_MAX] = { 0 }, flows = 0;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	for (int i = 0; i < v->n; i++) {
		if (ta_dp_vstats(&v->s[i]->dp, vs))
			continue;
		for (int k = 0; k < TA_V_MAX; k++)
			pk[k] += ta_vstat_total(vs, k).packets;
		flows += v->s[i]->table_flows;
	}
	sd_notifyf(0, "STATUS=%d interface(s); packets allowed %llu, unexpected %llu, other %llu, invalid %llu; "
		      "flows %llu%s",
		   v->n, (unsigned long long)pk[TA_V_ALLOWED], (unsigned long long)pk[TA_V_UNEXPECTED],
		   (unsigned long long)pk[TA_V_OTHER], (unsigned long long)pk[TA_V_INVALID],
		   (unsigned long long)flows, status_hooks(v, note, sizeof(note)));
}

static void tick(struct serve *v)
{
	struct ta_attach_opts o = v->so->o;

	o.events = true;
	for (int i = 0; i < v->n; i++) /* what another command removed is put back */
		ta_hookwatch(v->s[i], &o, v->so->flows, v->evw);
	for (int i = 0; i < v->n; i++) {
		ta_session_refresh(v->s[i]);
		ta_session_tick(v->s[i]);
		ta_session_persist(v->s[i]);
	}
	ta_ipfix_flush(v->ipfix); /* this walk's records out now */
	notify_status(v);
}

/* Read the ring buffers, a batch each at most: under a flood the loop still
 * serves the metrics and walks the tables between batches (what the ring
 * cannot hold meanwhile is counted by the programs as lost).  True when a
 * ring gave a whole batch: more are waiting. */
static bool drain(struct serve *v, unsigned batch)
{
	bool more = false;

	for (int i = 0; i < v->n; i++)
		if (v->s[i]->rb) {
			v->s[i]->drain_budget = batch;
			ta_session_consume(v->s[i]);
			more |= batch && !v->s[i]->drain_budget;
			v->s[i]->drain_budget = 0;
		}
	return more;
}

/* In the middle of a long walk: the scrapes waiting get their page (which
 * reads the last walk's figures, whole), the ring a bounded drain */
static void walk_yield(void *arg)
{
	struct serve *v = arg;
	uint64_t t0 = ta_now_ns();

	if (v->http)
		ta_httpd_run(v->http);
	drain(v, TA_DRAIN_BATCH / 8); /* and the ring keeps some room */
	v->yield_ns += ta_now_ns() - t0;
}

/* Leave the interfaces auditing without a reader: programs without events */
static void hand_back(struct serve *v)
{
	struct ta_attach_opts o = v->so->o;
	struct ta_meta m;
	bool again;

	o.events = false;
	if (ta_pins_lock(false))
		return;
	for (int i = 0; i < v->n; i++)
		if (ta_pins_reattach(&v->s[i]->ifaces[0], &o, v->so->flows, &m, &again) == 0 && !again)
			ta_pins_detach(v->s[i]->ifaces[0].name, false, &(struct ta_detached){ 0 });
	ta_pins_unlock();
}

static void undo_start(struct serve *v)
{
	struct ta_detached d;

	if (ta_pins_lock(false))
		return;
	for (int i = 0; i < v->n; i++)
		if (v->s[i]->meta.magic == TA_META_MAGIC && !v->s[i]->adopted)
			ta_pins_detach(v->s[i]->ifaces[0].name, false, &d);
	ta_pins_unlock();
}

static void detach_all(struct serve *v)
{
	struct ta_detached d;

	if (ta_pins_lock(false))
		return;
	for (int i = 0; i < v->n; i++)
		if (ta_pins_detach(v->s[i]->ifaces[0].name, false, &d) == 0)
			ta_info("%s: detached", v->s[i]->ifaces[0].name);
	ta_pins_unlock();
}

/* The policy file parses and compiles (checked before anything is touched:
 * a restart with a broken file leaves the attached audit as it is) */
static bool config_ok(const struct ta_serve_opts *so)
{
	struct ta_policy pol;
	struct ta_compiled comp;

	if (!so->policy)
		return true;
	if (ta_policy_load_compiled("serve", so->policy, &pol, &comp))
		return false;
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	return true;
}

/* One pinned session per interface, each under its serve lock: 0, or -1
 * after one line */
static int open_sessions(struct serve *v)
{
	const struct ta_serve_opts *so = v->so;

	for (int i = 0; i < so->nifaces; i++) {
		struct ta_session *s;
		const char *name = so->ifaces[i].name;

		if ((v->lock_fd[i] = serve_lock(name, so->ifaces[i].ifindex)) < 0 || !(s = calloc(1, sizeof(*s))))
			return -1;
		v->s[v->n++] = s;
		ta_session_setup(s, &so->o, so->o.enforce, &so->ifaces[i], 1);
		s->json = true;
		s->evw = v->evw;
		s->yield = walk_yield;
		s->yield_arg = v;
		/* no --policy: the pins' own, else the one commands judge by */
		if (ta_session_open_pinned(s, so->policy || ta_pins_any(name) ? so->policy : ta_policy_default(),
					   so->flows))
			return -1;
	}
	return 0;
}

/* IPFIX, the metrics endpoint, the epoll set: 0, or -1 after one line */
static int open_outputs(struct serve *v)
{
	const struct ta_serve_opts *so = v->so;

	if (so->ipfix.n) {
		char err[300];
		if (!(v->ipfix = ta_ipfix_start(&so->ipfix, err, sizeof(err)))) {
			ta_err("serve: --ipfix: %s", err);
			return -1;
		}
		for (int i = 0; i < v->n; i++) {
			v->s[i]->ipfix = v->ipfix;
			v->s[i]->ipfix_active_ns = (uint64_t)(so->ipfix.active_timeout * TA_NSEC_PER_SEC);
		}
	}
	if (so->metrics && !(v->http = ta_httpd_start(&so->metrics_sa, so->metrics_len, metrics_page, v)))
		return -1;
	v->ep = epoll_create1(EPOLL_CLOEXEC);
	if (v->ep < 0) {
		ta_err("serve: epoll: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < v->n; i++)
		epoll_add(v->ep, ring_buffer__epoll_fd(v->s[i]->rb));
	if (v->http)
		epoll_add(v->ep, ta_httpd_fd(v->http));
	return 0;
}

/* Started: the event, a first walk, READY, and the journal saying what runs */
static void announce(struct serve *v)
{
	const struct ta_serve_opts *so = v->so;
	uint64_t us;

	started(v);
	tick(v); /* the flow view and the metrics are there from the start */
	if (sd_watchdog_enabled(0, &us) > 0)
		v->watchdog_us = us;
	sd_notify(0, "READY=1");
	for (int i = 0; i < v->n; i++)
		ta_info("auditing %s: %s side, %s%s, %s; policy %s, generation %u, %u rules%s",
			v->s[i]->ifaces[0].name, so->o.side == TA_SIDE_OUTSIDE ? "outside" : "inside",
			so->o.hook == TA_HOOK_TC ? "tc" : "xdp+tc",
			so->o.hook == TA_HOOK_TC ? "" : v->s[i]->meta.xdp_mode == TA_XDP_SKB ? " (skb)" : " (native)",
			so->o.enforce ? "enforce" : "audit", v->s[i]->meta.policy, v->s[i]->dp.generation,
			v->s[i]->meta.nrules, v->s[i]->adopted ? "; adopted the pins" : "");
	if (v->http)
		ta_info("metrics on http://%s/metrics", ta_httpd_where(v->http));
}

/* How long epoll may sleep: until the next walk, watchdog ping (sent here
 * when due) or HTTP timeout */
static int wait_ms(struct serve *v, const struct ta_ticker *tk, uint64_t *next_dog)
{
	uint64_t now = ta_now_ns();
	int64_t wait = ta_ticker_wait_ms(tk, now);

	if (v->watchdog_us) {
		if (now >= *next_dog) {
			sd_notify(0, "WATCHDOG=1");
			*next_dog = now + v->watchdog_us * 1000 / 2;
		}
		if ((int64_t)(*next_dog - now) / 1000000 < wait)
			wait = (int64_t)(*next_dog - now) / 1000000;
	}
	if (v->http) {
		int t = ta_httpd_timeout_ms(v->http);
		if (t >= 0 && t < wait)
			wait = t;
	}
	return (int)(wait < 0 ? 0 : wait);
}

/* A walk due while the rings hold a backlog waits (events first: a walk's
 * lines may come late, a lost event never comes), WALK_DEFER_STEPS
 * intervals at most; one a session wants (its tracked flows passed 1.5
 * tables: the walk closes those the tables pushed out) comes at once */
#define WALK_DEFER_STEPS 4
/* Walks take at most 1/WALK_DUTY of the loop's time: a table that takes T
 * to walk is walked again WALK_DUTY * T after the last began at the soonest
 * (README "Run as a service") */
#define WALK_DUTY        4

static bool walk_due(struct serve *v, struct ta_ticker *tk, bool backlog)
{
	uint64_t now = ta_now_ns();

	for (int i = 0; i < v->n; i++)
		if (v->s[i]->walk_wanted) { /* the tracked flows passed 1.5 tables: at once */
			v->deferring = false;
			return true;
		}
	if (now < tk->next)
		return false;
	if (backlog && now - tk->next < WALK_DEFER_STEPS * tk->step) {
		if (!v->deferring)
			for (int i = 0; i < v->n; i++)
				v->s[i]->walks_deferred++;
		v->deferring = true;
		return false;
	}
	v->deferring = false;
	return ta_ticker_due(tk);
}

/* A walk, and the next one no sooner than the duty cycle allows (the walk's
 * own time: not the events and scrapes served in its course) */
static void walk(struct serve *v, struct ta_ticker *tk)
{
	uint64_t t0 = ta_now_ns(), y0 = v->yield_ns, own;

	tick(v);
	own = ta_now_ns() - t0 - (v->yield_ns - y0);
	ta_ticker_not_before(tk, t0 + WALK_DUTY * own);
}

/* The event loop, until *stop: TA_SERVE_OK, or TA_SERVE_FAIL when waiting failed */
static int loop(struct serve *v, struct ta_serve_signals *sig)
{
	uint64_t next_dog = 0;
	struct ta_ticker tk;
	bool backlog;

	ta_ticker_start(&tk, v->so->interval, 0);

	while (!sig->stop) {
		struct epoll_event evs[8];

		if (epoll_wait(v->ep, evs, 8, wait_ms(v, &tk, &next_dog)) < 0 && errno != EINTR) {
			ta_err("serve: waiting for events failed: %s", strerror(errno));
			return TA_SERVE_FAIL;
		}
		backlog = drain(v, TA_DRAIN_BATCH);
		if (v->http)
			ta_httpd_run(v->http);
		if (sig->usr1) { /* logrotate moved the events file: a new one, nothing lost */
			sig->usr1 = 0;
			ta_evw_reopen(v->evw);
		}
		if (sig->hup) {
			sig->hup = 0;
			sd_notify(0, "RELOADING=1");
			for (int i = 0; i < v->n; i++)
				ta_session_reload(v->s[i]);
			sd_notify(0, "READY=1");
		}
		if (walk_due(v, &tk, backlog))
			walk(v, &tk);
	}
	return TA_SERVE_OK;
}

/* The end: outputs closed, then the hooks left (restart, --keep-attached),
 * detached (stop) or undone (a failed start) */
static void finish(struct serve *v, int rc)
{
	const char *unit = NULL;

	ta_ipfix_stop(v->ipfix, 3); /* what is queued, 3 s at most */
	v->ipfix = NULL;
	ta_httpd_stop(v->http);
	if (v->ep >= 0)
		close(v->ep);
	for (int i = 0; i < v->n; i++)
		ta_session_close(v->s[i]);
	if (rc != TA_SERVE_OK) {
		undo_start(v); /* what this serve attached first; adopted pins stay */
	} else if (v->so->keep_attached) {
		hand_back(v);
	} else if (ta_systemd_restarting(&unit)) {
		/* 'systemctl restart' (an upgrade's too): the next serve
		 * continues from the pins, no packet unaudited, no counter reset */
		ta_info("systemd is restarting %s: the programs keep auditing from their pins", unit);
		hand_back(v);
	} else {
		detach_all(v);
	}
	for (int i = 0; i < v->n; i++)
		free(v->s[i]);
	for (int i = 0; i < TA_MAX_IFACES; i++)
		if (v->lock_fd[i] >= 0)
			close(v->lock_fd[i]);
	/* what is queued goes out (3 s at most); lost lines were counted and are said */
	ta_evw_close(v->evw, 3);
}

int ta_serve(const struct ta_serve_opts *so, struct ta_serve_signals *sig)
{
	struct serve v = { .so = so, .ep = -1 };
	int rc = TA_SERVE_FAIL;

	for (int i = 0; i < TA_MAX_IFACES; i++)
		v.lock_fd[i] = -1;
	if (!config_ok(so) || !(v.evw = ta_evw_open(so->events, 0))) {
		ta_err("serve: the settings will not do: not started%s",
		       ta_pins_any(NULL)
			       ? "; what is attached goes on auditing from its pins (no events, no metrics) until serve starts"
			       : "");
		return TA_SERVE_BAD_CONFIG;
	}
	if (!open_sessions(&v) && !open_outputs(&v)) {
		announce(&v);
		rc = loop(&v, sig);
		sd_notify(0, "STOPPING=1");
		drain(&v, 0);
		tick(&v);
		for (int i = 0; i < v.n; i++) /* every flow's last record: the next serve starts from here */
			ta_session_ipfix_final(v.s[i]);
	}
	finish(&v, rc);
	return rc;
}
