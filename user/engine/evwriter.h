/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Events out of the audit's way: a thread writes whole JSON lines from a
 * bounded queue to a file, a FIFO or stdout, so a full disk, a FIFO nobody
 * reads yet or a reader that stopped reading never holds up the audit, the
 * ring buffers or the metrics.  Every line handed over is written whole, or
 * counted as lost with its cause; a line is never written in part.
 */
#ifndef TA_EVWRITER_H
#define TA_EVWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TA_EVW_QUEUE_MAX (16u << 20) /* bytes of lines waiting, at most */

struct ta_evw;

struct ta_evw_stats {
	uint64_t written;     /* lines written whole */
	uint64_t lost_queue;  /* the queue was full: the output took no more for a while */
	uint64_t lost_write;  /* a write failed (a full disk, an I/O error, the reader gone) */
	uint64_t queued;      /* lines waiting now */
	bool waiting;         /* the output cannot be opened yet (a FIFO with no reader) */
};

/* Start writing to path (appended to; created 0600, never through a
 * symbolic link; a FIFO waits for its reader), or to stdout when path is
 * NULL or "-".  NULL after one line saying why. */
struct ta_evw *ta_evw_open(const char *path, size_t queue_max);
/* Queue one line (without its newline): 0, or -1 when the queue is full
 * (counted as lost). */
int ta_evw_put(struct ta_evw *w, const char *line, size_t len);
/* The next line goes to a new file at the path (logrotate moved the old one) */
void ta_evw_reopen(struct ta_evw *w);
void ta_evw_stats(struct ta_evw *w, struct ta_evw_stats *st);
/* Write what is queued (for at most wait_s seconds), then stop.  0, or -1
 * when a line was lost since the start (said in one line). */
int ta_evw_close(struct ta_evw *w, double wait_s);

#endif
