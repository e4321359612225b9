// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Server names learned from DNS, in the datapath (bpf/dns.h), with
 * BPF_PROG_TEST_RUN: a query leaves through tc (outbound), its answer comes
 * in through XDP, and the first packet to an answered address is judged by
 * the rule whose name pattern the name asked matches.  Then what must not
 * teach anything (no query, another id, another name, errors, malformed
 * messages, more records than read, a TCP answer split over segments), the
 * TTL's floor and cap, a policy reload, and a differential run: random and
 * mutated answers, whose learned addresses must be exactly those the
 * reference parser (user/core/dns.c) gives the chain.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "dns.h"
#include "tls.h"
#include "dnsmsg.h"
#include "pkt.h"
#include "../tests/fuzz/bytes.h"

#define CLIENT   "10.1.0.5"
#define RESOLVER "10.9.9.9"
#define RULES                                                                                                          \
	"rule named\n proto tcp\n ports 443\n dir out\n names *.media.example vid[1-3].example\n"                      \
	"rule alsoaddr\n proto tcp\n ports 8443\n dir out\n names *.media.example\n addr 198.18.7.0/24\n"

struct fx {
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	int media;
};

/* ---- frames through the programs ---- */

/* A DNS message between the client's port cport and the resolver: a query
 * out through tc, an answer in through XDP; over TCP with its length first */
static void send_dns(struct fx *f, const struct msg *m, bool answer, uint16_t cport, int proto)
{
	uint8_t frame[PK_MAX], data[PK_MAX];
	uint32_t ret;
	size_t n = 0;
	struct pk p;

	if (proto == 6) {
		data[n++] = (uint8_t)(m->n >> 8);
		data[n++] = (uint8_t)m->n;
	}
	memcpy(data + n, m->b, m->n);
	n += m->n;
	if (answer)
		p = PK(.family = 4, .src = RESOLVER, .dst = CLIENT, .proto = proto, .sport = 53, .dport = cport,
		       .tcp_flags = 0x18, .payload = (int)n, .data = data);
	else
		p = PK(.family = 4, .src = CLIENT, .dst = RESOLVER, .proto = proto, .sport = cport, .dport = 53,
		       .tcp_flags = 0x18, .payload = (int)n, .data = data);
	int len = pk_build(&p, frame);
	if (answer)
		assert_int_equal(ta_dp_run_xdp(&f->dp, frame, (uint32_t)len, &ret), 0);
	else
		assert_int_equal(ta_dp_run_tc(&f->dp, frame, (uint32_t)len, &ret), 0);
}

/* A new flow's first packet out to addr:port: its verdict, and its rule in *rule */
static int connect_to(struct fx *f, const char *addr, uint16_t port, uint32_t *rule)
{
	static uint16_t sport = 20000;
	uint8_t frame[PK_MAX];
	uint32_t ret;
	struct pk p = PK(.family = strchr(addr, ':') ? 6 : 4, .src = strchr(addr, ':') ? "fd00::5" : CLIENT,
			 .dst = addr, .proto = 6, .sport = sport++, .dport = port, .tcp_flags = 0x02);
	int len = pk_build(&p, frame);

	assert_int_equal(ta_dp_run_tc(&f->dp, frame, (uint32_t)len, &ret), 0);
	if (rule)
		*rule = ta_dp_last(&f->dp)->rule;
	return ta_dp_last(&f->dp)->verdict;
}

static uint64_t counter(struct fx *f, int c)
{
	uint64_t cnt[TA_C_MAX];

	assert_int_equal(ta_dp_counters(&f->dp, cnt), 0);
	return cnt[c];
}

static uint32_t learned_entries; /* 0: the default */

