/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parser shared by the XDP and tc programs.
 *
 * A cursor walks the frame; every step checks that the header it is about to
 * read lies inside [data, data_end) before touching it, validates the fields
 * that give the next header's position (ihl, doff, extension lengths), and
 * says why when it gives up (enum ta_invalid_reason).  Nothing is read from a
 * non-first fragment beyond the IP header.
 */
#ifndef TA_PARSE_H
#define TA_PARSE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "tokaudit.h"
#include "compat.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define TA_MAX_VLAN 2      /* 802.1ad + 802.1Q */
#define TA_VLAN_HLEN 4     /* one tag */
#define TA_IP6_MAX_EXT 6   /* extension headers walked before giving up */

/* Fragment state of a packet */
#define TA_FRAG_NONE 0
#define TA_FRAG_FIRST 1
#define TA_FRAG_LATER 2

/* What the parser learnt about one IP packet (outer, or quoted in an ICMP error). */
struct ta_tuple {
	__u8 src[16];
	__u8 dst[16];
	__u16 sport;     /* host order; ICMP echo id in both for echo */
	__u16 dport;
	__u8 proto;      /* final L4 protocol */
	__u8 family;     /* 4 or 6 */
	__u8 frag;       /* TA_FRAG_* */
	__u8 tcp_flags;
	__u32 frag_id;
};

struct ta_pkt {
	struct ta_tuple t;
	struct ta_tuple q;   /* quoted packet, when icmp_err */
	__u8 icmp_err;       /* ICMP error with a parsed quote */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 inv;            /* enum ta_invalid_reason, TA_INV_NONE when fine */
	/* set by the classifier for the evidence capture (cfg_capture) */
	__u8 out_verdict;
	__u8 out_dir;
	__u8 out_capture;
	__u8 out_policy_drop;
	__u32 out_rule;
	/* a DNS message (port 53, not a fragment): where its bytes start in the
	 * frame (after TCP's length prefix too) and how many the packet holds */
	__u16 dns_off;
	__u16 dns_len;
	/* a TCP segment that starts with a TLS ClientHello: the same */
	__u16 tls_off;
	__u16 tls_len;
	/* set by the classifier: the packet's flow exists, seen going this way */
	__u8 out_flow;
	__u8 out_flow_dir;
	/* a UDP or TCP payload: where it starts in the frame, how long it is;
	 * set by the classifier when the flow's sample is due (carry.h) */
	__u16 pl_off;
	__u16 pl_len;
	__u8 out_carry;
	/* a UDP payload between unprivileged ports that starts like RTP or
	 * TURN ChannelData (media.h): set by the parser, its flow's streams
	 * are counted in the hook when out_media is set (the flow exists) */
	__u8 pl_media;
	__u8 out_media;
};

struct ta_cursor {
	void *pos;
	void *end;
};

static __always_inline void ta_addr4(__u8 *dst, __be32 a)
{
	__u32 *w = (__u32 *)dst;

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0x0000ffff);
	w[3] = a;
}

static __always_inline void ta_addr6(__u8 *dst, const struct in6_addr *a)
{
	__builtin_memcpy(dst, a, 16);
}

static __always_inline int ta_is_icmp_echo(__u8 proto, __u8 type)
{
	return (proto == TA_IPPROTO_ICMP && (type == 8 || type == 0)) ||
	       (proto == TA_IPPROTO_ICMPV6 && (type == 128 || type == 129));
}

/*
 * L4 ports and flags.  'quoted' is set for the copy of a packet inside an ICMP
 * error, which by RFC 792 carries only the first 8 bytes of its L4 header:
 * enough for ports, not for a full TCP header.
 */
