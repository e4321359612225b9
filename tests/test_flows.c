// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Flow reading without root: states, close reasons, rule labels across a
 * reload, the diagnosis sentence, --remote parsing, drop classes and the
 * JSON writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "flows.h"
#include "flowsel.h"
#include "units.h"
#include "json.h"
#include "kdrop.h"
#include "why.h"
#include "report.h"


static void v4(uint8_t a[16], const char *s)
{
	memset(a, 0, 16);
	a[10] = a[11] = 0xff;
	assert_int_equal(inet_pton(AF_INET, s, a + 12), 1);
}

static void key(struct ta_flow_key *k, int proto, const char *l, int lp, const char *r, int rp)
{
	memset(k, 0, sizeof(*k));
	v4(k->local, l);
	v4(k->remote, r);
	k->lport = (uint16_t)lp;
	k->rport = (uint16_t)rp;
	k->proto = (uint8_t)proto;
	k->family = 4;
	k->ifindex = 0; /* no interface: the sentence says "the interface" */
}

static const char *const labels[TA_MAX_RULES] = { "media", "control", "hlg" };
static const char *const old_labels[TA_MAX_RULES] = { "oldmedia", "gone" };

static struct ta_flow_ctx ctx(uint64_t now)
{
	struct ta_flow_ctx c = { .labels = labels, .nlabels = TA_MAX_RULES, .generation = 3,
				 .prev_labels = old_labels, .prev_nlabels = TA_MAX_RULES, .now_ns = now };
	return c;
}

static void test_states_and_close_reasons(void **state)
{
	struct ta_flow_key k;
	struct ta_flow_val v = { 0 };

	key(&k, 6, "10.1.0.5", 40000, "70.42.47.70", 443);
	v.opener = TA_DIR_OUT;
	v.first_ns = 1;
	v.packets[TA_DIR_OUT] = 1;
	v.flags = 0x02 << TA_FF_TCP_SHIFT(TA_DIR_OUT); /* SYN out */
	assert_string_equal(ta_fstate_name(ta_flow_state(&k, &v, 2 * TA_NSEC_PER_SEC)), "syn-sent");
	assert_string_equal(ta_fstate_name(ta_flow_state(&k, &v, 10 * TA_NSEC_PER_SEC)), "unanswered");
	v.packets[TA_DIR_IN] = 1;
	v.flags |= 0x04 << TA_FF_TCP_SHIFT(TA_DIR_IN); /* RST in */
	assert_string_equal(ta_fstate_name(ta_flow_state(&k, &v, 10 * TA_NSEC_PER_SEC)), "refused");
	assert_string_equal(ta_flow_close_reason(&k, &v), "rst");
	v.flags = ((0x02 | 0x10 | 0x01) << TA_FF_TCP_SHIFT(TA_DIR_OUT)) |
		  ((0x12 | 0x01) << TA_FF_TCP_SHIFT(TA_DIR_IN)); /* FIN both ways */
	assert_string_equal(ta_fstate_name(ta_flow_state(&k, &v, 10 * TA_NSEC_PER_SEC)), "closed");
	assert_string_equal(ta_flow_close_reason(&k, &v), "fin");
	v.flags = 0x10 | (0x10 << 8); /* ACKs only */
	assert_string_equal(ta_flow_close_reason(&k, &v), "idle");
	k.proto = 17;
	v.flags = TA_FF_DROP_OPENED;
	v.packets[0] = v.packets[1] = 0;
	assert_string_equal(ta_fstate_name(ta_flow_state(&k, &v, 10 * TA_NSEC_PER_SEC)), "blocked-before-egress");
	assert_string_equal(ta_flow_close_reason(&k, &v), "idle");
}

