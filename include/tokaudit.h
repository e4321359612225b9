/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Types shared by the BPF programs (bpf/) and the loader (user/).
 *
 * Only fixed-width __u8/__u16/__u32/__u64 members, explicit padding, and
 * every struct a multiple of 8 bytes, so both compilers agree on the layout.
 * The BPF side gets the __uN types from vmlinux.h, userspace from
 * <linux/types.h>.
 */
#ifndef TOKAUDIT_H
#define TOKAUDIT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TA_VERSION "0.3.0"

/* ---- Limits (documented in README "Policy format") ---- */
#define TA_MAX_RULES 64          /* a rule set is a __u64 bit mask */
#define TA_MAX_PREFIXES 131072   /* LPM entries per policy generation */
#define TA_MAX_LOCAL 1024        /* --local prefixes (replay) */
#define TA_MAX_IFACES 16         /* interfaces one loaded object audits */
#define TA_NSEC_PER_SEC 1000000000ull

/* IP protocol numbers (flow keys carry ICMPv6 as 58) and IPv6 extension headers */
#define TA_IPPROTO_HOPOPTS 0
#define TA_IPPROTO_ICMP 1
#define TA_IPPROTO_TCP 6
#define TA_IPPROTO_UDP 17
#define TA_IPPROTO_ROUTING 43
#define TA_IPPROTO_FRAGMENT 44
#define TA_IPPROTO_AH 51
#define TA_IPPROTO_ICMPV6 58
#define TA_IPPROTO_DSTOPTS 60

#define TA_DROP_EV_GAP_NS (TA_NSEC_PER_SEC / 10) /* at most one drop event per flow per 100 ms */
#define TA_PORTS 65536
#define TA_NO_RULE 0xffffffffu

/* Protocol classes the port tables know about. */
enum ta_pclass {
	TA_PC_TCP = 0,
	TA_PC_UDP = 1,
	TA_PC_ICMP = 2, /* ICMP and ICMPv6; the "port" is always 0 */
	TA_PC_MAX = 3,
};

/* Direction, seen from the protected network. */
enum ta_dir {
	TA_DIR_IN = 0,
	TA_DIR_OUT = 1,
	TA_DIR_MAX = 2,
	TA_DIR_NONE = 255, /* not IP: no direction */
};

enum ta_verdict {
	TA_V_OTHER = 0,      /* remote address not in the policy, or not IP */
	TA_V_ALLOWED = 1,    /* a rule matches address, proto, port and direction */
	TA_V_UNEXPECTED = 2, /* address covered, nothing allows this packet */
	TA_V_INVALID = 3,    /* a header needed to classify is malformed */
	TA_V_MAX = 4,
};

/* How a program decides the direction of a packet (cfg_dir_mode). */
enum ta_dir_mode {
	TA_DM_IN = 0,    /* every packet this hook sees is inbound */
	TA_DM_OUT = 1,   /* every packet this hook sees is outbound */
	TA_DM_LOCAL = 2, /* source in ta_local => out, destination => in */
	TA_DM_AUTO = 3,  /* the side covered by the policy is the remote one */
};

/* Why a packet was judged invalid: counted, and kept in the last result. */
enum ta_invalid_reason {
	TA_INV_NONE = 0,
	TA_INV_L2_TRUNC,    /* Ethernet or VLAN header cut short */
	TA_INV_L2_VLAN,     /* more VLAN tags than supported */
	TA_INV_IP4_TRUNC,   /* IPv4 header cut short */
	TA_INV_IP4_HDR,     /* version != 4, ihl < 5, or total length < header */
	TA_INV_IP6_TRUNC,   /* IPv6 header or extension header cut short */
	TA_INV_IP6_HDR,     /* version != 6, or payload length shorter than headers */
	TA_INV_IP6_CHAIN,   /* extension header chain longer than the bound */
	TA_INV_L4_TRUNC,    /* TCP/UDP/ICMP header cut short */
	TA_INV_TCP_DOFF,    /* TCP data offset < 5 */
	TA_INV_ICMP_QUOTE,  /* ICMP error whose quoted packet cannot be parsed */
	TA_INV_UDP_LEN,     /* UDP length below 8, or past the IP payload */
	TA_INV_MAX,
};

