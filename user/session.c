// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uthash.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include "cli.h"
#include "commands.h"
#include "json.h"
#include "kdrop.h"
#include "session.h"
#include "why.h"
#include "tokaudit.skel.h"
#include "util.h"

struct ta_tracked {
	struct ta_flow_key key;
	uint64_t packets;        /* both ways, at the last "updated" */
	uint64_t policy_drops;
	uint64_t last_emit_ns;
	uint64_t walk;           /* last walk that saw it */
	UT_hash_handle hh;
};

#define KEEP_MAX 4096

static const char *iface_name(struct ta_session *s, uint32_t ifindex)
{
	for (int i = 0; i < s->nifaces; i++)
		if (s->ifaces[i].ifindex == (int)ifindex)
			return s->ifaces[i].name;
	return NULL;
}

void ta_session_labels(struct ta_session *s)
{
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
		.labels = s->labels, .nlabels = TA_MAX_RULES, .generation = s->dp.generation,
		.prev_labels = s->prev_pol.nrules ? s->prev_labels : NULL, .prev_nlabels = TA_MAX_RULES,
		.now_ns = ta_now_ns(),
	};
	return c;
}

/* A flow event; extra (may be NULL) holds more fields and is consumed. */
static void emit(struct ta_session *s, const char *event, const struct ta_flow_key *k,
		 const struct ta_flow_val *v, json_object *extra)
{
	struct ta_flow_ctx c;
	json_object *o;

	if (!s->json) {
		json_object_put(extra);
		return;
	}
	c = ta_session_ctx(s);
	o = ta_flow_jobj(&c, event, iface_name(s, k->ifindex), k, v);
	ta_jmerge(o, extra);
	ta_jprint(s->out, o);
}

static json_object *one_field(const char *k, json_object *v)
{
	json_object *o = json_object_new_object();

	ta_jadd(o, k, v);
	return o;
}

