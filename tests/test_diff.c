// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Differential test: thousands of random and mutated frames through the BPF
 * programs and through a small reference classifier written here from the
 * verdict rules of the datapath issue (README "Verdicts"), not from the BPF
 * code.  The reference reads the *parsed* policy (rules, prefixes, ranges),
 * not the compiled map images, so the compiler is checked too.  Verdict,
 * rule and direction must agree for every frame, and a frame is never
 * `allowed` unless its rule really covers its address, protocol and port.
 * Deterministic: the seed is printed; TA_DIFF_SEED and TA_DIFF_N change it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <uthash.h>
#include "harness.h"
#include "pkt.h"

/* ---------------- the reference classifier ---------------- */

struct rtuple {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int proto, family, frag; /* frag: 0 none, 1 first, 2 later */
	uint32_t frag_id;
};

struct rflow_key {
	uint8_t local[16], remote[16];
	uint16_t lport, rport;
	int proto;
};

struct rflow {
	struct rflow_key k;
	UT_hash_handle hh;
	int opener;
	int any_unexpected;
	int first_rule; /* first rule that allowed one of its packets, -1 */
	int used;
};

struct rfrag {
	uint8_t src[16], dst[16];
	uint32_t id;
	int proto, verdict, rule, used;
};

/* flows: as many as the frames make (the datapath's table is sized to hold
 * them all, so neither side forgets one); fragments: few keys */
#define RMAX 65536
static struct rflow *rflows;
static struct rfrag rfrags[RMAX];
static int nrfrags;

static void rflows_free(void)
{
	struct rflow *f, *t;

	HASH_ITER(hh, rflows, f, t) {
		HASH_DEL(rflows, f);
		free(f);
	}
}

static const struct ta_policy *rpol;

static uint16_t g16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

static int prefix_has(const struct ta_prefix *p, const uint8_t a[16])
{
	for (int bit = 0; bit < p->len; bit++) {
		int m = 0x80 >> (bit % 8);
		if ((p->addr[bit / 8] & m) != (a[bit / 8] & m))
			return 0;
	}
	return 1;
}

static int rule_has_addr(const struct ta_rule *r, const uint8_t a[16])
{
	for (size_t i = 0; i < r->nprefixes; i++)
		if (prefix_has(&r->prefixes[i], a))
			return 1;
	return 0;
}

static int covered(const uint8_t a[16])
{
	for (size_t i = 0; i < rpol->nrules; i++)
		if (rule_has_addr(&rpol->rules[i], a))
			return 1;
	return 0;
}

static int rule_proto_port(const struct ta_rule *r, int proto, uint16_t port)
{
	if (r->pclass == TA_PC_ICMP)
		return proto == 1 || proto == 58;
	if ((r->pclass == TA_PC_TCP && proto != 6) || (r->pclass == TA_PC_UDP && proto != 17))
		return 0;
	for (size_t i = 0; i < r->nranges; i++)
		if (port >= r->ranges[i].lo && port <= r->ranges[i].hi)
			return 1;
	return 0;
}

/* First rule (in policy order) allowing remote/proto/port for a packet of
 * direction dir; opener: the side that opened its flow (-1: judge without
 * flow state, as if the packet opened it).  A rule's direction says who may
 * open a flow, so only the opener's direction counts, for every packet. */
static int match(const uint8_t remote[16], int proto, uint16_t rport, int dir, int opener)
{
	int who = opener >= 0 ? opener : dir;

	for (size_t i = 0; i < rpol->nrules; i++) {
		const struct ta_rule *r = &rpol->rules[i];

		if (((r->dir >> who) & 1) && rule_has_addr(r, remote) && rule_proto_port(r, proto, rport))
			return (int)i;
	}
	return -1;
}

static struct rflow *flow_find(const struct rtuple *t, int dir, int create)
{
	const uint8_t *local = dir == TA_DIR_OUT ? t->src : t->dst;
	const uint8_t *remote = dir == TA_DIR_OUT ? t->dst : t->src;
	uint16_t lport = dir == TA_DIR_OUT ? t->sport : t->dport;
	uint16_t rport = dir == TA_DIR_OUT ? t->dport : t->sport;

	struct rflow_key k;
	struct rflow *f;

