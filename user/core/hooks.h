/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Attaching the programs to interfaces: XDP (bpf link) and tc (clsact). */
#ifndef TA_HOOKS_H
#define TA_HOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include "tokaudit.h"

enum ta_hook_kind { TA_HOOK_XDP = 0, TA_HOOK_TC = 1 };
enum ta_xdp_mode { TA_XDP_NONE = 0, TA_XDP_NATIVE = 1, TA_XDP_SKB = 2 };
enum ta_side { TA_SIDE_OUTSIDE = 0, TA_SIDE_INSIDE = 1 };

struct ta_iface {
	char name[32];
	int ifindex;
	/* what this process attached */
	bool has_xdp;
	int xdp_link_fd;          /* the XDP bpf_link: closing it detaches */
	int xdp_mode;             /* enum ta_xdp_mode actually used */
	bool tc_egress, tc_ingress;
	bool created_clsact;      /* we made the qdisc: remove it on detach */
	char clsact_mark[300];    /* where that is remembered past a kill -9 ("" none) */
};

struct ta_iface_list {
	struct ta_iface v[TA_MAX_IFACES];
	int n;
};

/* How to attach: what the interfaces face, the ingress hook, the XDP mode */
struct ta_attach_opts {
	int side;      /* enum ta_side */
	int hook;      /* enum ta_hook_kind */
	int xdp_mode;  /* enum ta_xdp_mode to try first */
	bool enforce;
	bool events;   /* pinned mode: the programs write events (a reader, serve, runs) */
	uint32_t dns_ttl_min, dns_ttl_max; /* a learned address's life, s (0: the defaults) */
};

/* Resolve names "a,b" into ifaces[]; prints "no such interface" on error. */
int ta_ifaces_parse(const char *list, struct ta_iface *ifaces, int max, int *n);

/* XDP on ingress: refuses when another XDP program is attached (naming it).
 * mode: native falls back to skb with a notice when the driver lacks it. */
int ta_attach_xdp(struct ta_iface *ifc, int prog_fd, int mode);
/* tc on egress (and ingress when ingress_fd >= 0), in a clsact qdisc.
 * mark_root: a directory (the pin root) where a qdisc tokaudit creates is
 * marked as its own (an empty directory clsact:IFACE:IFINDEX), so whoever
 * detaches next removes it even when this process is killed; NULL: only
 * this process knows. */
int ta_attach_tc(struct ta_iface *ifc, int egress_fd, int ingress_fd, const char *mark_root);
/* The clsact qdisc of an interface, when tokaudit made it (owned, or marked
 * under mark_root by an earlier process): remove it and the mark. */
void ta_tc_clsact_release(const char *mark_root, const char *ifname, int ifindex, bool owned);
/* Undo what ta_attach_* did (safe to call twice). */
void ta_detach(struct ta_iface *ifc);
/* Remove tokaudit's tc filters (our handle and priority) from an interface;
 * returns how many there were, or -errno when one could not be removed. */
int ta_tc_detach_ours(int ifindex);
/* Is tokaudit's egress tc filter on the interface? */
bool ta_tc_ours(int ifindex);
/* ...on egress, or on ingress */
bool ta_tc_ours_at(int ifindex, bool ingress);
/* Remove the clsact qdisc (and every filter in it) */
void ta_tc_clsact_remove(int ifindex);
/* Is the XDP program prog_id on the interface? (no CAP_SYS_ADMIN needed) */
bool ta_xdp_prog_on(int ifindex, uint32_t prog_id);
/* Is tokaudit's XDP program (by name) on the interface? */
bool ta_xdp_ours(int ifindex);
/* Remove tokaudit's XDP program (found by name, through its link when it has
 * one) from an interface: 1 removed, 0 none of ours, -errno. */
int ta_xdp_detach_ours(int ifindex);

/* What a serve watches on its interfaces (ta_pins_missing: a bit each) */
enum ta_hook_watch { TA_HK_PINS = 0, TA_HK_XDP, TA_HK_TC_EGRESS, TA_HK_TC_INGRESS, TA_HK_MAX };
extern const char *const ta_hook_names[TA_HK_MAX];

/* Priority and handle of our tc filters */
#define TA_TC_PRIO 0xa5
#define TA_TC_HANDLE 0xa5

#endif
