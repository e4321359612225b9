#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A capture for tests/carry.test.sh: flows from 10.1.0.5 to a media
address, each carrying one kind of payload that RFC 7983 / RFC 9443 tell
apart (STUN requests, responses and indications; DTLS; RTP and RTCP; TURN
ChannelData relaying RTP and DTLS; QUIC; TLS over TCP), and near misses.

    tests/gen_carry.py OUT.pcap
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_captures import eth, ip4, udp, pcap  # noqa: E402

def stun(t, alen, cookie=0x2112A442):
    return struct.pack("!HHI", t, alen, cookie) + bytes(range(8, 20)) + b"\0" * alen

def rtp(pt, n):
    return bytes([0x80, pt]) + b"\x11" * (n - 2)

def dtls(ctype=22, body=b"\x01\x00\x00\x2a\x00\x00\x00\x00\x00\x00\x00\x2a" + b"\xfe\xfd" + b"\x05" * 40):
    return struct.pack("!BHHHIH", ctype, 0xfefd, 0, 0, 0, len(body)) + body

def tcpd(sport, dport, data):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 1, 5 << 4, 0x18, 65535, 0, 0) + data

cases = [  # (proto, sport, dport, [payloads])
    (17, 41000, 3478, [stun(0x0001, 8), stun(0x0101, 12)]),
    (17, 41001, 3478, [stun(0x0003, 4), stun(0x0009, 16), stun(0x0016, 8)]),
    (17, 41002, 3478, [stun(0x0001, 8, 0x2112A443)]),
    (17, 41003, 50000, [dtls()]),
    (17, 41004, 50000, [rtp(111, 120), rtp(200, 28)]),
    (17, 41005, 3478, [b"\x40\x01\x00\x64" + rtp(96, 100), struct.pack("!HH", 0x4001, len(dtls(23, b"\x07" * 40))) + dtls(23, b"\x07" * 40)]),
    (17, 41006, 50000, [bytes([0xc3, 0, 0, 0, 1]) + b"\0" * 59]),
    (6, 42000, 443, [bytes([23, 3, 3, 0, 59]) + b"\0" * 59]),
]
recs = []
for proto, sp, dp, pls in cases:
    for pl in pls:
        l4 = udp(sp, dp, pl) if proto == 17 else tcpd(sp, dp, pl)
        f = eth(ip4("10.1.0.5", "70.42.47.70", proto, l4))
        recs.append((f, len(f)))
open(sys.argv[1], "wb").write(pcap(1, recs))
