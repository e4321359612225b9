#!/usr/bin/env bash
# The serve rows of make bench alone (section 3, "events drained by tokaudit
# serve"), for a quick before/after: serve on one end of a veth pair in a
# namespace of its own, ta_bench evgen offering new unexpected flows into
# its XDP program at each rate for 3 s with 2 threads.  One JSON line per
# rate: offered_per_s, events_sent (taken by the ring) and events_lost (the
# ring was full: serve did not keep up).  Needs root and make bench's
# build/bench/ta_bench.
#   tests/bench/serve-events.sh [TOKAUDIT-BINARY] [RATE...]   (0: as fast as possible)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
TA=${1:-$top/build/tokaudit}
[ $# -gt 0 ] && shift
RATES=${*:-25000 50000 100000 200000 400000 0}
TB=$top/build/bench/ta_bench
[ "$(id -u)" -eq 0 ] || { echo "serve-events: needs root" >&2; exit 1; }
[ -x "$TB" ] || { echo "serve-events: $TB missing (make build/bench/ta_bench)" >&2; exit 1; }
. "$top/tests/bench/serve-pair.sh" tse
# nsenter execs tokaudit: $! is its PID
nsenter --net=/run/netns/$SINK "$TA" serve -i v1 --side inside --flows 1048576 --interval ${SE_INTERVAL:-1} >/dev/null 2>/dev/null &
evpid=$!
id=$(xdp_id v1)
[ -n "$id" ] || { echo "serve-events: serve did not attach" >&2; exit 1; }
round=0
for rate in $RATES; do
	round=$((round + 1))
	sink "$TB" evgen "$id" "$rate" 3 2 $round
	sleep 2 # the reader catches up before the next step
done
