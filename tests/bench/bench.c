// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Micro-benchmarks of the datapath under BPF_PROG_TEST_RUN, driven by
 * tests/bench/bench.sh.  Every figure is the median over TRIALS runs with
 * the min and max; test_run's own duration (ns per repeat, measured in the
 * kernel around the program) is the unit.  Prints one JSON object per line.
 *
 *   ta_bench perpkt [--prog-id N --name NAME]   per-packet cost of each path (TA_BENCH_PATH: one)
 *   ta_bench newflow N                          flow creation rate, table of N; a walk of it
 *   ta_bench events [S [THREADS]]               events drained by a bare reader while flows are created
 *   ta_bench evgen ID RATE [S [THR [ROUND]]]    new-flow events into an attached program
 *   ta_bench memlat MIB                         a read that misses every cache, in MIB of 4 KiB pages
 *   ta_bench scale                              policy size: compile+load, cost
 *   ta_bench learn                              DNS answers that teach; the paths with 100 000 learned
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "dp.h"
#define DNSMSG_ASSERT(x) ((void)(x))
#include "dnsmsg.h"
#include "pkt.h"
#include "policy.h"
#include "ipfix.h"
#include "tracker.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include "empty.skel.h"
#include "tokaudit.skel.h"
#include "flowiter.skel.h"
#include "presence.skel.h"

#define TRIALS 7
static unsigned long repeat = 1000000;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + (double)ts.tv_nsec / TA_NSEC_PER_SEC;
}

/* Seconds from a to b (getrusage's times) */
static double tv_s(struct timeval a, struct timeval b)
{
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_usec - a.tv_usec) / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The calling thread's own CPU seconds so far (user and system) */
static double thread_cpu_s(void)
{
	struct rusage ru;
	struct timeval zero = { 0 };

	getrusage(RUSAGE_THREAD, &ru);
	return tv_s(zero, ru.ru_utime) + tv_s(zero, ru.ru_stime);
}

/* median, min, max of TRIALS values (sorts them) */
static void med3(double v[TRIALS], double out[3])
{
	qsort(v, TRIALS, sizeof(v[0]), cmp_d);
	out[0] = v[TRIALS / 2];
	out[1] = v[0];
	out[2] = v[TRIALS - 1];
}

/* ns per packet of one run of 'repeat' repeats; < 0: -errno */
static double run_repeats(int fd, const uint8_t *frame, int len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len, .repeat = (int)repeat);

	return bpf_prog_test_run_opts(fd, &o) ? (double)-errno : (double)o.duration;
}

/* ns per packet: median, min, max over TRIALS runs of 'repeat' repeats */
static int run_prog(int fd, const uint8_t *frame, int len, double out[3])
{
	double v[TRIALS];

	for (int t = 0; t < TRIALS; t++)
		if ((v[t] = run_repeats(fd, frame, len)) < 0)
			return (int)v[t];
	med3(v, out);
	return 0;
}

/* Two programs on one frame, their trials taken in turn (a, b, a, b...)
 * so that the machine's drift over the runs falls on both alike; b < 0:
 * a alone.  Fails when a fails; *b_ok says whether b ran. */
static int run_pair(int a, int b, const uint8_t *frame, int len, double ra[3], double rb[3], bool *b_ok)
{
	double va[TRIALS], vb[TRIALS];

	*b_ok = b >= 0;
	for (int t = 0; t < TRIALS; t++) {
		if ((va[t] = run_repeats(a, frame, len)) < 0)
			return (int)va[t];
		if (*b_ok && (vb[t] = run_repeats(b, frame, len)) < 0)
			*b_ok = false;
	}
	med3(va, ra);
	if (*b_ok)
		med3(vb, rb);
	return 0;
}

static void load_policy(struct ta_policy *pol, struct ta_compiled *c)
{
	if (ta_policy_builtin(pol) || ta_policy_compile(pol, c)) {
		fprintf(stderr, "bench: the built-in policy does not compile\n");
		exit(1);
	}
}

struct path {
	const char *name;
	struct pk pk;
	int warm; /* run once before timing (existing flow) */
};

#define O4(dst_, pr, dp, ...) PK(.family = 4, .src = "10.1.0.5", .dst = dst_, .proto = pr, .sport = 40000, .dport = dp, __VA_ARGS__)

/* An SRTP packet's clear part: RTP version 2, Opus's payload type, a
 * sequence number, timestamp and SSRC (the rest: ciphertext's stand-in) */
static const uint8_t rtp_payload[100] = { 0x80, 111, 0x12, 0x34, 0, 0, 0x3c, 0, 0xab, 0xcd, 0xef, 0x01, 0x5a };

static const struct path paths[] = {
	{ "not_in_policy_ipv4", O4("192.0.2.10", 17, 5000) },
	{ "allowed_existing_flow", O4("70.42.47.70", 17, 50000, .payload = 100), 1 },
	{ "unexpected_existing_flow", O4("70.42.47.70", 6, 22, .tcp_flags = 0x10), 1 },
	{ "ipv6_not_in_policy",
	  PK(.family = 6, .src = "fd00::5", .dst = "2001:db8::1", .proto = 17, .sport = 1, .dport = 2) },
	{ "vlan_8021q_allowed", O4("70.42.47.71", 17, 50000, .vlans = 1), 1 },
	{ "later_fragment_allowed", O4("70.42.47.72", 17, 50000, .frag = PK_LATER, .frag_id = 7), 0 },
	{ "invalid_tcp_doff", O4("70.42.47.70", 6, 443, .doff = 4) },
	/* every RTP packet is counted (media.h): its stream's accounting */
	{ "media_rtp_existing_flow", O4("70.42.47.73", 17, 50000, .payload = 100, .data = rtp_payload), 1 },
};

/* What classification (carry.h) costs a packet it samples: the same
 * existing flows with every packet sampled (live: the first 8 each way,
 * then 1 in 64) */
