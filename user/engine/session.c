// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A live session (run, serve): the reader's side of a set
 * of flow tables.  Open or adopt the programs, read the ring buffer, walk
 * the tables every tick and turn what changed into events, closed flows,
 * the report's keepsakes and IPFIX records (each flow's exported baseline
 * lives with its tracked state here), and reload the policy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include "log.h"
#include "json.h"
#include "kdrop.h"
#include "media.h"
#include "pinstore.h"
#include "session.h"
#include "flowsel.h"
#include "why.h"
#include "evwriter.h"
#include "flowexport.h"
#include "ipfix.h"
#include "tracker.h"
#include "util.h"

#define KEEP_MAX 4096

const char *ta_session_iface_name(const struct ta_session *s, uint32_t ifindex)
{
	for (int i = 0; i < s->nifaces; i++)
		if (s->ifaces[i].ifindex == (int)ifindex)
			return s->ifaces[i].name;
	return NULL;
}

unsigned ta_session_open_flows(const struct ta_session *s)
{
	return (unsigned)ta_trk_count(&s->trk);
}

void ta_session_labels(struct ta_session *s)
{
	if (s->pinned) {
		memset(s->labels, 0, sizeof(s->labels));
		memset(s->prev_labels, 0, sizeof(s->prev_labels));
		for (uint32_t i = 0; i < s->meta.nrules && i < TA_MAX_RULES; i++)
			s->labels[i] = s->meta.labels[i];
		for (uint32_t i = 0; i < s->meta.prev_nrules && i < TA_MAX_RULES; i++)
			s->prev_labels[i] = s->meta.prev_labels[i];
		return;
	}
	memset(s->labels, 0, sizeof(s->labels));
	for (size_t i = 0; i < s->pol.nrules && i < TA_MAX_RULES; i++)
		s->labels[i] = s->pol.rules[i].label;
	memset(s->prev_labels, 0, sizeof(s->prev_labels));
	for (size_t i = 0; i < s->prev_pol.nrules && i < TA_MAX_RULES; i++)
		s->prev_labels[i] = s->prev_pol.rules[i].label;
}

struct ta_flow_ctx ta_session_ctx(struct ta_session *s)
{
	struct ta_flow_ctx c = {
		.labels = s->labels,
		.nlabels = TA_MAX_RULES,
		.generation = s->dp.generation,
		.prev_labels = (s->pinned ? s->meta.prev_generation && s->meta.prev_generation + 1 == s->meta.generation
					  : s->prev_pol.nrules != 0)
				       ? s->prev_labels
				       : NULL,
		.prev_nlabels = TA_MAX_RULES,
		.dp = &s->dp,
	};

	c.unix_off = ta_unix_offset(&c.now_ns);
	return c;
}

/* One JSON line out: to the writer thread (serve) or the stream (run).
 * Consumes o. */
static void out_line(struct ta_session *s, json_object *o)
{
	if (s->evw) {
		const char *t = ta_jtext(o);

		ta_evw_put(s->evw, t, strlen(t));
		json_object_put(o);
	} else {
		ta_jprint(s->out, o);
	}
}

/* One more member of an event line: a string (NULL: null), a boolean or a count */
struct ev_extra {
	const char *k;
	enum { EX_STR, EX_BOOL, EX_U64 } t;
	const char *s;
	uint64_t n;
};
#define EX_S(key, str) (&(const struct ev_extra){ .k = (key), .t = EX_STR, .s = (str) }), 1
#define EX_B(key, b)   (&(const struct ev_extra){ .k = (key), .t = EX_BOOL, .n = (b) }), 1
#define EX_N(key, v)   (&(const struct ev_extra){ .k = (key), .t = EX_U64, .n = (v) }), 1
#define EX_NONE        NULL, 0

/* A flow event, with nx more members: one line written into the session's
 * reused buffer (no allocation once it has grown).  False when no line is
 * due (no JSON, or the selection leaves the flow out). */
static bool flow_line(struct ta_session *s, const char *event, const struct ta_flow_key *k, const struct ta_flow_val *v,
		      const struct ev_extra *x, size_t nx)
{
	struct ta_flow_ctx c;
	struct ta_jw *w = &s->jw;

	if (!s->json)
		return false;
	c = ta_session_ctx(s);
	if (s->sel && !ta_flow_sel_match(s->sel, &c, k, v))
		return false;
	ta_jw_reset(w);
	ta_jw_obj(w, NULL);
	ta_flow_jw(w, &c, event, ta_session_iface_name(s, k->ifindex), k, v);
	for (size_t i = 0; i < nx; i++) {
		if (x[i].t == EX_STR)
			ta_jw_str(w, x[i].k, x[i].s);
		else if (x[i].t == EX_BOOL)
			ta_jw_bool(w, x[i].k, x[i].n);
		else
			ta_jw_u64(w, x[i].k, x[i].n);
	}
	ta_jw_end(w);
	return true;
}

/* The line in the session's buffer, out */
static void line_out(struct ta_session *s)
{
	size_t len;
	const char *t = ta_jw_text(&s->jw, &len);

	if (!t)
		ta_err("events: no memory for a line");
	else if (s->evw)
		ta_evw_put(s->evw, t, len);
	else /* as ta_jprint: a stream that fails is the caller's to notice */
		(void)(fwrite(t, 1, len, s->out) == len && fputc('\n', s->out) != EOF && !fflush(s->out));
}

static void flow_event(struct ta_session *s, const char *event, const struct ta_flow_key *k,
		       const struct ta_flow_val *v, const struct ev_extra *x, size_t nx)
{
	if (flow_line(s, event, k, v, x, nx))
		line_out(s);
}

/* A new flow's "opened" line, then its "unexpected" one: the same flow at
 * the same moment, so the second is the first renamed, not formatted again
 * (the lines a flood of new unexpected flows is made of) */
