// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * IPFIX export with libfixbuf (see ipfix.h): records to
 * messages on the wire.  The element table (model, templates and the
 * printed lists come from it), the collector's address, and per collector
 * a queue and a thread that connects, appends, emits, re-sends templates
 * and counts what it could not send.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fixbuf/public.h>
#include "tokaudit.h"
#include "ipfix.h"
#include "log.h"
#include "util.h"

/* ---- the elements: one table for the model, the templates and the docs ---- */

/* Which templates an element goes in (fbInfoElementSpec_t flags): 0 every
 * one; V4, V6 the external template of that family; INT the internal one */
#define V4 1u
#define V6 2u
#define INT 4u

struct elem {
	const char *name;
	uint16_t len;       /* in the record; FB_IE_VARLEN: a string */
	uint32_t flags;
	uint16_t ent_id;    /* tokaudit's element number, 0: IANA's */
	uint8_t type;       /* enterprise elements: FB_* data type */
	const char *what;
};

/* The order of struct fbrec, which the internal template describes */
static const struct elem elems[] = {
	{ "flowStartMilliseconds", 8, 0, 0, 0, "the flow's first packet (either direction)" },
	{ "flowEndMilliseconds", 8, 0, 0, 0, "the flow's last packet up to this record" },
	{ "octetDeltaCount", 8, 0, 0, 0, "bytes (wire length) of this direction since its last record" },
	{ "packetDeltaCount", 8, 0, 0, 0, "packets of this direction since its last record" },
	{ "taPolicyDrops", 8, 0, 8, FB_UINT_64, "packets of the flow enforce mode dropped (total)" },
	{ "taKernelDrops", 8, 0, 9, FB_UINT_64, "packets of the flow this host's path dropped: blocks (total)" },
	{ "taVerdict", FB_IE_VARLEN, 0, 1, FB_STRING,
	  "allowed or unexpected (a flow some packet of which was unexpected)" },
	{ "taRule", FB_IE_VARLEN, 0, 2, FB_STRING, "label of the rule that allowed it, empty when none" },
	{ "taOpener", FB_IE_VARLEN, 0, 3, FB_STRING, "in or out: the side that sent the first packet" },
	{ "taFlowState", FB_IE_VARLEN, 0, 4, FB_STRING, "two-way, one-way-out, established, refused, ..." },
	{ "taLastDropReason", FB_IE_VARLEN, 0, 10, FB_STRING,
	  "the kernel's reason for the last block, empty when none" },
	{ "taServerName", FB_IE_VARLEN, 0, 11, FB_STRING,
	  "the server name the remote address was learned by from DNS, empty when none" },
	{ "taCarries", FB_IE_VARLEN, 0, 12, FB_STRING,
	  "what the flow's payloads are: stun(methods) dtls rtp rtcp turn-channel(relayed) quic tls unknown" },
	{ "sourceIPv6Address", 16, V6, 0, 0, "who sent this direction's packets (local for out, remote for in)" },
	{ "destinationIPv6Address", 16, V6, 0, 0, "who received them" },
	{ "taIcmpErrorSenderIPv6", 16, V6, 7, FB_IP6_ADDR, "sender of the last ICMPv6 error quoting the flow" },
	{ "sourceIPv4Address", 4, V4, 0, 0, "who sent this direction's packets (local for out, remote for in)" },
	{ "destinationIPv4Address", 4, V4, 0, 0, "who received them" },
	{ "taIcmpErrorSenderIPv4", 4, V4, 6, FB_IP4_ADDR, "sender of the last ICMP error quoting the flow" },
	{ "ingressInterface", 4, 0, 0, 0, "ifindex of the audited interface (records of inbound packets)" },
	{ "egressInterface", 4, 0, 0, 0, "ifindex of the audited interface (records of outbound packets)" },
	{ "taIcmpErrorCount", 4, 0, 5, FB_UINT_32, "ICMP errors that quoted the flow (total)" },
	{ "sourceTransportPort", 2, 0, 0, 0, "TCP/UDP port; ICMP echo identifier" },
	{ "destinationTransportPort", 2, 0, 0, 0, "TCP/UDP port" },
	{ "icmpTypeCodeIPv4", 2, V4, 0, 0, "type * 256 + code of the last ICMP error that quoted the flow" },
	{ "icmpTypeCodeIPv6", 2, V6, 0, 0, "the same for ICMPv6" },
	{ "protocolIdentifier", 1, 0, 0, 0, "6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6" },
	{ "tcpControlBits", 1, 0, 0, 0, "TCP flags seen in this direction (reduced to one octet)" },
	{ "flowDirection", 1, 0, 0, 0, "0 ingress (in), 1 egress (out)" },
	{ "flowEndReason", 1, 0, 0, 0, "1 idle, 2 active timeout, 3 FIN/RST, 4 serve stopped, 5 evicted" },
	{ "paddingOctets", 4, INT, 0, 0, "" },
};
#define NELEMS (sizeof(elems) / sizeof(elems[0]))

