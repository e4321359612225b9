/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Server names learned from DNS on the wire.  A query leaving through an
 * audited hook is remembered (id, 5-tuple, name); the answer to it, when it
 * comes back through an audited hook and the name asked matches a rule's
 * name pattern, makes its A and AAAA addresses (of the name, or of the end
 * of its CNAME chain) part of those rules for their TTL, in ta_learned,
 * which ta_cover reads beside the trie.  This runs in the hook, before the
 * answer goes on towards the client: a client's first packet to the address
 * finds it learned.  user/core/dns.c is the reference parser this follows
 * (same limits: names of 255 bytes on the wire, pointers only backwards).
 *
 * The walkers are global functions, verified once each; their loops keep
 * nothing the verifier must track precisely from one step to the next.
 */
#ifndef TA_DNS_H
#define TA_DNS_H

#include "events.h"

#define TA_DNS_MASK    (TA_DNS_BUF - 1)
/* steps of a name walk: its bytes, and its jumps (each lands before the
 * last, in a message of TA_DNS_BUF bytes; a name of 253 characters has at
 * most 127 labels, so at most 127 jumps that lead somewhere) */
#define TA_DNS_STEPS   (TA_NAME_MAX + 2 + 128)
#define TA_DNS_T_A     1
#define TA_DNS_T_CNAME 5
#define TA_DNS_T_AAAA  28
#define TA_DNS_C_IN    1

static __always_inline struct ta_dns_scratch *ta_dns_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ta_dns_scratch, &zero);
}

/* the big-endian 16 bits at off (the caller checked off + 2 <= len) */
static __always_inline __u32 ta_dns_u16(const struct ta_dns_scratch *s, __u32 off)
{
	return ((__u32)s->msg[off & TA_DNS_MASK] << 8) | s->msg[(off + 1) & TA_DNS_MASK];
}

/* One step of a name walk (bpf_loop's callback: verified once): a byte of
 * a label, a label's length, a pointer or the root.  1 ends the walk, its
 * result in w->end (-1: malformed). */
static long ta_dns_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	struct ta_dns_walk *w;
	__u32 pos, c;

	if (!s)
		return 1;
	w = &s->w;
	pos = w->pos;
	if (pos >= s->len)
		goto bad;
	c = s->msg[pos & TA_DNS_MASK];
	if (w->left) { /* a byte of a label: printable, no dot, lower-cased */
		if (c <= ' ' || c > '~' || c == '.')
			goto bad;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (w->text)
			s->name.name[w->nlen & 0xff] = c;
		w->nlen++;
		w->h = ta_fnv_step(w->h, c);
		w->left--;
		w->pos = pos + 1;
		return 0;
	}
	if (!c) { /* the root: the end */
		s->whash = ta_fnv_step(w->h, 0);
		if (w->text) {
			s->name.name[w->nlen & 0xff] = 0;
			s->nlen = w->nlen;
		}
		if (w->end < 0)
			w->end = (int)pos + 1;
		w->done = 1;
		return 1;
	}
	if ((c & 0xc0) == 0xc0) {
		__u32 ptr;

		if (pos + 1 >= s->len)
			goto bad;
		ptr = ((c & 0x3f) << 8) | s->msg[(pos + 1) & TA_DNS_MASK];
		/* every jump lands before the start of the last: no loop */
		if (ptr >= w->seg)
			goto bad;
		if (w->end < 0)
			w->end = (int)pos + 2;
		w->pos = ptr;
		w->seg = ptr;
		return 0;
	}
	/* a label: its dot and bytes fit in TA_NAME_MAX */
	if ((c & 0xc0) || w->nlen + (w->nlen ? 1 : 0) + c > TA_NAME_MAX)
		goto bad;
	w->h = ta_fnv_step(w->h, c);
	if (w->nlen) {
		if (w->text)
			s->name.name[w->nlen & 0xff] = '.';
		w->nlen++;
	}
	w->left = c;
	w->pos = pos + 1;
	return 0;
bad:
	w->end = -1;
	w->done = 1;
	return 1;
}
TA_LOOP_CB(ta_dns_step, TA_DNS_STEPS)

/*
 * The name at off: its hash (labels as on the wire, lower case) in s->whash
 * and, when text, its dotted lower-case form in s->name.  Returns the offset
 * just past the name where it started, or -1 when it is malformed: past the
 * end, a pointer that does not land before the last, over 253 characters, a
 * label of a reserved kind, a byte in a label that no name uses (as
 * user/core/dns.c).
 */
