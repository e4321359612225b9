// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uthash.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "commands.h"
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
}

static void emit(struct ta_session *s, const char *event, const struct ta_flow_key *k,
		 const struct ta_flow_val *v, const char *extra)
{
	if (!s->json)
		return;
	ta_flow_json(s->out, event, iface_name(s, k->ifindex), k, v, s->labels, TA_MAX_RULES,
		     ta_now_ns(), extra);
	fputc('\n', s->out);
	fflush(s->out);
}

static void keep_flow(struct ta_session *s, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	char why[768];

	/* unexpected, dropped or otherwise blocked flows stay for the report */
	if (!(v->flags & TA_FF_UNEXPECTED) && !v->policy_drops &&
	    !ta_flow_diagnosis(k, v, s->labels, ta_now_ns(), why, sizeof(why)))
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
		char rb[64], sb[128], extra[300];

		s->kdrop_events++;
		if (!s->json)
			return 0;
		snprintf(extra, sizeof(extra), "\"drop_reason\":\"%s\",\"drop_location\":\"%s\",\"drop_dir\":\"%s\",\"known_flow\":%s",
			 ta_drop_reason_name(e->drop_reason, rb, sizeof(rb)), ta_ksym(e->drop_loc, sb, sizeof(sb)),
			 ta_dir_name(e->dir & 1), e->has_flow ? "true" : "false");
		if (!e->has_flow || ta_dp_flow_lookup(&s->dp, &e->key, &v))
			event_val(e, 0, &v);
		emit(s, "kernel-drop", &e->key, &v, extra);
		return 0;
	}
	if (e->type == TA_EV_ORPHAN_FRAG) {
		event_val(e, TA_FF_UNEXPECTED, &v);
		emit(s, "unexpected", &e->key, &v, "\"reason\":\"orphan-fragment\"");
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
	ta_policy_free(&s->pol);
	s->pol = np;
	ta_session_labels(s);
	if (s->json) {
		fprintf(s->out, "{\"event\":\"reload\",\"time\":%.6f,\"generation\":%u,\"rules\":%zu}\n",
			ta_ktime_to_unix(ta_now_ns()), s->dp.generation, s->pol.nrules);
		fflush(s->out);
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
		char extra[64];
		snprintf(extra, sizeof(extra), "\"dropped_since_last\":%llu",
			 (unsigned long long)(v->policy_drops - t->policy_drops));
		emit(s, "dropped", k, v, extra);
		t->policy_drops = v->policy_drops;
	}
	if (w->now > v->last_ns && (w->now - v->last_ns) / 1000000000ull >= ta_flow_idle_limit(k, v)) {
		/* idle: report closed and remove it */
		if (ta_grow(&w->del, &w->capdel, w->ndel, sizeof(*w->del), 256))
			return 0;
		w->del[w->ndel++] = *k;
		emit(s, "closed", k, v, "\"reason\":\"idle\"");
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
		emit(s, "closed", &t->key, &v, "\"reason\":\"evicted\"");
		s->evicted++;
		HASH_DEL(s->flows, t);
		free(t);
	}
	return 0;
}