struct fbrec {
	uint64_t start_ms, end_ms, octets, packets, policy_drops, kernel_drops;
	fbVarfield_t verdict, rule, opener, state, drop_reason, server_name, carries;
	uint8_t src6[16], dst6[16], icmp_from6[16];
	uint32_t src4, dst4, icmp_from4, ingress, egress, icmp_errors;
	uint16_t sport, dport, icmp4, icmp6;
	uint8_t proto, tcp_flags, direction, end_reason;
	uint8_t pad[4];
};
_Static_assert(sizeof(struct fbrec) == 6 * 8 + 7 * sizeof(fbVarfield_t) + 48 + 24 + 8 + 4 + 4,
	       "struct fbrec has padding the template does not describe");

static const char *type_name(const struct elem *e, const fbInfoElement_t *ie)
{
	static const char *const n[] = { [FB_OCTET_ARRAY] = "octetArray", [FB_UINT_8] = "unsigned8",
		[FB_UINT_16] = "unsigned16", [FB_UINT_32] = "unsigned32", [FB_UINT_64] = "unsigned64",
		[FB_STRING] = "string", [FB_IP4_ADDR] = "ipv4Address", [FB_IP6_ADDR] = "ipv6Address",
		[FB_DT_MILSEC] = "dateTimeMilliseconds" };
	unsigned t = e->ent_id ? e->type : ie ? ie->type : FB_OCTET_ARRAY;

	return t < sizeof(n) / sizeof(n[0]) && n[t] ? n[t] : "other";
}

/* A model: IANA's elements and tokaudit's, under pen */
static fbInfoModel_t *model_new(uint32_t pen)
{
	fbInfoModel_t *m = fbInfoModelAlloc();

	for (size_t i = 0; m && i < NELEMS; i++) {
		const struct elem *e = &elems[i];
		fbInfoElement_t ie = FB_IE_INIT_FULL(e->name, pen, e->ent_id, e->len,
						     e->type == FB_STRING ? 0 : FB_IE_F_ENDIAN, 0, 0, e->type,
						     (char *)e->what);
		if (e->ent_id)
			fbInfoModelAddElement(m, &ie);
	}
	return m;
}

int ta_ipfix_elements(FILE *f, const char *format, uint32_t pen)
{
	fbInfoModel_t *m = model_new(pen);
	int rc = 0;

	if (!strcmp(format, "text")) {
		fprintf(f, "%-26s %-12s %-20s %s\n", "ELEMENT", "ID", "TYPE", "WHAT");
		for (size_t i = 0; i < NELEMS; i++) {
			const struct elem *e = &elems[i];
			const fbInfoElement_t *ie = fbInfoModelGetElementByName(m, e->name);
			char id[24];

			if (e->flags == INT)
				continue;
			if (e->ent_id)
				snprintf(id, sizeof(id), "%u/%u", pen, e->ent_id);
			else
				snprintf(id, sizeof(id), "%u", ie ? ie->num : 0);
			fprintf(f, "%-26s %-12s %-20s %s\n", e->name, id, type_name(e, ie), e->what);
		}
	} else if (!strcmp(format, "pmacct")) {
		fprintf(f, "! tokaudit's IPFIX elements (enterprise %u), for nfacctd's aggregate_primitives\n", pen);
		for (size_t i = 0; i < NELEMS; i++) {
			const struct elem *e = &elems[i];
			if (!e->ent_id)
				continue;
			char lower[32];
			for (size_t j = 0; j < sizeof(lower); j++)
				if (!(lower[j] = (char)(e->name[j] >= 'A' && e->name[j] <= 'Z' ? e->name[j] + 32
											       : e->name[j])))
					break;
			fprintf(f, "name=%s field_type=%u:%u len=%s semantics=%s\n", lower, pen, e->ent_id,
				e->type == FB_STRING     ? "vlen"
				: e->type == FB_IP4_ADDR ? "4"
				: e->type == FB_IP6_ADDR ? "16"
				: e->type == FB_UINT_32  ? "4"
							 : "8",
				e->type == FB_STRING                               ? "str"
				: e->type == FB_IP4_ADDR || e->type == FB_IP6_ADDR ? "ip"
										   : "u_int");
		}
	} else if (!strcmp(format, "xml")) {
		fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			   "<registry xmlns=\"http://www.iana.org/assignments\" id=\"ipfix\">\n"
			   "  <title>tokaudit IPFIX information elements</title>\n"
			   "  <registry id=\"ipfix-information-elements\">\n");
		for (size_t i = 0; i < NELEMS; i++) {
			const struct elem *e = &elems[i];
			if (!e->ent_id)
				continue;
			fprintf(f, "    <record>\n      <name>%s</name>\n      <dataType>%s</dataType>\n"
				   "      <enterpriseId>%u</enterpriseId>\n      <elementId>%u</elementId>\n"
				   "      <description><paragraph>%s</paragraph></description>\n    </record>\n",
				e->name, type_name(e, NULL), pen, e->ent_id, e->what);
		}
		fprintf(f, "  </registry>\n</registry>\n");
	} else {
		rc = -1;
	}
	if (m)
		fbInfoModelFree(m);
	return rc;
}

