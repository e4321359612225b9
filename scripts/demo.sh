#!/usr/bin/env bash
# make demo: the lab (scripts/lab.sh), tokaudit run on the gateway's outside
# interface with the built-in policy, and real traffic of every kind:
# allowed, unexpected, other, and a control connection the gateway's own
# firewall drops (the report's Why names the nft rule). Shows the live view (or JSON events when
# stdout is not a terminal) and the compliance report; removes the lab after.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
TA=$top/build/tokaudit
P=tademo$$
C=$P-client G=$P-gw I=$P-inet
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces, BPF)" >&2; exit 1; }
[ -x "$TA" ] || { echo "demo: build first: make" >&2; exit 1; }
cleanup() { [ -n "${RUN:-}" ] && kill "$RUN" 2>/dev/null; "$top/scripts/lab.sh" down "$P"; wait 2>/dev/null; }
trap cleanup EXIT INT TERM
"$top/scripts/lab.sh" up "$P" || exit 1
peer() { ip netns exec "$1" python3 "$top/tests/lab_peer.py" "${@:2}" >/dev/null; }
ip netns exec "$I" python3 "$top/tests/lab_peer.py" serve 70.42.47.70 72.5.167.140 212.118.226.40 216.151.209.20 216.151.209.15 192.0.2.10 >/dev/null 2>&1 &

# the gateway's own firewall blocks one control port: the report's Dropped
# flows and Why say where (the table goes with the namespace)
ip netns exec "$G" nft -f - <<'EOF'
table inet tademo {
	chain blocker {
		type filter hook forward priority 0; policy accept;
		ip daddr 72.5.167.128/26 tcp dport 5560 counter drop
	}
}
EOF

ip netns exec "$G" "$TA" run -i gwout --interval 1 --duration 14 &
RUN=$!
sleep 1.5
peer "$C" udp 70.42.47.70 50000 300 --gap 0.005    # media, both ways
peer "$C" udp 212.118.226.40 1025 50               # media, first port of the range
peer "$C" tcp 212.118.226.40 443                   # control: HTTPS / TURN
peer "$C" tcp 72.5.167.140 3478                    # control: TURN
peer "$C" tcp 70.42.47.70 5560                     # control: iOS control channel
peer "$C" tcp 72.5.167.140 5560 --timeout 1        # the same port to another block: the gateway's nft drops it
peer "$C" tcp 216.151.209.20 443                   # hlg, outbound: allowed
peer "$C" tcp 70.42.47.70 22                       # SSH to a media address: unexpected
peer "$I" tcp 10.1.0.5 8443 --src 216.151.209.15 --sport 443 --timeout 1   # inbound SYN from hlg: unexpected
peer "$C" tcp 192.0.2.10 80                        # an unrelated host: other
peer "$C" udp 192.0.2.10 5000 20                   # other
wait "$RUN"
RUN=
