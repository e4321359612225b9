/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The server name of a TLS ClientHello (RFC 6066 server_name), read from a
 * policy flow's TCP segment that starts with one (parse.h spots it by three
 * bytes), kept per flow in ta_sni, the name in ta_dnames.  A ClientHello
 * longer than its segment is said to be split, never guessed from a part.
 * user/core/tls.c is the reference this follows; the message is read into
 * the DNS scratch buffer, and every walk keeps its state there (dns.h).
 */
#ifndef TA_TLS_H
#define TA_TLS_H

#include "dns.h"

#define TA_TLS_EXTS    64 /* extensions looked through */
#define TA_TLS_ENTRIES 8  /* server_name list entries looked through */

static __always_inline __u32 ta_tls_u8(const struct ta_dns_scratch *s, __u32 off)
{
	return s->msg[off & TA_DNS_MASK];
}

/* One byte of the name at s->off + i (bpf_loop's callback): printable, lower-cased */
static long ta_tls_name_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	__u32 c;

	if (!s || i >= s->nlen)
		return 1;
	c = ta_tls_u8(s, s->off + (__u32)i);
	if (c <= ' ' || c > '~') {
		s->status = TA_SNI_BAD;
		return 1;
	}
	if (c >= 'A' && c <= 'Z')
		c += 'a' - 'A';
	s->name.name[i & 0xff] = (char)c;
	return 0;
}
TA_LOOP_CB(ta_tls_name_step, TA_NAME_MAX + 2)

/* One entry of the server_name list at s->off (before s->end), as the
 * reference: a host_name entry ends the walk with the name */
static long ta_tls_entry_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	__u32 off, n;

	if (!s || s->off >= s->end)
		return 1;
	off = s->off;
	if (off + 3 > s->end || off + 3 + ta_dns_u16(s, off + 1) > s->end) {
		s->status = TA_SNI_BAD;
		return 1;
	}
	n = ta_dns_u16(s, off + 1);
	s->off = off + 3 + n;
	if (ta_tls_u8(s, off) != 0) /* not a host_name */
		return 0;
	if (!n || n > TA_NAME_MAX + 2) {
		s->status = TA_SNI_BAD;
		return 1;
	}
	s->off = off + 3;
	s->nlen = n;
	s->status = TA_SNI_NAME;
	TA_LOOP(ta_tls_name_step);
	if (s->status == TA_SNI_NAME)
		s->name.name[n & 0xff] = 0;
	return 1;
}
TA_LOOP_CB(ta_tls_entry_step, TA_TLS_ENTRIES)

/* One extension at s->off (bpf_loop's callback): server_name is read */
static long ta_tls_ext_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	__u32 off, n;

	if (!s || s->off >= s->end)
		return 1;
	off = s->off;
	if (off + 4 > s->end || off + 4 + ta_dns_u16(s, off + 2) > s->end) {
		s->status = TA_SNI_BAD;
		return 1;
	}
	n = ta_dns_u16(s, off + 2);
	s->off = off + 4 + n;
	if (ta_dns_u16(s, off) != 0)
		return 0;
	/* server_name: its list, then its entries */
	if (n < 2 || 2 + ta_dns_u16(s, off + 4) > n) {
		s->status = TA_SNI_BAD;
		return 1;
	}
	s->end = off + 6 + ta_dns_u16(s, off + 4);
	s->off = off + 6;
	s->status = TA_SNI_NO_NAME;
	TA_LOOP(ta_tls_entry_step);
	return 1;
}
TA_LOOP_CB(ta_tls_ext_step, TA_TLS_EXTS)

/* Past a vector of lenbytes (1 or 2) of length at s->off, within s->end: 0, or -1 */
static __always_inline int ta_tls_skip(struct ta_dns_scratch *s, int lenbytes)
{
	__u32 off = s->off, n;

	if (off + lenbytes > s->end)
		return -1;
	n = lenbytes == 1 ? ta_tls_u8(s, off) : ta_dns_u16(s, off);
	if (off + lenbytes + n > s->end)
		return -1;
	s->off = off + lenbytes + n;
	return 0;
}

/* The ClientHello in s->msg[0, s->len): its status in s->status, a name in s->name */
static __always_inline void ta_tls_hello(struct ta_dns_scratch *s)
{
	__u32 rlen, hlen;

	s->status = TA_SNI_BAD;
	rlen = ta_dns_u16(s, 3);
	if (rlen < 4)
		return;
	hlen = ta_tls_u8(s, 6) << 16 | ta_dns_u16(s, 7);
	s->status = TA_SNI_SPLIT;
	if (rlen > s->len - 5 || hlen > rlen - 4)
		return;
	s->status = TA_SNI_BAD;
	s->end = 9 + hlen;
	s->off = 9 + 34; /* version, random */
	if (s->off > s->end || ta_tls_skip(s, 1) || ta_tls_skip(s, 2) || ta_tls_skip(s, 1))
		return;
	s->status = TA_SNI_NO_NAME;
	if (s->off == s->end)
		return;
	if (s->off + 2 > s->end || s->off + 2 + ta_dns_u16(s, s->off) > s->end) {
		s->status = TA_SNI_BAD;
		return;
	}
	s->end = s->off + 2 + ta_dns_u16(s, s->off);
	s->off += 2;
	TA_LOOP(ta_tls_ext_step);
}

/* What the ClientHello said, kept for the flow (a name found is not
 * overwritten by a later segment that only looks like a ClientHello) */
static __always_inline void ta_tls_keep(struct ta_dns_scratch *s, const struct ta_pkt *p, __u32 ifindex)
{
	struct ta_flow_key k = {};
	struct ta_sni v = { .status = s->status }, *old;

	ta_flow_key_of(&k, &p->t, p->out_flow_dir, ifindex);
	old = bpf_map_lookup_elem(&ta_sni, &k);
	if (old && old->status == TA_SNI_NAME)
		return;
	if (s->status == TA_SNI_NAME) {
		ta_dns_match(s);
		v.name = s->nhash;
		v.rules[0] = s->rules[0];
		v.rules[1] = s->rules[1];
		bpf_map_update_elem(&ta_dnames, &s->nhash, &s->name, BPF_ANY);
	}
	bpf_map_update_elem(&ta_sni, &k, &v, BPF_ANY);
	if (!sni_any)
		sni_any = 1;
}

/* Per context type, as TA_DEFINE_DNS: the segment read into the scratch
 * buffer (at most TA_DNS_BUF bytes: a longer ClientHello is split) */
#define TA_DEFINE_TLS(sfx, ctx_t, LOAD)                                                                                \
	TA_FUNC int ta_tls_##sfx(ctx_t *ctx, TA_PKT_PARAM __u32 ifindex)                                               \
	{                                                                                                              \
		TA_PKT_LOCAL                                                                                           \
		struct ta_dns_scratch *s = ta_dns_buf();                                                               \
		__u32 len;                                                                                             \
                                                                                                                       \
		if (!s || !p || !p->tls_len || !p->out_flow)                                                           \
			return 0;                                                                                      \
		len = p->tls_len;                                                                                      \
		if (len > TA_DNS_BUF)                                                                                  \
			len = TA_DNS_BUF;                                                                              \
		if (len < 6 || LOAD(ctx, p->tls_off, s->msg, len))                                                     \
			return 0;                                                                                      \
		s->len = len;                                                                                          \
		ta_tls_hello(s);                                                                                       \
		ta_tls_keep(s, p, ifindex);                                                                            \
		return 0;                                                                                              \
	}

#endif /* TA_TLS_H */
