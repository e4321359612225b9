// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uthash.h>
#include "dp.h"
#include "flows.h"
#include "flowsel.h"
#include "names.h"
#include "report.h"
#include "session.h"
#include "media.h"
#include "tui.h"
#include "units.h"

struct ta_tui_prev {
	struct ta_flow_key k;
	uint64_t packets, bytes, seen; /* seen: the draw that last saw it */
	double bps;                    /* bytes per second over the last interval */
	UT_hash_handle hh;
};

struct row {
	struct ta_flow_key k;
	struct ta_flow_val v;
	double bps; /* bytes per second over the last interval */
};

enum { C_ALLOWED = 1, C_UNEXPECTED, C_OTHER, C_INVALID, C_HEAD, C_DROPPED };
static const char *const sort_names[] = { "rate", "bytes", "packets", "idle" };

int ta_tui_open(struct ta_tui *t)
{
	SCREEN *scr;

	memset(t, 0, sizeof(*t));
	t->verdict = t->rule = -1;
	if (!getenv("TERM") || !(scr = newterm(NULL, stdout, stdin)))
		return -1;
	t->scr = scr;
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	curs_set(0);
	t->color = has_colors() && !getenv("NO_COLOR");
	if (t->color) {
		start_color();
		use_default_colors();
		init_pair(C_ALLOWED, COLOR_GREEN, -1);
		init_pair(C_UNEXPECTED, COLOR_RED, -1);
		init_pair(C_OTHER, -1, -1);
		init_pair(C_INVALID, COLOR_MAGENTA, -1);
		init_pair(C_HEAD, COLOR_CYAN, -1);
		init_pair(C_DROPPED, COLOR_YELLOW, -1);
	}
	return 0;
}

void ta_tui_close(struct ta_tui *t)
{
	struct ta_tui_prev *p, *tmp;

	if (t->scr) {
		endwin();
		delscreen(t->scr);
		t->scr = NULL;
	}
	HASH_ITER(hh, t->prev, p, tmp) {
		HASH_DEL(t->prev, p);
		free(p);
	}
}

static void on(const struct ta_tui *t, int pair, bool bold)
{
	if (t->color && pair)
		attron(COLOR_PAIR(pair));
	if (bold)
		attron(A_BOLD);
}

static void off(void)
{
	attrset(A_NORMAL);
}

static int verdict_pair(int v)
{
	return v == TA_V_ALLOWED      ? C_ALLOWED
	       : v == TA_V_UNEXPECTED ? C_UNEXPECTED
	       : v == TA_V_INVALID    ? C_INVALID
				      : C_OTHER;
}

/* one totals line: name, packets, packets/s, bytes, bits/s */
static void totals_line(int y, const char *name, uint64_t pk, uint64_t by, double pps, double bps)
{
	char a[16], b[16], c[16], d[16];

	mvprintw(y, 0, "%-12s %10s %10s/s %10s %12s", name, ta_fmt_count(a, sizeof(a), (double)pk),
		 ta_fmt_count(b, sizeof(b), pps), ta_fmt_bytes(c, sizeof(c), by), ta_fmt_bits(d, sizeof(d), bps));
}

struct gather {
	struct ta_tui *t;
	struct ta_flow_ctx ctx;
	struct row *r;
	size_t n, cap, total;
	double dt;
	uint64_t draw;
	bool tick;
	const struct ta_flow_sel *sel; /* run's --verdict...; NULL: all */
};