static __always_inline int ta_parse_l4(struct ta_cursor *c, struct ta_tuple *t, __u32 l4len,
				       int quoted)
{
	void *l4 = c->pos;

	if (t->frag == TA_FRAG_LATER)
		return TA_INV_NONE;
	if (t->proto == TA_IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if (quoted) {
			if (l4 + 8 > c->end)
				return TA_INV_ICMP_QUOTE;
		} else {
			if ((void *)(th + 1) > c->end || l4len < sizeof(*th))
				return TA_INV_L4_TRUNC;
			if (th->doff < 5)
				return TA_INV_TCP_DOFF;
			if (l4len < (__u32)th->doff * 4 || l4 + th->doff * 4 > c->end)
				return TA_INV_L4_TRUNC;
			/* byte 13 of the header: CWR ECE URG ACK PSH RST SYN FIN */
			t->tcp_flags = ((__u8 *)th)[13];
		}
		t->sport = bpf_ntohs(th->source);
		t->dport = bpf_ntohs(th->dest);
	} else if (t->proto == TA_IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > c->end || (!quoted && l4len < sizeof(*uh)))
			return quoted ? TA_INV_ICMP_QUOTE : TA_INV_L4_TRUNC;
		/* its own length: a header at least, the IP payload at most (the
		 * datagram of a first fragment or of a quote is longer than the
		 * part at hand) */
		if (!quoted && (bpf_ntohs(uh->len) < sizeof(*uh) ||
				(bpf_ntohs(uh->len) > l4len && t->frag != TA_FRAG_FIRST)))
			return TA_INV_UDP_LEN;
		t->sport = bpf_ntohs(uh->source);
		t->dport = bpf_ntohs(uh->dest);
	} else if (t->proto == TA_IPPROTO_ICMP || t->proto == TA_IPPROTO_ICMPV6) {
		__u8 *ih = l4;

		if (l4 + 8 > c->end || (!quoted && l4len < 8))
			return quoted ? TA_INV_ICMP_QUOTE : TA_INV_L4_TRUNC;
		/* echo request/reply: the identifier ties both ways together */
		if (ta_is_icmp_echo(t->proto, ih[0])) {
			t->sport = ((__u16)ih[4] << 8) | ih[5];
			t->dport = t->sport;
		}
	}
	return TA_INV_NONE;
}

/* IPv4 header at c->pos; leaves c->pos at the L4 header and returns its length. */
static __always_inline int ta_parse_ip4(struct ta_cursor *c, struct ta_tuple *t, __u32 *l4len,
					int quoted)
{
	struct iphdr *ip = c->pos;
	__u32 hlen, tot;
	__u16 frag;

	if ((void *)(ip + 1) > c->end)
		return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP4_TRUNC;
	if (ip->version != 4 || ip->ihl < 5)
		return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP4_HDR;
	hlen = ip->ihl * 4;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < hlen)
		return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP4_HDR;
	if (c->pos + hlen > c->end)
		return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP4_TRUNC;
	t->family = 4;
	t->proto = ip->protocol;
	ta_addr4(t->src, ip->saddr);
	ta_addr4(t->dst, ip->daddr);
	frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff)
		t->frag = TA_FRAG_LATER;
	else if (frag & 0x2000)
		t->frag = TA_FRAG_FIRST;
	else
		t->frag = TA_FRAG_NONE;
	t->frag_id = bpf_ntohs(ip->id);
	*l4len = tot - hlen;
	c->pos += hlen;
	return TA_INV_NONE;
}

/* The length of the extension header nh at c->pos (a fragment header also
 * sets t's fragment fields): 0, 1 when nh is no extension header (the
 * transport), -1 when the packet ends inside it. */
static __always_inline int ta_ip6_ext_len(const struct ta_cursor *c, __u8 nh, struct ta_tuple *t, __u32 *len)
{
	__u8 *eh = c->pos;
	struct frag_hdr *fh = c->pos;
	__u16 off;

	switch (nh) {
	case TA_IPPROTO_HOPOPTS:
	case TA_IPPROTO_ROUTING:
	case TA_IPPROTO_DSTOPTS:
		if (eh + 2 > (__u8 *)c->end)
			return -1;
		*len = ((__u32)eh[1] + 1) * 8;
		return 0;
	case TA_IPPROTO_AH:
		if (eh + 2 > (__u8 *)c->end)
			return -1;
		*len = ((__u32)eh[1] + 2) * 4;
		return 0;
	case TA_IPPROTO_FRAGMENT:
		if ((void *)(fh + 1) > c->end)
			return -1;
		off = bpf_ntohs(fh->frag_off);
		t->frag_id = bpf_ntohl(fh->identification);
		if (off & 0xfff8)
			t->frag = TA_FRAG_LATER;
		else if (off & 1)
			t->frag = TA_FRAG_FIRST;
		*len = 8;
		return 0;
	default:
		return 1;
	}
}

