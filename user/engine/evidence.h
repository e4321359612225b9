/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Evidence capture (--pcap): a pcap file tcpdump/tshark/Wireshark open, and a
 * sidecar FILE.annotations.jsonl keyed by packet number with each packet's
 * verdict, rule, direction and drop reason. */
#ifndef TA_EVIDENCE_H
#define TA_EVIDENCE_H
#include <stdint.h>
#include "tokaudit.h"

struct ta_evidence;

/* filter: a pcap-filter expression the packets must pass (NULL: all).
 * Prints the error and returns NULL. */
struct ta_evidence *ta_evidence_open(const char *path, const char *filter);
void ta_evidence_write(struct ta_evidence *ev, const struct ta_capture *c, const char *iface,
		       const char *rule, double unix_ts);
uint64_t ta_evidence_count(const struct ta_evidence *ev);
int ta_evidence_close(struct ta_evidence *ev);             /* -1 if a write failed */
#endif