static int gather(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct gather *g = arg;
	struct ta_tui_prev *p;
	uint64_t bytes = v->bytes[0] + v->bytes[1], packets = v->packets[0] + v->packets[1];
	double bps;

	g->total++;
	HASH_FIND(hh, g->t->prev, k, sizeof(*k), p);
	if (!p) {
		if (!(p = calloc(1, sizeof(*p))))
			return -1;
		p->k = *k;
		HASH_ADD(hh, g->t->prev, k, sizeof(p->k), p);
	}
	if (g->tick) {
		p->bps = g->dt > 0 && bytes >= p->bytes ? (double)(bytes - p->bytes) / g->dt : 0;
		p->bytes = bytes;
		p->packets = packets;
	}
	bps = p->bps;
	p->seen = g->draw;
	if (g->t->verdict >= 0) {
		bool dropped = v->policy_drops || v->kernel_drops;
		if (g->t->verdict == TA_TUI_DROPPED ? !dropped : ta_flow_verdict(v) != g->t->verdict)
			return 0;
	}
	if (g->t->rule >= 0 && (v->rule != (uint32_t)g->t->rule || v->generation != g->ctx.generation))
		return 0;
	if (g->sel && !ta_flow_sel_match(g->sel, &g->ctx, k, v))
		return 0;
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 256;
		struct row *nr = realloc(g->r, nc * sizeof(*nr));
		if (!nr)
			return -1;
		g->r = nr;
		g->cap = nc;
	}
	g->r[g->n++] = (struct row){ *k, *v, bps };
	return 0;
}

static int sort_kind;

static int cmp_rows(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	double x = 0, y = 0;

	switch (sort_kind) {
	case TA_TUI_SORT_RATE:
		x = a->bps, y = b->bps;
		if (x == y) /* then the busiest */
			x = (double)(a->v.bytes[0] + a->v.bytes[1]), y = (double)(b->v.bytes[0] + b->v.bytes[1]);
		break;
	case TA_TUI_SORT_BYTES:
		x = (double)(a->v.bytes[0] + a->v.bytes[1]), y = (double)(b->v.bytes[0] + b->v.bytes[1]);
		break;
	case TA_TUI_SORT_PACKETS:
		x = (double)(a->v.packets[0] + a->v.packets[1]), y = (double)(b->v.packets[0] + b->v.packets[1]);
		break;
	case TA_TUI_SORT_IDLE: /* the most recently active first */
		x = (double)a->v.last_ns, y = (double)b->v.last_ns;
		break;
	}
	return x < y ? 1 : x > y ? -1 : 0;
}

static int draw_head(const struct ta_tui *t, const struct ta_session *s, uint64_t now, int y)
{
	char ifs[128] = "", a[16];

	for (int i = 0; i < s->nifaces; i++)
		snprintf(ifs + strlen(ifs), sizeof(ifs) - strlen(ifs), "%s%s", i ? "," : "", s->ifaces[i].name);
	on(t, C_HEAD, true);
	mvprintw(y++, 0, "tokaudit run  %s (%s side, %s)  policy %s (generation %u)  %s  up %s%s", ifs,
		 s->side == TA_SIDE_OUTSIDE ? "outside" : "inside",
		 s->hook == TA_HOOK_TC                 ? "tc"
		 : s->ifaces[0].xdp_mode == TA_XDP_SKB ? "xdp skb + tc"
						       : "xdp + tc",
		 s->policy_path ? s->policy_path : "built-in", s->dp.generation,
		 s->enforce ? "ENFORCING" : "audit only",
		 ta_fmt_dur(a, sizeof(a), (double)(now - s->start_ns) / TA_NSEC_PER_SEC),
		 t->paused ? "   [PAUSED]" : "");
	off();
	return y;
}

/* A totals line's rates: from the last tick's counts, over dt seconds;
 * a tick keeps the counts for the next */
static void step_rates(double rate[2], uint64_t prev[2], const struct ta_count *now, double dt, bool tick)
{
	if (dt > 0) {
		rate[0] = (double)(now->packets - prev[0]) / dt;
		rate[1] = (double)(now->bytes - prev[1]) / dt;
	}
	if (tick) {
		prev[0] = now->packets;
		prev[1] = now->bytes;
	}
}

