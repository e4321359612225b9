// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The metrics endpoint over libmicrohttpd: see httpd.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "httpd.h"
#include "log.h"

struct ta_httpd {
	struct MHD_Daemon *d;
	int listen_fd;
	ta_httpd_page page;
	void *arg;
	char where[80];
};

int ta_listen_parse(const char *spec, struct sockaddr_storage *sa, socklen_t *len)
{
	char host[128] = "127.0.0.1";
	const char *port = spec, *colon;
	char *end;
	unsigned long p;

	memset(sa, 0, sizeof(*sa));
	if (spec[0] == '[') { /* [v6]:port */
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - spec - 1) >= sizeof(host)) {
			ta_err("--metrics %s: want [IPV6]:PORT", spec);
			return -1;
		}
		memcpy(host, spec + 1, (size_t)(rb - spec - 1));
		host[rb - spec - 1] = 0;
		port = rb + 2;
	} else if ((colon = strrchr(spec, ':'))) {
		if ((size_t)(colon - spec) >= sizeof(host) || colon == spec) {
			ta_err("--metrics %s: want [ADDR:]PORT", spec);
			return -1;
		}
		memcpy(host, spec, (size_t)(colon - spec));
		host[colon - spec] = 0;
		port = colon + 1;
	}
	errno = 0;
	p = strtoul(port, &end, 10);
	if (!*port || *end || errno || p == 0 || p > 65535) {
		ta_err("--metrics %s: the port must be 1 to 65535", spec);
		return -1;
	}
	if (strchr(host, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			goto bad;
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			goto bad;
		*len = sizeof(*s4);
	}
	return 0;
bad:
	ta_err("--metrics %s: '%s' is not an IP address (give the address to listen on, e.g. 127.0.0.1:9464)",
	       spec, host);
	return -1;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body,
			     size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_len, void **state)
{
	static char index_page[] = "tokaudit: metrics at /metrics\n";
	static char not_found[] = "not found: tokaudit serves /metrics\n";
	static char not_allowed[] = "only GET and HEAD\n";
	static char failed[] = "tokaudit could not read its counters (see its log)\n";
	struct ta_httpd *h = cls;
	const char *text = "text/plain; charset=utf-8";
	size_t len;
	char *body;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, not_allowed, strlen(not_allowed),
			     MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, text, index_page, strlen(index_page), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, text, not_found, strlen(not_found), MHD_RESPMEM_PERSISTENT);
	body = h->page(h->arg, &len);
	if (!body)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, failed, strlen(failed), MHD_RESPMEM_PERSISTENT);
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len, MHD_RESPMEM_MUST_FREE);
}

static void addr_str(const struct sockaddr_storage *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
	}
}

struct ta_httpd *ta_httpd_start(const struct sockaddr_storage *sa, socklen_t len, ta_httpd_page page, void *arg)
{
	struct ta_httpd *h = calloc(1, sizeof(*h));
	int one = 1;

	if (!h)
		return NULL;
	addr_str(sa, h->where, sizeof(h->where));
	h->page = page;
	h->arg = arg;
	/* our own socket: a busy port or a foreign address is said plainly */
	h->listen_fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (h->listen_fd < 0 || setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(h->listen_fd, (const struct sockaddr *)sa, len) || listen(h->listen_fd, 64)) {
		ta_err("metrics: cannot listen on %s: %s", h->where, strerror(errno));
		goto fail;
	}
	h->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
				MHD_OPTION_LISTEN_SOCKET, h->listen_fd, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)10, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64, MHD_OPTION_END);
	if (!h->d) {
		ta_err("metrics: the HTTP server (libmicrohttpd) did not start on %s", h->where);
		goto fail;
	}
	return h;
fail:
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h);
	return NULL;
}

int ta_httpd_fd(const struct ta_httpd *h)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);

	return i ? i->epoll_fd : -1;
}

int ta_httpd_timeout_ms(const struct ta_httpd *h)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (MHD_get_timeout(h->d, &t) != MHD_YES)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}

void ta_httpd_run(struct ta_httpd *h)
{
	MHD_run(h->d);
}

void ta_httpd_stop(struct ta_httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* closes the listen socket too */
	free(h);
}

const char *ta_httpd_where(const struct ta_httpd *h)
{
	return h->where;
}

