// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* tokaudit probe: options, and the results printed (the engine: probe.c). */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "commands.h"
#include "files.h"
#include "flows.h"
#include "json.h"
#include "kdrop.h"
#include "probe.h"

static volatile sig_atomic_t probe_stop;
static void on_int(int sig) { probe_stop = 1; }

/* Print a run (fresh or loaded) from its JSON form. */
static void print_text(json_object *root)
{
	json_object *checks = json_object_object_get(root, "checks");
	json_object *sum = json_object_object_get(root, "summary");
	const char *last_rule = "";

	printf("tokaudit probe, policy %s\n", json_object_get_string(json_object_object_get(root, "policy")));
	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		json_object *c = json_object_array_get_idx(checks, i), *v;
		const char *rule = json_object_get_string(json_object_object_get(c, "rule"));
		const char *res = json_object_get_string(json_object_object_get(c, "result"));

		if (strcmp(rule, last_rule))
			printf("\nrule %s\n", rule);
		last_rule = rule;
		printf("  %-34s %-16s %s/%-5d %-14s", json_object_get_string(json_object_object_get(c, "name")),
		       (v = json_object_object_get(c, "addr")) ? json_object_get_string(v) : "-",
		       json_object_get_string(json_object_object_get(c, "proto")),
		       json_object_get_int(json_object_object_get(c, "port")), res);
		if ((v = json_object_object_get(c, "ms")) && !strcmp(res, "ok"))
			printf(" %.1f ms", json_object_get_double(v));
		if ((v = json_object_object_get(c, "retried")) && json_object_get_boolean(v))
			printf(" (retried: ICMP errors are rate-limited)");
		if ((v = json_object_object_get(c, "icmp_from")))
			printf(" (ICMP %s, type %d code %d, from %s)",
			       ta_icmp_name(strchr(json_object_get_string(v), ':') ? 6 : 4,
					    json_object_get_int(json_object_object_get(c, "icmp_type")),
					    json_object_get_int(json_object_object_get(c, "icmp_code"))),
			       json_object_get_int(json_object_object_get(c, "icmp_type")),
			       json_object_get_int(json_object_object_get(c, "icmp_code")), json_object_get_string(v));
		printf("\n");
		if ((v = json_object_object_get(c, "auditor")))
			printf("      auditor: %s\n", json_object_get_string(v));
	}
	printf("\nSummary (per rule, by result):\n");
	json_object_object_foreach(sum, k, s) {
		json_object *by = json_object_object_get(s, "results");

		printf("  %-12s %3d checks:", k, json_object_get_int(json_object_object_get(s, "checks")));
		if (by) {
			const char *sep = " ";
			json_object_object_foreach(by, rk, rv) {
				printf("%s%d %s", sep, json_object_get_int(rv), rk);
				sep = ", ";
			}
		} else { /* a run saved before results were grouped */
			printf(" %d ok, %d failed", json_object_get_int(json_object_object_get(s, "ok")),
			       json_object_get_int(json_object_object_get(s, "failed")));
		}
		printf("\n");
	}
}

/* The exit status of a run: 1 when a check's result is in fail (a bit per
 * result), else 0. */
static int run_status(json_object *root, unsigned fail)
{
	json_object *checks = json_object_object_get(root, "checks");
	int bad = 0;

	for (size_t i = 0; i < json_object_array_length(checks); i++) {
		const char *res = json_object_get_string(
			json_object_object_get(json_object_array_get_idx(checks, i), "result"));
		for (int k = 0; ta_probe_result_names[k]; k++)
			if (res && !strcmp(res, ta_probe_result_names[k]) && (fail & (1u << k)))
				bad++;
	}
	return bad ? TA_EXIT_FAIL : TA_EXIT_OK;
}

/* --fail-on: result names, "none" or "default" */
static int parse_fail_on(const char *list, unsigned *fail)
{
	*fail = 1u << TA_PR_NOTRUN | 1u << TA_PR_REFUSED | 1u << TA_PR_TIMEOUT | 1u << TA_PR_UNREACH |
		1u << TA_PR_DNS | 1u << TA_PR_ERROR | 1u << TA_PR_NOHOST;
	if (!list)
		return 0;
	*fail = 0;
	for (const char *p = list; *p;) {
		size_t w = strcspn(p, ","), k;

		if (w == 4 && !strncmp(p, "none", 4)) {
			p += w + (p[w] == ',');
			continue;
		}
		for (k = 0; ta_probe_result_names[k]; k++)
			if (strlen(ta_probe_result_names[k]) == w && !strncmp(p, ta_probe_result_names[k], w))
				break;
		if (!ta_probe_result_names[k] || k == TA_PR_OK) {
			ta_err("probe: --fail-on: no result '%.*s' (not-run, refused, timeout, unreachable, dns-failed, "
			       "open|filtered, error, not-in-hosts, or none)",
			       (int)w, p);
			return -1;
		}
		*fail |= 1u << k;
		p += w + (p[w] == ',');
	}
	return 0;
}