static void classify_rows(const struct ta_compiled *comp, const double floor_r[3])
{
	struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_OUT, .tc_dir_mode = TA_DM_OUT, .carry_every = 1 };
	static const char *const which[] = { "allowed_existing_flow", "media_rtp_existing_flow" };
	uint8_t frame[PK_MAX];
	struct ta_dp dp;
	double r[3];

	if (ta_dp_open(&dp, &o) || ta_dp_set_policy(&dp, comp)) {
		fprintf(stderr, "bench: cannot load the programs\n");
		exit(1);
	}
	for (size_t w = 0; w < 2; w++)
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			uint32_t ret;
			int len;

			if (strcmp(paths[i].name, which[w]))
				continue;
			len = pk_build(&paths[i].pk, frame);
			ta_dp_run_xdp(&dp, frame, (uint32_t)len, &ret);
			if (run_prog(bpf_program__fd(dp.skel->progs.tokaudit_xdp), frame, len, r))
				continue;
			printf("{\"bench\":\"perpkt\",\"prog\":\"tokaudit_xdp\",\"path\":\"%s_every_packet_classified\","
			       "\"ns\":%.1f,\"min\":%.1f,\"max\":%.1f,\"over_floor\":%.1f}\n",
			       which[w], r[0], r[1], r[2], r[0] - floor_r[0]);
		}
	ta_dp_close(&dp);
}

/* n runs of prog, once each, sorted: p's frame each time, or with
 * new_flows a new source port each run (1024 up) */
static void single_runs(int prog, const struct pk *p, bool new_flows, double *out, int n)
{
	struct pk q = *p;
	uint8_t frame[PK_MAX];
	int len = pk_build(&q, frame);

	for (int i = 0; i < n; i++) {
		if (new_flows) {
			q.sport = (uint16_t)(1024 + i);
			len = pk_build(&q, frame);
		}
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = frame, .data_size_in = (uint32_t)len, .repeat = 1);
		bpf_prog_test_run_opts(prog, &to);
		out[i] = to.duration;
	}
	qsort(out, n, sizeof(out[0]), cmp_d);
}

static void perpkt(int ext_fd, const char *ext_name)
{
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_OUT, .tc_dir_mode = TA_DM_OUT, .no_events = false };
	struct empty *e = empty__open_and_load();
	uint8_t frame[PK_MAX];
	double r[3] = { 0 }, floor_r[3];

	load_policy(&pol, &comp);
	if (!e || ta_dp_open(&dp, &o) || ta_dp_set_policy(&dp, &comp)) {
		fprintf(stderr, "bench: cannot load the programs\n");
		exit(1);
	}
	int xdp = bpf_program__fd(dp.skel->progs.tokaudit_xdp);
	int len = pk_build(&paths[0].pk, frame);
	run_prog(bpf_program__fd(e->progs.empty_xdp), frame, len, floor_r);
	printf("{\"bench\":\"perpkt\",\"prog\":\"empty_xdp\",\"path\":\"floor\",\"ns\":%.1f,\"min\":%.1f,\"max\":%.1f}\n",
	       floor_r[0], floor_r[1], floor_r[2]);
	const char *only = getenv("TA_BENCH_PATH"); /* profiling one path */
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (only && strcmp(only, paths[i].name))
			continue;
		len = pk_build(&paths[i].pk, frame);
		if (paths[i].warm || paths[i].pk.frag == PK_LATER) {
			/* a first packet (or first fragment) makes the flow exist */
			struct pk first = paths[i].pk;
			uint8_t f2[PK_MAX];
			uint32_t ret;
			if (first.frag == PK_LATER)
				first.frag = PK_FIRST;
			int l2 = pk_build(&first, f2);
			ta_dp_run_xdp(&dp, f2, (uint32_t)l2, &ret);
		}
		double rx[3] = { 0 };
		bool ext_ok;
		int err = run_pair(xdp, ext_fd, frame, len, r, rx, &ext_ok);
		if (err) {
			fprintf(stderr, "bench: test run failed: %s\n", strerror(-err));
			exit(1);
		}
		printf("{\"bench\":\"perpkt\",\"prog\":\"tokaudit_xdp\",\"path\":\"%s\",\"ns\":%.1f,\"min\":%.1f,\"max\":%.1f,\"over_floor\":%.1f}\n",
		       paths[i].name, r[0], r[1], r[2], r[0] - floor_r[0]);
		if (ext_ok)
			printf("{\"bench\":\"perpkt\",\"prog\":\"%s\",\"path\":\"%s\",\"ns\":%.1f,\"min\":%.1f,\"max\":%.1f,\"over_floor\":%.1f}\n",
			       ext_name, paths[i].name, rx[0], rx[1], rx[2], rx[0] - floor_r[0]);
	}
	if (!only)
		classify_rows(&comp, floor_r);
	/* new flow: distinct packets, one run each (test_run's own duration) */
	double v[4096], e1[4096], k1[4096];
	int n = 4096;
	struct pk p = O4("70.42.47.80", 17, 50000);
	single_runs(xdp, &p, true, v, n);
	/* the floor of a single run: the empty program, run once, as often */
	single_runs(bpf_program__fd(e->progs.empty_xdp), &p, false, e1, n);
	/* a packet of a flow that exists, run the same way (once a run): what a
	 * single run's cold start costs any path, beside the new flow's own work */
	p.sport = 1024;
	single_runs(xdp, &p, false, k1, n);
	printf("{\"bench\":\"perpkt\",\"prog\":\"tokaudit_xdp\",\"path\":\"new_flow\",\"ns\":%.1f,\"min\":%.1f,\"max\":%.1f,\"over_floor\":%.1f,"
	       "\"single_run_floor\":%.1f,\"single_run_known_flow\":%.1f,\"note\":\"median of %d single runs\"}\n",
	       v[n / 2], v[n / 10], v[n - n / 10], v[n / 2] - e1[n / 2], e1[n / 2], k1[n / 2], n);
	ta_dp_close(&dp);
	empty__destroy(e);
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
}

static unsigned long long map_memlock(int fd)
{
	char path[64], line[256];
	unsigned long long memlock = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "memlock: %llu", &memlock);
	if (f)
		fclose(f);
	return memlock;
}

static int count_flow(const struct ta_flow_key *k, const struct ta_flow_val *v, void *arg)
{
	(*(unsigned long long *)arg)++;
	return 0;
}

