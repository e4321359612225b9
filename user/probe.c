// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tokaudit probe: the requirement document's nc script and diagnostic tool,
 * done properly.  Every server name of the policy's rules is expanded
 * (mantis40[1-8]-oak.tokbox.com -> eight names) and resolved (or looked up
 * in --hosts), and each address is tried on its rule's ports: TCP connect
 * with latency; UDP a datagram, waiting for a reply or an ICMP error.  A
 * failure says why: refused, timeout, unreachable (ICMP type/code from
 * ADDR), dns-failed, or for UDP honestly open|filtered.
 *
 * tokaudit policy verify: the names against their rule's addresses.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "commands.h"
#include "dp.h"
#include "flows.h"
#include "kdrop.h"
#include "pinned.h"
#include "policy.h"
#include "why.h"
#include "json.h"
#include "util.h"

#define MAX_EXPAND 4096

/* ---- names ---- */

/* Expand one pattern's [..] classes; calls fn for each name. */
static int expand(const char *pat, void (*fn)(const char *name, void *arg), void *arg)
{
	char out[TA_NAME_MAX + 1];
	const char *b = strchr(pat, '[');
	int n = 0;

	if (!b) {
		fn(pat, arg);
		return 1;
	}
	const char *e = strchr(b, ']');
	if (!e)
		return 0;
	for (const char *c = b + 1; c < e; c++) {
		char lo = *c, hi = *c;

		if (c + 2 < e && c[1] == '-') {
			hi = c[2];
			c += 2;
		}
		for (char ch = lo; ch <= hi && n < MAX_EXPAND; ch++) {
			int pl = (int)(b - pat);
			snprintf(out, sizeof(out), "%.*s%c%s", pl, pat, ch, e + 1);
			n += expand(out, fn, arg);
		}
	}
	return n;
}

struct hosts {
	char **names;
	char **addrs;
	size_t n;
};

static int load_hosts(const char *path, struct hosts *h)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0;

	memset(h, 0, sizeof(*h));
	if (!f) {
		ta_err("--hosts %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *addr, *name;
		struct ta_prefix p;
		char err[160];

		lineno++;
		if (strchr(line, '#'))
			*strchr(line, '#') = 0;
		addr = strtok_r(line, " \t\r\n", &save);
		if (!addr)
			continue;
		if (ta_prefix_parse(addr, &p, err, sizeof(err)) || p.len != 128) {
			ta_err("--hosts %s:%d: '%s' is not an address", path, lineno, addr);
			fclose(f);
			return -1;
		}
		while ((name = strtok_r(NULL, " \t\r\n", &save))) {
			h->names = realloc(h->names, (h->n + 1) * sizeof(char *));
			h->addrs = realloc(h->addrs, (h->n + 1) * sizeof(char *));
			h->names[h->n] = strdup(name);
			h->addrs[h->n] = strdup(addr);
			h->n++;
		}
	}
	fclose(f);
	return 0;
}

static void free_hosts(struct hosts *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->names[i]);
		free(h->addrs[i]);
	}
	free(h->names);
	free(h->addrs);
}