/* Named per-CPU counters beside the verdict x direction ones. */
enum ta_counter {
	TA_C_POLICY_DROP = 0, /* dropped by enforce mode */
	TA_C_FLOW_NEW,        /* flow entries created */
	TA_C_FLOW_FAIL,       /* flow entry could not be created */
	TA_C_FRAG_FIRST,      /* first fragments remembered */
	TA_C_FRAG_INHERIT,    /* later fragments that inherited a verdict */
	TA_C_FRAG_ORPHAN,     /* later fragments whose first was never seen */
	TA_C_ICMP_ERR_FLOW,   /* ICMP errors attributed to a flow */
	TA_C_EV_SENT,         /* events written to the ring buffer */
	TA_C_EV_LOST_NEW,     /* new-flow events lost: ring buffer full */
	TA_C_EV_LOST_UNEXP,   /* unexpected-flow events lost: ring buffer full */
	TA_C_KDROP,           /* kernel drops (blocks) of policy packets, on a flow */
	TA_C_KDROP_NOFLOW,    /* blocks of policy packets no flow took: the flow table refused */
	TA_C_KDROP_EV_BOUND,  /* drop events held back by the per-flow rate bound */
	TA_C_EV_LOST_DROP,    /* drop events lost: ring buffer full */
	TA_C_CAP_SENT,        /* evidence packets captured */
	TA_C_CAP_BOUND,       /* evidence packets not captured: per-flow rate bound */
	TA_C_CAP_LOST,        /* evidence packets not captured: ring buffer full */
	TA_C_KDROP_NONS,      /* drops whose network namespace could not be read: not attributed */
	TA_C_KDROP_ENDPOINT,  /* endpoint discards of policy packets (socket teardown, unread data...) */
	TA_C_KDROP_FLOW_NEW,  /* flows created by a drop: the packet never reached an audited hook */
	TA_C_KDROP_ELSEWHERE, /* blocks of policy packets no flow took: not on their way through an
				 * audited interface (routed out of another, or inbound before the
				 * audited hook) */
	TA_C_KDROP_MISSED,    /* never written by the programs: the reader fills it with the runs of
				 * the drop tracer the kernel skipped because it was already running on
				 * that CPU (an interrupt freeing a packet meanwhile); host-wide */
	TA_C_DNS_ANSWERS,     /* DNS answers to a query seen leaving, for a name of the policy */
	TA_C_DNS_LEARNED,     /* addresses learned (new, or their TTL renewed) */
	TA_C_DNS_NEW,         /* learned addresses new to the table (evictions: these less its entries) */
	TA_C_DNS_UNASKED,     /* DNS answers to no query seen leaving (id, 5-tuple, name): not learned */
	TA_C_DNS_BAD,         /* DNS messages malformed where it mattered: not learned */
	TA_C_DNS_CUT,         /* DNS answers whose records went past what was read: the rest not learned */
	TA_C_DNS_DRIFT,       /* addresses learned for a rule whose own addresses do not cover them: the
			 * document's two tables disagree */
	TA_C_RTP_STREAMS,     /* RTP streams (SSRC and direction of a flow) taken into account */
	TA_C_RTP_FULL,        /* RTP packets of a stream past the TA_RTP_STREAMS a flow keeps: not counted */
	TA_C_INV_BASE,        /* TA_C_INV_BASE + enum ta_invalid_reason */
	TA_C_MAX = TA_C_INV_BASE + TA_INV_MAX,
};

/* Index of the verdict x direction counter: in, out, none (not IP). */
#define TA_VSTAT_DIRS 3
#define TA_VSTAT_IDX(v, d) ((v) * TA_VSTAT_DIRS + ((d) > TA_DIR_OUT ? 2 : (d)))
#define TA_VSTAT_MAX (TA_V_MAX * TA_VSTAT_DIRS)

struct ta_count {
	__u64 packets;
	__u64 bytes;
};

/* Traffic outside the policy ('other'), sampled: who else crosses the
 * gateway.  One packet in TA_OTHER_SAMPLE is counted, by its remote end. */
#define TA_OTHER_SAMPLE 64
#define TA_OTHER_ENTRIES 4096
struct ta_other_key {
	__u8 remote[16];
	__u16 rport;      /* TCP/UDP remote port, 0 for other protocols */
	__u8 proto;
	__u8 dir;         /* enum ta_dir */
};