static void keep_flow(struct ta_session *s, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	char why[768];
	struct ta_flow_ctx c = ta_session_ctx(s);

	/* unexpected, dropped or otherwise blocked flows stay for the report */
	if (!(v->flags & TA_FF_UNEXPECTED) && !v->policy_drops &&
	    !ta_flow_diagnosis(&c, NULL, k, v, true, why, sizeof(why)))
		return;
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

static struct ta_tracked *track(struct ta_session *s, const struct ta_flow_key *k,
				const struct ta_flow_val *v, bool *created)
{
	struct ta_tracked *t;

	HASH_FIND(hh, s->flows, k, sizeof(*k), t);
	*created = false;
	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->key = *k;
	t->packets = v->packets[0] + v->packets[1];
	t->policy_drops = 0; /* drops before we saw it are reported by the next walk */
	t->last_emit_ns = ta_now_ns();
	t->walk = s->walk;
	HASH_ADD(hh, s->flows, key, sizeof(t->key), t);
	*created = true;
	s->opened++;
	if (v->rule < TA_MAX_RULES)
		s->rules[v->rule].flows++;
	return t;
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

static int on_event(void *ctx, void *data, size_t size)
{
	struct ta_session *s = ctx;
	const struct ta_event *e = data;
	struct ta_flow_val v;
	bool created;

	if (size == sizeof(struct ta_capture)) {
		const struct ta_capture *c = data;
		if (s->evidence)
			ta_evidence_write(s->evidence, c, iface_name(s, c->ifindex),
					  c->rule < TA_MAX_RULES ? s->labels[c->rule] : NULL, ta_ktime_to_unix(c->ts_ns));
		return 0;
	}
	if (size < sizeof(*e))
		return 0;
	if (e->type == TA_EV_KERNEL_DROP) {
		char rb[64], sb[128];
		json_object *x;

		s->kdrop_events++;
		if (!s->json)
			return 0;
		x = json_object_new_object();
		ta_jadd(x, "drop_reason", ta_jstr(ta_drop_reason_name(e->drop_reason, rb, sizeof(rb))));
		ta_jadd(x, "drop_location", ta_jstr(ta_ksym(e->drop_loc, sb, sizeof(sb))));
		ta_jadd(x, "drop_dir", ta_jstr(ta_dir_name(e->dir & 1)));
		ta_jadd(x, "known_flow", ta_jbool(e->has_flow == 1));
		ta_jadd(x, "flow_created_by_drop", ta_jbool(e->has_flow == 2));
		if (!e->has_flow || ta_dp_flow_lookup(&s->dp, &e->key, &v))
			event_val(e, 0, &v);
		emit(s, "kernel-drop", &e->key, &v, x);
		return 0;
	}
	if (e->type == TA_EV_ORPHAN_FRAG) {
		event_val(e, TA_FF_UNEXPECTED, &v);
		emit(s, "unexpected", &e->key, &v, one_field("reason", ta_jstr("orphan-fragment")));
		return 0;
	}
	if (ta_dp_flow_lookup(&s->dp, &e->key, &v))
		return 0; /* gone already: the walk reports what it finds */
	track(s, &e->key, &v, &created);
	if (created)
		emit(s, "opened", &e->key, &v, NULL);
	if (e->verdict == TA_V_UNEXPECTED)
		emit(s, "unexpected", &e->key, &v, NULL);
	return 0;
}

int ta_session_open(struct ta_session *s, const char *policy, unsigned flows)
{
	struct ta_compiled comp;
	struct ta_dp_opts o = { .events_allowed = true, .enforce = s->enforce, .flow_entries = flows,
				.drops = true, .capture = (uint16_t)(s->evidence ? s->snaplen : 0) };
	int err;

	s->policy_path = policy;
	s->start_ns = ta_now_ns();
	s->drop_link_fd = -1;
	if (ta_load_policy_or_builtin(policy, &s->pol))
		return -EINVAL;
	ta_session_labels(s);
	err = ta_policy_compile(&s->pol, &comp);
	if (err) {
		ta_err("cannot compile the policy: %s", strerror(-err));
		return err;
	}
	/* which direction each hook sees depends on the side the interface faces */
	o.xdp_dir_mode = s->side == TA_SIDE_OUTSIDE ? TA_DM_IN : TA_DM_OUT;
	o.tc_in_dir_mode = o.xdp_dir_mode;
	o.tc_dir_mode = s->side == TA_SIDE_OUTSIDE ? TA_DM_OUT : TA_DM_IN;
	err = ta_dp_open(&s->dp, &o);
	if (!err)
		err = ta_dp_set_policy(&s->dp, &comp);
	ta_compiled_free(&comp);
	if (err)
		return err;
	s->rb = ring_buffer__new(bpf_map__fd(s->dp.skel->maps.ta_events), on_event, s, NULL);
	if (!s->rb) {
		err = -errno;
		ta_err("cannot open the event ring buffer: %s", strerror(-err));
		return err;
	}
	return 0;
}

int ta_session_attach(struct ta_session *s)
{
	int xdp_fd = bpf_program__fd(s->dp.skel->progs.tokaudit_xdp);
	int eg_fd = bpf_program__fd(s->dp.skel->progs.tokaudit_tc);
	int in_fd = bpf_program__fd(s->dp.skel->progs.tokaudit_tc_in);

	for (int i = 0; i < s->nifaces; i++) {
		struct ta_iface *ifc = &s->ifaces[i];
		int err = 0;

		if (s->hook == TA_HOOK_XDP)
			err = ta_attach_xdp(ifc, xdp_fd, s->xdp_mode);
		if (!err)
			err = ta_attach_tc(ifc, eg_fd, s->hook == TA_HOOK_TC ? in_fd : -1);
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
	struct ta_tracked *t, *tmp;

	for (int i = 0; i < s->nifaces; i++)
		ta_detach(&s->ifaces[i]);
	if (s->drop_link_fd >= 0)
		close(s->drop_link_fd);
	s->drop_link_fd = -1;
	if (s->rb)
		ring_buffer__free(s->rb);
	s->rb = NULL;
	HASH_ITER(hh, s->flows, t, tmp) {
		HASH_DEL(s->flows, t);
		free(t);
	}
	free(s->keep);
	s->keep = NULL;
	ta_dp_close(&s->dp);
	ta_policy_free(&s->pol);
	ta_policy_free(&s->prev_pol);
}

int ta_session_reload(struct ta_session *s)
{
	struct ta_policy np;
	struct ta_compiled comp;
	int err;

	if (ta_load_policy_or_builtin(s->policy_path, &np)) {
		ta_err("reload: the new policy has errors: the running policy (generation %u) stays",
		       s->dp.generation);
		return -EINVAL;
	}
	err = ta_policy_compile(&np, &comp);
	if (!err) {
		err = ta_dp_set_policy(&s->dp, &comp);
		ta_compiled_free(&comp);
	}
	if (err) {
		ta_err("reload failed: %s; the running policy stays", strerror(-err));
		ta_policy_free(&np);
		return err;
	}
	/* flows judged under the old policy keep reading its labels */
	ta_policy_free(&s->prev_pol);
	s->prev_pol = s->pol;
	s->pol = np;
	ta_session_labels(s);
	if (s->json) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "event", ta_jstr("reload"));
		ta_jtime(o, "time", ta_ktime_to_unix(ta_now_ns()));
		ta_jadd(o, "generation", ta_ju64(s->dp.generation));
		ta_jadd(o, "rules", ta_ju64(s->pol.nrules));
		ta_jprint(s->out, o);
	} else {
		ta_info("policy reloaded: generation %u, %zu rules", s->dp.generation, s->pol.nrules);
	}
	return 0;
}

int ta_session_poll(struct ta_session *s, int timeout_ms)
{
	int n = ring_buffer__poll(s->rb, timeout_ms);

	return n == -EINTR ? 0 : n;
}

struct walk_ctx {
	struct ta_session *s;
	uint64_t now;
	struct ta_flow_key *del;
	size_t ndel, capdel;
};

static int walk_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct walk_ctx *w = arg;
	struct ta_session *s = w->s;
	bool created;
	struct ta_tracked *t = track(s, k, v, &created);
	uint64_t pk = v->packets[0] + v->packets[1];

	if (!t)
		return 0;
	t->walk = s->walk;
	if (created)
		emit(s, "opened", k, v, NULL);
	if (v->rule < TA_MAX_RULES && v->last_ns > s->rules[v->rule].last_ns)
		s->rules[v->rule].last_ns = v->last_ns;
	if (v->policy_drops != t->policy_drops) {
		emit(s, "dropped", k, v, one_field("dropped_since_last", ta_ju64(v->policy_drops - t->policy_drops)));
		t->policy_drops = v->policy_drops;
	}
	if (w->now > v->last_ns && (w->now - v->last_ns) / 1000000000ull >= ta_flow_idle_limit(k, v)) {
		/* over (FIN, RST) or idle: report closed and remove it */
		if (ta_grow(&w->del, &w->capdel, w->ndel, sizeof(*w->del), 256))
			return 0;
		w->del[w->ndel++] = *k;
		emit(s, "closed", k, v, one_field("reason", ta_jstr(ta_flow_close_reason(k, v))));
		keep_flow(s, k, v);
		s->closed_idle++;
		HASH_DEL(s->flows, t);
		free(t);
		return 0;
	}
	if (pk != t->packets && !created) {
		emit(s, "updated", k, v, NULL);
		t->packets = pk;
		t->last_emit_ns = w->now;
	}
	return 0;
}

