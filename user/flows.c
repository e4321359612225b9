// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include <time.h>
#include "dp.h"
#include "flows.h"
#include "kdrop.h"
#include "policy.h"

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_ACK 0x10

uint64_t ta_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double ta_ktime_to_unix(uint64_t ns)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	double now_unix = (double)rt.tv_sec + rt.tv_nsec / 1e9;
	return now_unix - ((double)ta_now_ns() - (double)ns) / 1e9;
}

int ta_flow_state(const struct ta_flow_key *k, const struct ta_flow_val *v, uint64_t now_ns)
{
	int o = v->opener & 1, r = o ^ 1;
	uint64_t po = v->packets[o], pr = v->packets[r];

	if (k->proto == 6) {
		unsigned fo = (v->flags >> TA_FF_TCP_SHIFT(o)) & 0xff;
		unsigned fr = (v->flags >> TA_FF_TCP_SHIFT(r)) & 0xff;

		if ((fo & F_SYN) && (fr & F_RST) && !(fr & F_SYN))
			return TA_FS_TCP_REFUSED;
		if (((fo | fr) & F_RST) || ((fo & F_FIN) && (fr & F_FIN)))
			return TA_FS_TCP_CLOSED;
		if ((fo | fr) & F_FIN)
			return TA_FS_TCP_CLOSING;
		if ((fo & F_SYN) && !pr)
			return now_ns - v->first_ns > TA_SYN_UNANSWERED * 1000000000ull ? TA_FS_TCP_UNANSWERED
										       : TA_FS_TCP_SYN_SENT;
		if (po && pr)
			return TA_FS_TCP_ESTABLISHED;
	}
	if (po && pr)
		return TA_FS_TWO_WAY;
	if (v->packets[TA_DIR_OUT])
		return TA_FS_ONE_WAY_OUT;
	return TA_FS_ONE_WAY_IN;
}

const char *ta_fstate_name(int s)
{
	static const char *const n[] = {
		[TA_FS_TCP_SYN_SENT] = "syn-sent",
		[TA_FS_TCP_UNANSWERED] = "unanswered",
		[TA_FS_TCP_REFUSED] = "refused",
		[TA_FS_TCP_ESTABLISHED] = "established",
		[TA_FS_TCP_CLOSING] = "closing",
		[TA_FS_TCP_CLOSED] = "closed",
		[TA_FS_TWO_WAY] = "two-way",
		[TA_FS_ONE_WAY_OUT] = "one-way-out",
		[TA_FS_ONE_WAY_IN] = "one-way-in",
	};

	return s >= 0 && s < TA_FS_MAX ? n[s] : "?";
}

unsigned ta_flow_idle_limit(const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	if (k->proto == 6) {
		unsigned f = v->flags & 0xffff;
		if (f & ((F_FIN | F_RST) | ((F_FIN | F_RST) << 8)))
			return TA_IDLE_TCP_CLOSED;
		return TA_IDLE_TCP;
	}
	return k->proto == 17 ? TA_IDLE_UDP : TA_IDLE_OTHER;
}

void ta_flow_ends(char *buf, size_t len, const struct ta_flow_key *k)
{
	char loc[64], rem[64], pb[24];
	const char *proto = ta_proto_name(k->proto, pb, sizeof(pb));

	ta_addr_str(k->local, loc, sizeof(loc));
	ta_addr_str(k->remote, rem, sizeof(rem));
	if (k->family == 6)
		snprintf(buf, len, "%s [%s]:%u -> [%s]:%u", proto, loc, k->lport, rem, k->rport);
	else
		snprintf(buf, len, "%s %s:%u -> %s:%u", proto, loc, k->lport, rem, k->rport);
}

static const char *label_of(const char *const *labels, uint32_t n, uint32_t rule)
{
	return rule < n && labels[rule] && labels[rule][0] ? labels[rule] : NULL;
}

void ta_flow_json(FILE *f, const char *event, const char *iface, const struct ta_flow_key *k,
		  const struct ta_flow_val *v, const char *const *labels, uint32_t nlabels,
		  uint64_t now_ns, const char *extra)
{
	fputc('{', f);
	if (event)
		fprintf(f, "\"event\":\"%s\",\"time\":%.6f,", event, ta_ktime_to_unix(now_ns));
	ta_flow_json_fields(f, iface, k, v, labels, nlabels, now_ns, extra);
	fputc('}', f);
}

