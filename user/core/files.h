/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Files that hold addresses or payloads (evidence, its annotations, events,
 * saved probe results): created 0600 (less if the umask says so), and
 * never written through a symbolic link someone planted at the path.
 */
#ifndef TA_FILES_H
#define TA_FILES_H

#include <stdbool.h>
#include <stdio.h>

/* Open path for writing, truncated (append false) or appended to.  A FIFO
 * or a character device (/dev/stdout, a pipe to tshark) is fine too.
 * NULL with errno set (ELOOP: a symbolic link) after no message. */
FILE *ta_fopen_private(const char *path, bool append);
/* The same as a file descriptor; nonblock: a FIFO with no reader fails
 * with ENXIO instead of waiting for one.  -1 with errno. */
int ta_open_private_fd(const char *path, bool append, bool nonblock);
/* "refusing to follow a symbolic link" for ELOOP, else strerror */
const char *ta_open_error(int err);

#endif