int ta_session_tick(struct ta_session *s)
{
	struct walk_ctx w = { .s = s, .now = ta_now_ns() };
	struct ta_tracked *t, *tmp;
	int fd = bpf_map__fd(s->dp.skel->maps.ta_flows);

	s->walk++;
	ta_dp_flows(&s->dp, walk_flow, &w);
	for (size_t i = 0; i < w.ndel; i++)
		bpf_map_delete_elem(fd, &w.del[i]);
	free(w.del);
	/* tracked flows the walk did not find were pushed out of the LRU table */
	HASH_ITER(hh, s->flows, t, tmp) {
		if (t->walk == s->walk)
			continue;
		struct ta_flow_val v = { 0 };
		v.packets[TA_DIR_OUT] = t->packets;
		v.rule = TA_NO_RULE;
		emit(s, "closed", &t->key, &v, one_field("reason", ta_jstr("evicted")));
		s->evicted++;
		HASH_DEL(s->flows, t);
		free(t);
	}
	return 0;
}

/* Notes on drops that no flow took, with what to do (text) */
static void drop_notes(FILE *f, const uint64_t cnt[TA_C_MAX], const char *indent)
{
	if (cnt[TA_C_KDROP_NOFLOW])
		fprintf(f, "%snote: %llu kernel drops of policy traffic could not be charged to a flow (the flow "
			"table was full): raise --flows\n", indent, (unsigned long long)cnt[TA_C_KDROP_NOFLOW]);
	if (cnt[TA_C_KDROP_NONS])
		fprintf(f, "%snote: %llu drops of policy traffic whose network namespace could not be read were "
			"not attributed (they may be another namespace's): see kernel_drops_ns_unknown\n", indent,
			(unsigned long long)cnt[TA_C_KDROP_NONS]);
}

