/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Kernel drop reasons (from the running kernel's BTF) and locations (kallsyms). */
#ifndef TA_KDROP_H
#define TA_KDROP_H

#include <stddef.h>
#include <stdint.h>

/* Name of an enum skb_drop_reason value of the running kernel, without the
 * SKB_DROP_REASON_ prefix: "NETFILTER_DROP".  Values of other subsystems
 * (upper 16 bits) are "SUBSYS:0xN" with the subsystem's name; values the
 * kernel does not know, and kernels without drop reasons, give "unknown". */
const char *ta_drop_reason_name(uint32_t reason, char *buf, size_t len);
/* Value of a reason name ("NETFILTER_DROP"), or -1; for tests. */
long ta_drop_reason_value(const char *name);
/* "nft_do_chain+0x1a4", or the address in hex when kallsyms cannot tell. */
const char *ta_ksym(uint64_t addr, char *buf, size_t len);
/* Name of an ICMP/ICMPv6 error: "admin-prohibited", "port-unreachable" ... */
const char *ta_icmp_name(int family, int type, int code);

#endif