static int open_fx(struct fx *f, const char *rules, uint32_t ttl_min, uint32_t ttl_max)
{
	struct ta_dp_opts o = { .record_last = true,
				.xdp_dir_mode = TA_DM_IN,
				.tc_dir_mode = TA_DM_OUT,
				.dns_ttl_min = ttl_min,

				.dns_ttl_max = ttl_max,
				.learned_entries = learned_entries };

	memset(f, 0, sizeof(*f));
	ta_test_policy(&f->pol, &f->comp, rules);
	f->media = ta_rule_index(&f->pol, "named");
	if (ta_dp_open(&f->dp, &o))
		return -1;
	assert_int_equal(ta_dp_set_policy(&f->dp, &f->comp), 0);
	ta_dp_set_replay_time(&f->dp, 1000 * TA_NSEC_PER_SEC);
	return 0;
}

static void close_fx(struct fx *f)
{
	ta_dp_close(&f->dp);
	ta_compiled_free(&f->comp);
	ta_policy_free(&f->pol);
}

/* A query for name and its answer with one A record */
static void ask(struct fx *f, unsigned id, const char *name, const char *addr, uint32_t ttl, uint16_t cport)
{
	struct msg m;

	mhead(&m, id, false, 0, name, 0);
	send_dns(f, &m, false, cport, 17);
	mhead(&m, id, true, 0, name, 1);
	maddr(&m, NULL, addr, ttl);
	send_dns(f, &m, true, cport, 17);
}

/* The answered address is judged by the rule of the name, from its first packet */
static void test_learned_first_packet(void **state)
{
	struct fx f;
	uint32_t rule;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	assert_int_equal(connect_to(&f, "192.0.2.10", 443, NULL), TA_V_OTHER);
	ask(&f, 0x1234, "live.Media.Example", "192.0.2.10", 300, 33000);
	assert_int_equal(counter(&f, TA_C_DNS_ANSWERS), 1);
	assert_int_equal(counter(&f, TA_C_DNS_LEARNED), 1);
	assert_int_equal(connect_to(&f, "192.0.2.10", 443, &rule), TA_V_ALLOWED);
	assert_int_equal(rule, (uint32_t)f.media);
	/* the rule's ports still apply: another port of the address is unexpected */
	assert_int_equal(connect_to(&f, "192.0.2.10", 22, NULL), TA_V_UNEXPECTED);
	/* a class: vid2 is in, vid4 is not; a wildcard needs a label of its own */
	ask(&f, 7, "vid2.example", "192.0.2.11", 300, 33001);
	assert_int_equal(connect_to(&f, "192.0.2.11", 443, NULL), TA_V_ALLOWED);
	ask(&f, 8, "vid4.example", "192.0.2.12", 300, 33002);
	ask(&f, 9, "media.example", "192.0.2.13", 300, 33003);
	assert_int_equal(connect_to(&f, "192.0.2.12", 443, NULL), TA_V_OTHER);
	assert_int_equal(connect_to(&f, "192.0.2.13", 443, NULL), TA_V_OTHER);
	/* the name and the address both in a rule: either gives it */
	ask(&f, 10, "x.media.example", "198.18.7.9", 300, 33004);
	assert_int_equal(connect_to(&f, "198.18.7.9", 8443, NULL), TA_V_ALLOWED);
	/* IPv6 */
	ask(&f, 11, "v6.media.example", "2001:db8:77::1", 300, 33005);
	assert_int_equal(connect_to(&f, "2001:db8:77::1", 443, &rule), TA_V_ALLOWED);
	assert_int_equal(rule, (uint32_t)f.media);
	/* userspace reads the same (why, flows) with the name asked */
	struct ta_dname d;
	uint8_t a[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 10 };
	struct ta_learned lv;
	assert_true(ta_dp_learned_rules(&f.dp, a, f.dp.generation) & (1ull << f.media));
	assert_int_equal(ta_dp_learned(&f.dp, a, &lv, &d), 0);
	assert_string_equal(d.name, "live.media.example");
	/* drift: alsoaddr names *.media.example and has addresses; 192.0.2.10 is
	 * outside them, 198.18.7.9 inside; so is the IPv6 one outside */
	uint64_t also = 1ull << ta_rule_index(&f.pol, "alsoaddr");
	assert_int_equal(ta_dp_learned(&f.dp, a, &lv, &d), 0);
	assert_int_equal(lv.drift[f.dp.generation & 1], also);
	a[12] = 198, a[13] = 18, a[14] = 7, a[15] = 9;
	assert_int_equal(ta_dp_learned(&f.dp, a, &lv, &d), 0);
	assert_int_equal(lv.drift[f.dp.generation & 1], 0);
	assert_int_equal(counter(&f, TA_C_DNS_DRIFT), 2);
	close_fx(&f);
}