/* One read of the whole IPv4 table through the iterator: flows read, or -1 */
static long long iter_once(struct bpf_program *prog, int map_fd, double *secs)
{
	static char buf[1 << 20];
	union bpf_iter_link_info li = { .map = { .map_fd = (uint32_t)map_fd } };
	LIBBPF_OPTS(bpf_iter_attach_opts, io, .link_info = &li, .link_info_len = sizeof(li));
	long long bytes = 0;
	double t0 = now_s();
	struct bpf_link *l = bpf_program__attach_iter(prog, &io);
	int fd = l ? bpf_iter_create(bpf_link__fd(l)) : -1;
	ssize_t got = -1;

	while (fd >= 0 && (got = read(fd, buf, sizeof(buf))) > 0)
		bytes += got;
	*secs = now_s() - t0;
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(l);
	return got == 0 ? bytes / (long long)(sizeof(struct ta_flow4_key) + sizeof(struct ta_flow_hot)) : -1;
}

/* The same table read inside the kernel by presence.bpf.c (one test run of
 * bpf_for_each_map_elem, each flow marked in a bitmap of 8 bits a table
 * entry): ns per flow of each of TRIALS runs, sorted, and the flows the
 * last run visited; -1 with why said when it does not load or run */
static int presence_walk(struct ta_dp *dp, double ns[TRIALS], unsigned long long *visited, char *why, size_t wl)
{
	struct presence *pr = presence__open();
	uint64_t words = 1, *bits = MAP_FAILED;
	unsigned n = bpf_map__max_entries(dp->skel->maps.ta_flows);
	char frame[64] = { 0 };
	int err = pr ? 0 : -errno;

	while (words * 64 < 8ull * n)
		words *= 2;
	if (!err)
		err = bpf_map__reuse_fd(pr->maps.ta_flows, bpf_map__fd(dp->skel->maps.ta_flows));
	if (!err)
		err = bpf_map__set_max_entries(pr->maps.presence_bits, (uint32_t)words);
	if (!err)
		err = presence__load(pr);
	if (!err)
		bits = mmap(NULL, words * sizeof(*bits), PROT_READ | PROT_WRITE, MAP_SHARED,
			    bpf_map__fd(pr->maps.presence_bits), 0);
	if (!err && bits == MAP_FAILED)
		err = -errno;
	if (!err)
		pr->bss->word_mask = words - 1;
	for (int i = 0; !err && i < TRIALS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = frame, .data_size_in = sizeof(frame), .repeat = 1);
		double t;

		memset(bits, 0, words * sizeof(*bits));
		t = now_s();
		err = bpf_prog_test_run_opts(bpf_program__fd(pr->progs.presence), &to);
		ns[i] = (now_s() - t) * 1e9 / (double)(pr->bss->marked ? pr->bss->marked : 1);
		*visited = pr->bss->marked;
	}
	if (err)
		snprintf(why, wl, "%s", strerror(err < 0 ? -err : err));
	else
		qsort(ns, TRIALS, sizeof(double), cmp_d);
	if (bits != MAP_FAILED)
		munmap(bits, words * sizeof(*bits));
	presence__destroy(pr);
	return err ? -1 : 0;
}

/* What a walk of the full table costs the kernel: the batch lookups every
 * walk makes (ta_dp_flows, counting only), and the same flows read through
 * a map-element iterator where the kernel loads one, and inside the kernel
 * (presence_walk) */
static void walk_rows(struct ta_dp *dp, unsigned n)
{
	double batch[TRIALS], iter[TRIALS], pres[TRIALS], t;
	unsigned long long seen = 0, marked = 0;
	long long read_n = 0;
	struct flowiter *it = flowiter__open();
	int err = it ? flowiter__load(it) : -ENOMEM;
	char why[128] = "";
	struct rusage r0, r1;

	getrusage(RUSAGE_SELF, &r0);
	for (int i = 0; i < TRIALS; i++) {
		seen = 0;
		t = now_s();
		ta_dp_flows(dp, count_flow, &seen);
		batch[i] = (now_s() - t) * 1e9 / (seen ? seen : 1);
	}
	getrusage(RUSAGE_SELF, &r1);
	double sys = tv_s(r0.ru_stime, r1.ru_stime), usr = tv_s(r0.ru_utime, r1.ru_utime);
	qsort(batch, TRIALS, sizeof(double), cmp_d);
	if (err)
		snprintf(why, sizeof(why), "%s", strerror(err < 0 ? -err : err));
	for (int i = 0; !err && i < TRIALS; i++) {
		read_n = iter_once(it->progs.flowiter, bpf_map__fd(dp->skel->maps.ta_flows), &t);
		if (read_n <= 0) {
			snprintf(why, sizeof(why), "the iterator read nothing: %s", strerror(errno));
			err = -1;
			break;
		}
		iter[i] = t * 1e9 / (double)read_n;
	}
	if (!err)
		qsort(iter, TRIALS, sizeof(double), cmp_d);
	printf("{\"bench\":\"walk\",\"table\":%u,\"flows\":%llu,\"trials\":%d,\"kernel_share\":%.3f,\"batch_ns_per_flow\":[%.1f,%.1f,%.1f]",
	       n, seen, TRIALS, sys + usr > 0 ? sys / (sys + usr) : 0, batch[TRIALS / 2], batch[0], batch[TRIALS - 1]);
	if (!err)
		printf(",\"iter_flows\":%lld,\"iter_ns_per_flow\":[%.1f,%.1f,%.1f]", read_n, iter[TRIALS / 2], iter[0],
		       iter[TRIALS - 1]);
	else
		printf(",\"iter_error\":\"%s\"", why);
	flowiter__destroy(it);
	if (!presence_walk(dp, pres, &marked, why, sizeof(why)))
		printf(",\"presence_flows\":%llu,\"presence_ns_per_flow\":[%.1f,%.1f,%.1f]}\n", marked,
		       pres[TRIALS / 2], pres[0], pres[TRIALS - 1]);
	else
		printf(",\"presence_error\":\"%s\"}\n", why);
}