static __always_inline int ta_dns_name(struct ta_dns_scratch *s, __u32 off, __u32 text)
{
	struct ta_dns_walk *w = &s->w;

	/* the walk's state lives in the map, never on the stack: the verifier
	 * then knows none of its values, and one pass over the step does */
	w->pos = off;
	w->seg = off;
	w->end = -1;
	w->text = text;
	w->h = TA_FNV_BASIS;
	w->left = 0;
	w->nlen = 0;
	w->done = 0;
	TA_LOOP(ta_dns_step);
	return w->done ? w->end : -1;
}

static __always_inline void ta_dns_rules_of(struct ta_dns_scratch *s, __u64 h, __u32 kind)
{
	struct ta_name_key k = { .slot = 0, .kind = kind, .hash = h };
	__u64 *m = bpf_map_lookup_elem(&ta_names, &k);

	if (m)
		s->rules[0] |= *m;
	k.slot = 1;
	m = bpf_map_lookup_elem(&ta_names, &k);
	if (m)
		s->rules[1] |= *m;
}

/* One character of the name asked, from its end (bpf_loop's callback) */
static long ta_dns_match_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	__u8 c;

	if (!s || i >= s->nlen)
		return 1;
	c = s->name.name[(s->nlen - 1 - i) & 0xff];
	s->nhash = ta_fnv_step(s->nhash, c);
	if (c == '.' && s->dots < TA_NAME_SUFFIXES) {
		s->dots++;
		ta_dns_rules_of(s, s->nhash, TA_NAME_SUFFIX);
	}
	return 0;
}
TA_LOOP_CB(ta_dns_match_step, TA_NAME_MAX)

/* The rules, per slot, whose name patterns match s->name: the name read
 * from its end, each suffix that starts at a dot tried as a wildcard's, the
 * whole name as an exact one (ta_name_hash) */
static __always_inline void ta_dns_match(struct ta_dns_scratch *s)
{
	s->rules[0] = 0;
	s->rules[1] = 0;
	s->nhash = TA_FNV_BASIS;
	s->dots = 0;
	TA_LOOP(ta_dns_match_step);
	ta_dns_rules_of(s, s->nhash, TA_NAME_EXACT);
}

/* The first pass, one answer record (bpf_loop's callback): its owner,
 * type, class, TTL and data, and a CNAME's target, kept in s->rr; 1 stops
 * the walk, at the end (s->nrr == s->an) or at a malformed record (as
 * user/core/dns.c, which refuses the whole message then: so does this). */
static long ta_dns_rr_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	struct ta_dns_rr *r;
	__u32 n, rd, rdlen, o32;
	int o;

	if (!s || i >= s->an || i >= TA_DNS_RRS)
		return 1;
	n = s->len;
	r = &s->rr[i & (TA_DNS_RRS - 1)];
	o = ta_dns_name(s, s->off, 0);
	o32 = o;
	if (o < 0 || o32 + 10 > n)
		return 1;
	r->owner = s->whash;
	r->type = ta_dns_u16(s, o32);
	r->class = ta_dns_u16(s, o32 + 2);
	r->ttl = (ta_dns_u16(s, o32 + 4) << 16) | ta_dns_u16(s, o32 + 6);
	rdlen = ta_dns_u16(s, o32 + 8);
	rd = o32 + 10;
	if (rd + rdlen > n)
		return 1;
	r->rd = rd;
	r->target = 0;
	r->bad_target = 0;
	if (r->class == TA_DNS_C_IN) {
		if ((r->type == TA_DNS_T_A && rdlen != 4) || (r->type == TA_DNS_T_AAAA && rdlen != 16))
			return 1;
		if (r->type == TA_DNS_T_CNAME) {
			r->bad_target = ta_dns_name(s, rd, 0) < 0;
			r->target = s->whash;
		}
	}
	s->off = rd + rdlen;
	s->nrr = i + 1;
	return 0;
}
TA_LOOP_CB(ta_dns_rr_step, TA_DNS_RRS)

/* Which link of the chain a name hash is, or -1 */
static __always_inline int ta_dns_link(const struct ta_dns_scratch *s, __u64 h)
{
	int link = -1;

#pragma unroll
	for (int i = 0; i < TA_DNS_CHAIN; i++)
		if (i < s->nchain && s->chain[i] == h && link < 0)
			link = i;
	return link;
}

/* The second pass (bpf_loop's callback, up to TA_DNS_CHAIN passes over the
 * records, i / TA_DNS_RRS the pass): a CNAME of a link of the chain adds
 * its target, whatever the order of the records */