/* Addresses of a name: from --hosts when given, else the resolver. */
static int resolve(const char *name, const struct hosts *h, char addrs[][64], int max)
{
	int n = 0;

	if (h) {
		for (size_t i = 0; i < h->n && n < max; i++)
			if (!strcasecmp(h->names[i], name))
				snprintf(addrs[n++], 64, "%s", h->addrs[i]);
		return n;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *r;
	if (getaddrinfo(name, NULL, &hints, &res))
		return 0;
	for (r = res; r && n < max; r = r->ai_next) {
		void *a = r->ai_family == AF_INET ? (void *)&((struct sockaddr_in *)r->ai_addr)->sin_addr
						  : (void *)&((struct sockaddr_in6 *)r->ai_addr)->sin6_addr;
		char buf[64];
		inet_ntop(r->ai_family, a, buf, sizeof(buf));
		int dup = 0;
		for (int i = 0; i < n; i++)
			dup |= !strcmp(addrs[i], buf);
		if (!dup)
			snprintf(addrs[n++], 64, "%s", buf);
	}
	freeaddrinfo(res);
	return n;
}

/* ---- checks ---- */

enum { PR_NOTRUN, PR_OK, PR_REFUSED, PR_TIMEOUT, PR_UNREACH, PR_DNS, PR_OPENFILT, PR_ERROR };
static const char *const rnames[] = { "not-run", "ok", "refused", "timeout", "unreachable", "dns-failed",
				      "open|filtered", "error" };

struct check {
	int rule;
	char name[TA_NAME_MAX + 1];
	char addr[64];
	int proto; /* 6 or 17 */
	int port;
	int result;
	double ms;
	int icmp_type, icmp_code;
	char icmp_from[64];
	char detail[128];
	int lport;
	char auditor[768];
};

struct run {
	struct check *c;
	size_t n, cap, next;
	pthread_mutex_t lock;
	double timeout;
	uint64_t deadline_ns;
};

static volatile sig_atomic_t probe_stop;
static void on_int(int sig) { probe_stop = 1; }

static void add_check(struct run *r, int rule, const char *name, const char *addr, int proto, int port, int result)
{
	if (ta_grow(&r->c, &r->cap, r->n, sizeof(*r->c), 64)) {
		ta_err("probe: out of memory for the list of checks");
		exit(TA_EXIT_FAIL);
	}
	struct check *c = &r->c[r->n++];
	memset(c, 0, sizeof(*c));
	c->rule = rule;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->proto = proto;
	c->port = port;
	c->result = result;
}

static int sockaddr_of(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1 ? AF_INET6 : -1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	*len = sizeof(*s4);
	return inet_pton(AF_INET, addr, &s4->sin_addr) == 1 ? AF_INET : -1;
}

/* An ICMP error queued on the socket (IP_RECVERR): type, code, sender. */
static int read_errqueue(int fd, struct check *c)
{
	char cbuf[512], data[64];
	struct sockaddr_storage from;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };

	if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		return 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if ((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)) {
			struct sock_extended_err *ee = (struct sock_extended_err *)CMSG_DATA(cm);
			struct sockaddr *off = SO_EE_OFFENDER(ee);

			if (ee->ee_origin != SO_EE_ORIGIN_ICMP && ee->ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			c->icmp_type = ee->ee_type;
			c->icmp_code = ee->ee_code;
			if (off->sa_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)off)->sin_addr, c->icmp_from, sizeof(c->icmp_from));
			else if (off->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)off)->sin6_addr, c->icmp_from, sizeof(c->icmp_from));
			return 1;
		}
	}
	return 0;
}

static void do_check(struct check *c, double timeout)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = sockaddr_of(c->addr, c->port, &ss, &sl), one = 1;
	int fd = socket(fam == AF_INET6 ? AF_INET6 : AF_INET, (c->proto == 6 ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
	uint64_t t0 = ta_now_ns();
	int tmo = (int)(timeout * 1000);

	if (fam < 0 || fd < 0) {
		c->result = PR_ERROR;
		snprintf(c->detail, sizeof(c->detail), "%s", fd < 0 ? strerror(errno) : "bad address");
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fam == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		c->result = PR_UNREACH;
		snprintf(c->detail, sizeof(c->detail), "%s", strerror(errno));
		read_errqueue(fd, c);
		close(fd);
		return;
	}
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	if (!getsockname(fd, (struct sockaddr *)&me, &ml))
		c->lport = ntohs(me.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&me)->sin6_port
							  : ((struct sockaddr_in *)&me)->sin_port);
	if (c->proto == 17) {
		static const char payload[] = "tokaudit probe\n";
		if (send(fd, payload, sizeof(payload) - 1, 0) < 0 && errno != EAGAIN) {
			c->result = PR_UNREACH;
			snprintf(c->detail, sizeof(c->detail), "%s", strerror(errno));
			read_errqueue(fd, c);
			close(fd);
			return;
		}
	}
	struct pollfd pf = { fd, c->proto == 6 ? POLLOUT : POLLIN, 0 };
	int pr = poll(&pf, 1, tmo);
	c->ms = (double)(ta_now_ns() - t0) / 1e6;
	if (pr == 0) {
		/* an ICMP error may have been soft: look before calling it a timeout */
		if (read_errqueue(fd, c))
			c->result = PR_UNREACH;
		else
			c->result = c->proto == 6 ? PR_TIMEOUT : PR_OPENFILT;
		close(fd);
		return;
	}
	int err = 0;
	socklen_t el = sizeof(err);
	if (c->proto == 6) {
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	} else {
		char buf[512];
		if (recv(fd, buf, sizeof(buf), 0) < 0)
			err = errno;
	}
	if (!err) {
		c->result = PR_OK;
	} else if (err == ECONNREFUSED) {
		c->result = PR_REFUSED;
		read_errqueue(fd, c);
		if (c->proto == 6)
			c->icmp_type = c->icmp_code = 0, c->icmp_from[0] = 0; /* a TCP reset, not ICMP */
	} else {
		c->result = PR_UNREACH;
		snprintf(c->detail, sizeof(c->detail), "%s", strerror(err));
		read_errqueue(fd, c);
	}
	close(fd);
}

