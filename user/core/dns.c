// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* DNS messages on the wire: see dns.h. */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include "dns.h"

#define DNS_HDR 12
#define T_A     1
#define T_CNAME 5
#define T_AAAA  28
#define C_IN    1

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One label at msg[pos] (its length byte first) appended to out */
static int add_label(const uint8_t *msg, size_t pos, char *out, size_t *olen, const char **why)
{
	size_t n = msg[pos];

	if (*olen + (*olen ? 1 : 0) + n > TA_DNS_TEXT_MAX) {
		*why = "a name longer than 255 bytes";
		return -1;
	}
	if (*olen)
		out[(*olen)++] = '.';
	for (size_t i = 1; i <= n; i++) {
		uint8_t c = msg[pos + i];

		if (c <= ' ' || c > '~' || c == '.') {
			*why = "a label with a byte no name uses";
			return -1;
		}
		out[(*olen)++] = (char)tolower(c);
	}
	out[*olen] = 0;
	return 0;
}

int ta_dns_name(const uint8_t *msg, size_t len, size_t off, char out[TA_DNS_NAME_MAX + 1], size_t *next,
		const char **why)
{
	size_t pos = off, seg = off, olen = 0;
	bool jumped = false;

	out[0] = 0;
	for (;;) {
		if (pos >= len) {
			*why = "a name runs past the end of the message";
			return -1;
		}
		uint8_t c = msg[pos];

		if (!c) {
			if (!jumped)
				*next = pos + 1;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= len) {
				*why = "a compression pointer runs past the end of the message";
				return -1;
			}
			ptr = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
			/* every jump lands before the last one's start: no loop */
			if (ptr >= seg) {
				*why = "a compression pointer that does not point backwards (a loop)";
				return -1;
			}
			if (!jumped)
				*next = pos + 2;
			jumped = true;
			pos = seg = ptr;
			continue;
		}
		if (c & 0xc0) {
			*why = "a label of a reserved type";
			return -1;
		}
		if (pos + 1 + c > len) {
			*why = "a label runs past the end of the message";
			return -1;
		}
		if (add_label(msg, pos, out, &olen, why))
			return -1;
		pos += 1 + c;
	}
}

/* A resource record's fixed part after its owner name */
struct rr {
	char owner[TA_DNS_NAME_MAX + 1];
	uint16_t type, class;
	uint32_t ttl;
	size_t rdata, rdlen;
};

static int read_rr(const uint8_t *msg, size_t len, size_t *off, struct rr *r, const char **why)
{
	size_t p;

	if (ta_dns_name(msg, len, *off, r->owner, &p, why))
		return -1;
	if (p + 10 > len) {
		*why = "a record runs past the end of the message";
		return -1;
	}
	r->type = rd16(msg + p);
	r->class = rd16(msg + p + 2);
	r->ttl = rd32(msg + p + 4);
	r->rdlen = rd16(msg + p + 8);
	r->rdata = p + 10;
	if (r->rdata + r->rdlen > len) {
		*why = "a record's data runs past the end of the message";
		return -1;
	}
	if (r->class == C_IN && ((r->type == T_A && r->rdlen != 4) || (r->type == T_AAAA && r->rdlen != 16))) {
		*why = "an address record of the wrong length";
		return -1;
	}
	*off = r->rdata + r->rdlen;
	return 0;
}

/* Which link of the chain a name is, or -1 */
static int link_of(const struct ta_dns_msg *m, const char *name)
{
	for (int i = 0; i < m->nchain; i++)
		if (!strcmp(m->chain[i], name))
			return i;
	return -1;
}

/* The CNAME chain from the name asked for, whatever the order of the
 * records: each pass may add the next link */