/* What teaches nothing: no query seen, another id, port or name, an error */
static void test_unasked(void **state)
{
	struct fx f;
	struct msg m;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	mhead(&m, 1, true, 0, "a.media.example", 1); /* no query at all */
	maddr(&m, NULL, "192.0.2.20", 300);
	send_dns(&f, &m, true, 33100, 17);
	mhead(&m, 2, false, 0, "b.media.example", 0);
	send_dns(&f, &m, false, 33101, 17);
	mhead(&m, 3, true, 0, "b.media.example", 1); /* another id */
	maddr(&m, NULL, "192.0.2.21", 300);
	send_dns(&f, &m, true, 33101, 17);
	mhead(&m, 2, true, 0, "b.media.example", 1); /* another client port */
	maddr(&m, NULL, "192.0.2.22", 300);
	send_dns(&f, &m, true, 33102, 17);
	mhead(&m, 2, true, 0, "c.media.example", 1); /* another name */
	maddr(&m, NULL, "192.0.2.23", 300);
	send_dns(&f, &m, true, 33101, 17);
	assert_int_equal(counter(&f, TA_C_DNS_UNASKED), 4);
	mhead(&m, 2, true, 0, "b.media.example", 1); /* the right one, once */
	maddr(&m, NULL, "192.0.2.24", 300);
	send_dns(&f, &m, true, 33101, 17);
	maddr(&m, NULL, "192.0.2.25", 300); /* a second answer to the same query */
	send_dns(&f, &m, true, 33101, 17);
	mhead(&m, 4, false, 0, "d.media.example", 0);
	send_dns(&f, &m, false, 33103, 17);
	mhead(&m, 4, true, 3, "d.media.example", 1); /* NXDOMAIN */
	maddr(&m, NULL, "192.0.2.26", 300);
	send_dns(&f, &m, true, 33103, 17);
	mhead(&m, 5, false, 0, "e.media.example", 0); /* a query coming in is no query of ours */
	send_dns(&f, &m, true, 33104, 17);
	for (int i = 20; i <= 26; i++) {
		char a[32];

		snprintf(a, sizeof(a), "192.0.2.%d", i);
		assert_int_equal(connect_to(&f, a, 443, NULL), i == 24 ? TA_V_ALLOWED : TA_V_OTHER);
	}
	assert_int_equal(counter(&f, TA_C_DNS_LEARNED), 1);
	close_fx(&f);
}