void ta_print_counters(FILE *f, struct ta_dp *dp, const struct ta_policy *pol,
		       const char *const *labels, uint32_t nlabels, bool json)
{
	struct ta_count vs[TA_VSTAT_MAX], rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	uint32_t nr = pol ? (uint32_t)pol->nrules : nlabels;

	if (ta_dp_vstats(dp, vs) || ta_dp_rstats(dp, rs) || ta_dp_counters(dp, cnt)) {
		ta_err("cannot read the counters: %s", strerror(errno));
		return;
	}
	if (json) {
		fputs("\"verdicts\":{", f);
		for (int v = 0; v < TA_V_MAX; v++) {
			struct ta_count t = ta_vstat_total(vs, v);
			fprintf(f, "%s\"%s\":{\"packets\":%llu,\"bytes\":%llu,\"in\":%llu,\"out\":%llu}",
				v ? "," : "", ta_verdict_name(v), (unsigned long long)t.packets,
				(unsigned long long)t.bytes,
				(unsigned long long)vs[v * TA_VSTAT_DIRS + TA_DIR_IN].packets,
				(unsigned long long)vs[v * TA_VSTAT_DIRS + TA_DIR_OUT].packets);
		}
		fputs("},\"rules\":{", f);
		for (uint32_t r = 0; r < nr; r++)
			fprintf(f, "%s\"%s\":{\"packets\":%llu,\"bytes\":%llu}", r ? "," : "",
				labels[r] ? labels[r] : "?", (unsigned long long)rs[r].packets,
				(unsigned long long)rs[r].bytes);
		fputs("},\"counters\":{", f);
		for (int c = 0; c < TA_C_MAX; c++)
			fprintf(f, "%s\"%s\":%llu", c ? "," : "", ta_counter_name(c), (unsigned long long)cnt[c]);
		fputc('}', f);
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
	for (uint32_t r = 0; r < nr; r++)
		fprintf(f, "%-11s %12llu %14llu\n", labels[r] ? labels[r] : "?",
			(unsigned long long)rs[r].packets, (unsigned long long)rs[r].bytes);
	fprintf(f, "\npolicy drops %llu, flows created %llu, flow table full %llu, events lost %llu\n",
		(unsigned long long)cnt[TA_C_POLICY_DROP], (unsigned long long)cnt[TA_C_FLOW_NEW],
		(unsigned long long)cnt[TA_C_FLOW_FAIL],
		(unsigned long long)(cnt[TA_C_EV_LOST_NEW] + cnt[TA_C_EV_LOST_UNEXP] + cnt[TA_C_EV_LOST_DROP]));
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
	uint64_t now = ta_now_ns();
	char ifs[256] = "";

	for (int i = 0; i < s->nifaces; i++)
		snprintf(ifs + strlen(ifs), sizeof(ifs) - strlen(ifs), "%s%s", i ? "," : "", s->ifaces[i].name);
	fputs("\033[H\033[2J", f);
	fprintf(f, "tokaudit run  %s (%s side, %s%s)  policy %s gen %u  %s  up %llus\n\n", ifs,
		s->side == TA_SIDE_OUTSIDE ? "outside" : "inside", s->hook == TA_HOOK_TC ? "tc" : "xdp+tc",
		s->hook == TA_HOOK_XDP ? (s->ifaces[0].xdp_mode == TA_XDP_SKB ? " skb" : " native") : "",
		s->policy_path ? s->policy_path : "built-in", s->dp.generation, s->enforce ? "ENFORCE" : "audit",
		(unsigned long long)((now - s->start_ns) / 1000000000ull));
	ta_print_counters(f, &s->dp, &s->pol, s->labels, TA_MAX_RULES, false);
	fprintf(f, "flows open %u, closed idle %llu, evicted %llu\n\n", HASH_COUNT(s->flows),
		(unsigned long long)s->closed_idle, (unsigned long long)s->evicted);
	ta_dp_flows(&s->dp, collect_flow, &c);
	qsort(c.a, c.n, sizeof(*c.a), by_recent);
	fprintf(f, "%-52s %-10s %-8s %-11s %13s %15s %6s\n", "FLOW", "VERDICT", "RULE", "STATE",
		"PKTS OUT/IN", "BYTES OUT/IN", "IDLE");
	int rows = term_rows() - 24 - (int)s->pol.nrules;
	for (size_t i = 0; i < c.n && (int)i < (rows > 3 ? rows : 3); i++)
		ta_flow_line(f, &c.a[i].k, &c.a[i].v, s->labels, TA_MAX_RULES, now, 52);
	free(c.a);
	fflush(f);
}

void ta_session_report(struct ta_session *s, FILE *f, bool json)
{
	struct collect c = { 0 };
	struct ta_count rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	uint64_t now = ta_now_ns();
	size_t nu = 0, nd = 0;
	const size_t top = 20;

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
		if (r < TA_MAX_RULES && c.a[i].v.last_ns > s->rules[r].last_ns)
			s->rules[r].last_ns = c.a[i].v.last_ns;
	}
	if (json) {
		fprintf(f, "{\"event\":\"report\",\"time\":%.6f,\"duration\":%.3f,\"generation\":%u,\"compliance\":[",
			ta_ktime_to_unix(now), (double)(now - s->start_ns) / 1e9, s->dp.generation);
		for (size_t r = 0; r < s->pol.nrules; r++) {
			fprintf(f, "%s{\"rule\":\"%s\",\"flows\":%llu,\"packets\":%llu,\"bytes\":%llu,\"exercised\":%s,",
				r ? "," : "", s->labels[r], (unsigned long long)s->rules[r].flows,
				(unsigned long long)rs[r].packets, (unsigned long long)rs[r].bytes,
				rs[r].packets ? "true" : "false");
			if (s->rules[r].last_ns)
				fprintf(f, "\"last_seen\":%.6f}", ta_ktime_to_unix(s->rules[r].last_ns));
			else
				fputs("\"last_seen\":null}", f);
		}
		fputs("],\"unexpected\":[", f);
		for (size_t i = 0; i < c.n && nu < top; i++)
			if (c.a[i].v.flags & TA_FF_UNEXPECTED) {
				if (nu++)
					fputc(',', f);
				ta_flow_json(f, NULL, iface_name(s, c.a[i].k.ifindex), &c.a[i].k, &c.a[i].v, s->labels,
					     TA_MAX_RULES, now, NULL);
			}
		fputs("],\"dropped\":[", f);
		for (size_t i = 0; i < c.n && nd < top; i++)
			if (c.a[i].v.policy_drops) {
				if (nd++)
					fputc(',', f);
				ta_flow_json(f, NULL, iface_name(s, c.a[i].k.ifindex), &c.a[i].k, &c.a[i].v, s->labels,
					     TA_MAX_RULES, now, NULL);
			}
		fputs("],", f);
		ta_print_why(f, &s->dp, s->keep, s->nkeep, s->labels, (uint32_t)s->pol.nrules, NULL, NULL, NULL, true);
		if (s->evidence)
			fprintf(f, ",\"evidence\":{\"captured\":%llu,\"not_captured_rate_bound\":%llu,\"not_captured_lost\":%llu}",
				(unsigned long long)ta_evidence_count(s->evidence), (unsigned long long)cnt[TA_C_CAP_BOUND],
				(unsigned long long)cnt[TA_C_CAP_LOST]);
		fprintf(f, ",\"flows_opened\":%llu,\"flows_closed_idle\":%llu,\"flows_evicted\":%llu,"
			"\"events_lost\":{\"new_flow\":%llu,\"unexpected\":%llu,\"kernel_drop\":%llu},",
			(unsigned long long)s->opened, (unsigned long long)s->closed_idle, (unsigned long long)s->evicted,
			(unsigned long long)cnt[TA_C_EV_LOST_NEW], (unsigned long long)cnt[TA_C_EV_LOST_UNEXP],
			(unsigned long long)cnt[TA_C_EV_LOST_DROP]);
		ta_print_counters(f, &s->dp, &s->pol, s->labels, TA_MAX_RULES, true);
		fputs("}\n", f);
		fflush(f);
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
			ta_flow_line(f, &c.a[i].k, &c.a[i].v, s->labels, TA_MAX_RULES, now, 50);
		}
	if (!nu)
		fputs("  none\n", f);
	fprintf(f, "\nDropped flows:\n");
	for (size_t i = 0; i < c.n && nd < top; i++)
		if (c.a[i].v.policy_drops) {
			nd++;
			fputs("  ", f);
			ta_flow_line(f, &c.a[i].k, &c.a[i].v, s->labels, TA_MAX_RULES, now, 50);
		}
	if (!nd)
		fputs("  none\n", f);
	fprintf(f, "\nWhy (flows something blocked):\n");
	ta_print_why(f, &s->dp, s->keep, s->nkeep, s->labels, (uint32_t)s->pol.nrules, NULL, NULL, NULL, false);
	fprintf(f, "\nflows opened %llu, closed idle %llu, evicted from a full table %llu\n",
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
	const char *const *labels;
	const char *ifname;
	bool json;
	struct ta_prefix remote;
	bool has_remote;
	int port;              /* -1: any */
	int rule;              /* -1: any */
	uint64_t now;
	size_t n;
	uint64_t rule_pkts[TA_MAX_RULES];
};

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static int why_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct why_ctx *w = arg;
	char sentence[768];

	if (w->has_remote) {
		struct ta_prefix p = w->remote;
		for (int b = 0; b < p.len; b++)
			if ((p.addr[b / 8] ^ k->remote[b / 8]) & (0x80 >> (b % 8)))
				return 0;
	}
	if (w->port >= 0 && k->rport != w->port)
		return 0;
	if (w->rule >= 0 && (int)v->rule != w->rule)
		return 0;
	if (!ta_flow_diagnosis(k, v, w->labels, w->now, sentence, sizeof(sentence)))
		return 0;
	if (w->json) {
		fputs(w->n ? "," : "", w->f);
		fputs("{\"diagnosis\":\"", w->f);
		json_escape(w->f, sentence);
		fputs("\",\"flow\":", w->f);
		ta_flow_json(w->f, NULL, w->ifname, k, v, w->labels, TA_MAX_RULES, w->now, NULL);
		fputc('}', w->f);
	} else {
		fprintf(w->f, "  %s\n", sentence);
	}
	w->n++;
	return 0;
}