/* Fill a table of n flows with distinct packets: creation rate, memory. */
static void newflow(unsigned n)
{
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_OUT, .flow_entries = n, .no_events = true };
	uint8_t frame[PK_MAX];
	struct pk p = O4("70.42.47.80", 17, 50000);
	uint64_t cnt[TA_C_MAX];

	load_policy(&pol, &comp);
	if (ta_dp_open(&dp, &o) || ta_dp_set_policy(&dp, &comp))
		exit(1);
	int xdp = bpf_program__fd(dp.skel->progs.tokaudit_xdp);
	double t0 = now_s(), ktime = 0;
	for (unsigned i = 0; i < n; i++) {
		p.sport = (uint16_t)(i & 0xffff);
		p.dport = (uint16_t)(1025 + (i >> 16));
		int len = pk_build(&p, frame);
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = frame, .data_size_in = (uint32_t)len, .repeat = 1);
		bpf_prog_test_run_opts(xdp, &to);
		ktime += to.duration;
	}
	double dt = now_s() - t0;
	ta_dp_counters(&dp, cnt);
	struct bpf_map_info info = { 0 };
	uint32_t il = sizeof(info);
	bpf_obj_get_info_by_fd(bpf_map__fd(dp.skel->maps.ta_flows), &info, &il);
	/* memlock of each flow map as the kernel reports it (fdinfo) */
	unsigned long long memlock = map_memlock(bpf_map__fd(dp.skel->maps.ta_flows));
	unsigned long long m6 = map_memlock(bpf_map__fd(dp.skel->maps.ta_flows6));
	unsigned long long mc = map_memlock(bpf_map__fd(dp.skel->maps.ta_fcold));
	printf("{\"bench\":\"newflow\",\"table\":%u,\"flows_created\":%llu,\"create_failed\":%llu,"
	       "\"kernel_ns_per_new_flow\":%.1f,\"flows_per_s_with_syscalls\":%.0f,\"map_memlock\":%llu,"
	       "\"bytes_per_flow\":%.1f,\"key_bytes\":%u,\"value_bytes\":%u,"
	       "\"flows6_entries\":%u,\"flows6_memlock\":%llu,\"fcold_entries\":%u,\"fcold_memlock\":%llu}\n",
	       n, (unsigned long long)cnt[TA_C_FLOW_NEW], (unsigned long long)cnt[TA_C_FLOW_FAIL], ktime / n, n / dt,
	       memlock, (double)memlock / n, info.key_size, info.value_size,
	       bpf_map__max_entries(dp.skel->maps.ta_flows6), m6, bpf_map__max_entries(dp.skel->maps.ta_fcold), mc);
	walk_rows(&dp, n);
	ta_dp_close(&dp);
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
}

/*
 * Event generator for a real reader: frames of new, unexpected flows (TCP
 * to port 22 of a media address, every one a new-flow event) run through an
 * XDP program that a tokaudit process has attached and drains, from several
 * threads at once, paced to 'rate' frames/s (0: as fast as they go).  The
 * attached program's counters tell what was sent into the ring and lost.
 */
struct evgen_thread {
	pthread_t th;
	int fd, id, round;
	double rate, seconds;
	unsigned long long frames;
	double cpu_s; /* the thread's own CPU time (user and system) */
};

static void *evgen_run(void *arg)
{
	struct evgen_thread *g = arg;
	struct pk p = O4("70.42.47.80", 6, 22, .tcp_flags = 0x02);
	uint8_t frame[PK_MAX];
	int len = pk_build(&p, frame);
	double t0 = now_s();

	/* the source address (bytes 26..29) and port (34..35) make each frame a
	 * flow of its own: 10.<round * 8 + thread + 1>.x.y, port 1024 + i % 64000 */
	for (unsigned long long i = 0;; i++) {
		unsigned long long a = i / 64000;
		uint16_t sp = (uint16_t)(1024 + i % 64000);

		frame[26] = 10;
		frame[27] = (uint8_t)(g->round * 8 + g->id + 1);
		frame[28] = (uint8_t)(a >> 8);
		frame[29] = (uint8_t)a;
		frame[34] = (uint8_t)(sp >> 8);
		frame[35] = (uint8_t)sp;
		LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = frame, .data_size_in = (uint32_t)len, .repeat = 1);
		if (bpf_prog_test_run_opts(g->fd, &to))
			break;
		g->frames++;
		if (!(i & 255)) {
			double el = now_s() - t0;

			if (el >= g->seconds)
				break;
			if (g->rate > 0 && el < (i + 1) / g->rate) /* paced: i frames by i / rate seconds */
				usleep((useconds_t)(((i + 1) / g->rate - el) * 1e6));
		}
	}
	g->cpu_s = thread_cpu_s();
	return NULL;
}

/* nthreads generators (1..8) offering rate frames/s between them for
 * seconds: the frames they ran, and the CPU seconds they took (*cpu_s) */
static unsigned long long generate(int fd, int nthreads, double rate, double seconds, int round, double *cpu_s)
{
	struct evgen_thread g[8];
	unsigned long long frames = 0;

	if (nthreads < 1 || nthreads > 8)
		nthreads = 2;
	for (int i = 0; i < nthreads; i++) {
		g[i] = (struct evgen_thread){ .fd = fd, .id = i, .round = round, .rate = rate / nthreads, .seconds = seconds };
		pthread_create(&g[i].th, NULL, evgen_run, &g[i]);
	}
	*cpu_s = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(g[i].th, NULL);
		frames += g[i].frames;
		*cpu_s += g[i].cpu_s;
	}
	return frames;
}

/* Sum of a per-CPU counter of the program's ta_counters map */
static int prog_counters(int prog_fd, uint64_t out[TA_C_MAX])
{
	uint32_t ids[32], n = 32;
	struct bpf_prog_info pi = { .nr_map_ids = n, .map_ids = (uint64_t)(unsigned long)ids };
	uint32_t pl = sizeof(pi);
	int ncpu = libbpf_num_possible_cpus();

	memset(out, 0, TA_C_MAX * sizeof(uint64_t));
	if (bpf_obj_get_info_by_fd(prog_fd, &pi, &pl))
		return -1;
	for (uint32_t i = 0; i < pi.nr_map_ids && i < n; i++) {
		int mfd = bpf_map_get_fd_by_id(ids[i]);
		struct bpf_map_info mi = { 0 };
		uint32_t ml = sizeof(mi);

		if (mfd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(mfd, &mi, &ml) && !strcmp(mi.name, "ta_counters")) {
			uint64_t *v = calloc((size_t)ncpu, sizeof(uint64_t));
			for (uint32_t k = 0; v && k < TA_C_MAX; k++)
				if (!bpf_map_lookup_elem(mfd, &k, v))
					for (int c = 0; c < ncpu; c++)
						out[k] += v[c];
			free(v);
			close(mfd);
			return 0;
		}
		close(mfd);
	}
	return -1;
}