static void test_rule_labels_across_reload(void **state)
{
	struct ta_flow_ctx c = ctx(0);
	struct ta_flow_val v = { .rule = 1, .generation = 3 };

	assert_string_equal(ta_flow_rule_label(&c, &v), "control");
	v.generation = 2; /* judged under the policy before the reload */
	assert_string_equal(ta_flow_rule_label(&c, &v), "gone");
	v.generation = 1; /* two reloads ago: that policy is gone */
	assert_string_equal(ta_flow_rule_label(&c, &v), TA_RULE_REMOVED);
	c.prev_labels = NULL;
	v.generation = 2;
	assert_string_equal(ta_flow_rule_label(&c, &v), TA_RULE_REMOVED);
	v.rule = TA_NO_RULE;
	assert_null(ta_flow_rule_label(&c, &v));
	c.generation = 0; /* unknown generation: the labels apply */
	v.rule = 2;
	assert_string_equal(ta_flow_rule_label(&c, &v), "hlg");
}

/* ICMP flows carry no ports: an echo flow's identifier is written once */
static void test_icmp_flow_json(void **state)
{
	struct ta_flow_ctx c = ctx(10 * TA_NSEC_PER_SEC);
	struct ta_flow_key k;
	struct ta_flow_val v = { .rule = TA_NO_RULE, .opener = TA_DIR_OUT };
	json_object *o, *x;

	key(&k, 1, "10.1.0.5", 7, "198.51.100.7", 7);
	o = ta_flow_jobj(&c, NULL, NULL, &k, &v);
	assert_true(json_object_object_get_ex(o, "lport", &x) && x == NULL);
	assert_true(json_object_object_get_ex(o, "rport", &x) && x == NULL);
	assert_true(json_object_object_get_ex(o, "echo_id", &x));
	assert_int_equal(json_object_get_int(x), 7);
	json_object_put(o);
	key(&k, 1, "10.1.0.5", 0, "198.51.100.7", 0); /* ICMP that is not an echo */
	o = ta_flow_jobj(&c, NULL, NULL, &k, &v);
	assert_true(json_object_object_get_ex(o, "echo_id", &x) && x == NULL);
	json_object_put(o);
	key(&k, 17, "10.1.0.5", 40000, "70.42.47.70", 50000);
	o = ta_flow_jobj(&c, NULL, NULL, &k, &v);
	assert_true(json_object_object_get_ex(o, "lport", &x));
	assert_int_equal(json_object_get_int(x), 40000);
	assert_true(json_object_object_get_ex(o, "echo_id", &x) && x == NULL);
	/* no policy tables in the context: no other-way rule, and null */
	assert_true(json_object_object_get_ex(o, "rule_other_way", &x) && x == NULL);
	json_object_put(o);
	/* why's sentence names the echo by its identifier, once */
	char buf[768];
	key(&k, 1, "10.1.0.5", 7, "198.51.100.7", 7);
	v.kernel_drops = 1;
	v.last_drop_dir = TA_DIR_OUT;
	v.flags = TA_FF_ALLOWED;
	assert_int_equal(ta_flow_diagnosis(&c, "gwout", &k, &v, false, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "ICMP 10.1.0.5 \xe2\x86\x92 198.51.100.7 echo id 7 (no rule, allowed): "));
	k.lport = k.rport = 0;
	assert_int_equal(ta_flow_diagnosis(&c, "gwout", &k, &v, false, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "ICMP 10.1.0.5 \xe2\x86\x92 198.51.100.7 (no rule, allowed): "));
}

/* Drops no flow took: one note per cause, each naming its real cause */
static void test_drop_notes(void **state)
{
	uint64_t cnt[TA_C_MAX] = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	cnt[TA_C_KDROP_NOFLOW] = 7;
	cnt[TA_C_KDROP_ELSEWHERE] = 3;
	f = open_memstream(&buf, &len);
	ta_drop_notes(f, cnt, "  ");
	fclose(f);
	assert_non_null(strstr(buf, "  note: 7 kernel drops of policy traffic could not be charged to a flow (the flow "
				    "table refused a new entry"));
	assert_non_null(strstr(buf, "  note: 3 kernel drops of policy traffic were of packets not on their way through "
				    "an audited interface"));
	free(buf);
	/* an elsewhere drop alone never reads as a full table */
	cnt[TA_C_KDROP_NOFLOW] = 0;
	f = open_memstream(&buf, &len);
	ta_drop_notes(f, cnt, "");
	fclose(f);
	assert_null(strstr(buf, "flow table"));
	assert_non_null(strstr(buf, "audit that interface too"));
	free(buf);
}