/* ---- the command ---- */

struct probe_cfg {
	const char *policy;
	const char *rule;
	const char *hosts;
	double timeout;
	unsigned parallel;
	const char *save;
	const char *load;
	bool json;
	const char *udp_ports;
	double deadline;
	const char *fail_on;
};

static const struct ta_opt probe_opts[] = {
	{ "policy", 'p', TA_OPT_STR, offsetof(struct probe_cfg, policy), "FILE",
	  "policy (default: $TOKAUDIT_POLICY, else the installed one if any, else the built-in one)" },
	{ "rule", 'r', TA_OPT_STR, offsetof(struct probe_cfg, rule), "LABEL", "only this rule" },
	{ "hosts", 0, TA_OPT_STR, offsetof(struct probe_cfg, hosts), "FILE",
	  "name -> address pairs (/etc/hosts format) instead of DNS" },
	{ "timeout", 't', TA_OPT_DOUBLE, offsetof(struct probe_cfg, timeout), "SECONDS", "per check (default 3)", 0.05,
	  60 },
	{ "parallel", 'P', TA_OPT_UINT, offsetof(struct probe_cfg, parallel), "N", "checks at once (default 16)", 1,
	  256 },
	{ "deadline", 0, TA_OPT_DOUBLE, offsetof(struct probe_cfg, deadline), "SECONDS",
	  "bound on the whole run (default 120)", 1, 3600 },
	{ "udp-ports", 0, TA_OPT_STR, offsetof(struct probe_cfg, udp_ports), "P,P,...",
	  "UDP ports sampled from UDP rules (default 1025,50000,65535)" },
	{ "save", 0, TA_OPT_STR, offsetof(struct probe_cfg, save), "FILE", "write the results as JSON" },
	{ "load", 0, TA_OPT_STR, offsetof(struct probe_cfg, load), "FILE", "print a saved run instead of probing" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct probe_cfg, json), NULL, "print JSON" },
	{ "fail-on", 0, TA_OPT_STR, offsetof(struct probe_cfg, fail_on), "R[,R...]",
	  "results that make the exit status 1 (default: all but ok and open|filtered; 'none': never)" },
	{ 0 },
};

static void probe_init(void *v)
{
	struct probe_cfg *c = v;

	c->timeout = 3;
	c->parallel = 16;
	c->deadline = 120;
}

/* --load: a saved run, printed again */
static int show_saved(const struct probe_cfg *cfg, unsigned fail)
{
	json_object *root = json_object_from_file(cfg->load);
	int rc;

	if (!root || !json_object_object_get(root, "checks")) {
		ta_err("probe: --load %s: not a saved probe run (%s)", cfg->load,
		       root ? "no checks" : json_util_get_last_err());
		json_object_put(root);
		return TA_EXIT_FAIL;
	}
	if (cfg->json)
		puts(ta_jtext(root));
	else
		print_text(root);
	rc = run_status(root, fail);
	json_object_put(root);
	return rc;
}

#define MAX_UDP_PORTS 32

/* --udp-ports: the UDP ports tried in each UDP range */
static int parse_udp_ports(const char *list, int *udp, int *nudp)
{
	char *d = strdup(list), *save = NULL, *t;

	*nudp = 0;
	for (t = strtok_r(d, ",", &save); t && *nudp < MAX_UDP_PORTS; t = strtok_r(NULL, ",", &save)) {
		char *e;
		long v = strtol(t, &e, 10);

		if (*e || v < 1 || v > 65535) {
			ta_err("probe: --udp-ports: '%s' is not a port", t);
			free(d);
			return TA_EXIT_USAGE;
		}
		udp[(*nudp)++] = (int)v;
	}
	free(d);
	return 0;
}