static void opened_unexpected(struct ta_session *s, const struct ta_flow_key *k, const struct ta_flow_val *v,
			      const struct ev_extra *x, size_t nx)
{
	static const char head[] = "{\"event\":\"", was[] = "opened\"", now[] = "unexpected\"";
	const char *t;

	if (!flow_line(s, "opened", k, v, x, nx))
		return;
	line_out(s);
	t = ta_jw_text(&s->jw, NULL);
	/* (the event is the line's first member: ta_flow_jw) */
	if (t && !strncmp(t, head, sizeof(head) - 1) && !strncmp(t + sizeof(head) - 1, was, sizeof(was) - 1) &&
	    ta_jw_splice(&s->jw, sizeof(head) - 1, sizeof(was) - 1, now, sizeof(now) - 1))
		line_out(s);
	else
		flow_event(s, "unexpected", k, v, x, nx);
}

static void keep_flow(struct ta_session *s, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	char why[768];
	struct ta_flow_ctx c = ta_session_ctx(s);

	/* unexpected, dropped or otherwise blocked flows stay for the report */
	if (!(v->flags & TA_FF_UNEXPECTED) && !v->policy_drops &&
	    !ta_flow_diagnosis(&c, NULL, k, v, true, why, sizeof(why)))
		return;
	if (s->pinned) { /* and in the pins, for 'flows --since' and 'why --since' */
		struct ta_recent r = { .key = *k, .val = *v,
				       .closed_unix_ns = (uint64_t)(ta_ktime_to_unix(c.now_ns) * TA_NSEC_PER_SEC) };

		if (!ta_dp_recent_put(&s->dp, s->recent_next, &r))
			s->recent_next = (s->recent_next + 1) % TA_RECENT_MAX;
	}
	if (s->nkeep == s->capkeep) {
		if (s->capkeep >= KEEP_MAX) {
			/* replace the smallest, so the report keeps the top flows */
			size_t min = 0;
			for (size_t i = 1; i < s->nkeep; i++)
				if (s->keep[i].v.packets[0] + s->keep[i].v.packets[1] <
				    s->keep[min].v.packets[0] + s->keep[min].v.packets[1])
					min = i;
			s->keep[min].k = *k;
			s->keep[min].v = *v;
			return;
		}
		if (ta_grow(&s->keep, &s->capkeep, s->nkeep, sizeof(*s->keep), 64))
			return;
	}
	s->keep[s->nkeep].k = *k;
	s->keep[s->nkeep].v = *v;
	s->nkeep++;
}

static void evicted(struct ta_session *s, uint32_t h, const struct ta_flow_ctx *c, uint64_t now);

/* evicted(), outside a walk: as of now */
static void evicted_now(struct ta_session *s, uint32_t h)
{
	struct ta_flow_ctx c = ta_session_ctx(s);

	evicted(s, h, &c, c.now_ns);
}

/* ta_trk_bound()'s lookup: the kernel's table still holds tracked flow h
 * (its key, begun when the tracked one did) */
static bool still_held(void *arg, uint32_t h)
{
	struct ta_session *s = arg;
	struct ta_flow_key k;
	struct ta_flow_val v;

	ta_trk_key(&s->trk, h, &k);
	return !ta_dp_flow_lookup(&s->dp, &k, &v) && v.first_ns == ta_trk_first_ns(&s->trk, h);
}

static void close_gone(void *arg, uint32_t h)
{
	struct ta_session *s = arg;

	s->swept++;
	evicted_now(s, h);
}

/* The reader tracks what the kernel's tables hold, and up to half more
 * until a walk closes the flows the tables pushed out: past that a walk is
 * wanted now (serve's and run's loops walk at once, every flow looked up),
 * and past 1.75 tables the tracker sweeps itself (ta_trk_bound).  A flood
 * of new flows then holds no more memory than 1.75 tables' worth (README
 * "Run as a service"), table by table as the kernel's, at the cost of a
 * walk, not of a lookup a new flow.  keep: the flow just added, never
 * closed here. */
static void bound_tracked(struct ta_session *s, uint32_t keep)
{
	if (!s->track_cap[0]) {
		s->track_cap[0] = ta_dp_flow_capacity_of(&s->dp, true);
		s->track_cap[1] = ta_dp_flow_capacity_of(&s->dp, false);
	}
	if (ta_trk_bound(&s->trk, keep, s->track_cap[ta_trk_tab(keep)], still_held, close_gone, s))
		s->walk_wanted = true;
}

/* track(): what is seen is older than the flow of its key tracked */
#define TRACK_STALE (TA_TRK_NONE - 1)

/* The flow of k tracked, v being the flow as seen now (in the table, or by
 * its event; kept when it is new): its handle; TA_TRK_NONE when out of
 * memory.  A tracked flow of the key that began earlier was pushed out
 * meanwhile and is closed first; one that began later makes what is seen
 * the older, gone already: TRACK_STALE. */
static uint32_t track(struct ta_session *s, const struct ta_flow_key *k, const struct ta_flow_val *v, bool *created)
{
	uint32_t h = ta_trk_find(&s->trk, k);

	*created = false;
	if (h != TA_TRK_NONE) {
		uint64_t tf = ta_trk_first_ns(&s->trk, h);

		if (tf == v->first_ns)
			return h;
		if (tf > v->first_ns)
			return TRACK_STALE;
		evicted_now(s, h);
	}
	h = ta_trk_add(&s->trk, k, v, s->walk);
	if (h == TA_TRK_NONE)
		return h;
	*created = true;
	s->opened++;
	s->persist.flows_opened++;
	if (v->rule < TA_MAX_RULES)
		s->rules[v->rule].flows++;
	bound_tracked(s, h);
	if (ta_trk_count(&s->trk) > s->tracked_peak)
		s->tracked_peak = ta_trk_count(&s->trk);
	return h;
}

