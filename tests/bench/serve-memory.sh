#!/usr/bin/env bash
# serve's peak resident memory (VmHWM) under a flood of new flows, per
# flow-table size: serve on one end of a veth pair in a namespace of its own
# (lines to /dev/null), ta_bench evgen offering new unexpected flows as fast
# as two threads make them for 4 s.  One JSON line per size, with the bound
# the README gives (80 MiB + 128 bytes x --flows), and serve's CPU over 12 s
# after it, the table full and idle (the walks' cost).  Needs root and make
# bench's build/bench/ta_bench.
#   tests/bench/serve-memory.sh [TOKAUDIT-BINARY] [FLOWS...]   (default 16384 131072 1048576)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
TA=${1:-$top/build/tokaudit}
[ $# -gt 0 ] && shift
SIZES=${*:-16384 131072 1048576}
TB=$top/build/bench/ta_bench
[ "$(id -u)" -eq 0 ] || { echo "serve-memory: needs root" >&2; exit 1; }
[ -x "$TB" ] || { echo "serve-memory: $TB missing (make build/bench/ta_bench)" >&2; exit 1; }
. "$top/tests/bench/serve-pair.sh" tsm
kib() { awk -v k="$1:" '$1 == k {print $2}' /proc/$evpid/status; }
for flows in $SIZES; do
	# nsenter execs tokaudit: $! is its PID
	nsenter --net=/run/netns/$SINK "$TA" serve -i v1 --side inside --flows "$flows" --interval 1 >/dev/null 2>/dev/null &
	evpid=$!
	id=$(xdp_id v1)
	[ -n "$id" ] || { echo "serve-memory: serve did not attach" >&2; exit 1; }
	before=$(settled_rss $evpid)
	line=$(sink "$TB" evgen "$id" 0 4 2 1)
	sleep 3 # the reader catches up, the walks run
	# then serve's CPU with the table full and no traffic: the walks (--interval 1)
	t0=$(awk '{print $14 + $15}' /proc/$evpid/stat)
	sleep 12
	idle=$(awk -v t0="$t0" -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15 - t0) * 100 / hz / 12}' /proc/$evpid/stat)
	echo "{\"bench\":\"serve_memory\",\"flows\":$flows,\"vmrss_before_kib\":$before,\"vmhwm_kib\":$(kib VmHWM),\"bound_kib\":$((80 * 1024 + flows * 128 / 1024)),\"idle_cpu_pct\":$idle,\"flood\":${line:-null}}"
	stop_serve
	sleep 1 # the programs detach
done
