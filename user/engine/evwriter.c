// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The event writer: see evwriter.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "tokaudit.h"
#include "evwriter.h"
#include "clock.h"
#include "files.h"
#include "log.h"

#define RETRY_MS 200 /* opening a FIFO that has no reader, again after a failure */
#define BLOCK_BYTES (256u << 10)
#define POOL_BLOCKS 8
#define WAKE_NS     (5 * 1000000ull) /* a line waits about this long for the writer, at most */
#define WAKE_BYTES  (1u << 20)       /* a flood's lines wake the writer every this many bytes */

/* Lines are queued into blocks, written a block at a time; written blocks
 * go back to a pool, so a line costs a copy, not an allocation or a write */
struct block {
	struct block *next;
	size_t len, cap; /* bytes used (whole lines, newlines included), held */
	uint64_t lines;
	char data[];
};

struct ta_evw {
	char *path;         /* NULL: stdout */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct block *head, *tail, *pool;
	unsigned npool;
	size_t bytes, max;
	bool stop, reopen;
	int fd;             /* the writer thread's; -1: not open */
	bool regular;       /* a regular file: a torn line is cut off again */
	bool said_wait, said_fail;
	uint64_t woken_ns; /* when a first line last woke the writer */
	struct ta_evw_stats st;
};

static void add_lost_write(struct ta_evw *w, uint64_t n)
{
	pthread_mutex_lock(&w->mu);
	w->st.lost_write += n;
	pthread_mutex_unlock(&w->mu);
}

/* Open the output; 0, or -1 to try again later (said once per outage) */
static int open_out(struct ta_evw *w)
{
	struct stat st;
	int fd;

	if (!w->path) {
		w->fd = STDOUT_FILENO;
		w->regular = !fstat(w->fd, &st) && S_ISREG(st.st_mode);
		return 0;
	}
	/* non-blocking: a FIFO with no reader fails (ENXIO) rather than waits */
	fd = ta_open_private_fd(w->path, true, true);
	if (fd < 0) {
		int e = errno;

		pthread_mutex_lock(&w->mu);
		w->st.waiting = e == ENXIO;
		pthread_mutex_unlock(&w->mu);
		if (e == ENXIO && !w->said_wait)
			ta_info("serve: the events FIFO %s has no reader yet: auditing goes on, events wait for one "
				"(up to %zu MiB, then they are counted as lost)", w->path, w->max >> 20);
		else if (e != ENXIO && !w->said_fail)
			ta_err("serve: cannot open the events file %s: %s; events are counted as lost until it "
			       "opens", w->path, ta_open_error(e));
		w->said_wait |= e == ENXIO;
		w->said_fail |= e != ENXIO;
		return -1;
	}
	/* writes may block now, this thread only: the queue's bound keeps the audit going */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	w->regular = !fstat(fd, &st) && S_ISREG(st.st_mode);
	/* a FIFO takes a block in one write where the system allows (its
	 * default 64 KiB is a wake of the reader every 60 lines) */
	if (S_ISFIFO(st.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, (int)BLOCK_BYTES);
	w->fd = fd;
	pthread_mutex_lock(&w->mu);
	if (w->st.waiting)
		ta_info("serve: the events FIFO %s has a reader: events flow", w->path);
	w->st.waiting = false;
	pthread_mutex_unlock(&w->mu);
	w->said_wait = false;
	return 0;
}

static void close_out(struct ta_evw *w)
{
	if (w->fd >= 0 && w->fd != STDOUT_FILENO)
		close(w->fd);
	w->fd = -1;
}

/* A block of lines; 0, or -1 with errno when a write failed: *done then
 * holds the whole lines written (a part of one written to a regular file
 * is cut off again, so the next line starts a line) */
static int write_block(struct ta_evw *w, const struct block *b, uint64_t *done_lines)
{
	off_t off = w->regular ? lseek(w->fd, 0, SEEK_END) : -1;
	size_t done = 0;

	*done_lines = 0;
	while (done < b->len) {
		ssize_t n;

		/* ta_evw_close may cancel a write a stalled reader holds; nothing else */
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		n = write(w->fd, b->data + done, b->len - done);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			size_t whole = done;

			while (whole && b->data[whole - 1] != '\n')
				whole--;
			for (size_t i = 0; i < whole; i++)
				*done_lines += b->data[i] == '\n';
			if (whole < done && off >= 0 && ftruncate(w->fd, off + (off_t)whole) == 0)
				lseek(w->fd, off + (off_t)whole, SEEK_SET);
			errno = e;
			return -1;
		}
		done += (size_t)n;
	}
	*done_lines = b->lines;
	return 0;
}

