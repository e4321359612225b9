// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit run: attach, watch flows live, report compliance, detach. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "clock.h"
#include "tui.h"
#include "json.h"
#include "options.h"
#include "report.h"
#include "session.h"
#include "flowsel.h"
#include "owner.h"

struct run_cfg {
	struct ta_attach_cli a;
	const char *policy;
	bool enforce;
	double interval;
	bool json;
	double duration;
	unsigned flows;
	const char *pcap;
	const char *pcap_filter;
	unsigned snaplen;
	bool all;
	struct ta_flow_sel_args sel_args;
	struct ta_flow_sel sel;
};

static const struct ta_opt run_opts[] = {
	TA_ATTACH_OPTS(struct run_cfg, a),
	{ "policy", 'p', TA_OPT_STR, offsetof(struct run_cfg, policy), "FILE",
	  "policy file (default: $TOKAUDIT_POLICY, else the installed one if any, else the built-in one); SIGHUP reloads it" },
	{ "enforce", 'e', TA_OPT_FLAG, offsetof(struct run_cfg, enforce), NULL,
	  "drop unexpected packets (default: audit only, traffic untouched)" },
	{ "interval", 'I', TA_OPT_DOUBLE, offsetof(struct run_cfg, interval), "SECONDS",
	  "refresh / update interval (default 2)", 0.1, 3600 },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct run_cfg, json), NULL,
	  "one JSON object per line (the default when stdout is not a terminal)" },
	{ "duration", 'd', TA_OPT_DOUBLE, offsetof(struct run_cfg, duration), "SECONDS",
	  "stop after this long (default: until Ctrl-C or SIGTERM)", 0, 31536000 },
	{ "flows", 0, TA_OPT_UINT, offsetof(struct run_cfg, flows), "N",
	  "IPv4 flow table entries (IPv6: N/4; default " TA_STR(TA_DEFAULT_FLOWS) ")", 1024, 16777216 },
	{ "pcap", 0, TA_OPT_STR, offsetof(struct run_cfg, pcap), "FILE",
	  "evidence: unexpected and dropped packets to FILE (+ FILE.annotations.jsonl)" },
	{ "pcap-filter", 0, TA_OPT_STR, offsetof(struct run_cfg, pcap_filter), "EXPR",
	  "keep only the evidence packets this pcap-filter expression accepts (as tcpdump's)" },
	{ "all", 'a', TA_OPT_FLAG, offsetof(struct run_cfg, all), NULL,
	  "the report's Why lists endpoint discards too (socket teardown, unread data)" },
	{ "snaplen", 0, TA_OPT_UINT, offsetof(struct run_cfg, snaplen), "BYTES",
	  "bytes of each evidence packet (default 256)", 64, TA_CAP_MAX },
	TA_FLOW_SEL_OPTS(offsetof(struct run_cfg, sel_args)),
	{ 0 },
};

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else
		stop_flag = 1;
}

/* Each interface's run lock (owner.h), after checking that nothing of
 * tokaudit audits it already: 0, or -EBUSY after one line. */
static int run_locks(const struct ta_iface_list *l, int *fds)
{
	for (int i = 0; i < l->n; i++) {
		fds[i] = ta_owner_lock(TA_OWNER_RUN, l->v[i].name);
		if (fds[i] < 0 && errno != EADDRINUSE) {
			ta_err("run: cannot take the lock of %s: %s", l->v[i].name, strerror(errno));
			return -errno;
		}
		/* says who audits it (the lock taken or not) */
		if (ta_owner_refuse_attach("run", l->v[i].name, l->v[i].ifindex, true))
			return -EBUSY;
		if (fds[i] < 0) { /* a run that ended between the two */
			ta_err("run: %s was audited by another run a moment ago: try again", l->v[i].name);
			return -EBUSY;
		}
	}
	return 0;
}