/* A CNAME chain in any order, addresses of other names ignored, over TCP too */
static void test_chain_and_tcp(void **state)
{
	struct fx f;
	struct msg m;
	uint8_t frame[PK_MAX];

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	mhead(&m, 21, false, 0, "cdn.media.example", 0);
	send_dns(&f, &m, false, 33200, 17);
	mhead(&m, 21, true, 0, "cdn.media.example", 4);
	maddr(&m, "edge.cdnprov.net", "192.0.2.31", 60); /* before the CNAME that leads to it */
	mcname(&m, "hop.cdnprov.net", "edge.cdnprov.net");
	mcname(&m, NULL, "hop.cdnprov.net");
	maddr(&m, "unrelated.example", "192.0.2.32", 60);
	send_dns(&f, &m, true, 33200, 17);
	assert_int_equal(connect_to(&f, "192.0.2.31", 443, NULL), TA_V_ALLOWED);
	assert_int_equal(connect_to(&f, "192.0.2.32", 443, NULL), TA_V_OTHER);
	/* TCP: a whole message in one segment is read; a split one is not */
	mhead(&m, 22, false, 0, "tcp.media.example", 0);
	send_dns(&f, &m, false, 33201, 6);
	mhead(&m, 22, true, 0, "tcp.media.example", 1);
	maddr(&m, NULL, "192.0.2.33", 60);
	send_dns(&f, &m, true, 33201, 6);
	assert_int_equal(connect_to(&f, "192.0.2.33", 443, NULL), TA_V_ALLOWED);
	mhead(&m, 23, false, 0, "split.media.example", 0);
	send_dns(&f, &m, false, 33202, 6);
	mhead(&m, 23, true, 0, "split.media.example", 1);
	maddr(&m, NULL, "192.0.2.34", 60);
	uint8_t data[PK_MAX] = { 0, (uint8_t)(m.n + 40) }; /* says 40 bytes more than the segment has */
	memcpy(data + 2, m.b, m.n);
	struct pk p = PK(.family = 4, .src = RESOLVER, .dst = CLIENT, .proto = 6, .sport = 53, .dport = 33202,
			 .tcp_flags = 0x18, .payload = (int)m.n + 2, .data = data);
	uint32_t ret;
	int len = pk_build(&p, frame);
	uint64_t cut = counter(&f, TA_C_DNS_CUT);
	assert_int_equal(ta_dp_run_xdp(&f.dp, frame, (uint32_t)len, &ret), 0);
	assert_int_equal(counter(&f, TA_C_DNS_CUT), cut + 1);
	assert_int_equal(connect_to(&f, "192.0.2.34", 443, NULL), TA_V_OTHER);
	close_fx(&f);
}

/* Malformed answers: a pointer loop, a pointer forwards, a label past the
 * end, an address of the wrong length, more records than read */
static void test_malformed(void **state)
{
	struct fx f;
	struct msg m;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	for (int k = 0; k < 5; k++) {
		uint16_t port = (uint16_t)(33300 + k);
		const char *name = "bad.media.example";

		mhead(&m, 40 + k, false, 0, name, 0);
		send_dns(&f, &m, false, port, 17);
		mhead(&m, 40 + k, true, 0, name, k == 4 ? 65 : 2);
		maddr(&m, NULL, "192.0.2.40", 60);
		size_t at = m.n;
		switch (k) {
		case 0: m16(&m, 0xc000 | (unsigned)at); break;       /* points at itself */
		case 1: m16(&m, 0xc000 | (unsigned)(at + 2)); break; /* forwards */
		case 2:
			m.b[m.n++] = 40;
			m.b[m.n++] = 'x';
			break; /* a label past the end */
		case 3:
			mname(&m, NULL);
			m16(&m, 1);
			m16(&m, 1);
			m32(&m, 5);
			m16(&m, 5);
			m32(&m, 0);
			m.b[m.n++] = 0;
			break;
		case 4:
			for (int i = 0; i < 64; i++)
				maddr(&m, NULL, "192.0.2.41", 60);
			break;
		}
		if (k < 2) { /* the record after the bad owner */
			m16(&m, 1);
			m16(&m, 1);
			m32(&m, 5);
			m16(&m, 4);
			m32(&m, 0xc0000229);
		}
		send_dns(&f, &m, true, port, 17);
	}
	assert_int_equal(counter(&f, TA_C_DNS_BAD), 4);
	assert_int_equal(counter(&f, TA_C_DNS_CUT), 1);
	assert_int_equal(counter(&f, TA_C_DNS_LEARNED), 0);
	assert_int_equal(connect_to(&f, "192.0.2.40", 443, NULL), TA_V_OTHER);
	assert_int_equal(connect_to(&f, "192.0.2.41", 443, NULL), TA_V_OTHER);
	close_fx(&f);
}

/* A learned address lives its TTL, within the floor and the cap; a flow
 * opened meanwhile keeps its verdict */
