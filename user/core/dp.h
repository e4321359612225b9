/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Datapath: loading the BPF programs, writing policies, running frames, reading state. */
#ifndef TA_DP_H
#define TA_DP_H

#include <stdbool.h>
#include <stdint.h>
#include "names.h"
#include "policy.h"

struct tokaudit;

/* The packet programs */
enum ta_dp_prog { TA_P_XDP, TA_P_TC, TA_P_TC_IN, TA_P_MAX };
#define TA_PROG_BIT(p) (1u << (p))
/* what a hook of enum ta_hook_kind attaches: XDP and tc egress, or tc both ways */
#define TA_PROGS_FOR_HOOK(tc)                                                                                          \
	((tc) ? TA_PROG_BIT(TA_P_TC) | TA_PROG_BIT(TA_P_TC_IN) : TA_PROG_BIT(TA_P_XDP) | TA_PROG_BIT(TA_P_TC))

struct ta_dp_opts {
	uint8_t xdp_dir_mode;   /* enum ta_dir_mode */
	uint8_t tc_dir_mode;    /* tc egress */
	uint8_t tc_in_dir_mode; /* tc ingress (--hook tc) */
	bool enforce;
	bool events_allowed;
	bool no_events;         /* no reader: the programs emit no events at all */
	const char *pin_dir;    /* pin the maps there, reusing pins already there */
	bool drops;             /* load the kfree_skb program (drop forensics) */
	uint8_t progs;          /* the packet programs loaded: TA_PROG_BIT()s; 0: all three
				 * (each one not needed is one less for the verifier) */
	uint16_t capture;       /* evidence: bytes of unexpected/dropped packets (0 off) */
	bool record_last;       /* replay and tests: keep the last packet's result */
	uint32_t flow_entries;  /* 0: default */
	uint32_t frag_entries;  /* 0: default */
	uint32_t other_sample;  /* count one 'other' packet in this many (a power of two; 0: TA_OTHER_SAMPLE) */
	uint32_t carry_every;   /* classify one packet of a flow in this many after its first (a power of two;
				 * 0: TA_CARRY_EVERY) */
	uint32_t learned_entries; /* addresses learned from DNS kept at most; 0: TA_DEFAULT_LEARNED */
	uint32_t dns_ttl_min;     /* a learned address's life: its TTL, at least this (s; 0: TA_DNS_TTL_MIN) */
	uint32_t dns_ttl_max;     /* and at most this (s; 0: TA_DNS_TTL_MAX) */
};

/* The direction modes of the hooks for interfaces facing 'side' (enum ta_side):
 * outside, ingress is in and egress out; inside, the other way round. */
void ta_dp_opts_side(struct ta_dp_opts *o, int side);

#define TA_DEFAULT_FLOWS 131072
/* a number macro as a string, for help texts: TA_STR(TA_DEFAULT_FLOWS) */
#define TA_STR_(x) #x
#define TA_STR(x) TA_STR_(x)
/* IPv6 flows get a table of flow_entries / TA_FLOWS6_DIV, the cold parts
 * (diagnostics) one of flow_entries / TA_FCOLD_DIV, each at least TA_FLOWS_MIN */
#define TA_FLOWS6_DIV 4
#define TA_FCOLD_DIV 16
#define TA_FLOWS_MIN 4096
#define TA_DEFAULT_FRAGS 8192
#define TA_DEFAULT_LEARNED 65536

/* The maps, by role */
enum ta_dp_map {
	TA_M_POLICY,
	TA_M_PORTS,
	TA_M_LOCAL,
	TA_M_FLOWS,
	TA_M_FRAGS,
	TA_M_VSTATS,
	TA_M_RSTATS,
	TA_M_COUNTERS,
	TA_M_META,
	TA_M_SELFDROP,
	TA_M_KDROP_REASONS,
	TA_M_PERSIST,
	TA_M_EVENTS,
	TA_M_BSS,
	TA_M_OTHER,
	TA_M_FLOWS6,
	TA_M_FCOLD,
	TA_M_RECENT,
	TA_M_NAMES,
	TA_M_LEARNED,
	TA_M_DNAMES,
	TA_M_SNI,
	TA_M_RTP,
	TA_M_FRAGS4,
	TA_M_MAX,
};
struct tokaudit__bss;

struct ta_dp {
	struct tokaudit *skel;  /* NULL when only the pinned maps are open */
	int fd[TA_M_MAX];       /* map fds (owned by skel when there is one) */
	struct tokaudit__bss *bss; /* the programs' run-time state, mmapped */
	size_t bss_len;         /* our own mapping's length (pinned maps only), else 0 */
	uint64_t *ports;        /* mmapped ta_ports */
	size_t ports_len;
	uint32_t generation;    /* policy generation in force */
	uint64_t switched_ns;   /* CLOCK_MONOTONIC of the last policy switch */
	int drop_link_fd;       /* pinned maps only: the drop tracer's pinned link, or -1 */
};