void ta_counters_json(json_object *o, struct ta_dp *dp, const char *const *labels, uint32_t nr)
{
	struct ta_count vs[TA_VSTAT_MAX], rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	json_object *vj, *rj, *cj;

	if (ta_dp_vstats(dp, vs) || ta_dp_rstats(dp, rs) || ta_dp_counters(dp, cnt)) {
		ta_err("cannot read the counters: %s", strerror(errno));
		return;
	}
	vj = json_object_new_object();
	for (int v = 0; v < TA_V_MAX; v++) {
		struct ta_count t = ta_vstat_total(vs, v);
		json_object *x = json_object_new_object();

		ta_jadd(x, "packets", ta_ju64(t.packets));
		ta_jadd(x, "bytes", ta_ju64(t.bytes));
		ta_jadd(x, "in", ta_ju64(vs[v * TA_VSTAT_DIRS + TA_DIR_IN].packets));
		ta_jadd(x, "out", ta_ju64(vs[v * TA_VSTAT_DIRS + TA_DIR_OUT].packets));
		ta_jadd(vj, ta_verdict_name(v), x);
	}
	ta_jadd(o, "verdicts", vj);
	rj = json_object_new_object();
	for (uint32_t r = 0; r < nr && r < TA_MAX_RULES; r++) {
		json_object *x = json_object_new_object();

		ta_jadd(x, "packets", ta_ju64(rs[r].packets));
		ta_jadd(x, "bytes", ta_ju64(rs[r].bytes));
		json_object_object_add_ex(rj, labels[r] ? labels[r] : "?", x, JSON_C_OBJECT_ADD_KEY_IS_NEW);
	}
	ta_jadd(o, "rules", rj);
	cj = json_object_new_object();
	for (int c = 0; c < TA_C_MAX; c++)
		ta_jadd(cj, ta_counter_name(c), ta_ju64(cnt[c]));
	ta_jadd(o, "counters", cj);
}

