// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the audit shows: named counters, the diagnosis of blocked flows
 * (why), and a live session's screen and compliance report, as text or
 * JSON.
 */
#include <errno.h>
#include <bpf/bpf.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "json.h"
#include "kfeatures.h"
#include "log.h"
#include "callrep.h"
#include "report.h"
#include "session.h"
#include "table.h"
#include "flowsel.h"
#include "units.h"
#include "util.h"
#include "why.h"

void ta_drop_notes(FILE *f, const uint64_t cnt[TA_C_MAX], const char *indent)
{
	if (cnt[TA_C_KDROP_NOFLOW])
		fprintf(f, "%snote: %llu kernel drops of policy traffic could not be charged to a flow (the flow "
			"table refused a new entry: it was full, every entry in use): raise --flows\n", indent,
			(unsigned long long)cnt[TA_C_KDROP_NOFLOW]);
	if (cnt[TA_C_KDROP_ELSEWHERE])
		fprintf(f, "%snote: %llu kernel drops of policy traffic were of packets not on their way through an "
			"audited interface (routed out of another one, or inbound before the audited hook): counted, "
			"not charged to a flow; audit that interface too to see them\n", indent,
			(unsigned long long)cnt[TA_C_KDROP_ELSEWHERE]);
	if (cnt[TA_C_KDROP_NONS])
		fprintf(f, "%snote: %llu drops of policy traffic whose network namespace could not be read were "
			"not attributed (they may be another namespace's; tokaudit_kernel_drops_unattributed_total)\n",
			indent,
			(unsigned long long)cnt[TA_C_KDROP_NONS]);
	if (cnt[TA_C_KDROP_MISSED])
		fprintf(f, "%snote: the kernel skipped the drop tracer %llu times, when a packet was freed on a CPU "
			"where it was already running (host-wide, any namespace): drops may be missing from the "
			"counts\n", indent, (unsigned long long)cnt[TA_C_KDROP_MISSED]);
}