static void test_ttl(void **state)
{
	struct fx f;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f, RULES, 30, 600), 0);
	ask(&f, 50, "short.media.example", "192.0.2.50", 5, 33400);    /* floor: 30 s */
	ask(&f, 51, "long.media.example", "192.0.2.51", 86400, 33401); /* cap: 600 s */
	ta_dp_set_replay_time(&f.dp, 1029 * TA_NSEC_PER_SEC);
	assert_int_equal(connect_to(&f, "192.0.2.50", 443, NULL), TA_V_ALLOWED);
	ta_dp_set_replay_time(&f.dp, 1031 * TA_NSEC_PER_SEC);
	assert_int_equal(connect_to(&f, "192.0.2.50", 443, NULL), TA_V_OTHER);
	ta_dp_set_replay_time(&f.dp, 1599 * TA_NSEC_PER_SEC);
	assert_int_equal(connect_to(&f, "192.0.2.51", 443, NULL), TA_V_ALLOWED);
	ta_dp_set_replay_time(&f.dp, 1601 * TA_NSEC_PER_SEC);
	assert_int_equal(connect_to(&f, "192.0.2.51", 443, NULL), TA_V_OTHER);
	close_fx(&f);
}

/* A reload judges learned addresses by the new policy's names */
static void test_reload(void **state)
{
	struct fx f;
	struct ta_policy p2;
	struct ta_compiled c2;
	struct ta_diags d = { 0 };
	const char *txt = "rule other\n proto tcp\n ports 443\n dir out\n names *.example\n"
			  "rule media\n proto tcp\n ports 443\n dir out\n names nothing.invalid\n";
	uint32_t rule;

	if (!ta_need_root())
		return;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	ask(&f, 60, "r.media.example", "192.0.2.60", 300, 33500);
	assert_int_equal(connect_to(&f, "192.0.2.60", 443, &rule), TA_V_ALLOWED);
	assert_int_equal(rule, (uint32_t)f.media);
	assert_int_equal(ta_policy_parse(txt, strlen(txt), "p2", &p2, &d), 0);
	assert_int_equal(ta_policy_compile(&p2, &c2), 0);
	assert_false(ta_dp_policy_same(&f.dp, &c2));
	assert_int_equal(ta_dp_set_policy(&f.dp, &c2), 0);
	assert_true(ta_dp_policy_same(&f.dp, &c2));
	assert_int_equal(connect_to(&f, "192.0.2.60", 443, &rule), TA_V_ALLOWED);
	assert_int_equal(rule, 0); /* "other" now, by *.example */
	/* and back: media by its name again, in the slot the first policy had */
	assert_int_equal(ta_dp_set_policy(&f.dp, &f.comp), 0);
	assert_int_equal(connect_to(&f, "192.0.2.60", 443, &rule), TA_V_ALLOWED);
	assert_int_equal(rule, (uint32_t)f.media);
	ta_compiled_free(&c2);
	ta_policy_free(&p2);
	close_fx(&f);
}

/* The learned table is bounded: the least recently used go, counted */
static void test_bounded(void **state)
{
	struct fx f;
	struct msg m;
	char addr[32];
	long held;

	if (!ta_need_root())
		return;
	learned_entries = 1024;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	learned_entries = 0;
	assert_int_equal(ta_dp_learned_capacity(&f.dp), 1024);
	for (int i = 0; i < 150; i++) { /* 150 answers of 20 addresses: 3000 */
		mhead(&m, (unsigned)i, false, 0, "many.media.example", 0);
		send_dns(&f, &m, false, (uint16_t)(34000 + i), 17);
		mhead(&m, (unsigned)i, true, 0, "many.media.example", 20);
		for (int a = 0; a < 20; a++) {
			snprintf(addr, sizeof(addr), "100.99.%d.%d", (i * 20 + a) >> 8, (i * 20 + a) & 255);
			maddr(&m, NULL, addr, 300);
		}
		send_dns(&f, &m, true, (uint16_t)(34000 + i), 17);
	}
	held = ta_dp_learned_count(&f.dp);
	assert_true(held > 0 && held <= 1024);
	assert_int_equal(counter(&f, TA_C_DNS_NEW), 3000);
	/* the newest is there; the first ones went */
	assert_int_equal(connect_to(&f, addr, 443, NULL), TA_V_ALLOWED);
	assert_int_equal(connect_to(&f, "100.99.0.0", 443, NULL), TA_V_OTHER);
	close_fx(&f);
}