static void evgen(int fd, double rate, double seconds, int nthreads, int round)
{
	uint64_t c0[TA_C_MAX], c1[TA_C_MAX];

	if (fd < 0 || prog_counters(fd, c0)) {
		fprintf(stderr, "bench: evgen needs the id of an attached tokaudit XDP program\n");
		exit(1);
	}
	if (nthreads < 1 || nthreads > 8)
		nthreads = 2;
	double t0 = now_s(), gen_cpu;
	unsigned long long frames = generate(fd, nthreads, rate, seconds, round, &gen_cpu);
	double dt = now_s() - t0;
	prog_counters(fd, c1);
	unsigned long long sent = c1[TA_C_EV_SENT] - c0[TA_C_EV_SENT];
	unsigned long long lost = (c1[TA_C_EV_LOST_NEW] - c0[TA_C_EV_LOST_NEW]) + (c1[TA_C_EV_LOST_UNEXP] - c0[TA_C_EV_LOST_UNEXP]);
	unsigned long long made = c1[TA_C_FLOW_NEW] - c0[TA_C_FLOW_NEW];
	printf("{\"bench\":\"evgen\",\"threads\":%d,\"rate\":%.0f,\"seconds\":%.3f,\"frames\":%llu,\"flows_created\":%llu,"
	       "\"events_sent\":%llu,\"events_lost\":%llu,\"offered_per_s\":%.0f,\"gen_cpu_s\":%.3f}\n",
	       nthreads, rate, dt, frames, made, sent, lost, (sent + lost) / dt, gen_cpu);
}

/* The transport's ceiling: new-flow events from 'nthreads' generator
 * threads for 'seconds', drained by one bare reader thread (libbpf's ring
 * consumer, counting only) of a program loaded here. */
static volatile int reader_stop;
static unsigned long long got;
static double reader_cpu; /* the reader thread's CPU seconds */
static int on_ev(void *ctx, void *data, size_t size)
{
	got++;
	return 0;
}
static void *reader(void *arg)
{
	struct ring_buffer *rb = arg;

	while (!reader_stop)
		ring_buffer__poll(rb, 10);
	ring_buffer__consume(rb);
	reader_cpu = thread_cpu_s();
	return NULL;
}

static void events(double seconds, int nthreads)
{
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_OUT, .flow_entries = 1u << 20 };
	uint64_t cnt[TA_C_MAX];
	pthread_t th;

	load_policy(&pol, &comp);
	if (ta_dp_open(&dp, &o) || ta_dp_set_policy(&dp, &comp))
		exit(1);
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(dp.skel->maps.ta_events), on_ev, NULL, NULL);
	pthread_create(&th, NULL, reader, rb);
	int xdp = bpf_program__fd(dp.skel->progs.tokaudit_xdp);
	if (nthreads < 1 || nthreads > 8)
		nthreads = 2;
	double t0 = now_s(), gen_cpu;
	unsigned long long frames = generate(xdp, nthreads, 0, seconds, 0, &gen_cpu);
	double dt = now_s() - t0;
	usleep(200000);
	reader_stop = 1;
	pthread_join(th, NULL);
	ta_dp_counters(&dp, cnt);
	printf("{\"bench\":\"events\",\"threads\":%d,\"flows\":%llu,\"events_sent\":%llu,\"events_drained\":%llu,\"events_lost\":%llu,"
	       "\"events_per_s\":%.0f,\"offered_per_s\":%.0f,\"seconds\":%.3f,\"gen_cpu_s\":%.3f,\"reader_cpu_s\":%.3f}\n",
	       nthreads, frames, (unsigned long long)cnt[TA_C_EV_SENT], got,
	       (unsigned long long)(cnt[TA_C_EV_LOST_NEW] + cnt[TA_C_EV_LOST_UNEXP]), got / dt, frames / dt, dt,
	       gen_cpu, reader_cpu);
	ring_buffer__free(rb);
	ta_dp_close(&dp);
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
}

/* Policy scale: n prefixes; compile+load time and per-packet cost. */
static void scale(void)
{
	static const unsigned sizes[] = { 10, 1000, 100000 };

	for (size_t s = 0; s < 3; s++) {
		unsigned n = sizes[s];
		size_t cap = (size_t)n * 40 + 256, len = 0;
		char *t = malloc(cap);
		struct ta_policy pol;
		struct ta_compiled comp;
		struct ta_diags d;
		struct ta_dp dp;
		struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_OUT, .no_events = true };
		uint8_t frame[PK_MAX];
		double r[3];

		len += (size_t)snprintf(t + len, cap - len, "rule many\n proto udp\n ports 1025-65535\n dir both\n");
		for (unsigned i = 0; i < n; i++)
			len += (size_t)snprintf(t + len, cap - len, " addr %u.%u.%u.0/24\n", 11 + i / 65536,
						(i / 256) % 256, i % 256);
		double t0 = now_s();
		if (ta_policy_parse(t, len, "scale", &pol, &d) || ta_policy_compile(&pol, &comp))
			exit(1);
		double t1 = now_s();
		if (ta_dp_open(&dp, &o))
			exit(1);
		double t2 = now_s();
		ta_dp_set_policy(&dp, &comp);
		double t3 = now_s();
		struct pk in = O4("11.0.5.9", 17, 5000), out = O4("192.0.2.10", 17, 5000);
		in.dst = n > 1000 ? "12.134.159.9" : "11.0.5.9"; /* inside the last prefixes */
		int l = pk_build(&in, frame);
		uint32_t ret;
		ta_dp_run_xdp(&dp, frame, (uint32_t)l, &ret);
		run_prog(bpf_program__fd(dp.skel->progs.tokaudit_xdp), frame, l, r);
		double allowed = r[0];
		l = pk_build(&out, frame);
		run_prog(bpf_program__fd(dp.skel->progs.tokaudit_xdp), frame, l, r);
		printf("{\"bench\":\"scale\",\"prefixes\":%u,\"parse_compile_s\":%.4f,\"load_s\":%.4f,\"install_s\":%.4f,"
		       "\"ns_allowed_existing\":%.1f,\"ns_not_in_policy\":%.1f}\n",
		       n, t1 - t0, t2 - t1, t3 - t2, allowed, r[0]);
		ta_dp_close(&dp);
		ta_compiled_free(&comp);
		ta_policy_free(&pol);
		free(t);
	}
}