/*
 * LPM key: every address is 16 bytes, IPv4 as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), and the key starts with the policy slot (generation & 1)
 * so two policies can live in the trie while one replaces the other.
 * prefixlen = 32 (slot) + 96 + v4 length, or 32 + v6 length.
 */
struct ta_lpm_key {
	__u32 prefixlen;
	__u32 slot;
	__u8 addr[16];
};
#define TA_LPM_SLOT_BITS 32
#define TA_COVER16_WORDS 1024    /* 65536 bits: one per IPv4 /16 */

struct ta_lpm_val {
	__u64 rules; /* every rule whose addresses cover this prefix */
};

/*
 * Server names (issue 30).  The policy's name patterns, compiled: a key per
 * slot for every name a pattern spells out (kind EXACT) and for the suffix
 * after the '*' of a wildcard ('.opentok.com', kind SUFFIX), its hash being
 * ta_name_hash over the lower-case dotted name read from its END (so that
 * the datapath finds every suffix of a name in one pass).
 */
#define TA_NAME_EXACT    1
#define TA_NAME_SUFFIX   2
#define TA_NAME_MAX      253   /* a dotted name without its final dot */
#define TA_NAME_KEYS     16384 /* name keys per policy generation */
#define TA_NAME_SUFFIXES 32    /* a name's suffixes tried (labels from its end) */
#define TA_FNV_BASIS     0xcbf29ce484222325ull
#define TA_FNV_PRIME     0x100000001b3ull

static inline __u64 ta_fnv_step(__u64 h, __u8 c)
{
	return (h ^ c) * TA_FNV_PRIME;
}

struct ta_name_key {
	__u32 slot;
	__u32 kind; /* TA_NAME_EXACT or TA_NAME_SUFFIX */
	__u64 hash;
};

struct ta_addr_key {
	__u8 addr[16]; /* IPv4 mapped */
};

/* An address learned from a DNS answer (ta_learned, LRU) */
struct ta_learned {
	__u64 expires_ns; /* the flow clock (CLOCK_MONOTONIC; replay: capture time) */
	__u64 rules[2];   /* per slot: rules whose names match the name asked */
	__u64 drift[2];   /* per slot: of those, rules with addresses none of which covers this one */
	__u64 name;       /* ta_dnames key of the name asked */
};

/* The name a learned address was asked by (ta_dnames, LRU, key: ta_name_hash
 * of the whole name) */
struct ta_dname {
	char name[TA_NAME_MAX + 3]; /* NUL-terminated */
};

/* The server name a TCP flow's ClientHello asked for (ta_sni, LRU, key:
 * struct ta_flow_key) */
#define TA_SNI_NAME    1    /* a name: its ta_dnames key in name */
#define TA_SNI_NO_NAME 0    /* a whole ClientHello without server_name */
#define TA_SNI_BAD     (-1) /* a malformed ClientHello */
#define TA_SNI_SPLIT   (-2) /* a ClientHello longer than its first segment: said, not guessed */
struct ta_sni {
	__u64 name;
	__s32 status; /* TA_SNI_* */
	__u32 pad;
	__u64 rules[2]; /* per slot: rules whose names match it */
};

/* A DNS query seen leaving, waiting for its answer (ta_dnsq, LRU) */
struct ta_dnsq_key {
	__u8 client[16];
	__u8 server[16];
	__u16 cport;
	__u16 id;
	__u8 proto;
	__u8 pad[3];
};

#define TA_DNS_BUF     2048 /* bytes of a DNS message read (a power of 2) */
#define TA_DNS_RRS     64   /* answer records read per message (a power of 2; more: none learned) */
#define TA_DNS_CHAIN   8    /* names of a CNAME chain followed (a power of 2) */
#define TA_DNS_ADDRS   32   /* addresses learned per answer */
#define TA_DNS_TTL_MIN 60   /* default floor and cap of a learned address's life, s */
#define TA_DNS_TTL_MAX 86400

/* Port table index: ((slot * TA_PC_MAX + pclass) * TA_DIR_MAX + dir) * 65536 + port */
#define TA_PORT_IDX(slot, pc, dir, port) \
	((((__u32)(slot) * TA_PC_MAX + (pc)) * TA_DIR_MAX + (dir)) * TA_PORTS + (port))