void ta_counters_json(json_object *o, struct ta_dp *dp, const char *const *labels, uint32_t nr)
{
	struct ta_count vs[TA_VSTAT_MAX], rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	json_object *vj, *rj, *cj;

	if (ta_dp_vstats(dp, vs) || ta_dp_rstats(dp, rs) || ta_dp_counters(dp, cnt)) {
		ta_err("counters: cannot read them: %s", strerror(errno));
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
	/* the learned table: what it holds, and what newer addresses pushed out */
	long held = ta_dp_learned_count(dp);
	if (held >= 0) {
		cj = json_object_new_object();
		ta_jadd(cj, "entries", ta_ju64((uint64_t)held));
		ta_jadd(cj, "capacity", ta_ju64(ta_dp_learned_capacity(dp)));
		ta_jadd(cj, "evicted",
			ta_ju64(cnt[TA_C_DNS_NEW] > (uint64_t)held ? cnt[TA_C_DNS_NEW] - (uint64_t)held : 0));
		ta_jadd(o, "learned_addresses", cj);
	}
}

enum { CT_VERDICT, CT_PACKETS, CT_BYTES, CT_IN, CT_OUT, CT_FLOWS, CT_NOTE, CT_MAX };
static const struct ta_col verdict_cols[CT_MAX] = {
	[CT_VERDICT] = { "VERDICT" }, [CT_PACKETS] = { "PACKETS", true }, [CT_BYTES] = { "BYTES", true },
	[CT_IN] = { "IN", true }, [CT_OUT] = { "OUT", true }, [CT_FLOWS] = { "FLOWS", true }, [CT_NOTE] = { "NOTE" },
};
static const struct ta_col rule_cols[CT_MAX] = {
	[CT_VERDICT] = { "RULE" }, [CT_PACKETS] = { "PACKETS", true }, [CT_BYTES] = { "BYTES", true },
	[CT_IN] = { "IN", true }, [CT_OUT] = { "OUT", true }, [CT_FLOWS] = { "FLOWS", true }, [CT_NOTE] = { "NOTE" },
};

static const char *u64s(char *buf, uint64_t v)
{
	snprintf(buf, 24, "%llu", (unsigned long long)v);
	return buf;
}

void ta_print_count_tables(FILE *f, const struct ta_count *vs, const struct ta_count *rs, const char *const *labels,
			uint32_t nr, const struct ta_flow_counts *fc)
{
	char err[200], b[CT_MAX][24];
	const char *defv = fc ? "VERDICT,PACKETS,BYTES,IN,OUT,FLOWS" : "VERDICT,PACKETS,BYTES,IN,OUT";
	bool idle = false;

	for (uint32_t r = 0; r < nr && r < TA_MAX_RULES; r++)
		idle |= !rs[r].packets;
	const char *defr = !fc    ? "RULE,PACKETS,BYTES"
			   : idle ? "RULE,PACKETS,BYTES,FLOWS,NOTE"
				  : "RULE,PACKETS,BYTES,FLOWS";
	struct ta_table *t = ta_table_new(verdict_cols, CT_MAX, defv, NULL, err, sizeof(err));

	if (!t)
		return;
	for (int v = 0; v < TA_V_MAX; v++) {
		struct ta_count tot = ta_vstat_total(vs, v);
		const char *cells[CT_MAX] = { ta_verdict_name(v), u64s(b[1], tot.packets), u64s(b[2], tot.bytes),
					      u64s(b[3], vs[v * TA_VSTAT_DIRS + TA_DIR_IN].packets),
					      u64s(b[4], vs[v * TA_VSTAT_DIRS + TA_DIR_OUT].packets),
					      fc ? u64s(b[5], fc->verdict[v]) : NULL };
		ta_table_row(t, cells);
	}
	ta_table_print(t, f);
	fputc('\n', f);
	if (!(t = ta_table_new(rule_cols, CT_MAX, defr, NULL, err, sizeof(err))))
		return;
	for (uint32_t r = 0; r < nr && r < TA_MAX_RULES; r++) {
		const char *cells[CT_MAX] = { labels[r] ? labels[r] : "?", u64s(b[1], rs[r].packets),
					      u64s(b[2], rs[r].bytes), NULL, NULL, fc ? u64s(b[5], fc->rule[r]) : NULL,
					      rs[r].packets ? NULL : "not exercised" };
		ta_table_row(t, cells);
	}
	ta_table_print(t, f);
}

void ta_print_counters(FILE *f, struct ta_dp *dp, const char *const *labels, uint32_t nr)
{
	struct ta_count vs[TA_VSTAT_MAX], rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];

	if (ta_dp_vstats(dp, vs) || ta_dp_rstats(dp, rs) || ta_dp_counters(dp, cnt)) {
		ta_err("counters: cannot read them: %s", strerror(errno));
		return;
	}
	ta_print_count_tables(f, vs, rs, labels, nr, NULL);
	fprintf(f, "\npolicy drops %llu, flows created %llu, flow table full %llu, events lost %llu\n",
		(unsigned long long)cnt[TA_C_POLICY_DROP], (unsigned long long)cnt[TA_C_FLOW_NEW],
		(unsigned long long)cnt[TA_C_FLOW_FAIL],
		(unsigned long long)(cnt[TA_C_EV_LOST_NEW] + cnt[TA_C_EV_LOST_UNEXP] + cnt[TA_C_EV_LOST_DROP]));
	fprintf(f, "kernel drops of policy traffic: %llu blocks (%llu on flows they opened), %llu endpoint discards\n",
		(unsigned long long)(cnt[TA_C_KDROP] + cnt[TA_C_KDROP_NOFLOW]),
		(unsigned long long)cnt[TA_C_KDROP_FLOW_NEW], (unsigned long long)cnt[TA_C_KDROP_ENDPOINT]);
	ta_drop_notes(f, cnt, "");
}

struct collect {
	struct ta_closed *a;
	size_t n, cap;
	const struct ta_flow_sel *sel; /* NULL: every flow */
	const struct ta_flow_ctx *ctx;
};

static int collect_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct collect *c = arg;

	if (c->sel && !ta_flow_sel_match(c->sel, c->ctx, k, v))
		return 0;
	return ta_closed_add(&c->a, &c->cap, &c->n, k, v) ? 1 : 0;
}

static int by_recent(const void *a, const void *b)
{
	const struct ta_closed *x = a, *y = b;

	return x->v.last_ns < y->v.last_ns ? 1 : x->v.last_ns > y->v.last_ns ? -1 : 0;
}

