// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The datapath, packet by packet: a table of crafted frames, each with the
 * verdict, rule and direction it must get, run in order (flow and fragment
 * state carry over between steps) through the XDP and the tc program with
 * BPF_PROG_TEST_RUN.  Every step also checks the return code and that
 * exactly one verdict counter (and for allowed packets one rule counter)
 * moved, by one packet and the frame's bytes.
 *
 * The table runs in four set-ups:
 *   A  XDP sees inbound, tc outbound (a gateway's outside interface)
 *   B  the other way round: XDP outbound, tc inbound
 *   C  direction from local prefixes (as replay), every step through XDP
 *   D  as A, in enforce mode: unexpected packets dropped, nothing else
 * To add a case, add a row to 'steps'.
 */
#include <arpa/inet.h>
#include "harness.h"
#include "flows.h"
#include "pkt.h"

#define L4 "10.1.0.5"
#define L6 "fd00::5"
#define IN TA_DIR_IN
#define OUT TA_DIR_OUT
#define NONE TA_DIR_NONE
#define ALLOWED TA_V_ALLOWED
#define UNEXP TA_V_UNEXPECTED
#define OTHER TA_V_OTHER
#define INVALID TA_V_INVALID

#define T_XDP_DROP 1
#define T_XDP_PASS 2
#define TC_UNSPEC 0xffffffffu
#define TC_SHOT 2

/* outbound / inbound IPv4 and IPv6 packets of the local host */
#define O4(pr, dst_, dp, ...) PK(.family = 4, .src = L4, .dst = dst_, .proto = pr, .sport = 40000, .dport = dp, __VA_ARGS__)
#define I4(pr, src_, sp, ...) PK(.family = 4, .src = src_, .dst = L4, .proto = pr, .sport = sp, .dport = 40000, __VA_ARGS__)
#define O6(pr, dst_, dp, ...) PK(.family = 6, .src = L6, .dst = dst_, .proto = pr, .sport = 40000, .dport = dp, __VA_ARGS__)
#define I6(pr, src_, sp, ...) PK(.family = 6, .src = src_, .dst = L6, .proto = pr, .sport = sp, .dport = 40000, __VA_ARGS__)

/* checks beyond verdict and counters */
enum {
	CK_NONE,
	CK_NOT_IP,
	CK_ICMP_ERR,
	CK_FLOW_PKTS2,
	CK_FLOW_IN_PKTS2,
	CK_HLG_FLOW,
	CK_WRONG_WAY,
	/* BPF_PROG_TEST_RUN cannot build an skb of this frame (an IPv4
	 * ethertype with less than an IPv4 header): XDP only */
	CK_NO_SKB
};

struct step {
	const char *name;
	struct pk pk;
	int hook;      /* direction the packet travels: picks the program */
	int verdict;
	const char *rule;
	int dir;       /* reported direction */
	int check;
};

/* Quoted packets for the ICMP error cases */
static const struct pk q_media = O4(17, "70.42.47.70", 50000, .sport = 40100);
static const struct pk q_ssh = O4(6, "70.42.47.71", 22, .sport = 40200, .tcp_flags = 0x02);
static const struct pk q_other = O4(17, "192.0.2.1", 53, .sport = 40300);
static const struct pk q_noflow = O4(17, "72.5.167.130", 3000, .sport = 40400);
static const struct pk q_v6 = O6(17, "2001:db8:100::9", 5004, .sport = 40500, .payload = 100);

/* the table: a step to a line */
/* clang-format off */
static const struct step steps[] = {
	/* media: UDP 1025-65535 both ways, each block's first and last address */
	{ "udp to first address of 70.42.47.64/26", O4(17, "70.42.47.64", 5000), OUT, ALLOWED, "media", OUT },
	{ "udp to last address of 70.42.47.64/26", O4(17, "70.42.47.127", 5000), OUT, ALLOWED, "media", OUT },
	{ "udp to address before 70.42.47.64/26", O4(17, "70.42.47.63", 5000), OUT, OTHER, NULL, OUT },
	{ "udp to address after 70.42.47.64/26", O4(17, "70.42.47.128", 5000), OUT, OTHER, NULL, OUT },
	{ "udp to first address of 72.5.167.128/26", O4(17, "72.5.167.128", 5000), OUT, ALLOWED, "media", OUT },
	{ "udp to last address of 72.5.167.128/26", O4(17, "72.5.167.191", 5000), OUT, ALLOWED, "media", OUT },
	{ "udp to address before 72.5.167.128/26", O4(17, "72.5.167.127", 5000), OUT, OTHER, NULL, OUT },
	{ "udp to address after 72.5.167.128/26", O4(17, "72.5.167.192", 5000), OUT, OTHER, NULL, OUT },
	{ "udp to first address of 212.118.226.32/27", O4(17, "212.118.226.32", 5000), OUT, ALLOWED, "media", OUT },
	{ "udp to last address of 212.118.226.32/27", O4(17, "212.118.226.63", 5000), OUT, ALLOWED, "media", OUT },
	{ "udp to address before 212.118.226.32/27", O4(17, "212.118.226.31", 5000), OUT, OTHER, NULL, OUT },
	{ "udp to address after 212.118.226.32/27", O4(17, "212.118.226.64", 5000), OUT, OTHER, NULL, OUT },
	{ "udp port 1024 is below the media range", O4(17, "70.42.47.80", 1024), OUT, UNEXP, NULL, OUT },
	{ "udp port 1025 opens the media range", O4(17, "70.42.47.80", 1025), OUT, ALLOWED, "media", OUT },
	{ "udp port 65535 closes the media range", O4(17, "70.42.47.80", 65535), OUT, ALLOWED, "media", OUT },
	{ "udp port 0", O4(17, "70.42.47.80", 0), OUT, UNEXP, NULL, OUT },
	{ "inbound udp from media port 1025", I4(17, "70.42.47.100", 1025), IN, ALLOWED, "media", IN },
	{ "inbound udp from media port 1024", I4(17, "70.42.47.100", 1024), IN, UNEXP, NULL, IN },
	/* control: TCP 80, 443, 3478, 5560 both ways */
	{ "tcp 80 to a media block", O4(6, "212.118.226.40", 80, .tcp_flags = 0x02), OUT, ALLOWED, "control", OUT },
	{ "tcp 443 to a media block", O4(6, "212.118.226.40", 443, .tcp_flags = 0x02), OUT, ALLOWED, "control", OUT },
	{ "tcp 3478 to a media block", O4(6, "72.5.167.140", 3478, .tcp_flags = 0x02), OUT, ALLOWED, "control", OUT },
	{ "tcp 5560 to a media block", O4(6, "70.42.47.90", 5560, .tcp_flags = 0x02), OUT, ALLOWED, "control", OUT },
	{ "tcp 81 is not a control port", O4(6, "70.42.47.90", 81, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	{ "tcp 3479 is not a control port", O4(6, "70.42.47.90", 3479, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	{ "udp 80 to a media block", O4(17, "70.42.47.90", 80), OUT, UNEXP, NULL, OUT },
	{ "inbound tcp from control port 5560", I4(6, "70.42.47.91", 5560, .tcp_flags = 0x02), IN, ALLOWED, "control", IN },
	/* hlg: TCP 80 and 443, outbound only, stateful */
	{ "outbound SYN to hlg 216.151.209.20:443", O4(6, "216.151.209.20", 443, .sport = 41000, .tcp_flags = 0x02), OUT, ALLOWED, "hlg", OUT },
	{ "SYN-ACK answering it is allowed", I4(6, "216.151.209.20", 443, .dport = 41000, .tcp_flags = 0x12), IN, ALLOWED, "hlg", IN, CK_HLG_FLOW },
	{ "outbound tcp 80 to hlg 216.151.209.15", O4(6, "216.151.209.15", 80, .sport = 41002, .tcp_flags = 0x02), OUT, ALLOWED, "hlg", OUT },
	{ "inbound SYN from hlg is unexpected", I4(6, "216.151.209.15", 443, .dport = 41001, .tcp_flags = 0x02), IN, UNEXP, NULL, IN },
	{ "unsolicited inbound udp from hlg", I4(17, "216.151.209.15", 443, .dport = 41003), IN, UNEXP, NULL, IN },
	{ "tcp 443 to the address next to hlg", O4(6, "216.151.209.21", 443, .tcp_flags = 0x02), OUT, OTHER, NULL, OUT },
	{ "tcp 8080 to hlg", O4(6, "216.151.209.20", 8080, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	/* overlapping prefixes: a /32 rule inside a /26 rule matches both */
	{ "tcp 22 to the pinned /32", O4(6, "70.42.47.70", 22, .sport = 42000, .tcp_flags = 0x02), OUT, ALLOWED, "pin", OUT },
	{ "udp to the pinned /32 is still media", O4(17, "70.42.47.70", 5000), OUT, ALLOWED, "media", OUT },
	{ "tcp 443 to the pinned /32 is still control", O4(6, "70.42.47.70", 443, .tcp_flags = 0x02), OUT, ALLOWED, "control", OUT },
	{ "tcp 22 to the /26 next to the pin", O4(6, "70.42.47.71", 22, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	{ "inbound SYN from the pin's port 22 (out-only)", I4(6, "70.42.47.70", 22, .dport = 42001, .tcp_flags = 0x02), IN, UNEXP, NULL, IN },
	/* inbound-only rule, and its answers */
	{ "inbound tcp from 8443 (in-only rule)", I4(6, "203.0.113.9", 8443, .dport = 43000, .tcp_flags = 0x02), IN, ALLOWED, "inonly", IN },
	{ "answer on the inbound-opened flow", O4(6, "203.0.113.9", 8443, .sport = 43000, .tcp_flags = 0x12), OUT, ALLOWED, "inonly", OUT },
	{ "outbound tcp to 8443 opening a flow", O4(6, "203.0.113.10", 8443, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	/* a flow opened the other way from a directional rule's: none of its
	 * packets, either way, matches the rule (README "Stateful rules") */
	{ "inbound SYN from hlg's port 443 (out-only)", I4(6, "216.151.209.20", 443, .dport = 8443, .tcp_flags = 0x02), IN, UNEXP, NULL, IN },
	{ "SYN-ACK out on the inbound-opened flow", O4(6, "216.151.209.20", 443, .sport = 8443, .tcp_flags = 0x12), OUT, UNEXP, NULL, OUT },
	{ "ACK in on it", I4(6, "216.151.209.20", 443, .dport = 8443, .tcp_flags = 0x10), IN, UNEXP, NULL, IN },
	{ "data out on it", O4(6, "216.151.209.20", 443, .sport = 8443, .tcp_flags = 0x18, .payload = 100), OUT, UNEXP, NULL, OUT },
	{ "FIN out on it", O4(6, "216.151.209.20", 443, .sport = 8443, .tcp_flags = 0x11), OUT, UNEXP, NULL, OUT },
	{ "FIN-ACK in on it", I4(6, "216.151.209.20", 443, .dport = 8443, .tcp_flags = 0x11), IN, UNEXP, NULL, IN },
	{ "last ACK out on it", O4(6, "216.151.209.20", 443, .sport = 8443, .tcp_flags = 0x10), OUT, UNEXP, NULL, OUT, CK_WRONG_WAY },
	{ "outbound SYN to hlg from the same port", O4(6, "216.151.209.15", 443, .sport = 8443, .tcp_flags = 0x02), OUT, ALLOWED, "hlg", OUT },
	{ "inbound udp from udpout's port (out-only)", I4(17, "100.64.7.5", 3478, .dport = 5000), IN, UNEXP, NULL, IN },
	{ "udp answer out on the inbound-opened flow", O4(17, "100.64.7.5", 3478, .sport = 5000), OUT, UNEXP, NULL, OUT },
	{ "outbound udp to udpout", O4(17, "100.64.7.6", 3478, .sport = 5001), OUT, ALLOWED, "udpout", OUT },
	{ "udp answer in on the outbound-opened flow", I4(17, "100.64.7.6", 3478, .dport = 5001), IN, ALLOWED, "udpout", IN },
	{ "inbound echo request to pingout's block (out-only)", I4(1, "100.64.8.5", 0, .icmp_type = 8, .sport = 9), IN, UNEXP, NULL, IN },
	{ "echo reply out on the inbound-opened flow", O4(1, "100.64.8.5", 0, .icmp_type = 0, .sport = 9), OUT, UNEXP, NULL, OUT },
	{ "outbound echo request to pingout", O4(1, "100.64.8.6", 0, .icmp_type = 8, .sport = 10), OUT, ALLOWED, "pingout", OUT },
	{ "echo reply in on the outbound-opened flow", I4(1, "100.64.8.6", 0, .icmp_type = 0, .sport = 10), IN, ALLOWED, "pingout", IN },
	{ "outbound SYN to inonly's port 8443 (in-only)", O4(6, "203.0.113.11", 8443, .sport = 43100, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	{ "SYN-ACK in on the outbound-opened flow", I4(6, "203.0.113.11", 8443, .dport = 43100, .tcp_flags = 0x12), IN, UNEXP, NULL, IN },
	{ "ACK out on it", O4(6, "203.0.113.11", 8443, .sport = 43100, .tcp_flags = 0x10), OUT, UNEXP, NULL, OUT },
	{ "outbound udp to udpin's port (in-only)", O4(17, "100.64.9.5", 5353, .sport = 5002), OUT, UNEXP, NULL, OUT },
	{ "udp answer in on the outbound-opened flow", I4(17, "100.64.9.5", 5353, .dport = 5002), IN, UNEXP, NULL, IN },
	{ "inbound udp to udpin", I4(17, "100.64.9.6", 5353, .dport = 5003), IN, ALLOWED, "udpin", IN },
	{ "udp answer out on the inbound-opened flow", O4(17, "100.64.9.6", 5353, .sport = 5003), OUT, ALLOWED, "udpin", OUT },
	{ "v6 inbound SYN from hlg6's port 443 (out-only)", I6(6, "2001:db8:72::1", 443, .dport = 8443, .tcp_flags = 0x02), IN, UNEXP, NULL, IN },
	{ "v6 SYN-ACK out on it", O6(6, "2001:db8:72::1", 443, .sport = 8443, .tcp_flags = 0x12), OUT, UNEXP, NULL, OUT },
	{ "v6 outbound SYN to hlg6", O6(6, "2001:db8:72::1", 443, .sport = 8444, .tcp_flags = 0x02), OUT, ALLOWED, "hlg6", OUT },
	{ "v6 SYN-ACK in on it", I6(6, "2001:db8:72::1", 443, .dport = 8444, .tcp_flags = 0x12), IN, ALLOWED, "hlg6", IN },
	/* ICMP */
	{ "echo request to the ping rule", O4(1, "198.51.100.7", 0, .icmp_type = 8, .sport = 7), OUT, ALLOWED, "ping", OUT },
	{ "echo reply from the ping rule", I4(1, "198.51.100.7", 0, .icmp_type = 0, .sport = 7), IN, ALLOWED, "ping", IN },
	{ "echo request to a media block", O4(1, "70.42.47.80", 0, .icmp_type = 8, .sport = 8), OUT, UNEXP, NULL, OUT },
	/* ICMP errors quoting a policy flow are attributed to it */
	{ "media flow before its ICMP error", O4(17, "70.42.47.70", 50000, .sport = 40100), OUT, ALLOWED, "media", OUT },
	{ "admin-prohibited quoting the media flow", I4(1, "198.18.0.1", 0, .icmp_type = 3, .icmp_code = 13, .quote = &q_media), IN, ALLOWED, "media", IN, CK_ICMP_ERR },
	{ "ssh flow before its ICMP error", O4(6, "70.42.47.71", 22, .sport = 40200, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	{ "ICMP error quoting an unexpected flow", I4(1, "198.18.0.1", 0, .icmp_type = 3, .icmp_code = 3, .quote = &q_ssh), IN, UNEXP, NULL, IN },
	{ "ICMP error quoting a non-policy packet", I4(1, "198.18.0.1", 0, .icmp_type = 11, .quote = &q_other), IN, OTHER, NULL, IN },
	{ "ICMP error quoting a policy packet never seen", I4(1, "198.18.0.1", 0, .icmp_type = 3, .icmp_code = 1, .quote = &q_noflow), IN, ALLOWED, "media", IN },
	{ "ICMP error whose quote is cut short", I4(1, "198.18.0.1", 0, .icmp_type = 3, .quote = &q_media, .quote_len = 12), IN, INVALID, NULL, IN },
	{ "v6 media flow before its ICMPv6 error", O6(17, "2001:db8:100::9", 5004, .sport = 40500, .payload = 100), OUT, ALLOWED, "v6media", OUT },
	{ "ICMPv6 packet-too-big quoting the v6 flow", I6(58, "2001:db8:ffff::1", 0, .icmp_type = 2, .quote = &q_v6), IN, ALLOWED, "v6media", IN },
	/* fragments: the first decides, later ones inherit */
	{ "first fragment of a media datagram", O4(17, "70.42.47.81", 6000, .frag = PK_FIRST, .frag_id = 77, .payload = 100), OUT, ALLOWED, "media", OUT },
	{ "later fragment inherits media", O4(17, "70.42.47.81", 6000, .frag = PK_LATER, .frag_id = 77, .payload = 100), OUT, ALLOWED, "media", OUT, CK_FLOW_PKTS2 },
	{ "orphan later fragment to a policy address", O4(17, "70.42.47.81", 6000, .frag = PK_LATER, .frag_id = 78), OUT, UNEXP, NULL, OUT },
	{ "later fragment to a non-policy address", O4(17, "192.0.2.1", 6000, .frag = PK_LATER, .frag_id = 79), OUT, OTHER, NULL, OUT },
	{ "first fragment of an ssh datagram", O4(6, "70.42.47.82", 22, .frag = PK_FIRST, .frag_id = 80, .tcp_flags = 0x10), OUT, UNEXP, NULL, OUT },
	{ "later fragment inherits unexpected", O4(6, "70.42.47.82", 22, .frag = PK_LATER, .frag_id = 80), OUT, UNEXP, NULL, OUT },
	{ "tiny first fragment with half a tcp header", O4(6, "70.42.47.82", 443, .frag = PK_FIRST, .frag_id = 81, .tot_len = 28), OUT, INVALID, NULL, OUT },
	{ "v6 first fragment", O6(17, "2001:db8:100::7", 6000, .frag = PK_FIRST, .frag_id = 5000, .payload = 64), OUT, ALLOWED, "v6media", OUT },
	{ "v6 later fragment inherits", O6(17, "2001:db8:100::7", 6000, .frag = PK_LATER, .frag_id = 5000), OUT, ALLOWED, "v6media", OUT },
	{ "v6 orphan later fragment", O6(17, "2001:db8:100::7", 6000, .frag = PK_LATER, .frag_id = 5001), OUT, UNEXP, NULL, OUT },
	/* inbound: the datagram's ports the other way round (local is the destination) */
	{ "inbound first fragment from media", I4(17, "70.42.47.83", 6001, .frag = PK_FIRST, .frag_id = 93, .payload = 100), IN, ALLOWED, "media", IN },
	{ "inbound later fragment inherits media", I4(17, "70.42.47.83", 6001, .frag = PK_LATER, .frag_id = 93, .payload = 100), IN, ALLOWED, "media", IN, CK_FLOW_IN_PKTS2 },
	/* header shapes */
	{ "802.1Q tagged", O4(17, "70.42.47.83", 5000, .vlans = 1), OUT, ALLOWED, "media", OUT },
	{ "802.1ad + 802.1Q (QinQ)", O4(17, "70.42.47.83", 5001, .vlans = 2), OUT, ALLOWED, "media", OUT },
	{ "three VLAN tags", O4(17, "70.42.47.83", 5002, .vlans = 3), OUT, INVALID, NULL, OUT },
	{ "IPv4 with 4 bytes of options", O4(17, "70.42.47.84", 5000, .ip4_opts = 4), OUT, ALLOWED, "media", OUT },
	{ "IPv4 with 40 bytes of options", O4(6, "70.42.47.84", 443, .ip4_opts = 40, .tcp_flags = 0x02), OUT, ALLOWED, "control", OUT },
	{ "TCP with options (doff 15)", O4(6, "70.42.47.84", 80, .doff = 15, .tcp_flags = 0x02), OUT, ALLOWED, "control", OUT },
	{ "IPv6 udp", O6(17, "2001:db8:100::1", 5000), OUT, ALLOWED, "v6media", OUT },
	{ "IPv6 tcp 443", O6(6, "2001:db8:100::1", 443, .tcp_flags = 0x02), OUT, ALLOWED, "v6ctl", OUT },
	{ "IPv6 tcp 80 is not in a v6 rule", O6(6, "2001:db8:100::1", 80, .tcp_flags = 0x02), OUT, UNEXP, NULL, OUT },
	{ "IPv6 outside the v6 block", O6(17, "2001:db8:101::1", 5000), OUT, OTHER, NULL, OUT },
	{ "IPv6 inbound udp", I6(17, "2001:db8:100::2", 3000), IN, ALLOWED, "v6media", IN },
	{ "IPv6 hop-by-hop, dest-opts, routing", O6(17, "2001:db8:100::3", 5000, .ip6_ext = { 0, 60, 43 }, .n_ext = 3), OUT, ALLOWED, "v6media", OUT },
	{ "IPv6 with AH", O6(17, "2001:db8:100::3", 5001, .ip6_ext = { 51 }, .n_ext = 1), OUT, ALLOWED, "v6media", OUT },
	{ "IPv6 chain of 6 extension headers", O6(17, "2001:db8:100::3", 5002, .ip6_ext = { 0, 60, 60, 60, 60, 60 }, .n_ext = 6), OUT, ALLOWED, "v6media", OUT },
	{ "IPv6 chain of 7 extension headers", O6(17, "2001:db8:100::3", 5003, .ip6_ext = { 0, 60, 60, 60, 60, 60, 60 }, .n_ext = 7), OUT, INVALID, NULL, OUT },
	{ "other IP protocol (GRE) to a policy block", O4(47, "70.42.47.85", 0), OUT, UNEXP, NULL, OUT },
	{ "other IP protocol (GRE) elsewhere", O4(47, "192.0.2.2", 0), OUT, OTHER, NULL, OUT },
	{ "ARP is not IP: the hook's direction", PK(.ethertype = 0x0806), IN, OTHER, NULL, IN, CK_NOT_IP },
	/* malformed and truncated, in every layer */
	{ "IPv4 ihl 4", O4(17, "70.42.47.86", 5000, .ihl = 4), OUT, INVALID, NULL, OUT },
	{ "IPv4 total length shorter than its header", O4(17, "70.42.47.86", 5000, .tot_len = 16), OUT, INVALID, NULL, OUT },
	{ "IPv4 header cut short", O4(17, "70.42.47.86", 5000, .cut = 14 + 12), OUT, INVALID, NULL, OUT, CK_NO_SKB },
	{ "IPv4 header cut short, inbound", I4(17, "70.42.47.86", 5000, .cut = 14 + 12), IN, INVALID, NULL, IN, CK_NO_SKB },
	{ "IPv4 options cut short", O4(17, "70.42.47.86", 5000, .ip4_opts = 40, .cut = 14 + 30), OUT, INVALID, NULL, OUT },
	{ "version 6 in an IPv4 frame", O4(17, "70.42.47.86", 5000, .version = 6), OUT, INVALID, NULL, OUT },
	{ "TCP data offset 4", O4(6, "70.42.47.86", 443, .doff = 4), OUT, INVALID, NULL, OUT },
	{ "TCP data offset past the datagram", O4(6, "70.42.47.86", 443, .doff = 6, .tot_len = 40), OUT, INVALID, NULL, OUT },
	{ "TCP header cut short", O4(6, "70.42.47.86", 443, .cut = 14 + 20 + 10), OUT, INVALID, NULL, OUT },
	{ "UDP header cut short", O4(17, "70.42.47.86", 5000, .cut = 14 + 20 + 4), OUT, INVALID, NULL, OUT },
	{ "UDP beyond the IPv4 total length", O4(17, "70.42.47.86", 5000, .tot_len = 24), OUT, INVALID, NULL, OUT },
	{ "UDP length 0", O4(17, "70.42.47.86", 5000, .udp_len = 0), OUT, INVALID, NULL, OUT },
	{ "UDP length 7", I4(17, "70.42.47.86", 5000, .udp_len = 7), IN, INVALID, NULL, IN },
	{ "UDP length past the IP payload", O4(17, "70.42.47.86", 5000, .payload = 10, .udp_len = 19), OUT, INVALID, NULL, OUT },
	{ "UDP length equal to the IP payload", O4(17, "70.42.47.86", 5000, .payload = 10, .udp_len = 18), OUT, ALLOWED, "media", OUT },
	{ "UDP length short of the IP payload (padding)", O4(17, "70.42.47.86", 5000, .payload = 10, .udp_len = 8), OUT, ALLOWED, "media", OUT },
	{ "IPv6 UDP length 0", O6(17, "2001:db8:100::4", 5000, .udp_len = 0), OUT, INVALID, NULL, OUT },
	{ "first fragment: the UDP length covers the whole datagram", O4(17, "70.42.47.87", 5000, .frag = PK_FIRST, .frag_id = 90, .payload = 16, .udp_len = 200), OUT, ALLOWED, "media", OUT },
	{ "first fragment with UDP length 4", O4(17, "70.42.47.87", 5000, .frag = PK_FIRST, .frag_id = 91, .payload = 16, .udp_len = 4), OUT, INVALID, NULL, OUT },
	{ "ICMP header cut short", O4(1, "198.51.100.8", 0, .icmp_type = 8, .cut = 14 + 20 + 4), OUT, INVALID, NULL, OUT },
	{ "IPv6 header cut short", O6(17, "2001:db8:100::4", 5000, .cut = 14 + 30), OUT, INVALID, NULL, OUT, CK_NO_SKB },
	{ "IPv6 header cut short, inbound", I6(17, "2001:db8:100::4", 5000, .cut = 14 + 30), IN, INVALID, NULL, IN, CK_NO_SKB },
	{ "IPv6 extension header cut short", O6(17, "2001:db8:100::4", 5000, .ip6_ext = { 0, 60 }, .n_ext = 2, .cut = 14 + 40 + 8 + 1), OUT, INVALID, NULL, OUT },
	{ "IPv6 payload length shorter than its extension headers", O6(17, "2001:db8:100::4", 5000, .ip6_ext = { 0 }, .n_ext = 1, .tot_len = 4), OUT, INVALID, NULL, OUT },
	{ "version 4 in an IPv6 frame", O6(17, "2001:db8:100::4", 5000, .version = 4), OUT, INVALID, NULL, OUT },
	{ "VLAN header cut short", O4(17, "70.42.47.86", 5000, .vlans = 1, .cut = 16), OUT, INVALID, NULL, OUT },
	{ "malformed packet from a non-policy address", I4(6, "192.0.2.3", 443, .doff = 3), IN, INVALID, NULL, IN },
};
/* clang-format on */
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

enum setup { SETUP_A, SETUP_B, SETUP_C, SETUP_D };

struct fixture {
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	const char *labels[TA_MAX_RULES];
};

static int open_setup(struct fixture *f, enum setup s)
{
	struct ta_dp_opts o = { .record_last = true };

	ta_test_policy(&f->pol, &f->comp, TA_TEST_POLICY_EXTRA);
	for (size_t i = 0; i < f->pol.nrules && i < TA_MAX_RULES; i++)
		f->labels[i] = f->pol.rules[i].label;
	switch (s) {
	case SETUP_A: case SETUP_D:
		o.xdp_dir_mode = TA_DM_IN;
		o.tc_dir_mode = TA_DM_OUT;
		o.enforce = s == SETUP_D;
		break;
	case SETUP_B:
		o.xdp_dir_mode = TA_DM_OUT;
		o.tc_dir_mode = TA_DM_IN;
		break;
	case SETUP_C:
		o.xdp_dir_mode = o.tc_dir_mode = TA_DM_LOCAL;
		break;
	}
	if (ta_dp_open(&f->dp, &o))
		return -1;
	assert_int_equal(ta_dp_set_policy(&f->dp, &f->comp), 0);
	if (s == SETUP_C) {
		struct ta_prefix lp[2];
		char err[128];
		assert_int_equal(ta_prefix_parse("10.0.0.0/8", &lp[0], err, sizeof(err)), 0);
		assert_int_equal(ta_prefix_parse("fd00::/8", &lp[1], err, sizeof(err)), 0);
		assert_int_equal(ta_dp_set_local(&f->dp, lp, 2), 0);
	}
	return 0;
}

static void close_setup(struct fixture *f)
{
	ta_dp_close(&f->dp);
	ta_compiled_free(&f->comp);
	ta_policy_free(&f->pol);
}

/* The key of an IPv4 flow of the test run (BPF_PROG_TEST_RUN: loopback, ifindex 1). */
static void key4(struct ta_flow_key *k, const char *local, uint16_t lport, const char *remote, uint16_t rport,
		 uint8_t proto)
{
	struct ta_prefix p;
	char err[128];

	memset(k, 0, sizeof(*k));
	k->ifindex = 1;
	assert_int_equal(ta_prefix_parse(local, &p, err, sizeof(err)), 0);
	memcpy(k->local, p.addr, 16);
	assert_int_equal(ta_prefix_parse(remote, &p, err, sizeof(err)), 0);
	memcpy(k->remote, p.addr, 16);
	k->lport = lport;
	k->rport = rport;
	k->proto = proto;
	k->family = 4;
}

static void check_extra(struct fixture *f, const struct step *st)
{
	struct ta_flow_key k;
	struct ta_flow_val v;
	struct ta_prefix p;
	char err[128];

	if (st->check == CK_ICMP_ERR) {
		/* the error landed on the quoted flow: counted, type/code, sender */
		key4(&k, L4, 40100, "70.42.47.70", 50000, 17);
		assert_int_equal(ta_dp_flow_lookup(&f->dp, &k, &v), 0);
		assert_int_equal(v.icmp_errors, 1);
		assert_int_equal(v.icmp_type, 3);
		assert_int_equal(v.icmp_code, 13);
		ta_prefix_parse("198.18.0.1", &p, err, sizeof(err));
		assert_memory_equal(v.icmp_from, p.addr, 16);
		assert_int_equal(v.packets[TA_DIR_OUT], 1);
		assert_int_equal(v.packets[TA_DIR_IN], 0);
	} else if (st->check == CK_FLOW_PKTS2) {
		/* the later fragment was counted on its datagram's flow */
		key4(&k, L4, 40000, "70.42.47.81", 6000, 17);
		assert_int_equal(ta_dp_flow_lookup(&f->dp, &k, &v), 0);
		assert_int_equal(v.packets[TA_DIR_OUT], 2);
	} else if (st->check == CK_FLOW_IN_PKTS2) {
		/* the same for a datagram that came in */
		key4(&k, L4, 40000, "70.42.47.83", 6001, 17);
		assert_int_equal(ta_dp_flow_lookup(&f->dp, &k, &v), 0);
		assert_int_equal(v.packets[TA_DIR_IN], 2);
	} else if (st->check == CK_HLG_FLOW) {
		key4(&k, L4, 41000, "216.151.209.20", 443, 6);
		assert_int_equal(ta_dp_flow_lookup(&f->dp, &k, &v), 0);
		assert_int_equal(v.opener, TA_DIR_OUT);
		assert_int_equal(v.packets[TA_DIR_OUT], 1);
		assert_int_equal(v.packets[TA_DIR_IN], 1);
		assert_int_equal((v.flags >> TA_FF_TCP_SHIFT(TA_DIR_OUT)) & 0xff, 0x02);
		assert_int_equal((v.flags >> TA_FF_TCP_SHIFT(TA_DIR_IN)) & 0xff, 0x12);
		assert_true(v.flags & TA_FF_ALLOWED);
		assert_false(v.flags & TA_FF_UNEXPECTED);
	} else if (st->check == CK_WRONG_WAY) {
		/* opened from outside: unexpected throughout, no rule, and hlg
		 * named as the rule that would have allowed it opened from inside */
		struct ta_flow_ctx c = { .labels = f->labels, .nlabels = TA_MAX_RULES, .dp = &f->dp };
		char note[128] = "";

		key4(&k, L4, 8443, "216.151.209.20", 443, 6);
		assert_int_equal(ta_dp_flow_lookup(&f->dp, &k, &v), 0);
		assert_int_equal(v.opener, TA_DIR_IN);
		assert_int_equal(v.rule, TA_NO_RULE);
		assert_int_equal(v.packets[TA_DIR_OUT], 4);
		assert_int_equal(v.packets[TA_DIR_IN], 3);
		assert_true(v.flags & TA_FF_UNEXPECTED);
		assert_false(v.flags & TA_FF_ALLOWED);
		assert_string_equal(ta_flow_other_way_rule(&c, &k, &v), "hlg");
		assert_true(ta_flow_other_way_note(&c, &k, &v, note, sizeof(note)));
		assert_string_equal(note, "opened from outside; hlg allows only flows opened from inside");
		/* a flow some rule allowed names no other way */
		key4(&k, L4, 41000, "216.151.209.20", 443, 6);
		assert_int_equal(ta_dp_flow_lookup(&f->dp, &k, &v), 0);
		assert_null(ta_flow_other_way_rule(&c, &k, &v));
	}
}

static void run_table(enum setup s)
{
	struct fixture f = { 0 };

	if (!ta_need_root())
		return;
	assert_int_equal(open_setup(&f, s), 0);
	for (size_t i = 0; i < NSTEPS; i++) {
		const struct step *st = &steps[i];
		uint8_t frame[PK_MAX];
		int len = pk_build(&st->pk, frame);
		struct ta_count v0[TA_VSTAT_MAX], v1[TA_VSTAT_MAX], r0[TA_MAX_RULES], r1[TA_MAX_RULES];
		uint64_t c0[TA_C_MAX], c1[TA_C_MAX];
		uint32_t ret = 0;
		int use_xdp, rule = ta_rule_index(&f.pol, st->rule);
		int want_dir = st->dir;

		assert_int_equal(ta_dp_vstats(&f.dp, v0), 0);
		assert_int_equal(ta_dp_rstats(&f.dp, r0), 0);
		assert_int_equal(ta_dp_counters(&f.dp, c0), 0);
		use_xdp = s == SETUP_C || (s == SETUP_B ? st->hook == OUT : st->hook == IN);
		if (!use_xdp && st->check == CK_NO_SKB)
			continue; /* its twin in the other direction runs through XDP */
		int rr = use_xdp ? ta_dp_run_xdp(&f.dp, frame, (uint32_t)len, &ret)
				 : ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret);
		if (rr)
			fail_msg("setup %c step '%s' via %s: BPF_PROG_TEST_RUN: %s", 'A' + s, st->name,
				 use_xdp ? "xdp" : "tc", strerror(-rr));
		const struct ta_last *l = ta_dp_last(&f.dp);

		/* in local mode a broken packet has a direction only if its addresses were read */
		if (s == SETUP_C && st->verdict == INVALID)
			want_dir = l->dir;
		/* ... and a frame that is not IP none at all */
		if (s == SETUP_C && st->check == CK_NOT_IP)
			want_dir = NONE;
		if (l->verdict != st->verdict || (int)l->rule != (rule < 0 ? (int)TA_NO_RULE : rule) ||
		    l->dir != want_dir)
			fail_msg("setup %c step %zu '%s' via %s: got %s rule %d dir %d, want %s rule %d dir %d",
				 'A' + s, i, st->name, use_xdp ? "xdp" : "tc", ta_verdict_name(l->verdict),
				 (int)l->rule, l->dir, ta_verdict_name(st->verdict), rule, want_dir);
		/* return code: only enforce mode drops, and only unexpected packets */
		int drop = s == SETUP_D && st->verdict == UNEXP;
		if (use_xdp)
			assert_int_equal(ret, drop ? T_XDP_DROP : T_XDP_PASS);
		else
			assert_int_equal(ret, drop ? TC_SHOT : TC_UNSPEC);

		/* counters: exactly one verdict bucket and one rule moved */
		assert_int_equal(ta_dp_vstats(&f.dp, v1), 0);
		assert_int_equal(ta_dp_rstats(&f.dp, r1), 0);
		assert_int_equal(ta_dp_counters(&f.dp, c1), 0);
		int idx = TA_VSTAT_IDX(st->verdict, want_dir);
		for (int b = 0; b < TA_VSTAT_MAX; b++) {
			uint64_t dp = v1[b].packets - v0[b].packets, db = v1[b].bytes - v0[b].bytes;
			if (b == idx) {
				if (dp != 1 || db != (uint64_t)len)
					fail_msg("step '%s': verdict counter moved by %llu packets %llu bytes, want 1 and %d",
						 st->name, (unsigned long long)dp, (unsigned long long)db, len);
			} else if (dp || db) {
				fail_msg("step '%s': unrelated verdict counter %d moved", st->name, b);
			}
		}
		for (int r = 0; r < TA_MAX_RULES; r++) {
			uint64_t dp = r1[r].packets - r0[r].packets;
			assert_int_equal(dp, r == rule && st->verdict == ALLOWED ? 1 : 0);
		}
		assert_int_equal(c1[TA_C_POLICY_DROP] - c0[TA_C_POLICY_DROP], drop ? 1 : 0);
		if (st->verdict == INVALID)
			assert_int_equal(c1[TA_C_INV_BASE + l->invalid_reason] - c0[TA_C_INV_BASE + l->invalid_reason], 1);
		check_extra(&f, st);
	}
	close_setup(&f);
}

static void test_table_A(void **state) { run_table(SETUP_A); }
static void test_table_B(void **state) { run_table(SETUP_B); }
static void test_table_C(void **state) { run_table(SETUP_C); }
static void test_table_D(void **state) { run_table(SETUP_D); }

/* The table must stay big enough to cover the list. */
/* the step table covers every case the README lists: checked at build time */
_Static_assert(sizeof(steps) / sizeof(steps[0]) >= 40, "the datapath step table lost cases");

/* Not-in-policy packets create no flow entry; policy packets do. */
static void test_no_flow_for_other(void **state)
{
	struct fixture f = { 0 };
	uint8_t frame[PK_MAX];
	uint32_t ret;
	uint64_t c[TA_C_MAX];
	struct pk other = O4(17, "192.0.2.9", 5000), media = O4(17, "70.42.47.99", 5000);

	if (!ta_need_root())
		return;
	assert_int_equal(open_setup(&f, SETUP_A), 0);
	for (int i = 0; i < 100; i++) {
		other.sport = (uint16_t)(1000 + i);
		int len = pk_build(&other, frame);
		assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
	}
	assert_int_equal(ta_dp_counters(&f.dp, c), 0);
	assert_int_equal(c[TA_C_FLOW_NEW], 0);
	int len = pk_build(&media, frame);
	assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
	assert_int_equal(ta_dp_counters(&f.dp, c), 0);
	assert_int_equal(c[TA_C_FLOW_NEW], 1);
	close_setup(&f);
}

/* 'Other' traffic is sampled by its remote end: every packet with a sample
 * of 1 (exact), about one in TA_OTHER_SAMPLE by default; policy traffic never. */
struct other_seen {
	uint64_t out5000, in53, icmp, policy, entries;
};

static int on_other(const struct ta_other_key *k, const struct ta_count *c, void *arg)
{
	struct other_seen *o = arg;
	char a[64];

	ta_addr_str(k->remote, a, sizeof(a));
	o->entries++;
	if (getenv("TA_TEST_DEBUG"))
		print_message("other: %s port %u proto %u dir %u: %llu\n", a, k->rport, k->proto, k->dir,
			      (unsigned long long)c->packets);
	if (!strcmp(a, "192.0.2.9") && k->rport == 5000 && k->proto == 17 && k->dir == TA_DIR_OUT)
		o->out5000 = c->packets;
	else if (!strcmp(a, "192.0.2.77") && k->rport == 53 && k->dir == TA_DIR_IN)
		o->in53 = c->packets;
	else if (!strcmp(a, "192.0.2.9") && k->proto == 1 && k->rport == 0)
		o->icmp = c->packets;
	else if (!strncmp(a, "70.42.47.", 9))
		o->policy += c->packets;
	return 0;
}

static void other_case(uint32_t sample, int n_out, struct other_seen *seen)
{
	struct ta_policy pol;
	struct ta_compiled comp;
	struct ta_dp dp;
	struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_IN, .tc_dir_mode = TA_DM_OUT, .other_sample = sample };
	uint8_t frame[PK_MAX];
	uint32_t ret;
	struct pk out = O4(17, "192.0.2.9", 5000), in = I4(17, "192.0.2.77", 53),
		  media = O4(17, "70.42.47.99", 5000), icmp = O4(1, "192.0.2.9", 0, .icmp_type = 8);

	ta_test_policy(&pol, &comp, TA_TEST_POLICY_EXTRA);
	assert_int_equal(ta_dp_open(&dp, &o), 0);
	assert_int_equal(ta_dp_set_policy(&dp, &comp), 0);
	for (int i = 0; i < n_out; i++) {
		out.sport = (uint16_t)(1000 + i % 50000);
		int len = pk_build(&out, frame);
		assert_int_equal(ta_dp_run_tc(&dp, frame, (uint32_t)len, &ret), 0);
	}
	for (int i = 0; i < 30; i++) {
		int len = pk_build(&in, frame);
		assert_int_equal(ta_dp_run_xdp(&dp, frame, (uint32_t)len, &ret), 0);
		len = pk_build(&media, frame);
		assert_int_equal(ta_dp_run_tc(&dp, frame, (uint32_t)len, &ret), 0);
	}
	for (int i = 0; i < 7; i++) {
		int len = pk_build(&icmp, frame);
		assert_int_equal(ta_dp_run_tc(&dp, frame, (uint32_t)len, &ret), 0);
	}
	memset(seen, 0, sizeof(*seen));
	ta_dp_other(&dp, on_other, seen);
	ta_dp_close(&dp);
	ta_compiled_free(&comp);
	ta_policy_free(&pol);
}

static void test_other_sampled(void **state)
{
	struct other_seen s;

	if (!ta_need_root())
		return;
	other_case(1, 100, &s); /* every packet: exact */
	assert_int_equal(s.out5000, 100);
	assert_int_equal(s.in53, 30);
	assert_int_equal(s.icmp, 7);
	assert_int_equal(s.policy, 0);
	assert_int_equal(s.entries, 3);
	other_case(0, 6400, &s); /* the default, 1 in 64: about 100 of 6400 */
	print_message("sampled 1 in %d: %llu of 6400\n", TA_OTHER_SAMPLE, (unsigned long long)s.out5000);
	assert_in_range(s.out5000, 50, 150);
	assert_int_equal(s.policy, 0);
}

/* Events: unexpected new flows always, allowed ones only when asked. */
struct ev_count {
	int n, unexpected, allowed;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct ev_count *ec = ctx;
	const struct ta_event *e = data;

	assert_int_equal(size, sizeof(*e));
	ec->n++;
	if (e->verdict == TA_V_UNEXPECTED)
		ec->unexpected++;
	if (e->verdict == TA_V_ALLOWED)
		ec->allowed++;
	assert_int_equal(e->generation, 1);
	return 0;
}

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tokaudit.skel.h"

static void events_case(bool allowed_events, int want_allowed)
{
	struct fixture f = { 0 };
	struct ta_dp_opts o = { .record_last = true, .xdp_dir_mode = TA_DM_IN, .tc_dir_mode = TA_DM_OUT,
				.events_allowed = allowed_events };
	struct ev_count ec = { 0 };
	uint8_t frame[PK_MAX];
	uint32_t ret;
	struct pk a = O4(17, "70.42.47.99", 5000), u = O4(6, "70.42.47.99", 22, .tcp_flags = 2);

	if (!ta_need_root())
		return;
	ta_test_policy(&f.pol, &f.comp, NULL);
	assert_int_equal(ta_dp_open(&f.dp, &o), 0);
	assert_int_equal(ta_dp_set_policy(&f.dp, &f.comp), 0);
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(f.dp.skel->maps.ta_events), on_event, &ec, NULL);
	assert_non_null(rb);
	for (int i = 0; i < 3; i++) { /* same flows thrice: one event each at most */
		int len = pk_build(&a, frame);
		assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
		len = pk_build(&u, frame);
		assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
	}
	ring_buffer__consume(rb);
	assert_int_equal(ec.unexpected, 1);
	assert_int_equal(ec.allowed, want_allowed);
	ring_buffer__free(rb);
	close_setup(&f);
}

static void test_events_default(void **state) { events_case(false, 0); }
static void test_events_allowed(void **state) { events_case(true, 1); }

/* A new policy generation replaces the old one for the next packet. */
static void test_policy_switch(void **state)
{
	struct fixture f = { 0 };
	struct ta_policy p2;
	struct ta_compiled c2;
	struct ta_diags d = { 0 };
	uint8_t frame[PK_MAX];
	uint32_t ret;
	const char *txt = "rule only\n proto udp\n ports 7000\n dir both\n addr 70.42.47.64/26\n";
	struct pk pk = O4(17, "70.42.47.99", 5000);

	if (!ta_need_root())
		return;
	assert_int_equal(open_setup(&f, SETUP_A), 0);
	int len = pk_build(&pk, frame);
	assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
	assert_int_equal(ta_dp_last(&f.dp)->verdict, TA_V_ALLOWED);
	assert_int_equal(ta_policy_parse(txt, strlen(txt), "p2", &p2, &d), 0);
	assert_int_equal(ta_policy_compile(&p2, &c2), 0);
	assert_int_equal(ta_dp_set_policy(&f.dp, &c2), 0);
	pk.sport = 40001; /* a new flow */
	len = pk_build(&pk, frame);
	assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
	assert_int_equal(ta_dp_last(&f.dp)->verdict, TA_V_UNEXPECTED);
	/* and back: the slot of generation 1 is rewritten for generation 3 */
	assert_int_equal(ta_dp_set_policy(&f.dp, &f.comp), 0);
	pk.sport = 40002;
	len = pk_build(&pk, frame);
	assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
	assert_int_equal(ta_dp_last(&f.dp)->verdict, TA_V_ALLOWED);
	assert_int_equal(f.dp.generation, 3);
	ta_compiled_free(&c2);
	ta_policy_free(&p2);
	close_setup(&f);
}

/* A flow's cold part (here its ICMP errors) is that flow's only: a flow
 * made again with the same key after the first was evicted from the hot
 * table starts without the old one's diagnostics, and the reader never
 * shows them. */
static void test_cold_part(void **state)
{
	struct fixture f = { 0 };
	uint8_t frame[PK_MAX];
	uint32_t ret;
	const struct pk err = I4(1, "198.18.0.1", 0, .icmp_type = 3, .icmp_code = 13, .quote = &q_media);
	struct ta_flow_key k;
	struct ta_flow4_key k4;
	struct ta_flow_val v;
	int len;

	if (!ta_need_root())
		return;
	assert_int_equal(open_setup(&f, SETUP_A), 0);
	key4(&k, L4, 40100, "70.42.47.70", 50000, 17);
	for (int round = 0; round < 2; round++) {
		len = pk_build(&q_media, frame);
		assert_int_equal(ta_dp_run_tc(&f.dp, frame, (uint32_t)len, &ret), 0);
		assert_int_equal(ta_dp_flow_lookup(&f.dp, &k, &v), 0);
		assert_int_equal(v.icmp_errors, 0); /* the second round: nothing of the first */
		assert_int_equal(v.packets[TA_DIR_OUT], 1);
		len = pk_build(&err, frame);
		assert_int_equal(ta_dp_run_xdp(&f.dp, frame, (uint32_t)len, &ret), 0);
		assert_int_equal(ta_dp_flow_lookup(&f.dp, &k, &v), 0);
		assert_int_equal(v.icmp_errors, 1);
		assert_int_equal(v.icmp_code, 13);
		/* the hot entry goes, as the LRU would push it out; the cold one stays */
		memcpy(&k4.local, k.local + 12, 4);
		memcpy(&k4.remote, k.remote + 12, 4);
		k4.lport = k.lport;
		k4.rport = k.rport;
		k4.ifx_proto = k.ifindex << 8 | k.proto;
		assert_int_equal(bpf_map_delete_elem(ta_dp_map_fd(&f.dp, TA_M_FLOWS), &k4), 0);
		assert_int_equal(ta_dp_flow_lookup(&f.dp, &k, &v), -ENOENT);
		usleep(20000); /* the flow clock (coarse) moves on: the next flow is a new one */
	}
	close_setup(&f);
}

/* Only the packet programs asked for are loaded (replay: XDP alone; a
 * hook: its own two), and a frame still runs through the one loaded. */
static void test_progs_loaded(void **state)
{
	static const unsigned masks[] = { TA_PROG_BIT(TA_P_XDP), TA_PROGS_FOR_HOOK(0), TA_PROGS_FOR_HOOK(1), 0 };
	struct pk in = I4(17, "192.0.2.77", 53);
	uint8_t frame[PK_MAX];
	uint32_t ret;

	(void)state;
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		struct ta_dp_opts o = { .xdp_dir_mode = TA_DM_IN,
					.tc_dir_mode = TA_DM_OUT,
					.progs = (uint8_t)masks[i] };
		unsigned want = masks[i] ? masks[i] : TA_PROG_BIT(TA_P_MAX) - 1;
		struct ta_dp dp;
		int len = pk_build(&in, frame);

		assert_int_equal(ta_dp_open(&dp, &o), 0);
		for (int p = 0; p < TA_P_MAX; p++)
			assert_int_equal(ta_dp_prog_fd(&dp, (enum ta_dp_prog)p) >= 0, !!(want & TA_PROG_BIT(p)));
		if (want & TA_PROG_BIT(TA_P_XDP))
			assert_int_equal(ta_dp_run_xdp(&dp, frame, (uint32_t)len, &ret), 0);
		else
			assert_int_not_equal(ta_dp_run_xdp(&dp, frame, (uint32_t)len, &ret), 0);
		ta_dp_close(&dp);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_A),           cmocka_unit_test(test_table_B),
		cmocka_unit_test(test_table_C),           cmocka_unit_test(test_table_D),
		cmocka_unit_test(test_no_flow_for_other), cmocka_unit_test(test_other_sampled),
		cmocka_unit_test(test_events_default),    cmocka_unit_test(test_events_allowed),
		cmocka_unit_test(test_policy_switch),     cmocka_unit_test(test_cold_part),
		cmocka_unit_test(test_progs_loaded),
	};

	return cmocka_run_group_tests_name("datapath", tests, NULL, NULL);
}
