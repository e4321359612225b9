/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The replay engine: a capture's frames through the XDP program, in order. */
#ifndef TA_REPLAY_H
#define TA_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <pcap/pcap.h>
#include "dp.h"

#define TA_RUN_MAX 3300 /* longest frame run; longer ones are cut (counted in cut) */

struct ta_replay {
	const char *file;
	pcap_t *pc;
	int dlt;
	struct ta_dp dp;
	bool dp_open;
	uint64_t frames, cut;      /* frames read, frames longer than TA_RUN_MAX */
	uint64_t filtered;         /* frames the --filter expression left out (not run) */
	struct bpf_program filter;
	bool has_filter;
	/* called every few thousand frames when set (a progress line) */
	void (*progress)(void *arg, const struct ta_replay *r);
	void *progress_arg;
	uint64_t ts_ns;            /* the latest capture time (Unix ns): the flows' clock */
	double first_ts, last_ts;  /* the capture's first and last timestamps (Unix s) */
	const char *status;        /* "ok", or "error" when the capture broke off */
};

/* Open the capture (pcap or pcapng, a supported link type) and load the
 * programs with the policy; local: the protected network (direction), none:
 * the side in the policy is remote.  0 or -EINVAL after one line. */
int ta_replay_open(struct ta_replay *r, const char *file, const struct ta_compiled *comp,
		   const struct ta_prefix *local, size_t nlocal, unsigned flows);
/* Run only the frames a pcap-filter expression (as tcpdump's) accepts:
 * 0, or -EINVAL after one line naming the error in the expression. */
int ta_replay_set_filter(struct ta_replay *r, const char *expr);
typedef void (*ta_replay_frame_fn)(void *arg, uint64_t n, const struct pcap_pkthdr *h, const struct ta_last *l,
				   uint32_t retval);
/* Run every frame, calling fn (may be NULL) after each.  0, or -1 when the
 * capture broke off (said; r->status "error"): the frames before it count. */
int ta_replay_run(struct ta_replay *r, ta_replay_frame_fn fn, void *arg);
void ta_replay_close(struct ta_replay *r);
/* How far into the capture file reading is, 0..1 (-1: not a regular file) */
double ta_replay_fraction(const struct ta_replay *r);

/* A captured frame of link type dlt as an Ethernet frame in out (at most max
 * bytes): its length, or -1 when shorter than its link header. */
int ta_replay_to_ethernet(int dlt, const uint8_t *d, uint32_t caplen, uint8_t *out, uint32_t max);
bool ta_replay_dlt_supported(int dlt);

#endif