static int by_packets(const void *a, const void *b)
{
	const struct ta_closed *x = a, *y = b;
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
		(unsigned long long)((now - s->start_ns) / TA_NSEC_PER_SEC));
	ta_print_counters(f, &s->dp, s->labels, (uint32_t)s->pol.nrules);
	fprintf(f, "flows open %u, closed idle %llu, evicted %llu\n\n", ta_session_open_flows(s),
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

/* ---- other traffic: the top talkers of the sampled map ---- */

static int keep_top(const struct ta_other_key *k, const struct ta_count *c, void *arg)
{
	struct ta_talkers *t = arg;
	size_t i;

	t->entries++;
	if (t->n < TA_TOP_OTHER)
		i = t->n++;
	else if (c->packets > t->c[TA_TOP_OTHER - 1].packets)
		i = TA_TOP_OTHER - 1;
	else
		return 0;
	/* insertion into the sorted top list */
	while (i > 0 && t->c[i - 1].packets < c->packets) {
		t->k[i] = t->k[i - 1];
		t->c[i] = t->c[i - 1];
		i--;
	}
	t->k[i] = *k;
	t->c[i] = *c;
	return 0;
}

void ta_other_talkers(struct ta_dp *dp, struct ta_talkers *t)
{
	memset(t, 0, sizeof(*t));
	ta_dp_other(dp, keep_top, t);
}

void ta_other_top(struct ta_dp *dp, FILE *f, struct json_object *obj)
{
	struct ta_talkers t;
	char a[64], pb[16], n1[16], n2[16];

	ta_other_talkers(dp, &t);
	if (obj) {
		json_object *arr = json_object_new_array();

		for (size_t i = 0; i < t.n; i++) {
			json_object *o = json_object_new_object();

			ta_addr_str(t.k[i].remote, a, sizeof(a));
			ta_jadd(o, "remote", ta_jstr(a));
			ta_jadd(o, "proto", ta_jstr(ta_proto_name(t.k[i].proto, pb, sizeof(pb))));
			ta_jadd(o, "port", t.k[i].rport ? ta_ju64(t.k[i].rport) : NULL);
			ta_jadd(o, "dir", ta_jstr(t.k[i].dir == TA_DIR_IN ? "in" : "out"));
			ta_jadd(o, "samples", ta_ju64(t.c[i].packets));
			ta_jadd(o, "packets_est", ta_ju64(t.c[i].packets * TA_OTHER_SAMPLE));
			ta_jadd(o, "bytes_est", ta_ju64(t.c[i].bytes * TA_OTHER_SAMPLE));
			json_object_array_add(arr, o);
		}
		ta_jadd(obj, "other_sample", ta_ju64(TA_OTHER_SAMPLE));
		ta_jadd(obj, "other_top", arr);
		return;
	}
	fprintf(f, "\nOther traffic, top talkers (sampled 1 packet in %d: estimates):\n", TA_OTHER_SAMPLE);
	for (size_t i = 0; i < t.n; i++) {
		char what[32];

		ta_addr_str(t.k[i].remote, a, sizeof(a));
		snprintf(what, sizeof(what), "%s", ta_proto_name(t.k[i].proto, pb, sizeof(pb)));
		if (t.k[i].rport)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "/%u", t.k[i].rport);
		fprintf(f, "  %-40s %-12s %-3s ~%s packets, ~%s\n", a, what, t.k[i].dir == TA_DIR_IN ? "in" : "out",
			ta_fmt_count(n1, sizeof(n1), (double)(t.c[i].packets * TA_OTHER_SAMPLE)),
			ta_fmt_bytes(n2, sizeof(n2), t.c[i].bytes * TA_OTHER_SAMPLE));
	}
	if (!t.n)
		fputs("  none seen\n", f);
}

/* The report's lists: unexpected flows, or dropped ones (the same flows
 * the Why section explains: dropped by enforce mode, or blocked by this
 * host; endpoint discards are not drops of the path) */
static bool listed(const struct ta_closed *x, bool dropped)
{
	return dropped ? x->v.policy_drops || x->v.kernel_drops : x->v.flags & TA_FF_UNEXPECTED;
}