static void run_unlock(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* The "started" event: what is attached, how, with which policy */
static void started_event(const struct ta_session *s, const char *policy)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	ta_jadd(o, "event", ta_jstr("started"));
	ta_jtime(o, "time", ta_ktime_to_unix(ta_now_ns()));
	for (int i = 0; i < s->nifaces; i++) {
		json_object *x = json_object_new_object();

		ta_jadd(x, "name", ta_jstr(s->ifaces[i].name));
		ta_jadd(x, "ifindex", ta_ju64((uint64_t)s->ifaces[i].ifindex));
		ta_jadd(x, "xdp", s->ifaces[i].has_xdp ? ta_jstr(s->ifaces[i].xdp_mode == TA_XDP_SKB ? "skb" : "native")
						       : NULL);
		json_object_array_add(a, x);
	}
	ta_jadd(o, "interfaces", a);
	ta_jadd(o, "side", ta_jstr(s->side == TA_SIDE_OUTSIDE ? "outside" : "inside"));
	ta_jadd(o, "hook", ta_jstr(s->hook == TA_HOOK_TC ? "tc" : "xdp"));
	ta_jadd(o, "enforce", ta_jbool(s->enforce));
	ta_jadd(o, "policy", ta_jstr(policy ? policy : "built-in"));
	ta_jadd(o, "generation", ta_ju64(s->dp.generation));
	ta_jadd(o, "rules", ta_ju64(s->pol.nrules));
	ta_jprint(stdout, o);
}

/* Until Ctrl-C, SIGTERM, --duration or q: events read, a walk and a redraw
 * every --interval, SIGHUP reloads.  TA_EXIT_OK, or TA_EXIT_FAIL when
 * reading failed. */
static int run_loop(struct ta_session *s, const struct run_cfg *cfg, struct ta_tui *tui)
{
	struct ta_ticker tk;
	bool tty = !s->json;

	ta_ticker_start(&tk, cfg->interval, cfg->duration);
	while (!stop_flag) {
		uint64_t now = ta_now_ns();
		int wait = ta_ticker_wait_ms(&tk, now), r;

		if (ta_ticker_over(&tk, now))
			break;
		if (tui->scr && wait > 100)
			wait = 100; /* keys are read between polls */
		r = ta_session_poll(s, wait);
		if (r < 0) {
			ta_err("run: reading events failed: %s", strerror(-r));
			return TA_EXIT_FAIL;
		}
		if (reload_flag) {
			reload_flag = 0;
			ta_session_reload(s);
		}
		if (tui->scr && ta_tui_keys(tui, s))
			ta_tui_draw(tui, s, false);
		if (tui->quit)
			break;
		/* (a walk at once when the tracked flows passed 1.5 tables) */
		if (ta_ticker_due(&tk) || s->walk_wanted) {
			ta_session_tick(s);
			if (tui->scr) {
				if (!tui->paused)
					ta_tui_draw(tui, s, true);
			} else if (tty) {
				ta_session_screen(s, stdout);
			}
		}
	}
	return TA_EXIT_OK;
}

static void run_init(void *vcfg)
{
	struct run_cfg *cfg = vcfg;

	cfg->interval = 2;
	cfg->snaplen = TA_CAP_MAX;
	ta_attach_cli_init(&cfg->a);
}