/* ---- collectors ---- */

int ta_ipfix_parse_collector(const char *s, struct ta_ipfix_collector *c, char *err, size_t len)
{
	char buf[300];
	const char *host, *port;
	char *comma, *colon;
	long p;

	memset(c, 0, sizeof(*c));
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf)) {
		snprintf(err, len, "'%.40s...' is too long", s);
		return -1;
	}
	if ((comma = strchr(buf, ','))) {
		*comma++ = 0;
		if (!strcmp(comma, "tcp"))
			c->tcp = true;
		else if (strcmp(comma, "udp")) {
			snprintf(err, len, "'%s': the transport is tcp or udp, not '%s'", s, comma);
			return -1;
		}
	}
	if (buf[0] == '[') { /* [v6]:port */
		char *end = strchr(buf, ']');
		if (!end || end[1] != ':') {
			snprintf(err, len, "'%s': give [IPv6]:PORT", s);
			return -1;
		}
		*end = 0;
		host = buf + 1;
		port = end + 2;
	} else {
		if (!(colon = strrchr(buf, ':')) || strchr(buf, ':') != colon) {
			snprintf(err, len, "'%s': give HOST:PORT (IPv6: [ADDR]:PORT)", s);
			return -1;
		}
		*colon = 0;
		host = buf;
		port = colon + 1;
	}
	p = strtol(port, &comma, 10);
	if (!*host || !*port || *comma || p < 1 || p > 65535) {
		snprintf(err, len, "'%s': give HOST:PORT with a port from 1 to 65535", s);
		return -1;
	}
	snprintf(c->host, sizeof(c->host), "%s", host);
	snprintf(c->port, sizeof(c->port), "%ld", p);
	snprintf(c->name, sizeof(c->name), "%s%s%s:%ld/%s", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "", p, c->tcp ? "tcp" : "udp");
	return 0;
}

struct coll {
	struct ta_ipfix_collector c;
	uint32_t domain;
	pthread_t th;
	bool started;
	/* the queue: a ring, guarded by mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ta_ipfix_rec *q;
	size_t head, count;
	bool stop, flush;
	uint64_t stop_by_ns;
	_Atomic uint64_t records, dropped, errors;
	_Atomic bool connected;
	/* the exporter thread's own */
	fbInfoModel_t *model;
	fBuf_t *fbuf;
	uint16_t tid_int, tid4, tid6;
	uint64_t pending;              /* records in the message not yet emitted */
	uint64_t templates_ns, retry_ns, backoff_ms;
	bool said;                     /* a failure was reported */
};

struct ta_ipfix {
	struct coll c[TA_IPFIX_MAX_COLLECTORS];
	int n;
};

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * TA_NSEC_PER_SEC + (uint64_t)t.tv_nsec;
}

static void gerr_free(GError **e)
{
	if (*e)
		g_clear_error(e);
}

/* Drop the connection; what the message held is lost */
static void disconnect(struct coll *k, const char *why)
{
	if (k->fbuf)
		fBufFree(k->fbuf); /* its session and exporter too */
	k->fbuf = NULL;
	if (k->pending)
		atomic_fetch_add(&k->dropped, k->pending);
	k->pending = 0;
	/* said when the collector goes away, and at the first failure */
	if ((atomic_exchange(&k->connected, false) || !k->said) && why) {
		ta_info("ipfix: collector %s: %s; records are dropped (counted) until it takes them", k->c.name, why);
		k->said = true;
	}
	k->backoff_ms = k->backoff_ms ? (k->backoff_ms * 2 > 8000 ? 8000 : k->backoff_ms * 2) : 500;
	k->retry_ns = mono_ns() + k->backoff_ms * 1000000ull;
}