static void flow_list_text(FILE *f, const struct collect *c, size_t top, bool dropped)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n && n < top; i++)
		if (listed(&c->a[i], dropped)) {
			if (!n++) {
				fputs("  ", f);
				ta_flow_line_head(f, 50);
			}
			fputs("  ", f);
			ta_flow_line(f, c->ctx, &c->a[i].k, &c->a[i].v, 50);
		}
	if (!n)
		fputs("  none\n", f);
}

static json_object *flow_list_json(const struct ta_session *s, const struct collect *c, size_t top, bool dropped)
{
	json_object *a = json_object_new_array();
	size_t n = 0;

	for (size_t i = 0; i < c->n && n < top; i++)
		if (listed(&c->a[i], dropped)) {
			n++;
			json_object_array_add(a, ta_flow_jobj(c->ctx, NULL, ta_session_iface_name(s, c->a[i].k.ifindex),
							      &c->a[i].k, &c->a[i].v));
		}
	return a;
}

/* What a report prints, gathered once for its two printers */
struct report {
	struct ta_count rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	struct ta_flow_ctx fc;
	struct collect c;
	uint64_t now;
	size_t top;
	struct ta_why_filter wf;
};

/* The server names (learned from DNS) of a rule's flows in the report,
 * most flows first: the first TA_REPORT_NAMES in out, the flows of the
 * others counted in *more */
#define TA_REPORT_NAMES 8
struct name_count {
	char name[sizeof(struct ta_dname)];
	uint64_t flows;
};