/* Per verdict, then per rule: packets, bytes and their rates */
static int draw_totals(struct ta_tui *t, const struct ta_session *s, const struct ta_count *vs,
		       const struct ta_count *rs, double dt, bool tick, int y)
{
	on(t, 0, true);
	mvprintw(y++, 0, "%-12s %10s %12s %10s %12s", "VERDICT", "PACKETS", "RATE", "BYTES", "BITRATE");
	off();
	for (int v = 0; v < TA_V_MAX; v++) {
		struct ta_count tot = ta_vstat_total(vs, v);

		step_rates(t->rate_v[v], t->prev_v[v], &tot, dt, tick);
		on(t, verdict_pair(v), false);
		totals_line(y++, ta_verdict_name(v), tot.packets, tot.bytes, t->rate_v[v][0], t->rate_v[v][1]);
		off();
	}
	y++;
	on(t, 0, true);
	mvprintw(y++, 0, "%-12s %10s %12s %10s %12s", "RULE", "PACKETS", "RATE", "BYTES", "BITRATE");
	off();
	for (uint32_t r = 0; r < s->pol.nrules && r < TA_MAX_RULES && y < LINES - 8; r++) {
		step_rates(t->rate_r[r], t->prev_r[r], &rs[r], dt, tick);
		totals_line(y++, s->labels[r] ? s->labels[r] : "?", rs[r].packets, rs[r].bytes, t->rate_r[r][0],
			    t->rate_r[r][1]);
	}
	return y;
}

/* Flows and losses, then what else crosses: the busiest remote ends outside
 * the policy (sampled) */
static int draw_other(struct ta_session *s, const uint64_t *cnt, int y)
{
	char a[16], b[16], c[16], line[512];
	struct ta_talkers tk;
	size_t at;

	mvprintw(y++, 0, "flows open %u, closed %llu, evicted %llu; policy drops %s, kernel blocks %s, events lost %s",
		 ta_session_open_flows(s), (unsigned long long)s->closed_idle, (unsigned long long)s->evicted,
		 ta_fmt_count(a, sizeof(a), (double)cnt[TA_C_POLICY_DROP]),
		 ta_fmt_count(b, sizeof(b), (double)(cnt[TA_C_KDROP] + cnt[TA_C_KDROP_NOFLOW])),
		 ta_fmt_count(c, sizeof(c),
			      (double)(cnt[TA_C_EV_LOST_NEW] + cnt[TA_C_EV_LOST_UNEXP] + cnt[TA_C_EV_LOST_DROP])));
	ta_other_talkers(&s->dp, &tk);
	at = (size_t)snprintf(line, sizeof(line), "other, top talkers (sampled 1/%d):", TA_OTHER_SAMPLE);
	for (size_t i = 0; i < tk.n && i < 4; i++) {
		char ad[64], pb[16], n1[16];
		const char *pn;
		ta_addr_str(tk.k[i].remote, ad, sizeof(ad));
		pn = ta_proto_name(tk.k[i].proto, pb, sizeof(pb));
		at += (size_t)snprintf(line + at, sizeof(line) - at, "%s %s %s%s%.0u %s ~%s", i ? "," : "", ad, pn,
				       tk.k[i].rport ? "/" : "", tk.k[i].rport, tk.k[i].dir == TA_DIR_IN ? "in" : "out",
				       ta_fmt_count(n1, sizeof(n1), (double)(tk.c[i].packets * TA_OTHER_SAMPLE)));
		if (at >= sizeof(line))
			break;
	}
	if (!tk.n)
		snprintf(line + at, sizeof(line) - at, " none seen");
	mvprintw(y++, 0, "%.*s", COLS, line);
	return y;
}