#define TA_PORT_ENTRIES (2 * TA_PC_MAX * TA_DIR_MAX * TA_PORTS)

/* Local-prefix LPM (direction mode TA_DM_LOCAL). */
struct ta_local_key {
	__u32 prefixlen; /* 96 + v4 length, or v6 length */
	__u8 addr[16];
};

/* One connection, both directions: how events and the reader name it, and
 * the kernel key of the flows without a compact key (ta_flows6). */
struct ta_flow_key {
	__u8 local[16];
	__u8 remote[16];
	__u32 ifindex;
	__u16 lport;   /* TCP/UDP port; ICMP echo identifier; 0 otherwise */
	__u16 rport;
	__u8 proto;    /* IPPROTO_* (ICMPv6 as 58) */
	__u8 family;   /* 4 or 6 */
	__u8 pad[6];
};

/* The kernel key of an IPv4 flow on an interface whose ifindex is below
 * 2^24 (ta_flows): 16 bytes instead of 48.  Others go to ta_flows6. */
struct ta_flow4_key {
	__u32 local;     /* network order, as on the wire */
	__u32 remote;
	__u16 lport;
	__u16 rport;
	__u32 ifx_proto; /* ifindex << 8 | protocol */
};
#define TA_FLOW4_MAX_IFINDEX (1u << 24)

/*
 * A flow's hot part, what every packet touches: counters, times, and one
 * state word.  The rare diagnostics (ICMP errors, drops, evidence windows)
 * live apart in ta_fcold, keyed by the full ta_flow_key, created when first
 * needed (TA_FS_COLD says there is one).
 *
 * state, updated with 64-bit atomics (OR for flags, compare-and-swap for the
 * rest):
 *   bits  0-15  TCP flags seen, 8 per direction (TA_FF_TCP_SHIFT)
 *   bits 16-18  TA_FF_ALLOWED, TA_FF_UNEXPECTED, TA_FF_DROP_OPENED
 *   bit  19     TA_FS_COLD: the flow has a ta_fcold entry
 *   bit  20     TA_FS_OPENER_OUT: the outbound side opened it
 *   bits 21-22  age of the rule: generations between the rule's and the
 *               cache's (0, 1, 2 = older)
 *   bits 23-29  the first rule that allowed a packet, TA_FS_NONE when none
 *   bits 30-36, 37-43  verdict cache per packet direction (in, out): 0 not
 *               known, rule + 1, or TA_FS_NONE (unexpected)
 *   bits 44-63  the low 20 bits of the policy generation of the cache
 * A packet of a known flow under the cache's generation skips the LPM and
 * port lookups: the verdict depends only on the key, the opener and the
 * policy.  (A flow untouched through exactly a multiple of 2^20 reloads
 * would read a stale cache.)
 */
struct ta_flow_hot {
	__u64 packets[2];  /* indexed by enum ta_dir */
	__u64 bytes[2];
	__u64 first_ns;    /* the flow clock: CLOCK_MONOTONIC (coarse), or capture time in replay */
	__u64 last_ns;
	__u64 state;
};
#define TA_FS_COLD (1ull << 19)
#define TA_FS_OPENER_OUT (1ull << 20)
#define TA_FS_FLAGS_MASK 0x7ffffull     /* the bits that are TA_FF_* flags */
#define TA_FS_AGE_SHIFT 21
#define TA_FS_RULE_SHIFT 23
#define TA_FS_CODE_SHIFT(dir) (30 + 7 * ((dir) & 1))
#define TA_FS_GEN_SHIFT 44
#define TA_FS_GEN_MASK 0xfffffu
#define TA_FS_NONE 0x7fu                /* a 7-bit field's "no rule" / "unexpected" */

