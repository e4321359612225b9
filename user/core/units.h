/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Numbers as a person reads them: 1.2 MB, 850 kb/s, 2h13m, 45s. */
#ifndef TA_UNITS_H
#define TA_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* bytes: "512 B", "1.2 kB", "3.4 MB", "1.0 GB" (powers of 1000) */
const char *ta_fmt_bytes(char *buf, size_t len, uint64_t bytes);
/* a count: "999", "1.2k", "3.4M" */
const char *ta_fmt_count(char *buf, size_t len, double n);
/* a bit rate from bytes per second: "0 b/s", "850 kb/s", "1.2 Mb/s" */
const char *ta_fmt_bits(char *buf, size_t len, double bytes_per_s);
/* a duration: "45s", "3m07s", "2h13m", "4d02h" */
const char *ta_fmt_dur(char *buf, size_t len, double seconds);

#endif