/* The planned checks run, explained, printed (and saved) */
static int run_checks(const struct probe_cfg *cfg, struct ta_probe *r, const struct ta_policy *pol, unsigned fail)
{
	struct sigaction sa = { .sa_handler = on_int };
	struct timespec rt;
	int rc = TA_EXIT_OK;

	clock_gettime(CLOCK_REALTIME, &rt);
	double started = rt.tv_sec + (double)rt.tv_nsec / TA_NSEC_PER_SEC;
	r->timeout = cfg->timeout;
	r->deadline_ns = ta_now_ns() + (uint64_t)(cfg->deadline * TA_NSEC_PER_SEC);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	ta_probe_execute(r, cfg->parallel);
	ta_probe_explain(r);

	json_object *root = ta_probe_json(r, pol, cfg->policy, started);
	if (cfg->save && ta_jsave(cfg->save, root)) {
		ta_err("probe: --save %s: %s", cfg->save, ta_open_error(errno));
		rc = TA_EXIT_FAIL;
	}
	if (cfg->json)
		puts(ta_jtext(root));
	else
		print_text(root);
	if (rc == TA_EXIT_OK)
		rc = run_status(root, fail);
	json_object_put(root);
	if (probe_stop)
		ta_info("probe: interrupted; checks not run are marked not-run");
	return rc;
}

static int do_probe(void *vcfg)
{
	struct probe_cfg *cfg = vcfg;
	struct ta_policy pol = { 0 };
	struct ta_hosts hosts, *hp = NULL;
	struct ta_probe r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	int udp[MAX_UDP_PORTS] = { 1025, 50000, 65535 }, nudp = 3, rc, err;
	unsigned fail;

	if (parse_fail_on(cfg->fail_on, &fail))
		return TA_EXIT_USAGE;
	if (cfg->load)
		return show_saved(cfg, fail);
	if (cfg->udp_ports && (rc = parse_udp_ports(cfg->udp_ports, udp, &nudp)))
		return rc;
	if (!cfg->policy)
		cfg->policy = ta_policy_default();
	if (ta_policy_get(cfg->policy, &pol))
		return TA_EXIT_FAIL;
	if (cfg->hosts) {
		if (ta_hosts_load(cfg->hosts, &hosts)) {
			ta_policy_free(&pol);
			return TA_EXIT_FAIL;
		}
		hp = &hosts;
	}
	r.stop = &probe_stop;
	err = ta_probe_plan(&r, &pol, cfg->rule, hp, udp, nudp);
	if (err == -ENOENT)
		ta_err("probe: the policy has no rule '%s'", cfg->rule);
	rc = err == -ENOENT ? TA_EXIT_USAGE : err ? TA_EXIT_FAIL : run_checks(cfg, &r, &pol, fail);
	ta_probe_free(&r);
	if (hp)
		ta_hosts_free(hp);
	ta_policy_free(&pol);
	return rc;
}

const struct ta_cmd ta_cmd_probe = {
	.name = "probe",
	.brief = "Try every server of the policy on its ports",
	.examples = "tokaudit probe\tevery OpenTok server and port of the built-in policy\n"
		    "tokaudit probe --rule control --save before.json\tthe TCP control ports; keep the results\n"
		    "tokaudit probe --hosts lab.hosts\tnames from a hosts file instead of DNS\n",
	.no_verbose = true,
	.summary = "Try every server of the policy on its ports and say why a check failed.\n"
		   "THIS CONTACTS THE REAL SERVERS (unless --hosts points elsewhere).",
	.details = "Names are expanded (mantis40[1-8]-oak.tokbox.com: eight names) and resolved,\n"
		   "or looked up in --hosts; a rule's single addresses are probed too. TCP:\n"
		   "connect, with latency. UDP: the sampled ports get a datagram; a reply is ok,\n"
		   "an ICMP port-unreachable refused, other ICMP errors unreachable, and silence\n"
		   "open|filtered. Results: ok, refused, timeout, unreachable (ICMP type/code\n"
		   "from ADDR), dns-failed (not-in-hosts with --hosts), open|filtered, not-run.\n"
		   "When tokaudit is attached on this host (pinned mode), a failed check also\n"
		   "says what the auditor saw.\n"
		   "Exit 0 when every check passed, 1 when one failed (--fail-on says which\n"
		   "results count: by default all but ok and open|filtered), 2 on a usage error.",
	.opts = probe_opts,
	.cfg_size = sizeof(struct probe_cfg),
	.init = probe_init,
	.run = do_probe,
};

