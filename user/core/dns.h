/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DNS messages as they cross the wire (RFC 1035): the question, and the
 * addresses the answer gives the name asked for, following its CNAME chain.
 * Everything is bounded: names of at most 255 bytes, labels of at most 63,
 * compression pointers that only point backwards (so no loop), a fixed
 * number of answers and chain links.  Anything else is refused, with why.
 */
#ifndef TA_DNS_H
#define TA_DNS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TA_DNS_NAME_MAX  255 /* room for a name in text, without the trailing dot */
#define TA_DNS_TEXT_MAX  253 /* the longest: 255 bytes on the wire, with the length bytes and the root */
#define TA_DNS_ADDRS_MAX 32  /* addresses kept from one answer; more are counted */
#define TA_DNS_CHAIN_MAX 8   /* the name asked for and the CNAME targets it leads to */
#define TA_DNS_RR_MAX    512 /* records read from one message; a message with more is refused */

struct ta_dns_addr {
	uint8_t addr[16]; /* IPv4 mapped (::ffff:a.b.c.d) */
	uint8_t family;   /* 4 or 6 */
	uint32_t ttl;     /* seconds */
	uint8_t link;     /* which name of the chain it belongs to */
};

struct ta_dns_msg {
	uint16_t id;
	bool response;
	uint8_t rcode;
	uint16_t qtype;
	/* chain[0] is the name asked for, lower case, no trailing dot; then the
	 * CNAME targets in the order the answer leads from one to the next */
	char chain[TA_DNS_CHAIN_MAX][TA_DNS_NAME_MAX + 1];
	uint8_t nchain;
	struct ta_dns_addr addrs[TA_DNS_ADDRS_MAX];
	uint8_t naddrs;
	unsigned dropped; /* addresses of the chain past TA_DNS_ADDRS_MAX, or links past TA_DNS_CHAIN_MAX */
	unsigned other;   /* answer records of other names or types (not learned) */
};

/* Parse one message (UDP payload; over TCP, without its 2-byte length).
 * 0, or -1 with why a message is refused (a constant string). */
int ta_dns_parse(const uint8_t *msg, size_t len, struct ta_dns_msg *m, const char **why);

/* A name at off in msg as text (lower case, labels joined by '.'), its end
 * in the message at *next.  0, or -1 with why. */
int ta_dns_name(const uint8_t *msg, size_t len, size_t off, char out[TA_DNS_NAME_MAX + 1], size_t *next,
		const char **why);

/* An address as text: a.b.c.d, or IPv6 */
const char *ta_dns_addr_str(const struct ta_dns_addr *a, char *buf, size_t len);

#endif
