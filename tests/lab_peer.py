#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Traffic for the lab (scripts/lab.sh): servers and clients with exact counts.

Only ever used inside the lab's network namespaces; every loop is bounded in
count and time.

  lab_peer.py serve ADDR...              UDP echo on 1025 5000 6000 50000 65535 of each
                                         ADDR, TCP accept on 22 80 443 3478 5560 8080;
                                         stops after 600 s
  lab_peer.py udp HOST PORT N [--src A] [--gap S] [--no-wait]
                                         send N datagrams, count echoes; prints JSON
  lab_peer.py tcp HOST PORT [--src A] [--sport P] [--timeout S]
                                         one connection; prints JSON {"result": ...}
  lab_peer.py stream HOST PORT SECONDS [--pps N] [--rtp]
                                         UDP datagrams at a steady rate; prints the count
  lab_peer.py flood HOST N               one datagram to each of N (port, socket) pairs:
                                         N new flows (ports 1025-61024, a new socket
                                         every 60000); prints the count
  lab_peer.py flows HOST PORT N [--gap S]
                                         N one-datagram flows, each from a new socket;
                                         prints their local ports
  lab_peer.py churn HOST OLD ROUNDS NEW [--pause S]
                                         OLD unexpected flows (UDP ports 1-1000, a socket
                                         for each 1000), then ROUNDS times: a datagram on
                                         each of them again, and NEW new flows (new
                                         sockets), S seconds' pause after each round;
                                         prints the count of new flows
  lab_peer.py send SRC SPORT DST DPORT N [--ttl T]
                                         N datagrams from SRC:SPORT (bound beside any
                                         server there), the socket closed at once; with
                                         --ttl, that IP TTL; prints JSON
  lab_peer.py synfin SRC DST DPORT N     N TCP segments with SYN and FIN both set (no
                                         connection: invalid to conntrack), by raw socket
  lab_peer.py linger HOST UDPPORT TCPPORT N
                                         N UDP datagrams whose echoes are never read, then
                                         the socket closed; N TCP connections closed with
                                         the server's greeting unread (data pending)
