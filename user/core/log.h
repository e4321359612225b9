/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Messages on stderr, one line each, for every layer. */
#ifndef TA_LOG_H
#define TA_LOG_H

/* -v: libbpf's messages and the verifier log too */
extern int ta_verbose;

/* "tokaudit: MESSAGE": something failed */
void ta_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tokaudit: note: MESSAGE": a fallback or a limit worth knowing; not a failure */
void ta_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