void ta_print_counters(FILE *f, struct ta_dp *dp, const char *const *labels, uint32_t nr)
{
	struct ta_count vs[TA_VSTAT_MAX], rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];

	if (ta_dp_vstats(dp, vs) || ta_dp_rstats(dp, rs) || ta_dp_counters(dp, cnt)) {
		ta_err("cannot read the counters: %s", strerror(errno));
		return;
	}
	fprintf(f, "%-11s %12s %14s %12s %12s\n", "VERDICT", "PACKETS", "BYTES", "IN", "OUT");
	for (int v = 0; v < TA_V_MAX; v++) {
		struct ta_count t = ta_vstat_total(vs, v);
		fprintf(f, "%-11s %12llu %14llu %12llu %12llu\n", ta_verdict_name(v), (unsigned long long)t.packets,
			(unsigned long long)t.bytes, (unsigned long long)vs[v * TA_VSTAT_DIRS + TA_DIR_IN].packets,
			(unsigned long long)vs[v * TA_VSTAT_DIRS + TA_DIR_OUT].packets);
	}
	fprintf(f, "\n%-11s %12s %14s\n", "RULE", "PACKETS", "BYTES");
	for (uint32_t r = 0; r < nr && r < TA_MAX_RULES; r++)
		fprintf(f, "%-11s %12llu %14llu\n", labels[r] ? labels[r] : "?",
			(unsigned long long)rs[r].packets, (unsigned long long)rs[r].bytes);
	fprintf(f, "\npolicy drops %llu, flows created %llu, flow table full %llu, events lost %llu\n",
		(unsigned long long)cnt[TA_C_POLICY_DROP], (unsigned long long)cnt[TA_C_FLOW_NEW],
		(unsigned long long)cnt[TA_C_FLOW_FAIL],
		(unsigned long long)(cnt[TA_C_EV_LOST_NEW] + cnt[TA_C_EV_LOST_UNEXP] + cnt[TA_C_EV_LOST_DROP]));
	fprintf(f, "kernel drops of policy traffic: %llu blocks (%llu on flows they opened), %llu endpoint discards\n",
		(unsigned long long)(cnt[TA_C_KDROP] + cnt[TA_C_KDROP_NOFLOW]),
		(unsigned long long)cnt[TA_C_KDROP_FLOW_NEW], (unsigned long long)cnt[TA_C_KDROP_ENDPOINT]);
	drop_notes(f, cnt, "");
}

struct sortable {
	struct ta_flow_key k;
	struct ta_flow_val v;
};

struct collect {
	struct sortable *a;
	size_t n, cap;
};

static int collect_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct collect *c = arg;

	if (ta_grow(&c->a, &c->cap, c->n, sizeof(*c->a), 256))
		return 1;
	c->a[c->n].k = *k;
	c->a[c->n].v = *v;
	c->n++;
	return 0;
}

static int by_recent(const void *a, const void *b)
{
	const struct sortable *x = a, *y = b;

	return x->v.last_ns < y->v.last_ns ? 1 : x->v.last_ns > y->v.last_ns ? -1 : 0;
}

static int by_packets(const void *a, const void *b)
{
	const struct sortable *x = a, *y = b;
	uint64_t px = x->v.packets[0] + x->v.packets[1], py = y->v.packets[0] + y->v.packets[1];

	return px < py ? 1 : px > py ? -1 : 0;
}

static int term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 10)
		return ws.ws_row;
	return 40;
}

void ta_session_screen(struct ta_session *s, FILE *f)
{
	struct collect c = { 0 };
	struct ta_flow_ctx fc = ta_session_ctx(s);
	uint64_t now = fc.now_ns;
	char ifs[256] = "";

	for (int i = 0; i < s->nifaces; i++)
		snprintf(ifs + strlen(ifs), sizeof(ifs) - strlen(ifs), "%s%s", i ? "," : "", s->ifaces[i].name);
	fputs("\033[H\033[2J", f);
	fprintf(f, "tokaudit run  %s (%s side, %s%s)  policy %s gen %u  %s  up %llus\n\n", ifs,
		s->side == TA_SIDE_OUTSIDE ? "outside" : "inside", s->hook == TA_HOOK_TC ? "tc" : "xdp+tc",
		s->hook == TA_HOOK_XDP ? (s->ifaces[0].xdp_mode == TA_XDP_SKB ? " skb" : " native") : "",
		s->policy_path ? s->policy_path : "built-in", s->dp.generation, s->enforce ? "ENFORCE" : "audit",
		(unsigned long long)((now - s->start_ns) / 1000000000ull));
	ta_print_counters(f, &s->dp, s->labels, (uint32_t)s->pol.nrules);
	fprintf(f, "flows open %u, closed idle %llu, evicted %llu\n\n", HASH_COUNT(s->flows),
		(unsigned long long)s->closed_idle, (unsigned long long)s->evicted);
	ta_dp_flows(&s->dp, collect_flow, &c);
	qsort(c.a, c.n, sizeof(*c.a), by_recent);
	fprintf(f, "%-52s %-10s %-8s %-11s %13s %15s %6s\n", "FLOW", "VERDICT", "RULE", "STATE",
		"PKTS OUT/IN", "BYTES OUT/IN", "IDLE");
	int rows = term_rows() - 24 - (int)s->pol.nrules;
	for (size_t i = 0; i < c.n && (int)i < (rows > 3 ? rows : 3); i++)
		ta_flow_line(f, &fc, &c.a[i].k, &c.a[i].v, 52);
	free(c.a);
	fflush(f);
}