/* Route libbpf's messages: shown with -v only (errors are said in one line) */
void ta_dp_quiet_libbpf(void);

/* Open, configure and load.  Returns 0 or -errno after printing one line. */
int ta_dp_open(struct ta_dp *dp, const struct ta_dp_opts *o);
/* The names of what a pin directory holds besides the maps (each map's pin
 * is its own name, "ta_flows" ...) */
#define TA_PIN_XDP_LINK "xdp_link"   /* the XDP program's link */
#define TA_PIN_DROP_LINK "drop_link" /* the drop tracer's link */
#define TA_PIN_META "ta_meta"
#define TA_PIN_FLOWS "ta_flows"
/* "DIR/NAME" into buf, which holds PATH_MAX */
const char *ta_pin_path(char *buf, size_t len, const char *dir, const char *name);

/* Open the maps pinned in dir, without loading any program: reading the
 * state, and installing a policy, work whatever the verifier would say now.
 * Checks every map's layout against this build.  Returns 0 or -errno after
 * printing one line. */
int ta_dp_open_pinned(struct ta_dp *dp, const char *dir);
/* The closed-flow store (ta_recent; fd -1 in pins of an older version:
 * nothing kept, nothing read).  put: slot % TA_RECENT_MAX; next: the slot
 * after the newest record; walk: fn for each record closed at or after
 * since_unix_ns, until fn returns non-zero. */
int ta_dp_recent_put(struct ta_dp *dp, uint32_t slot, const struct ta_recent *r);
uint32_t ta_dp_recent_next(struct ta_dp *dp);
int ta_dp_recent(struct ta_dp *dp, uint64_t since_unix_ns, int (*fn)(const struct ta_recent *r, void *arg), void *arg);
/* Pin dp's maps in dir again where their pins are missing: 0 or -errno */
int ta_dp_repin(const struct ta_dp *dp, const char *dir);
void ta_dp_close(struct ta_dp *dp);
/* A program's fd (-1 when only maps are open) and a map's fd */
int ta_dp_prog_fd(const struct ta_dp *dp, enum ta_dp_prog p);
int ta_dp_map_fd(const struct ta_dp *dp, enum ta_dp_map m);
/* The pinned-mode metadata (one ta_meta). Return 0 or -errno. */
int ta_dp_meta_read(const struct ta_dp *dp, struct ta_meta *m);
int ta_dp_meta_write(const struct ta_dp *dp, const struct ta_meta *m);

/* Attach the kfree_skb program (opts.drops) for the given interfaces' flows.
 * Returns a bpf_link fd (>= 0) or -errno after printing one line. */
int ta_dp_attach_drops(struct ta_dp *dp, const int *ifindex, int n);

/* Install a compiled policy as the next generation, then switch to it. */
int ta_dp_set_policy(struct ta_dp *dp, const struct ta_compiled *c);
/* Is c the policy in force, to the last port and prefix? (a reload of the
 * same policy needs no new generation) */
bool ta_dp_policy_same(const struct ta_dp *dp, const struct ta_compiled *c);
/* The rules of the policy in force that allow a flow to remote:rport opened
 * in direction opener (the datapath's own tables; 0 when none) */
/* The rules of slot an address learned from DNS is part of (0: none, or its
 * TTL is over) */
uint64_t ta_dp_learned_rules(const struct ta_dp *dp, const uint8_t addr[16], uint32_t slot);
/* The ClientHello of a TCP flow (ta_sni) and its name ("" unless
 * v->status is TA_SNI_NAME and the name is still known): 0, or -ENOENT */
int ta_dp_sni(const struct ta_dp *dp, const struct ta_flow_key *k, struct ta_sni *v, struct ta_dname *name);
/* The RTP streams of a flow (ta_rtp): -ENOENT when it has none */
int ta_dp_rtp(const struct ta_dp *dp, const struct ta_flow_key *k, struct ta_rtp *v);
/* Of the rules (per slot) a name matches, those with addresses that do not
 * cover addr, under the policy in force: the two tables disagreeing */
uint64_t ta_dp_name_drift(const struct ta_dp *dp, const uint8_t addr[16], const __u64 rules[2]);
/* Addresses the learned table holds (-1: pins of a version without it),
 * and how many it can */
