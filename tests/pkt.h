/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Frame builder for the tests: a declarative spec -> the bytes on the wire. */
#ifndef TA_TEST_PKT_H
#define TA_TEST_PKT_H

#include <stdint.h>
#include <stddef.h>

#define PK_MAX 2048

enum pk_frag { PK_NOFRAG = 0, PK_FIRST = 1, PK_LATER = 2 };

struct pk {
	int vlans;            /* 0, 1 (802.1Q), 2 (802.1ad + 802.1Q), 3 (invalid) */
	uint16_t ethertype;   /* 0: from the IP version; else forced (ARP ...) */
	int family;           /* 4 or 6 */
	const char *src, *dst;
	int proto;            /* 6, 17, 1, 58, or any other IP protocol */
	uint16_t sport, dport;
	uint8_t tcp_flags;
	int ip4_opts;         /* bytes of IPv4 options (multiple of 4, <= 40) */
	int ip6_ext[8];       /* extension header types in order (0, 43, 60, 51) */
	int n_ext;
	int frag;             /* enum pk_frag */
	uint32_t frag_id;
	uint8_t icmp_type, icmp_code;
	const struct pk *quote; /* ICMP error: the packet it quotes */
	int quote_len;        /* bytes of the quote; 0: IP header + 8 */
	int payload;          /* payload bytes */
	const uint8_t *data;  /* their contents; NULL: 0x5a each */
	/* malformations: -1 (or 0 for cut) means none */
	int ihl;              /* IPv4 ihl field, -1: right value */
	int tot_len;          /* IPv4 total length / IPv6 payload length, -1: right */
	int doff;             /* TCP data offset, -1: 5 */
	int udp_len;          /* UDP length field, -1: right */
	int version;          /* IP version nibble, -1: right */
	int cut;              /* cut the frame to this many bytes, 0: none */
};

/* A spec with every malformation off. */
#define PK(...) ((struct pk){ .ihl = -1, .tot_len = -1, .doff = -1, .udp_len = -1, .version = -1, __VA_ARGS__ })

/* Build the frame into buf (PK_MAX bytes); returns its length. */
int pk_build(const struct pk *p, uint8_t *buf);
/* Build only the IP packet (no Ethernet) into buf; returns its length. */
int pk_build_ip(const struct pk *p, uint8_t *buf);

#endif
