// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probing (tokaudit probe): the requirement document's nc script and
 * diagnostic tool, done properly.  Every server name of the policy's rules is expanded
 * (mantis40[1-8]-oak.tokbox.com -> eight names) and resolved (or looked up
 * in --hosts), and each address is tried on its rule's ports: TCP connect
 * with latency; UDP a datagram, waiting for a reply or an ICMP error.  A
 * failure says why: refused, timeout, unreachable (ICMP type/code from
 * ADDR), dns-failed, or for UDP honestly open|filtered.
 *
 * The engine: plan the checks, run them (retrying what an ICMP rate limit
 * may explain), correlate failures with the attached auditor, give the
 * results as JSON; the commands print.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "json.h"
#include "log.h"
#include "pinstore.h"
#include "probe.h"
#include "util.h"
#include "why.h"

/* ---- names ---- */

int ta_hosts_load(const char *path, struct ta_hosts *h)
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

void ta_hosts_free(struct ta_hosts *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->names[i]);
		free(h->addrs[i]);
	}
	free(h->names);
	free(h->addrs);
}

/* Addresses of a name: from --hosts when given, else the resolver. */
int ta_resolve(const char *name, const struct ta_hosts *h, char addrs[][64], int max)
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

const char *const ta_probe_result_names[] = { "not-run", "ok", "refused", "timeout", "unreachable",
					      "dns-failed", "open|filtered", "error", "not-in-hosts", NULL };

static void add_check(struct ta_probe *r, int rule, const char *name, const char *addr, int proto, int port, int result)
{
	if (ta_grow(&r->c, &r->cap, r->n, sizeof(*r->c), 64)) {
		r->oom = true; /* said once, by ta_probe_plan */
		return;
	}
	struct ta_check *c = &r->c[r->n++];
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
static int read_errqueue(int fd, struct ta_check *c)
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
				inet_ntop(AF_INET, &((struct sockaddr_in *)off)->sin_addr, c->icmp_from,
					  sizeof(c->icmp_from));
			else if (off->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)off)->sin6_addr, c->icmp_from,
					  sizeof(c->icmp_from));
			return 1;
		}
	}
	return 0;
}

static void do_check(struct ta_check *c, double timeout)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam = sockaddr_of(c->addr, c->port, &ss, &sl), one = 1;
	int fd = socket(fam == AF_INET6 ? AF_INET6 : AF_INET,
			(c->proto == TA_IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
	uint64_t t0 = ta_now_ns();
	int tmo = (int)(timeout * 1000);

	if (fam < 0 || fd < 0) {
		c->result = TA_PR_ERROR;
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
		c->result = TA_PR_UNREACH;
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
	if (c->proto == TA_IPPROTO_UDP) {
		static const char payload[] = "tokaudit probe\n";
		if (send(fd, payload, sizeof(payload) - 1, 0) < 0 && errno != EAGAIN) {
			c->result = TA_PR_UNREACH;
			snprintf(c->detail, sizeof(c->detail), "%s", strerror(errno));
			read_errqueue(fd, c);
			close(fd);
			return;
		}
	}
	struct pollfd pf = { fd, c->proto == TA_IPPROTO_TCP ? POLLOUT : POLLIN, 0 };
	int pr = poll(&pf, 1, tmo);
	c->ms = (double)(ta_now_ns() - t0) / 1e6;
	if (pr == 0) {
		/* an ICMP error may have been soft: look before calling it a timeout */
		if (read_errqueue(fd, c))
			c->result = TA_PR_UNREACH;
		else
			c->result = c->proto == TA_IPPROTO_TCP ? TA_PR_TIMEOUT : TA_PR_OPENFILT;
		close(fd);
		return;
	}
	int err = 0;
	socklen_t el = sizeof(err);
	if (c->proto == TA_IPPROTO_TCP) {
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	} else {
		char buf[512];
		if (recv(fd, buf, sizeof(buf), 0) < 0)
			err = errno;
	}
	if (!err) {
		c->result = TA_PR_OK;
	} else if (err == ECONNREFUSED) {
		c->result = TA_PR_REFUSED;
		read_errqueue(fd, c);
		if (c->proto == TA_IPPROTO_TCP)
			c->icmp_type = c->icmp_code = 0, c->icmp_from[0] = 0; /* a TCP reset, not ICMP */
	} else {
		c->result = TA_PR_UNREACH;
		snprintf(c->detail, sizeof(c->detail), "%s", strerror(err));
		read_errqueue(fd, c);
	}
	close(fd);
}

static void *worker(void *arg)
{
	struct ta_probe *r = arg;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		size_t i = r->next;
		while (i < r->n && r->c[i].result != TA_PR_NOTRUN)
			i++;
		r->next = i + 1;
		pthread_mutex_unlock(&r->lock);
		if (i >= r->n || (r->stop && *r->stop) || ta_now_ns() > r->deadline_ns)
			return NULL;
		do_check(&r->c[i], r->timeout);
	}
}

/* ---- what the attached auditor saw of a failed check ---- */

struct explain_ctx {
	struct ta_probe *r;
	struct ta_flow_ctx c;
};

static int explain_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	struct explain_ctx *x = arg;
	char rem[64];

	ta_addr_str(k->remote, rem, sizeof(rem));
	for (size_t i = 0; i < x->r->n; i++) {
		struct ta_check *c = &x->r->c[i];
		if (c->result == TA_PR_OK || c->result == TA_PR_NOTRUN || c->auditor[0])
			continue;
		if (k->proto != c->proto || k->rport != c->port || k->lport != c->lport || strcmp(rem, c->addr))
			continue;
		if (!ta_flow_diagnosis(&x->c, NULL, k, v, false, c->auditor, sizeof(c->auditor)))
			c->auditor[0] = 0;
	}
	return 0;
}

