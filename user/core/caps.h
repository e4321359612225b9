/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The capabilities this process holds, and which of those tokaudit needs it lacks. */
#ifndef TA_CAPS_H
#define TA_CAPS_H

#include <stddef.h>
#include <stdint.h>

#define TA_CAP_DAC_OVERRIDE 1
#define TA_CAP_NET_ADMIN 12
#define TA_CAP_SYS_ADMIN 21
#define TA_CAP_SYSLOG 34
#define TA_CAP_PERFMON 38
#define TA_CAP_BPF 39

/* The effective set (bit n = capability n), from /proc/self/status. */
uint64_t ta_caps_effective(void);
/* Of what loading the programs takes (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN;
 * CAP_SYS_ADMIN stands for all three), the names not held, as
 * "CAP_PERFMON and CAP_NET_ADMIN", in buf; "" when none is missing. */
const char *ta_caps_missing_to_load(char *buf, size_t len);

#endif
