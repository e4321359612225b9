// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The replay engine: every frame of a pcap/pcapng capture, in order,
 * through the XDP program with BPF_PROG_TEST_RUN, keeping flow and fragment
 * state, so the verdicts are the kernel's own.  Frames are handed to the
 * caller with their results; the command prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "log.h"
#include "replay.h"

/* Largest frame BPF_PROG_TEST_RUN takes for XDP without fragments; longer
 * frames are cut (headers are all at the front) and counted as such. */
#define ETH_HLEN 14

/* Turn a captured frame into an Ethernet frame in out; returns its length or -1. */
int ta_replay_to_ethernet(int dlt, const uint8_t *d, uint32_t caplen, uint8_t *out, uint32_t max)
{
	uint16_t etype;
	uint32_t hdr;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen > max)
			caplen = max;
		memcpy(out, d, caplen);
		return (int)caplen;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		hdr = 0;
		etype = caplen && (d[0] >> 4) == 6 ? 0x86dd : 0x0800;
		break;
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		hdr = 16;
		etype = (uint16_t)(d[14] << 8 | d[15]);
		break;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		hdr = 20;
		etype = (uint16_t)(d[0] << 8 | d[1]);
		break;
#endif
	case DLT_NULL:
	case DLT_LOOP: {
		uint32_t fam;
		if (caplen < 4)
			return -1;
		hdr = 4;
		memcpy(&fam, d, 4);
		if (dlt == DLT_LOOP)
			fam = ntohl(fam);
		else if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		etype = fam == 2 ? 0x0800 : (fam == 10 || fam == 24 || fam == 28 || fam == 30) ? 0x86dd : 0;
		break;
	}
	default:
		return -1;
	}
	caplen -= hdr;
	if (caplen + ETH_HLEN > max)
		caplen = max - ETH_HLEN;
	memset(out, 0, 12);
	out[12] = (uint8_t)(etype >> 8);
	out[13] = (uint8_t)etype;
	memcpy(out + ETH_HLEN, d + hdr, caplen);
	return (int)(caplen + ETH_HLEN);
}

bool ta_replay_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_RAW: case DLT_LINUX_SLL: case DLT_NULL: case DLT_LOOP:
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2:
#endif
#ifdef DLT_IPV4
	case DLT_IPV4: case DLT_IPV6:
#endif
		return true;
	}
	return false;
}

int ta_replay_open(struct ta_replay *r, const char *file, const struct ta_compiled *comp,
		   const struct ta_prefix *local, size_t nlocal, unsigned flows)
{
	char errbuf[PCAP_ERRBUF_SIZE];

	memset(r, 0, sizeof(*r));
	r->file = file;
	r->status = "ok";
	r->pc = pcap_open_offline(file, errbuf);
	if (!r->pc) {
		/* libpcap's message may start with the path: not twice */
		const char *why = errbuf;
		size_t fl = strlen(file);

		if (!strncmp(why, file, fl) && why[fl] == ':' && why[fl + 1] == ' ')
			why += fl + 2;
		ta_err("replay: cannot read capture %s: %s", file, why);
		return -EINVAL;
	}
	r->dlt = pcap_datalink(r->pc);
	if (!ta_replay_dlt_supported(r->dlt)) {
		const char *n = pcap_datalink_val_to_name(r->dlt);
		ta_err("replay: %s: unsupported link type %s (%d); supported: EN10MB, RAW, IPV4, IPV6, LINUX_SLL, LINUX_SLL2, NULL, LOOP",
		       file, n ? n : "?", r->dlt);
		ta_replay_close(r);
		return -EINVAL;
	}
	struct ta_dp_opts o = {
		.xdp_dir_mode = nlocal ? TA_DM_LOCAL : TA_DM_AUTO,
		.tc_dir_mode = nlocal ? TA_DM_LOCAL : TA_DM_AUTO,
		.record_last = true,
		.no_events = true,
		.flow_entries = flows,
		.progs = TA_PROG_BIT(TA_P_XDP), /* every frame is run through XDP */
	};
	if (ta_dp_open(&r->dp, &o)) {
		ta_replay_close(r);
		return -EINVAL;
	}
	r->dp_open = true;
	if (ta_dp_set_policy(&r->dp, comp) || (nlocal && ta_dp_set_local(&r->dp, local, nlocal))) {
		ta_replay_close(r);
		return -EINVAL;
	}
	return 0;
}

