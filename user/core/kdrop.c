// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "kdrop.h"
#include "util.h"

struct named {
	uint64_t v;
	char *name;
};

static struct named *reasons, *subsys, *syms;
static size_t nreasons, nsubsys, nsyms;
static int btf_loaded, syms_loaded;
static bool kfree_rx_sk, kfree_reason, kfree_btf;

static int by_value(const void *a, const void *b)
{
	const struct named *x = a, *y = b;

	return x->v < y->v ? -1 : x->v > y->v;
}

/* Every value of enum 'ename' with its name less 'prefix'. */
static void load_enum(const struct btf *btf, const char *ename, const char *prefix, struct named **out,
		      size_t *n)
{
	int id = btf__find_by_name_kind(btf, ename, BTF_KIND_ENUM);
	size_t pl = strlen(prefix);

	if (id < 0)
		return;
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_enum *e = btf_enum(t);
	int vlen = btf_vlen(t);

	*out = calloc(vlen ? vlen : 1, sizeof(**out));
	if (!*out)
		return;
	for (int i = 0; i < vlen; i++) {
		const char *name = btf__name_by_offset(btf, e[i].name_off);
		if (!name)
			continue;
		if (!strncmp(name, prefix, pl))
			name += pl;
		(*out)[*n].v = (uint32_t)e[i].val;
		(*out)[*n].name = strdup(name);
		(*n)++;
	}
	qsort(*out, *n, sizeof(**out), by_value);
}

static void load_btf(void)
{
	struct btf *btf;

	if (btf_loaded)
		return;
	btf_loaded = 1;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return;
	load_enum(btf, "skb_drop_reason", "SKB_DROP_REASON_", &reasons, &nreasons);
	load_enum(btf, "skb_drop_reason_subsys", "SKB_DROP_REASON_SUBSYS_", &subsys, &nsubsys);
	/* typedef void (*btf_trace_kfree_skb)(void *, skb, location, reason[, rx_sk]) */
	int id = btf__find_by_name_kind(btf, "btf_trace_kfree_skb", BTF_KIND_TYPEDEF);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (t)
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	kfree_btf = id > 0;
	kfree_rx_sk = t && btf_is_func_proto(t) && btf_vlen(t) >= 5;
	kfree_reason = t && btf_is_func_proto(t) && btf_vlen(t) >= 4;
	btf__free(btf);
}

