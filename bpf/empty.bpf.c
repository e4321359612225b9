// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The floor for the benchmarks: an XDP program that does nothing. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int empty_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}