int ta_replay_set_filter(struct ta_replay *r, const char *expr)
{
	if (pcap_compile(r->pc, &r->filter, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		ta_err("replay: --filter '%s': %s", expr, pcap_geterr(r->pc));
		return -EINVAL;
	}
	r->has_filter = true;
	return 0;
}

int ta_replay_run(struct ta_replay *r, ta_replay_frame_fn fn, void *arg)
{
	static uint8_t frame[TA_RUN_MAX];

	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		uint32_t retval;
		int err, n = pcap_next_ex(r->pc, &h, &d);

		if (n == PCAP_ERROR_BREAK)
			break;
		if (n != 1) {
			ta_err("replay: %s: after frame %" PRIu64 ": %s", r->file, r->frames, pcap_geterr(r->pc));
			r->status = "error";
			return -1;
		}
		r->frames++;
		if (r->progress && !(r->frames & 8191))
			r->progress(r->progress_arg, r);
		if (r->has_filter && !pcap_offline_filter(&r->filter, h, d)) {
			r->filtered++;
			continue;
		}
		/* the flows' clock is the capture's (Unix time; a capture going back
		 * in time keeps its last time, so flows never age backwards) */
		{
			uint64_t t = (uint64_t)h->ts.tv_sec * TA_NSEC_PER_SEC + (uint64_t)h->ts.tv_usec * 1000ull;

			if (t > r->ts_ns)
				r->ts_ns = t;
			if (!r->first_ts)
				r->first_ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
			r->last_ts = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
			ta_dp_set_replay_time(&r->dp, r->ts_ns ? r->ts_ns : 1);
		}
		int len = ta_replay_to_ethernet(r->dlt, d, h->caplen, frame, sizeof(frame));
		if (len < ETH_HLEN) {
			/* Shorter than its link header: BPF_PROG_TEST_RUN refuses data under
			 * an Ethernet header, so the program gets one announcing a VLAN tag
			 * that is not there, which it judges as the runt itself: invalid,
			 * l2-truncated. */
			memset(frame, 0, ETH_HLEN);
			frame[12] = 0x81;
			len = ETH_HLEN;
		}
		if (h->caplen > sizeof(frame) - (r->dlt == DLT_EN10MB ? 0 : ETH_HLEN))
			r->cut++;
		ta_dp_set_wire_len(&r->dp, h->len ? h->len : (uint32_t)len);
		err = ta_dp_run_xdp(&r->dp, frame, (uint32_t)len, &retval);
		if (err) {
			ta_err("replay: %s: frame %" PRIu64 ": BPF_PROG_TEST_RUN failed: %s", r->file, r->frames,
			       strerror(-err));
			r->status = "error";
			return -1;
		}
		if (fn)
			fn(arg, r->frames, h, ta_dp_last(&r->dp), retval);
	}
	return 0;
}

double ta_replay_fraction(const struct ta_replay *r)
{
	FILE *f = r->pc ? pcap_file(r->pc) : NULL;
	struct stat st;
	long at;

	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 || (at = ftell(f)) < 0)
		return -1;
	return (double)at / (double)st.st_size;
}

void ta_replay_close(struct ta_replay *r)
{
	if (r->has_filter)
		pcap_freecode(&r->filter);
	r->has_filter = false;
	if (r->pc)
		pcap_close(r->pc);
	r->pc = NULL;
	if (r->dp_open)
		ta_dp_close(&r->dp);
	r->dp_open = false;
}
