// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dp.h"
#include "json.h"
#include "flows.h"
#include "media.h"
#include "kdrop.h"
#include "policy.h"
#include "util.h"

int ta_flow_state(const struct ta_flow_key *k, const struct ta_flow_val *v, uint64_t now_ns)
{
	int o = v->opener & 1, r = o ^ 1;
	uint64_t po = v->packets[o], pr = v->packets[r];

	if ((v->flags & TA_FF_DROP_OPENED) && !po && !pr)
		return TA_STATE_BLOCKED_BEFORE_EGRESS;

	if (k->proto == TA_IPPROTO_TCP) {
		unsigned fo = (v->flags >> TA_FF_TCP_SHIFT(o)) & 0xff;
		unsigned fr = (v->flags >> TA_FF_TCP_SHIFT(r)) & 0xff;

		if ((fo & TA_TCP_SYN) && (fr & TA_TCP_RST) && !(fr & TA_TCP_SYN))
			return TA_STATE_TCP_REFUSED;
		if (((fo | fr) & TA_TCP_RST) || ((fo & TA_TCP_FIN) && (fr & TA_TCP_FIN)))
			return TA_STATE_TCP_CLOSED;
		if ((fo | fr) & TA_TCP_FIN)
			return TA_STATE_TCP_CLOSING;
		if ((fo & TA_TCP_SYN) && !pr)
			return now_ns - v->first_ns > TA_SYN_UNANSWERED * TA_NSEC_PER_SEC ? TA_STATE_TCP_UNANSWERED
										       : TA_STATE_TCP_SYN_SENT;
		if (po && pr)
			return TA_STATE_TCP_ESTABLISHED;
	}
	if (po && pr)
		return TA_STATE_TWO_WAY;
	if (v->packets[TA_DIR_OUT])
		return TA_STATE_ONE_WAY_OUT;
	return TA_STATE_ONE_WAY_IN;
}

const char *ta_fstate_name(int s)
{
	static const char *const n[] = {
		[TA_STATE_TCP_SYN_SENT] = "syn-sent",
		[TA_STATE_TCP_UNANSWERED] = "unanswered",
		[TA_STATE_TCP_REFUSED] = "refused",
		[TA_STATE_TCP_ESTABLISHED] = "established",
		[TA_STATE_TCP_CLOSING] = "closing",
		[TA_STATE_TCP_CLOSED] = "closed",
		[TA_STATE_TWO_WAY] = "two-way",
		[TA_STATE_ONE_WAY_OUT] = "one-way-out",
		[TA_STATE_ONE_WAY_IN] = "one-way-in",
		[TA_STATE_BLOCKED_BEFORE_EGRESS] = "blocked-before-egress",
	};

	return s >= 0 && s < TA_STATE_MAX ? n[s] : "?";
}

unsigned ta_flow_idle_limit(const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	if (k->proto == TA_IPPROTO_TCP) {
		unsigned f = v->flags & 0xffff;
		if (f & ((TA_TCP_FIN | TA_TCP_RST) | ((TA_TCP_FIN | TA_TCP_RST) << 8)))
			return TA_IDLE_TCP_CLOSED;
		return TA_IDLE_TCP;
	}
	return k->proto == TA_IPPROTO_UDP ? TA_IDLE_UDP : TA_IDLE_OTHER;
}

int ta_flow_close_kind(const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	unsigned f = v->flags & 0xffff;

	if (k->proto == TA_IPPROTO_TCP) {
		if (f & (TA_TCP_RST | (TA_TCP_RST << 8)))
			return TA_CLOSE_RST;
		if (f & (TA_TCP_FIN | (TA_TCP_FIN << 8)))
			return TA_CLOSE_FIN;
	}
	return TA_CLOSE_IDLE;
}

const char *ta_flow_close_reason(const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	return ta_close_name(ta_flow_close_kind(k, v));
}

