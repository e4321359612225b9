/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Everything the programs share with the loader: configuration (const
 * volatile, set before load), run-time state (.bss, written through its
 * mapping), and the maps.
 */
#ifndef TA_MAPS_H
#define TA_MAPS_H

#include "parse.h"

/* ---- Configuration, set by the loader before load ---- */
const volatile __u8 cfg_xdp_dir_mode = TA_DM_IN;  /* enum ta_dir_mode */
const volatile __u8 cfg_tc_dir_mode = TA_DM_OUT;     /* tc egress */
const volatile __u8 cfg_tc_in_dir_mode = TA_DM_IN;   /* tc ingress (--hook tc) */
const volatile __u8 cfg_enforce = 0;              /* drop unexpected packets */
const volatile __u8 cfg_events = 1;               /* ring-buffer events at all (a reader runs) */
const volatile __u8 cfg_events_allowed = 0;       /* new-flow events for allowed flows too */
const volatile __u8 cfg_record_last = 0;          /* write last_res (replay, tests) */
const volatile __u32 cfg_other_mask = TA_OTHER_SAMPLE - 1; /* sample 'other' when (random & mask) == 0 */
const volatile __u32 cfg_carry_mask = TA_CARRY_EVERY - 1;  /* classify a flow's packet n when (n & mask) == 0 */
const volatile __u16 cfg_capture = 0;             /* evidence: bytes of unexpected/dropped packets, 0 off */
const volatile __u32 cfg_dns_ttl_min = TA_DNS_TTL_MIN; /* a learned address lives its TTL, at least this (s) */
const volatile __u32 cfg_dns_ttl_max = TA_DNS_TTL_MAX; /* and at most this (s) */

/* ---- Run-time state, written by the loader through the mmapped .bss ---- */
__u32 active_gen = 0;       /* policy generation in force; slot = gen & 1 */
struct ta_last last_res = {};
__u32 replay_wire_len = 0;  /* replay: the frame's length on the wire, when set */
__u32 audited_ifindex[TA_MAX_IFACES] = {}; /* drop tracing: interfaces whose flows we keep */
__u32 audited_netns = 0;    /* drop tracing: inode of their network namespace */
__u64 replay_now_ns = 0;    /* replay: the frame's capture time, used as the flow clock */
/* drop tracing: reason value -> enum ta_drop_class, and the kernel text of
 * socket code (sorted, disjoint), both written by the loader from the running
 * kernel's BTF and kallsyms */
__u8 drop_class[TA_DROP_REASONS] = {};
struct ta_text_range ep_ranges[TA_EP_RANGES] = {};
__u32 ep_nranges = 0;
/* IPv4 prefilter, per generation slot: bit (a >> 16) is set when some policy
 * prefix may cover an address of the /16 a (a superset: a clear bit means no
 * LPM entry can match, so most traffic outside the policy skips the trie) */
__u64 cover16[2][TA_COVER16_WORDS] = {};
/* set once an address is learned from DNS: until then no packet pays the
 * learned table's lookup */
__u32 learned_any = 0;
/* set once a ClientHello was kept in ta_sni: until then the reader looks none up */
__u32 sni_any = 0;
/* per slot: the rules that have addresses (a name of theirs answered with
 * an address outside them is drift), written by the loader */
__u64 addr_rules[2] = {};
/* per slot: the name keys the loader wrote there (it walks ta_names only
 * when there are some: a walk of an empty hash still visits every bucket) */
__u32 names_in_slot[2] = {};
/* a new cold entry's first value (never written) */
struct ta_flow_cold ta_cold_zero = {};

/* ---- Maps ---- */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 2 * TA_MAX_PREFIXES);
	__type(key, struct ta_lpm_key);
	__type(value, struct ta_lpm_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ta_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TA_PORT_ENTRIES);
	__type(key, __u32);
	__type(value, __u64); /* rule mask */
	__uint(map_flags, BPF_F_MMAPABLE); /* the loader writes a whole slot at once */
} ta_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, TA_MAX_LOCAL);
	__type(key, struct ta_local_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ta_local SEC(".maps");

/* Flows: IPv4 with the compact key; IPv6 (and IPv4 on an ifindex beyond
 * 2^24) with the full one; the cold part of either, created when needed. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 131072); /* resized by the loader */
	__type(key, struct ta_flow4_key);
	__type(value, struct ta_flow_hot);
} ta_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768); /* resized by the loader */
	__type(key, struct ta_flow_key);
	__type(value, struct ta_flow_hot);
} ta_flows6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384); /* resized by the loader */
	__type(key, struct ta_flow_key);
	__type(value, struct ta_flow_cold);
} ta_fcold SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct ta_frag_key);
	__type(value, struct ta_frag_val);
} ta_frags SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct ta_frag4_key);
	__type(value, struct ta_frag_val);
} ta_frags4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_VSTAT_MAX);
	__type(key, __u32);
	__type(value, struct ta_count);
} ta_vstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_MAX_RULES);
	__type(key, __u32);
	__type(value, struct ta_count);
} ta_rstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TA_OTHER_ENTRIES);
	__type(key, struct ta_other_key);
	__type(value, struct ta_count);
} ta_other SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_C_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ta_counters SEC(".maps");