/* ---- differential: the datapath against the reference parser ---- */

static const char *const pool[] = { "q.media.example", "a.cdn.net", "b.cdn.net", "c.cdn.net", "x.other.org" };

/* A random answer for pool[0]: CNAMEs among the pool, addresses of any of
 * them, other types; owners written out or as pointers */
static void random_answer(struct msg *m, unsigned id)
{
	unsigned an = rnd() % 12;

	mhead(m, id, true, 0, pool[0], an);
	for (unsigned i = 0; i < an; i++) {
		const char *owner = rnd() % 3 ? pool[rnd() % 5] : NULL;
		char addr[64];

		switch (rnd() % 4) {
		case 0: mcname(m, owner, pool[rnd() % 5]); break;
		case 1:
			snprintf(addr, sizeof(addr), "2001:db8:99::%x", rnd() % 0xffff);
			maddr(m, owner, addr, rnd() % 1000);
			break;
		case 2: /* a TXT record */
			mname(m, owner);
			m16(m, 16);
			m16(m, 1);
			m32(m, 1);
			m16(m, 4);
			m32(m, 0x03616263);
			break;
		default:
			snprintf(addr, sizeof(addr), "192.0.%u.%u", 100 + rnd() % 4, rnd() % 256);
			maddr(m, owner, addr, rnd() % 1000);
		}
	}
}

static void own_edit(uint8_t *b, size_t len, size_t pos)
{
	if (pos + 1 < len) { /* a pointer somewhere */
		b[pos] = (uint8_t)(0xc0 | (rnd() % 2));
		b[pos + 1] = (uint8_t)rnd();
	}
}

static void clear_learned(struct fx *f)
{
	int fd = ta_dp_map_fd(&f->dp, TA_M_LEARNED);
	struct ta_addr_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		bpf_map_delete_elem(fd, &k);
}

/* The learned table holds exactly the addresses the reference gives: how many */
static int check_same(struct fx *f, const struct msg *m, int iter)
{
	struct ta_dns_msg ref;
	const char *why = NULL;
	int fd = ta_dp_map_fd(&f->dp, TA_M_LEARNED), n = 0, want = 0;
	struct ta_addr_key k, *prev = NULL;

	if (!ta_dns_parse(m->b, m->n, &ref, &why) && !ref.rcode && !strcmp(ref.chain[0], pool[0]) &&
	    m->n <= TA_DNS_BUF) {
		want = ref.naddrs;
		/* the same address twice is one entry */
		for (int i = 0; i < ref.naddrs; i++)
			for (int j = 0; j < i; j++)
				if (!memcmp(ref.addrs[i].addr, ref.addrs[j].addr, 16)) {
					want--;
					break;
				}
		for (int i = 0; i < ref.naddrs; i++) {
			struct ta_learned v;

			memcpy(k.addr, ref.addrs[i].addr, 16);
			if (bpf_map_lookup_elem(fd, &k, &v))
				fail_msg("iteration %d: %s not learned (reference: %d addresses)", iter,
					 ta_dns_addr_str(&ref.addrs[i], (char[64]){ 0 }, 64), ref.naddrs);
		}
	}
	while (bpf_map_get_next_key(fd, prev, &k) == 0) {
		static struct ta_addr_key kk;

		kk = k;
		prev = &kk;
		n++;
	}
	if (n != want)
		fail_msg("iteration %d: %d addresses learned, the reference gives %d (%s)", iter, n, want,
			 why ? why : "parsed");
	return n;
}