/* IPv6 header and its extension headers, bounded. */
static __always_inline int ta_parse_ip6(struct ta_cursor *c, struct ta_tuple *t, __u32 *l4len,
					int quoted)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 left, len;
	__u8 nh;
	int i, e;

	if ((void *)(ip6 + 1) > c->end)
		return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP6_TRUNC;
	if (ip6->version != 6)
		return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP6_HDR;
	t->family = 6;
	ta_addr6(t->src, &ip6->saddr);
	ta_addr6(t->dst, &ip6->daddr);
	left = bpf_ntohs(ip6->payload_len);
	nh = ip6->nexthdr;
	c->pos = ip6 + 1;
	t->frag = TA_FRAG_NONE;

	for (i = 0; i < TA_IP6_MAX_EXT; i++) {
		__u8 *eh = c->pos;

		e = ta_ip6_ext_len(c, nh, t, &len);
		if (e < 0)
			goto trunc;
		if (e > 0)
			break; /* the transport */
		if (left < len)
			return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP6_HDR;
		if (eh + len > (__u8 *)c->end)
			goto trunc;
		nh = eh[0];
		left -= len;
		c->pos = eh + len;
		/* Past a later fragment's header comes payload, not headers. */
		if (t->frag == TA_FRAG_LATER)
			break;
	}
	/* Still an extension header after the bound: refuse to guess. */
	if (i == TA_IP6_MAX_EXT && t->frag != TA_FRAG_LATER &&
	    (nh == TA_IPPROTO_HOPOPTS || nh == TA_IPPROTO_ROUTING || nh == TA_IPPROTO_DSTOPTS ||
	     nh == TA_IPPROTO_AH || nh == TA_IPPROTO_FRAGMENT))
		return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP6_CHAIN;
	t->proto = nh;
	*l4len = left;
	return TA_INV_NONE;
trunc:
	return quoted ? TA_INV_ICMP_QUOTE : TA_INV_IP6_TRUNC;
}

static __always_inline int ta_is_icmp_error(__u8 proto, __u8 type)
{
	if (proto == TA_IPPROTO_ICMP)
		return type == 3 || type == 11 || type == 12;
	if (proto == TA_IPPROTO_ICMPV6)
		return type >= 1 && type <= 4;
	return 0;
}

/* Parse the packet quoted by an ICMP error whose quote starts at pos. */
static __always_inline int ta_parse_quote(void *pos, void *end, struct ta_pkt *p)
{
	struct ta_cursor c = { .pos = pos, .end = end };
	__u32 l4len = 0;
	int r;

	if (p->t.proto == TA_IPPROTO_ICMP)
		r = ta_parse_ip4(&c, &p->q, &l4len, 1);
	else
		r = ta_parse_ip6(&c, &p->q, &l4len, 1);
	if (r == TA_INV_NONE)
		r = ta_parse_l4(&c, &p->q, 0, 1);
	if (r != TA_INV_NONE) {
		p->inv = r;
		return -1;
	}
	p->icmp_err = 1;
	return 0;
}

/* A TCP segment whose payload starts like a TLS ClientHello (a handshake
 * record, message type 1): where, and how long.  Three bytes compared, on
 * TCP segments with data only. */
