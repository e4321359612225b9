/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel drop reasons (from the running kernel's BTF) and locations (kallsyms). */
#ifndef TA_KDROP_H
#define TA_KDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tokaudit.h"

/* Name of an enum skb_drop_reason value of the running kernel, without the
 * SKB_DROP_REASON_ prefix: "NETFILTER_DROP".  Values of other subsystems
 * (upper 16 bits) are "SUBSYS:0xN" with the subsystem's name; values the
 * kernel does not know, and kernels without drop reasons, give "unknown". */
const char *ta_drop_reason_name(uint32_t reason, char *buf, size_t len);
/* The kfree_skb tracepoint passes the receiving socket (Linux 6.11+) */
bool ta_kfree_skb_has_rx_sk(void);
/* the tracepoint passes the drop reason (Linux 5.17+) */
bool ta_kfree_skb_has_reason(void);
/* The kernel's BTF types the kfree_skb tracepoint (tp_btf can attach) */
bool ta_kfree_skb_btf(void);
/* How many drop reasons the kernel's BTF names (0: no drop reasons) */
size_t ta_drop_reason_count(void);
/* Value of a reason name ("NETFILTER_DROP"), or -1; for tests. */
long ta_drop_reason_value(const char *name);
/* Drop classes (enum ta_drop_class): of a reason name ("TCP_CLOSE" ->
 * endpoint, "NETFILTER_DROP" -> block, "NOT_SPECIFIED" -> by location), and
 * of a function name (socket code or not). */
int ta_drop_class_of_name(const char *name);
bool ta_fn_is_endpoint(const char *fn);
/* The tables the drop tracer classifies with: class per reason value, and
 * the kernel text of socket code as sorted disjoint ranges (at most max).
 * Returns the number of ranges. */
size_t ta_drop_tables(uint8_t cls[TA_DROP_REASONS], struct ta_text_range *r, size_t max);
/* "nft_do_chain+0x1a4", or the address in hex when kallsyms cannot tell. */
const char *ta_ksym(uint64_t addr, char *buf, size_t len);
/* What a route error (an errno the discard route carries) says: "a blackhole
 * route or rule", "an unreachable route" ...; NULL for 0. */
const char *ta_route_err_name(int err, char *buf, size_t len);
/* Name of an ICMP/ICMPv6 error: "admin-prohibited", "port-unreachable" ... */
const char *ta_icmp_name(int family, int type, int code);

#endif
