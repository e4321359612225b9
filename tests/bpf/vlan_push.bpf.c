// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * For tests/vlan.test.sh only: a tc egress filter that tags every frame with
 * 802.1Q VLAN 42 the way a VLAN device does, in the skb's metadata
 * (offloaded), and lets the next filter run (TC_ACT_UNSPEC).  This kernel has
 * neither 8021q nor act_vlan.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_8021Q 0x8100
#define TC_ACT_UNSPEC (-1)

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	if (!skb->vlan_present)
		bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 42);
	return TC_ACT_UNSPEC;
}
