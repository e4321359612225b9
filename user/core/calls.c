// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Calls per inside client, from its flows (calls.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>
#include "calls.h"
#include "dp.h"
#include "flows.h"
#include "kdrop.h"
#include "media.h"
#include "names.h"
#include "util.h"

#define CARRY(x)     (1u << TA_CARRY_##x)
#define TA_TURN_PORT 3478

static const char *const path_names[TA_PATH_MAX] = { "direct-udp", "relayed-udp", "relayed-tcp", "tls-443" };

const char *ta_path_name(int path)
{
	return path >= 0 && path < TA_PATH_MAX ? path_names[path] : "none";
}

/* A media address: the policy allows UDP to it (TURN's port stands for
 * the media range) */
static bool media_addr(const struct ta_dp *dp, const uint8_t a[16])
{
	return dp && ta_dp_rules_for(dp, a, TA_IPPROTO_UDP, TA_DIR_OUT, TA_TURN_PORT) != 0;
}

/* The path of a flow's media, or -1 when it carries none */
static int flow_path(const struct ta_dp *dp, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	bool busy = v->packets[TA_DIR_IN] >= TA_CALL_TCP_MIN && v->packets[TA_DIR_OUT] >= TA_CALL_TCP_MIN;

	if (k->proto == TA_IPPROTO_UDP) {
		if (v->carries & CARRY(CHANNEL))
			return v->relayed & CARRY(RTP) ? TA_PATH_RELAYED_UDP : -1;
		return v->carries & CARRY(RTP) || v->media_streams ? TA_PATH_DIRECT_UDP : -1;
	}
	if (k->proto != TA_IPPROTO_TCP || !busy)
		return -1;
	if (v->carries & (CARRY(STUN) | CARRY(CHANNEL)) || k->rport == TA_TURN_PORT)
		return TA_PATH_RELAYED_TCP;
	if (k->rport == 443 && v->carries & CARRY(TLS) && media_addr(dp, k->remote))
		return TA_PATH_TLS_443;
	return -1;
}

struct ta_call_idx {
	uint8_t client[16];
	size_t i;
	UT_hash_handle hh;
};

static struct ta_call *client_of(struct ta_calls *cs, const uint8_t a[16])
{
	struct ta_call_idx *x;

	HASH_FIND(hh, cs->idx, a, 16, x);
	if (x)
		return &cs->c[x->i];
	if (ta_grow(&cs->c, &cs->cap, cs->n, sizeof(*cs->c), 16) || !(x = calloc(1, sizeof(*x))))
		return NULL;
	memcpy(x->client, a, 16);
	x->i = cs->n;
	HASH_ADD(hh, cs->idx, client, 16, x);
	memset(&cs->c[cs->n], 0, sizeof(cs->c[0]));
	memcpy(cs->c[cs->n].client, a, 16);
	cs->c[cs->n].jitter_us = TA_MEDIA_NO_JITTER;
	return &cs->c[cs->n++];
}

/* A UDP flow that tried and got nothing back: STUN to a media address,
 * unanswered; or one this host dropped */
static void udp_attempt(struct ta_call *c, const struct ta_dp *dp, const struct ta_flow_key *k,
			const struct ta_flow_val *v)
{
	if (v->kernel_drops) {
		if (v->kernel_drops > c->blocked_drops) {
			c->blocked = *k;
			c->blocked_drops = v->kernel_drops;
			c->blocked_loc = v->last_drop_loc;
			c->blocked_reason = v->last_drop_reason;
		}
		c->udp_blocked += v->kernel_drops;
	}
	if (!(v->carries & CARRY(STUN)) || v->packets[TA_DIR_IN] || !v->packets[TA_DIR_OUT] ||
	    !media_addr(dp, k->remote))
		return;
	/* the one to name: the first, or one to TURN's port */
	if (!c->udp_unanswered++ || (k->rport == TA_TURN_PORT && c->unanswered.rport != TA_TURN_PORT)) {
		c->unanswered = *k;
		c->unanswered_methods = v->stun_methods;
	}
}