void ta_flow_ends(char *buf, size_t len, const struct ta_flow_key *k)
{
	char loc[64], rem[64], pb[24];
	const char *proto = ta_proto_name(k->proto, pb, sizeof(pb));

	ta_addr_str(k->local, loc, sizeof(loc));
	ta_addr_str(k->remote, rem, sizeof(rem));
	if (ta_is_icmp(k->proto)) {
		/* ICMP has no ports: an echo flow is tied by its identifier, other
		 * ICMP between two hosts is one flow */
		if (k->lport)
			snprintf(buf, len, "%s %s -> %s echo id %u", proto, loc, rem, k->lport);
		else
			snprintf(buf, len, "%s %s -> %s", proto, loc, rem);
		return;
	}
	if (k->family == 6)
		snprintf(buf, len, "%s [%s]:%u -> [%s]:%u", proto, loc, k->lport, rem, k->rport);
	else
		snprintf(buf, len, "%s %s:%u -> %s:%u", proto, loc, k->lport, rem, k->rport);
}

const char *ta_rule_label(const struct ta_flow_ctx *c, uint32_t rule)
{
	return rule < c->nlabels && c->labels[rule] && c->labels[rule][0] ? c->labels[rule] : NULL;
}

const char *ta_flow_rule_label(const struct ta_flow_ctx *c, const struct ta_flow_val *v)
{
	if (v->rule >= TA_MAX_RULES)
		return NULL;
	if (!c->generation || v->generation == c->generation)
		return ta_rule_label(c, v->rule);
	if (c->prev_labels && v->generation + 1 == c->generation && v->rule < c->prev_nlabels &&
	    c->prev_labels[v->rule] && c->prev_labels[v->rule][0])
		return c->prev_labels[v->rule];
	return TA_RULE_REMOVED;
}

const char *ta_flow_other_way_rule(const struct ta_flow_ctx *c, const struct ta_flow_key *k,
				   const struct ta_flow_val *v)
{
	uint64_t m;

	if (!c->dp || v->rule < TA_MAX_RULES || !(v->flags & TA_FF_UNEXPECTED) ||
	    (c->generation && v->generation != c->generation))
		return NULL;
	m = ta_dp_rules_for(c->dp, k->remote, k->proto, (v->opener & 1) ^ 1, k->rport);
	return m ? ta_rule_label(c, (uint32_t)__builtin_ctzll(m)) : NULL;
}

bool ta_flow_other_way_note(const struct ta_flow_ctx *c, const struct ta_flow_key *k, const struct ta_flow_val *v,
			    char *buf, size_t len)
{
	const char *rule = ta_flow_other_way_rule(c, k, v);
	bool in = (v->opener & 1) == TA_DIR_IN;

	if (!rule)
		return false;
	snprintf(buf, len, "opened from %s; %s allows only flows opened from %s", in ? "outside" : "inside", rule,
		 in ? "inside" : "outside");
	return true;
}

double ta_flow_unix(const struct ta_flow_ctx *c, uint64_t ns)
{
	if (!ns)
		return 0;
	return c->unix_clock ? (double)ns / TA_NSEC_PER_SEC : ta_ktime_to_unix(ns);
}

static json_object *addr_obj(const uint8_t *a)
{
	char buf[64];

	ta_addr_str(a, buf, sizeof(buf));
	return ta_jstr(buf);
}

const char *ta_flow_name(const struct ta_flow_ctx *c, const struct ta_flow_key *k, struct ta_dname *d, uint64_t *drift)
{
	struct ta_learned v;
	struct ta_sni sv;

	if (drift)
		*drift = 0;
	if (!c->dp)
		return NULL;
	/* the name the client asked the server for, else the one DNS gave the address */
	if (!ta_dp_sni(c->dp, k, &sv, d) && sv.status == TA_SNI_NAME && d->name[0]) {
		if (drift)
			*drift = ta_dp_name_drift(c->dp, k->remote, sv.rules);
		return d->name;
	}
	if (ta_dp_learned(c->dp, k->remote, &v, d) || !d->name[0])
		return NULL;
	if (drift)
		*drift = v.drift[c->dp->generation & 1];
	return d->name;
}