	memset(&k, 0, sizeof(k));
	memcpy(k.local, local, 16);
	memcpy(k.remote, remote, 16);
	k.lport = lport;
	k.rport = rport;
	k.proto = t->proto;
	HASH_FIND(hh, rflows, &k, sizeof(k), f);
	if (f || !create)
		return f;
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->k = k;
	HASH_ADD(hh, rflows, k, sizeof(k), f);
	f->opener = dir;
	f->first_rule = -1;
	return f;
}

static struct rfrag *frag_find(const struct rtuple *t)
{
	for (int i = 0; i < nrfrags; i++) {
		struct rfrag *f = &rfrags[i];
		if (f->id == t->frag_id && f->proto == t->proto && !memcmp(f->src, t->src, 16) &&
		    !memcmp(f->dst, t->dst, 16))
			return f;
	}
	return NULL;
}

static void frag_put(const struct rtuple *t, int verdict, int rule)
{
	struct rfrag *f = frag_find(t);

	if (!f) {
		if (nrfrags >= RMAX)
			return;
		f = &rfrags[nrfrags++];
	}
	memcpy(f->src, t->src, 16);
	memcpy(f->dst, t->dst, 16);
	f->id = t->frag_id;
	f->proto = t->proto;
	f->verdict = verdict;
	f->rule = rule;
}

/* Parse one IP packet at b[0..n) (payload_limit: bytes the IP header says
 * follow it).  quoted: a copy inside an ICMP error (8 bytes of L4 only).
 * Returns 0 ok, -1 malformed; *l4 set to the L4 offset. */
static int rparse_ip(const uint8_t *b, int n, int v4, struct rtuple *t, int quoted, int *l4,
		     int *l4len)
{
	memset(t, 0, sizeof(*t));
	if (v4) {
		if (n < 20 || (b[0] >> 4) != 4 || (b[0] & 15) < 5)
			return -1;
		int hl = (b[0] & 15) * 4, tot = g16(b + 2);
		if (tot < hl || n < hl)
			return -1;
		t->family = 4;
		t->proto = b[9];
		t->src[10] = t->src[11] = t->dst[10] = t->dst[11] = 0xff;
		memcpy(t->src + 12, b + 12, 4);
		memcpy(t->dst + 12, b + 16, 4);
		uint16_t fo = g16(b + 6);
		t->frag = (fo & 0x1fff) ? 2 : (fo & 0x2000) ? 1 : 0;
		t->frag_id = g16(b + 4);
		*l4 = hl;
		*l4len = tot - hl;
	} else {
		if (n < 40 || (b[0] >> 4) != 6)
			return -1;
		t->family = 6;
		memcpy(t->src, b + 8, 16);
		memcpy(t->dst, b + 24, 16);
		int left = g16(b + 4), off = 40, nh = b[6], count = 0;
		for (;;) {
			int len;
			if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44)
				break;
			if (count == 6)
				return -1; /* chain longer than the bound */
			if (off + 2 > n)
				return -1;
			if (nh == 44) {
				if (off + 8 > n)
					return -1;
				uint16_t fo = g16(b + off + 2);
				t->frag_id = (uint32_t)g16(b + off + 4) << 16 | g16(b + off + 6);
				t->frag = (fo & 0xfff8) ? 2 : (fo & 1) ? 1 : 0;
				len = 8;
			} else if (nh == 51) {
				len = (b[off + 1] + 2) * 4;
			} else {
				len = (b[off + 1] + 1) * 8;
			}
			if (left < len || off + len > n)
				return -1;
			nh = b[off];
			left -= len;
			off += len;
			count++;
			if (t->frag == 2)
				break;
		}
		t->proto = nh;
		*l4 = off;
		*l4len = left;
	}
	if (t->frag == 2)
		return 0;
	const uint8_t *l = b + *l4;
	int avail = n - *l4;
	if (t->proto == 6) {
		if (quoted)
			return avail >= 8 ? (t->sport = g16(l), t->dport = g16(l + 2), 0) : -1;
		if (avail < 20 || *l4len < 20 || (l[12] >> 4) < 5)
			return -1;
		int doff = (l[12] >> 4) * 4;
		if (avail < doff || *l4len < doff)
			return -1;
		t->sport = g16(l);
		t->dport = g16(l + 2);
	} else if (t->proto == 17) {
		if (avail < 8 || (!quoted && *l4len < 8))
			return -1;
		/* the UDP length: at least a header, at most the IP payload
		 * (a first fragment's datagram goes on past it) */
		if (!quoted && (g16(l + 4) < 8 || (g16(l + 4) > *l4len && t->frag != 1)))
			return -1;
		t->sport = g16(l);
		t->dport = g16(l + 2);
	} else if (t->proto == 1 || t->proto == 58) {
		if (avail < 8 || (!quoted && *l4len < 8))
			return -1;
		int echo = t->proto == 1 ? (l[0] == 8 || l[0] == 0) : (l[0] == 128 || l[0] == 129);
		if (echo)
			t->sport = t->dport = g16(l + 4);
	}
	return 0;
}