static void test_diagnosis_blocked_before_egress(void **state)
{
	struct ta_flow_ctx c = ctx(10 * TA_NSEC_PER_SEC);
	struct ta_flow_key k;
	struct ta_flow_val v = { 0 };
	char buf[768], want[768];

	key(&k, 6, "10.1.0.5", 40000, "72.5.167.140", 5560);
	v.rule = 1;
	v.generation = 3;
	v.opener = TA_DIR_OUT;
	v.flags = TA_FF_DROP_OPENED | TA_FF_ALLOWED | (0x02 << TA_FF_TCP_SHIFT(TA_DIR_OUT));
	v.kernel_drops = 3;
	v.last_drop_tcp = 0x02;
	v.last_drop_dir = TA_DIR_OUT;
	v.last_drop_loc = 0; /* printed as an address: no kallsyms needed */
	v.last_drop_reason = 0;
	assert_int_equal(ta_flow_diagnosis(&c, "gwout", &k, &v, false, buf, sizeof(buf)), 1);
	snprintf(want, sizeof(want), "TCP 10.1.0.5:40000 \xe2\x86\x92 72.5.167.140:5560 (control, allowed): "
		 "3 SYNs dropped in this host at 0x0 (unknown) before leaving gwout");
	assert_string_equal(buf, want);
	/* seen by the interface: the counts come first, then the drops */
	v.flags = TA_FF_ALLOWED | (0x02 << TA_FF_TCP_SHIFT(TA_DIR_OUT));
	v.packets[TA_DIR_OUT] = 3;
	assert_int_equal(ta_flow_diagnosis(&c, "gwin", &k, &v, false, buf, sizeof(buf)), 1);
	snprintf(want, sizeof(want), "TCP 10.1.0.5:40000 \xe2\x86\x92 72.5.167.140:5560 (control, allowed): "
		 "3 out, 0 in; 3 dropped in this host at 0x0 (unknown), outbound; SYN never answered");
	assert_string_equal(buf, want);
}

static void test_diagnosis_endpoint_discards_only_with_all(void **state)
{
	struct ta_flow_ctx c = ctx(10 * TA_NSEC_PER_SEC);
	struct ta_flow_key k;
	struct ta_flow_val v = { 0 };
	char buf[768];

	key(&k, 17, "10.1.0.5", 40000, "70.42.47.70", 50000);
	v.rule = 0;
	v.generation = 3;
	v.opener = TA_DIR_OUT;
	v.flags = TA_FF_ALLOWED;
	v.packets[0] = v.packets[1] = 5;
	v.endpoint_drops = 5;
	assert_int_equal(ta_flow_diagnosis(&c, NULL, &k, &v, false, buf, sizeof(buf)), 0);
	assert_int_equal(ta_flow_diagnosis(&c, NULL, &k, &v, true, buf, sizeof(buf)), 1);
	assert_non_null(strstr(buf, "5 discarded by an endpoint at 0x0"));
	assert_non_null(strstr(buf, "(media, allowed): 5 out, 5 in"));
}

