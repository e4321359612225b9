// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* For make bench only: the IPv4 flow table read through a map-element
 * iterator (bpf_iter) instead of batch lookups, each flow written out as
 * its key and hot value, as a walk reads them.  ta_bench newflow measures
 * both ways; a kernel that refuses to load it is reported as such. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "tokaudit.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct flow_rec {
	struct ta_flow4_key k;
	struct ta_flow_hot v;
};

SEC("iter/bpf_map_elem")
int flowiter(struct bpf_iter__bpf_map_elem *ctx)
{
	const struct ta_flow4_key *k = ctx->key;
	const struct ta_flow_hot *v = ctx->value;
	struct flow_rec r;

	if (!k || !v) /* the end of the table */
		return 0;
	__builtin_memcpy(&r.k, k, sizeof(r.k));
	__builtin_memcpy(&r.v, v, sizeof(r.v));
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
	return 0;
}