/* IPFIX export: n records through the exporter to a collector, as fast as
 * the queue takes them (never dropping): records/s and this process's CPU */
static void ipfix_rate(const char *collector, unsigned n, double rate)
{
	struct ta_ipfix_opts o = { .n = 1, .domain = 1, .pen = TA_IPFIX_PEN_DEFAULT, .active_timeout = 60 };
	struct ta_ipfix_rec r = { .family = 4, .proto = 17, .dport = 50000, .direction = 1, .end_reason = TA_FER_IDLE,
				  .packets = 10, .octets = 1490, .verdict = "allowed", .rule = "media", .opener = "out",
				  .state = "two-way" };
	struct ta_ipfix_stats st;
	struct rusage u0, u1;
	char err[300];
	struct ta_ipfix *x;
	double t0, t1;

	if (ta_ipfix_parse_collector(collector, &o.c[0], err, sizeof(err)) || !(x = ta_ipfix_start(&o, err, sizeof(err)))) {
		fprintf(stderr, "ipfix: %s\n", err);
		exit(1);
	}
	r.src[10] = r.src[11] = r.dst[10] = r.dst[11] = 0xff;
	r.src[12] = 10, r.src[15] = 5, r.dst[12] = 70, r.dst[13] = 42, r.dst[14] = 47, r.dst[15] = 70;
	while (ta_ipfix_stats(x, 0, &st) || !st.connected) /* the templates are out */
		usleep(1000);
	getrusage(RUSAGE_SELF, &u0);
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		r.sport = (uint16_t)(1024 + i % 60000);
		r.start_ms = r.end_ms = 1796000000000ull + i;
		while (!ta_ipfix_stats(x, 0, &st) && st.queued > TA_IPFIX_QUEUE - 1024)
			sched_yield();
		if (rate > 0 && !(i % 256)) /* paced: i records by i / rate seconds */
			while (now_s() - t0 < i / rate)
				usleep(200);
		ta_ipfix_put(x, &r);
	}
	ta_ipfix_flush(x);
	while (!ta_ipfix_stats(x, 0, &st) && st.queued)
		usleep(100);
	ta_ipfix_stats(x, 0, &st);
	uint64_t sent = st.records, dropped = st.dropped;
	ta_ipfix_stop(x, 10);
	t1 = now_s();
	getrusage(RUSAGE_SELF, &u1);
	double cpu = tv_s(u0.ru_utime, u1.ru_utime) + tv_s(u0.ru_stime, u1.ru_stime);
	printf("{\"bench\": \"ipfix_export\", \"rate\": %.0f, \"records\": %u, \"sent\": %llu, \"dropped\": %llu, \"seconds\": %.3f, "
	       "\"records_per_s\": %.0f, \"cpu_s\": %.3f, \"records_per_cpu_s\": %.0f}\n",
	       rate, n, (unsigned long long)sent, (unsigned long long)dropped, t1 - t0, n / (t1 - t0), cpu, cpu > 0 ? n / cpu : 0);
}

/* ---- server names ---- */

/* ns of one single run of frame through fd */
static double run_once(int fd, const uint8_t *frame, int len)
{
	LIBBPF_OPTS(bpf_test_run_opts, to, .data_in = frame, .data_size_in = (uint32_t)len, .repeat = 1);

	bpf_prog_test_run_opts(fd, &to);
	return to.duration;
}

/* A DNS frame between the client and the resolver: its length */
static int dns_frame(const struct msg *m, bool answer, uint16_t cport, uint8_t *frame)
{
	struct pk p = answer ? PK(.family = 4, .src = "10.9.9.9", .dst = "10.1.0.5", .proto = 17, .sport = 53,
				  .dport = cport, .payload = (int)m->n, .data = m->b)
			     : PK(.family = 4, .src = "10.1.0.5", .dst = "10.9.9.9", .proto = 17, .sport = cport,
				  .dport = 53, .payload = (int)m->n, .data = m->b);

	return pk_build(&p, frame);
}

/* The median single run of an answer that teaches naddr addresses (its
 * query run first, untimed), and of the query; *next numbers the addresses */
static void learn_answers(struct ta_dp *dp, int naddr, unsigned *next, double floor1)
{
	int xdp = bpf_program__fd(dp->skel->progs.tokaudit_xdp), tc = bpf_program__fd(dp->skel->progs.tokaudit_tc);
	enum { N = 2048 };
	static double va[N], vq[N];
	uint8_t frame[PK_MAX];
	struct msg m;

	for (int i = 0; i < N; i++) {
		uint16_t port = (uint16_t)(10000 + i);
		char name[64], addr[32];

		snprintf(name, sizeof(name), "h%d.media.example", i);
		mhead(&m, (unsigned)i, false, 0, name, 0);
		vq[i] = run_once(tc, frame, dns_frame(&m, false, port, frame));
		mhead(&m, (unsigned)i, true, 0, name, (unsigned)naddr);
		for (int a = 0; a < naddr; a++, (*next)++) {
			snprintf(addr, sizeof(addr), "100.%u.%u.%u", 64 + (*next >> 16), (*next >> 8) & 255,
				 *next & 255);
			maddr(&m, NULL, addr, 300);
		}
		va[i] = run_once(xdp, frame, dns_frame(&m, true, port, frame));
	}
	qsort(va, N, sizeof(va[0]), cmp_d);
	qsort(vq, N, sizeof(vq[0]), cmp_d);
	printf("{\"bench\":\"learn\",\"path\":\"answer_%d_addresses\",\"ns\":%.1f,\"min\":%.1f,\"max\":%.1f,"
	       "\"over_floor\":%.1f,\"query_over_floor\":%.1f,\"single_run_floor\":%.1f}\n",
	       naddr, va[N / 2], va[N / 10], va[N - N / 10], va[N / 2] - floor1, vq[N / 2] - floor1, floor1);
}