static int by_flows(const void *a, const void *b)
{
	const struct name_count *x = a, *y = b;

	return x->flows < y->flows ? 1 : x->flows > y->flows ? -1 : strcmp(x->name, y->name);
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The names' keys of the rule's flows (one per flow), sorted: how many */
static size_t rule_name_keys(const struct ta_session *s, const struct report *r, uint32_t rule, uint64_t **keys)
{
	size_t n = 0, cap = 0;
	struct ta_learned v;
	struct ta_dname d;

	*keys = NULL;
	for (size_t i = 0; i < r->c.n; i++) {
		const struct ta_closed *x = &r->c.a[i];

		if (x->v.rule != rule || x->v.generation != s->dp.generation ||
		    ta_dp_learned(&s->dp, x->k.remote, &v, &d) || !d.name[0])
			continue;
		if (ta_grow(keys, &cap, n, sizeof(**keys), 64))
			break;
		(*keys)[n++] = v.name;
	}
	if (n)
		qsort(*keys, n, sizeof(**keys), by_u64);
	return n;
}

static size_t rule_names(const struct ta_session *s, const struct report *r, uint32_t rule,
			 struct name_count out[TA_REPORT_NAMES], uint64_t *more)
{
	uint64_t *keys;
	size_t nk = rule_name_keys(s, r, rule, &keys), n = 0;
	struct name_count *all = NULL;
	size_t cap = 0;

	*more = 0;
	for (size_t i = 0; i < nk; i++) { /* one entry per run of equal keys */
		if (i && keys[i] == keys[i - 1]) {
			all[n - 1].flows++;
			continue;
		}
		struct ta_dname d;
		if (ta_grow(&all, &cap, n, sizeof(*all), 16))
			break;
		if (bpf_map_lookup_elem(ta_dp_map_fd(&s->dp, TA_M_DNAMES), &keys[i], &d))
			snprintf(d.name, sizeof(d.name), "?");
		d.name[sizeof(d.name) - 1] = 0;
		snprintf(all[n].name, sizeof(all[0].name), "%s", d.name);
		all[n++].flows = 1;
	}
	free(keys);
	if (n)
		qsort(all, n, sizeof(*all), by_flows);
	for (size_t j = TA_REPORT_NAMES; j < n; j++)
		*more += all[j].flows;
	n = n < TA_REPORT_NAMES ? n : TA_REPORT_NAMES;
	if (n)
		memcpy(out, all, n * sizeof(*all));
	free(all);
	return n;
}

/* Vonage's client tiers (vonage.policy's rules minimum, better, best): per
 * tier its two-way flows (the far end answered), and the highest tier with
 * any.  False when the policy has no such three rules. */
static const char *const tier_labels[] = { "minimum", "better", "best" };
#define TA_TIERS 3

static bool tiers(const struct ta_session *s, const struct report *r, uint64_t two_way[TA_TIERS], int *reached)
{
	int idx[TA_TIERS];

	for (int t = 0; t < TA_TIERS; t++) {
		idx[t] = -1;
		two_way[t] = 0;
		for (size_t i = 0; i < s->pol.nrules; i++)
			if (!strcmp(s->labels[i], tier_labels[t]))
				idx[t] = (int)i;
		if (idx[t] < 0)
			return false;
	}
	*reached = -1;
	for (size_t i = 0; i < r->c.n; i++) {
		const struct ta_flow_val *v = &r->c.a[i].v;

		for (int t = 0; t < TA_TIERS; t++)
			if (v->rule == (uint32_t)idx[t] && v->generation == s->dp.generation && v->packets[TA_DIR_IN] &&
			    v->packets[TA_DIR_OUT])
				two_way[t]++;
	}
	for (int t = 0; t < TA_TIERS; t++)
		if (two_way[t])
			*reached = t;
	return true;
}

static void tiers_json(json_object *o, const struct ta_session *s, const struct report *r)
{
	uint64_t tw[TA_TIERS];
	int reached;
	json_object *x;

	if (!tiers(s, r, tw, &reached))
		return;
	x = json_object_new_object();
	for (int t = 0; t < TA_TIERS; t++)
		ta_jadd(x, tier_labels[t], ta_ju64(tw[t]));
	ta_jadd(x, "reached", reached < 0 ? NULL : ta_jstr(tier_labels[reached]));
	ta_jadd(o, "client_tiers", x);
}

static void tiers_plain(FILE *f, const struct ta_session *s, const struct report *r)
{
	uint64_t tw[TA_TIERS];
	int reached;

	if (!tiers(s, r, tw, &reached))
		return;
	fprintf(f, "\nClient tiers (two-way flows): minimum %llu, better %llu, best %llu: this network reaches %s\n",
		(unsigned long long)tw[0], (unsigned long long)tw[1], (unsigned long long)tw[2],
		reached < 0 ? "none of them (no flow of theirs was answered)" : tier_labels[reached]);
}

static json_object *compliance_json(const struct ta_session *s, const struct report *r)
{
	json_object *a = json_object_new_array(), *x;

	for (size_t i = 0; i < s->pol.nrules; i++) {
		x = json_object_new_object();
		ta_jadd(x, "rule", ta_jstr(s->labels[i]));
		ta_jadd(x, "flows", ta_ju64(s->rules[i].flows));
		ta_jadd(x, "packets", ta_ju64(r->rs[i].packets));
		ta_jadd(x, "bytes", ta_ju64(r->rs[i].bytes));
		ta_jadd(x, "exercised", ta_jbool(r->rs[i].packets != 0));
		ta_jtime(x, "last_seen", s->rules[i].last_ns ? ta_ktime_to_unix(s->rules[i].last_ns) : 0);
		struct name_count nc[TA_REPORT_NAMES];
		uint64_t more;
		size_t nn = rule_names(s, r, (uint32_t)i, nc, &more);
		json_object *na = json_object_new_array();
		for (size_t j = 0; j < nn; j++) {
			json_object *y = json_object_new_object();
			ta_jadd(y, "name", ta_jstr(nc[j].name));
			ta_jadd(y, "flows", ta_ju64(nc[j].flows));
			json_object_array_add(na, y);
		}
		ta_jadd(x, "server_names", na);
		ta_jadd(x, "server_names_other_flows", ta_ju64(more));
		json_object_array_add(a, x);
	}
	return a;
}

/* What this kernel cannot give (said once, here and by 'version') */
static void kernel_plain(FILE *f)
{
	const char *loss[TA_LOSS_MAX];
	size_t n = ta_kernel_losses(loss);
	struct utsname u;

	if (!n)
		return;
	fprintf(f, "\nKernel %s: what it cannot give\n", uname(&u) ? "?" : u.release);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %s\n", loss[i]);
}

static json_object *kernel_json(void)
{
	const char *loss[TA_LOSS_MAX];
	size_t n = ta_kernel_losses(loss);
	struct utsname u;
	json_object *k = json_object_new_object(), *a = json_object_new_array();

	ta_jadd(k, "release", ta_jstr(uname(&u) ? "" : u.release));
	ta_jadd(k, "programs", ta_jstr(ta_variant()->compat ? "compat" : "full"));
	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, ta_jstr(loss[i]));
	ta_jadd(k, "degraded", a);
	return k;
}