static int follow_cnames(const uint8_t *msg, size_t len, const size_t *rrs, size_t n, struct ta_dns_msg *m,
			 const char **why)
{
	for (int pass = 0; pass < TA_DNS_CHAIN_MAX; pass++) {
		bool grew = false;

		for (size_t i = 0; i < n; i++) {
			struct rr r;
			char target[TA_DNS_NAME_MAX + 1];
			size_t off = rrs[i], end;

			if (read_rr(msg, len, &off, &r, why))
				return -1;
			if (r.type != T_CNAME || r.class != C_IN || link_of(m, r.owner) < 0)
				continue;
			if (ta_dns_name(msg, len, r.rdata, target, &end, why))
				return -1;
			if (link_of(m, target) >= 0)
				continue;
			if (m->nchain == TA_DNS_CHAIN_MAX) {
				m->dropped++;
				continue;
			}
			memcpy(m->chain[m->nchain++], target, sizeof(target));
			grew = true;
		}
		if (!grew)
			break;
	}
	return 0;
}

/* The addresses of the chain's names */
static int collect_addrs(const uint8_t *msg, size_t len, const size_t *rrs, size_t n, struct ta_dns_msg *m,
			 const char **why)
{
	for (size_t i = 0; i < n; i++) {
		struct rr r;
		size_t off = rrs[i];
		int link;

		if (read_rr(msg, len, &off, &r, why))
			return -1;
		if (r.class != C_IN || (r.type != T_A && r.type != T_AAAA)) { /* the chain's own links are no other */
			m->other += !(r.class == C_IN && r.type == T_CNAME && link_of(m, r.owner) >= 0);
			continue;
		}
		if ((link = link_of(m, r.owner)) < 0) {
			m->other++;
			continue;
		}
		if (m->naddrs == TA_DNS_ADDRS_MAX) {
			m->dropped++;
			continue;
		}
		struct ta_dns_addr *a = &m->addrs[m->naddrs++];

		memset(a, 0, sizeof(*a));
		if (r.type == T_A) {
			a->addr[10] = a->addr[11] = 0xff;
			memcpy(a->addr + 12, msg + r.rdata, 4);
			a->family = 4;
		} else {
			memcpy(a->addr, msg + r.rdata, 16);
			a->family = 6;
		}
		a->ttl = r.ttl;
		a->link = (uint8_t)link;
	}
	return 0;
}

int ta_dns_parse(const uint8_t *msg, size_t len, struct ta_dns_msg *m, const char **why)
{
	size_t rrs[TA_DNS_RR_MAX], off, nan;
	uint16_t flags;

	memset(m, 0, sizeof(*m));
	if (len < DNS_HDR) {
		*why = "shorter than a DNS header";
		return -1;
	}
	m->id = rd16(msg);
	flags = rd16(msg + 2);
	m->response = flags >> 15;
	m->rcode = flags & 0xf;
	nan = rd16(msg + 6);
	if (rd16(msg + 4) != 1) {
		*why = "not one question";
		return -1;
	}
	if (nan > TA_DNS_RR_MAX) {
		*why = "more answer records than tokaudit reads (512)";
		return -1;
	}
	if (ta_dns_name(msg, len, DNS_HDR, m->chain[0], &off, why))
		return -1;
	if (off + 4 > len) {
		*why = "the question runs past the end of the message";
		return -1;
	}
	m->qtype = rd16(msg + off);
	m->nchain = 1;
	off += 4;
	/* every answer record well formed, then the chain and its addresses */
	for (size_t i = 0; i < nan; i++) {
		struct rr r;

		rrs[i] = off;
		if (read_rr(msg, len, &off, &r, why))
			return -1;
	}
	if (follow_cnames(msg, len, rrs, nan, m, why) || collect_addrs(msg, len, rrs, nan, m, why))
		return -1;
	return 0;
}

const char *ta_dns_addr_str(const struct ta_dns_addr *a, char *buf, size_t len)
{
	if (a->family == 4)
		inet_ntop(AF_INET, a->addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a->addr, buf, (socklen_t)len);
	return buf;
}