/* Fill the learned table to n entries (100.80.0.0 on), as if learned */
static void learn_fill(struct ta_dp *dp, unsigned n, uint64_t rules)
{
	int fd = ta_dp_map_fd(dp, TA_M_LEARNED);
	struct ta_learned v = { .expires_ns = ~0ull >> 1, .rules = { rules, rules } };

	for (unsigned i = 0; i < n; i++) {
		struct ta_addr_key k = {
			.addr = { [10] = 0xff, [11] = 0xff, 100, (uint8_t)(80 + (i >> 16)), (uint8_t)(i >> 8), (uint8_t)i }
		};

		bpf_map_update_elem(fd, &k, &v, BPF_ANY);
		/* as the programs do when they learn: the prefilter lets the /16 through */
		unsigned h = (100u << 8) | (80u + (i >> 16));
		for (int slot = 0; slot < 2; slot++)
			dp->bss->cover16[slot][h >> 6] |= 1ull << (h & 63);
	}
	dp->bss->learned_any = 1;
}

/* The per-packet paths, one row each, labelled with what the table holds;
 * round: this table's pass (its new flows take ports no pass took before) */
static void learn_paths(struct ta_dp *dp, const char *table, double floor1, int round)
{
	static const struct path lp[] = {
		{ "not_in_policy_ipv4", O4("192.0.2.10", 17, 5000) },
		{ "allowed_existing_flow", O4("70.42.47.70", 17, 50000, .payload = 100), 1 },
		{ "learned_existing_flow", O4("100.80.0.7", 6, 443, .tcp_flags = 0x10), 1 },
	};
	int tc = bpf_program__fd(dp->skel->progs.tokaudit_tc);
	uint8_t frame[PK_MAX];
	double r[3], v[4096];

	for (size_t i = 0; i < sizeof(lp) / sizeof(lp[0]); i++) {
		int len = pk_build(&lp[i].pk, frame);

		run_once(tc, frame, len); /* the flow exists */
		run_prog(tc, frame, len, r);
		printf("{\"bench\":\"learn_perpkt\",\"table\":\"%s\",\"path\":\"%s\",\"ns\":%.1f,\"min\":%.1f,"
		       "\"max\":%.1f}\n",
		       table, lp[i].name, r[0], r[1], r[2]);
	}
	/* new flows: to a learned address, and to a configured one */
	static const struct pk nf[] = { O4("100.80.0.9", 6, 443, .tcp_flags = 0x02), O4("70.42.47.80", 17, 50000) };
	for (int k = 0; k < 2; k++) {
		struct pk p = nf[k];

		for (int i = 0; i < 4096; i++) {
			p.sport = (uint16_t)(1024 + i + 4096 * round);
			v[i] = run_once(tc, frame, pk_build(&p, frame));
		}
		qsort(v, 4096, sizeof(v[0]), cmp_d);
		printf("{\"bench\":\"learn_perpkt\",\"table\":\"%s\",\"path\":\"%s\",\"ns\":%.1f,\"min\":%.1f,"
		       "\"max\":%.1f,\"over_floor\":%.1f}\n",
		       table, k ? "new_flow_configured" : "new_flow_learned", v[2048], v[409], v[4096 - 409],
		       v[2048] - floor1);
	}
}

#define LEARN_ROUNDS 4 /* passes over the paths per table, the first a warm-up (ports: 1024 + 4096 x 15 at most) */
static void learn(void)
{
	const char *txt = "rule named\n proto tcp\n ports 443\n dir out\n names *.media.example\n";
	struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_IN, .tc_dir_mode = TA_DM_OUT, .learned_entries = 131072 };
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp, big;
	struct ta_diags d = { 0 };
	struct empty *e = empty__open_and_load();
	uint8_t frame[PK_MAX];
	double fl[4096];
	unsigned next = 0;
	size_t blen;
	const char *b = ta_policy_builtin_text(&blen);
	char *t = malloc(blen + strlen(txt) + 2);

	sprintf(t, "%.*s\n%s", (int)blen, b, txt);
	if (!e || !t || ta_policy_parse(t, strlen(t), "bench", &pol, &d) || ta_policy_compile(&pol, &comp) ||
	    ta_dp_open(&dp, &o) || ta_dp_set_policy(&dp, &comp)) {
		fprintf(stderr, "bench: cannot load the programs with a rule of names\n");
		exit(1);
	}
	int len = pk_build(&paths[0].pk, frame);
	for (int i = 0; i < 4096; i++)
		fl[i] = run_once(bpf_program__fd(e->progs.empty_xdp), frame, len);
	qsort(fl, 4096, sizeof(fl[0]), cmp_d);
	learn_fill(&dp, 16, 1ull << (pol.nrules - 1));
	for (int n = 1; n <= 32; n *= 4)
		learn_answers(&dp, n, &next, fl[2048]);
	/* the paths beside a second load whose table holds 100 000, in
	 * alternating passes (a warm-up first; the report keeps each row's
	 * least median: single runs have outliers, and the machine drifts) */
	if (ta_dp_open(&big, &o) || ta_dp_set_policy(&big, &comp)) {
		fprintf(stderr, "bench: cannot load the programs a second time\n");
		exit(1);
	}
	learn_fill(&big, 100000, 1ull << (pol.nrules - 1));
	for (int round = 0; round < LEARN_ROUNDS; round++) {
		learn_paths(&dp, "16_learned", fl[2048], round);
		learn_paths(&big, "100000_learned", fl[2048], round);
	}
	ta_dp_close(&big);
	ta_dp_close(&dp);
	empty__destroy(e);
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
	free(t);
}

static long vmrss_kib(void)
{
	char line[256];
	long kib = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kib = atol(line + 6);
	if (f)
		fclose(f);
	return kib;
}

static void trk_key(struct ta_flow_key *k, unsigned i)
{
	memset(k, 0, sizeof(*k));
	k->family = 4;
	k->local[10] = k->local[11] = k->remote[10] = k->remote[11] = 0xff;
	k->local[12] = 10;
	k->local[13] = 1;
	k->local[14] = (uint8_t)(i >> 24);
	k->local[15] = (uint8_t)(i >> 16);
	memcpy(k->remote + 12, (uint8_t[]){ 70, 42, 47, 70 }, 4);
	k->lport = (uint16_t)i;
	k->rport = 5000;
	k->proto = 17;
	k->ifindex = 2;
}