/* A flow value for an event whose flow the table does not hold. */
static void event_val(const struct ta_event *e, uint32_t flags, struct ta_flow_val *v)
{
	memset(v, 0, sizeof(*v));
	v->flags = flags;
	v->rule = TA_NO_RULE;
	v->opener = e->dir;
	v->generation = e->generation;
	v->first_ns = v->last_ns = e->ts_ns;
}

/* A tracked flow the full table pushed out: closed as the last walk saw it
 * (what came after went with the entry), its last IPFIX record, forgotten */
static void evicted(struct ta_session *s, uint32_t h, const struct ta_flow_ctx *c, uint64_t now)
{
	struct ta_trk_ext *x = s->ipfix ? ta_trk_ext(&s->trk, h, false) : NULL;
	struct ta_flow_key k;
	struct ta_flow_val v;

	ta_trk_key(&s->trk, h, &k);
	ta_trk_val(&s->trk, h, &v);
	flow_event(s, "closed", &k, &v, EX_S("reason", ta_close_name(TA_CLOSE_EVICTED)));
	if (x && x->seen)
		ta_flow_export(s->ipfix, c, &k, x->seen, &x->x, TA_FER_RESOURCES, now);
	s->evicted++;
	ta_trk_del(&s->trk, h);
}

/* A new flow's event: the flow as its first packet made it */
static void new_flow_val(const struct ta_event *e, struct ta_flow_val *v)
{
	bool unexp = e->verdict == TA_V_UNEXPECTED;

	event_val(e, (unexp ? TA_FF_UNEXPECTED : TA_FF_ALLOWED) | (uint32_t)e->tcp_flags << TA_FF_TCP_SHIFT(e->dir & 1),
		  v);
	v->rule = unexp ? TA_NO_RULE : e->rule;
	v->first_ns = v->last_ns = e->first_ns;
	v->packets[e->dir & 1] = 1;
	v->bytes[e->dir & 1] = e->len;
}

/* A flow's event whose flow the full table pushed out before this reader
 * read it: reported from what the event carries (and what the last walk
 * saw), never dropped: opened, unexpected, closed as evicted. */
static void gone_before_read(struct ta_session *s, const struct ta_event *e)
{
	struct ta_flow_val v;
	uint32_t h = e->type == TA_EV_NEW_FLOW ? TA_TRK_NONE : ta_trk_find(&s->trk, &e->key);
	bool unexp = e->verdict == TA_V_UNEXPECTED;

	if (h != TA_TRK_NONE) { /* the walk announced it; the next tick closes it */
		if (unexp) {
			ta_trk_add_flags(&s->trk, h, TA_FF_UNEXPECTED);
			ta_trk_val(&s->trk, h, &v);
			flow_event(s, "unexpected", &e->key, &v, EX_B("evicted_before_read", true));
		}
		return;
	}
	if (e->type == TA_EV_NEW_FLOW) {
		new_flow_val(e, &v);
	} else {
		event_val(e, unexp ? TA_FF_UNEXPECTED : TA_FF_ALLOWED, &v);
		v.rule = unexp ? TA_NO_RULE : e->rule;
		v.packets[e->dir & 1] = 1; /* the packet that made the event */
	}
	if (unexp)
		opened_unexpected(s, &e->key, &v, EX_B("evicted_before_read", true));
	else
		flow_event(s, "opened", &e->key, &v, EX_B("evicted_before_read", true));
	flow_event(s, "closed", &e->key, &v, EX_S("reason", ta_close_name(TA_CLOSE_EVICTED)));
	s->opened++;
	s->persist.flows_opened++;
	s->evicted++;
	if (v.rule < TA_MAX_RULES)
		s->rules[v.rule].flows++;
}

/* A kernel drop of a policy packet: the flow's line, with where and why */
static void kernel_drop_event(struct ta_session *s, const struct ta_event *e)
{
	char rb[64], sb[128];
	struct ta_flow_val v;

	s->kdrop_events++;
	if (!s->json)
		return;
	const struct ev_extra x[] = {
		{ "drop_reason", EX_STR, ta_drop_reason_name(e->drop_reason, rb, sizeof(rb)), 0 },
		{ "drop_location", EX_STR, ta_ksym(e->drop_loc, sb, sizeof(sb)), 0 },
		{ "drop_dir", EX_STR, ta_dir_name(e->dir & 1), 0 },
		{ "known_flow", EX_BOOL, NULL, e->drop_flow == TA_DF_KNOWN },
		{ "flow_created_by_drop", EX_BOOL, NULL, e->drop_flow == TA_DF_CREATED },
		{ "no_flow_cause", EX_STR,
		  e->drop_flow == TA_DF_NONE        ? "flow-table-full"
		  : e->drop_flow == TA_DF_ELSEWHERE ? "not-via-an-audited-interface"
						    : NULL,
		  0 },
	};

	if (e->drop_flow == TA_DF_NONE || e->drop_flow == TA_DF_ELSEWHERE || ta_dp_flow_lookup(&s->dp, &e->key, &v)) {
		/* no flow (or gone): the packet as the event tells it, a flow
		 * it would have opened, seen only dying (no interface: null) */
		event_val(e,
			  TA_FF_DROP_OPENED | (e->verdict == TA_V_ALLOWED      ? TA_FF_ALLOWED
					       : e->verdict == TA_V_UNEXPECTED ? TA_FF_UNEXPECTED
									       : 0),
			  &v);
		v.rule = e->rule;
		v.kernel_drops = 1;
		v.last_drop_reason = e->drop_reason;
		v.last_drop_loc = e->drop_loc;
		v.last_drop_dir = e->dir;
	}
	flow_event(s, "kernel-drop", &e->key, &v, x, sizeof(x) / sizeof(x[0]));
}

/* A new flow's event: its lines written from what the event carries, no
 * lookup (a flow the table has pushed out since is closed by the next walk) */
