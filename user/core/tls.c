// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The server name of a TLS ClientHello: see tls.h. */
#include <ctype.h>
#include <string.h>
#include "tls.h"

#define REC_HANDSHAKE   22
#define HS_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define SNI_HOST_NAME   0

/* A reader over [p, end): every read checks its bounds */
struct cur {
	const uint8_t *p, *end;
};

static int take(struct cur *c, size_t n, const uint8_t **at)
{
	if ((size_t)(c->end - c->p) < n)
		return -1;
	*at = c->p;
	c->p += n;
	return 0;
}

/* A length-prefixed vector (1 or 2 bytes of length): its body in v */
static int vec(struct cur *c, int lenbytes, struct cur *v)
{
	const uint8_t *l, *body;
	size_t n;

	if (take(c, (size_t)lenbytes, &l))
		return -1;
	n = lenbytes == 1 ? l[0] : (size_t)(l[0] << 8 | l[1]);
	if (take(c, n, &body))
		return -1;
	v->p = body;
	v->end = body + n;
	return 0;
}

/* The host_name of a server_name extension's body */
static enum ta_tls_sni host_name(struct cur *e, char *out, const char **why)
{
	struct cur list, name;
	const uint8_t *type;

	if (vec(e, 2, &list)) {
		*why = "a server_name extension shorter than its list";
		return TA_TLS_NOT_HELLO;
	}
	while (list.p < list.end) {
		if (take(&list, 1, &type) || vec(&list, 2, &name)) {
			*why = "a server_name entry runs past its list";
			return TA_TLS_NOT_HELLO;
		}
		if (*type != SNI_HOST_NAME)
			continue;
		size_t n = (size_t)(name.end - name.p);
		if (!n || n > TA_TLS_NAME_MAX) {
			*why = "a server name empty or longer than 255 bytes";
			return TA_TLS_NOT_HELLO;
		}
		for (size_t i = 0; i < n; i++) {
			if (name.p[i] <= ' ' || name.p[i] > '~') {
				*why = "a server name with a byte no name uses";
				return TA_TLS_NOT_HELLO;
			}
			out[i] = (char)tolower(name.p[i]);
		}
		out[n] = 0;
		return TA_TLS_NAME;
	}
	return TA_TLS_NO_NAME;
}

/* The ClientHello's body after its type and length: skip to the
 * extensions, find server_name */
static enum ta_tls_sni hello(struct cur *h, char *out, const char **why)
{
	struct cur skip, exts, e;
	const uint8_t *fixed, *t;

	/* version and random, session id, cipher suites, compression methods */
	if (take(h, 2 + 32, &fixed) || vec(h, 1, &skip) || vec(h, 2, &skip) || vec(h, 1, &skip)) {
		*why = "a ClientHello shorter than its fixed fields";
		return TA_TLS_NOT_HELLO;
	}
	if (h->p == h->end)
		return TA_TLS_NO_NAME; /* no extensions at all */
	if (vec(h, 2, &exts)) {
		*why = "extensions longer than the ClientHello";
		return TA_TLS_NOT_HELLO;
	}
	while (exts.p < exts.end) {
		if (take(&exts, 2, &t) || vec(&exts, 2, &e)) {
			*why = "an extension runs past the ClientHello";
			return TA_TLS_NOT_HELLO;
		}
		if ((t[0] << 8 | t[1]) == EXT_SERVER_NAME)
			return host_name(&e, out, why);
	}
	return TA_TLS_NO_NAME;
}

enum ta_tls_sni ta_tls_sni(const uint8_t *data, size_t len, char out[TA_TLS_NAME_MAX + 1], const char **why)
{
	struct cur c = { data, data + len }, rec, h;
	const uint8_t *hdr = data, *hs;
	size_t rlen, hlen;

	out[0] = 0;
	*why = NULL;
	if (len < 5) {
		*why = "fewer bytes than a TLS record header";
		return len && data[0] != REC_HANDSHAKE ? TA_TLS_NOT_HELLO : TA_TLS_INCOMPLETE;
	}
	c.p += 5; /* the record header, at hdr */
	if (hdr[0] != REC_HANDSHAKE || hdr[1] != 3) {
		*why = "not a TLS handshake record";
		return TA_TLS_NOT_HELLO;
	}
	rlen = (size_t)(hdr[3] << 8 | hdr[4]);
	if (rlen < 4) {
		*why = "a handshake record too short for a message";
		return TA_TLS_NOT_HELLO;
	}
	if (rlen > len - 5) {
		*why = "a ClientHello record split over segments";
		return TA_TLS_INCOMPLETE;
	}
	hs = c.p; /* the handshake header: rlen >= 4 */
	rec.p = c.p + 4;
	rec.end = c.p + rlen;
	if (hs[0] != HS_CLIENT_HELLO) {
		*why = "a handshake message that is not a ClientHello";
		return TA_TLS_NOT_HELLO;
	}
	hlen = (size_t)hs[1] << 16 | (size_t)hs[2] << 8 | hs[3];
	if (hlen > (size_t)(rec.end - rec.p)) {
		*why = "a ClientHello split over records";
		return TA_TLS_INCOMPLETE;
	}
	h.p = rec.p;
	h.end = rec.p + hlen;
	return hello(&h, out, why);
}
