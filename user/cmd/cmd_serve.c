// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit serve: the long-running audit (options; the loop is serve.c). */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "dp.h" /* TA_DEFAULT_FLOWS */
#include "httpd.h"
#include "ipfix.h"
#include "options.h"
#include "serve.h"

struct serve_cfg {
	struct ta_attach_cli a;
	const char *policy;
	bool enforce;
	const char *metrics;
	const char *events;
	bool keep_attached;
	double interval;
	unsigned flows;
	struct ta_strs ipfix;
	unsigned ipfix_domain, ipfix_pen;
	double ipfix_active;
};

static const struct ta_opt serve_opts[] = {
	TA_ATTACH_OPTS(struct serve_cfg, a),
	{ "policy", 'p', TA_OPT_STR, offsetof(struct serve_cfg, policy), "FILE",
	  "policy file (default: what the pins hold; else $TOKAUDIT_POLICY, the installed one if any, the built-in one); SIGHUP rereads it" },
	{ "enforce", 'e', TA_OPT_FLAG, offsetof(struct serve_cfg, enforce), NULL,
	  "drop unexpected packets (default: audit only, traffic untouched)" },
	{ "metrics", 'm', TA_OPT_STR, offsetof(struct serve_cfg, metrics), "[ADDR:]PORT",
	  "Prometheus metrics on http://ADDR:PORT/metrics (no ADDR: 127.0.0.1 only; default and 'off': none)" },
	{ "events", 0, TA_OPT_STR, offsetof(struct serve_cfg, events), "FILE|-",
	  "JSON events, one per line, appended to FILE (reopened on SIGUSR1; a FIFO may get its reader later) or - for stdout (default)" },
	{ "keep-attached", 'k', TA_OPT_FLAG, offsetof(struct serve_cfg, keep_attached), NULL,
	  "on SIGTERM/SIGINT leave the programs auditing from their pins (default: detach)" },
	{ "interval", 'I', TA_OPT_DOUBLE, offsetof(struct serve_cfg, interval), "SECONDS",
	  "how often the flow table is walked (default 2; at once when a flood "
	  "of new flows passes 1.5 tables)",
	  0.1, 3600 },
	{ "flows", 0, TA_OPT_UINT, offsetof(struct serve_cfg, flows), "N",
	  "IPv4 flow table entries at the first attach (IPv6: N/4; default " TA_STR(TA_DEFAULT_FLOWS) ")", 1024,
	  16777216 },
	{ "ipfix", 0, TA_OPT_STRS, offsetof(struct serve_cfg, ipfix), "HOST:PORT[,tcp|udp]",
	  "export flow records (IPFIX) to this collector (udp by default; twice for two collectors)" },
	{ "ipfix-domain", 0, TA_OPT_UINT, offsetof(struct serve_cfg, ipfix_domain), "N",
	  "observation domain of this gateway's records (default: its host id)", 0, 4294967294.0 },
	{ "ipfix-active-timeout", 0, TA_OPT_DOUBLE, offsetof(struct serve_cfg, ipfix_active), "SECONDS",
	  "a record of a long flow this often (default 60)", 1, 86400 },
	{ "ipfix-enterprise", 0, TA_OPT_UINT, offsetof(struct serve_cfg, ipfix_pen), "PEN",
	  "private enterprise number of tokaudit's own elements (default 32473, documentation only: set yours)", 1,
	  4294967295.0 },
	{ 0 },
};

static struct ta_serve_signals sigs;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sigs.hup = 1;
	else if (sig == SIGUSR1)
		sigs.usr1 = 1;
	else
		sigs.stop = 1;
}

static void serve_init(void *vcfg)
{
	struct serve_cfg *cfg = vcfg;

	cfg->interval = 2;
	cfg->ipfix_active = 60;
	cfg->ipfix_pen = TA_IPFIX_PEN_DEFAULT;
	cfg->ipfix_domain = UINT32_MAX; /* not given */
	ta_attach_cli_init(&cfg->a);
}