static void test_remote_parse(void **state)
{
	struct ta_remote r;
	struct ta_flow_key k;
	char err[256];

	key(&k, 6, "10.1.0.5", 1, "192.0.2.7", 443);
	assert_int_equal(ta_remote_parse("192.0.2.7", &r, err, sizeof(err)), 0);
	assert_int_equal(r.port, -1);
	assert_true(ta_remote_match(&r, &k));
	assert_int_equal(ta_remote_parse("192.0.2.0/24:443", &r, err, sizeof(err)), 0);
	assert_int_equal(r.port, 443);
	assert_true(ta_remote_match(&r, &k));
	assert_int_equal(ta_remote_parse("192.0.2.7:80", &r, err, sizeof(err)), 0);
	assert_false(ta_remote_match(&r, &k));
	/* IPv6, bare and bracketed, with and without a port: the filter is kept */
	memset(k.remote, 0, 16);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", k.remote), 1);
	k.family = 6;
	assert_int_equal(ta_remote_parse("2001:db8::1", &r, err, sizeof(err)), 0);
	assert_true(r.has && r.port == -1 && ta_remote_match(&r, &k));
	assert_int_equal(ta_remote_parse("[2001:db8::1]", &r, err, sizeof(err)), 0);
	assert_true(r.has && r.port == -1 && ta_remote_match(&r, &k));
	assert_int_equal(ta_remote_parse("[2001:db8::1]:443", &r, err, sizeof(err)), 0);
	assert_true(r.port == 443 && ta_remote_match(&r, &k));
	assert_int_equal(ta_remote_parse("[2001:db8::/32]:443", &r, err, sizeof(err)), 0);
	assert_true(ta_remote_match(&r, &k));
	assert_int_equal(ta_remote_parse("[2001:db8::2]", &r, err, sizeof(err)), 0);
	assert_false(ta_remote_match(&r, &k));
	/* errors name both families */
	assert_int_equal(ta_remote_parse("not-an-address", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "IPv4 or IPv6"));
	assert_int_equal(ta_remote_parse("[2001:db8::1", &r, err, sizeof(err)), -1);
	assert_int_equal(ta_remote_parse("192.0.2.7:99999", &r, err, sizeof(err)), -1);
	assert_int_equal(ta_remote_parse("[2001:db8::1]x", &r, err, sizeof(err)), -1);
}

static void test_drop_classes(void **state)
{
	assert_int_equal(ta_drop_class_of_name("NETFILTER_DROP"), TA_DC_BLOCK);
	assert_int_equal(ta_drop_class_of_name("NEIGH_FAILED"), TA_DC_BLOCK);
	assert_int_equal(ta_drop_class_of_name("IP_OUTNOROUTES"), TA_DC_BLOCK);
	assert_int_equal(ta_drop_class_of_name("QDISC_DROP"), TA_DC_BLOCK);
	assert_int_equal(ta_drop_class_of_name("TCP_CLOSE"), TA_DC_ENDPOINT);
	assert_int_equal(ta_drop_class_of_name("TCP_ABORT_ON_DATA"), TA_DC_ENDPOINT);
	assert_int_equal(ta_drop_class_of_name("SOCKET_RCVBUFF"), TA_DC_ENDPOINT);
	assert_int_equal(ta_drop_class_of_name("SOCKET_CLOSE"), TA_DC_ENDPOINT);
	assert_int_equal(ta_drop_class_of_name("NOT_SPECIFIED"), TA_DC_BY_LOC);
	assert_true(ta_fn_is_endpoint("udp_destruct_common"));
	assert_true(ta_fn_is_endpoint("inet_sock_destruct"));
	assert_true(ta_fn_is_endpoint("tcp_rcv_state_process"));
	assert_false(ta_fn_is_endpoint("nft_do_chain"));
	assert_false(ta_fn_is_endpoint("ip_forward"));
	assert_false(ta_fn_is_endpoint("__dev_queue_xmit"));
}

