// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <string.h>
#include "pkt.h"

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

static int l4_build(const struct pk *p, uint8_t *b)
{
	int n = 0;

	if (p->frag == PK_LATER) {
		memset(b, 0xab, 16);
		return 16 + p->payload;
	}
	switch (p->proto) {
	case 6: {
		int doff = p->doff >= 0 ? p->doff : 5;
		put16(b, p->sport);
		put16(b + 2, p->dport);
		put32(b + 4, 1000);
		put32(b + 8, 0);
		b[12] = (uint8_t)(doff << 4);
		b[13] = p->tcp_flags;
		put16(b + 14, 65535);
		put16(b + 16, 0);
		put16(b + 18, 0);
		n = 20;
		if (doff > 5) {
			memset(b + 20, 1, (doff - 5) * 4); /* NOP options */
			n = doff * 4;
		}
		break;
	}
	case 17:
		put16(b, p->sport);
		put16(b + 2, p->dport);
		put16(b + 4, (uint16_t)(p->udp_len >= 0 ? p->udp_len : 8 + p->payload));
		put16(b + 6, 0);
		n = 8;
		break;
	case 1:
	case 58:
		b[0] = p->icmp_type;
		b[1] = p->icmp_code;
		put16(b + 2, 0);
		put16(b + 4, p->sport); /* echo identifier */
		put16(b + 6, 1);
		n = 8;
		if (p->quote) {
			uint8_t q[PK_MAX];
			int ql = pk_build_ip(p->quote, q);
			int full = p->quote->family == 4 ? 20 + p->quote->ip4_opts + 8 : ql;

			if (p->quote->family == 6)
				full = ql < 48 + 8 * p->quote->n_ext + 8 ? ql : 48 + 8 * p->quote->n_ext;
			if (p->quote_len)
				full = p->quote_len;
			if (full > ql)
				full = ql;
			memcpy(b + 8, q, full);
			n += full;
		}
		break;
	default:
		n = 0;
	}
	if (p->data)
		memcpy(b + n, p->data, p->payload);
	else
		memset(b + n, 0x5a, p->payload);
	return n + p->payload;
}

int pk_build_ip(const struct pk *p, uint8_t *b)
{
	uint8_t l4[PK_MAX];
	int l4len = l4_build(p, l4);

	if (p->family == 4) {
		int ihl = 5 + p->ip4_opts / 4;
		int hl = ihl * 4;
		struct in_addr s, d;
		uint16_t frag = 0;

		b[0] = (uint8_t)(((p->version >= 0 ? p->version : 4) << 4) | (p->ihl >= 0 ? p->ihl : ihl));
		b[1] = 0;
		put16(b + 2, (uint16_t)(p->tot_len >= 0 ? p->tot_len : hl + l4len));
		put16(b + 4, (uint16_t)p->frag_id);
		if (p->frag == PK_FIRST)
			frag = 0x2000;
		else if (p->frag == PK_LATER)
			frag = 0x2000 | 185; /* offset 1480 */
		put16(b + 6, frag);
		b[8] = 64;
		b[9] = (uint8_t)p->proto;
		put16(b + 10, 0);
		inet_pton(AF_INET, p->src, &s);
		inet_pton(AF_INET, p->dst, &d);
		memcpy(b + 12, &s, 4);
		memcpy(b + 16, &d, 4);
		for (int i = 20; i < hl; i++)
			b[i] = 1; /* NOP options */
		memcpy(b + hl, l4, l4len);
		return hl + l4len;
	}
	/* IPv6 */
	int off = 40, ext_total = 0;
	uint8_t *nhp = b + 6;

	b[0] = (uint8_t)((p->version >= 0 ? p->version : 6) << 4);
	b[1] = b[2] = b[3] = 0;
	b[7] = 64;
	inet_pton(AF_INET6, p->src, b + 8);
	inet_pton(AF_INET6, p->dst, b + 24);
	for (int i = 0; i < p->n_ext; i++) {
		*nhp = (uint8_t)p->ip6_ext[i];
		memset(b + off, 0, 8);
		if (p->ip6_ext[i] == 51)
			b[off + 1] = 0; /* AH: (0 + 2) * 4 = 8 bytes */
		else
			b[off + 1] = 0; /* (0 + 1) * 8 = 8 bytes */
		nhp = b + off;
		off += 8;
		ext_total += 8;
	}
	if (p->frag) {
		*nhp = 44;
		memset(b + off, 0, 8);
		put16(b + off + 2, p->frag == PK_FIRST ? 1 : (uint16_t)((1448 / 8) << 3 | 1));
		put32(b + off + 4, p->frag_id);
		nhp = b + off;
		off += 8;
		ext_total += 8;
	}
	*nhp = (uint8_t)p->proto;
	memcpy(b + off, l4, l4len);
	put16(b + 4, (uint16_t)(p->tot_len >= 0 ? p->tot_len : ext_total + l4len));
	return off + l4len;
}

int pk_build(const struct pk *p, uint8_t *buf)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 0x01 }, smac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	int off = 12, n;
	uint16_t et = p->ethertype ? p->ethertype : (p->family == 6 ? 0x86dd : 0x0800);

	memcpy(buf, dmac, 6);
	memcpy(buf + 6, smac, 6);
	for (int i = 0; i < p->vlans; i++) {
		put16(buf + off, i == 0 && p->vlans >= 2 ? 0x88a8 : 0x8100);
		put16(buf + off + 2, (uint16_t)(100 + i));
		off += 4;
	}
	put16(buf + off, et);
	off += 2;
	if (p->ethertype && p->ethertype != 0x0800 && p->ethertype != 0x86dd) {
		memset(buf + off, 0, 28); /* an ARP-sized body */
		n = off + 28;
	} else {
		n = off + pk_build_ip(p, buf + off);
	}
	if (n < 60) { /* Ethernet minimum, as on the wire */
		memset(buf + n, 0, 60 - n);
		n = 60;
	}
	if (p->cut && p->cut < n)
		n = p->cut;
	return n;
}