void ta_session_report(struct ta_session *s, FILE *f, bool json, bool all)
{
	struct collect c = { 0 };
	struct ta_count rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	struct ta_flow_ctx fc = ta_session_ctx(s);
	uint64_t now = fc.now_ns;
	size_t nu = 0, nd = 0;
	const size_t top = 20;
	struct ta_why_filter wf = { .all = all };

	ta_dp_flows(&s->dp, collect_flow, &c);
	for (size_t i = 0; i < s->nkeep; i++) /* closed ones kept for this */
		collect_flow(&s->keep[i].k, &s->keep[i].v, &c);
	qsort(c.a, c.n, sizeof(*c.a), by_packets);
	if (ta_dp_rstats(&s->dp, rs) || ta_dp_counters(&s->dp, cnt)) {
		ta_err("cannot read the counters: %s", strerror(errno));
		free(c.a);
		return;
	}
	/* last seen per rule, from the open flows too */
	for (size_t i = 0; i < c.n; i++) {
		uint32_t r = c.a[i].v.rule;
		if (r < TA_MAX_RULES && c.a[i].v.generation == s->dp.generation && c.a[i].v.last_ns > s->rules[r].last_ns)
			s->rules[r].last_ns = c.a[i].v.last_ns;
	}
	if (json) {
		json_object *o = json_object_new_object(), *a, *x;

		ta_jadd(o, "event", ta_jstr("report"));
		ta_jtime(o, "time", ta_ktime_to_unix(now));
		ta_jadd(o, "duration", ta_jnum((double)(now - s->start_ns) / 1e9, 3));
		ta_jadd(o, "generation", ta_ju64(s->dp.generation));
		a = json_object_new_array();
		for (size_t r = 0; r < s->pol.nrules; r++) {
			x = json_object_new_object();
			ta_jadd(x, "rule", ta_jstr(s->labels[r]));
			ta_jadd(x, "flows", ta_ju64(s->rules[r].flows));
			ta_jadd(x, "packets", ta_ju64(rs[r].packets));
			ta_jadd(x, "bytes", ta_ju64(rs[r].bytes));
			ta_jadd(x, "exercised", ta_jbool(rs[r].packets != 0));
			ta_jtime(x, "last_seen", s->rules[r].last_ns ? ta_ktime_to_unix(s->rules[r].last_ns) : 0);
			json_object_array_add(a, x);
		}
		ta_jadd(o, "compliance", a);
		a = json_object_new_array();
		for (size_t i = 0; i < c.n && nu < top; i++)
			if (c.a[i].v.flags & TA_FF_UNEXPECTED) {
				nu++;
				json_object_array_add(a, ta_flow_jobj(&fc, NULL, iface_name(s, c.a[i].k.ifindex), &c.a[i].k,
								      &c.a[i].v));
			}
		ta_jadd(o, "unexpected", a);
		a = json_object_new_array();
		for (size_t i = 0; i < c.n && nd < top; i++)
			if (c.a[i].v.policy_drops) {
				nd++;
				json_object_array_add(a, ta_flow_jobj(&fc, NULL, iface_name(s, c.a[i].k.ifindex), &c.a[i].k,
								      &c.a[i].v));
			}
		ta_jadd(o, "dropped", a);
		ta_why(NULL, o, &s->dp, s->keep, s->nkeep, &fc, (uint32_t)s->pol.nrules, &wf);
		if (s->evidence) {
			x = json_object_new_object();
			ta_jadd(x, "captured", ta_ju64(ta_evidence_count(s->evidence)));
			ta_jadd(x, "not_captured_rate_bound", ta_ju64(cnt[TA_C_CAP_BOUND]));
			ta_jadd(x, "not_captured_lost", ta_ju64(cnt[TA_C_CAP_LOST]));
			ta_jadd(o, "evidence", x);
		}
		ta_jadd(o, "flows_opened", ta_ju64(s->opened));
		ta_jadd(o, "flows_closed_idle", ta_ju64(s->closed_idle));
		ta_jadd(o, "flows_evicted", ta_ju64(s->evicted));
		x = json_object_new_object();
		ta_jadd(x, "new_flow", ta_ju64(cnt[TA_C_EV_LOST_NEW]));
		ta_jadd(x, "unexpected", ta_ju64(cnt[TA_C_EV_LOST_UNEXP]));
		ta_jadd(x, "kernel_drop", ta_ju64(cnt[TA_C_EV_LOST_DROP]));
		ta_jadd(o, "events_lost", x);
		ta_counters_json(o, &s->dp, s->labels, (uint32_t)s->pol.nrules);
		ta_jprint(f, o);
		free(c.a);
		return;
	}
	fprintf(f, "\ntokaudit compliance report (policy %s, generation %u, %.0f s)\n\n",
		s->policy_path ? s->policy_path : "built-in", s->dp.generation, (double)(now - s->start_ns) / 1e9);
	fprintf(f, "%-11s %8s %12s %14s %10s  %s\n", "RULE", "FLOWS", "PACKETS", "BYTES", "LAST SEEN", "");
	for (size_t r = 0; r < s->pol.nrules; r++) {
		char ago[32] = "never";
		if (s->rules[r].last_ns)
			snprintf(ago, sizeof(ago), "%.0fs ago", (double)(now - s->rules[r].last_ns) / 1e9);
		fprintf(f, "%-11s %8llu %12llu %14llu %10s  %s\n", s->labels[r], (unsigned long long)s->rules[r].flows,
			(unsigned long long)rs[r].packets, (unsigned long long)rs[r].bytes, ago,
			rs[r].packets ? "exercised" : "NOT EXERCISED");
	}
	fprintf(f, "\nUnexpected flows (top %zu by packets):\n", top);
	for (size_t i = 0; i < c.n && nu < top; i++)
		if (c.a[i].v.flags & TA_FF_UNEXPECTED) {
			nu++;
			fputs("  ", f);
			ta_flow_line(f, &fc, &c.a[i].k, &c.a[i].v, 50);
		}
	if (!nu)
		fputs("  none\n", f);
	fprintf(f, "\nDropped flows:\n");
	for (size_t i = 0; i < c.n && nd < top; i++)
		if (c.a[i].v.policy_drops) {
			nd++;
			fputs("  ", f);
			ta_flow_line(f, &fc, &c.a[i].k, &c.a[i].v, 50);
		}
	if (!nd)
		fputs("  none\n", f);
	fprintf(f, "\nWhy (flows something blocked):\n");
	ta_why(f, NULL, &s->dp, s->keep, s->nkeep, &fc, (uint32_t)s->pol.nrules, &wf);
	fprintf(f, "\nflows opened %llu, closed %llu, evicted from a full table %llu\n",
		(unsigned long long)s->opened, (unsigned long long)s->closed_idle, (unsigned long long)s->evicted);
	if (s->evidence)
		fprintf(f, "evidence: %llu packets captured; not captured: %llu over the per-flow rate bound, %llu lost (ring buffer full)\n",
			(unsigned long long)ta_evidence_count(s->evidence), (unsigned long long)cnt[TA_C_CAP_BOUND],
			(unsigned long long)cnt[TA_C_CAP_LOST]);
	if (cnt[TA_C_EV_LOST_NEW] || cnt[TA_C_EV_LOST_UNEXP] || cnt[TA_C_EV_LOST_DROP])
		fprintf(f, "events lost: %llu new-flow, %llu unexpected, %llu kernel-drop (ring buffer full; "
			"the flow table still has them)\n",
			(unsigned long long)cnt[TA_C_EV_LOST_NEW], (unsigned long long)cnt[TA_C_EV_LOST_UNEXP],
			(unsigned long long)cnt[TA_C_EV_LOST_DROP]);
	else
		fprintf(f, "events lost: none\n");
	fflush(f);
	free(c.a);
}