/* numbers as a person reads them */
static void test_units(void **state)
{
	char b[32];

	assert_string_equal(ta_fmt_bytes(b, sizeof(b), 0), "0 B");
	assert_string_equal(ta_fmt_bytes(b, sizeof(b), 999), "999 B");
	assert_string_equal(ta_fmt_bytes(b, sizeof(b), 1234), "1.2 kB");
	assert_string_equal(ta_fmt_bytes(b, sizeof(b), 60000), "60 kB");
	assert_string_equal(ta_fmt_bytes(b, sizeof(b), 1200000), "1.2 MB");
	assert_string_equal(ta_fmt_bytes(b, sizeof(b), 999999), "1.0 MB");
	assert_string_equal(ta_fmt_bits(b, sizeof(b), 106250), "850 kb/s");
	assert_string_equal(ta_fmt_bits(b, sizeof(b), 0), "0 b/s");
	assert_string_equal(ta_fmt_count(b, sizeof(b), 1500), "1.5k");
	assert_string_equal(ta_fmt_count(b, sizeof(b), 42), "42");
	assert_string_equal(ta_fmt_dur(b, sizeof(b), 45), "45s");
	assert_string_equal(ta_fmt_dur(b, sizeof(b), 187), "3m07s");
	assert_string_equal(ta_fmt_dur(b, sizeof(b), 2 * 3600 + 13 * 60 + 5), "2h13m");
	assert_string_equal(ta_fmt_dur(b, sizeof(b), 4 * 86400 + 2 * 3600), "4d02h");
	assert_string_equal(ta_fmt_dur(b, sizeof(b), -3), "0s");
}

/* ICMP flows read as ICMP (echo and its identifier), never as ports */
static void test_flow_ends(void **state)
{
	struct ta_flow_key k;
	char buf[160];

	key(&k, 17, "10.1.0.5", 40000, "70.42.47.70", 50000);
	ta_flow_ends(buf, sizeof(buf), &k);
	assert_string_equal(buf, "udp 10.1.0.5:40000 -> 70.42.47.70:50000");
	key(&k, 1, "10.1.0.5", 4660, "70.42.47.70", 4660);
	ta_flow_ends(buf, sizeof(buf), &k);
	assert_string_equal(buf, "icmp 10.1.0.5 -> 70.42.47.70 echo id 4660");
	key(&k, 1, "10.1.0.5", 0, "70.42.47.70", 0);
	ta_flow_ends(buf, sizeof(buf), &k);
	assert_string_equal(buf, "icmp 10.1.0.5 -> 70.42.47.70");
}