int ta_calls_add(struct ta_calls *cs, const struct ta_dp *dp, const struct ta_flow_key *k, const struct ta_flow_val *v)
{
	int p = flow_path(dp, k, v);
	struct ta_call *c;

	if (p < 0 && (k->proto != TA_IPPROTO_UDP || !(v->carries & CARRY(STUN) || v->kernel_drops)))
		return 0;
	if (!(c = client_of(cs, k->local)))
		return -1;
	if (p < 0) {
		udp_attempt(c, dp, k, v);
		return 0;
	}
	c->flows[p]++;
	c->streams += v->media_streams;
	c->expected += v->media_expected;
	c->lost += v->media_lost;
	if (v->media_streams)
		c->jitter_us = ta_jitter_max(c->jitter_us, v->media_jitter_us);
	return 0;
}

void ta_calls_free(struct ta_calls *cs)
{
	struct ta_call_idx *x, *tmp;

	HASH_ITER(hh, cs->idx, x, tmp) {
		HASH_DEL(cs->idx, x);
		free(x);
	}
	free(cs->c);
	memset(cs, 0, sizeof(*cs));
}

int ta_call_path(const struct ta_call *c)
{
	for (int p = 0; p < TA_PATH_MAX; p++)
		if (c->flows[p])
			return p;
	return -1;
}

/* What UDP did: "STUN Binding to 72.5.167.140:3478, no answer" and where
 * this host dropped it */
static size_t udp_story(const struct ta_call *c, char *buf, size_t len)
{
	char a[64], sb[128], rb[64];
	size_t used = 0;
	int m = 0;

	if (c->udp_unanswered) {
		while (m < 16 && !(c->unanswered_methods & (1u << m)))
			m++;
		ta_addr_str(c->unanswered.remote, a, sizeof(a));
		used += (size_t)snprintf(buf, len, "STUN %s to %s:%u, no answer",
					 m < 16 && ta_stun_method_name(m) ? ta_stun_method_name(m) : "message", a,
					 c->unanswered.rport);
		if (c->udp_unanswered > 1 && used < len)
			used += (size_t)snprintf(buf + used, len - used, ", and %u more UDP flows unanswered",
						 c->udp_unanswered - 1);
	}
	if (c->udp_blocked && used < len) {
		ta_addr_str(c->blocked.remote, a, sizeof(a));
		used += (size_t)snprintf(buf + used, len - used,
					 "%s%llu UDP packets dropped in this host at %s (%s), %llu of them to %s:%u",
					 used ? "; " : "", (unsigned long long)c->udp_blocked,
					 ta_ksym(c->blocked_loc, sb, sizeof(sb)),
					 ta_drop_reason_name(c->blocked_reason, rb, sizeof(rb)),
					 (unsigned long long)c->blocked_drops, a, c->blocked.rport);
	}
	return used < len ? used : len - 1;
}

bool ta_call_finding(const struct ta_call *c, char *buf, size_t len)
{
	static const char *const how[TA_PATH_MAX] = { "", "TURN over UDP", "TURN over TCP", "TURN over TLS 443" };
	int p = ta_call_path(c);
	char a[64], udp[400];
	bool tried = udp_story(c, udp, sizeof(udp)) > 0;

	ta_addr_str(c->client, a, sizeof(a));
	if (p == TA_PATH_DIRECT_UDP || (p < 0 && !tried))
		return false;
	if (p == TA_PATH_RELAYED_UDP)
		snprintf(buf, len,
			 "%s: media relayed by TURN over UDP: direct UDP to the media addresses did not connect%s%s%s",
			 a, tried ? " (" : "", tried ? udp : "", tried ? ")" : "");
	else if (p < 0)
		snprintf(buf, len, "%s: UDP media attempted (%s), and no media seen on any path", a, udp);
	else if (tried)
		snprintf(buf, len, "%s: UDP media attempted (%s), then %s: UDP is blocked on this path", a, udp,
			 how[p]);
	else
		snprintf(buf, len,
			 "%s: media over %s, no UDP attempt seen: the client did not try UDP, or UDP is blocked "
			 "before this gateway",
			 a, how[p]);
	return true;
}