static void new_flow_event(struct ta_session *s, const struct ta_event *e)
{
	struct ta_flow_val v;
	bool created;
	uint32_t h;

	new_flow_val(e, &v);
	h = track(s, &e->key, &v, &created);
	if (h == TRACK_STALE) { /* a later flow of its key is tracked */
		gone_before_read(s, e);
		return;
	}
	if (h == TA_TRK_NONE)
		return;
	if (!created) /* a walk read it first */
		ta_trk_val(&s->trk, h, &v);
	if (created && e->verdict == TA_V_UNEXPECTED)
		opened_unexpected(s, &e->key, &v, EX_NONE);
	else if (created)
		flow_event(s, "opened", &e->key, &v, EX_NONE);
	else if (e->verdict == TA_V_UNEXPECTED)
		flow_event(s, "unexpected", &e->key, &v, EX_NONE);
}

/* One ring event: its flow's lines */
static void on_flow_event(struct ta_session *s, const struct ta_event *e)
{
	struct ta_flow_val v;
	bool created;

	if (e->type == TA_EV_KERNEL_DROP) {
		kernel_drop_event(s, e);
		return;
	}
	if (e->type == TA_EV_ORPHAN_FRAG) {
		event_val(e, TA_FF_UNEXPECTED, &v);
		flow_event(s, "unexpected", &e->key, &v, EX_S("reason", "orphan-fragment"));
		return;
	}
	if (e->type == TA_EV_NEW_FLOW) {
		new_flow_event(s, e);
		return;
	}
	/* a known flow turned unexpected: as the table holds it now */
	if (ta_dp_flow_lookup(&s->dp, &e->key, &v)) {
		gone_before_read(s, e);
		return;
	}
	if (track(s, &e->key, &v, &created) == TRACK_STALE)
		return;
	if (created)
		opened_unexpected(s, &e->key, &v, EX_NONE);
	else
		flow_event(s, "unexpected", &e->key, &v, EX_NONE);
}

/* An event into the pipe, the oldest handled when it is full: meanwhile
 * the tracker's bucket of each event's key is fetched, then the first
 * record it chains, so that each find finds them in the cache */
static void pipe_push(struct ta_session *s, const struct ta_event *e)
{
	if (s->pipe_n == TA_EV_PIPE) {
		on_flow_event(s, &s->pipe[s->pipe_head]);
		s->pipe_head = (s->pipe_head + 1) % TA_EV_PIPE;
		s->pipe_n--;
	}
	s->pipe[(s->pipe_head + s->pipe_n++) % TA_EV_PIPE] = *e;
	ta_trk_prefetch(&s->trk, &e->key, 0);
	if (s->pipe_n > TA_EV_PIPE / 2)
		ta_trk_prefetch(&s->trk, &s->pipe[(s->pipe_head + s->pipe_n - 1 - TA_EV_PIPE / 2) % TA_EV_PIPE].key, 1);
}

