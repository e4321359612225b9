/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Datapath: loading the BPF programs, writing policies, running frames, reading state. */
#ifndef TA_DP_H
#define TA_DP_H

#include <stdbool.h>
#include <stdint.h>
#include "policy.h"

struct tokaudit;

struct ta_dp_opts {
	uint8_t xdp_dir_mode;   /* enum ta_dir_mode */
	uint8_t tc_dir_mode;    /* tc egress */
	uint8_t tc_in_dir_mode; /* tc ingress (--hook tc) */
	bool enforce;
	bool events_allowed;
	bool no_events;         /* no reader: the programs emit no events at all */
	const char *pin_dir;    /* pin the maps there, reusing pins already there */
	bool drops;             /* load the kfree_skb program (drop forensics) */
	uint16_t capture;       /* evidence: bytes of unexpected/dropped packets (0 off) */
	bool record_last;       /* replay and tests: keep the last packet's result */
	uint32_t flow_entries;  /* 0: default */
	uint32_t frag_entries;  /* 0: default */
};

#define TA_DEFAULT_FLOWS 131072
#define TA_DEFAULT_FRAGS 8192

struct ta_dp {
	struct tokaudit *skel;
	uint64_t *ports;        /* mmapped ta_ports */
	size_t ports_len;
	uint32_t generation;    /* policy generation in force */
	uint64_t switched_ns;   /* CLOCK_MONOTONIC of the last policy switch */
};

/* Open, configure and load.  Returns 0 or -errno after printing one line. */
int ta_dp_open(struct ta_dp *dp, const struct ta_dp_opts *o);
void ta_dp_close(struct ta_dp *dp);

/* Attach the kfree_skb program (opts.drops) for the given interfaces' flows.
 * Returns a bpf_link fd (>= 0) or -errno after printing one line. */
int ta_dp_attach_drops(struct ta_dp *dp, const int *ifindex, int n);

/* Install a compiled policy as the next generation, then switch to it. */
int ta_dp_set_policy(struct ta_dp *dp, const struct ta_compiled *c);
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
int ta_dp_counters(struct ta_dp *dp, uint64_t out[TA_C_MAX]);

/* Walk the flow table; cb returns non-zero to stop. */
typedef int (*ta_flow_cb)(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg);
int ta_dp_flows(struct ta_dp *dp, ta_flow_cb cb, void *arg);
int ta_dp_flow_lookup(struct ta_dp *dp, const struct ta_flow_key *k, struct ta_flow_val *v);

/* Names for enums shared with the kernel side */
const char *ta_verdict_name(int v);
const char *ta_dir_name(int d);          /* NULL for TA_DIR_NONE */
const char *ta_invalid_name(int r);
const char *ta_counter_name(int c);
const char *ta_proto_name(int proto, char *buf, size_t len);
/* Verdict of a flow from its flags: unexpected if any packet was */
int ta_flow_verdict(const struct ta_flow_val *v);

#endif