struct rres {
	int verdict, rule, dir;
};

static struct rres reference(const uint8_t *b, int n, int dir)
{
	struct rres r = { TA_V_OTHER, -1, TA_DIR_NONE };
	int off = 12, tags = 0;
	uint16_t et;

	if (n < 14) {
		r.verdict = TA_V_INVALID;
		r.dir = dir;
		return r;
	}
	et = g16(b + 12);
	while (et == 0x8100 || et == 0x88a8) {
		if (tags == 2 || off + 6 > n) {
			r.verdict = TA_V_INVALID;
			r.dir = dir;
			return r;
		}
		et = g16(b + off + 4);
		off += 4;
		tags++;
	}
	off += 2;
	if (et != 0x0800 && et != 0x86dd) {
		r.dir = dir; /* not IP: other, in the direction of the hook that saw it */
		return r;
	}
	r.dir = dir;

	struct rtuple t;
	int l4, l4len;
	if (rparse_ip(b + off, n - off, et == 0x0800, &t, 0, &l4, &l4len)) {
		r.verdict = TA_V_INVALID;
		return r;
	}
	/* ICMP error: parse its quote */
	if (t.frag != 2 && (t.proto == 1 || t.proto == 58)) {
		const uint8_t *ic = b + off + l4;
		int err = t.proto == 1 ? (ic[0] == 3 || ic[0] == 11 || ic[0] == 12) : (ic[0] >= 1 && ic[0] <= 4);
		if (err) {
			struct rtuple q;
			int ql4, ql4len;
			int qoff = off + l4 + 8;
			if (rparse_ip(b + qoff, n - qoff, t.proto == 1, &q, 1, &ql4, &ql4len)) {
				r.verdict = TA_V_INVALID;
				return r;
			}
			int qdir = dir ^ 1;
			const uint8_t *qrem = qdir == TA_DIR_OUT ? q.dst : q.src;
			if (covered(qrem)) {
				struct rflow *f = flow_find(&q, qdir, 0);
				if (f) {
					if (f->any_unexpected || f->first_rule < 0) {
						r.verdict = TA_V_UNEXPECTED;
					} else {
						r.verdict = TA_V_ALLOWED;
						r.rule = f->first_rule;
					}
				} else {
					int m = match(qrem, q.proto, qdir == TA_DIR_OUT ? q.dport : q.sport, qdir, -1);
					r.verdict = m >= 0 ? TA_V_ALLOWED : TA_V_UNEXPECTED;
					r.rule = m;
				}
				return r;
			}
		}
	}
	const uint8_t *remote = dir == TA_DIR_OUT ? t.dst : t.src;
	if (!covered(remote))
		return r;
	if (t.frag == 2) {
		struct rfrag *fr = frag_find(&t);
		if (fr) {
			r.verdict = fr->verdict;
			r.rule = fr->rule;
		} else {
			r.verdict = TA_V_UNEXPECTED;
			frag_put(&t, TA_V_UNEXPECTED, -1);
		}
		return r;
	}
	struct rflow *f = flow_find(&t, dir, 1);
	int m = match(remote, t.proto, dir == TA_DIR_OUT ? t.dport : t.sport, dir, f ? f->opener : dir);
	r.verdict = m >= 0 ? TA_V_ALLOWED : TA_V_UNEXPECTED;
	r.rule = m;
	if (f) {
		if (m < 0)
			f->any_unexpected = 1;
		else if (f->first_rule < 0)
			f->first_rule = m;
	}
	if (t.frag == 1)
		frag_put(&t, r.verdict, r.rule);
	return r;
}