struct why_ctx {
	FILE *f;
	json_object *arr;
	const struct ta_flow_ctx *c;
	const struct ta_why_filter *flt;
	size_t n;
};

static int why_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct why_ctx *w = arg;
	const struct ta_why_filter *flt = w->flt;
	char sentence[768], ifn[IF_NAMESIZE + 1];
	const char *ifname = if_indextoname(k->ifindex, ifn);

	if (flt->remote.has && !ta_remote_match(&flt->remote, k))
		return 0;
	if (flt->rule) {
		const char *l = ta_flow_rule_label(w->c, v);
		if (!l || strcmp(l, flt->rule))
			return 0;
	}
	if (!ta_flow_diagnosis(w->c, ifname, k, v, flt->all, sentence, sizeof(sentence)))
		return 0;
	if (w->arr) {
		json_object *o = json_object_new_object();

		ta_jadd(o, "diagnosis", ta_jstr(sentence));
		ta_jadd(o, "flow", ta_flow_jobj(w->c, NULL, ifname, k, v));
		json_object_array_add(w->arr, o);
	} else {
		fprintf(w->f, "  %s\n", sentence);
	}
	w->n++;
	return 0;
}

void ta_why(FILE *f, json_object *obj, struct ta_dp *dp, const struct ta_closed *closed, size_t nclosed,
	    const struct ta_flow_ctx *c, uint32_t nrules, const struct ta_why_filter *flt)
{
	struct why_ctx w = { .f = f, .c = c, .flt = flt };
	struct ta_count rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];

	if (obj)
		w.arr = json_object_new_array();
	ta_dp_flows(dp, why_flow, &w);
	for (size_t i = 0; i < nclosed; i++) /* flows that closed meanwhile */
		why_flow(&closed[i].k, &closed[i].v, &w);
	if (ta_dp_rstats(dp, rs))
		memset(rs, 0, sizeof(rs));
	if (ta_dp_counters(dp, cnt))
		memset(cnt, 0, sizeof(cnt));
	if (obj) {
		json_object *a = json_object_new_array();

		ta_jadd(obj, "why", w.arr);
		for (uint32_t r = 0; r < nrules && r < TA_MAX_RULES; r++)
			if (!rs[r].packets && c->labels[r])
				json_object_array_add(a, ta_jstr(c->labels[r]));
		ta_jadd(obj, "rules_without_traffic", a);
		ta_jadd(obj, "drops_without_flow", ta_ju64(cnt[TA_C_KDROP_NOFLOW]));
		ta_jadd(obj, "drops_ns_unknown", ta_ju64(cnt[TA_C_KDROP_NONS]));
		ta_jadd(obj, "endpoint_discards", ta_ju64(cnt[TA_C_KDROP_ENDPOINT]));
		return;
	}
	if (!w.n)
		fputs("  nothing blocked any flow\n", f);
	for (uint32_t r = 0; r < nrules && r < TA_MAX_RULES; r++)
		if (!rs[r].packets && c->labels[r])
			fprintf(f, "  rule %s never carried traffic\n", c->labels[r]);
	if (!flt->all && cnt[TA_C_KDROP_ENDPOINT])
		fprintf(f, "  (%llu endpoint discards of policy traffic not shown: --all shows them)\n",
			(unsigned long long)cnt[TA_C_KDROP_ENDPOINT]);
	drop_notes(f, cnt, "  ");
}