/* The clients with media, those that fell back to TCP first */
static int draw_clients(const struct ta_media_gauges *m, int y)
{
	for (size_t i = 0; i < m->ntop; i++) {
		const struct ta_call *c = &m->top[i];
		char a[64] = "", lb[32] = "-", jb[32] = "?"; /* "?": no clock rate known yet */
		int p = ta_call_path(c);

		ta_addr_str(c->client, a, sizeof(a));
		if (c->expected)
			snprintf(lb, sizeof(lb), "%.2f%% lost", ta_media_loss_pct(c->lost, c->expected));
		if (c->jitter_us != TA_MEDIA_NO_JITTER)
			snprintf(jb, sizeof(jb), "%.1f ms", c->jitter_us / 1000.0);
		mvprintw(y++, 2, "%-39s %-12s %3u rtp  %-14s jitter %-9s%s", a, ta_path_name(p), c->streams, lb, jb,
			 p >= TA_PATH_RELAYED_TCP ? "  fell back to TCP" : "");
	}
	return y;
}

/* Calls by path and the media health of the flows in the table (at the
 * last tick) */
static int draw_calls(const struct ta_session *s, int y)
{
	const struct ta_media_gauges *m = &s->media;
	uint64_t expected = 0, lost = 0;
	uint32_t jitter = TA_MEDIA_NO_JITTER;
	char jb[32] = "?";

	for (int r = 0; r < TA_MAX_RULES; r++) {
		expected += m->expected[r];
		lost += m->lost[r];
		jitter = ta_jitter_max(jitter, m->jitter_us[r]);
	}
	if (jitter != TA_MEDIA_NO_JITTER)
		snprintf(jb, sizeof(jb), "%.1f ms", jitter / 1000.0);
	mvprintw(
		y++, 0,
		"CALLS  direct-udp %llu  relayed-udp %llu  relayed-tcp %llu  tls-443 %llu   RTP lost %.2f%% (%llu of %llu), jitter %s",
		(unsigned long long)m->calls[TA_PATH_DIRECT_UDP], (unsigned long long)m->calls[TA_PATH_RELAYED_UDP],
		(unsigned long long)m->calls[TA_PATH_RELAYED_TCP], (unsigned long long)m->calls[TA_PATH_TLS_443],
		ta_media_loss_pct(lost, expected), (unsigned long long)lost, (unsigned long long)expected,
		expected ? jb : "-");
	return draw_clients(m, y);
}

static void draw_flow(const struct ta_tui *t, const struct gather *g, const struct row *r, int y)
{
	char ends[96], pk[16], by[16], rt[16], age[16], idle[16], media[80];
	const char *rule = ta_flow_rule_label(&g->ctx, &r->v);
	int vd = ta_flow_verdict(&r->v);
	bool dropped = r->v.policy_drops || r->v.kernel_drops;

	ta_flow_ends(ends, sizeof(ends), &r->k);
	on(t, dropped ? C_DROPPED : verdict_pair(vd), false);
	mvprintw(y, 0, "%-50.50s %-10s %-8.8s %-11.11s %8s %9s %11s %6s %6s  %s", ends,
		 dropped ? "dropped" : ta_verdict_name(vd), rule ? rule : "-",
		 ta_fstate_name(ta_flow_state(&r->k, &r->v, g->ctx.now_ns)),
		 ta_fmt_count(pk, sizeof(pk), (double)(r->v.packets[0] + r->v.packets[1])),
		 ta_fmt_bytes(by, sizeof(by), r->v.bytes[0] + r->v.bytes[1]), ta_fmt_bits(rt, sizeof(rt), r->bps),
		 ta_fmt_dur(age, sizeof(age), (double)(g->ctx.now_ns - r->v.first_ns) / TA_NSEC_PER_SEC),
		 ta_fmt_dur(idle, sizeof(idle), (double)(g->ctx.now_ns - r->v.last_ns) / TA_NSEC_PER_SEC),
		 ta_flow_media_str(&r->v, media, sizeof(media)));
	off();
}

