// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* For make bench only: the IPv4 flow table read from inside the kernel by
 * bpf_for_each_map_elem (one BPF_PROG_TEST_RUN, no syscall per batch),
 * each flow only marked present in a bitmap userspace maps (its key and
 * first time hashed), as a walk that looks for flows pushed out would
 * need.  ta_bench newflow times it beside the batch walk.  Not used by
 * tokaudit: the helper follows each bucket's chain under RCU without the
 * bucket's lock, and the LRU table reuses an element as soon as it pushes
 * it out, so a chain being followed can lead into another bucket's and a
 * flow present all along can go unmarked (README, "Benchmarks"). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tokaudit.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* the loader's table, its fd given before load */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct ta_flow4_key);
	__type(value, struct ta_flow_hot);
} ta_flows SEC(".maps");

/* the bitmap, 64 bits a word; sized by the bench (a power of two) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} presence_bits SEC(".maps");

__u64 word_mask; /* words - 1, set before a run */
__u64 marked;    /* flows visited by the last run */

static long mark(struct bpf_map *map, const struct ta_flow4_key *k, const struct ta_flow_hot *v, void *ctx)
{
	const __u64 *w = (const __u64 *)k;
	__u64 h = w[0] * 0x9e3779b97f4a7c15ull ^ w[1] * 0xc2b2ae3d27d4eb4full ^ v->first_ns * 0x165667b19e3779f9ull;
	__u32 i;
	__u64 *bits;

	h ^= h >> 31;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	i = (__u32)((h >> 6) & word_mask);
	bits = bpf_map_lookup_elem(&presence_bits, &i);
	if (bits)
		*bits |= 1ull << (h & 63);
	marked++;
	return 0;
}

SEC("xdp")
int presence(struct xdp_md *ctx)
{
	marked = 0;
	bpf_for_each_map_elem(&ta_flows, mark, NULL, 0);
	return XDP_PASS;
}