static void pipe_flush(struct ta_session *s)
{
	for (; s->pipe_n; s->pipe_n--) {
		on_flow_event(s, &s->pipe[s->pipe_head]);
		s->pipe_head = (s->pipe_head + 1) % TA_EV_PIPE;
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct ta_session *s = ctx;
	const struct ta_event *e = data;

	if (size == sizeof(struct ta_capture)) {
		const struct ta_capture *c = data;
		if (s->evidence)
			ta_evidence_write(s->evidence, c, ta_session_iface_name(s, c->ifindex),
					  c->rule < TA_MAX_RULES ? s->labels[c->rule] : NULL,
					  ta_ktime_to_unix(c->ts_ns));
		return 0;
	}
	if (size < sizeof(*e))
		return 0;
	s->events_read++;
	pipe_push(s, e);
	/* a bounded drain: the caller's loop serves the metrics and the walk
	 * between batches, however fast events come */
	return s->drain_budget && --s->drain_budget == 0 ? TA_DRAIN_DONE : 0;
}

static int open_ring(struct ta_session *s)
{
	s->rb = ring_buffer__new(ta_dp_map_fd(&s->dp, TA_M_EVENTS), on_event, s, NULL);
	if (!s->rb) {
		int err = -errno;

		ta_err("event ring buffer: cannot open it: %s", strerror(-err));
		return err;
	}
	return 0;
}

void ta_session_setup(struct ta_session *s, const struct ta_attach_opts *o, bool enforce,
		      const struct ta_iface *ifaces, int nifaces)
{
	s->side = o->side;
	s->hook = o->hook;
	s->xdp_mode = o->xdp_mode;
	s->dns_ttl_min = o->dns_ttl_min;
	s->dns_ttl_max = o->dns_ttl_max;
	s->enforce = enforce;
	memcpy(s->ifaces, ifaces, (size_t)nifaces * sizeof(*ifaces));
	s->nifaces = nifaces;
}

int ta_session_open(struct ta_session *s, const char *policy, unsigned flows)
{
	struct ta_compiled comp;
	struct ta_dp_opts o = { .events_allowed = true,
				.enforce = s->enforce,
				.flow_entries = flows,
				.drops = true,
				.capture = (uint16_t)(s->evidence ? s->snaplen : 0),
				.dns_ttl_min = s->dns_ttl_min,
				.dns_ttl_max = s->dns_ttl_max };
	int err;

	s->policy_path = policy;
	s->start_ns = ta_now_ns();
	s->drop_link_fd = -1;
	if ((err = ta_policy_load_compiled("run", policy, &s->pol, &comp)))
		return err;
	ta_session_labels(s);
	/* which direction each hook sees depends on the side the interface faces */
	ta_dp_opts_side(&o, s->side);
	o.progs = TA_PROGS_FOR_HOOK(s->hook == TA_HOOK_TC);
	err = ta_dp_open(&s->dp, &o);
	if (!err)
		err = ta_dp_set_policy(&s->dp, &comp);
	ta_compiled_free(&comp);
	if (err)
		return err;
	return open_ring(s);
}

int ta_session_open_pinned(struct ta_session *s, const char *policy, unsigned flows)
{
	struct ta_attach_opts o = { .side = s->side, .hook = s->hook, .xdp_mode = s->xdp_mode,
				    .enforce = s->enforce, .events = true };
	struct ta_compiled comp;
	char dir[256];
	int err;

	s->pinned = true;
	s->policy_path = policy;
	s->start_ns = ta_now_ns();
	s->drop_link_fd = -1;
	if ((err = ta_policy_load_compiled("serve", policy, &s->pol, &comp)))
		return err;
	if ((err = ta_pins_lock(true))) {
		ta_compiled_free(&comp);
		return err;
	}
	err = ta_pins_attach(&s->ifaces[0], &o, flows, &s->pol, &comp, policy, &s->meta, &s->adopted);
	ta_pins_unlock();
	ta_compiled_free(&comp);
	if (err)
		return err;
	if (!policy && s->adopted && strcmp(s->meta.policy, "built-in")) {
		/* the adopted policy came from a file: that is what SIGHUP rereads */
		snprintf(s->adopted_policy, sizeof(s->adopted_policy), "%s", s->meta.policy);
		s->policy_path = s->adopted_policy;
	}
	ta_pin_dir(dir, sizeof(dir), s->ifaces[0].name);
	if ((err = ta_dp_open_pinned(&s->dp, dir)))
		return err;
	s->dp.generation = s->meta.generation;
	ta_session_labels(s);
	if ((err = ta_dp_persist_read(&s->dp, &s->persist))) {
		ta_err("%s: cannot read the pinned counters: %s", s->ifaces[0].name, strerror(-err));
		return err;
	}
	s->persist.starts++;
	ta_session_persist(s);
	s->recent_next = ta_dp_recent_next(&s->dp);
	return open_ring(s);
}

/* The "reload" event: the generation now in force; by: "signal" (SIGHUP)
 * or "tokaudit reload" (through the pins) */
static void reload_event(struct ta_session *s, uint32_t nrules, const char *by, bool unchanged)
{
	json_object *o;

	if (!s->json)
		return;
	o = json_object_new_object();
	ta_jadd(o, "event", ta_jstr("reload"));
	ta_jtime(o, "time", ta_ktime_to_unix(ta_now_ns()));
	ta_jadd(o, "generation", ta_ju64(s->dp.generation));
	ta_jadd(o, "rules", ta_ju64(nrules));
	ta_jadd(o, "by", ta_jstr(by));
	ta_jadd(o, "unchanged", ta_jbool(unchanged)); /* the policy in force again: no new generation */
	out_line(s, o);
}

void ta_session_refresh(struct ta_session *s)
{
	struct ta_meta m;

	if (!s->pinned || ta_dp_meta_read(&s->dp, &m) || m.generation == s->meta.generation)
		return;
	/* 'tokaudit reload' installed a policy through the pins: a reload as
	 * SIGHUP's is, counted and announced the same way */
	if (m.generation > s->meta.generation) {
		s->reload_refused_at = 0;
		s->persist.reloads_ok += m.generation - s->meta.generation;
		ta_session_persist(s);
	}
	s->meta = m;
	s->dp.generation = m.generation;
	ta_session_labels(s);
	reload_event(s, m.nrules, "tokaudit reload", false);
}

void ta_session_persist(struct ta_session *s)
{
	int err;

	if (s->pinned && (err = ta_dp_persist_write(&s->dp, &s->persist)))
		ta_err("%s: cannot save the counters in the pins: %s", s->ifaces[0].name, strerror(-err));
}

int ta_session_attach(struct ta_session *s)
{
	int xdp_fd = ta_dp_prog_fd(&s->dp, TA_P_XDP);
	int eg_fd = ta_dp_prog_fd(&s->dp, TA_P_TC);
	int in_fd = ta_dp_prog_fd(&s->dp, TA_P_TC_IN);

	const char *why;
	/* a clsact qdisc run makes is marked under the pin root, when there is
	 * one that outlives the process: a killed run's is removed by detach */
	const char *mark_root = ta_pins_visible(&why) ? ta_pin_root() : NULL;

	for (int i = 0; i < s->nifaces; i++) {
		struct ta_iface *ifc = &s->ifaces[i];
		int err = 0;

		if (s->hook == TA_HOOK_XDP)
			err = ta_attach_xdp(ifc, xdp_fd, s->xdp_mode);
		if (!err)
			err = ta_attach_tc(ifc, eg_fd, s->hook == TA_HOOK_TC ? in_fd : -1, mark_root);
		if (err) {
			for (int j = 0; j <= i; j++)
				ta_detach(&s->ifaces[j]);
			return err;
		}
	}
	int idx[TA_MAX_IFACES];
	for (int i = 0; i < s->nifaces; i++)
		idx[i] = s->ifaces[i].ifindex;
	s->drop_link_fd = ta_dp_attach_drops(&s->dp, idx, s->nifaces);
	if (s->drop_link_fd < 0)
		ta_info("kernel drops will not be traced; everything else works");
	return 0;
}

void ta_session_close(struct ta_session *s)
{
	ta_jw_free(&s->jw);
	for (int i = 0; i < s->nifaces; i++)
		ta_detach(&s->ifaces[i]);
	if (s->drop_link_fd >= 0)
		close(s->drop_link_fd);
	s->drop_link_fd = -1;
	if (s->rb)
		ring_buffer__free(s->rb);
	s->rb = NULL;
	ta_trk_free(&s->trk);
	free(s->keep);
	s->keep = NULL;
	ta_dp_close(&s->dp);
	ta_policy_free(&s->pol);
	ta_policy_free(&s->prev_pol);
}

/* run: is np the policy in force, labels and images alike? */
static bool same_policy(const struct ta_session *s, const struct ta_policy *np, const struct ta_compiled *c)
{
	if (np->nrules != s->pol.nrules)
		return false;
	for (size_t i = 0; i < np->nrules; i++)
		if (strcmp(np->rules[i].label, s->pol.rules[i].label))
			return false;
	return ta_dp_policy_same(&s->dp, c);
}

int ta_session_reload(struct ta_session *s)
{
	struct ta_policy np;
	struct ta_compiled comp;
	int err;

	if (ta_policy_load_compiled("reload", s->policy_path, &np, &comp)) {
		ta_err("reload: the new policy has errors: the running policy (generation %u) stays",
		       s->dp.generation);
		s->reload_refused_at = ta_ktime_to_unix(ta_now_ns());
		s->persist.reloads_refused++;
		ta_session_persist(s);
		return -EINVAL;
	}
	if (s->pinned) {
		err = ta_pins_lock(false);
		if (!err) {
			err = ta_pins_install(&s->dp, &s->meta, s->ifaces[0].name, &np, &comp, s->policy_path);
			ta_pins_unlock();
		}
	} else if (same_policy(s, &np, &comp)) {
		err = TA_PINS_UNCHANGED;
	} else {
		err = ta_dp_set_policy(&s->dp, &comp);
	}
	ta_compiled_free(&comp);
	if (err == TA_PINS_UNCHANGED) { /* no new generation: flows keep their rules */
		ta_info("%s%spolicy unchanged: generation %u stays", s->pinned ? s->ifaces[0].name : "",
			s->pinned ? ": " : "", s->dp.generation);
		ta_policy_free(&np);
		s->reload_refused_at = 0;
		s->persist.reloads_ok++;
		ta_session_persist(s);
		reload_event(s, (uint32_t)s->pol.nrules, "signal", true);
		return 0;
	}
	if (err) {
		ta_err("reload failed: %s; the running policy stays", strerror(-err));
		ta_policy_free(&np);
		s->reload_refused_at = ta_ktime_to_unix(ta_now_ns());
		s->persist.reloads_refused++;
		ta_session_persist(s);
		return err;
	}
	s->reload_refused_at = 0;
	s->persist.reloads_ok++;
	ta_session_persist(s);
	/* flows judged under the old policy keep reading its labels */
	ta_policy_free(&s->prev_pol);
	s->prev_pol = s->pol;
	s->pol = np;
	ta_session_labels(s);
	reload_event(s, (uint32_t)s->pol.nrules, "signal", false);
	if (!s->json || s->pinned)
		ta_info("%s%spolicy reloaded: generation %u, %zu rules", s->pinned ? s->ifaces[0].name : "",
			s->pinned ? ": " : "", s->dp.generation, s->pol.nrules);
	return 0;
}

int ta_session_consume(struct ta_session *s)
{
	int n = ring_buffer__consume(s->rb);

	pipe_flush(s); /* every event read is handled before the caller goes on */
	return n;
}

int ta_session_poll(struct ta_session *s, int timeout_ms)
{
	int n = ring_buffer__poll(s->rb, timeout_ms);

	pipe_flush(s);
	return n == -EINTR ? 0 : n;
}

struct walk_ctx {
	struct ta_session *s;
	uint64_t now;
	struct ta_flow_ctx ctx;
	struct ta_flow_key *del;
	size_t ndel, capdel;
	uint64_t seen;                        /* flows walked */
	uint64_t skip_before;                 /* flows older and idler than this were seen by the
					       * last walk as they are: not looked up (0: all are) */
	uint64_t skipped;                     /* flows not looked up */
	uint64_t swept;                       /* s->swept when the walk began */
	uint64_t table_flows;                 /* published as s->table_flows when the walk ends */
	uint64_t active[TA_V_MAX][TA_STATE_MAX]; /* likewise s->active */
	uint64_t carrying[TA_CARRY_MAX];         /* likewise s->carrying */
	struct ta_media_gauges media;            /* likewise s->media */
	struct ta_calls calls;
};

/* A flow's media into the walk's gauges */
static void media_gauges(struct walk_ctx *w, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	struct ta_media_gauges *g = &w->media;

	if (v->media_streams && v->rule < TA_MAX_RULES) {
		g->expected[v->rule] += v->media_expected;
		g->lost[v->rule] += v->media_lost;
		g->jitter_us[v->rule] = ta_jitter_max(g->jitter_us[v->rule], v->media_jitter_us);
	}
	ta_calls_add(&w->calls, &w->s->dp, k, v);
}

/* The walk's calls counted by path */
static void media_publish(struct ta_session *s, struct walk_ctx *w)
{
	/* the worst paths first: TLS 443, TCP, relayed UDP, direct */
	for (int want = TA_PATH_MAX - 1; want >= 0; want--)
		for (size_t i = 0; i < w->calls.n; i++) {
			int p = ta_call_path(&w->calls.c[i]);

			if (p != want)
				continue;
			w->media.calls[p]++;
			if (w->media.ntop < TA_MEDIA_TOP)
				w->media.top[w->media.ntop++] = w->calls.c[i];
		}
	s->media = w->media;
	ta_calls_free(&w->calls);
}

/* Every this many flows a walk lets the caller serve what waits (metrics) */
#define WALK_YIELD 2048

/* IPFIX: a flow's state, with its baseline when first walked */
static struct ta_trk_ext *walk_ipfix(struct walk_ctx *w, uint32_t h, const struct ta_flow_val *v)
{
	struct ta_session *s = w->s;
	struct ta_trk_ext *x = ta_trk_ext(&s->trk, h, true);

	if (x && !x->x.ns) {
		/* a resumed flow's packets before this serve went into the last
		 * serve's records: this one exports what comes after */
		if (s->adopted && v->first_ns < s->start_ns)
			x->x = (struct ta_exported){ { v->packets[0], v->packets[1] },
						     { v->bytes[0], v->bytes[1] },
						     0 };
		x->x.ns = w->now;
	}
	return x;
}

/* IPFIX: a long flow's active records, and the flow as this walk saw it
 * (for a record when it is evicted) */
static void walk_active(struct walk_ctx *w, struct ta_trk_ext *x, const struct ta_flow_key *k,
			const struct ta_flow_val *v)
{
	struct ta_session *s = w->s;

	if (w->now - x->x.ns >= s->ipfix_active_ns)
		ta_flow_export(s->ipfix, &w->ctx, k, v, &x->x, TA_FER_ACTIVE, w->now);
	if (x->seen || (x->seen = malloc(sizeof(*x->seen))))
		*x->seen = *v;
}

/* A flow over (FIN, RST) or idle: reported closed, removed (by the tick) */
static void walk_closed(struct walk_ctx *w, uint32_t h, struct ta_trk_ext *x, const struct ta_flow_key *k,
			const struct ta_flow_val *v)
{
	struct ta_session *s = w->s;

	if (ta_grow(&w->del, &w->capdel, w->ndel, sizeof(*w->del), 256))
		return;
	w->del[w->ndel++] = *k;
	flow_event(s, "closed", k, v, EX_S("reason", ta_flow_close_reason(k, v)));
	if (x)
		ta_flow_export(s->ipfix, &w->ctx, k, v, &x->x,
			       ta_flow_close_kind(k, v) == TA_CLOSE_IDLE ? TA_FER_IDLE : TA_FER_END, w->now);
	keep_flow(s, k, v);
	s->closed_idle++;
	s->persist.closed[ta_flow_close_kind(k, v)]++;
	ta_trk_del(&s->trk, h);
}

/* The walk's gauges of a flow in the table */
static void walk_gauges(struct walk_ctx *w, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	w->table_flows++;
	w->active[ta_flow_verdict(v)][ta_flow_state(k, v, w->now)]++;
	for (int c = 0; c < TA_CARRY_MAX; c++)
		w->carrying[c] += (v->carries >> c) & 1;
	media_gauges(w, k, v);
}

/* A flow that began and last carried a packet before the last walk began
 * was seen by it as it is now: nothing to tell, no need to look it up
 * (unless it is to close now).  Its tracked record is vouched for by count
 * after the walk (tick_evicted). */
static bool walk_unchanged(const struct walk_ctx *w, uint64_t first_ns, uint64_t last_ns)
{
	return first_ns < w->skip_before && last_ns < w->skip_before;
}

/* Over (FIN, RST) or idle for its kind: to close at this walk */
static bool walk_idle(const struct walk_ctx *w, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	return w->now > v->last_ns && (w->now - v->last_ns) / TA_NSEC_PER_SEC >= ta_flow_idle_limit(k, v);
}

/* A walk handles copies of the table read a batch before: when the
 * tracker's sweep closed flows meanwhile (the ring read during the walk),
 * a copy of a flow not tracked may be one the sweep closed, gone from the
 * table since the copy.  Opened again from it, it would be closed twice:
 * the kernel's table says whether it is still there, as it began. */
static bool walk_swept_copy(struct walk_ctx *w, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	struct ta_flow_val now;

	if (w->s->swept == w->swept || ta_trk_find(&w->s->trk, k) != TA_TRK_NONE)
		return false;
	return ta_dp_flow_lookup(&w->s->dp, k, &now) || now.first_ns != v->first_ns;
}

static int walk_one(struct walk_ctx *w, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	struct ta_session *s = w->s;
	bool created;
	uint32_t h;
	uint64_t pk = v->packets[0] + v->packets[1], last_pk;
	struct ta_trk_ext *x;

	if (walk_unchanged(w, v->first_ns, v->last_ns) && !walk_idle(w, k, v)) {
		w->skipped++;
		walk_gauges(w, k, v);
		return 0;
	}
	if (walk_swept_copy(w, k, v))
		return 0;
	/* pushed out and made again since the last walk: two flows (stale: a
	 * later flow of the key was read from the ring during this walk) */
	h = track(s, k, v, &created);
	if (h == TA_TRK_NONE || h == TRACK_STALE)
		return 0;
	last_pk = ta_trk_packets(&s->trk, h);
	ta_trk_set(&s->trk, h, v);
	ta_trk_stamp(&s->trk, h, s->walk);
	x = s->ipfix ? walk_ipfix(w, h, v) : NULL;
	/* resumed: in the table before this (adopting) reader started */
	if (created && s->adopted && v->first_ns < s->start_ns)
		flow_event(s, "opened", k, v, EX_B("resumed", true));
	else if (created)
		flow_event(s, "opened", k, v, EX_NONE);
	if (v->rule < TA_MAX_RULES && v->last_ns > s->rules[v->rule].last_ns) {
		uint64_t unix_ns = (uint64_t)(ta_ktime_to_unix(v->last_ns) * TA_NSEC_PER_SEC);

		s->rules[v->rule].last_ns = v->last_ns;
		if (unix_ns > s->persist.rule_last_ns[v->rule])
			s->persist.rule_last_ns[v->rule] = unix_ns;
	}
	if (v->policy_drops != ta_trk_drops(&s->trk, h)) {
		flow_event(s, "dropped", k, v, EX_N("dropped_since_last", v->policy_drops - ta_trk_drops(&s->trk, h)));
		ta_trk_set_drops(&s->trk, h, v->policy_drops);
	}
	if (walk_idle(w, k, v)) {
		walk_closed(w, h, x, k, v);
		return 0;
	}
	if (x)
		walk_active(w, x, k, v);
	walk_gauges(w, k, v);
	if (pk != last_pk && !created)
		flow_event(s, "updated", k, v, EX_NONE);
	return 0;
}

static int walk_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct walk_ctx *w = arg;
	struct ta_session *s = w->s;

	if (s->yield && ++w->seen % WALK_YIELD == 0)
		s->yield(s->yield_arg);
	return walk_one(w, k, v);
}