static void *worker(void *arg)
{
	struct run *r = arg;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		size_t i = r->next;
		while (i < r->n && r->c[i].result != PR_NOTRUN)
			i++;
		r->next = i + 1;
		pthread_mutex_unlock(&r->lock);
		if (i >= r->n || probe_stop || ta_now_ns() > r->deadline_ns)
			return NULL;
		do_check(&r->c[i], r->timeout);
	}
}

/* ---- what the attached auditor saw of a failed check ---- */

struct explain_ctx {
	struct run *r;
	struct ta_flow_ctx c;
};

static int explain_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct explain_ctx *x = arg;
	char rem[64];

	ta_addr_str(k->remote, rem, sizeof(rem));
	for (size_t i = 0; i < x->r->n; i++) {
		struct check *c = &x->r->c[i];
		if (c->result == PR_OK || c->result == PR_NOTRUN || c->auditor[0])
			continue;
		if (k->proto != c->proto || k->rport != c->port || k->lport != c->lport || strcmp(rem, c->addr))
			continue;
		if (!ta_flow_diagnosis(&x->c, NULL, k, v, false, c->auditor, sizeof(c->auditor)))
			c->auditor[0] = 0;
	}
	return 0;
}

static void explain_iface(const char *ifname, struct ta_dp *dp, const struct ta_meta *m, void *arg)
{
	const char *labels[TA_MAX_RULES] = { 0 };
	struct explain_ctx x = { .r = arg, .c = { .labels = labels, .nlabels = TA_MAX_RULES, .now_ns = ta_now_ns() } };

	for (uint32_t i = 0; i < m->nrules && i < TA_MAX_RULES; i++)
		labels[i] = m->labels[i];
	ta_dp_flows(dp, explain_flow, &x);
}

/* ---- output ---- */