long ta_dp_learned_count(const struct ta_dp *dp);
uint32_t ta_dp_learned_capacity(const struct ta_dp *dp);
/* What the table holds of an address learned from DNS, its TTL over or not
 * (it keeps it until newer ones push it out), and the name: 0, or -ENOENT */
int ta_dp_learned(const struct ta_dp *dp, const uint8_t addr[16], struct ta_learned *v, struct ta_dname *name);
uint64_t ta_dp_rules_for(const struct ta_dp *dp, const uint8_t remote[16], int proto, int opener, uint16_t rport);
/* Prefixes that are "inside" (direction mode TA_DM_LOCAL). */
int ta_dp_set_local(struct ta_dp *dp, const struct ta_prefix *p, size_t n);

/* Run one frame through a program with BPF_PROG_TEST_RUN.  *retval gets the
 * program's return code.  Returns 0 or -errno. */
int ta_dp_run_xdp(struct ta_dp *dp, const void *frame, uint32_t len, uint32_t *retval);
int ta_dp_run_tc(struct ta_dp *dp, const void *frame, uint32_t len, uint32_t *retval);
/* Replay: the wire length to count for the next frame(s) run. */
void ta_dp_set_wire_len(struct ta_dp *dp, uint32_t len);
/* Replay: the capture time (Unix ns) of the next frame(s), the flows' clock. */
void ta_dp_set_replay_time(struct ta_dp *dp, uint64_t unix_ns);
/* The last packet's result (record_last). */
const struct ta_last *ta_dp_last(struct ta_dp *dp);

/* Counters, summed over CPUs */
int ta_dp_vstats(struct ta_dp *dp, struct ta_count out[TA_VSTAT_MAX]);
/* Packets and bytes of verdict v over every direction. */
struct ta_count ta_vstat_total(const struct ta_count vs[TA_VSTAT_MAX], int v);
int ta_dp_rstats(struct ta_dp *dp, struct ta_count out[TA_MAX_RULES]);
/* The sampled 'other' traffic, by remote end: fn for each (stops on non-zero). */
typedef int (*ta_other_fn)(const struct ta_other_key *k, const struct ta_count *c, void *arg);
int ta_dp_other(struct ta_dp *dp, ta_other_fn fn, void *arg);
int ta_dp_counters(struct ta_dp *dp, uint64_t out[TA_C_MAX]);
/* Blocks of policy traffic by drop reason (TA_DROP_REASONS: other subsystems) */
int ta_dp_kdrop_reasons(struct ta_dp *dp, uint64_t out[TA_KDROP_REASON_SLOTS]);
/* The reader's counters that outlive it (zero on maps that never had one) */
int ta_dp_persist_read(const struct ta_dp *dp, struct ta_persist *p);
int ta_dp_persist_write(const struct ta_dp *dp, const struct ta_persist *p);
/* Entries the flow tables (IPv4 and IPv6) hold at most (0 on error) */
uint32_t ta_dp_flow_capacity(const struct ta_dp *dp);
/* ...of one table: IPv4 flows with the 16-byte key (compact), or the others */
uint32_t ta_dp_flow_capacity_of(const struct ta_dp *dp, bool compact);

/* Walk the flow table; cb returns non-zero to stop. */
typedef int (*ta_flow_cb)(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg);
int ta_dp_flows(struct ta_dp *dp, ta_flow_cb cb, void *arg);
/* The same, pre (when set) told of each flow (its key and first and last
 * packet times) a little before cb is: stage 0 some flows ahead, stage 1
 * closer, to fetch what cb will read of its own
 * (a table walked in the kernel's order reads the reader's state at random) */
struct ta_flow_walk {
	ta_flow_cb cb;
	void (*pre)(const struct ta_flow_key *k, uint64_t first_ns, uint64_t last_ns, int stage, void *arg);
	void *arg;
};
int ta_dp_flows_walk(struct ta_dp *dp, const struct ta_flow_walk *fw);
int ta_dp_flow_lookup(struct ta_dp *dp, const struct ta_flow_key *k, struct ta_flow_val *v);
/* The kernel's 16-byte key of an IPv4 flow (ta_flows), for keys it fits */
bool ta_flow_key_compact(const struct ta_flow_key *k);
void ta_flow_key_to4(struct ta_flow4_key *k4, const struct ta_flow_key *k);
void ta_flow_key_from4(struct ta_flow_key *k, const struct ta_flow4_key *k4);
int ta_dp_flow_delete(struct ta_dp *dp, const struct ta_flow_key *k);

/* Verdict of a flow from its flags: unexpected if any packet was */
int ta_flow_verdict(const struct ta_flow_val *v);

#endif