const char *ta_flow_sni_status(const struct ta_flow_ctx *c, const struct ta_flow_key *k)
{
	struct ta_sni sv;
	struct ta_dname d;

	if (!c->dp || k->proto != TA_IPPROTO_TCP || ta_dp_sni(c->dp, k, &sv, &d))
		return NULL;
	switch (sv.status) {
	case TA_SNI_NAME: return "name";
	case TA_SNI_NO_NAME: return "no-name";
	case TA_SNI_SPLIT: return "split";
	default: return "malformed";
	}
}

/* The labels of a rule mask, comma-separated, in buf */
static const char *rule_list(const struct ta_flow_ctx *c, uint64_t m, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (uint32_t r = 0; r < TA_MAX_RULES && m; r++, m >>= 1)
		if ((m & 1) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 r < c->nlabels && c->labels[r] ? c->labels[r] : "?");
	return buf;
}

bool ta_flow_drift_note(const struct ta_flow_ctx *c, const struct ta_flow_key *k, char *buf, size_t len)
{
	struct ta_dname d;
	uint64_t drift;
	char rules[160];

	if (!ta_flow_name(c, k, &d, &drift) || !drift)
		return false;
	snprintf(buf, len, "name drift: %s is %s's, the address is outside its addresses", d.name,
		 rule_list(c, drift, rules, sizeof(rules)));
	return true;
}

static const char *const carry_names[TA_CARRY_MAX] = {
	[TA_CARRY_STUN] = "stun", [TA_CARRY_DTLS] = "dtls",       [TA_CARRY_CHANNEL] = "turn-channel",
	[TA_CARRY_RTP] = "rtp",   [TA_CARRY_RTCP] = "rtcp",       [TA_CARRY_QUIC] = "quic",
	[TA_CARRY_TLS] = "tls",   [TA_CARRY_UNKNOWN] = "unknown",
};

/* STUN methods by number (RFC 8489, 8656): the ones WebRTC and TURN use */
const char *ta_stun_method_name(int m)
{
	static const char *const n[16] = {
		[1] = "binding", [3] = "allocate",          [4] = "refresh",     [6] = "send",
		[7] = "data",    [8] = "create-permission", [9] = "channel-bind"
	};

	return m >= 0 && m < 16 ? n[m] : NULL;
}

static const char *const stun_class_names[4] = { "request", "indication", "success", "error" };

/* Names of the set bits of m, from names[0, n), as a JSON array */
static json_object *bit_names(unsigned m, const char *const *names, int n, const char *(*fn)(int))
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		if (m & (1u << i)) {
			const char *s = fn ? fn(i) : names[i];
			char num[16];

			if (!s) {
				snprintf(num, sizeof(num), "%d", i);
				s = num;
			}
			json_object_array_add(a, ta_jstr(s));
		}
	return a;
}

const char *ta_carry_name(int c)
{
	return c >= 0 && c < TA_CARRY_MAX ? carry_names[c] : "?";
}

const char *ta_flow_carries_str(const struct ta_flow_val *v, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < TA_CARRY_MAX && used < len; i++) {
		if (!(v->carries & (1u << i)))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "", carry_names[i]);
		if (i == TA_CARRY_STUN && v->stun_methods && used < len) {
			int first = 1;

			for (int m = 0; m < 16 && used < len; m++)
				if (v->stun_methods & (1u << m)) {
					const char *mn = ta_stun_method_name(m);
					used += (size_t)snprintf(buf + used, len - used, "%s%s", first ? "(" : ",",
								 mn ? mn : "?");
					first = 0;
				}
			if (used < len)
				used += (size_t)snprintf(buf + used, len - used, ")");
		}
		if (i == TA_CARRY_CHANNEL && v->relayed && used < len) {
			int first = 1;

			for (int j = 0; j < TA_CARRY_MAX && used < len; j++)
				if (v->relayed & (1u << j)) {
					used += (size_t)snprintf(buf + used, len - used, "%s%s", first ? "(" : ",",
								 carry_names[j]);
					first = 0;
				}
			if (used < len)
				used += (size_t)snprintf(buf + used, len - used, ")");
		}
	}
	return buf;
}

