/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The server name a TLS client asks for (the server_name extension of its
 * ClientHello, RFC 6066), read from the first bytes of a TCP stream.  A
 * ClientHello that does not fit the bytes given (split over segments, or
 * over records) is said to be incomplete, never guessed from a part.
 */
#ifndef TA_TLS_H
#define TA_TLS_H
#include <stddef.h>
#include <stdint.h>

#define TA_TLS_NAME_MAX 255

enum ta_tls_sni {
	TA_TLS_NAME = 1,        /* a name, in out */
	TA_TLS_NO_NAME = 0,     /* a whole ClientHello without server_name */
	TA_TLS_NOT_HELLO = -1,  /* not a TLS ClientHello, or a malformed one (why says) */
	TA_TLS_INCOMPLETE = -2, /* a ClientHello longer than the bytes given */
};

/* The server name of the ClientHello at the start of data (lower case). */
enum ta_tls_sni ta_tls_sni(const uint8_t *data, size_t len, char out[TA_TLS_NAME_MAX + 1], const char **why);

#endif
