# Helpers for the shell test suites (tests/*.test.sh): each check prints
#   ok NAME | FAIL NAME: why | SKIP NAME: why
# and tests/run.sh counts them.
TA=${TA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/tokaudit}
# the tests judge by the built-in policy, whatever this machine has installed
# in /etc/tokaudit (README "Which policy"); a test of the default unsets it
export TOKAUDIT_POLICY=built-in
ok()   { echo "ok $*"; }
bad()  { echo "FAIL $*"; }
skip() { echo "SKIP $*"; }
# need_root NAME: true when root; else SKIP (FAIL under CI=true)
need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	if [ "${CI:-}" = true ]; then bad "$1: needs root and CI must not skip"; else skip "$1: needs root"; fi
	return 1
}
# expect_rc NAME WANT CMD...: run CMD, check its exit code; output in $OUT, stderr in $ERR
expect_rc() {
	local name=$1 want=$2; shift 2
	local ef; ef=$(mktemp)
	OUT=$("$@" 2>"$ef"); RC=$?
	ERR=$(cat "$ef"); rm -f "$ef"
	if [ "$RC" -eq "$want" ]; then ok "$name"; return 0; fi
	bad "$name: exit $RC, want $want; stderr: $(head -c 300 <<<"$ERR")"
	return 1
}
# absent NAME PATTERN CMD...: CMD must succeed, and nothing of its output
# may match PATTERN (grep -E).  A failing CMD is a failure, never a pass.
absent() {
	local name=$1 pat=$2 out rc
	shift 2
	out=$("$@" 2>&1); rc=$?
	absent_out "$name" "$pat" "$rc" "$out" "$*"
}
# absent_out NAME PATTERN RC OUTPUT [WHAT]: the same for output already
# captured: RC (its command's exit status) must be 0, and nothing of OUTPUT
# may match
absent_out() {
	local name=$1 pat=$2 rc=$3 out=$4 what=${5:-the command}
	if [ "$rc" -ne 0 ]; then bad "$name: '$what' failed (exit $rc): $(head -c 300 <<<"$out")"; return 1; fi
	if grep -Eaq -- "$pat" <<<"$out"; then bad "$name: found: $(grep -Ea -- "$pat" <<<"$out" | head -3)"; return 1; fi
	ok "$name"
}
# aligned_cols LEFT,COLS RIGHT,COLS < table: the cells of each column named
# start (left) or end (right) where its header does, on every line
aligned_cols() {
	python3 -c '
import sys
left, right = [c for c in sys.argv[1].split(",") if c], [c for c in sys.argv[2].split(",") if c]
lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
head = " " + lines[0] + " "
def pos(name):
    i = head.index(" " + name + " ")
    return i, i + len(name)
for l in lines[1:]:
    for c in left:
        s, _ = pos(c)
        assert s == 0 or l[s - 1] == " ", (c, l)
        assert s < len(l) and l[s] != " ", (c, l)
    for c in right:
        _, e = pos(c)
        assert l[e - 1] != " " and (e == len(l) or l[e] == " "), (c, l)
' "$1" "$2"
}
# expect_in NAME NEEDLE HAYSTACK
expect_in() {
	if grep -qF -- "$2" <<<"$3"; then ok "$1"; else bad "$1: '$2' not in: $(head -c 300 <<<"$3")"; fi
}