const char *ta_flow_media_str(const struct ta_flow_val *v, char *buf, size_t len)
{
	int n;

	buf[0] = 0;
	if (!v->media_streams)
		return buf;
	n = snprintf(buf, len, "%u rtp, %.1f%% lost", v->media_streams,
		     ta_media_loss_pct(v->media_lost, v->media_expected));
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n,
			 v->media_jitter_us == TA_MEDIA_NO_JITTER ? ", jitter ?" : ", jitter %.1f ms",
			 v->media_jitter_us / 1000.0);
	return buf;
}

/* What the stream's receiver last reported in plain RTCP (null: nothing) */
static json_object *rr_json(const struct ta_media *m)
{
	json_object *o;

	if (!m->rr_reports)
		return NULL;
	o = json_object_new_object();
	ta_jadd(o, "reports", ta_ju64(m->rr_reports));
	ta_jadd(o, "fraction_lost_pct", ta_jnum(m->rr_fraction_pct, 2));
	ta_jadd(o, "cumulative_lost", json_object_new_int64(m->rr_lost));
	ta_jadd(o, "jitter_ms", m->rate ? ta_jnum(m->rr_jitter_ms, 2) : NULL);
	return o;
}

/* One RTP stream of a flow, as JSON */
static json_object *stream_json(const struct ta_media *m)
{
	json_object *o = json_object_new_object();
	char ssrc[16];

	snprintf(ssrc, sizeof(ssrc), "0x%08x", m->ssrc);
	ta_jadd(o, "ssrc", ta_jstr(ssrc));
	ta_jadd(o, "direction", ta_jstr(ta_dir_name(m->dir)));
	ta_jadd(o, "relayed", ta_jbool(m->relayed));
	ta_jadd(o, "payload_type", ta_ju64(m->pt));
	ta_jadd(o, "clock_hz", m->rate ? ta_ju64(m->rate) : NULL);
	ta_jadd(o, "packets", ta_ju64(m->received));
	ta_jadd(o, "expected", ta_ju64(m->expected));
	ta_jadd(o, "lost", ta_ju64(m->lost));
	ta_jadd(o, "loss_pct", ta_jnum(ta_media_loss_pct(m->lost, m->expected), 2));
	ta_jadd(o, "late", ta_ju64(m->late));
	ta_jadd(o, "duplicates", ta_ju64(m->duplicates));
	ta_jadd(o, "restarts", ta_ju64(m->restarts));
	ta_jadd(o, "jitter_ms", m->rate ? ta_jnum(m->jitter_ms, 2) : NULL);
	ta_jadd(o, "seconds", ta_jnum(m->seconds, 3));
	ta_jadd(o, "receiver_report", rr_json(m));
	return o;
}

/* The flow's media health (null without RTP streams): the sums, and each
 * stream while the flow's streams are in the kernel's table */
