#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Write small captures for the replay tests, and what each frame must get.

    tests/gen_captures.py OUTDIR

Writes OUTDIR/basic.pcap, basic.pcapng, sll.pcap, raw.pcap, jumbo.pcap,
runt.pcap, runt_sll.pcap, truncated.pcap, corrupt.pcap, wifi.pcap and OUTDIR/expected.jsonl: one line
per frame of basic.* with the verdict, rule and direction the issue's rules
give it under the built-in policy, with --local 10.1.0.0/16 (dir_local) and
without it (dir_auto).  The expectations come from the scenario below, written
from the verdict rules, not from the BPF code.
"""
import ipaddress
import json
import struct
import sys

LOCAL = "10.1.0.5"
BLOCKS = [ipaddress.ip_network(n) for n in ("70.42.47.64/26", "72.5.167.128/26", "212.118.226.32/27")]
HLG = [ipaddress.ip_address(a) for a in ("216.151.209.20", "216.151.209.15")]


def in_policy(a):
    a = ipaddress.ip_address(a)
    return any(a in b for b in BLOCKS) or a in HLG


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=1, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, frag, 64, proto, 0,
                      ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, data=b"x" * 32):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data


def tcp(sport, dport, flags, doff=5):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, doff << 4, flags, 65535, 0, 0) + b"\x01" * (max(doff, 5) * 4 - 20)


def icmp(t, c, rest=b"\0\0\0\0", data=b""):
    return struct.pack("!BBH", t, c, 0) + rest + data


def eth(payload, etype=0x0800):
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02" + struct.pack("!H", etype) + payload


def frames():
    """(frame bytes, verdict, rule, remote address or None, direction with --local)"""
    out = []

    def add(ipkt, verdict, rule, src, dst, auto=None):
        # with --local the inside is 10.1.0.0/16; without, the side in the
        # policy is remote, and the destination when neither is
        dl = "out" if src.startswith("10.1.") else "in" if dst.startswith("10.1.") else None
        da = auto or ("out" if in_policy(dst) else "in" if in_policy(src) else "out")
        out.append((eth(ipkt), verdict, rule, dl, da))

    L = LOCAL
    # media both ways, edges of a block
    add(ip4(L, "70.42.47.64", 17, udp(40000, 1025)), "allowed", "media", L, "70.42.47.64")
    add(ip4("70.42.47.64", L, 17, udp(1025, 40000)), "allowed", "media", "70.42.47.64", L)
    add(ip4(L, "212.118.226.63", 17, udp(40001, 65535)), "allowed", "media", L, "212.118.226.63")
    add(ip4(L, "212.118.226.64", 17, udp(40001, 65535)), "other", None, L, "212.118.226.64")
    add(ip4(L, "72.5.167.130", 17, udp(40002, 1024)), "unexpected", None, L, "72.5.167.130")
    # control
    for port in (80, 443, 3478, 5560):
        add(ip4(L, "72.5.167.150", 6, tcp(41000 + port, port, 0x02)), "allowed", "control", L, "72.5.167.150")
        add(ip4("72.5.167.150", L, 6, tcp(port, 41000 + port, 0x12)), "allowed", "control", "72.5.167.150", L)
    add(ip4(L, "70.42.47.70", 6, tcp(42000, 22, 0x02)), "unexpected", None, L, "70.42.47.70")
    # hlg: outbound handshake, then an unsolicited inbound SYN
    add(ip4(L, "216.151.209.20", 6, tcp(43000, 443, 0x02)), "allowed", "hlg", L, "216.151.209.20")
    add(ip4("216.151.209.20", L, 6, tcp(443, 43000, 0x12)), "allowed", "hlg", "216.151.209.20", L)
    add(ip4(L, "216.151.209.20", 6, tcp(43000, 443, 0x10)), "allowed", "hlg", L, "216.151.209.20")
    add(ip4("216.151.209.15", L, 6, tcp(80, 43001, 0x02)), "unexpected", None, "216.151.209.15", L)
    add(ip4("216.151.209.15", L, 17, udp(443, 43002)), "unexpected", None, "216.151.209.15", L)
    # a connection opened from outside, from hlg's port 443: hlg allows only
    # outbound-opened ones, so no packet of it is allowed, the answers neither
    add(ip4("216.151.209.15", L, 6, tcp(443, 43003, 0x02)), "unexpected", None, "216.151.209.15", L)
    add(ip4(L, "216.151.209.15", 6, tcp(43003, 443, 0x12)), "unexpected", None, L, "216.151.209.15")
    # fragments: first decides, later inherits; an orphan
    payload = udp(44000, 5004, b"f" * 64)
    add(ip4(L, "70.42.47.100", 17, payload[:48], ident=900, frag=0x2000), "allowed", "media", L, "70.42.47.100")
    add(ip4(L, "70.42.47.100", 17, payload[48:], ident=900, frag=6), "allowed", "media", L, "70.42.47.100")
    add(ip4(L, "70.42.47.100", 17, b"z" * 24, ident=901, frag=6), "unexpected", None, L, "70.42.47.100")
    # an ICMP error from a router quoting the media flow
    quoted = ip4(L, "70.42.47.64", 17, udp(40000, 1025))[:28]
    # (its direction comes from the quoted packet, which went out)
    add(ip4("198.18.0.1", L, 1, icmp(3, 13, data=quoted)), "allowed", "media", "198.18.0.1", L, auto="in")
    # malformed: TCP data offset 4 to a policy address
    add(ip4(L, "70.42.47.70", 6, tcp(42001, 443, 0x02, doff=4)), "invalid", None, L, "70.42.47.70")
    # unrelated traffic and a non-IP frame
    add(ip4(L, "192.0.2.10", 6, tcp(45000, 443, 0x02)), "other", None, L, "192.0.2.10")
    add(ip4("192.0.2.10", L, 6, tcp(443, 45000, 0x12)), "other", None, "192.0.2.10", L)
    out.append((eth(b"\0\x01\x08\0\x06\x04\0\x01" + b"\0" * 20, 0x0806), "other", None, None, None))
    return out


def pcap(linktype, recs, snap=65535):
    b = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, linktype)
    for i, (data, wire) in enumerate(recs):
        b += struct.pack("<IIII", 1700000000 + i, i, len(data), wire) + data
    return b


def pcapng(recs):
    def block(t, body):
        pad = (-len(body)) % 4
        n = 12 + len(body) + pad
        return struct.pack("<II", t, n) + body + b"\0" * pad + struct.pack("<I", n)

    b = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    b += block(1, struct.pack("<HHI", 1, 0, 65535))
    for i, (data, wire) in enumerate(recs):
        ts = (1700000000 + i) * 1000000
        b += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), wire) + data + b"\0" * ((-len(data)) % 4))
    return b


def main():
    out = sys.argv[1]
    fr = frames()
    recs = [(f, len(f)) for f, *_ in fr]
    open(f"{out}/basic.pcap", "wb").write(pcap(1, recs))
    open(f"{out}/basic.pcapng", "wb").write(pcapng(recs))
    with open(f"{out}/expected.jsonl", "w") as m:
        for n, (f, v, r, dl, da) in enumerate(fr, 1):
            m.write(json.dumps({"pkt": n, "verdict": v, "rule": r, "dir_local": dl, "dir_auto": da, "len": len(f)}) + "\n")
    # Linux cooked capture (tcpdump -i any) and raw IP: same IP packets
    sll = [(struct.pack("!HHH8sH", 4, 1, 6, b"\0" * 8, struct.unpack("!H", f[12:14])[0]) + f[14:], len(f) + 2) for f, *_ in fr]
    open(f"{out}/sll.pcap", "wb").write(pcap(113, sll))
    raw = [(f[14:], len(f) - 14) for f, *_ in fr if f[12:14] == b"\x08\x00"]
    open(f"{out}/raw.pcap", "wb").write(pcap(101, raw))
    # a 9000-byte frame (longer than a test run takes) and a snaplen-cut frame
    jumbo = eth(ip4(LOCAL, "70.42.47.80", 17, udp(46000, 5000, b"j" * 8972)))
    snapped = eth(ip4(LOCAL, "70.42.47.81", 17, udp(46001, 5000, b"s" * 1400)))
    open(f"{out}/jumbo.pcap", "wb").write(pcap(1, [(jumbo, len(jumbo)), (snapped[:96], len(snapped))], snap=65535))
    # runts: frames shorter than their link header (an Ethernet frame of 10
    # bytes, an empty one, a Linux cooked header cut at 12 bytes) between
    # normal ones: each is invalid (l2-truncated) and the replay goes on
    ok1, ok2 = recs[0][0], recs[1][0]
    open(f"{out}/runt.pcap", "wb").write(pcap(1, [(ok1, len(ok1)), (ok1[:10], 60), (b"", 60), (ok2, len(ok2))]))
    open(f"{out}/runt_sll.pcap", "wb").write(pcap(113, [sll[0], (sll[0][0][:12], 62), sll[1]]))
    # cut in the middle of the 6th record
    whole = pcap(1, recs)
    off = 24
    for i in range(5):
        off += 16 + len(recs[i][0])
    open(f"{out}/truncated.pcap", "wb").write(whole[:off + 16 + 10])
    open(f"{out}/corrupt.pcap", "wb").write(b"this is not a capture file at all\n" * 4)
    open(f"{out}/wifi.pcap", "wb").write(pcap(105, recs[:2]))


if __name__ == "__main__":
    main()