/* A flow's cold part (ta_fcold) */
struct ta_flow_cold {
	__u64 first_ns;            /* the hot entry's: an entry of an earlier flow with
				    * the same key (evicted since) is stale */
	__u64 policy_drops;        /* dropped by enforce mode */
	__u64 kernel_drops;        /* blocks: dropped in this host's path (drop forensics) */
	__u64 last_drop_loc;       /* kernel address of the last block */
	__u64 last_drop_ev_ns;     /* rate bound of drop events */
	__u64 cap_window_ns;       /* evidence capture: start of the current second */
	__u64 last_ep_loc;         /* the last endpoint discard's location */
	__u32 icmp_errors;
	__u32 endpoint_drops;      /* endpoint discards (socket teardown, unread data...) */
	__u32 last_drop_reason;    /* enum skb_drop_reason of the running kernel */
	__u32 cap_window_count;    /* packets captured in it */
	__u32 last_ep_reason;
	__u8 icmp_type;            /* last ICMP error attributed to this flow */
	__u8 icmp_code;
	__u8 last_drop_dir;        /* direction of the last blocked packet */
	__u8 last_drop_tcp;        /* its TCP flags */
	__u8 icmp_from[16];        /* sender of the last ICMP error */
	__u32 icmp_sent;           /* ICMP errors the protected side sent about the
				    * flow's inbound packets (it refused them) */
	__u8 icmp_sent_type;       /* the last one's type and code */
	__u8 icmp_sent_code;
	__u8 last_drop_route;      /* the last block's route error (an errno: a
				    * blackhole, unreachable or prohibit route or
				    * rule), 0 when its route was none of those */
	__u8 pad;
	__u8 icmp_sent_from[16];   /* its sender: an inside host, or this gateway */
	/* what the flow carries (issue 31), from the payloads of its first
	 * TA_CARRY_FIRST packets each way and one in TA_CARRY_EVERY after:
	 * TA_CARRY_* bits, those inside TURN ChannelData << 16 */
	__u32 carries;
	/* STUN: bit n for method n (1 Binding, 3 Allocate ...), class n << 16
	 * (0 request, 1 indication, 2 success, 3 error) */
	__u32 stun;
};

enum ta_carry {
	TA_CARRY_STUN = 0, /* STUN (RFC 8489), over UDP, or over TCP with or without RFC 6544 framing */
	TA_CARRY_DTLS,     /* DTLS records (first byte 20-63, version 254.x) */
	TA_CARRY_CHANNEL,  /* TURN ChannelData (64-79, RFC 8656) */
	TA_CARRY_RTP,      /* RTP (version 2, 128-191, payload type not RTCP's) */
	TA_CARRY_RTCP,     /* RTCP (version 2, packet type 192-223) */
	TA_CARRY_QUIC,     /* QUIC long header (192-255, UDP) */
	TA_CARRY_TLS,      /* TLS records (TCP) */
	TA_CARRY_UNKNOWN,  /* a payload none of these */
	TA_CARRY_MAX,
};
/* Media health (issue 31): RFC 3550's receiver accounting of each RTP
 * stream of a flow (SSRC and direction), as the gateway sees it; kept in
 * ta_rtp per flow, TA_RTP_STREAMS streams at most */
#define TA_RTP_STREAMS      8
#define TA_RTP_PROBATION    2             /* RFC 3550 A.1 MIN_SEQUENTIAL: in-order packets before a stream counts */
#define TA_RTP_MAX_DROPOUT  3000          /* RFC 3550 A.1: a jump ahead larger than this restarts the count */
#define TA_RTP_MAX_MISORDER 100           /* ... and one back, smaller than this, is late (or a duplicate) */
#define TA_RTP_RELAYED      1             /* flags: inside TURN ChannelData */
#define TA_RTP_RATE_WAIT_NS 1000000000ull /* arrival time after which the clock rate is inferred */
struct ta_rtp_stream {
	__u64 first_ns;   /* arrival of its first packet (capture time in replay) */
	__u64 last_ns;    /* of its last */
	__u64 rate_ns;    /* arrival of the packet the clock rate is inferred from */
	__u64 received;   /* distinct packets since probation ended (RFC 3550 A.1) */
	__u64 duplicates; /* packets whose sequence number was seen already (64 back at most) */
	__u64 late;       /* packets that came after a later one (reordered) */
	__u64 window;     /* bit n: sequence number max_seq - n seen */
	__u64 jitter16;   /* RFC 3550 A.8 interarrival jitter, in ns, times 16 */
	__u32 ssrc;
	__u32 cycles;  /* sequence number wraps, times 65536 */
	__u32 bad_seq; /* RFC 3550 A.1: the sequence number a restart waits for */
	__u32 rate_ts; /* the RTP timestamp the clock rate is inferred from */
	__u32 last_ts; /* of the last packet */
	__u32 rate;    /* the clock rate inferred (Hz), 0 not (yet) */
	__u16 base_seq;
	__u16 max_seq;
	__u8 dir; /* enum ta_dir */
	__u8 probation;
	__u8 pt;        /* payload type of the last packet */
	__u8 flags;     /* TA_RTP_* */
	__u32 restarts; /* sequence restarts (RFC 3550 A.1's large jumps, confirmed) */
	/* the last RTCP receiver report about it, from the receiving side (plain
	 * RTCP only: SRTCP's report blocks are ciphertext) */
	__u32 rr_reports; /* how many were read */
	__u32 rr_lost;    /* cumulative number of packets lost (24 bits, signed) */
	__u32 rr_jitter;  /* interarrival jitter, in RTP timestamp units */
	__u8 rr_fraction; /* fraction lost since the one before, /256 */
	__u8 pad[3];
};
struct ta_rtp {
	struct ta_rtp_stream s[TA_RTP_STREAMS];
};