/* ---------------- random frames ---------------- */

static unsigned long long seed_state;
static unsigned rnd(void)
{
	seed_state = seed_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(seed_state >> 33);
}
#define PICK(a) (a[rnd() % (sizeof(a) / sizeof(a[0]))])

static const char *const remote4[] = {
	"70.42.47.64", "70.42.47.127", "70.42.47.63", "70.42.47.128", "70.42.47.70", "70.42.47.71",
	"72.5.167.128", "72.5.167.191", "72.5.167.127", "72.5.167.192", "212.118.226.32",
	"212.118.226.63", "212.118.226.31", "212.118.226.64", "216.151.209.20", "216.151.209.15",
	"216.151.209.21", "198.51.100.7", "203.0.113.9", "192.0.2.1", "198.18.0.1",
	"100.64.7.5", "100.64.8.5", "100.64.9.5",
};
static const char *const remote6[] = {
	"2001:db8:100::1", "2001:db8:100:ffff:ffff:ffff:ffff:ffff", "2001:db8:101::1",
	"2001:db8:ff::1", "2001:db8:ffff::1", "2001:db8:72::1",
};
static const uint16_t ports[] = { 0, 1, 22, 53, 80, 443, 1024, 1025, 3478, 3479, 5353, 5560, 8443, 40000, 65535 };
static const int ext_types[] = { 0, 43, 60, 51 };

static void random_pk(struct pk *p, int *dir, struct pk *quote_store, const struct pk *history, int nhist)
{
	int v6 = rnd() % 4 == 0;
	const char *rem = v6 ? PICK(remote6) : PICK(remote4);
	const char *loc = v6 ? "fd00::5" : "10.1.0.5";

	/* a quarter of the frames answer an earlier one: the stateful paths */
	if (nhist && rnd() % 4 == 0) {
		const struct pk *h = &history[rnd() % nhist];
		int hdir = !strncmp(h->src, "10.1.", 5) || !strncmp(h->src, "fd00", 4) ? TA_DIR_OUT : TA_DIR_IN;

		*p = PK(.family = h->family, .src = h->dst, .dst = h->src, .proto = h->proto,
			.sport = h->dport, .dport = h->sport, .icmp_type = h->icmp_type,
			.tcp_flags = (uint8_t)(h->tcp_flags == 0x02 ? 0x12 : 0x10));
		if (h->proto == 1)
			p->icmp_type = h->icmp_type == 8 ? 0 : 8;
		*dir = hdir ^ 1;
		return;
	}
	*p = PK(.family = v6 ? 6 : 4);
	*dir = rnd() & 1;
	p->src = *dir == TA_DIR_OUT ? loc : rem;
	p->dst = *dir == TA_DIR_OUT ? rem : loc;
	switch (rnd() % 10) {
	case 0: case 1: case 2: case 3: p->proto = 17; break;
	case 4: case 5: case 6: p->proto = 6; break;
	case 7: case 8: p->proto = v6 ? 58 : 1; break;
	default: p->proto = rnd() & 1 ? 47 : 50;
	}
	/* ports from a small set so flows repeat and answers find their flow */
	p->sport = rnd() % 3 ? PICK(ports) : (uint16_t)rnd();
	p->dport = rnd() % 3 ? PICK(ports) : (uint16_t)rnd();
	p->tcp_flags = (uint8_t)(rnd() % 2 ? 0x02 : rnd() % 2 ? 0x12 : rnd());
	p->icmp_type = (uint8_t)(rnd() % 2 ? (v6 ? 128 + rnd() % 2 : (rnd() % 2) * 8) : rnd() % 14);
	p->icmp_code = (uint8_t)(rnd() % 16);
	p->payload = (int)(rnd() % 64);
	if (rnd() % 6 == 0)
		p->vlans = (int)(rnd() % 4);
	if (!v6 && rnd() % 6 == 0)
		p->ip4_opts = (int)(rnd() % 11) * 4;
	if (v6 && rnd() % 4 == 0) {
		p->n_ext = (int)(rnd() % 8);
		for (int i = 0; i < p->n_ext; i++)
			p->ip6_ext[i] = PICK(ext_types);
	}
	if (rnd() % 6 == 0) {
		p->frag = 1 + (int)(rnd() % 2);
		p->frag_id = rnd() % 8;
	}
	/* an ICMP error quoting an earlier packet, turned around */
	if ((p->proto == 1 || p->proto == 58) && nhist && rnd() % 2) {
		const struct pk *h = &history[rnd() % nhist];
		if ((h->family == 6) == v6 && h->proto != 1 && h->proto != 58 && !h->frag) {
			*quote_store = *h;
			quote_store->quote = NULL;
			quote_store->cut = 0;
			p->quote = quote_store;
			p->icmp_type = (uint8_t)(v6 ? 1 + rnd() % 4 : PICK(((const uint8_t[]){ 3, 11, 12 })));
			p->src = v6 ? "2001:db8:ffff::1" : "198.18.0.1";
			/* it comes back towards the quoted packet's sender */
			p->dst = h->src;
			*dir = h->src[0] == '1' && h->src[1] == '0' && h->src[2] == '.' ? TA_DIR_IN :
			       !strncmp(h->src, "fd00", 4) ? TA_DIR_IN : TA_DIR_OUT;
			if (rnd() % 8 == 0)
				p->quote_len = (int)(rnd() % 40);
		}
	}
	/* malformations */
	switch (rnd() % 24) {
	case 0: p->ihl = (int)(rnd() % 16); break;
	case 1: p->tot_len = (int)(rnd() % 80); break;
	case 2: p->doff = (int)(rnd() % 16); break;
	case 3: p->version = (int)(rnd() % 16); break;
	case 4: p->cut = 14 + (int)(rnd() % 80); break;
	case 5: p->udp_len = (int)(rnd() % 2 ? rnd() % 8 : rnd() % 128); break;
	default: break;
	}
}