/* What userspace needs to read the other maps later (pinned mode): rule
 * labels and the configuration.  Never read by the programs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_meta);
} ta_meta SEC(".maps");

/* Blocks of policy traffic by drop reason (drop tracing) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TA_KDROP_REASON_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} ta_kdrop_reasons SEC(".maps");

/* The reader's own counters across restarts (pinned mode).  Never read by
 * the programs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_persist);
} ta_persist SEC(".maps");

/* Closed flows kept for the diagnosis after they left the table (serve
 * writes them; no program touches this map) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, TA_RECENT_MAX);
	__type(key, __u32);
	__type(value, struct ta_recent);
} ta_recent SEC(".maps");

/* The flow of the packet this CPU just dropped in enforce mode: the kernel
 * frees it right after the program returns, and drop tracing must not count
 * it as a kernel drop too. */
struct ta_selfdrop {
	__u64 flow;    /* address of the flow's value */
	__u64 ts_ns;
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_selfdrop);
} ta_selfdrop SEC(".maps");

/* Server names (dns.h): the policy's name keys, both slots; addresses
 * learned from DNS answers; the names they were asked by; the queries seen
 * leaving; and a per-CPU buffer for the message being read. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * TA_NAME_KEYS);
	__type(key, struct ta_name_key);
	__type(value, __u64); /* rule mask */
	__uint(map_flags, BPF_F_NO_PREALLOC);
} ta_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* resized by the loader */
	__type(key, struct ta_addr_key);
	__type(value, struct ta_learned);
} ta_learned SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct ta_dname);
} ta_dnames SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct ta_dnsq_key);
	__type(value, __u64); /* ta_name_hash of the name asked */
} ta_dnsq SEC(".maps");

/* the state of a name walk (dns.h), between its steps */
struct ta_dns_walk {
	__u32 pos, seg, left, nlen, text, done;
	int end;
	__u64 h;
};
/* an answer record, as the first pass read it */
struct ta_dns_rr {
	__u64 owner;  /* whash of its owner */
	__u64 target; /* a CNAME's: whash of its target */
	__u32 ttl;
	__u16 type, class;
	__u16 rd; /* where its data starts */
	__u8 bad_target;
	__u8 pad[3];
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384); /* resized by the loader */
	__type(key, struct ta_flow_key);
	__type(value, struct ta_sni);
} ta_sni SEC(".maps");

/* Media health: each flow's RTP streams (media.h) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096); /* media flows at once (LRU: the oldest go) */
	__type(key, struct ta_flow_key);
	__type(value, struct ta_rtp);
} ta_rtp SEC(".maps");
/* a new entry's value: zeros, and too big for the stack */
const struct ta_rtp ta_rtp_zero = {};

struct ta_dns_scratch {
	__u8 msg[TA_DNS_BUF];
	struct ta_dns_walk w;
	struct ta_dname name;      /* the name asked, dotted, lower case */
	__u32 len;                 /* bytes of msg read */
	__u32 nlen;                /* length of name */
	__u64 whash;               /* hash of the last name read (labels as on the wire, lower case) */
	__u64 qwhash;              /* whash of the name asked */
	__u64 chain[TA_DNS_CHAIN]; /* whash of the name asked and of its CNAME targets */
	__u64 nhash;               /* ta_name_hash of name: its ta_dnames key */
	__u64 rules[2];            /* per slot: rules whose names match it */
	__u32 cut;                 /* the message is longer than msg: its end was not read */
	__u32 an;                  /* answer records the message says it has */
	__u32 off;                 /* the next answer record */
	__u32 nrr;                 /* answer records read */
	__u32 dots;                /* suffixes of the name tried */
	__u32 nchain, grew, refused, naddrs;
	__u32 end;    /* TLS: the end of the ClientHello, of its extensions */
	__s32 status; /* TLS: TA_SNI_* */
	struct ta_dns_rr rr[TA_DNS_RRS];
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_dns_scratch);
} ta_dns_scratch SEC(".maps");

/* The compat variant's parse of the packet at hand (bpf/compat.h) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ta_pkt);
} ta_pkts SEC(".maps");

static __always_inline struct ta_pkt *ta_pkt_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ta_pkts, &zero);
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 23);
} ta_events SEC(".maps");

#endif /* TA_MAPS_H */