/* flow selection: verdicts, states, protocols, rules, sorting */
static void test_flow_selection(void **state)
{
	struct ta_flow_sel s;
	struct ta_flow_sel_args a = { 0 };
	struct ta_flow_ctx c = ctx(100 * TA_NSEC_PER_SEC);
	struct ta_closed f[3];
	char err[300];

	key(&f[0].k, 17, "10.1.0.5", 40000, "70.42.47.70", 50000);
	memset(&f[0].v, 0, sizeof(f[0].v));
	f[0].v.flags = TA_FF_ALLOWED;
	f[0].v.rule = 0;
	f[0].v.generation = 3;
	f[0].v.packets[TA_DIR_OUT] = 5;
	f[0].v.bytes[TA_DIR_OUT] = 500;
	f[0].v.first_ns = 10 * TA_NSEC_PER_SEC;
	f[0].v.last_ns = 90 * TA_NSEC_PER_SEC;
	f[1] = f[0];
	key(&f[1].k, 6, "10.1.0.5", 40001, "212.118.226.40", 22);
	f[1].v.flags = TA_FF_UNEXPECTED;
	f[1].v.rule = TA_NO_RULE;
	f[1].v.bytes[TA_DIR_OUT] = 9000;
	f[1].v.policy_drops = 2;
	f[1].v.first_ns = 5 * TA_NSEC_PER_SEC;
	f[1].v.last_ns = 95 * TA_NSEC_PER_SEC;
	f[2] = f[0];
	key(&f[2].k, 17, "10.1.0.5", 40002, "72.5.167.140", 6000);
	f[2].v.packets[TA_DIR_IN] = 5;
	f[2].v.bytes[TA_DIR_OUT] = 100;

	a.verdict = "unexpected,dropped";
	assert_int_equal(ta_flow_sel_init(&s, &a, err, sizeof(err)), 0);
	assert_false(ta_flow_sel_match(&s, &c, &f[0].k, &f[0].v));
	assert_true(ta_flow_sel_match(&s, &c, &f[1].k, &f[1].v));
	a = (struct ta_flow_sel_args){ .state = "one-way-out", .proto = "udp", .rule = "control,media" };
	assert_int_equal(ta_flow_sel_init(&s, &a, err, sizeof(err)), 0);
	assert_true(ta_flow_sel_match(&s, &c, &f[0].k, &f[0].v));
	assert_false(ta_flow_sel_match(&s, &c, &f[1].k, &f[1].v)); /* tcp */
	assert_false(ta_flow_sel_match(&s, &c, &f[2].k, &f[2].v)); /* two-way */
	a = (struct ta_flow_sel_args){ .sort = "bytes" };
	assert_int_equal(ta_flow_sel_init(&s, &a, err, sizeof(err)), 0);
	ta_flow_sel_sort(&s, f, 3);
	assert_int_equal(f[0].k.rport, 22);
	assert_int_equal(f[2].k.rport, 6000);
	a = (struct ta_flow_sel_args){ .sort = "age" };
	assert_int_equal(ta_flow_sel_init(&s, &a, err, sizeof(err)), 0);
	ta_flow_sel_sort(&s, f, 3);
	assert_int_equal(f[0].k.rport, 22); /* first seen at 5 s */
	a = (struct ta_flow_sel_args){ .verdict = "alowed" };
	assert_int_equal(ta_flow_sel_init(&s, &a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no verdict 'alowed'"));
	a = (struct ta_flow_sel_args){ .proto = "sctpx" };
	assert_int_equal(ta_flow_sel_init(&s, &a, err, sizeof(err)), -1);
	a = (struct ta_flow_sel_args){ .proto = "132" };
	assert_int_equal(ta_flow_sel_init(&s, &a, err, sizeof(err)), 0);
	assert_int_equal(s.proto, 132);
}

static void test_json_writer(void **state)
{
	json_object *o = json_object_new_object();
	char iso[48];

	ta_jadd(o, "s", ta_jstr("a/b\"c\\\x01\xff\xc3\xa9"));
	ta_jadd(o, "t", ta_jnum(1764041000.123456789, 6));
	ta_jadd(o, "d", ta_jnum(0.81130100000000005, 3));
	ta_jadd(o, "z", ta_jnum(3.0, 3));
	ta_jadd(o, "n", ta_jstr(NULL));
	assert_string_equal(ta_jtext(o), "{\"s\":\"a/b\\\"c\\\\\\u0001\xef\xbf\xbd\xc3\xa9\",\"t\":1764041000.123457,"
					  "\"d\":0.811,\"z\":3,\"n\":null}");
	json_object_put(o);
	ta_rfc3339(iso, sizeof(iso), 1764041000.5);
	assert_string_equal(iso, "2025-11-25T03:23:20.500000Z");
	/* overlong and surrogate encodings are not UTF-8 either */
	o = ta_jstr("\xc0\xaf\xed\xa0\x80");
	assert_string_equal(json_object_get_string(o), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_and_close_reasons),
		cmocka_unit_test(test_rule_labels_across_reload),
		cmocka_unit_test(test_icmp_flow_json),
		cmocka_unit_test(test_drop_notes),
		cmocka_unit_test(test_diagnosis_blocked_before_egress),
		cmocka_unit_test(test_diagnosis_endpoint_discards_only_with_all),
		cmocka_unit_test(test_remote_parse),
		cmocka_unit_test(test_drop_classes),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_flow_ends),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_flow_selection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
