#!/usr/bin/env bash
# Bytes on a VLAN-tagged link: the same frame counts the same bytes both
# ways.  Two namespaces joined by a veth pair (to nothing else); each side
# tags what it sends with 802.1Q VLAN 42 from a tc egress filter
# (tests/bpf/vlan_push.bpf.c), in the skb's metadata as a VLAN device does.
# tokaudit audits A's a0: its tc egress program sees the tag in the metadata,
# its XDP program sees B's frames with the tag inline (A's veth has VLAN
# offload off, so the stack writes the tag into the frame on the way out).
# The expected bytes come from the frame's own size, not from tokaudit.
set -u
. "$(dirname "$0")/lib.sh"
need_root "vlan byte counts" || exit 0
top=$(cd "$(dirname "$0")/.." && pwd)
PUSH=$top/build/tests/vlan_push.bpf.o
[ -f "$PUSH" ] || { bad "vlan: $PUSH missing (make test builds it)"; exit 0; }
A=tavlan$$-a B=tavlan$$-b
tmp=$(mktemp -d "/tmp/tokaudit-vlan.$$.XXXX")
cleanup() {
	[ -n "${TAPID:-}" ] && kill "$TAPID" 2>/dev/null && wait "$TAPID" 2>/dev/null
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$A" && ip netns add "$B" || { bad "vlan: namespaces"; exit 0; }
ip -n "$A" link add a0 type veth peer name b0 netns "$B"
ip -n "$A" addr add 10.1.0.5/24 dev a0
ip -n "$B" addr add 70.42.47.70/26 dev b0
for x in "$A a0" "$B b0"; do
	set -- $x
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" up
	ip netns exec "$1" ethtool -K "$2" rx off tx off rxvlan off txvlan off >/dev/null 2>&1
done
ip -n "$A" route add 70.42.47.70/32 dev a0
ip -n "$B" route add 10.1.0.5/32 dev b0
# tagged ARP would go unanswered (no VLAN device on either side): static neighbours
amac=$(ip netns exec "$A" cat /sys/class/net/a0/address)
bmac=$(ip netns exec "$B" cat /sys/class/net/b0/address)
ip -n "$A" neigh replace 70.42.47.70 lladdr "$bmac" dev a0 nud permanent
ip -n "$B" neigh replace 10.1.0.5 lladdr "$amac" dev b0 nud permanent
for x in "$A a0" "$B b0"; do
	set -- $x
	ip netns exec "$1" tc qdisc add dev "$2" clsact &&
		ip netns exec "$1" tc filter add dev "$2" egress prio 1 bpf da obj "$PUSH" sec tc ||
		{ bad "vlan: tc filter with $PUSH on $2"; exit 0; }
done

ip netns exec "$A" "$TA" run -i a0 --json --interval 0.5 >"$tmp/run.jsonl" 2>"$tmp/run.err" &
TAPID=$!
for _ in $(seq 100); do
	grep -q '"event":"started"' "$tmp/run.jsonl" 2>/dev/null && break
	sleep 0.1
done
grep -q '"event":"started"' "$tmp/run.jsonl" || { bad "vlan: run did not start: $(cat "$tmp/run.err")"; exit 0; }
ok "run on a0 beside a VLAN-pushing tc filter"

# N datagrams of PAYLOAD bytes each way on one media flow
N=20 PAYLOAD=100
send() { # ns src sport dst dport
	ip netns exec "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
for i in range(int(sys.argv[5])):
    s.sendto(b"v" * int(sys.argv[6]), (sys.argv[3], int(sys.argv[4])))
    time.sleep(0.005)
' "$2" "$3" "$4" "$5" "$N" "$PAYLOAD"
}
send "$A" 10.1.0.5 40000 70.42.47.70 5000
send "$B" 70.42.47.70 5000 10.1.0.5 40000
sleep 1
kill -TERM "$TAPID"; wait "$TAPID"; rc=$?; TAPID=
[ $rc -eq 0 ] && ok "run exits 0" || bad "vlan: run exit $rc: $(cat "$tmp/run.err")"
# Ethernet 14 + 802.1Q 4 + IPv4 20 + UDP 8 + payload, no FCS
frame=$((14 + 4 + 20 + 8 + PAYLOAD))
python3 - "$tmp/run.jsonl" "$N" "$frame" <<'PY' && ok "tagged frames: $N of $frame bytes counted the same out (tag in metadata) and in (tag inline)" || bad "vlan byte counts"
import json, sys
n, frame = int(sys.argv[2]), int(sys.argv[3])
ev = [json.loads(l) for l in open(sys.argv[1])]
fl = [e for e in ev if e.get("remote") == "70.42.47.70" and e.get("rport") == 5000]
assert fl, "no event of the flow"
last = max(fl, key=lambda e: e["packets_out"] + e["packets_in"])
got = (last["packets_out"], last["bytes_out"], last["packets_in"], last["bytes_in"])
assert got == (n, n * frame, n, n * frame), ("got", got, "want", (n, n * frame, n, n * frame))
rep = [e for e in ev if e["event"] == "report"][0]
a = rep["verdicts"]["allowed"]
assert (a["out"], a["in"], a["bytes"]) == (n, n, 2 * n * frame), a
PY