static void test_differential(void **state)
{
	struct fx f;
	struct msg m;
	int iters = getenv("TA_LEARN_N") ? atoi(getenv("TA_LEARN_N")) : 3000, taught = 0, mutated = 0;

	if (!ta_need_root())
		return;
	rng_state = getenv("TA_LEARN_SEED") ? strtoull(getenv("TA_LEARN_SEED"), NULL, 0) : 0x5eed;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	for (int i = 0; i < iters; i++) {
		uint16_t port = (uint16_t)(40000 + i % 20000);

		mhead(&m, (unsigned)i & 0xffff, false, 0, pool[0], 0);
		send_dns(&f, &m, false, port, 17);
		random_answer(&m, (unsigned)i & 0xffff);
		if (i % 2) {
			size_t n = mutate_bytes(m.b + 12, m.n - 12, sizeof(m.b) - 12, own_edit);
			m.n = 12 + n;
		}
		send_dns(&f, &m, true, port, 17);
		if (check_same(&f, &m, i)) {
			taught++;
			mutated += i % 2;
		}
		clear_learned(&f);
	}
	/* the run compared something: answers that taught, mutated ones among them */
	fprintf(stderr, "differential: %d answers, %d taught addresses (%d of them mutated)\n", iters, taught, mutated);
	assert_true(taught > iters / 4);
	assert_true(mutated > iters / 100);
	close_fx(&f);
}

/* ---- TLS ClientHellos ---- */

/* A ClientHello for name (NULL: no server_name), other extensions around
 * it in a random order; its length */
static size_t hello(uint8_t *b, const char *name)
{
	struct msg m = { .n = 0 };
	size_t hs, ext, nexts = rnd() % 5, at = nexts ? rnd() % (nexts + 1) : 0;

	m.b[m.n++] = 0x16, m16(&m, 0x0301), m16(&m, 0); /* record; length later */
	hs = m.n;
	m.b[m.n++] = 1, m.b[m.n++] = 0, m16(&m, 0); /* ClientHello; length later */
	m16(&m, 0x0303);
	for (int i = 0; i < 32; i++)
		m.b[m.n++] = (uint8_t)rnd();
	m.b[m.n] = (uint8_t)(rnd() % 33), m.n += 1 + m.b[m.n];                    /* session id */
	m16(&m, 2 * (1 + rnd() % 20)), m.n += (m.b[m.n - 2] << 8 | m.b[m.n - 1]); /* cipher suites */
	m.b[m.n++] = 1, m.b[m.n++] = 0;                                           /* compression */
	ext = m.n;
	m16(&m, 0);
	for (size_t i = 0; i <= nexts; i++) {
		if (i == at && name) {
			size_t n = strlen(name);
			m16(&m, 0), m16(&m, (unsigned)n + 5), m16(&m, (unsigned)n + 3);
			m.b[m.n++] = 0, m16(&m, (unsigned)n);
			memcpy(m.b + m.n, name, n), m.n += n;
		}
		if (i < nexts) { /* another extension: supported_groups, alpn, ... */
			unsigned len = rnd() % 40;
			m16(&m, 10 + rnd() % 40), m16(&m, len);
			for (unsigned j = 0; j < len; j++)
				m.b[m.n++] = (uint8_t)rnd();
		}
	}
	m.b[ext] = (uint8_t)((m.n - ext - 2) >> 8), m.b[ext + 1] = (uint8_t)(m.n - ext - 2);
	m.b[hs + 1] = (uint8_t)((m.n - hs - 4) >> 16), m.b[hs + 2] = (uint8_t)((m.n - hs - 4) >> 8);
	m.b[hs + 3] = (uint8_t)(m.n - hs - 4);
	m.b[3] = (uint8_t)((m.n - 5) >> 8), m.b[4] = (uint8_t)(m.n - 5);
	memcpy(b, m.b, m.n);
	return m.n;
}