void ta_print_why(FILE *f, struct ta_dp *dp, const struct ta_closed *closed, size_t nclosed,
		  const char *const *labels, uint32_t nrules, const char *ifname, const char *remote, const char *rule,
		  bool json)
{
	struct why_ctx w = { .f = f, .labels = labels, .ifname = ifname, .json = json, .port = -1, .rule = -1,
			     .now = ta_now_ns() };
	struct ta_count rs[TA_MAX_RULES];

	if (remote) {
		char a[80], err[160], *colon;
		snprintf(a, sizeof(a), "%s", remote);
		/* ADDR:PORT for IPv4, [ADDR]:PORT for IPv6 */
		colon = a[0] == '[' ? strstr(a, "]:") : (strchr(a, ':') == strrchr(a, ':') ? strchr(a, ':') : NULL);
		if (colon) {
			w.port = atoi(colon + (a[0] == '[' ? 2 : 1));
			*colon = 0;
		}
		if (!ta_prefix_parse(a[0] == '[' ? a + 1 : a, &w.remote, err, sizeof(err)))
			w.has_remote = true;
	}
	if (rule)
		for (uint32_t r = 0; r < nrules; r++)
			if (labels[r] && !strcmp(labels[r], rule))
				w.rule = (int)r;
	if (json)
		fputs("\"why\":[", f);
	ta_dp_flows(dp, why_flow, &w);
	for (size_t i = 0; i < nclosed; i++) /* flows that closed meanwhile */
		why_flow(&closed[i].k, &closed[i].v, &w);
	if (!json && !w.n)
		fputs("  nothing blocked any flow\n", f);
	if (ta_dp_rstats(dp, rs))
		memset(rs, 0, sizeof(rs));
	if (json) {
		fputs("],\"rules_without_traffic\":[", f);
		for (uint32_t r = 0, k = 0; r < nrules; r++)
			if (!rs[r].packets && labels[r])
				fprintf(f, "%s\"%s\"", k++ ? "," : "", labels[r]);
		fputc(']', f);
		return;
	}
	for (uint32_t r = 0; r < nrules; r++)
		if (!rs[r].packets && labels[r])
			fprintf(f, "  rule %s never carried traffic\n", labels[r]);
}