static json_object *media_json(const struct ta_flow_ctx *c, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	struct ta_media m[TA_RTP_STREAMS];
	json_object *o, *a;
	struct ta_rtp r;
	int n = 0;

	if (!v->media_streams)
		return NULL;
	o = json_object_new_object();
	ta_jadd(o, "expected", ta_ju64(v->media_expected));
	ta_jadd(o, "lost", ta_ju64(v->media_lost));
	ta_jadd(o, "loss_pct", ta_jnum(ta_media_loss_pct(v->media_lost, v->media_expected), 2));
	ta_jadd(o, "late", ta_ju64(v->media_late));
	ta_jadd(o, "duplicates", ta_ju64(v->media_dups));
	ta_jadd(o, "jitter_ms",
		v->media_jitter_us == TA_MEDIA_NO_JITTER ? NULL : ta_jnum(v->media_jitter_us / 1000.0, 2));
	a = json_object_new_array();
	if (c->dp && !ta_dp_rtp(c->dp, k, &r))
		n = ta_media_of(&r, m, TA_RTP_STREAMS);
	for (int i = 0; i < n; i++)
		json_object_array_add(a, stream_json(&m[i]));
	ta_jadd(o, "streams", a);
	return o;
}

/* What the flow's names and payloads say */
static void payload_json(json_object *o, const struct ta_flow_ctx *c, const struct ta_flow_key *k,
			 const struct ta_flow_val *v)
{
	struct ta_dname dn;
	uint64_t drift;
	char rl[160];

	ta_jadd(o, "server_name", ta_jstr(ta_flow_name(c, k, &dn, &drift)));
	ta_jadd(o, "name_drift_rules", drift ? ta_jstr(rule_list(c, drift, rl, sizeof(rl))) : NULL);
	ta_jadd(o, "tls_client_hello", ta_jstr(ta_flow_sni_status(c, k)));
	ta_jadd(o, "carries", bit_names(v->carries, carry_names, TA_CARRY_MAX, NULL));
	ta_jadd(o, "carries_relayed", bit_names(v->relayed, carry_names, TA_CARRY_MAX, NULL));
	ta_jadd(o, "stun_methods", bit_names(v->stun_methods, NULL, 16, ta_stun_method_name));
	ta_jadd(o, "stun_classes", bit_names(v->stun_classes, stun_class_names, 4, NULL));
	ta_jadd(o, "media", media_json(c, k, v));
}

