/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The metrics endpoint: libmicrohttpd, driven from the caller's event loop
 * (no thread of its own, so the pages are rendered from the same state the
 * loop updates, without locks).  GET /metrics answers with what the page
 * callback renders; GET / with a pointer to it; anything else 404/405.
 */
#ifndef TA_HTTPD_H
#define TA_HTTPD_H

#include <stddef.h>
#include <sys/socket.h>

struct ta_httpd;

/* The page: a malloc'ed body of *len bytes (freed by the server), or NULL
 * for a 500 answer. */
typedef char *(*ta_httpd_page)(void *arg, size_t *len);

/* "[ADDR:]PORT", "[v6addr]:PORT": without an address, 127.0.0.1.  0 or -1
 * with the problem said in one line. */
int ta_listen_parse(const char *spec, struct sockaddr_storage *sa, socklen_t *len);
/* Listen on sa and serve.  NULL after one line (address in use, no such
 * address, ...). */
struct ta_httpd *ta_httpd_start(const struct sockaddr_storage *sa, socklen_t len, ta_httpd_page page, void *arg);
/* The fd to wait on (readable: call ta_httpd_run) and how long the server
 * wants at most between runs (ms, -1: no limit). */
int ta_httpd_fd(const struct ta_httpd *h);
int ta_httpd_timeout_ms(const struct ta_httpd *h);
void ta_httpd_run(struct ta_httpd *h);
void ta_httpd_stop(struct ta_httpd *h);
/* ADDR:PORT it listens on */
const char *ta_httpd_where(const struct ta_httpd *h);

#endif