/* A written block back to the pool (one of the usual size, while the pool
 * holds fewer than POOL_BLOCKS: a flood's peak is not kept), or freed */
static void recycle(struct ta_evw *w, struct block *b)
{
	pthread_mutex_lock(&w->mu);
	if (b->cap == BLOCK_BYTES && w->npool < POOL_BLOCKS) {
		b->next = w->pool;
		w->pool = b;
		w->npool++;
		b = NULL;
	}
	pthread_mutex_unlock(&w->mu);
	free(b);
}

static void write_batch(struct ta_evw *w, struct block *b)
{
	while (b) {
		struct block *next = b->next;
		uint64_t ok = 0;

		if (w->fd < 0) {
			add_lost_write(w, b->lines);
		} else if (write_block(w, b, &ok)) {
			int e = errno;

			if (!w->said_fail)
				ta_err("serve: writing the events file %s failed: %s; the line is lost, and so is each "
				       "one until writing works again (counted)",
				       w->path ? w->path : "(stdout)", strerror(e));
			w->said_fail = true;
			add_lost_write(w, b->lines - ok);
			if (e == EPIPE) /* the FIFO's reader went away: wait for the next one */
				close_out(w);
		} else if (w->said_fail) {
			ta_info("serve: the events file %s takes lines again", w->path ? w->path : "(stdout)");
			w->said_fail = false;
		}
		if (ok) {
			pthread_mutex_lock(&w->mu);
			w->st.written += ok;
			pthread_mutex_unlock(&w->mu);
		}
		recycle(w, b);
		b = next;
	}
}

static void *writer(void *arg)
{
	struct ta_evw *w = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	for (;;) {
		struct block *batch;
		bool reopen, stop;

		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stop && !w->reopen) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			/* lines came in the last second: a line put without waking
			 * this thread (put's WAKE_NS) waits no longer than that */
			ts.tv_nsec += ta_now_ns() - w->woken_ns < TA_NSEC_PER_SEC ? (long)WAKE_NS : RETRY_MS * 1000000L;
			if (ts.tv_nsec >= (long)TA_NSEC_PER_SEC) {
				ts.tv_sec++;
				ts.tv_nsec -= (long)TA_NSEC_PER_SEC;
			}
			if (pthread_cond_timedwait(&w->cv, &w->mu, &ts) == ETIMEDOUT && w->fd < 0)
				break; /* time to try opening again */
		}
		reopen = w->reopen;
		stop = w->stop;
		w->reopen = false;
		batch = NULL;
		pthread_mutex_unlock(&w->mu);
		if (reopen)
			close_out(w);
		if (w->fd < 0 && open_out(w)) {
			if (stop) /* no output will come: what waits is lost (ta_evw_close counts it) */
				break;
			nanosleep(&(struct timespec){ 0, RETRY_MS * 1000000L }, NULL);
			continue; /* the lines wait in the queue */
		}
		pthread_mutex_lock(&w->mu);
		batch = w->head;
		w->head = w->tail = NULL;
		w->bytes = 0;
		w->st.queued = 0;
		pthread_mutex_unlock(&w->mu);
		write_batch(w, batch);
		if (stop && !batch)
			break;
	}
	close_out(w);
	return NULL;
}

struct ta_evw *ta_evw_open(const char *path, size_t queue_max)
{
	struct ta_evw *w = calloc(1, sizeof(*w));