#define TA_CARRY_FIRST 8  /* packets each way classified from a flow's start */
#define TA_CARRY_EVERY 64 /* then one in this many */

/* Bits of ta_flow_val.flags (the low bits of ta_flow_hot.state) */
#define TA_FF_TCP_SHIFT(dir) ((dir) * 8) /* TCP flags seen, 8 bits per direction */
/* TCP flag bits, as in the header's byte 13 (and in the fields above) */
#define TA_TCP_FIN 0x01
#define TA_TCP_SYN 0x02
#define TA_TCP_RST 0x04
#define TA_TCP_ACK 0x10
#define TA_FF_ALLOWED (1u << 16)        /* some packet of the flow was allowed */
#define TA_FF_UNEXPECTED (1u << 17)     /* some packet of the flow was unexpected */
#define TA_FF_DROP_OPENED (1u << 18)    /* created by drop tracing: a packet died in this host
					 * before it reached the audited interface */

/* A flow as the reader sees it: the loader assembles it from the hot entry
 * and, when there is one, the cold entry.  Never in a map. */
struct ta_flow_val {
	__u64 packets[TA_DIR_MAX]; /* indexed by enum ta_dir */
	__u64 bytes[TA_DIR_MAX];
	__u64 first_ns;            /* CLOCK_MONOTONIC, a few ms (replay: capture time) */
	__u64 last_ns;
	__u32 rule;                /* first rule that allowed a packet, or TA_NO_RULE */
	__u32 generation;          /* policy generation 'rule' was judged under (0: older than
				    * the one before the current); with no rule, the
				    * generation the flow was last judged under */
	__u32 flags;               /* TA_FF_* */
	__u8 opener;               /* enum ta_dir of the side that opened it */
	__u8 icmp_type;            /* last ICMP error attributed to this flow */
	__u8 icmp_code;
	__u8 pad0;
	__u32 icmp_errors;
	__u32 endpoint_drops;      /* endpoint discards (socket teardown, unread data...) */
	__u8 icmp_from[16];        /* sender of the last ICMP error */
	__u64 policy_drops;        /* dropped by enforce mode */
	__u64 kernel_drops;        /* blocks: dropped in this host's path (drop forensics) */
	__u64 last_drop_loc;       /* kernel address of the last block */
	__u32 last_drop_reason;    /* enum skb_drop_reason of the running kernel */
	__u8 last_drop_dir;        /* direction of the last blocked packet */
	__u8 last_drop_tcp;        /* its TCP flags */
	__u8 last_drop_route;      /* its route error (errno), 0: none */
	__u8 pad2;
	__u32 last_ep_reason;      /* the last endpoint discard: reason and location */
	__u32 icmp_sent;           /* ICMP errors the protected side sent about inbound packets */
	__u64 last_ep_loc;
	__u8 icmp_sent_type;
	__u8 icmp_sent_code;
	__u8 pad4[6];
	__u8 icmp_sent_from[16];
	__u16 carries;      /* TA_CARRY_* bits (what the flow carries) */
	__u16 relayed;      /* TA_CARRY_* bits inside TURN ChannelData */
	__u16 stun_methods; /* bit n: STUN method n */
	__u8 stun_classes;  /* bit n: STUN class n */
	__u8 media_streams; /* RTP streams counted (ta_rtp, past probation) */
	/* media health, the flow's RTP streams summed (RFC 3550 A.3) */
	__u64 media_expected;
	__u64 media_lost;
	__u64 media_late;
	__u64 media_dups;
	__u32 media_jitter_us; /* the largest of its streams' jitter; TA_MEDIA_NO_JITTER: no clock rate known */
	__u32 pad6;
};
#define TA_MEDIA_NO_JITTER 0xffffffffu