static int do_run(void *vcfg)
{
	struct run_cfg *cfg = vcfg;
	struct ta_session *s = calloc(1, sizeof(*s));
	struct sigaction sa = { .sa_handler = on_signal };
	int rc = TA_EXIT_FAIL, r;
	bool tty;
	struct ta_tui tui = { 0 };
	int locks[TA_MAX_IFACES];
	struct ta_attach_opts o;

	if (!s)
		return TA_EXIT_FAIL;
	for (int i = 0; i < TA_MAX_IFACES; i++)
		locks[i] = -1;
	char err[300];
	if (ta_flow_sel_init(&cfg->sel, &cfg->sel_args, err, sizeof(err))) {
		ta_err("run: %s", err);
		free(s);
		return TA_EXIT_USAGE;
	}
	if (!cfg->policy)
		cfg->policy = ta_policy_default();
	if ((r = ta_attach_cli_resolve("run", &cfg->a, &o))) {
		free(s);
		return r;
	}
	ta_session_setup(s, &o, cfg->enforce, cfg->a.ifaces.v, cfg->a.ifaces.n);
	s->sel = &cfg->sel;
	tty = isatty(STDOUT_FILENO) && !cfg->json;
	s->json = !tty;
	s->out = stdout;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	s->snaplen = cfg->snaplen;
	if (cfg->pcap_filter && !cfg->pcap) {
		ta_err("run: --pcap-filter selects what --pcap keeps: give --pcap FILE too");
		free(s);
		return TA_EXIT_USAGE;
	}
	if (cfg->pcap && !(s->evidence = ta_evidence_open(cfg->pcap, cfg->pcap_filter)))
		goto out;
	if (run_locks(&cfg->a.ifaces, locks))
		goto out;
	if (ta_session_open(s, cfg->policy, cfg->flows) || ta_session_attach(s))
		goto out;
	if (s->json)
		started_event(s, cfg->policy);
	/* on a terminal, the live view (plain redraws when curses cannot drive it) */
	if (tty && !ta_tui_open(&tui))
		ta_tui_draw(&tui, s, true);
	rc = run_loop(s, cfg, &tui);
	/* final: the terminal back, drain, walk once more, report */
	ta_tui_close(&tui);
	ta_session_poll(s, 0);
	ta_session_tick(s);
	ta_session_report(s, stdout, s->json, cfg->all);
out:
	ta_tui_close(&tui);
	ta_session_close(s);
	if (s->evidence && ta_evidence_close(s->evidence)) {
		ta_err("run: writing the evidence capture %s failed", cfg->pcap);
		rc = TA_EXIT_FAIL;
	}
	run_unlock(locks, cfg->a.ifaces.n);
	free(s);
	return rc;
}

const struct ta_cmd ta_cmd_run = {
	.name = "run",
	.brief = "Audit interfaces live, report compliance on exit",
	.examples =
		"sudo tokaudit run -i eth0\tlive view; Ctrl-C for the compliance report\n"
		"sudo tokaudit run -i eth0 --duration 600 --json > audit.jsonl\tten minutes of JSON events and a report\n"
		"sudo tokaudit run -i eth0,eth1 --side inside --pcap drops.pcap\tinside interfaces, evidence of what was dropped\n"
		"sudo tokaudit run -i eth0 --verdict unexpected,dropped --json\tonly the flows that need an answer\n",
	.args = NULL,
	.summary = "Audit interfaces live: attach, show allowed/unexpected/dropped flows,\n"
		   "and print a compliance report per rule on Ctrl-C, SIGTERM or --duration.",
	.details = "XDP sees ingress and tc egress (--hook tc: tc both ways). With --side\n"
		   "outside (the default) ingress is 'in' and egress 'out'; --side inside\n"
		   "swaps them. On a terminal, a live view (rates every --interval; keys: q\n"
		   "quit, p pause, s/r/b/k/i sort, v verdict, u rule, a all; colours unless\n"
		   "NO_COLOR is set); otherwise (or with --json) one JSON object per line:\n"
		   "started, opened, updated, unexpected, dropped, closed, reload, report\n"
		   "(README: \"run JSON events\").\n"
		   "--verdict, --rule, --remote, --proto, --state, --sort and --limit choose\n"
		   "the flows the live view shows, the flow events and the report's flow lists\n"
		   "and Why; the counters and the compliance table count everything.\n"
		   "SIGHUP reloads the policy file. Everything attached is detached on exit.\n"
		   "Needs root: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN (README: \"Capabilities\").",
	.opts = run_opts,
	.cfg_size = sizeof(struct run_cfg),
	.init = run_init,
	.run = do_run,
};