json_object *ta_flow_jobj(const struct ta_flow_ctx *c, const char *event, const char *iface,
			  const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	json_object *o = json_object_new_object();
	const char *rule = ta_flow_rule_label(c, v);
	bool icmp = ta_is_icmp(k->proto);
	char pb[24], eb[48];
	if (event) {
		ta_jadd(o, "event", ta_jstr(event));
		ta_jtime(o, "time", c->unix_clock ? ta_flow_unix(c, c->now_ns) : ta_ktime_to_unix(ta_now_ns()));
	}
	if (iface || event) /* an event names its interface, or says null */
		ta_jadd(o, "iface", ta_jstr(iface));
	ta_jadd(o, "proto", ta_jstr(ta_proto_name(k->proto, pb, sizeof(pb))));
	ta_jadd(o, "family", ta_ju64(k->family));
	ta_jadd(o, "local", addr_obj(k->local));
	ta_jadd(o, "lport", icmp ? NULL : ta_ju64(k->lport));
	ta_jadd(o, "remote", addr_obj(k->remote));
	ta_jadd(o, "rport", icmp ? NULL : ta_ju64(k->rport));
	ta_jadd(o, "verdict", ta_jstr(ta_verdict_name(ta_flow_verdict(v))));
	ta_jadd(o, "rule", rule && strcmp(rule, TA_RULE_REMOVED) ? ta_jstr(rule) : NULL);
	ta_jadd(o, "rule_removed_by_reload", ta_jbool(rule && !strcmp(rule, TA_RULE_REMOVED)));
	ta_jadd(o, "rule_other_way", ta_jstr(ta_flow_other_way_rule(c, k, v)));
	payload_json(o, c, k, v);
	ta_jadd(o, "opener", ta_jstr(ta_dir_name(v->opener & 1)));
	ta_jadd(o, "state", ta_jstr(ta_fstate_name(ta_flow_state(k, v, c->now_ns))));
	ta_jadd(o, "packets_out", ta_ju64(v->packets[TA_DIR_OUT]));
	ta_jadd(o, "packets_in", ta_ju64(v->packets[TA_DIR_IN]));
	ta_jadd(o, "bytes_out", ta_ju64(v->bytes[TA_DIR_OUT]));
	ta_jadd(o, "bytes_in", ta_ju64(v->bytes[TA_DIR_IN]));
	ta_jtime(o, "first_seen", ta_flow_unix(c, v->first_ns));
	ta_jtime(o, "last_seen", ta_flow_unix(c, v->last_ns));
	ta_jadd(o, "tcp_flags_out", ta_ju64((v->flags >> TA_FF_TCP_SHIFT(TA_DIR_OUT)) & 0xff));
	ta_jadd(o, "tcp_flags_in", ta_ju64((v->flags >> TA_FF_TCP_SHIFT(TA_DIR_IN)) & 0xff));
	ta_jadd(o, "icmp_errors", ta_ju64(v->icmp_errors));
	ta_jadd(o, "icmp_last_type", v->icmp_errors ? ta_ju64(v->icmp_type) : NULL);
	ta_jadd(o, "icmp_last_code", v->icmp_errors ? ta_ju64(v->icmp_code) : NULL);
	ta_jadd(o, "icmp_from", v->icmp_errors ? addr_obj(v->icmp_from) : NULL);
	/* errors this side sent about inbound packets of the flow: it refused them */
	ta_jadd(o, "icmp_sent", ta_ju64(v->icmp_sent));
	ta_jadd(o, "icmp_sent_last_type", v->icmp_sent ? ta_ju64(v->icmp_sent_type) : NULL);
	ta_jadd(o, "icmp_sent_last_code", v->icmp_sent ? ta_ju64(v->icmp_sent_code) : NULL);
	ta_jadd(o, "icmp_sent_from", v->icmp_sent ? addr_obj(v->icmp_sent_from) : NULL);
	ta_jadd(o, "policy_drops", ta_ju64(v->policy_drops));
	ta_jadd(o, "kernel_drops", ta_ju64(v->kernel_drops));
	if (v->kernel_drops) {
		char rb[64], sb[128];

		ta_jadd(o, "last_drop_reason", ta_jstr(ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb))));
		ta_jadd(o, "last_drop_location", ta_jstr(ta_ksym(v->last_drop_loc, sb, sizeof(sb))));
		ta_jadd(o, "last_drop_dir", ta_jstr(ta_dir_name(v->last_drop_dir & 1)));
		ta_jadd(o, "last_drop_route", ta_jstr(ta_route_err_name(v->last_drop_route, eb, sizeof(eb))));
	} else {
		ta_jadd(o, "last_drop_reason", NULL);
		ta_jadd(o, "last_drop_location", NULL);
		ta_jadd(o, "last_drop_dir", NULL);
		ta_jadd(o, "last_drop_route", NULL);
	}
	ta_jadd(o, "endpoint_drops", ta_ju64(v->endpoint_drops));
	if (v->endpoint_drops) {
		char rb[64], sb[128];

		ta_jadd(o, "last_endpoint_drop_reason",
			ta_jstr(ta_drop_reason_name(v->last_ep_reason, rb, sizeof(rb))));
		ta_jadd(o, "last_endpoint_drop_location", ta_jstr(ta_ksym(v->last_ep_loc, sb, sizeof(sb))));
	} else {
		ta_jadd(o, "last_endpoint_drop_reason", NULL);
		ta_jadd(o, "last_endpoint_drop_location", NULL);
	}
	/* an ICMP echo flow is tied by its identifier, the same both ways: once */
	ta_jadd(o, "echo_id", icmp && k->lport ? ta_ju64(k->lport) : NULL);
	ta_jadd(o, "generation", ta_ju64(v->generation));
	return o;
}