static fbTemplate_t *template_new(fbInfoModel_t *m, uint32_t flags, GError **e)
{
	fbInfoElementSpec_t spec[NELEMS + 1];
	fbTemplate_t *t = fbTemplateAlloc(m);

	for (size_t i = 0; i < NELEMS; i++)
		spec[i] = (fbInfoElementSpec_t){ (char *)elems[i].name, elems[i].len, elems[i].flags };
	spec[NELEMS] = (fbInfoElementSpec_t)FB_IESPEC_NULL;
	if (!fbTemplateAppendSpecArray(t, spec, flags, e)) {
		fbTemplateFreeUnused(t);
		return NULL;
	}
	return t;
}

/* The templates in a message of their own (libfixbuf starts a message for
 * them only in automatic mode); records are then appended by hand, so a
 * failed send knows how many it lost. */
static int send_templates(struct coll *k, GError **e)
{
	fBufSetAutomaticMode(k->fbuf, TRUE);
	if (!fbSessionExportTemplates(fBufGetSession(k->fbuf), e) || !fBufEmit(k->fbuf, e))
		return -1;
	fBufSetAutomaticMode(k->fbuf, FALSE);
	return 0;
}

/* Session, templates, exporter, message buffer; the templates go first. */
static int connect_collector(struct coll *k)
{
	GError *e = NULL;
	fbConnSpec_t spec = { .transport = k->c.tcp ? FB_TCP : FB_UDP, .host = k->c.host, .svc = k->c.port };
	fbSession_t *s = fbSessionAlloc(k->model);
	fbTemplate_t *ti = template_new(k->model, V4 | V6 | INT, &e), *t4 = ti ? template_new(k->model, V4, &e) : NULL,
		     *t6 = t4 ? template_new(k->model, V6, &e) : NULL;
	fbExporter_t *x;

	if (!t6)
		goto fail;
	if (!(k->tid_int = fbSessionAddTemplate(s, TRUE, FB_TID_AUTO, ti, &e)))
		goto fail;
	ti = NULL;
	fbSessionSetDomain(s, k->domain);
	if (!(k->tid4 = fbSessionAddTemplate(s, FALSE, FB_TID_AUTO, t4, &e)))
		goto fail;
	t4 = NULL;
	if (!(k->tid6 = fbSessionAddTemplate(s, FALSE, FB_TID_AUTO, t6, &e)))
		goto fail;
	t6 = NULL;
	if (!(x = fbExporterAllocNet(&spec))) {
		atomic_fetch_add(&k->errors, 1);
		fbSessionFree(s);
		disconnect(k, "cannot resolve its address");
		return -1;
	}
	k->fbuf = fBufAllocForExport(s, x);
	if (send_templates(k, &e)) {
		atomic_fetch_add(&k->errors, 1);
		disconnect(k, e ? e->message : "cannot send");
		gerr_free(&e);
		return -1;
	}
	k->templates_ns = mono_ns();
	k->backoff_ms = 0;
	if (!atomic_exchange(&k->connected, true))
		ta_info("ipfix: exporting to %s (observation domain %u)", k->c.name, k->domain);
	return 0;
fail:
	ta_info("ipfix: %s: templates: %s", k->c.name, e ? e->message : "?");
	gerr_free(&e);
	if (ti)
		fbTemplateFreeUnused(ti);
	if (t4)
		fbTemplateFreeUnused(t4);
	if (t6)
		fbTemplateFreeUnused(t6);
	fbSessionFree(s);
	atomic_fetch_add(&k->errors, 1);
	disconnect(k, NULL);
	return -1;
}

/* The buffered IPFIX message to the collector: 0, or -1 (disconnected) */
static int send_message(struct coll *k)
{
	GError *e = NULL;

	if (!fBufEmit(k->fbuf, &e)) {
		atomic_fetch_add(&k->errors, 1);
		disconnect(k, e ? e->message : "send failed");
		gerr_free(&e);
		return -1;
	}
	atomic_fetch_add(&k->records, k->pending);
	k->pending = 0;
	return 0;
}