static void walk_pre(const struct ta_flow_key *k, uint64_t first_ns, uint64_t last_ns, int stage, void *arg)
{
	struct walk_ctx *w = arg;

	if (!walk_unchanged(w, first_ns, last_ns))
		ta_trk_prefetch(&w->s->trk, k, stage);
}

/* How far a flow's times may lag the clock the walk starts by: the flow
 * clock is the coarse one, a tick behind at most (and replay's is none) */
#define WALK_SKEW_NS (50 * 1000000ull)

/* The sweep's handle after a, whose bucket it fetched ahead when a is one
 * the sweep may close (a flood's walk closes half a table: each delete's
 * bucket, a miss in memory, is fetched some flows before it is needed) */
#define SWEEP_AHEAD 8
static uint32_t sweep_ahead(struct ta_session *s, uint32_t a)
{
	if (!ta_trk_stamped(&s->trk, a, s->walk))
		ta_trk_prefetch_del(&s->trk, a);
	return ta_trk_next(&s->trk, a);
}

/* Tracked flows the walk did not find were pushed out of the LRU table;
 * but those it skipped it did not look for: a record unseen whose times
 * are past the skip mark is gone (it would have been looked up), one
 * before it is one of the skipped or gone.  As many of those as were
 * skipped: all there.  Otherwise which are gone is not known: the next
 * walk looks every flow up, and closes them. */