static json_object *run_json(const struct run *r, const struct ta_policy *pol, const char *policy_name,
			     double started)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array(), *sum = json_object_new_object();

	json_object_object_add(root, "tool", ta_jstr("tokaudit probe " TA_VERSION));
	json_object_object_add(root, "started", ta_jnum(started, 6));
	json_object_object_add(root, "policy", ta_jstr(policy_name));
	char *pj = ta_policy_json(pol);
	json_object *pobj = pj ? json_tokener_parse(pj) : NULL;
	free(pj);
	json_object_object_add(root, "policy_rules", pobj ? json_object_get(json_object_object_get(pobj, "rules")) : NULL);
	json_object_put(pobj);
	for (size_t i = 0; i < r->n; i++) {
		const struct check *c = &r->c[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "rule", ta_jstr(pol->rules[c->rule].label));
		json_object_object_add(o, "name", ta_jstr(c->name));
		json_object_object_add(o, "addr", c->addr[0] ? ta_jstr(c->addr) : NULL);
		json_object_object_add(o, "proto", ta_jstr(c->proto == 6 ? "tcp" : "udp"));
		json_object_object_add(o, "port", json_object_new_int(c->port));
		json_object_object_add(o, "result", ta_jstr(rnames[c->result]));
		json_object_object_add(o, "ms", c->result == PR_NOTRUN || c->result == PR_DNS ? NULL : ta_jnum(c->ms, 3));
		if (c->icmp_from[0]) {
			json_object_object_add(o, "icmp_type", json_object_new_int(c->icmp_type));
			json_object_object_add(o, "icmp_code", json_object_new_int(c->icmp_code));
			json_object_object_add(o, "icmp_from", ta_jstr(c->icmp_from));
		}
		if (c->detail[0])
			json_object_object_add(o, "detail", ta_jstr(c->detail));
		if (c->auditor[0])
			json_object_object_add(o, "auditor", ta_jstr(c->auditor));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "checks", arr);
	for (size_t ri = 0; ri < pol->nrules; ri++) {
		int ok = 0, total = 0;
		for (size_t i = 0; i < r->n; i++)
			if (r->c[i].rule == (int)ri) {
				total++;
				ok += r->c[i].result == PR_OK;
			}
		if (!total)
			continue;
		json_object *s = json_object_new_object();
		json_object_object_add(s, "checks", json_object_new_int(total));
		json_object_object_add(s, "ok", json_object_new_int(ok));
		json_object_object_add(s, "failed", json_object_new_int(total - ok));
		json_object_object_add(sum, pol->rules[ri].label, s);
	}
	json_object_object_add(root, "summary", sum);
	return root;
}

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
	printf("\nSummary:\n");
	json_object_object_foreach(sum, k, s)
		printf("  %-12s %d checks, %d ok, %d failed\n", k, json_object_get_int(json_object_object_get(s, "checks")),
		       json_object_get_int(json_object_object_get(s, "ok")),
		       json_object_get_int(json_object_object_get(s, "failed")));
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
};

static const struct ta_opt probe_opts[] = {
	{ "policy", 'p', TA_OPT_STR, offsetof(struct probe_cfg, policy), "FILE", "policy (default: the built-in one)" },
	{ "rule", 'r', TA_OPT_STR, offsetof(struct probe_cfg, rule), "LABEL", "only this rule" },
	{ "hosts", 0, TA_OPT_STR, offsetof(struct probe_cfg, hosts), "FILE",
	  "name -> address pairs (/etc/hosts format) instead of DNS" },
	{ "timeout", 't', TA_OPT_DOUBLE, offsetof(struct probe_cfg, timeout), "SECONDS",
	  "per check (default 3)", 0.05, 60 },
	{ "parallel", 'P', TA_OPT_UINT, offsetof(struct probe_cfg, parallel), "N",
	  "checks at once (default 16)", 1, 256 },
	{ "deadline", 0, TA_OPT_DOUBLE, offsetof(struct probe_cfg, deadline), "SECONDS",
	  "bound on the whole run (default 120)", 1, 3600 },
	{ "udp-ports", 0, TA_OPT_STR, offsetof(struct probe_cfg, udp_ports), "P,P,...",
	  "UDP ports sampled from UDP rules (default 1025,50000,65535)" },
	{ "save", 0, TA_OPT_STR, offsetof(struct probe_cfg, save), "FILE", "write the results as JSON" },
	{ "load", 0, TA_OPT_STR, offsetof(struct probe_cfg, load), "FILE", "print a saved run instead of probing" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct probe_cfg, json), NULL, "print JSON" },
	{ 0 },
};

static void probe_init(void *v)
{
	struct probe_cfg *c = v;

	c->timeout = 3;
	c->parallel = 16;
	c->deadline = 120;
}

struct collect_names {
	struct run *r;
	const struct hosts *h;
	int rule;
	const struct ta_rule *ru;
	const int *udp;
	int nudp;
};