static __always_inline void ta_parse_tls(void *data, void *data_end, void *l4, __u32 l4len, struct ta_pkt *p)
{
	struct tcphdr *th = l4;
	__u8 *pl;
	__u32 hl;

	if ((void *)(th + 1) > data_end)
		return;
	hl = th->doff * 4;
	pl = l4 + hl;
	if (l4len < hl + 6 || (void *)(pl + 6) > data_end || pl[0] != 0x16 || pl[1] != 3 || pl[5] != 1 ||
	    l4 - data > 0x3fff)
		return;
	p->tls_off = (__u16)((void *)pl - data);
	p->tls_len = (__u16)((l4len - hl) & 0xffff);
}

/* A UDP payload of len bytes (12 or more) at b that may carry RTP: version
 * 2 (first byte 128-191), or a TURN ChannelData message around it (RFC 8656
 * 12.5: a channel number 0x4000-0x4FFF, then the length of what it relays,
 * which the datagram holds whole, padded to 4 bytes at most) relaying
 * version 2.  Any other payload is not read again after the verdict. */
static __always_inline __u8 ta_media_head(__u8 *b, void *data_end, __u32 len)
{
	__u32 cl;

	if ((void *)(b + 1) > data_end)
		return 0;
	if ((b[0] & 0xc0) == 0x80)
		return 1;
	if ((b[0] & 0xf0) != 0x40 || (void *)(b + 5) > data_end)
		return 0;
	cl = (__u32)b[2] << 8 | b[3];
	return cl >= 12 && cl + 4 <= len && len <= cl + 4 + 3 && (b[4] & 0xc0) == 0x80;
}

/* Where a UDP or TCP payload starts, and its length (nothing is read of it
 * here: only the packets carry.h samples are) */
static __always_inline void ta_parse_payload(void *data, void *data_end, void *l4, __u32 l4len, struct ta_pkt *p)
{
	__u32 hl = 8;

	if (p->t.proto == TA_IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return;
		hl = th->doff * 4;
	} else {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return;
		l4len = bpf_ntohs(uh->len); /* checked against the IP payload by ta_parse_l4 */
	}
	if (l4len <= hl || l4 - data > 0x3fff)
		return;
	p->pl_off = (__u16)(l4 - data) + (__u16)hl;
	p->pl_len = (__u16)((l4len - hl) & 0xffff);
	if (p->t.proto == TA_IPPROTO_UDP && p->t.sport >= 1024 && p->t.dport >= 1024 && l4len >= 8 + 12)
		p->pl_media = ta_media_head(l4 + 8, data_end, l4len - 8);
}

/* Where the DNS message of a port-53 packet lies: after the UDP header, or
 * after the TCP header and the 2-byte length that prefixes a message over
 * TCP (only a segment that starts a message is read) */
static __always_inline void ta_parse_dns(void *data, void *data_end, void *l4, __u32 l4len, struct ta_pkt *p)
{
	__u32 hl = 8;

	if (p->t.proto == TA_IPPROTO_TCP) {
		struct tcphdr *th = l4;

		if ((void *)(th + 1) > data_end)
			return;
		hl = th->doff * 4 + 2;
	} else if (p->t.proto == TA_IPPROTO_UDP) {
		struct udphdr *uh = l4;

		if ((void *)(uh + 1) > data_end)
			return;
		l4len = bpf_ntohs(uh->len); /* checked against the IP payload by ta_parse_l4 */
	} else {
		return;
	}
	if (l4len <= hl + 12 || l4 - data > 0x3fff)
		return;
	p->dns_off = (__u16)(l4 - data) + hl;
	p->dns_len = (__u16)((l4len - hl) & 0xffff);
}

/*
 * Parse a frame starting at the Ethernet header, up to (not into) the quote
 * of an ICMP error.  Returns 0 for an IP packet (p filled), 1 for a non-IP
 * frame, 2 for an ICMP error whose quote starts at *quote_off, or -1 with
 * p->inv set when a header needed to classify is malformed.
 */