static uint32_t v4(const uint8_t a[16])
{
	return (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
}

static void varstr(fbVarfield_t *v, const char *s)
{
	v->buf = (uint8_t *)s;
	v->len = strlen(s);
}

/* Append one record, emitting the message when it is full: 0, or -1 when
 * the connection failed (the record counted as dropped) */
static int append(struct coll *k, const struct ta_ipfix_rec *r)
{
	struct fbrec b = {
		.start_ms = r->start_ms, .end_ms = r->end_ms, .octets = r->octets, .packets = r->packets,
		.policy_drops = r->policy_drops, .kernel_drops = r->kernel_drops,
		.ingress = r->ingress, .egress = r->egress, .icmp_errors = r->icmp_errors,
		.sport = r->sport, .dport = r->dport, .proto = r->proto, .tcp_flags = (uint8_t)r->tcp_flags,
		.direction = r->direction, .end_reason = r->end_reason,
	};
	uint16_t ext = r->family == 6 ? k->tid6 : k->tid4;
	GError *e = NULL;

	varstr(&b.verdict, r->verdict);
	varstr(&b.rule, r->rule);
	varstr(&b.opener, r->opener);
	varstr(&b.state, r->state);
	varstr(&b.drop_reason, r->drop_reason);
	varstr(&b.server_name, r->server_name);
	varstr(&b.carries, r->carries);
	if (r->family == 6) {
		memcpy(b.src6, r->src, 16);
		memcpy(b.dst6, r->dst, 16);
		memcpy(b.icmp_from6, r->icmp_from, 16);
		b.icmp6 = r->icmp_type_code;
	} else {
		b.src4 = v4(r->src);
		b.dst4 = v4(r->dst);
		b.icmp_from4 = r->icmp_errors ? v4(r->icmp_from) : 0;
		b.icmp4 = r->icmp_type_code;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		if (fBufSetInternalTemplate(k->fbuf, k->tid_int, &e) && fBufSetExportTemplate(k->fbuf, ext, &e) &&
		    fBufAppend(k->fbuf, (uint8_t *)&b, sizeof(b), &e)) {
			k->pending++;
			return 0;
		}
		if (!g_error_matches(e, FB_ERROR_DOMAIN, FB_ERROR_EOM) || attempt)
			break;
		gerr_free(&e);
		if (send_message(k)) /* the full message out, then this record again */
			break;
	}
	if (k->fbuf) {
		atomic_fetch_add(&k->errors, 1);
		disconnect(k, e ? e->message : "append failed");
	}
	gerr_free(&e);
	atomic_fetch_add(&k->dropped, 1);
	return -1;
}

#define BATCH 256

static void *exporter(void *arg)
{
	struct coll *k = arg;
	struct ta_ipfix_rec *batch = malloc(BATCH * sizeof(*batch));

	if (!batch)
		return NULL;
	/* cancellable only while sending, when no lock is held (ta_ipfix_stop) */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_mutex_lock(&k->mu);
	for (;;) {
		size_t n = 0;
		bool flush, stop;

		while (!k->count && !k->stop && !k->flush) {
			struct timespec t;
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_sec += 1; /* template refresh and reconnects need a clock */
			if (pthread_cond_timedwait(&k->cv, &k->mu, &t) == ETIMEDOUT)
				break;
		}
		for (; n < BATCH && k->count; n++) {
			batch[n] = k->q[k->head];
			k->head = (k->head + 1) % TA_IPFIX_QUEUE;
			k->count--;
		}
		flush = k->flush || !k->count;
		k->flush = false;
		stop = k->stop && (!k->count || mono_ns() >= k->stop_by_ns);
		pthread_mutex_unlock(&k->mu);
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);

		uint64_t now = mono_ns();
		if (!k->fbuf && now >= k->retry_ns)
			connect_collector(k);
		for (size_t i = 0; i < n; i++) {
			if (!k->fbuf)
				atomic_fetch_add(&k->dropped, 1); /* down: lost, counted */
			else
				append(k, &batch[i]);
		}
		if (k->fbuf && !k->c.tcp && now - k->templates_ns >= TA_IPFIX_TEMPLATE_S * TA_NSEC_PER_SEC) {
			GError *e = NULL; /* RFC 7011 8.4: UDP templates again, on a schedule */
			if (k->pending)
				send_message(k);
			if (k->fbuf && send_templates(k, &e)) {
				atomic_fetch_add(&k->errors, 1);
				disconnect(k, e ? e->message : "template refresh failed");
			}
			gerr_free(&e);
			k->templates_ns = now;
		}
		if (k->fbuf && k->pending && flush)
			send_message(k);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
		pthread_mutex_lock(&k->mu);
		if (stop)
			break;
	}
	/* what is left when stopping without the time to send it */
	atomic_fetch_add(&k->dropped, k->count);
	k->count = 0;
	pthread_mutex_unlock(&k->mu);
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	if (k->fbuf) {
		if (k->pending)
			send_message(k);
		if (k->fbuf)
			fBufFree(k->fbuf);
		k->fbuf = NULL;
	}
	free(batch);
	return NULL;
}