static void report_json(struct ta_session *s, FILE *f, const struct report *r)
{
	json_object *o = json_object_new_object(), *x;

	ta_jadd(o, "event", ta_jstr("report"));
	ta_jtime(o, "time", ta_ktime_to_unix(r->now));
	ta_jadd(o, "duration", ta_jnum((double)(r->now - s->start_ns) / TA_NSEC_PER_SEC, 3));
	ta_jadd(o, "generation", ta_ju64(s->dp.generation));
	ta_jadd(o, "compliance", compliance_json(s, r));
	tiers_json(o, s, r);
	ta_jadd(o, "kernel", kernel_json());
	ta_jadd(o, "unexpected", flow_list_json(s, &r->c, r->top, false));
	ta_jadd(o, "dropped", flow_list_json(s, &r->c, r->top, true));
	ta_other_top(&s->dp, NULL, o);
	ta_why(NULL, o, &s->dp, s->keep, s->nkeep, &r->fc, (uint32_t)s->pol.nrules, &r->wf);
	if (s->evidence) {
		x = json_object_new_object();
		ta_jadd(x, "captured", ta_ju64(ta_evidence_count(s->evidence)));
		ta_jadd(x, "not_captured_rate_bound", ta_ju64(r->cnt[TA_C_CAP_BOUND]));
		ta_jadd(x, "not_captured_lost", ta_ju64(r->cnt[TA_C_CAP_LOST]));
		ta_jadd(o, "evidence", x);
	}
	ta_jadd(o, "flows_opened", ta_ju64(s->opened));
	ta_jadd(o, "flows_closed_idle", ta_ju64(s->closed_idle));
	ta_jadd(o, "flows_evicted", ta_ju64(s->evicted));
	ta_jadd(o, "flows_tracked_peak", ta_ju64(s->tracked_peak));
	ta_jadd(o, "flow_table_walks", ta_ju64(s->walk));
	x = json_object_new_object();
	ta_jadd(x, "new_flow", ta_ju64(r->cnt[TA_C_EV_LOST_NEW]));
	ta_jadd(x, "unexpected", ta_ju64(r->cnt[TA_C_EV_LOST_UNEXP]));
	ta_jadd(x, "kernel_drop", ta_ju64(r->cnt[TA_C_EV_LOST_DROP]));
	ta_jadd(o, "events_lost", x);
	ta_counters_json(o, &s->dp, s->labels, (uint32_t)s->pol.nrules);
	ta_jprint(f, o);
}

/* Under the rules: the server names that carried each one's flows */
static void names_plain(const struct ta_session *s, FILE *f, const struct report *r)
{
	bool any = false;

	for (size_t i = 0; i < s->pol.nrules; i++) {
		struct name_count nc[TA_REPORT_NAMES];
		uint64_t more;
		size_t nn = rule_names(s, r, (uint32_t)i, nc, &more);

		if (!nn)
			continue;
		if (!any)
			fputs("\nServer names that carried each rule's flows (learned from DNS; flows):\n", f);
		any = true;
		fprintf(f, "  %-11s", s->labels[i]);
		for (size_t j = 0; j < nn; j++)
			fprintf(f, "%s %s (%llu)", j ? "," : "", nc[j].name, (unsigned long long)nc[j].flows);
		if (more)
			fprintf(f, ", and %llu flow%s of other names", (unsigned long long)more, more == 1 ? "" : "s");
		fputc('\n', f);
	}
}

static void compliance_plain(const struct ta_session *s, FILE *f, const struct report *r)
{
	fprintf(f, "%-11s %8s %12s %14s %10s  %s\n", "RULE", "FLOWS", "PACKETS", "BYTES", "LAST SEEN", "");
	for (size_t i = 0; i < s->pol.nrules; i++) {
		char ago[32] = "never";
		if (s->rules[i].last_ns)
			snprintf(ago, sizeof(ago), "%.0fs ago",
				 (double)(r->now - s->rules[i].last_ns) / TA_NSEC_PER_SEC);
		fprintf(f, "%-11s %8llu %12llu %14llu %10s  %s\n", s->labels[i], (unsigned long long)s->rules[i].flows,
			(unsigned long long)r->rs[i].packets, (unsigned long long)r->rs[i].bytes, ago,
			r->rs[i].packets ? "exercised" : "NOT EXERCISED");
	}
	names_plain(s, f, r);
	tiers_plain(f, s, r);
}

