#!/usr/bin/env bash
# A lab of three network namespaces joined by veth pairs among themselves and
# to nothing else (never to the root namespace):
#
#   PREFIX-client  c0 10.1.0.5/24, fd00:1::5/64
#        |  veth
#   PREFIX-gw      gwin 10.1.0.1/24 | gwout 198.18.0.1/30   (routes between them)
#        |  veth
#   PREFIX-inet    i0 198.18.0.2/30, and on its loopback:
#                  70.42.47.70 72.5.167.140 212.118.226.40   (one per OpenTok block)
#                  216.151.209.20 216.151.209.15             (the hlg hosts)
#                  192.0.2.10                                (an unrelated host)
#
#   scripts/lab.sh up [PREFIX]     (default PREFIX: tokaudit)
#   scripts/lab.sh down [PREFIX]   (also cleans up after a crashed run)
#   scripts/lab.sh names [PREFIX]  (prints the three namespace names)
#
# The gateway routes only the lab's own addresses: it has no default route.
# Checksum and VLAN offloads are off so XDP sees what the wire carries.
set -euo pipefail
cmd=${1:-}
P=${2:-tokaudit}
C=$P-client G=$P-gw I=$P-inet
INET_ADDRS="70.42.47.70 72.5.167.140 212.118.226.40 216.151.209.20 216.151.209.15 192.0.2.10"

usage() { echo "usage: scripts/lab.sh up|down|names [PREFIX]" >&2; exit 2; }

down() {
	for ns in "$C" "$G" "$I"; do
		if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
			# processes left in the namespace (servers, a crashed tokaudit) go first
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			[ -n "$pids" ] && kill $pids 2>/dev/null || true
			ip netns del "$ns"
		fi
	done
}

offloads_off() { # ns dev
	ip netns exec "$1" ethtool -K "$2" rx off tx off rxvlan off txvlan off >/dev/null 2>&1 || true
}

up() {
	[ "$(id -u)" -eq 0 ] || { echo "lab.sh: needs root (network namespaces)" >&2; exit 1; }
	down
	trap 'down; exit 1' ERR
	for ns in "$C" "$G" "$I"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
	# veths are created inside the namespaces: nothing ever touches the root one
	ip -n "$C" link add c0 type veth peer name gwin netns "$G"
	ip -n "$G" link add gwout type veth peer name i0 netns "$I"
	ip -n "$C" addr add 10.1.0.5/24 dev c0
	ip -n "$C" addr add fd00:1::5/64 dev c0 nodad
	ip -n "$G" addr add 10.1.0.1/24 dev gwin
	ip -n "$G" addr add fd00:1::1/64 dev gwin nodad
	ip -n "$G" addr add 198.18.0.1/30 dev gwout
	ip -n "$I" addr add 198.18.0.2/30 dev i0
	for a in $INET_ADDRS; do ip -n "$I" addr add "$a/32" dev lo; done
	for dev in "$C c0" "$G gwin" "$G gwout" "$I i0"; do
		set -- $dev
		ip -n "$1" link set "$2" up
		offloads_off "$1" "$2"
	done
	ip -n "$C" route add default via 10.1.0.1
	for a in $INET_ADDRS; do ip -n "$G" route add "$a/32" via 198.18.0.2; done
	ip -n "$I" route add 10.1.0.0/24 via 198.18.0.1
	ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$G" sysctl -qw net.ipv6.conf.all.forwarding=1
	# prove the path: the client reaches the media address through the gateway
	ip netns exec "$C" ping -c1 -W2 70.42.47.70 >/dev/null
	trap - ERR
}

case "$cmd" in
	up) up; echo "lab up: $C, $G (gwin, gwout), $I" ;;
	down) down ;;
	names) echo "$C $G $I" ;;
	*) usage ;;
esac