	if (!w) {
		ta_err("serve: out of memory");
		return NULL;
	}
	w->fd = -1;
	w->max = queue_max ? queue_max : TA_EVW_QUEUE_MAX;
	if (path && strcmp(path, "-") && !(w->path = strdup(path))) {
		free(w);
		ta_err("serve: out of memory");
		return NULL;
	}
	/* a path that can never work is said now, before anything is attached */
	if (w->path) {
		int fd = ta_open_private_fd(w->path, true, true);

		if (fd < 0 && errno != ENXIO) {
			ta_err("serve: cannot open the events file %s: %s", w->path, ta_open_error(errno));
			free(w->path);
			free(w);
			return NULL;
		}
		if (fd >= 0)
			close(fd);
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, writer, w)) {
		ta_err("serve: cannot start the events writer");
		free(w->path);
		free(w);
		return NULL;
	}
	return w;
}

/* The block the next line of len bytes goes into (the tail, a pooled one
 * or a new one), or NULL; the lock is held */
static struct block *room(struct ta_evw *w, size_t len)
{
	struct block *b = w->tail;
	size_t cap = len + 1 > BLOCK_BYTES ? len + 1 : BLOCK_BYTES;

	if (b && b->len + len + 1 <= b->cap)
		return b;
	if (cap == BLOCK_BYTES && w->pool) {
		b = w->pool;
		w->pool = b->next;
		w->npool--;
	} else if (!(b = malloc(sizeof(*b) + cap))) {
		return NULL;
	}
	b->next = NULL;
	b->len = 0;
	b->cap = cap;
	b->lines = 0;
	if (w->tail)
		w->tail->next = b;
	else
		w->head = b;
	w->tail = b;
	return b;
}

int ta_evw_put(struct ta_evw *w, const char *s, size_t len)
{
	struct block *b;

	pthread_mutex_lock(&w->mu);
	if (w->bytes + len + 1 > w->max || !(b = room(w, len))) {
		w->st.lost_queue++;
		pthread_mutex_unlock(&w->mu);
		return -1;
	}
	memcpy(b->data + b->len, s, len);
	b->data[b->len + len] = '\n';
	b->len += len + 1;
	b->lines++;
	w->bytes += len + 1;
	w->st.queued++;
	/* the writer is woken each WAKE_BYTES queued, and for a first line at
	 * most every WAKE_NS (a flood is written in blocks, not line by line;
	 * between wakes the writer looks again each WAKE_NS on its own) */
	if (w->bytes / WAKE_BYTES != (w->bytes - len - 1) / WAKE_BYTES) {
		pthread_cond_signal(&w->cv);
	} else if (b->len == len + 1) {
		uint64_t now = ta_now_ns();

		if (now - w->woken_ns >= WAKE_NS) {
			w->woken_ns = now;
			pthread_cond_signal(&w->cv);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return 0;
}

void ta_evw_reopen(struct ta_evw *w)
{
	if (!w->path)
		return;
	pthread_mutex_lock(&w->mu);
	w->reopen = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void ta_evw_stats(struct ta_evw *w, struct ta_evw_stats *st)
{
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	pthread_mutex_unlock(&w->mu);
}

int ta_evw_close(struct ta_evw *w, double wait_s)
{
	struct timespec ts;
	struct ta_evw_stats st;
	struct block *b, *next;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)wait_s;
	ts.tv_nsec += (long)((wait_s - (double)(time_t)wait_s) * TA_NSEC_PER_SEC);
	if (ts.tv_nsec >= (long)TA_NSEC_PER_SEC) {
		ts.tv_sec++;
		ts.tv_nsec -= (long)TA_NSEC_PER_SEC;
	}
	if (pthread_timedjoin_np(w->thread, NULL, &ts)) {
		/* a reader that stopped reading holds the last write: give up on it */
		pthread_cancel(w->thread);
		pthread_join(w->thread, NULL);
		close_out(w);
	}
	/* what was never written */
	st = w->st;
	for (b = w->head; b; b = next) {
		next = b->next;
		st.lost_write += b->lines;
		free(b);
	}
	for (b = w->pool; b; b = next) {
		next = b->next;
		free(b);
	}
	if (st.lost_queue || st.lost_write)
		ta_err("serve: %llu events were not written (%llu: the queue was full, %llu: writing failed)",
		       (unsigned long long)(st.lost_queue + st.lost_write), (unsigned long long)st.lost_queue,
		       (unsigned long long)st.lost_write);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->path);
	free(w);
	return st.lost_queue || st.lost_write ? -1 : 0;
}
