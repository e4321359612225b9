// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "options.h"
#include "clock.h"

const char *const ta_side_values[] = { "outside", "inside", NULL };
const char *const ta_hook_values[] = { "xdp", "tc", NULL };
const char *const ta_xdp_mode_values[] = { "native", "skb", NULL };

void ta_attach_cli_init(struct ta_attach_cli *c)
{
	c->side = c->hook = c->xdp_mode = -1;
}

int ta_attach_cli_resolve(const char *cmd, const struct ta_attach_cli *c, struct ta_attach_opts *o)
{
	o->side = c->side < 0 ? TA_SIDE_OUTSIDE : c->side;
	o->hook = c->hook < 0 ? TA_HOOK_XDP : c->hook;
	o->xdp_mode = c->xdp_mode < 0 ? TA_XDP_NATIVE : c->xdp_mode + 1;
	if (c->xdp_mode >= 0 && o->hook == TA_HOOK_TC) {
		ta_err("%s: --xdp-mode has no meaning with --hook tc", cmd);
		return TA_EXIT_USAGE;
	}
	o->dns_ttl_min = (uint32_t)(c->dns_ttl_min ? c->dns_ttl_min : TA_DNS_TTL_MIN);
	o->dns_ttl_max = (uint32_t)(c->dns_ttl_max ? c->dns_ttl_max : TA_DNS_TTL_MAX);
	if (o->dns_ttl_min > o->dns_ttl_max) {
		ta_err("%s: --dns-ttl-min (%u s) is above --dns-ttl-max (%u s)", cmd, o->dns_ttl_min, o->dns_ttl_max);
		return TA_EXIT_USAGE;
	}
	return 0;
}

uint64_t ta_since_unix_ns(double seconds_ago)
{
	return (uint64_t)((ta_ktime_to_unix(ta_now_ns()) - seconds_ago) * TA_NSEC_PER_SEC);
}