static void add_target(struct run *r, const struct ta_rule *ru, int rule, const char *name, const char *addr,
		       const int *udp, int nudp)
{
	if (ru->pclass == TA_PC_TCP) {
		for (size_t i = 0; i < ru->nranges; i++) {
			unsigned lo = ru->ranges[i].lo, hi = ru->ranges[i].hi;
			/* a wide TCP range is sampled at its ends */
			for (unsigned p = lo; p <= hi; p = (hi - lo > 16 && p == lo) ? hi : p + 1) {
				add_check(r, rule, name, addr, 6, (int)p, PR_NOTRUN);
				if (p == 65535)
					break;
			}
		}
	} else if (ru->pclass == TA_PC_UDP) {
		for (int j = 0; j < nudp; j++)
			for (size_t i = 0; i < ru->nranges; i++)
				if (udp[j] >= ru->ranges[i].lo && udp[j] <= ru->ranges[i].hi) {
					add_check(r, rule, name, addr, 17, udp[j], PR_NOTRUN);
					break;
				}
	}
}

static void on_name(const char *name, void *arg)
{
	struct collect_names *cn = arg;
	char addrs[16][64];
	int n = resolve(name, cn->h, addrs, 16);

	if (!n) {
		add_check(cn->r, cn->rule, name, "", cn->ru->pclass == TA_PC_UDP ? 17 : 6, 0, PR_DNS);
		return;
	}
	for (int i = 0; i < n; i++)
		add_target(cn->r, cn->ru, cn->rule, name, addrs[i], cn->udp, cn->nudp);
}