static int explain_iface(struct ta_attached *a, void *arg)
{
	struct ta_meta_view mv;
	struct explain_ctx x = { .r = arg };

	ta_meta_view(&a->meta, &a->dp, &mv);
	x.c = mv.ctx;
	ta_dp_flows(&a->dp, explain_flow, &x);
	return 0;
}

void ta_probe_explain(struct ta_probe *r)
{
	ta_pins_walk(NULL, true, explain_iface, r);
}

struct collect_names {
	struct ta_probe *r;
	const struct ta_hosts *h;
	int rule;
	const struct ta_rule *ru;
	const int *udp;
	int nudp;
};

static void add_target(struct ta_probe *r, const struct ta_rule *ru, int rule, const char *name, const char *addr,
		       const int *udp, int nudp)
{
	if (ru->pclass == TA_PC_TCP) {
		for (size_t i = 0; i < ru->nranges; i++) {
			unsigned lo = ru->ranges[i].lo, hi = ru->ranges[i].hi;
			/* a wide TCP range is sampled at its ends */
			for (unsigned p = lo; p <= hi; p = (hi - lo > 16 && p == lo) ? hi : p + 1) {
				add_check(r, rule, name, addr, TA_IPPROTO_TCP, (int)p, TA_PR_NOTRUN);
				if (p == 65535)
					break;
			}
		}
	} else if (ru->pclass == TA_PC_UDP) {
		for (int j = 0; j < nudp; j++)
			for (size_t i = 0; i < ru->nranges; i++)
				if (udp[j] >= ru->ranges[i].lo && udp[j] <= ru->ranges[i].hi) {
					add_check(r, rule, name, addr, TA_IPPROTO_UDP, udp[j], TA_PR_NOTRUN);
					break;
				}
	}
}

static void on_name(const char *name, void *arg)
{
	struct collect_names *cn = arg;
	char addrs[16][64];
	int n = ta_resolve(name, cn->h, addrs, 16);

	if (!n) {
		/* with --hosts, a name it lacks is the file's gap, not a DNS failure */
		add_check(cn->r, cn->rule, name, "", cn->ru->pclass == TA_PC_UDP ? TA_IPPROTO_UDP : TA_IPPROTO_TCP, 0,
			  cn->h ? TA_PR_NOHOST : TA_PR_DNS);
		return;
	}
	for (int i = 0; i < n; i++)
		add_target(cn->r, cn->ru, cn->rule, name, addrs[i], cn->udp, cn->nudp);
}

int ta_probe_plan(struct ta_probe *r, const struct ta_policy *pol, const char *rule, const struct ta_hosts *hosts,
		  const int *udp, int nudp)
{
	int found = !rule;

	for (size_t i = 0; i < pol->nrules; i++) {
		const struct ta_rule *ru = &pol->rules[i];
		struct collect_names cn = { r, hosts, (int)i, ru, udp, nudp };

		if (rule && strcmp(rule, ru->label))
			continue;
		found = 1;
		for (size_t j = 0; j < ru->nnames; j++) /* a "*." pattern names no server to try */
			if (!ta_name_is_wildcard(ru->names[j]))
				ta_names_expand(ru->names[j], on_name, &cn);
		/* explicit host addresses of the rule */
		for (size_t j = 0; j < ru->nprefixes; j++)
			if (ru->prefixes[j].len == 128) {
				char a[64];
				ta_addr_str(ru->prefixes[j].addr, a, sizeof(a));
				add_target(r, ru, (int)i, a, a, udp, nudp);
			}
	}
	if (!found)
		return -ENOENT;
	if (r->oom) {
		ta_err("probe: out of memory for the list of checks");
		return -ENOMEM;
	}
	return 0;
}

/* Did another check to this address get an ICMP error from it? */
static bool icmp_answers(const struct ta_probe *r, const struct ta_check *c)
{
	for (size_t j = 0; j < r->n; j++) {
		const struct ta_check *o = &r->c[j];
		if (o != c && o->icmp_from[0] && !strcmp(o->addr, c->addr) &&
		    (o->result == TA_PR_UNREACH || (o->result == TA_PR_REFUSED && o->proto == TA_IPPROTO_UDP)))
			return true;
	}
	return false;
}

