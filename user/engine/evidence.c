// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdbool.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "evidence.h"
#include "files.h"
#include "json.h"
#include "kdrop.h"
#include "names.h"

struct ta_evidence {
	pcap_t *dead;
	pcap_dumper_t *dump;
	FILE *side;
	uint64_t n, filtered;
	int failed;
	struct bpf_program filter;
	bool has_filter;
};

struct ta_evidence *ta_evidence_open(const char *path, const char *filter)
{
	struct ta_evidence *ev = calloc(1, sizeof(*ev));
	char side[4096];

	if (!ev)
		return NULL;
	if (filter) { /* checked before any file is made */
		pcap_t *d = pcap_open_dead(DLT_EN10MB, 65535);

		if (!d || pcap_compile(d, &ev->filter, filter, 1, PCAP_NETMASK_UNKNOWN)) {
			ta_err("--pcap-filter '%s': %s", filter, d ? pcap_geterr(d) : "cannot compile");
			if (d)
				pcap_close(d);
			free(ev);
			return NULL;
		}
		pcap_close(d);
		ev->has_filter = true;
	}
	FILE *pf = ta_fopen_private(path, false);

	if (!pf) {
		ta_err("--pcap %s: %s", path, ta_open_error(errno));
		if (ev->has_filter)
			pcap_freecode(&ev->filter);
		free(ev);
		return NULL;
	}
	ev->dead = pcap_open_dead(DLT_EN10MB, 65535);
	if (!ev->dead || !(ev->dump = pcap_dump_fopen(ev->dead, pf))) {
		ta_err("--pcap %s: %s", path, ev->dead ? pcap_geterr(ev->dead) : "cannot open");
		if (ev->dead)
			pcap_close(ev->dead);
		fclose(pf);
		free(ev);
		return NULL;
	}
	snprintf(side, sizeof(side), "%s.annotations.jsonl", path);
	ev->side = ta_fopen_private(side, false);
	if (!ev->side) {
		ta_err("--pcap: cannot write %s: %s", side, ta_open_error(errno));
		pcap_dump_close(ev->dump);
		pcap_close(ev->dead);
		free(ev);
		return NULL;
	}
	return ev;
}

void ta_evidence_write(struct ta_evidence *ev, const struct ta_capture *c, const char *iface,
		       const char *rule, double unix_ts)
{
	uint8_t frame[TA_CAP_MAX + 14];
	struct pcap_pkthdr h;
	uint32_t n = c->cap_len > TA_CAP_MAX ? TA_CAP_MAX : c->cap_len;
	uint32_t off = 0;
	char rb[64], sb[128];
	json_object *o;

	if (c->l3) {
		/* a kernel drop is captured from its IP header: give it an Ethernet one */
		memset(frame, 0, 12);
		frame[12] = n && (c->data[0] >> 4) == 6 ? 0x86 : 0x08;
		frame[13] = n && (c->data[0] >> 4) == 6 ? 0xdd : 0x00;
		off = 14;
	}
	memcpy(frame + off, c->data, n);
	h.ts.tv_sec = (long)unix_ts;
	h.ts.tv_usec = (long)((unix_ts - (double)(long)unix_ts) * 1e6);
	h.caplen = n + off;
	h.len = c->wire_len + off;
	if (h.len < h.caplen)
		h.len = h.caplen;
	if (ev->has_filter && !pcap_offline_filter(&ev->filter, &h, frame)) {
		ev->filtered++;
		return;
	}
	pcap_dump((u_char *)ev->dump, &h, frame);
	ev->n++;
	o = json_object_new_object();
	ta_jadd(o, "pkt", ta_ju64(ev->n));
	ta_jtime(o, "time", unix_ts);
	ta_jadd(o, "iface", ta_jstr(iface));
	ta_jadd(o, "verdict", ta_jstr(ta_verdict_name(c->verdict)));
	ta_jadd(o, "rule", ta_jstr(rule));
	ta_jadd(o, "dir", ta_jstr(c->dir == TA_DIR_IN ? "in" : "out"));
	ta_jadd(o, "policy_drop", ta_jbool(c->policy_drop));
	ta_jadd(o, "kernel_drop", ta_jbool(c->l3));
	ta_jadd(o, "drop_reason", c->l3 ? ta_jstr(ta_drop_reason_name(c->drop_reason, rb, sizeof(rb))) : NULL);
	ta_jadd(o, "drop_location", c->l3 ? ta_jstr(ta_ksym(c->drop_loc, sb, sizeof(sb))) : NULL);
	ta_jadd(o, "wire_len", ta_ju64(c->wire_len));
	ta_jadd(o, "cap_len", ta_ju64(n));
	if (ta_jprint(ev->side, o))
		ev->failed = 1;
	if (ferror(ev->side))
		ev->failed = 1;
}

uint64_t ta_evidence_count(const struct ta_evidence *ev)
{
	return ev ? ev->n : 0;
}

int ta_evidence_close(struct ta_evidence *ev)
{
	int r;

	if (!ev)
		return 0;
	pcap_dump_flush(ev->dump);
	pcap_dump_close(ev->dump);
	pcap_close(ev->dead);
	if (ev->has_filter)
		pcap_freecode(&ev->filter);
	r = fclose(ev->side) || ev->failed ? -1 : 0;
	free(ev);
	return r;
}