static void report_plain(struct ta_session *s, FILE *f, const struct report *r)
{
	const uint64_t *cnt = r->cnt;

	fprintf(f, "\ntokaudit compliance report (policy %s, generation %u, %.0f s)\n\n",
		s->policy_path ? s->policy_path : "built-in", s->dp.generation,
		(double)(r->now - s->start_ns) / TA_NSEC_PER_SEC);
	compliance_plain(s, f, r);
	kernel_plain(f);
	fprintf(f, "\nUnexpected flows (top %zu by packets):\n", r->top);
	flow_list_text(f, &r->c, r->top, false);
	fprintf(f, "\nDropped flows (by enforce mode or by this host; Why says where):\n");
	flow_list_text(f, &r->c, r->top, true);
	ta_other_top(&s->dp, f, NULL);
	fprintf(f, "\nWhy (flows something blocked):\n");
	ta_why(f, NULL, &s->dp, s->keep, s->nkeep, &r->fc, (uint32_t)s->pol.nrules, &r->wf);
	fprintf(f, "\nflows opened %llu, closed %llu, evicted from a full table %llu\n",
		(unsigned long long)s->opened, (unsigned long long)s->closed_idle, (unsigned long long)s->evicted);
	if (s->evidence)
		fprintf(f,
			"evidence: %llu packets captured; not captured: %llu over the per-flow rate bound, %llu lost (ring buffer full)\n",
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
}

void ta_session_report(struct ta_session *s, FILE *f, bool json, bool all)
{
	struct report r = { .fc = ta_session_ctx(s), .wf = { .sel = s->sel, .all = all } };

	r.c = (struct collect){ .sel = s->sel, .ctx = &r.fc };
	r.now = r.fc.now_ns;
	r.top = s->sel && s->sel->limit ? s->sel->limit : 20;
	ta_dp_flows(&s->dp, collect_flow, &r.c);
	for (size_t i = 0; i < s->nkeep; i++) /* closed ones kept for this */
		collect_flow(&s->keep[i].k, &s->keep[i].v, &r.c);
	/* the most packets first, unless --sort says otherwise */
	if (s->sel && s->sel->sort)
		ta_flow_sel_sort(s->sel, r.c.a, r.c.n);
	else
		qsort(r.c.a, r.c.n, sizeof(*r.c.a), by_packets);
	if (ta_dp_rstats(&s->dp, r.rs) || ta_dp_counters(&s->dp, r.cnt)) {
		ta_err("counters: cannot read them: %s", strerror(errno));
		free(r.c.a);
		return;
	}
	/* last seen per rule, from the open flows too */
	for (size_t i = 0; i < r.c.n; i++) {
		uint32_t rule = r.c.a[i].v.rule;
		if (rule < TA_MAX_RULES && r.c.a[i].v.generation == s->dp.generation &&
		    r.c.a[i].v.last_ns > s->rules[rule].last_ns)
			s->rules[rule].last_ns = r.c.a[i].v.last_ns;
	}
	if (json)
		report_json(s, f, &r);
	else
		report_plain(s, f, &r);
	free(r.c.a);
}

struct why_ctx {
	const struct ta_flow_ctx *c;
	const struct ta_why_filter *flt;
	struct ta_closed *f; /* the flows to explain */
	size_t n, cap;
	size_t hidden;       /* flows only --all explains: endpoint discards, ICMP errors sent */
	struct ta_calls calls; /* media per inside client, from the same flows */
	const struct ta_dp *dp;
	uint64_t ep_on_flows; /* endpoint discards the flows hold */
};

static int why_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct why_ctx *w = arg;
	char sentence[768];

	if (w->flt->sel && !ta_flow_sel_match(w->flt->sel, w->c, k, v))
		return 0;
	if (ta_calls_add(&w->calls, w->dp, k, v))
		return 1;
	w->ep_on_flows += v->endpoint_drops;
	if (!ta_flow_diagnosis(w->c, NULL, k, v, w->flt->all, sentence, sizeof(sentence))) {
		if (v->endpoint_drops || v->icmp_sent)
			w->hidden++;
		return 0;
	}
	return ta_closed_add(&w->f, &w->cap, &w->n, k, v) ? 1 : 0;
}