"""
import json
import select
import socket
import struct
import sys
import time

UDP_PORTS = (1025, 5000, 6000, 50000, 65535)
TCP_PORTS = (22, 80, 443, 3478, 5560, 8080)


def opt(args, name, default, conv=str):
    if name in args:
        i = args.index(name)
        v = args[i + 1]
        del args[i:i + 2]
        return conv(v)
    return default


def big_rcvbuf(s):
    # bursts of a few hundred datagrams overflow the default buffer of a
    # Python echo loop; a drop there is not the auditor's
    try:
        s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 4 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)


def serve(addrs):
    socks = []
    # one UDP socket per address: an echo must come from the address it was
    # sent to, not from whatever the route picks
    for a in addrs:
        for p in UDP_PORTS:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            big_rcvbuf(s)
            s.bind((a, p))
            socks.append(("udp", s))
    for p in TCP_PORTS:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # lets a client in this namespace connect *from* a server port
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        s.bind(("0.0.0.0", p))
        s.listen(64)
        socks.append(("tcp", s))
    end = time.time() + 600
    print("serving", flush=True)
    while time.time() < end:
        r, _, _ = select.select([s for _, s in socks], [], [], 1.0)
        for kind, s in socks:
            if s not in r:
                continue
            if kind == "udp":
                data, addr = s.recvfrom(65535)
                s.sendto(data, addr)
            else:
                c, _ = s.accept()
                c.settimeout(1)
                try:
                    c.sendall(b"hello\n")
                finally:
                    c.close()


def udp(args):
    src = opt(args, "--src", None)
    gap = opt(args, "--gap", 0.0, float)
    wait = "--no-wait" not in args
    args = [a for a in args if a != "--no-wait"]
    host, port, n = args[0], int(args[1]), int(args[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    big_rcvbuf(s)
    if src:
        s.bind((src, 0))
    s.setblocking(False)
    got = 0
    for i in range(n):
        s.sendto(b"m%06d" % i + b"x" * 100, (host, port))
        if gap:
            time.sleep(gap)
        try:
            while True:
                s.recv(65535)
                got += 1
        except BlockingIOError:
            pass
    end = time.time() + (2.0 if wait else 0)
    while got < n and time.time() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            try:
                s.recv(65535)
                got += 1
            except BlockingIOError:
                pass
    print(json.dumps({"sent": n, "received": got, "lport": s.getsockname()[1]}))


def tcp(args):
    src = opt(args, "--src", None)
    sport = opt(args, "--sport", 0, int)
    timeout = opt(args, "--timeout", 2.0, float)
    host, port = args[0], int(args[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if src or sport:
        s.bind((src or "0.0.0.0", sport))
    s.settimeout(timeout)
    res = "ok"
    try:
        s.connect((host, port))
        try:
            s.recv(100)
        except OSError:
            pass
    except ConnectionRefusedError:
        res = "refused"
    except socket.timeout:
        res = "timeout"
    except OSError as e:
        res = "error: %s" % e
    lport = s.getsockname()[1] if res != "error" else 0
    s.close()
    print(json.dumps({"result": res, "lport": lport}))


def stream(args):
    pps = opt(args, "--pps", 2000, int)
    rtp = "--rtp" in args  # RTP with a 90 kHz clock, one sequence number in 10 never sent
    args = [a for a in args if a != "--rtp"]
    host, port, secs = args[0], int(args[1]), float(args[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    n = 0
    start = time.time()
    end = start + secs
    while time.time() < end:
        if rtp:
            seq = n + n // 9
            s.sendto(struct.pack("!BBHII", 0x80, 96, seq & 0xffff, n * 90000 // pps, 0x1234ABCD) + b"s" * 52,
                     (host, port))
        else:
            s.sendto(b"s" * 64, (host, port))
        n += 1
        ahead = n / pps - (time.time() - start)
        if ahead > 0:
            time.sleep(ahead)
    print(json.dumps({"sent": n}))


def flood(args):
    host, n = args[0], int(args[1])
    s = None
    for i in range(n):
        if i % 60000 == 0:
            if s:
                s.close()
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.sendto(b"f", (host, 1025 + i % 60000))
        except OSError:
            pass  # an ICMP error reported on the socket: the flow is made anyway
    print(json.dumps({"sent": n}))


def flows(args):
    gap = opt(args, "--gap", 0.0, float)
    host, port, n = args[0], int(args[1]), int(args[2])
    ports = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"n", (host, port))
        ports.append(s.getsockname()[1])
        s.close()
        if gap:
            time.sleep(gap)
    print(json.dumps({"lports": ports}))


def churn(args):
    pause = opt(args, "--pause", 0.0, float)  # seconds between rounds: a slow reader of the lines keeps up
    host, old, rounds, new = args[0], int(args[1]), int(args[2]), int(args[3])
    # unexpected flows (UDP ports 1-1000, below the media range), a socket for each 1000 of them
    keep = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range((old + 999) // 1000)]

    def send(socks, n):
        for i in range(n):
            try:
                socks[i // 1000].sendto(b"c", (host, 1 + i % 1000))
            except OSError:
                pass  # an ICMP error reported on the socket: the flow is made anyway

    made = 0
    for r in range(rounds + 1):
        send(keep, old)
        if r == rounds:
            break
        fresh = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range((new + 999) // 1000)]
        send(fresh, new)
        for s in fresh:
            s.close()
        made += new
        time.sleep(pause)
    print(json.dumps({"new": made}))


def linger(args):
    host, uport, tport, n = args[0], int(args[1]), int(args[2]), int(args[3])
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        u.sendto(b"unread%04d" % i, (host, uport))
    conns = []
    for _ in range(n):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.settimeout(2)
        t.connect((host, tport))
        conns.append(t)
    time.sleep(0.5)  # echoes and greetings arrive and wait, unread
    u.close()
    for t in conns:
        t.close()  # with the greeting pending: the kernel discards it
    print(json.dumps({"udp_sent": n, "tcp_closed": n}))


def send(args):
    ttl = opt(args, "--ttl", 0, int)
    src, sport, dst, dport, n = args[0], int(args[1]), args[2], int(args[3]), int(args[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if ttl:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    s.bind((src, sport))
    for i in range(n):
        s.sendto(b"late%04d" % i, (dst, dport))
        time.sleep(0.01)
    s.close()
    print(json.dumps({"sent": n}))


def synfin(args):
    src, dst, dport, n = args[0], args[1], int(args[2]), int(args[3])
    sport = 41999
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, 20)
    for i in range(n):
        hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000 + i, 0, 5 << 4, 0x03, 65535, 0, 0)
        b = pseudo + hdr
        c = sum(struct.unpack("!%dH" % (len(b) // 2), b))
        while c >> 16:
            c = (c & 0xFFFF) + (c >> 16)
        hdr = hdr[:16] + struct.pack("!H", ~c & 0xFFFF) + hdr[18:]
        s.sendto(hdr, (dst, 0))
        time.sleep(0.01)
    print(json.dumps({"sent": n, "sport": sport}))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmd, args = sys.argv[1], sys.argv[2:]
    {"serve": serve, "udp": udp, "tcp": tcp, "stream": stream, "linger": linger, "flood": flood,
     "flows": flows, "churn": churn, "send": send, "synfin": synfin}[cmd](args)


if __name__ == "__main__":
    main()