static int do_probe(void *vcfg)
{
	struct probe_cfg *cfg = vcfg;
	struct ta_policy pol = { 0 };
	struct hosts hosts, *hp = NULL;
	struct run r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	int udp[32] = { 1025, 50000, 65535 }, nudp = 3, rc = TA_EXIT_OK;
	struct timespec rt;

	if (cfg->load) {
		json_object *root = json_object_from_file(cfg->load);
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
		json_object_put(root);
		return TA_EXIT_OK;
	}
	if (cfg->udp_ports) {
		char *d = strdup(cfg->udp_ports), *save = NULL, *t;
		nudp = 0;
		for (t = strtok_r(d, ",", &save); t && nudp < 32; t = strtok_r(NULL, ",", &save)) {
			char *e;
			long v = strtol(t, &e, 10);
			if (*e || v < 1 || v > 65535) {
				ta_err("probe: --udp-ports: '%s' is not a port", t);
				free(d);
				return TA_EXIT_USAGE;
			}
			udp[nudp++] = (int)v;
		}
		free(d);
	}
	if (ta_load_policy_or_builtin(cfg->policy, &pol))
		return TA_EXIT_FAIL;
	if (cfg->hosts) {
		if (load_hosts(cfg->hosts, &hosts)) {
			ta_policy_free(&pol);
			return TA_EXIT_FAIL;
		}
		hp = &hosts;
	}
	int found_rule = !cfg->rule;
	for (size_t i = 0; i < pol.nrules; i++) {
		const struct ta_rule *ru = &pol.rules[i];
		struct collect_names cn = { &r, hp, (int)i, ru, udp, nudp };

		if (cfg->rule && strcmp(cfg->rule, ru->label))
			continue;
		found_rule = 1;
		for (size_t j = 0; j < ru->nnames; j++)
			expand(ru->names[j], on_name, &cn);
		/* explicit host addresses of the rule */
		for (size_t j = 0; j < ru->nprefixes; j++)
			if (ru->prefixes[j].len == 128) {
				char a[64];
				ta_addr_str(ru->prefixes[j].addr, a, sizeof(a));
				add_target(&r, ru, (int)i, a, a, udp, nudp);
			}
	}
	if (!found_rule) {
		ta_err("probe: the policy has no rule '%s'", cfg->rule);
		rc = TA_EXIT_USAGE;
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &rt);
	double started = rt.tv_sec + rt.tv_nsec / 1e9;
	r.timeout = cfg->timeout;
	r.deadline_ns = ta_now_ns() + (uint64_t)(cfg->deadline * 1e9);
	struct sigaction sa = { .sa_handler = on_int };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	unsigned nt = cfg->parallel < r.n ? cfg->parallel : (unsigned)r.n;
	pthread_t *th = calloc(nt ? nt : 1, sizeof(*th));
	for (unsigned i = 0; i < nt; i++)
		pthread_create(&th[i], NULL, worker, &r);
	for (unsigned i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	free(th);
	/* failed checks: what the auditor attached on this host saw of them */
	ta_pinned_walk(explain_iface, &r);

	json_object *root = run_json(&r, &pol, cfg->policy ? cfg->policy : "built-in", started);
	if (cfg->save && ta_jsave(cfg->save, root)) {
		ta_err("probe: --save %s: %s", cfg->save, json_util_get_last_err());
		rc = TA_EXIT_FAIL;
	}
	if (cfg->json)
		puts(ta_jtext(root));
	else
		print_text(root);
	json_object_put(root);
	if (probe_stop)
		ta_info("probe: interrupted; checks not run are marked not-run");
out:
	free(r.c);
	if (hp)
		free_hosts(hp);
	ta_policy_free(&pol);
	return rc;
}

const struct ta_cmd ta_cmd_probe = {
	.name = "probe",
	.summary = "Try every server of the policy on its ports and say why a check failed.\n"
		   "THIS CONTACTS THE REAL SERVERS (unless --hosts points elsewhere).",
	.details = "Names are expanded (mantis40[1-8]-oak.tokbox.com: eight names) and resolved,\n"
		   "or looked up in --hosts; a rule's single addresses are probed too. TCP:\n"
		   "connect, with latency. UDP: the sampled ports get a datagram; a reply is ok,\n"
		   "an ICMP port-unreachable refused, other ICMP errors unreachable, and silence\n"
		   "open|filtered. Results: ok, refused, timeout, unreachable (ICMP type/code\n"
		   "from ADDR), dns-failed, open|filtered, not-run. When tokaudit is attached\n"
		   "on this host (pinned mode), a failed check also says what the auditor saw.\n"
		   "Exit 0 when the run completed, whatever the checks found.",
	.opts = probe_opts,
	.cfg_size = sizeof(struct probe_cfg),
	.init = probe_init,
	.run = do_probe,
};

/* ---- policy verify ---- */

struct verify_cfg {
	const char *hosts;
	bool json;
	bool strict;
	const char *pos[1];
};

static const struct ta_opt verify_opts[] = {
	{ "hosts", 0, TA_OPT_STR, offsetof(struct verify_cfg, hosts), "FILE", "name -> address pairs instead of DNS" },
	{ "strict", 0, TA_OPT_FLAG, offsetof(struct verify_cfg, strict), NULL,
	  "also fail on names that do not resolve and blocks no name resolves into" },
	{ "json", 'j', TA_OPT_FLAG, offsetof(struct verify_cfg, json), NULL, "print JSON" },
	{ 0 },
};

struct verify_ctx {
	const struct ta_rule *ru;
	const struct hosts *h;
	int drift, unresolved;
	bool *block_hit;
	json_object *arr;
	bool json;
};

static int prefix_has(const struct ta_prefix *p, const uint8_t a[16])
{
	for (int bit = 0; bit < p->len; bit++)
		if ((p->addr[bit / 8] ^ a[bit / 8]) & (0x80 >> (bit % 8)))
			return 0;
	return 1;
}

static void verify_note(struct verify_ctx *v, const char *kind, const char *name, const char *addr, const char *msg)
{
	if (v->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "rule", ta_jstr(v->ru->label));
		json_object_object_add(o, "kind", ta_jstr(kind));
		json_object_object_add(o, "name", name ? ta_jstr(name) : NULL);
		json_object_object_add(o, "addr", addr ? ta_jstr(addr) : NULL);
		json_object_object_add(o, "message", ta_jstr(msg));
		json_object_array_add(v->arr, o);
	} else {
		printf("%s: %s\n", kind, msg);
	}
}