/* A second policy for the reload run: other prefixes (some of them wider
 * than a /16, or written as IPv4-mapped IPv6, which the IPv4 prefilter must
 * honour), other rule numbers for the same addresses, addresses dropped. */
static const char policy_b[] =
	"rule wide\n proto udp\n ports 1025-65535\n dir both\n addr 64.0.0.0/3\n"
	"rule ctl\n proto tcp\n ports 443 80\n dir out\n addr 212.118.226.0/24\n addr 2001:db8::/32\n"
	"rule mapped\n proto tcp\n ports 22 8443\n dir in\n addr ::ffff:192.0.0.0/104\n"
	"rule icmp\n proto icmp\n dir both\n addr 198.0.0.0/8\n addr 203.0.113.9\n";

static void run_diff(int xdp_dir_in, int reload)
{
	struct ta_policy pol, polb;
	struct ta_compiled comp, compb;
	struct ta_dp dp;
	const char *s = getenv("TA_DIFF_SEED");
	const char *ns = getenv("TA_DIFF_N");
	int n = ns ? atoi(ns) : 6000;
	/* every frame may open a flow: a table that never evicts */
	struct ta_dp_opts o = { .record_last = true, .flow_entries = n > 131072 ? (unsigned)n : 0 };
	static struct pk history[64], quotes[64];
	int nhist = 0, mutated = 0, counts[TA_V_MAX] = { 0 };

	if (!ta_need_root())
		return;
	ta_test_policy(&pol, &comp, TA_TEST_POLICY_EXTRA);
	if (reload) {
		struct ta_diags d = { 0 };

		assert_int_equal(ta_policy_parse(policy_b, sizeof(policy_b) - 1, "b", &polb, &d), 0);
		ta_diags_free(&d);
		assert_int_equal(ta_policy_compile(&polb, &compb), 0);
	}
	rpol = &pol;
	rflows_free();
	nrfrags = 0;
	o.xdp_dir_mode = xdp_dir_in ? TA_DM_IN : TA_DM_OUT;
	o.tc_dir_mode = xdp_dir_in ? TA_DM_OUT : TA_DM_IN;
	assert_int_equal(ta_dp_open(&dp, &o), 0);
	assert_int_equal(ta_dp_set_policy(&dp, &comp), 0);
	seed_state = s ? strtoull(s, NULL, 0) : 20131823ULL + (unsigned)xdp_dir_in;
	printf("diff seed %llu, %d frames, xdp sees %s\n", seed_state, n, xdp_dir_in ? "in" : "out");

	for (int i = 0; i < n; i++) {
		struct pk p;
		int dir;
		uint8_t frame[PK_MAX];
		int slot = i % 64;

		/* reload: the two policies take turns every 500 frames, flows stay */
		if (reload && i && i % 500 == 0) {
			int to_b = (i / 500) % 2;

			rpol = to_b ? &polb : &pol;
			assert_int_equal(ta_dp_set_policy(&dp, to_b ? &compb : &comp), 0);
		}
		random_pk(&p, &dir, &quotes[slot], history, nhist);
		int len = pk_build(&p, frame);
		/* a few frames get random bytes flipped after building */
		if (rnd() % 10 == 0) {
			int flips = 1 + (int)(rnd() % 4);
			for (int k = 0; k < flips; k++)
				frame[rnd() % len] = (uint8_t)rnd();
			mutated++;
		}
		if (p.quote)
			p.quote = NULL; /* the history keeps no pointers to reused slots */
		history[slot] = p;
		if (nhist < 64)
			nhist++;

		uint32_t ret;
		int via_xdp = (dir == TA_DIR_IN) == !!xdp_dir_in;
		int rr = via_xdp ? ta_dp_run_xdp(&dp, frame, (uint32_t)len, &ret)
				 : ta_dp_run_tc(&dp, frame, (uint32_t)len, &ret);
		if (rr == -EINVAL && !via_xdp)
			continue; /* an skb the kernel's test runner will not build */
		assert_int_equal(rr, 0);
		const struct ta_last *l = ta_dp_last(&dp);
		struct rres want = reference(frame, len, dir);
		int got_rule = l->rule == TA_NO_RULE ? -1 : (int)l->rule;

		if (l->verdict != want.verdict || got_rule != want.rule || l->dir != want.dir) {
			fprintf(stderr, "frame %d (%d bytes, %s):", i, len, via_xdp ? "xdp" : "tc");
			for (int k = 0; k < len && k < 96; k++)
				fprintf(stderr, " %02x", frame[k]);
			fail_msg("frame %d: bpf says %s rule %d dir %d, reference %s rule %d dir %d", i,
				 ta_verdict_name(l->verdict), got_rule, l->dir, ta_verdict_name(want.verdict),
				 want.rule, want.dir);
		}
		/* nothing is allowed unless its rule covers the remote address */
		/* (an ICMP error carries its flow's rule, and a later fragment
		 * its first fragment's: after a reload maybe a rule of the policy
		 * before, so not checked then) */
		if (l->verdict == TA_V_ALLOWED && !(reload && (l->icmp_err || l->is_frag == 2))) {
			assert_true(got_rule >= 0 && got_rule < (int)rpol->nrules);
			assert_true(rule_has_addr(&rpol->rules[got_rule], l->remote));
		}
		counts[l->verdict]++;
	}
	printf("diff: %d frames (%d mutated): %d allowed, %d unexpected, %d other, %d invalid\n", n,
	       mutated, counts[TA_V_ALLOWED], counts[TA_V_UNEXPECTED], counts[TA_V_OTHER],
	       counts[TA_V_INVALID]);
	/* the generator must reach every verdict, or the test proves little */
	for (int v = 0; v < TA_V_MAX; v++)
		assert_true(counts[v] > n / 50);
	ta_dp_close(&dp);
	rflows_free();
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	if (reload) {
		ta_compiled_free(&compb);
		ta_policy_free(&polb);
	}
}

static void test_diff_xdp_in(void **state) { run_diff(1, 0); }
static void test_diff_xdp_out(void **state) { run_diff(0, 0); }
/* flows that outlive a policy change: a verdict cached under one
 * generation must never answer under the next */
static void test_diff_reload(void **state) { run_diff(1, 1); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff_xdp_in),
		cmocka_unit_test(test_diff_xdp_out),
		cmocka_unit_test(test_diff_reload),
	};

	return cmocka_run_group_tests_name("differential", tests, NULL, NULL);
}