static int do_serve(void *vcfg)
{
	struct serve_cfg *cfg = vcfg;
	struct ta_serve_opts so = { .policy = cfg->policy, .flows = cfg->flows, .interval = cfg->interval,
				    .metrics = cfg->metrics, .events = cfg->events,
				    .keep_attached = cfg->keep_attached };
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: the loop wakes up */
	int r;

	if (cfg->ipfix.n > TA_IPFIX_MAX_COLLECTORS) {
		ta_err("serve: --ipfix: at most %d collectors", TA_IPFIX_MAX_COLLECTORS);
		return TA_EXIT_USAGE;
	}
	for (int i = 0; i < cfg->ipfix.n; i++) {
		char err[400];
		if (ta_ipfix_parse_collector(cfg->ipfix.v[i], &so.ipfix.c[i], err, sizeof(err))) {
			ta_err("serve: --ipfix %s", err);
			return TA_EXIT_USAGE;
		}
	}
	so.ipfix.n = cfg->ipfix.n;
	so.ipfix.pen = cfg->ipfix_pen;
	so.ipfix.active_timeout = cfg->ipfix_active;
	/* one domain per gateway: without --ipfix-domain, the host id */
	so.ipfix.domain = cfg->ipfix_domain != UINT32_MAX ? cfg->ipfix_domain : (uint32_t)gethostid();
	if ((r = ta_attach_cli_resolve("serve", &cfg->a, &so.o)))
		return r;
	so.o.enforce = cfg->enforce;
	if (cfg->metrics && (!cfg->metrics[0] || !strcmp(cfg->metrics, "off")))
		so.metrics = cfg->metrics = NULL; /* "off" (or empty, as an unset variable of a unit gives) */
	if (cfg->metrics && ta_listen_parse(cfg->metrics, &so.metrics_sa, &so.metrics_len))
		return TA_EXIT_USAGE;
	memcpy(so.ifaces, cfg->a.ifaces.v, sizeof(so.ifaces));
	so.nifaces = cfg->a.ifaces.n;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = ta_serve(&so, &sigs);
	return r == TA_SERVE_BAD_CONFIG ? TA_EXIT_CONFIG : r == TA_SERVE_FAIL ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_serve = {
	.name = "serve",
	.config_exit = true,
	.brief = "Audit as a service: events, Prometheus metrics",
	.examples =
		"sudo systemctl enable --now tokaudit\tthe packaged service (settings in /etc/default/tokaudit)\n"
		"sudo tokaudit serve -i eth0 --metrics 9464 --events /var/log/ta.jsonl\tby hand\n"
		"curl -s localhost:9464/metrics | grep tokaudit_packets\tthe per-verdict counters\n"
		"sudo tokaudit serve -i eth0 --ipfix 10.0.0.9:4739 --ipfix-domain 12\tflow records to the site's collector\n",
	.summary = "Audit for good: attach through the pins (adopting what an earlier serve\n"
		   "or attach left), write JSON events, serve Prometheus metrics.",
	.details = "Counters and flows live in the pins (/sys/fs/bpf/tokaudit/IFACE), so\n"
		   "after a restart, a crash or kill -9 the next serve continues them: every\n"
		   "metric counter is monotonic (but the events' own: this process's).\n"
		   "SIGHUP rereads the policy (a broken one is\n"
		   "refused and counted, the running one stays); SIGUSR1 reopens --events\n"
		   "(logrotate). Events are written by a thread of their own: a full disk, a\n"
		   "FIFO with no reader or a stalled reader never stops the audit, and each\n"
		   "line is written whole or counted as unwritten (metrics).\n"
		   "SIGTERM/SIGINT detach unless --keep-attached, or unless\n"
		   "systemd is restarting the unit. Under systemd (Type=notify) it reports\n"
		   "READY, WATCHDOG and a status line. Userspace\n"
		   "memory is bounded by the flow table (README: \"Run as a service\").\n"
		   "--ipfix exports each direction of each flow as an IPFIX record (RFC 7011)\n"
		   "when it ends (idle, FIN/RST, evicted, serve stopping) and every\n"
		   "--ipfix-active-timeout, with delta counters; a slow or dead collector\n"
		   "costs records (counted in tokaudit_ipfix_*), never the audit (README:\n"
		   "\"Many gateways\"; 'tokaudit ipfix elements' lists the record's elements).\n"
		   "Needs root: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN (README: \"Capabilities\").",
	.opts = serve_opts,
	.cfg_size = sizeof(struct serve_cfg),
	.init = serve_init,
	.run = do_serve,
};