static long ta_dns_chain_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	struct ta_dns_rr *r;
	__u32 j = i % TA_DNS_RRS;

	if (!s)
		return 1;
	if (j == 0)
		s->grew = 0;
	if (j < s->nrr) {
		r = &s->rr[j];
		if (r->type == TA_DNS_T_CNAME && r->class == TA_DNS_C_IN && ta_dns_link(s, r->owner) >= 0) {
			if (r->bad_target) {
				s->refused = 1;
				return 1;
			}
			__u32 k = s->nchain;

			if (ta_dns_link(s, r->target) < 0 && k < TA_DNS_CHAIN) {
				/* restated out of the compiler's sight: Linux 6.1 loses
				 * the bound of the compare once k is spilled */
				barrier_var(k);
				k &= TA_DNS_CHAIN - 1;
				s->chain[k] = r->target;
				s->nchain = k + 1;
				s->grew = 1;
			}
		}
	}
	return j == TA_DNS_RRS - 1 && !s->grew;
}
TA_LOOP_CB(ta_dns_chain_step, TA_DNS_CHAIN *TA_DNS_RRS)

/* An address of the chain: learned for its TTL, within the floor and cap */
static __always_inline void ta_dns_learn(struct ta_dns_scratch *s, __u32 rd, int v4, __u32 ttl)
{
	struct ta_addr_key a = {};
	struct ta_learned v = {};

	if (v4) {
		a.addr[10] = 0xff;
		a.addr[11] = 0xff;
#pragma unroll
		for (int i = 0; i < 4; i++)
			a.addr[12 + i] = s->msg[(rd + i) & TA_DNS_MASK];
	} else {
#pragma unroll
		for (int i = 0; i < 16; i++)
			a.addr[i] = s->msg[(rd + i) & TA_DNS_MASK];
	}
	if (ttl < cfg_dns_ttl_min)
		ttl = cfg_dns_ttl_min;
	if (ttl > cfg_dns_ttl_max)
		ttl = cfg_dns_ttl_max;
	v.expires_ns = ta_learn_now() + (__u64)ttl * TA_NSEC_PER_SEC;
	v.rules[0] = s->rules[0];
	v.rules[1] = s->rules[1];
	v.name = s->nhash;
	/* drift: a rule of the name, with addresses, none of which covers this one */
	v.drift[0] = s->rules[0] & addr_rules[0] & ~ta_lpm(0, a.addr);
	v.drift[1] = s->rules[1] & addr_rules[1] & ~ta_lpm(1, a.addr);
	if (v.drift[active_gen & 1])
		ta_count(TA_C_DNS_DRIFT);
	if (!bpf_map_lookup_elem(&ta_learned, &a))
		ta_count(TA_C_DNS_NEW);
	if (bpf_map_update_elem(&ta_learned, &a, &v, BPF_ANY))
		return;
	ta_count(TA_C_DNS_LEARNED);
	if (v4) { /* the prefilter lets the address's /16 through, in both slots */
		__u32 h16 = ((__u32)a.addr[12] << 8) | a.addr[13];

		barrier_var(h16);
		h16 &= 0xffff;
		ta_fetch_or(&cover16[0][h16 >> 6], 1ull << (h16 & 63));
		ta_fetch_or(&cover16[1][h16 >> 6], 1ull << (h16 & 63));
	}
	if (!learned_any)
		learned_any = 1;
}

/* The third pass (bpf_loop's callback): the addresses of the chain's
 * names, the first TA_DNS_ADDRS of them */
static long ta_dns_addr_step(__u64 i, void *ctx)
{
	struct ta_dns_scratch *s = ta_dns_buf();
	struct ta_dns_rr *r;

	if (!s || i >= s->nrr || i >= TA_DNS_RRS || s->naddrs >= TA_DNS_ADDRS)
		return 1;
	r = &s->rr[i & (TA_DNS_RRS - 1)];
	if (r->class != TA_DNS_C_IN || (r->type != TA_DNS_T_A && r->type != TA_DNS_T_AAAA) ||
	    ta_dns_link(s, r->owner) < 0)
		return 0;
	s->naddrs++;
	ta_dns_learn(s, r->rd, r->type == TA_DNS_T_A, r->ttl);
	return 0;
}
TA_LOOP_CB(ta_dns_addr_step, TA_DNS_RRS)

/* An answer to a query seen leaving, for a name of the policy, its
 * records from off: every record read first, then the CNAME chain, then
 * the chain's addresses learned */
static __always_inline void ta_dns_answer(struct ta_dns_scratch *s, __u32 off)
{
	s->an = ta_dns_u16(s, 6);
	if (s->an > TA_DNS_RRS) { /* more than it reads: nothing learned */
		ta_count(TA_C_DNS_CUT);
		return;
	}
	s->off = off;
	s->nrr = 0;
	TA_LOOP(ta_dns_rr_step);
	if (s->nrr != s->an) {
		ta_count(s->cut ? TA_C_DNS_CUT : TA_C_DNS_BAD);
		return;
	}
	s->chain[0] = s->qwhash;
	s->nchain = 1;
	s->refused = 0;
	TA_LOOP(ta_dns_chain_step);
	if (s->refused) {
		ta_count(TA_C_DNS_BAD);
		return;
	}
	ta_count(TA_C_DNS_ANSWERS);
	bpf_map_update_elem(&ta_dnames, &s->nhash, &s->name, BPF_ANY);
	s->naddrs = 0;
	TA_LOOP(ta_dns_addr_step);
}