/* The userspace flow tracker alone: n IPv4 flows of one packet tracked
 * (as a flood leaves them), the memory they take (its own count, and the
 * resident growth), and a lookup in random order */
static void tracker(unsigned n)
{
	struct ta_trk t = { 0 };
	struct ta_flow_val v = {
		.packets = { 1, 0 }, .bytes = { 60, 0 }, .rule = TA_NO_RULE, .flags = TA_FF_UNEXPECTED
	};
	struct ta_flow_key k;
	long rss0 = vmrss_kib();
	double t0 = now_s(), t1, t2;
	unsigned long long found = 0;

	for (unsigned i = 0; i < n; i++) {
		trk_key(&k, i);
		v.first_ns = v.last_ns = 1000000000ull + i;
		if (ta_trk_add(&t, &k, &v, 0) == TA_TRK_NONE)
			break;
	}
	t1 = now_s();
	for (unsigned i = 0; i < n; i++) {
		trk_key(&k, (unsigned)(((unsigned long long)i * 2654435761u) % n));
		found += ta_trk_find(&t, &k) != TA_TRK_NONE;
	}
	t2 = now_s();
	printf("{\"bench\":\"tracker\",\"flows\":%u,\"tracked\":%zu,\"found\":%llu,\"bytes_per_flow\":%.1f,"
	       "\"rss_per_flow\":%.1f,\"add_ns\":%.0f,\"find_ns\":%.0f}\n",
	       n, ta_trk_count(&t), found, (double)ta_trk_bytes(&t) / n, (double)(vmrss_kib() - rss0) * 1024 / n,
	       (t1 - t0) / n * 1e9, (t2 - t1) / n * 1e9);
	ta_trk_free(&t);
}

/* What a read of memory no packet touched lately costs here: a chase of
 * dependent reads through a random cycle of cache lines spread over mib
 * MiB of 4 KiB pages (as the kernel's preallocated flow table is
 * vmalloc'ed): each read a cache miss, and mostly a TLB miss too. */
static char **volatile memlat_end;

static void memlat(unsigned mib)
{
	size_t n = (size_t)mib << 20, lines = n / 64, steps = 4u << 20;
	char *buf = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t *order = malloc(lines * sizeof(*order));
	double ns[TRIALS];

	if (buf == MAP_FAILED || !order) {
		fprintf(stderr, "memlat: no memory for %u MiB\n", mib);
		exit(1);
	}
	madvise(buf, n, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < lines; i++)
		order[i] = i;
	srand(7);
	for (size_t i = lines - 1; i > 0; i--) { /* a random cycle through every line */
		size_t j = ((size_t)rand() << 16 ^ (size_t)rand()) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < lines; i++)
		*(char **)(buf + order[i] * 64) = buf + order[(i + 1) % lines] * 64;
	free(order);
	char **p = (char **)buf;
	for (int t = 0; t < TRIALS; t++) {
		double t0 = now_s();
		for (size_t i = 0; i < steps; i++)
			p = (char **)*p;
		ns[t] = (now_s() - t0) * 1e9 / (double)steps;
	}
	qsort(ns, TRIALS, sizeof(double), cmp_d);
	memlat_end = p; /* (the chase is used: not optimised away) */
	printf("{\"bench\":\"memlat\",\"mib\":%u,\"pages\":\"4k\",\"reads\":%zu,\"ns_per_read\":[%.1f,%.1f,%.1f]}\n",
	       mib, steps, ns[TRIALS / 2], ns[0], ns[TRIALS - 1]);
	munmap(buf, n);
}

static int quiet(enum libbpf_print_level l, const char *f, va_list ap)
{
	return 0;
}

int main(int argc, char **argv)
{
	libbpf_set_print(quiet);
	if (getenv("TA_BENCH_REPEAT"))
		repeat = strtoul(getenv("TA_BENCH_REPEAT"), NULL, 0);
	if (argc >= 2 && !strcmp(argv[1], "perpkt")) {
		int fd = -1;
		const char *name = "external";
		for (int i = 2; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "--prog-id"))
				fd = bpf_prog_get_fd_by_id((uint32_t)atoi(argv[i + 1]));
			else if (!strcmp(argv[i], "--name"))
				name = argv[i + 1];
		}
		perpkt(fd, name);
	} else if (argc >= 3 && !strcmp(argv[1], "newflow")) {
		newflow((unsigned)atoi(argv[2]));
	} else if (argc >= 2 && !strcmp(argv[1], "events")) {
		events(argc >= 3 ? atof(argv[2]) : 3, argc >= 4 ? atoi(argv[3]) : 2);
	} else if (argc >= 4 && !strcmp(argv[1], "evgen")) {
		/* evgen PROG_ID RATE [SECONDS [THREADS [ROUND]]]: each round its own flows */
		evgen(bpf_prog_get_fd_by_id((uint32_t)atoi(argv[2])), atof(argv[3]), argc >= 5 ? atof(argv[4]) : 2,
		      argc >= 6 ? atoi(argv[5]) : 2, argc >= 7 ? atoi(argv[6]) % 30 : 0);
	} else if (argc >= 3 && !strcmp(argv[1], "tracker") && atoi(argv[2]) > 0) {
		tracker((unsigned)atoi(argv[2]));
	} else if (argc >= 3 && !strcmp(argv[1], "memlat") && atoi(argv[2]) > 0) {
		memlat((unsigned)atoi(argv[2]));
	} else if (argc >= 2 && !strcmp(argv[1], "scale")) {
		scale();
	} else if (argc >= 2 && !strcmp(argv[1], "learn")) {
		learn();
	} else if (argc >= 4 && !strcmp(argv[1], "ipfix")) {
		ipfix_rate(argv[2], (unsigned)atoi(argv[3]), argc >= 5 ? atof(argv[4]) : 0);
	} else {
		fprintf(stderr,
			"usage: ta_bench perpkt [--prog-id N --name NAME] | newflow N | events [SECONDS [THREADS]] | evgen PROG_ID RATE [SECONDS [THREADS [ROUND]]] | tracker N | memlat MIB | scale | learn | ipfix HOST:PORT N [RATE]\n");
		return 2;
	}
	return 0;
}