/* The flow table, gathered (rates from the last tick), sorted, filtered */
static int draw_flows(struct ta_tui *t, struct ta_session *s, struct gather *g, int y)
{
	static uint64_t draws;
	struct ta_tui_prev *p, *tmp;

	g->draw = ++draws;
	ta_dp_flows(&s->dp, gather, g);
	HASH_ITER(hh, t->prev, p, tmp) { /* forget flows no longer in the table */
		if (p->seen != g->draw) {
			HASH_DEL(t->prev, p);
			free(p);
		}
	}
	sort_kind = t->sort;
	qsort(g->r, g->n, sizeof(*g->r), cmp_rows);
	on(t, 0, true);
	mvprintw(y++, 0, "FLOWS %zu of %zu   sort: %s   verdict: %s   rule: %s", g->n, g->total, sort_names[t->sort],
		 t->verdict < 0 ? "all" : t->verdict == TA_TUI_DROPPED ? "dropped" : ta_verdict_name(t->verdict),
		 t->rule < 0 ? "all" : s->labels[t->rule] ? s->labels[t->rule] : "?");
	mvprintw(y++, 0, "%-50s %-10s %-8s %-11s %8s %9s %11s %6s %6s  %s", "FLOW", "VERDICT", "RULE", "STATE",
		 "PACKETS", "BYTES", "RATE", "AGE", "IDLE", "MEDIA");
	off();
	for (size_t i = 0; i < g->n && y < LINES - 1 && !(s->sel && s->sel->limit && i >= s->sel->limit); i++, y++)
		draw_flow(t, g, &g->r[i], y);
	if (!g->n)
		mvprintw(y++, 2, g->total ? "no flow matches the filter" : "no flows yet");
	return y;
}

void ta_tui_draw(struct ta_tui *t, struct ta_session *s, bool tick)
{
	struct ta_count vs[TA_VSTAT_MAX], rs[TA_MAX_RULES];
	uint64_t cnt[TA_C_MAX], now = ta_now_ns();
	struct gather g = { .t = t, .ctx = ta_session_ctx(s), .tick = tick, .sel = s->sel };
	int y = 0;
	/* rates move on the interval's ticks; a redraw for a key keeps them */
	double dt = tick && t->last_ns ? (double)(now - t->last_ns) / TA_NSEC_PER_SEC : 0;

	if (ta_dp_vstats(&s->dp, vs) || ta_dp_rstats(&s->dp, rs) || ta_dp_counters(&s->dp, cnt))
		return;
	erase();
	y = draw_head(t, s, now, y) + 1;
	y = draw_totals(t, s, vs, rs, dt, tick, y) + 1;
	y = draw_other(s, cnt, y);
	y = draw_calls(s, y) + 1;
	g.dt = dt;
	draw_flows(t, s, &g, y);
	on(t, C_HEAD, false);
	mvprintw(LINES - 1, 0, "%-*.*s", COLS, COLS,
		 "q quit  p pause  s sort (r rate, b bytes, k packets, i idle)  v verdict  u rule  a all");
	off();
	free(g.r);
	if (tick)
		t->last_ns = now;
	refresh();
}

bool ta_tui_keys(struct ta_tui *t, const struct ta_session *s)
{
	bool redraw = false;
	int ch;

	while ((ch = getch()) != ERR) {
		switch (ch) {
		case 'q': case 'Q':
			t->quit = true;
			return false;
		case 'p': case ' ':
			t->paused = !t->paused;
			break;
		case 's':
			t->sort = (t->sort + 1) % TA_TUI_SORT_MAX;
			break;
		case 'r': t->sort = TA_TUI_SORT_RATE; break;
		case 'b': t->sort = TA_TUI_SORT_BYTES; break;
		case 'k': t->sort = TA_TUI_SORT_PACKETS; break;
		case 'i': t->sort = TA_TUI_SORT_IDLE; break;
		case 'v': /* all -> other, allowed, unexpected, invalid, dropped -> all */
			t->verdict = t->verdict + 1 > TA_TUI_DROPPED ? -1 : t->verdict + 1;
			break;
		case 'u':
			t->rule = t->rule + 1 >= (int)s->pol.nrules ? -1 : t->rule + 1;
			break;
		case 'a':
			t->verdict = t->rule = -1;
			break;
		case KEY_RESIZE:
			break;
		default:
			continue;
		}
		redraw = true;
	}
	return redraw;
}
