/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What this kernel and this process can do for tokaudit, found without
 * touching any interface: BTF, ring buffer, tp_btf, drop reasons, the
 * capabilities held, and an interface's XDP support as its driver reports
 * it (netdev netlink, Linux 6.3+) and what is attached there.
 */
#ifndef TA_KFEATURES_H
#define TA_KFEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A tri-state answer: the kernel told yes or no, or it could not be asked */
enum ta_tri { TA_NO = 0, TA_YES = 1, TA_UNKNOWN = -1 };

struct ta_features {
	char kernel[160];          /* "6.1.0-28-amd64 x86_64" */
	char libbpf[32];           /* "v1.1" (libbpf_version_string) */
	bool btf;                  /* /sys/kernel/btf/vmlinux readable */
	int ringbuf;               /* enum ta_tri; unknown without CAP_BPF */
	bool tp_btf;               /* BTF types the kfree_skb tracepoint */
	bool rx_sk;                /* kfree_skb passes the receiving socket (6.11+) */
	size_t drop_reasons;       /* named skb drop reasons in BTF */
	bool kallsyms;             /* kernel addresses readable (drop locations) */
	uint64_t caps;             /* effective capabilities (bit = CAP_*) */
	const char *missing_caps;  /* names of the needed ones not held, "" when none */
};

struct ta_xdp_support {
	int native;                /* enum ta_tri: the driver supports native XDP */
	uint64_t xdp_features;     /* NETDEV_XDP_ACT_* bits when native is known */
	const char *why;           /* when unknown: why ("kernel < 6.3 ...") */
	uint32_t prog_id;          /* an XDP program attached there, 0: none */
	const char *attach_mode;   /* its mode: "native", "skb", "offload", "multi" */
};

/*
 * The variant of the programs this kernel verifies (bpf/compat.h): the full
 * one needs each of TA_NEED_*, found by a probe of the helper or the
 * instruction; without one of them the compat variant loads.  The
 * environment's TOKAUDIT_BPF_VARIANT=compat (or full) forces one, for tests.
 */
enum ta_need { TA_NEED_LOOP, TA_NEED_XDP_LOAD, TA_NEED_ATOMICS, TA_NEED_COARSE, TA_NEED_MAX };
struct ta_variant {
	bool compat;           /* the compat variant */
	bool forced;           /* by TOKAUDIT_BPF_VARIANT */
	bool probed;           /* the probes ran (they need CAP_BPF) */
	unsigned missing;      /* bits (1 << TA_NEED_*) the kernel lacks */
	char missing_str[160]; /* "bpf_loop (5.17), bpf_xdp_load_bytes (5.18)" */
};
const struct ta_variant *ta_variant(void);
/* What the compat variant does differently, one sentence */
#define TA_COMPAT_LOSS "flag bits of one flow set by two CPUs in the same instant can lose one; counters stay exact"

/* What this kernel cannot give, a sentence each, said once by 'version'
 * and in run's report: the compat programs' loss, unnamed drop reasons */
#define TA_LOSS_MAX 4
size_t ta_kernel_losses(const char *out[TA_LOSS_MAX]);

void ta_features_probe(struct ta_features *f);
/* 0, or -errno when the interface does not exist */
int ta_xdp_support(const char *ifname, struct ta_xdp_support *x);
/* "basic redirect rx-sg" into buf */
const char *ta_xdp_features_str(uint64_t bits, char *buf, size_t len);

#endif