void ta_flow_json_fields(FILE *f, const char *iface, const struct ta_flow_key *k, const struct ta_flow_val *v,
			 const char *const *labels, uint32_t nlabels, uint64_t now_ns, const char *extra)
{
	char loc[64], rem[64], pb[24], from[64];
	const char *rule = label_of(labels, nlabels, v->rule);
	int verdict = ta_flow_verdict(v);

	ta_addr_str(k->local, loc, sizeof(loc));
	ta_addr_str(k->remote, rem, sizeof(rem));
	if (iface)
		fprintf(f, "\"iface\":\"%s\",", iface);
	fprintf(f, "\"proto\":\"%s\",\"family\":%u,\"local\":\"%s\",\"lport\":%u,\"remote\":\"%s\",\"rport\":%u,"
		"\"verdict\":\"%s\",",
		ta_proto_name(k->proto, pb, sizeof(pb)), k->family, loc, k->lport, rem, k->rport,
		ta_verdict_name(verdict));
	if (rule)
		fprintf(f, "\"rule\":\"%s\",", rule);
	else
		fputs("\"rule\":null,", f);
	fprintf(f, "\"opener\":\"%s\",\"state\":\"%s\",\"packets_out\":%llu,\"packets_in\":%llu,"
		"\"bytes_out\":%llu,\"bytes_in\":%llu,\"first_seen\":%.6f,\"last_seen\":%.6f,"
		"\"tcp_flags_out\":%u,\"tcp_flags_in\":%u,\"icmp_errors\":%u,",
		ta_dir_name(v->opener & 1), ta_fstate_name(ta_flow_state(k, v, now_ns)),
		(unsigned long long)v->packets[TA_DIR_OUT], (unsigned long long)v->packets[TA_DIR_IN],
		(unsigned long long)v->bytes[TA_DIR_OUT], (unsigned long long)v->bytes[TA_DIR_IN],
		ta_ktime_to_unix(v->first_ns), ta_ktime_to_unix(v->last_ns),
		(v->flags >> TA_FF_TCP_SHIFT(TA_DIR_OUT)) & 0xff, (v->flags >> TA_FF_TCP_SHIFT(TA_DIR_IN)) & 0xff,
		v->icmp_errors);
	if (v->icmp_errors) {
		ta_addr_str(v->icmp_from, from, sizeof(from));
		fprintf(f, "\"icmp_last_type\":%u,\"icmp_last_code\":%u,\"icmp_from\":\"%s\",", v->icmp_type,
			v->icmp_code, from);
	} else {
		fputs("\"icmp_last_type\":null,\"icmp_last_code\":null,\"icmp_from\":null,", f);
	}
	fprintf(f, "\"policy_drops\":%llu,\"kernel_drops\":%llu,", (unsigned long long)v->policy_drops,
		(unsigned long long)v->kernel_drops);
	if (v->kernel_drops) {
		char rb[64], sb[128];
		fprintf(f, "\"last_drop_reason\":\"%s\",\"last_drop_location\":\"%s\",\"last_drop_dir\":\"%s\",",
			ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)),
			ta_ksym(v->last_drop_loc, sb, sizeof(sb)), ta_dir_name(v->last_drop_dir & 1));
	} else {
		fputs("\"last_drop_reason\":null,\"last_drop_location\":null,\"last_drop_dir\":null,", f);
	}
	fprintf(f, "\"generation\":%u", v->generation);
	if (extra)
		fprintf(f, ",%s", extra);
}

static void human(char *buf, size_t len, uint64_t v)
{
	if (v >= 10000000000ull)
		snprintf(buf, len, "%lluG", (unsigned long long)(v / 1000000000ull));
	else if (v >= 10000000ull)
		snprintf(buf, len, "%lluM", (unsigned long long)(v / 1000000ull));
	else if (v >= 100000ull)
		snprintf(buf, len, "%lluk", (unsigned long long)(v / 1000ull));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void ta_flow_line(FILE *f, const struct ta_flow_key *k, const struct ta_flow_val *v,
		  const char *const *labels, uint32_t nlabels, uint64_t now_ns, int width)
{
	char ends[160], po[16], pi[16], bo[16], bi[16];
	const char *rule = label_of(labels, nlabels, v->rule);
	double ago = now_ns > v->last_ns ? (double)(now_ns - v->last_ns) / 1e9 : 0;

	ta_flow_ends(ends, sizeof(ends), k);
	human(po, sizeof(po), v->packets[TA_DIR_OUT]);
	human(pi, sizeof(pi), v->packets[TA_DIR_IN]);
	human(bo, sizeof(bo), v->bytes[TA_DIR_OUT]);
	human(bi, sizeof(bi), v->bytes[TA_DIR_IN]);
	fprintf(f, "%-*.*s %-10s %-8s %-11s %6s/%-6s %7s/%-7s %5.0fs", width, width, ends,
		ta_verdict_name(ta_flow_verdict(v)), rule ? rule : "-",
		ta_fstate_name(ta_flow_state(k, v, now_ns)), po, pi, bo, bi, ago);
	if (v->policy_drops)
		fprintf(f, " dropped %llu", (unsigned long long)v->policy_drops);
	if (v->kernel_drops) {
		char rb[64];
		fprintf(f, " kernel-dropped %llu (%s)", (unsigned long long)v->kernel_drops,
			ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)));
	}
	if (v->icmp_errors)
		fprintf(f, " icmp %u/%u", v->icmp_type, v->icmp_code);
	fputc('\n', f);
}