static void verify_name(const char *name, void *arg)
{
	struct verify_ctx *v = arg;
	char addrs[16][64], msg[512];
	int n = resolve(name, v->h, addrs, 16);

	if (!n) {
		v->unresolved++;
		snprintf(msg, sizeof(msg), "rule %s: %s does not resolve", v->ru->label, name);
		verify_note(v, "unresolved", name, NULL, msg);
		return;
	}
	for (int i = 0; i < n; i++) {
		struct ta_prefix a;
		char err[128];
		int in = 0;
		if (ta_prefix_parse(addrs[i], &a, err, sizeof(err)))
			continue;
		for (size_t j = 0; j < v->ru->nprefixes; j++)
			if (prefix_has(&v->ru->prefixes[j], a.addr)) {
				in = 1;
				v->block_hit[j] = true;
			}
		if (!in) {
			v->drift++;
			snprintf(msg, sizeof(msg), "rule %s: %s resolves to %s, outside the rule's addresses", v->ru->label,
				 name, addrs[i]);
			verify_note(v, "drift", name, addrs[i], msg);
		}
	}
}

static int do_verify(void *vcfg)
{
	struct verify_cfg *cfg = vcfg;
	struct ta_policy pol;
	struct hosts hosts, *hp = NULL;
	int drift = 0, unresolved = 0, empty = 0;
	json_object *arr = json_object_new_array();

	if (ta_load_policy_or_builtin(cfg->pos[0], &pol)) {
		json_object_put(arr);
		return TA_EXIT_FAIL;
	}
	if (cfg->hosts) {
		if (load_hosts(cfg->hosts, &hosts)) {
			ta_policy_free(&pol);
			json_object_put(arr);
			return TA_EXIT_FAIL;
		}
		hp = &hosts;
	}
	for (size_t i = 0; i < pol.nrules; i++) {
		const struct ta_rule *ru = &pol.rules[i];
		bool *hit = calloc(ru->nprefixes + 1, sizeof(bool));
		struct verify_ctx v = { ru, hp, 0, 0, hit, arr, cfg->json };
		char msg[512], pb[64];

		for (size_t j = 0; j < ru->nnames; j++)
			expand(ru->names[j], verify_name, &v);
		if (ru->nnames)
			for (size_t j = 0; j < ru->nprefixes; j++)
				if (!hit[j]) {
					empty++;
					ta_prefix_str(&ru->prefixes[j], pb, sizeof(pb));
					snprintf(msg, sizeof(msg), "rule %s: no server name resolves into %s", ru->label, pb);
					verify_note(&v, "unused-block", NULL, pb, msg);
				}
		drift += v.drift;
		unresolved += v.unresolved;
		free(hit);
	}
	if (cfg->json) {
		json_object *root = json_object_new_object();
		json_object_object_add(root, "findings", arr);
		json_object_object_add(root, "drift", json_object_new_int(drift));
		json_object_object_add(root, "unresolved", json_object_new_int(unresolved));
		json_object_object_add(root, "unused_blocks", json_object_new_int(empty));
		puts(ta_jtext(root));
		json_object_put(root);
	} else {
		json_object_put(arr);
		printf("%d name%s outside their rule's addresses (drift), %d not resolving, %d block%s no name resolves into\n",
		       drift, drift == 1 ? "" : "s", unresolved, empty, empty == 1 ? "" : "s");
	}
	if (hp)
		free_hosts(hp);
	ta_policy_free(&pol);
	return drift || (cfg->strict && (unresolved || empty)) ? TA_EXIT_FAIL : TA_EXIT_OK;
}

const struct ta_cmd ta_cmd_policy_verify = {
	.name = "policy verify",
	.args = "[FILE]",
	.summary = "Resolve the policy's server names and report drift: names whose addresses\n"
		   "fall outside their rule's blocks (exit 1), names that do not resolve, and\n"
		   "blocks no name resolves into.",
	.details = "Uses DNS, or --hosts. Meant for cron: exit 1 on drift (with --strict, also\n"
		   "on names that do not resolve and blocks no name resolves into).",
	.opts = verify_opts,
	.cfg_size = sizeof(struct verify_cfg),
	.min_pos = 0,
	.max_pos = 1,
	.pos_offset = offsetof(struct verify_cfg, pos),
	.run = do_verify,
};