/* A TCP flow to a media address opened out (SYN), then a data segment out */
static void tls_flow(struct fx *f, uint16_t sport, const uint8_t *data, size_t n)
{
	uint8_t frame[PK_MAX];
	uint32_t ret;
	struct pk p = PK(.family = 4, .src = CLIENT, .dst = "70.42.47.70", .proto = 6, .sport = sport, .dport = 443,
			 .tcp_flags = 0x02);
	int len = pk_build(&p, frame);

	assert_int_equal(ta_dp_run_tc(&f->dp, frame, (uint32_t)len, &ret), 0);
	p.tcp_flags = 0x18, p.payload = (int)n, p.data = data;
	len = pk_build(&p, frame);
	assert_int_equal(ta_dp_run_tc(&f->dp, frame, (uint32_t)len, &ret), 0);
}

/* What the datapath kept for the flow: TA_SNI_* and the name, or 99: nothing */
static int sni_of(struct fx *f, uint16_t sport, char *name)
{
	struct ta_flow_key k = { .ifindex = 1, .lport = sport, .rport = 443, .proto = 6, .family = 4 };
	struct ta_sni v;
	struct ta_dname d;

	k.local[10] = k.local[11] = k.remote[10] = k.remote[11] = 0xff;
	inet_pton(AF_INET, CLIENT, k.local + 12);
	inet_pton(AF_INET, "70.42.47.70", k.remote + 12);
	if (ta_dp_sni(&f->dp, &k, &v, &d))
		return 99;
	strcpy(name, d.name);
	return v.status;
}

/* The datapath against user/core/tls.c on random and mutated ClientHellos,
 * cut anywhere (a ClientHello longer than its segment is split) */
static void test_sni(void **state)
{
	struct fx f;
	uint8_t b[PK_MAX];
	char name[300], ref[TA_TLS_NAME_MAX + 1], nm[64];
	int iters = getenv("TA_LEARN_N") ? atoi(getenv("TA_LEARN_N")) : 3000, named = 0, split = 0, bad = 0;
	static const int want[] = {
		[0] = TA_SNI_NO_NAME, [1] = TA_SNI_NAME, [2] = 99, [3] = TA_SNI_BAD, [4] = TA_SNI_SPLIT
	};

	if (!ta_need_root())
		return;
	rng_state = 0x7155;
	assert_int_equal(open_fx(&f, RULES, 0, 0), 0);
	for (int i = 0; i < iters; i++) {
		const char *why;
		uint16_t sport = (uint16_t)(20000 + i);
		snprintf(nm, sizeof(nm), "s%d.Media.example", i);
		size_t n = hello(b, i % 7 ? nm : NULL);
		if (i % 3 == 1)
			n = mutate_bytes(b, n, 1400, own_edit);
		else if (i % 3 == 2 && n > 6)
			n = 6 + rnd() % (n - 6); /* the first segment of a longer one */
		tls_flow(&f, sport, b, n);
		int r = ta_tls_sni(b, n, ref, &why), got = sni_of(&f, sport, name);
		/* a segment that does not start like a ClientHello is not read */
		bool looks = n >= 6 && b[0] == 0x16 && b[1] == 3 && b[5] == 1;
		if (got != (looks ? want[r < 0 ? 2 - r : r] : 99) || (r == TA_TLS_NAME && strcmp(name, ref)))
			fail_msg("hello %d (%zu bytes): datapath %d '%s', reference %d '%s' (%s)", i, n, got, name, r,
				 ref, why ? why : "");
		named += got == TA_SNI_NAME, split += got == TA_SNI_SPLIT, bad += got == TA_SNI_BAD;
	}
	fprintf(stderr, "sni: %d ClientHellos, %d named, %d split, %d malformed\n", iters, named, split, bad);
	assert_true(named > iters / 4 && split > iters / 10 && bad > 0);
	close_fx(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learned_first_packet),
		cmocka_unit_test(test_unasked),
		cmocka_unit_test(test_chain_and_tcp),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_reload),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_differential),
		cmocka_unit_test(test_sni),
	};

	return cmocka_run_group_tests_name("learn", tests, NULL, NULL);
}
