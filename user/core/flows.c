// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dp.h"
#include "json.h"
#include "flows.h"
#include "jw.h"
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
	if (c->unix_clock || c->unix_off)
		return (double)ns / TA_NSEC_PER_SEC + (c->unix_clock ? 0 : c->unix_off);
	return ta_ktime_to_unix(ns);
}

static void addr_jw(struct ta_jw *w, const char *k, const uint8_t *a)
{
	char buf[64];

	ta_addr_str(a, buf, sizeof(buf));
	ta_jw_str(w, k, buf);
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
static void bit_names(struct ta_jw *w, const char *k, unsigned m, const char *const *names, int n,
		      const char *(*fn)(int))
{
	ta_jw_arr(w, k);
	for (int i = 0; i < n; i++)
		if (m & (1u << i)) {
			const char *s = fn ? fn(i) : names[i];
			char num[16];

			if (!s) {
				snprintf(num, sizeof(num), "%d", i);
				s = num;
			}
			ta_jw_str(w, NULL, s);
		}
	ta_jw_end(w);
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
static void rr_jw(struct ta_jw *w, const struct ta_media *m)
{
	if (!m->rr_reports) {
		ta_jw_null(w, "receiver_report");
		return;
	}
	ta_jw_obj(w, "receiver_report");
	ta_jw_u64(w, "reports", m->rr_reports);
	ta_jw_num(w, "fraction_lost_pct", m->rr_fraction_pct, 2);
	ta_jw_i64(w, "cumulative_lost", m->rr_lost);
	if (m->rate)
		ta_jw_num(w, "jitter_ms", m->rr_jitter_ms, 2);
	else
		ta_jw_null(w, "jitter_ms");
	ta_jw_end(w);
}

/* One RTP stream of a flow, as JSON */
static void stream_jw(struct ta_jw *w, const struct ta_media *m)
{
	char ssrc[16];

	snprintf(ssrc, sizeof(ssrc), "0x%08x", m->ssrc);
	ta_jw_obj(w, NULL);
	ta_jw_str(w, "ssrc", ssrc);
	ta_jw_str(w, "direction", ta_dir_name(m->dir));
	ta_jw_bool(w, "relayed", m->relayed);
	ta_jw_u64(w, "payload_type", m->pt);
	if (m->rate)
		ta_jw_u64(w, "clock_hz", m->rate);
	else
		ta_jw_null(w, "clock_hz");
	ta_jw_u64(w, "packets", m->received);
	ta_jw_u64(w, "expected", m->expected);
	ta_jw_u64(w, "lost", m->lost);
	ta_jw_num(w, "loss_pct", ta_media_loss_pct(m->lost, m->expected), 2);
	ta_jw_u64(w, "late", m->late);
	ta_jw_u64(w, "duplicates", m->duplicates);
	ta_jw_u64(w, "restarts", m->restarts);
	if (m->rate)
		ta_jw_num(w, "jitter_ms", m->jitter_ms, 2);
	else
		ta_jw_null(w, "jitter_ms");
	ta_jw_num(w, "seconds", m->seconds, 3);
	rr_jw(w, m);
	ta_jw_end(w);
}

/* The flow's media health (null without RTP streams): the sums, and each
 * stream while the flow's streams are in the kernel's table */
static void media_jw(struct ta_jw *w, const struct ta_flow_ctx *c, const struct ta_flow_key *k,
		     const struct ta_flow_val *v)
{
	struct ta_media m[TA_RTP_STREAMS];
	struct ta_rtp r;
	int n = 0;

	if (!v->media_streams) {
		ta_jw_null(w, "media");
		return;
	}
	ta_jw_obj(w, "media");
	ta_jw_u64(w, "expected", v->media_expected);
	ta_jw_u64(w, "lost", v->media_lost);
	ta_jw_num(w, "loss_pct", ta_media_loss_pct(v->media_lost, v->media_expected), 2);
	ta_jw_u64(w, "late", v->media_late);
	ta_jw_u64(w, "duplicates", v->media_dups);
	if (v->media_jitter_us == TA_MEDIA_NO_JITTER)
		ta_jw_null(w, "jitter_ms");
	else
		ta_jw_num(w, "jitter_ms", v->media_jitter_us / 1000.0, 2);
	if (c->dp && !ta_dp_rtp(c->dp, k, &r))
		n = ta_media_of(&r, m, TA_RTP_STREAMS);
	ta_jw_arr(w, "streams");
	for (int i = 0; i < n; i++)
		stream_jw(w, &m[i]);
	ta_jw_end(w);
	ta_jw_end(w);
}

/* What the flow's names and payloads say */
static void payload_jw(struct ta_jw *w, const struct ta_flow_ctx *c, const struct ta_flow_key *k,
		       const struct ta_flow_val *v)
{
	struct ta_dname dn;
	uint64_t drift;
	char rl[160];

	ta_jw_str(w, "server_name", ta_flow_name(c, k, &dn, &drift));
	ta_jw_str(w, "name_drift_rules", drift ? rule_list(c, drift, rl, sizeof(rl)) : NULL);
	ta_jw_str(w, "tls_client_hello", ta_flow_sni_status(c, k));
	bit_names(w, "carries", v->carries, carry_names, TA_CARRY_MAX, NULL);
	bit_names(w, "carries_relayed", v->relayed, carry_names, TA_CARRY_MAX, NULL);
	bit_names(w, "stun_methods", v->stun_methods, NULL, 16, ta_stun_method_name);
	bit_names(w, "stun_classes", v->stun_classes, stun_class_names, 4, NULL);
	media_jw(w, c, k, v);
}

/* a count, or null when there is nothing it counts */
static void u64_or_null(struct ta_jw *w, const char *k, bool have, uint64_t v)
{
	if (have)
		ta_jw_u64(w, k, v);
	else
		ta_jw_null(w, k);
}

/* The kernel's drops of the flow: blocks, then endpoint discards */
static void drops_jw(struct ta_jw *w, const struct ta_flow_val *v)
{
	char rb[64], sb[128], eb[48];
	bool kd = v->kernel_drops, ep = v->endpoint_drops;

	ta_jw_u64(w, "policy_drops", v->policy_drops);
	ta_jw_u64(w, "kernel_drops", v->kernel_drops);
	ta_jw_str(w, "last_drop_reason", kd ? ta_drop_reason_name(v->last_drop_reason, rb, sizeof(rb)) : NULL);
	ta_jw_str(w, "last_drop_location", kd ? ta_ksym(v->last_drop_loc, sb, sizeof(sb)) : NULL);
	ta_jw_str(w, "last_drop_dir", kd ? ta_dir_name(v->last_drop_dir & 1) : NULL);
	ta_jw_str(w, "last_drop_route", kd ? ta_route_err_name(v->last_drop_route, eb, sizeof(eb)) : NULL);
	ta_jw_u64(w, "endpoint_drops", v->endpoint_drops);
	ta_jw_str(w, "last_endpoint_drop_reason", ep ? ta_drop_reason_name(v->last_ep_reason, rb, sizeof(rb)) : NULL);
	ta_jw_str(w, "last_endpoint_drop_location", ep ? ta_ksym(v->last_ep_loc, sb, sizeof(sb)) : NULL);
}

/* ICMP errors about the flow, received and sent */
static void icmp_jw(struct ta_jw *w, const struct ta_flow_val *v)
{
	ta_jw_u64(w, "icmp_errors", v->icmp_errors);
	u64_or_null(w, "icmp_last_type", v->icmp_errors, v->icmp_type);
	u64_or_null(w, "icmp_last_code", v->icmp_errors, v->icmp_code);
	if (v->icmp_errors)
		addr_jw(w, "icmp_from", v->icmp_from);
	else
		ta_jw_null(w, "icmp_from");
	/* errors this side sent about inbound packets of the flow: it refused them */
	ta_jw_u64(w, "icmp_sent", v->icmp_sent);
	u64_or_null(w, "icmp_sent_last_type", v->icmp_sent, v->icmp_sent_type);
	u64_or_null(w, "icmp_sent_last_code", v->icmp_sent, v->icmp_sent_code);
	if (v->icmp_sent)
		addr_jw(w, "icmp_sent_from", v->icmp_sent_from);
	else
		ta_jw_null(w, "icmp_sent_from");
}

void ta_flow_jw(struct ta_jw *w, const struct ta_flow_ctx *c, const char *event, const char *iface,
		const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	const char *rule = ta_flow_rule_label(c, v);
	bool icmp = ta_is_icmp(k->proto), removed = rule && !strcmp(rule, TA_RULE_REMOVED);
	char pb[24];

	if (event) {
		ta_jw_str(w, "event", event);
		ta_jw_time(w, "time",
			   c->unix_clock || c->unix_off ? ta_flow_unix(c, c->now_ns) : ta_ktime_to_unix(ta_now_ns()));
	}
	if (iface || event) /* an event names its interface, or says null */
		ta_jw_str(w, "iface", iface);
	ta_jw_str(w, "proto", ta_proto_name(k->proto, pb, sizeof(pb)));
	ta_jw_u64(w, "family", k->family);
	addr_jw(w, "local", k->local);
	u64_or_null(w, "lport", !icmp, k->lport);
	addr_jw(w, "remote", k->remote);
	u64_or_null(w, "rport", !icmp, k->rport);
	ta_jw_str(w, "verdict", ta_verdict_name(ta_flow_verdict(v)));
	ta_jw_str(w, "rule", removed ? NULL : rule);
	ta_jw_bool(w, "rule_removed_by_reload", removed);
	ta_jw_str(w, "rule_other_way", ta_flow_other_way_rule(c, k, v));
	payload_jw(w, c, k, v);
	ta_jw_str(w, "opener", ta_dir_name(v->opener & 1));
	ta_jw_str(w, "state", ta_fstate_name(ta_flow_state(k, v, c->now_ns)));
	ta_jw_u64(w, "packets_out", v->packets[TA_DIR_OUT]);
	ta_jw_u64(w, "packets_in", v->packets[TA_DIR_IN]);
	ta_jw_u64(w, "bytes_out", v->bytes[TA_DIR_OUT]);
	ta_jw_u64(w, "bytes_in", v->bytes[TA_DIR_IN]);
	ta_jw_time(w, "first_seen", ta_flow_unix(c, v->first_ns));
	ta_jw_time(w, "last_seen", ta_flow_unix(c, v->last_ns));
	ta_jw_u64(w, "tcp_flags_out", (v->flags >> TA_FF_TCP_SHIFT(TA_DIR_OUT)) & 0xff);
	ta_jw_u64(w, "tcp_flags_in", (v->flags >> TA_FF_TCP_SHIFT(TA_DIR_IN)) & 0xff);
	icmp_jw(w, v);
	drops_jw(w, v);
	/* an ICMP echo flow is tied by its identifier, the same both ways: once */
	u64_or_null(w, "echo_id", icmp && k->lport, k->lport);
	ta_jw_u64(w, "generation", v->generation);
}

json_object *ta_flow_jobj(const struct ta_flow_ctx *c, const char *event, const char *iface,
			  const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	struct ta_jw w = { 0 };
	const char *t;
	json_object *o = NULL;

	ta_jw_obj(&w, NULL);
	ta_flow_jw(&w, c, event, iface, k, v);
	ta_jw_end(&w);
	t = ta_jw_text(&w, NULL);
	if (t)
		o = json_tokener_parse(t);
	ta_jw_free(&w);
	return o ? o : json_object_new_object();
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