static void tick_evicted(struct ta_session *s, struct walk_ctx *w)
{
	uint64_t maybe = 0;
	uint32_t a = ta_trk_next(&s->trk, TA_TRK_NONE);

	for (int i = 0; i < SWEEP_AHEAD && a != TA_TRK_NONE; i++)
		a = sweep_ahead(s, a);
	for (uint32_t h = ta_trk_next(&s->trk, TA_TRK_NONE); h != TA_TRK_NONE; h = ta_trk_next(&s->trk, h)) {
		struct ta_flow_val v;

		if (a != TA_TRK_NONE)
			a = sweep_ahead(s, a);
		if (ta_trk_stamped(&s->trk, h, s->walk))
			continue;
		if (w->skip_before) {
			ta_trk_val(&s->trk, h, &v);
			/* (the record keeps the last time to the microsecond) */
			if (walk_unchanged(w, v.first_ns, v.last_ns > 1000 ? v.last_ns - 1000 : 0)) {
				maybe++;
				ta_trk_stamp(&s->trk, h, s->walk);
				continue;
			}
		}
		evicted(s, h, &w->ctx, w->now);
		/* many closed at once (a flood's walk closes half a table): a
		 * scrape and the ring may not wait that long.  What the ring's
		 * events change is safe for this loop, which goes on by handle
		 * and looks at each record after them: a flow they add is
		 * stamped with this walk, one they close is no longer live. */
		if (s->yield && ++w->seen % WALK_YIELD == 0)
			s->yield(s->yield_arg);
	}
	s->walk_verify = maybe != w->skipped;
}