static __always_inline int ta_parse_outer(void *data, void *data_end, struct ta_pkt *p,
					  __u32 *quote_off)
{
	struct ta_cursor c = { .pos = data, .end = data_end };
	struct ethhdr *eth = data;
	__u32 l4len = 0;
	__u16 proto;
	int i, r;

	if ((void *)(eth + 1) > data_end) {
		p->inv = TA_INV_L2_TRUNC;
		return -1;
	}
	proto = eth->h_proto;
	c.pos = eth + 1;
	for (i = 0; i < TA_MAX_VLAN; i++) {
		struct vlan_hdr *vh = c.pos;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end) {
			p->inv = TA_INV_L2_TRUNC;
			return -1;
		}
		proto = vh->h_vlan_encapsulated_proto;
		c.pos = vh + 1;
	}
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		p->inv = TA_INV_L2_VLAN;
		return -1;
	}

	if (proto == bpf_htons(ETH_P_IP))
		r = ta_parse_ip4(&c, &p->t, &l4len, 0);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = ta_parse_ip6(&c, &p->t, &l4len, 0);
	else
		return 1;
	if (r == TA_INV_NONE)
		r = ta_parse_l4(&c, &p->t, l4len, 0);
	if (r != TA_INV_NONE) {
		p->inv = r;
		return -1;
	}
	if (p->t.frag == TA_FRAG_NONE && (p->t.proto == TA_IPPROTO_UDP || p->t.proto == TA_IPPROTO_TCP))
		ta_parse_payload(data, data_end, c.pos, l4len, p);
	if (p->t.frag == TA_FRAG_NONE && (p->t.sport == 53 || p->t.dport == 53))
		ta_parse_dns(data, data_end, c.pos, l4len, p);
	else if (p->t.frag == TA_FRAG_NONE && p->t.proto == TA_IPPROTO_TCP)
		ta_parse_tls(data, data_end, c.pos, l4len, p);

	if (p->t.frag != TA_FRAG_LATER &&
	    (p->t.proto == TA_IPPROTO_ICMP || p->t.proto == TA_IPPROTO_ICMPV6)) {
		__u8 *ih = c.pos;

		if (ih + 8 > (__u8 *)data_end) /* checked in ta_parse_l4; for the verifier */
			return 0;
		p->icmp_type = ih[0];
		p->icmp_code = ih[1];
		if (ta_is_icmp_error(p->t.proto, ih[0])) {
			*quote_off = (__u32)((void *)(ih + 8) - data);
			return 2;
		}
	}
	return 0;
}

/*
 * Per context type, the parser as two global (separately verified) functions:
 * keeping the outer header walk and the quote walk apart keeps the number of
 * verifier states linear instead of multiplying the two.
 */
#define TA_DEFINE_PARSER(sfx, ctx_t, DATA, DATA_END)                                                                   \
	TA_FUNC int ta_quote_##sfx(ctx_t *ctx, TA_PKT_PARAM __u32 off)                                                 \
	{                                                                                                              \
		TA_PKT_LOCAL                                                                                           \
		void *data = (void *)(long)(DATA);                                                                     \
		void *data_end = (void *)(long)(DATA_END);                                                             \
                                                                                                                       \
		if (!p)                                                                                                \
			return -1;                                                                                     \
		if (off > 0x3fff) {                                                                                    \
			p->inv = TA_INV_ICMP_QUOTE;                                                                    \
			return -1;                                                                                     \
		}                                                                                                      \
		return ta_parse_quote(data + off, data_end, p);                                                        \
	}                                                                                                              \
	TA_FUNC int ta_parse_##sfx(ctx_t *ctx TA_PKT_PARAM_LAST)                                                       \
	{                                                                                                              \
		TA_PKT_LOCAL                                                                                           \
		void *data = (void *)(long)(DATA);                                                                     \
		void *data_end = (void *)(long)(DATA_END);                                                             \
		__u32 qoff = 0;                                                                                        \
		int r;                                                                                                 \
                                                                                                                       \
		if (!p)                                                                                                \
			return -1;                                                                                     \
		r = ta_parse_outer(data, data_end, p, &qoff);                                                          \
		if (r == 2)                                                                                            \
			r = ta_quote_##sfx(ctx, TA_PKT_ARG(p) qoff);                                                   \
		return r;                                                                                              \
	}

#endif /* TA_PARSE_H */