/*
 * Hosts rate-limit their ICMP errors per destination (Linux: a burst of 6,
 * then one a second), so of many checks to one address some meet silence
 * where the others got an error, at random.  A check that met silence
 * (timeout, open|filtered) at an address that answered another check with
 * an ICMP error is tried again, alone, a second after the previous retry,
 * and marked as retried: its result is the one it gets then.
 */
static void retry_rate_limited(struct ta_probe *r)
{
	uint64_t last = 0;

	for (size_t i = 0; i < r->n; i++) {
		struct ta_check *c = &r->c[i];

		if ((c->result != TA_PR_TIMEOUT && c->result != TA_PR_OPENFILT) || !icmp_answers(r, c))
			continue;
		if ((r->stop && *r->stop) || ta_now_ns() > r->deadline_ns)
			return;
		while (last && ta_now_ns() - last < 1050000000ull) {
			struct timespec ts = { 0, 50000000 };
			nanosleep(&ts, NULL);
		}
		c->icmp_type = c->icmp_code = 0;
		c->icmp_from[0] = c->detail[0] = 0;
		do_check(c, r->timeout);
		c->retried = true;
		last = ta_now_ns();
	}
}

void ta_probe_execute(struct ta_probe *r, unsigned parallel)
{
	unsigned nt = parallel < r->n ? parallel : (unsigned)r->n;
	pthread_t *th = calloc(nt ? nt : 1, sizeof(*th));

	if (!th)
		nt = 0;
	for (unsigned i = 0; i < nt; i++)
		if (pthread_create(&th[i], NULL, worker, r)) {
			nt = i;
			break;
		}
	if (!nt && r->n) /* no thread at all: run them here */
		worker(r);
	for (unsigned i = 0; i < nt; i++)
		pthread_join(th[i], NULL);
	free(th);
	retry_rate_limited(r);
}

void ta_probe_free(struct ta_probe *r)
{
	free(r->c);
	r->c = NULL;
	r->n = r->cap = 0;
}

/* ---- output ---- */

json_object *ta_probe_json(const struct ta_probe *r, const struct ta_policy *pol, const char *policy_name,
			     double started)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array(), *sum = json_object_new_object();

	json_object_object_add(root, "tool", ta_jstr("tokaudit probe " TA_VERSION));
	json_object_object_add(root, "started", ta_jnum(started, 6));
	json_object_object_add(root, "policy", ta_jstr(policy_name));
	char *pj = ta_policy_json(pol);
	json_object *pobj = pj ? json_tokener_parse(pj) : NULL;
	free(pj);
	json_object_object_add(root, "policy_rules",
			       pobj ? json_object_get(json_object_object_get(pobj, "rules")) : NULL);
	json_object_put(pobj);
	for (size_t i = 0; i < r->n; i++) {
		const struct ta_check *c = &r->c[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "rule", ta_jstr(pol->rules[c->rule].label));
		json_object_object_add(o, "name", ta_jstr(c->name));
		json_object_object_add(o, "addr", c->addr[0] ? ta_jstr(c->addr) : NULL);
		json_object_object_add(o, "proto", ta_jstr(c->proto == TA_IPPROTO_TCP ? "tcp" : "udp"));
		json_object_object_add(o, "port", json_object_new_int(c->port));
		json_object_object_add(o, "result", ta_jstr(ta_probe_result_names[c->result]));
		json_object_object_add(o, "retried", json_object_new_boolean(c->retried));
		json_object_object_add(o, "ms",
				       c->result == TA_PR_NOTRUN || c->result == TA_PR_DNS || c->result == TA_PR_NOHOST
					       ? NULL
					       : ta_jnum(c->ms, 3));
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
		int ok = 0, total = 0, by[TA_PR_MAX] = { 0 };
		for (size_t i = 0; i < r->n; i++)
			if (r->c[i].rule == (int)ri) {
				total++;
				ok += r->c[i].result == TA_PR_OK;
				by[r->c[i].result]++;
			}
		if (!total)
			continue;
		json_object *s = json_object_new_object(), *bo = json_object_new_object();
		json_object_object_add(s, "checks", json_object_new_int(total));
		json_object_object_add(s, "ok", json_object_new_int(ok));
		json_object_object_add(s, "failed", json_object_new_int(total - ok));
		for (int k = 0; k < TA_PR_MAX; k++)
			if (by[k])
				json_object_object_add(bo, ta_probe_result_names[k], json_object_new_int(by[k]));
		json_object_object_add(s, "results", bo);
		json_object_object_add(sum, pol->rules[ri].label, s);
	}
	json_object_object_add(root, "summary", sum);
	return root;
}