static const char *find(const struct named *a, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (a[mid].v == v)
			return a[mid].name;
		if (a[mid].v < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *ta_drop_reason_name(uint32_t reason, char *buf, size_t len)
{
	const char *n;

	load_btf();
	if (reason >> 16) { /* another subsystem's reason */
		const char *sub = find(subsys, nsubsys, reason >> 16);
		snprintf(buf, len, "%s:0x%x", sub ? sub : "SUBSYS", reason & 0xffff);
		return buf;
	}
	n = find(reasons, nreasons, reason);
	if (!n || reason == 0) {
		snprintf(buf, len, "unknown");
		return buf;
	}
	snprintf(buf, len, "%s", n);
	return buf;
}

bool ta_kfree_skb_has_rx_sk(void)
{
	load_btf();
	return kfree_rx_sk;
}

bool ta_kfree_skb_has_reason(void)
{
	load_btf();
	return kfree_reason;
}

bool ta_kfree_skb_btf(void)
{
	load_btf();
	return kfree_btf;
}

size_t ta_drop_reason_count(void)
{
	load_btf();
	return nreasons;
}

long ta_drop_reason_value(const char *name)
{
	load_btf();
	for (size_t i = 0; i < nreasons; i++)
		if (!strcmp(reasons[i].name, name))
			return (long)reasons[i].v;
	return -1;
}

static void load_syms(void)
{
	FILE *f;
	char line[512];
	size_t cap = 0;

	if (syms_loaded)
		return;
	syms_loaded = 1;
	f = fopen("/proc/kallsyms", "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &a, &type, name) != 3 || !a)
			continue;
		if (type != 't' && type != 'T')
			continue;
		if (ta_grow(&syms, &cap, nsyms, sizeof(*syms), 65536))
			break;
		syms[nsyms].v = a;
		syms[nsyms].name = strdup(name);
		nsyms++;
	}
	fclose(f);
	qsort(syms, nsyms, sizeof(*syms), by_value);
}

/*
 * Drop classes.  Reasons a socket gives when it lets a packet go are endpoint
 * discards; a drop without a reason (NOT_SPECIFIED, or none on the classic
 * tracepoint of old kernels) is one when it happened in socket code.
 * Everything else is a block of this host's path.  README "Drop classes".
 */
static const char *const endpoint_reasons[] = {
	"SKB_CONSUMED", "NO_SOCKET", "SOCKET_CLOSE", "SOCKET_FILTER", "SOCKET_RCVBUFF", "SOCKET_BACKLOG",
	"PROTO_MEM", "UDP_CSUM", "ICMP_CSUM", "IP_NOPROTO", "SKB_UCOPY_FAULT", "QUEUE_PURGE",
	"PACKET_SOCK_ERROR",
};
static const char *const endpoint_reason_prefixes[] = { "TCP_", "UNIX_" };
/* functions of socket code, by name prefix */
static const char *const endpoint_fn_prefixes[] = {
	"tcp", "__tcp", "udp", "__udp", "inet_sock_destruct", "inet6_sock_destruct", "inet_csk", "inet_twsk",
	"sk_", "__sk_", "sock_", "__sock_", "skb_queue_purge", "__skb_queue_purge", "skb_free_datagram",
	"__skb_free_datagram", "skb_recv_", "__skb_recv_", "skb_consume_udp", "raw_", "rawv6_", "ping_",
	"packet_", "tpacket_", "unix_", "netlink_", "__netlink_",
};

static bool has_prefix(const char *s, const char *const *pfx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(s, pfx[i], strlen(pfx[i])))
			return true;
	return false;
}

int ta_drop_class_of_name(const char *name)
{
	if (!strcmp(name, "NOT_SPECIFIED") || !strcmp(name, "SKB_NOT_DROPPED_YET"))
		return TA_DC_BY_LOC;
	for (size_t i = 0; i < sizeof(endpoint_reasons) / sizeof(*endpoint_reasons); i++)
		if (!strcmp(name, endpoint_reasons[i]))
			return TA_DC_ENDPOINT;
	if (has_prefix(name, endpoint_reason_prefixes,
		       sizeof(endpoint_reason_prefixes) / sizeof(*endpoint_reason_prefixes)))
		return TA_DC_ENDPOINT;
	return TA_DC_BLOCK;
}

bool ta_fn_is_endpoint(const char *fn)
{
	return has_prefix(fn, endpoint_fn_prefixes, sizeof(endpoint_fn_prefixes) / sizeof(*endpoint_fn_prefixes));
}

size_t ta_drop_tables(uint8_t cls[TA_DROP_REASONS], struct ta_text_range *r, size_t max)
{
	size_t n = 0;

	load_btf();
	memset(cls, TA_DC_BLOCK, TA_DROP_REASONS);
	cls[0] = TA_DC_BY_LOC; /* no reason at all (classic tracepoint, old kernels) */
	for (size_t i = 0; i < nreasons; i++)
		if (reasons[i].v < TA_DROP_REASONS)
			cls[reasons[i].v] = (uint8_t)ta_drop_class_of_name(reasons[i].name);
	if (!nreasons) /* no BTF: no names; every reason is judged by where it happened */
		memset(cls, TA_DC_BY_LOC, TA_DROP_REASONS);
	load_syms();
	for (size_t i = 0; i + 1 < nsyms; i++) {
		if (!ta_fn_is_endpoint(syms[i].name) || syms[i + 1].v <= syms[i].v)
			continue;
		if (n && r[n - 1].hi == syms[i].v) { /* adjacent: one range */
			r[n - 1].hi = syms[i + 1].v;
			continue;
		}
		if (n == max)
			break;
		r[n].lo = syms[i].v;
		r[n].hi = syms[i + 1].v;
		n++;
	}
	return n;
}

const char *ta_ksym(uint64_t addr, char *buf, size_t len)
{
	size_t lo = 0, hi;

	load_syms();
	hi = nsyms;
	if (!addr || !nsyms || addr < syms[0].v) {
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
		return buf;
	}
	while (hi - lo > 1) { /* last symbol at or below addr */
		size_t mid = (lo + hi) / 2;
		if (syms[mid].v <= addr)
			lo = mid;
		else
			hi = mid;
	}
	snprintf(buf, len, "%s+0x%llx", syms[lo].name, (unsigned long long)(addr - syms[lo].v));
	return buf;
}

const char *ta_route_err_name(int err, char *buf, size_t len)
{
	switch (err) {
	case 0: return NULL;
	/* the errors fib lookups give the route and rule types (fib_props) */
	case EINVAL: return "a blackhole route or rule";
	case EHOSTUNREACH: return "an unreachable route";
	case EACCES: return "a prohibit route or rule";
	case ENETUNREACH: return "no route (or an unreachable rule)";
	default:
		snprintf(buf, len, "a route error (%s)", strerrorname_np(err) ? strerrorname_np(err) : "?");
		return buf;
	}
}

const char *ta_icmp_name(int family, int type, int code)
{
	if (family == 4) {
		if (type == 3) {
			switch (code) {
			case 0: return "net-unreachable";
			case 1: return "host-unreachable";
			case 2: return "protocol-unreachable";
			case 3: return "port-unreachable";
			case 4: return "fragmentation-needed";
			case 9: case 10: case 13: return "admin-prohibited";
			default: return "unreachable";
			}
		}
		if (type == 11)
			return "time-exceeded";
		if (type == 12)
			return "parameter-problem";
	} else {
		if (type == 1)
			return code == 1 ? "admin-prohibited" : code == 4 ? "port-unreachable" :
			       code == 3 ? "address-unreachable" : code == 0 ? "no-route" : "unreachable";
		if (type == 2)
			return "packet-too-big";
		if (type == 3)
			return "time-exceeded";
		if (type == 4)
			return "parameter-problem";
	}
	return "icmp-error";
}