/* Drop classes (drop tracing): what a kernel drop of a policy packet means.
 * Userspace fills drop_class[] from the running kernel's reason names. */
enum ta_drop_class {
	TA_DC_BLOCK = 0,     /* this host's path refused it: netfilter, routing, qdisc... */
	TA_DC_ENDPOINT = 1,  /* an endpoint discarded it: socket teardown, unread data... */
	TA_DC_BY_LOC = 2,    /* no reason given: endpoint if the location is socket code */
};
#define TA_DROP_REASONS 512     /* core reasons classified; others are blocks */
#define TA_EP_RANGES 2048       /* kernel text ranges of socket/endpoint code */
struct ta_text_range {
	__u64 lo;                   /* [lo, hi) */
	__u64 hi;
};

/* Fragment LRU: the first fragment's verdict for the datagram. */
struct ta_frag_key {
	__u8 src[16];
	__u8 dst[16];
	__u32 id;       /* IPv4 id (16 bits) or IPv6 fragment id */
	__u8 proto;
	__u8 pad[3];
};

/* The same for an IPv4 datagram (most fragments): 12 bytes, which the
 * table hashes in one round where the full key takes four */
struct ta_frag4_key {
	__u32 src;
	__u32 dst;
	__u16 id;
	__u8 proto;
	__u8 pad;
};

struct ta_frag_val {
	__u32 rule;
	__u8 verdict;
	__u8 dir;
	__u16 lport;    /* ports of the first fragment, to count on its flow */
	__u16 rport;
	__u8 has_flow;
	__u8 pad;
	__u32 generation; /* the policy it was judged under: under the same one a
			   * later fragment needs no LPM lookup */
};

enum ta_event_type {
	TA_EV_NEW_FLOW = 1,     /* a flow entry was created */
	TA_EV_UNEXPECTED = 2,   /* first unexpected packet of an existing flow */
	TA_EV_ORPHAN_FRAG = 3,  /* non-first fragment of unknown datagram, policy address */
	TA_EV_KERNEL_DROP = 4,  /* the kernel freed a policy packet as dropped */
	TA_EV_CAPTURE = 5,      /* struct ta_capture: the first bytes of a packet */
};

/* A kernel drop's flow (ta_event.drop_flow) */
enum ta_drop_flow {
	TA_DF_NONE = 0,      /* no flow: the flow table refused */
	TA_DF_KNOWN = 1,     /* charged to a flow the hooks made */
	TA_DF_CREATED = 2,   /* charged to a flow the drop made */
	TA_DF_ELSEWHERE = 3, /* no flow: not on its way through an audited interface */
};

/* Evidence (--pcap): the first bytes of an unexpected or dropped packet.
 * From XDP and tc the data starts at the Ethernet header; from a kernel
 * drop at the network header (l3 = 1). */
#define TA_CAP_MAX 256
#define TA_CAP_PER_FLOW_PER_SEC 16
struct ta_capture {
	__u64 ts_ns;
	__u8 type;      /* TA_EV_CAPTURE (records are told apart from ta_event by size) */
	__u8 verdict;
	__u8 dir;
	__u8 l3;
	__u32 rule;
	__u32 wire_len;
	__u32 cap_len;
	__u32 ifindex;
	__u32 drop_reason;  /* kernel drops; 0 otherwise */
	__u64 drop_loc;
	__u8 policy_drop;   /* dropped by enforce mode */
	__u8 pad[7];
	__u8 data[TA_CAP_MAX];
};

