// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* serve's watch over its own pins and hooks: see hookwatch.h. */
#include <errno.h>
#include <string.h>
#include "evwriter.h"
#include "hookwatch.h"
#include "json.h"
#include "log.h"
#include "pinstore.h"
#include "session.h"

/* A put-back that failed is tried again this often */
#define TA_HOOK_RETRY_S 5

void ta_hook_list(unsigned miss, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int k = 0; k < TA_HK_MAX && off < len; k++)
		if (miss & (1u << k))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "", ta_hook_names[k]);
}

/* The "hook" event: what went missing and whether it is back */
static void hook_event(struct ta_evw *evw, const struct ta_session *s, unsigned miss, const char *state, int err)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();

	ta_jadd(o, "event", ta_jstr("hook"));
	ta_jtime(o, "time", ta_ktime_to_unix(ta_now_ns()));
	ta_jadd(o, "interface", ta_jstr(s->ifaces[0].name));
	for (int k = 0; k < TA_HK_MAX; k++)
		if (miss & (1u << k))
			json_object_array_add(a, ta_jstr(ta_hook_names[k]));
	ta_jadd(o, "missing", a);
	ta_jadd(o, "state", ta_jstr(state));
	ta_jadd(o, "error", err ? ta_jstr(strerror(-err)) : NULL);
	{
		const char *t = ta_jtext(o);

		ta_evw_put(evw, t, strlen(t));
	}
	json_object_put(o);
}

/* Put back what another command removed (run's exit, detach --force, tc
 * qdisc del): the same maps, so counters and flows go on */
static int restore_hooks(struct ta_session *s, const struct ta_attach_opts *o, unsigned flows)
{
	struct ta_meta m;
	int err;

	if ((err = ta_pins_restore(&s->ifaces[0], o, flows, &s->dp, &m)))
		return err;
	s->meta = m;
	return 0;
}

void ta_hookwatch(struct ta_session *s, const struct ta_attach_opts *o, unsigned flows, struct ta_evw *evw)
{
	unsigned miss = ta_pins_missing(s->ifaces[0].name, s->ifaces[0].ifindex, o->hook), now;
	unsigned was = s->hooks_missing;
	char what[80];
	int err;

	if (!miss) {
		s->hooks_missing = 0;
		return;
	}
	ta_hook_list(miss, what, sizeof(what));
	if (miss == was && ta_now_ns() < s->hook_retry_ns)
		return; /* it failed a moment ago: not every tick in the journal */
	if (miss != was)
		ta_err("%s: %s missing (removed by another command?): not audited that way; putting it back",
		       s->ifaces[0].name, what);
	err = restore_hooks(s, o, flows);
	now = ta_pins_missing(s->ifaces[0].name, s->ifaces[0].ifindex, o->hook);
	for (int k = 0; k < TA_HK_MAX; k++) /* each one back, counted once */
		if (miss & ~now & (1u << k))
			s->hook_restores[k]++;
	if (miss & ~now)
		s->hook_restored = ta_ktime_to_unix(ta_now_ns());
	s->hooks_missing = now;
	if (!now) {
		ta_info("%s: %s put back; counters and flows kept", s->ifaces[0].name, what);
		hook_event(evw, s, miss, "restored", 0);
		return;
	}
	ta_hook_list(now, what, sizeof(what));
	ta_err("%s: cannot put %s back%s%s: trying again in %d s", s->ifaces[0].name, what, err ? ": " : "",
	       err ? strerror(-err) : "", TA_HOOK_RETRY_S);
	if (now != was)
		hook_event(evw, s, now, "missing", err ? err : -EAGAIN);
	s->hook_retry_ns = ta_now_ns() + TA_HOOK_RETRY_S * TA_NSEC_PER_SEC;
}