void ta_why(FILE *f, json_object *obj, struct ta_dp *dp, const struct ta_closed *closed, size_t nclosed,
	    const struct ta_flow_ctx *c, uint32_t nrules, const struct ta_why_filter *flt)
{
	struct why_ctx w = { .c = c, .flt = flt, .dp = dp };
	struct ta_count rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX];
	json_object *arr = obj ? json_object_new_array() : NULL;
	size_t show;

	ta_dp_flows(dp, why_flow, &w);
	for (size_t i = 0; i < nclosed; i++) /* flows that closed meanwhile */
		why_flow(&closed[i].k, &closed[i].v, &w);
	if (flt->sel)
		ta_flow_sel_sort(flt->sel, w.f, w.n);
	show = flt->sel && flt->sel->limit && flt->sel->limit < w.n ? flt->sel->limit : w.n;
	for (size_t i = 0; i < show; i++) {
		char sentence[768], ifn[IF_NAMESIZE + 1];
		const char *ifname = if_indextoname(w.f[i].k.ifindex, ifn);

		ta_flow_diagnosis(c, ifname, &w.f[i].k, &w.f[i].v, flt->all, sentence, sizeof(sentence));
		if (arr) {
			json_object *o = json_object_new_object();

			ta_jadd(o, "diagnosis", ta_jstr(sentence));
			ta_jadd(o, "flow", ta_flow_jobj(c, NULL, ifname, &w.f[i].k, &w.f[i].v));
			json_object_array_add(arr, o);
		} else {
			fprintf(f, "  %s\n", sentence);
		}
	}
	free(w.f);
	if (ta_dp_rstats(dp, rs))
		memset(rs, 0, sizeof(rs));
	if (ta_dp_counters(dp, cnt))
		memset(cnt, 0, sizeof(cnt));
	if (obj) {
		json_object *a = json_object_new_array();

		ta_jadd(obj, "why", arr);
		for (uint32_t r = 0; r < nrules && r < TA_MAX_RULES; r++)
			if (!rs[r].packets && c->labels[r])
				json_object_array_add(a, ta_jstr(c->labels[r]));
		ta_jadd(obj, "rules_without_traffic", a);
		ta_jadd(obj, "drops_without_flow", ta_ju64(cnt[TA_C_KDROP_NOFLOW]));
		ta_jadd(obj, "drops_elsewhere", ta_ju64(cnt[TA_C_KDROP_ELSEWHERE]));
		ta_jadd(obj, "flows_only_all_explains", ta_ju64(flt->all ? 0 : w.hidden));
		ta_jadd(obj, "drops_ns_unknown", ta_ju64(cnt[TA_C_KDROP_NONS]));
		ta_jadd(obj, "endpoint_discards", ta_ju64(cnt[TA_C_KDROP_ENDPOINT]));
		ta_calls_report(NULL, obj, &w.calls);
		ta_calls_free(&w.calls);
		return;
	}
	if (!w.n)
		fputs(flt->sel ? "  nothing blocked any flow of the selection\n" : "  nothing blocked any flow\n", f);
	else if (show < w.n)
		fprintf(f, "  (%zu more: --limit)\n", w.n - show);
	for (uint32_t r = 0; r < nrules && r < TA_MAX_RULES; r++)
		if (!rs[r].packets && c->labels[r])
			fprintf(f, "  rule %s never carried traffic\n", c->labels[r]);
	if (!flt->all && w.hidden)
		fprintf(f,
			"  (%zu flow%s whose packets only an endpoint discarded or this side refused with ICMP "
			"not shown: --all shows %s)\n",
			w.hidden, w.hidden == 1 ? "" : "s", w.hidden == 1 ? "it" : "them");
	if (cnt[TA_C_KDROP_ENDPOINT] > w.ep_on_flows && !flt->sel)
		fprintf(f, "  (%llu endpoint discards of policy traffic were of packets no flow holds now: counted "
			"only)\n", (unsigned long long)(cnt[TA_C_KDROP_ENDPOINT] - w.ep_on_flows));
	ta_drop_notes(f, cnt, "  ");
	if (w.calls.n)
		ta_calls_report(f, NULL, &w.calls);
	ta_calls_free(&w.calls);
}