struct ta_event {
	__u64 ts_ns;
	struct ta_flow_key key;
	__u32 rule;
	__u32 generation;
	__u8 type;      /* enum ta_event_type */
	__u8 verdict;
	__u8 dir;       /* direction of the packet that caused the event */
	__u8 drop_flow; /* kernel drop: enum ta_drop_flow */
	__u32 drop_reason;
	__u64 drop_loc;
	/* a new flow's event: the flow as its first packet made it, so that
	 * the reader writes its line without looking the flow up */
	__u64 first_ns; /* the flow's first_ns (its identity beside the key) */
	__u32 len;      /* the packet's wire length */
	__u8 tcp_flags; /* its TCP flags */
	__u8 pad[3];
};

/* Result of the last packet, written only when cfg_record_last is set
 * (replay and tests): the verifier removes the stores otherwise. */
struct ta_last {
	__u64 seq;       /* incremented per packet */
	__u32 rule;
	__u8 verdict;
	__u8 dir;
	__u8 invalid_reason;
	__u8 proto;
	__u16 lport;
	__u16 rport;
	__u8 family;
	__u8 is_frag;    /* 1 first fragment, 2 later fragment */
	__u8 icmp_err;   /* 1 if attributed as an ICMP error to a quoted flow */
	__u8 pad[1];
	__u8 local[16];
	__u8 remote[16];
};

/* Pinned mode: the attach's configuration and the policy's rule labels. */
#define TA_META_MAGIC 0x746f6b61u /* "toka" */
#define TA_META_VERSION 6         /* bump when a pinned map's layout changes */
struct ta_meta {
	__u32 magic;
	__u32 version;
	__u32 generation;       /* policy generation in force */
	__u32 nrules;
	__u8 side;              /* 0 outside, 1 inside */
	__u8 hook;              /* 0 xdp+tc, 1 tc only */
	__u8 enforce;
	__u8 xdp_mode;          /* 0 none, 1 native, 2 skb */
	__u8 created_clsact;    /* the attach made the clsact qdisc */
	__u8 pad[3];
	__u32 ifindex;
	__u32 attaches;         /* how many times attached with these maps */
	__u64 attached_ns;      /* CLOCK_MONOTONIC of the first attach */
	char policy[256];       /* where the policy came from */
	char labels[TA_MAX_RULES][32];
	/* the rule labels of the generation before (flows judged under it) */
	__u32 prev_generation;  /* 0: none */
	__u32 prev_nrules;
	char prev_labels[TA_MAX_RULES][32];
};

/* Blocks of policy traffic by drop reason (ta_kdrop_reasons): index the
 * reason, or TA_DROP_REASONS for every reason of another subsystem. */
#define TA_KDROP_REASON_SLOTS (TA_DROP_REASONS + 1)

/* How a flow's record ended, as the reader saw it (ta_persist.closed[]) */
enum ta_close_reason {
	TA_CLOSE_FIN = 0,
	TA_CLOSE_RST,
	TA_CLOSE_IDLE,
	TA_CLOSE_EVICTED,  /* pushed out of the full LRU table */
	TA_CLOSE_MAX,
};

/* Flows serve saw close that were unexpected or blocked, kept a while for
 * 'flows --since' and 'why --since' (pinned mode, map ta_recent, a ring of
 * slots only userspace reads and writes: serve writes each one after the
 * newest it finds when it starts) */
#define TA_RECENT_MAX 1024
struct ta_recent {
	struct ta_flow_key key;
	struct ta_flow_val val;
	__u64 closed_unix_ns;  /* when serve saw it close; 0: an empty slot */
};

/* State of the reader ('serve') that must outlive it, so that what it
 * exports stays monotonic across restarts (pinned mode, ta_persist; only
 * userspace reads and writes it). */
#define TA_PERSIST_MAGIC 0x74617073u /* "tapS" */
#define TA_PERSIST_VERSION 1
struct ta_persist {
	__u32 magic;
	__u32 version;
	__u64 starts;                  /* serve processes that adopted these maps */
	__u64 flows_opened;            /* flows the reader saw */
	__u64 closed[TA_CLOSE_MAX];    /* by enum ta_close_reason */
	__u64 reloads_ok;
	__u64 reloads_refused;
	__u64 rule_last_ns[TA_MAX_RULES]; /* Unix ns a flow of the rule last carried a packet */
};

#endif /* TOKAUDIT_H */