struct ta_ipfix *ta_ipfix_start(const struct ta_ipfix_opts *o, char *err, size_t len)
{
	struct ta_ipfix *x = calloc(1, sizeof(*x));

	if (!x) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	for (int i = 0; i < o->n && i < TA_IPFIX_MAX_COLLECTORS; i++) {
		struct coll *k = &x->c[i];

		k->c = o->c[i];
		k->domain = o->domain;
		pthread_mutex_init(&k->mu, NULL);
		pthread_cond_init(&k->cv, NULL);
		x->n++;
		if (!(k->q = calloc(TA_IPFIX_QUEUE, sizeof(*k->q))) || !(k->model = model_new(o->pen))) {
			snprintf(err, len, "out of memory");
			ta_ipfix_stop(x, 0);
			return NULL;
		}
		if (pthread_create(&k->th, NULL, exporter, k)) {
			snprintf(err, len, "cannot start the exporter thread: %s", strerror(errno));
			ta_ipfix_stop(x, 0);
			return NULL;
		}
		k->started = true;
	}
	return x;
}

void ta_ipfix_put(struct ta_ipfix *x, const struct ta_ipfix_rec *r)
{
	for (int i = 0; x && i < x->n; i++) {
		struct coll *k = &x->c[i];

		pthread_mutex_lock(&k->mu);
		if (k->count == TA_IPFIX_QUEUE) {
			atomic_fetch_add(&k->dropped, 1);
		} else {
			k->q[(k->head + k->count) % TA_IPFIX_QUEUE] = *r;
			if (k->count++ == BATCH)
				pthread_cond_signal(&k->cv);
		}
		pthread_mutex_unlock(&k->mu);
	}
}

void ta_ipfix_flush(struct ta_ipfix *x)
{
	for (int i = 0; x && i < x->n; i++) {
		pthread_mutex_lock(&x->c[i].mu);
		x->c[i].flush = true;
		pthread_cond_signal(&x->c[i].cv);
		pthread_mutex_unlock(&x->c[i].mu);
	}
}

void ta_ipfix_stop(struct ta_ipfix *x, double wait_s)
{
	if (!x)
		return;
	for (int i = 0; i < x->n; i++) {
		struct coll *k = &x->c[i];

		pthread_mutex_lock(&k->mu);
		k->stop = true;
		k->flush = true;
		k->stop_by_ns = mono_ns() + (uint64_t)(wait_s * TA_NSEC_PER_SEC);
		pthread_cond_signal(&k->cv);
		pthread_mutex_unlock(&k->mu);
	}
	for (int i = 0; i < x->n; i++) {
		struct coll *k = &x->c[i];

		if (k->started) {
			/* a thread stuck in a TCP connect to a host that does not
			 * answer must not hold serve's exit: cancelled past the wait */
			struct timespec t;
			clock_gettime(CLOCK_REALTIME, &t);
			t.tv_sec += (time_t)wait_s + 2;
			if (pthread_timedjoin_np(k->th, NULL, &t)) {
				ta_info("ipfix: collector %s: the exporter did not finish in time; its queue is lost",
					k->c.name);
				pthread_cancel(k->th);
				pthread_join(k->th, NULL);
			}
		}
		if (k->model)
			fbInfoModelFree(k->model);
		free(k->q);
		pthread_mutex_destroy(&k->mu);
		pthread_cond_destroy(&k->cv);
	}
	free(x);
}

int ta_ipfix_stats(struct ta_ipfix *x, int i, struct ta_ipfix_stats *st)
{
	struct coll *k;

	if (!x || i < 0 || i >= x->n)
		return -1;
	k = &x->c[i];
	st->name = k->c.name;
	st->records = atomic_load(&k->records);
	st->dropped = atomic_load(&k->dropped);
	st->errors = atomic_load(&k->errors);
	st->connected = atomic_load(&k->connected);
	pthread_mutex_lock(&k->mu);
	st->queued = k->count;
	pthread_mutex_unlock(&k->mu);
	return 0;
}