/* The query key of a packet: its client end is the source of a query, the
 * destination of an answer */
static __always_inline void ta_dnsq_key_of(struct ta_dnsq_key *k, const struct ta_tuple *t, int answer, __u32 id)
{
	__builtin_memcpy(k->client, answer ? t->dst : t->src, 16);
	__builtin_memcpy(k->server, answer ? t->src : t->dst, 16);
	k->cport = answer ? t->dport : t->sport;
	k->id = id;
	k->proto = t->proto;
}

/*
 * The DNS message in the scratch buffer, of a packet going dir: a query
 * going out is remembered; an answer coming in to one, for a name of the
 * policy, is learned from.
 */
TA_FUNC int ta_dns_msg(TA_PKT_PARAM __u32 dir)
{
	TA_PKT_LOCAL
	struct ta_dns_scratch *s = ta_dns_buf();
	struct ta_dnsq_key k = {};
	__u32 flags;
	__u64 *q, qhash;
	int o, answer;

	if (!s || !p || s->len < 12)
		return 0;
	flags = ta_dns_u16(s, 2);
	/* a standard query or its answer, of one question */
	if ((flags >> 11) & 0xf || ta_dns_u16(s, 4) != 1)
		return 0;
	answer = flags >> 15;
	if (dir != (answer ? TA_DIR_IN : TA_DIR_OUT))
		return 0;
	o = ta_dns_name(s, 12, 1);
	if (o < 0 || (__u32)o + 4 > s->len) {
		ta_count(TA_C_DNS_BAD);
		return 0;
	}
	qhash = s->whash;
	s->qwhash = qhash;
	ta_dnsq_key_of(&k, &p->t, answer, ta_dns_u16(s, 0));
	if (!answer) {
		bpf_map_update_elem(&ta_dnsq, &k, &qhash, BPF_ANY);
		return 0;
	}
	q = bpf_map_lookup_elem(&ta_dnsq, &k);
	if (!q || *q != qhash) {
		ta_count(TA_C_DNS_UNASKED);
		return 0;
	}
	bpf_map_delete_elem(&ta_dnsq, &k);
	if (flags & 0xf) /* an error: nothing to learn */
		return 0;
	ta_dns_match(s);
	if (!(s->rules[0] | s->rules[1]))
		return 0;
	ta_dns_answer(s, o + 4);
	return 0;
}

/*
 * Per context type, the DNS message of a packet read into the scratch
 * buffer (at most TA_DNS_BUF bytes; over TCP, only a segment that holds a
 * whole message), then ta_dns_msg.  mode: the hook's direction mode; the
 * modes without a direction (replay) take it from the port.
 */
#define TA_DEFINE_DNS(sfx, ctx_t, LOAD)                                                                                \
	TA_FUNC int ta_dns_##sfx(ctx_t *ctx, TA_PKT_PARAM __u32 mode)                                                  \
	{                                                                                                              \
		TA_PKT_LOCAL                                                                                           \
		struct ta_dns_scratch *s = ta_dns_buf();                                                               \
		__u32 len, off, dir;                                                                                   \
		__u8 pfx[2];                                                                                           \
                                                                                                                       \
		if (!s || !p || !p->dns_len)                                                                           \
			return 0;                                                                                      \
		len = p->dns_len;                                                                                      \
		off = p->dns_off;                                                                                      \
		if (p->t.proto == TA_IPPROTO_TCP) {                                                                    \
			if (off < 2 || LOAD(ctx, off - 2, pfx, 2))                                                     \
				return 0;                                                                              \
			if (((__u32)pfx[0] << 8 | pfx[1]) > len) {                                                     \
				ta_count(TA_C_DNS_CUT);                                                                \
				return 0;                                                                              \
			}                                                                                              \
			len = (__u32)pfx[0] << 8 | pfx[1];                                                             \
		}                                                                                                      \
		s->cut = len > TA_DNS_BUF;                                                                             \
		if (len > TA_DNS_BUF)                                                                                  \
			len = TA_DNS_BUF;                                                                              \
		if (len < 12 || LOAD(ctx, off, s->msg, len))                                                           \
			return 0;                                                                                      \
		s->len = len;                                                                                          \
		if (mode == TA_DM_IN || mode == TA_DM_OUT)                                                             \
			dir = mode;                                                                                    \
		else                                                                                                   \
			dir = p->t.dport == 53 ? TA_DIR_OUT : TA_DIR_IN;                                               \
		return ta_dns_msg(TA_PKT_ARG(p) dir);                                                                  \
	}

#endif /* TA_DNS_H */