static void human(char *buf, size_t len, uint64_t v)
{
	if (v >= 10000000000ull)
		snprintf(buf, len, "%lluG", (unsigned long long)(v / TA_NSEC_PER_SEC));
	else if (v >= 10000000ull)
		snprintf(buf, len, "%lluM", (unsigned long long)(v / 1000000ull));
	else if (v >= 100000ull)
		snprintf(buf, len, "%lluk", (unsigned long long)(v / 1000ull));
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

void ta_flow_line_head(FILE *f, int width)
{
	fprintf(f, "%-*s %-10s %-8s %-11s %-13s %-15s %6s\n", width, "FLOW (LOCAL -> REMOTE)", "VERDICT", "RULE",
		"STATE", "PKTS OUT/IN", "BYTES OUT/IN", "IDLE");
}

void ta_flow_line(FILE *f, const struct ta_flow_ctx *c, const struct ta_flow_key *k, const struct ta_flow_val *v,
		  int width)
{
	char ends[160], po[16], pi[16], bo[16], bi[16], note[128];
	const char *rule = ta_flow_rule_label(c, v);
	uint64_t now_ns = c->now_ns;
	double ago = now_ns > v->last_ns ? (double)(now_ns - v->last_ns) / TA_NSEC_PER_SEC : 0;

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
		char eb[48];
		const char *route = ta_route_err_name(v->last_drop_route, eb, sizeof(eb));

		fprintf(f, " kernel-dropped %llu (%s%s%s)", (unsigned long long)v->kernel_drops,
			ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)), route ? "; routing: " : "",
			route ? route : "");
	}
	if (v->icmp_errors)
		fprintf(f, " icmp %u/%u", v->icmp_type, v->icmp_code);
	if (ta_flow_other_way_note(c, k, v, note, sizeof(note)))
		fprintf(f, " (%s)", note);
	fputc('\n', f);
}

int ta_remote_parse(const char *s, struct ta_remote *r, char *err, size_t errlen)
{
	char a[128], *end, *colon = NULL;
	const char *addr = a;

	memset(r, 0, sizeof(*r));
	r->port = -1;
	if (strlen(s) >= sizeof(a)) {
		snprintf(err, errlen, "too long");
		return -1;
	}
	snprintf(a, sizeof(a), "%s", s);
	if (a[0] == '[') { /* [IPv6]:PORT */
		char *close = strchr(a, ']');

		if (!close) {
			snprintf(err, errlen, "'[' without ']': write an IPv6 address with a port as [ADDR]:PORT");
			return -1;
		}
		*close = 0;
		addr = a + 1;
		if (close[1] == ':')
			colon = close + 1;
		else if (close[1]) {
			snprintf(err, errlen, "after ']' only :PORT may follow");
			return -1;
		}
	} else if (strchr(a, ':') && strchr(a, ':') == strrchr(a, ':')) { /* IPv4:PORT */
		colon = strchr(a, ':');
	}
	if (colon) {
		unsigned long p;

		*colon = 0;
		errno = 0;
		p = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || p > 65535) {
			snprintf(err, errlen, "the port must be a number from 0 to 65535");
			return -1;
		}
		r->port = (int)p;
	}
	if (ta_prefix_parse(addr, &r->p, err, errlen)) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, " (give an IPv4 or IPv6 address or prefix: 192.0.2.1, 192.0.2.0/24:443, "
			 "2001:db8::1, [2001:db8::/32]:443)");
		return -1;
	}
	r->has = true;
	return 0;
}

bool ta_remote_match(const struct ta_remote *r, const struct ta_flow_key *k)
{
	if (!r->has)
		return true;
	return ta_prefix_contains(&r->p, k->remote) && (r->port < 0 || k->rport == r->port);
}

int ta_closed_add(struct ta_closed **a, size_t *cap, size_t *n, const struct ta_flow_key *k,
		  const struct ta_flow_val *v)
{
	if (ta_grow(a, cap, *n, sizeof(**a), 256))
		return -1;
	(*a)[*n].k = *k;
	(*a)[*n].v = *v;
	(*n)++;
	return 0;
}