# lab_start TAG: a lab (scripts/lab.sh) named TAG$$, its servers running, a
# temporary directory in $tmp and a pin root of its own; all of it removed
# on every exit path (a suite's own lab_cleanup_extra runs first if defined).
# Sets LAB (the lab's name) and its namespaces LAB_CLIENT, LAB_GW and
# LAB_INET, tmp, TOKAUDIT_PIN_ROOT. Returns 1 if the lab did not come up.
LAB_ADDRS="70.42.47.70 72.5.167.140 212.118.226.40 216.151.209.20 216.151.209.15 192.0.2.10"
lab_start() {
	top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	LAB=$1$$
	LAB_CLIENT=$LAB-client LAB_GW=$LAB-gw LAB_INET=$LAB-inet
	tmp=$(mktemp -d "/tmp/tokaudit-$1.$$.XXXX")
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	export TOKAUDIT_PIN_ROOT=/sys/fs/bpf/tokaudit-$LAB
	trap lab_cleanup EXIT INT TERM
	"$top/scripts/lab.sh" up "$LAB" >/dev/null || { bad "lab up"; return 1; }
	# shellcheck disable=SC2086
	ip netns exec "$LAB_INET" python3 "$top/tests/lab_peer.py" serve $LAB_ADDRS >/dev/null 2>&1 &
	sleep 0.3
}
lab_cleanup() {
	declare -F lab_cleanup_extra >/dev/null && lab_cleanup_extra
	if [ -d "$TOKAUDIT_PIN_ROOT" ]; then
		for d in "$TOKAUDIT_PIN_ROOT"/*; do
			[ -d "$d" ] && nsenter --net=/run/netns/$LAB_GW "$TA" detach -i "$(basename "$d")" >/dev/null 2>&1
		done
	fi
	"$top/scripts/lab.sh" down "$LAB" >/dev/null 2>&1
	rm -rf "$TOKAUDIT_PIN_ROOT" "$tmp" /sys/fs/bpf/ta-foreign-$$-*
}
# foreign_xdp NETNS IFACE on|off: an XDP program that is not tokaudit's
# (build/empty.bpf.o, skb mode) on IFACE of NETNS, loaded with bpftool and
# pinned under a name of this run, so no tool's directories (iproute2's
# /sys/fs/bpf/tc) are left behind; off detaches it and removes the pin
foreign_xdp() {
	local pin=/sys/fs/bpf/ta-foreign-$$-$2
	if [ "$3" = on ]; then
		bpftool prog load "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/empty.bpf.o" "$pin" type xdp &&
			nsenter --net="/run/netns/$1" bpftool net attach xdpgeneric pinned "$pin" dev "$2"
	else
		nsenter --net="/run/netns/$1" bpftool net detach xdpgeneric dev "$2"
		rm -f "$pin"
	fi
}
# A TCP collector's stand-in: python3 -c "$TCP_SINK_PY" ADDR PORT FILE keeps
# what one connection sends in FILE until it closes (60 s at most)
TCP_SINK_PY='
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4); s.settimeout(60)
c, _ = s.accept(); c.settimeout(60)
with open(sys.argv[3], "wb") as f:
    while True:
        b = c.recv(65536)
        if not b:
            break
        f.write(b); f.flush()
'
# peer NS ARGS...: tests/lab_peer.py in a namespace
peer() { ip netns exec "$1" python3 "$top/tests/lab_peer.py" "${@:2}"; }
# gw/cl CMD...: in the gateway's / client's network namespace, with the
# machine's mount namespace (so pins live in its bpffs, as on a real gateway)
# wait_started FILE: until the run or serve writing JSON lines to FILE has
# attached (its "started" line), 30 s at most: a fixed sleep races a slow start
wait_started() {
	for _ in $(seq 300); do
		grep -q '"event":"started"' "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
gw() { nsenter --net=/run/netns/$LAB_GW "$@"; }
cl() { nsenter --net=/run/netns/$LAB_CLIENT "$@"; }
jq_py() { python3 -c "import json,sys; r=json.loads(sys.stdin.read()); print($1)"; }
# The lab's inet side drops what trafgen floods send from the spoofed
# sources 10.1.0.10-250: nothing answers them, so every packet is counted
# once and no reply dies looking for a client that does not exist
inet_drops_spoofed() { inet_drops fl "ip saddr 10.1.0.10-10.1.0.250"; }
# churn_bounded WHO OPENED PEAK WALKS: after lab_peer.py's churn (3000 flows
# sent to again each round, 3000 new ones, 24 rounds) through a 4096-entry
# table with no walk due: enough flows made; the most tracked at once past
# 1.5 x the table (so the walk line was reached), within 1.75 x and what
# passing busy flows costs (a flow's add looks up 64 tracked ones at most:
# 4096 / 64 more at worst); and 5 walks or more that the count asked for
churn_bounded() {
	local lim=$((4096 + 2048 + 1024 + 4096 / 64))
	[ "${2:-0}" -ge 75000 ] && [ "${3:-0}" -gt 6144 ] && [ "${3:-0}" -le "$lim" ] &&
		ok "$1's churn: $2 flows through a 4096-entry table, $3 tracked at most (past 6144, <= $lim)" ||
		bad "$1's churn: '$3' tracked at most after '$2' flows, want 6145..$lim"
	[ "${4:-0}" -ge 5 ] && ok "$1's churn: $4 walks with none due, each when the count passed 1.5 x the table" ||
		bad "$1's churn: '$4' walks with none due, want 5 or more"
}
# inet_drops TABLE MATCH: the lab's inet side drops what MATCH matches,
# first thing (table inet TABLE; 'ip netns exec $LAB_INET nft delete table
# inet TABLE' undoes it)
inet_drops() {
	ip netns exec "$LAB_INET" nft -f - <<NFT
table inet $1 {
	chain pre {
		type filter hook prerouting priority -300;
		$2 drop
	}
}
NFT
}
