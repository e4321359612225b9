/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The pin store: pinned mode's state on bpffs.
 *
 *   PIN_ROOT/IFACE/   every map of one attach (ta_flows, ta_meta, bss...),
 *                     xdp_link and drop_link (the links that keep the
 *                     programs attached with no process running)
 *   PIN_ROOT          /sys/fs/bpf/tokaudit, or $TOKAUDIT_PIN_ROOT; its
 *                     flock serialises every pinned-mode operation
 *
 * Attaching, detaching and reloading an interface, and opening the attached
 * ones (maps only, no program loaded) for reading.  Results come back as
 * data; the commands print.
 */
#ifndef TA_PINSTORE_H
#define TA_PINSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>
#include "dp.h"
#include "flows.h"
#include "hooks.h"
#include "policy.h"

const char *ta_pin_root(void);
void ta_pin_dir(char *buf, size_t len, const char *ifname);

/* Take the store's lock; create: mount bpffs and make the root when
 * missing.  Refuses (one line) a bpffs that would not outlive this command
 * ('ip netns exec').  0 or -errno. */
int ta_pins_lock(bool create);
void ta_pins_unlock(void);
/* Can this process see the machine's pins at all? (else: why, in *why) */
bool ta_pins_visible(const char **why);

/* How to read the flows of an attached interface: both generations' labels */
struct ta_meta_view {
	const char *labels[TA_MAX_RULES];
	const char *prev[TA_MAX_RULES];
	struct ta_flow_ctx ctx;
};
void ta_meta_view(const struct ta_meta *m, const struct ta_dp *dp, struct ta_meta_view *mv);

/* One attached interface, its maps open (no program loaded) */
struct ta_attached {
	const char *ifname;
	char dir[256];
	struct ta_dp dp;
	struct ta_meta meta;
};
typedef int (*ta_attached_fn)(struct ta_attached *a, void *arg);

/* The interfaces with pins (the directories under the pin root), at most
 * max of them; the lock should be held.  Returns how many. */
#define TA_PINS_MAX 64
int ta_pins_names(char (*list)[IF_NAMESIZE + 1], int max);

/* Call fn for each attached interface (names: "a,b", or NULL for every one),
 * holding the lock.  Returns 0, or -1 when one could not be opened or fn
 * returned non-zero (each failure said in one line).  quiet: skip what
 * cannot be opened without a word, and nothing attached is not an error. */
int ta_pins_walk(const char *names, bool quiet, ta_attached_fn fn, void *arg);

/* Attach one interface through the store (pins reused when there: flows and
 * counters kept; the policy too unless policy_path is given).  The lock must
 * be held.  Fills *m and *again; 0 or -errno after one line. */
int ta_pins_attach(struct ta_iface *ifc, const struct ta_attach_opts *o, unsigned flows,
		   const struct ta_policy *pol, const struct ta_compiled *comp, const char *policy_path,
		   struct ta_meta *m, bool *again);

/* What detach removed */
struct ta_detached {
	bool had_pins;
	int tc_filters;   /* tokaudit's tc filters removed where no pins were */
	int xdp;          /* 1: an XDP program of ours removed where no pins were */
};
/* Detach one interface: hooks, the clsact qdisc if attach made it, pins.
 * no_pins: the pins are out of sight, remove tokaudit's hooks by name.
 * 0, -ENOENT when nothing of tokaudit was there, or -errno (said). */
int ta_pins_detach(const char *ifname, bool no_pins, struct ta_detached *d);

/* Install a compiled policy on an attached interface's maps (dp, opened
 * from its pins, and its meta *m, updated: the new labels, the replaced
 * ones kept for the flows judged under them).  Take the lock around it.
 * 0, TA_PINS_UNCHANGED when the pins hold that policy already (no new
 * generation: flows keep their rules), or -errno. */
#define TA_PINS_UNCHANGED 1
int ta_pins_install(struct ta_dp *dp, struct ta_meta *m, const char *ifname, const struct ta_policy *pol,
		    const struct ta_compiled *comp, const char *policy_path);

/* Which of the pins and the hooks an attach with hook (enum ta_hook_kind)
 * made are missing on ifname now: a bit per enum ta_hook_watch */
unsigned ta_pins_missing(const char *ifname, int ifindex, int hook);
/* Attach again with the pinned policy (the built-in one where there are no
 * pins): serve's hand-back and put-back.  The lock must be held.  As
 * ta_pins_attach. */
int ta_pins_reattach(struct ta_iface *ifc, const struct ta_attach_opts *o, unsigned flows, struct ta_meta *m,
		     bool *again);
/* A serve puts back what went missing: the pins (from the maps it holds,
 * held, whose drop-tracing link is renewed) and the hooks, counters and
 * flows kept.  Takes the lock.  *m gets the pinned meta.  0 or -errno (said). */
int ta_pins_restore(struct ta_iface *ifc, const struct ta_attach_opts *o, unsigned flows, struct ta_dp *held,
		    struct ta_meta *m);

/* Are the XDP link and the tc filter in place? */
void ta_pins_hooks(const struct ta_attached *a, bool *xdp, bool *tc);
/* What reading the pins takes, for messages and the README */
#define TA_PINS_CAPS                                                                                                   \
	"the pins are root's (mode 0600): run as root, or with CAP_DAC_OVERRIDE (they are opened read-write)"
/* 0 when this process may read the pin root (or there is none); else says
 * which capability is missing, in one line, and returns -EACCES. */
int ta_pins_readable(void);
/* Are any of names (NULL: any interface) attached through pins? */
bool ta_pins_any(const char *names);
/* Interfaces of this network namespace (or only those named in names) that
 * carry tokaudit hooks but have no pins (left by a killed 'run', or by an
 * attach whose pins went with a private bpffs), or whose pins an attach
 * killed half-way left incomplete (pins: their directory; else NULL).  fn
 * is called for each; returns how many. */
typedef void (*ta_leftover_fn)(const char *ifname, const char *pins, bool xdp, bool tc, void *arg);
/* ta_pins_walk passes over incomplete pins in silence (status reports them). */
void ta_pins_skip_incomplete(bool skip);
int ta_pins_leftovers(const char *names, ta_leftover_fn fn, void *arg);

#endif