int ta_session_tick(struct ta_session *s)
{
	struct walk_ctx w = { .s = s, .now = ta_now_ns(), .ctx = ta_session_ctx(s), .swept = s->swept };

	memset(w.media.jitter_us, 0xff, sizeof(w.media.jitter_us));
	uint64_t cnt[TA_C_MAX], created = 0;
	bool counted = s->pinned && !ta_dp_counters(&s->dp, cnt);

	/* flows created before this walk, to count the ones the LRU pushed out */
	if (counted)
		created = cnt[TA_C_FLOW_NEW] + cnt[TA_C_KDROP_FLOW_NEW];
	/* the flows the last walk saw whole need no lookup, unless its count
	 * left doubt, IPFIX records need every flow's baseline, or the walk is
	 * to close what the full tables pushed out (bound_tracked) */
	if (s->walk_start_ns && !s->walk_verify && !s->walk_wanted && !s->ipfix && s->walk_start_ns > WALK_SKEW_NS)
		w.skip_before = s->walk_start_ns - WALK_SKEW_NS;
	s->walk_start_ns = w.now;
	s->walk++;
	ta_dp_flows_walk(&s->dp, &(struct ta_flow_walk){ .cb = walk_flow, .pre = walk_pre, .arg = &w });
	/* what a scrape during the walk reads is the last walk's, whole */
	s->table_flows = w.table_flows;
	memcpy(s->active, w.active, sizeof(s->active));
	memcpy(s->carrying, w.carrying, sizeof(s->carrying));
	media_publish(s, &w);
	for (size_t i = 0; i < w.ndel; i++)
		ta_dp_flow_delete(&s->dp, &w.del[i]);
	free(w.del);
	tick_evicted(s, &w);
	s->walk_wanted = false; /* (what the walk's own drains added, it has seen) */
	if (counted) {
		/* Pinned, only this reader deletes flows: every flow created and
		 * neither closed by a reader nor in the table now was evicted, seen
		 * by a reader or not (while none ran, or between two walks).  Flows
		 * created during the walk can only lower the figure: keep the max. */
		uint64_t gone = s->table_flows + s->persist.closed[TA_CLOSE_FIN] + s->persist.closed[TA_CLOSE_RST] +
				s->persist.closed[TA_CLOSE_IDLE];

		if (created > gone && created - gone > s->persist.closed[TA_CLOSE_EVICTED])
			s->persist.closed[TA_CLOSE_EVICTED] = created - gone;
	}
	s->walk_seconds = (double)(ta_now_ns() - w.now) / TA_NSEC_PER_SEC;
	return 0;
}


static int final_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct walk_ctx *w = arg;
	uint32_t h = ta_trk_find(&w->s->trk, k);
	struct ta_trk_ext *x = h == TA_TRK_NONE ? NULL : ta_trk_ext(&w->s->trk, h, false);

	if (x)
		ta_flow_export(w->s->ipfix, &w->ctx, k, v, &x->x, TA_FER_FORCED, w->now);
	return 0;
}

void ta_session_ipfix_final(struct ta_session *s)
{
	struct walk_ctx w = { .s = s, .now = ta_now_ns(), .ctx = ta_session_ctx(s), .swept = s->swept };

	if (s->ipfix)
		ta_dp_flows(&s->dp, final_flow, &w);
}
