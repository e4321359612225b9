#!/usr/bin/env bash
# serve's CPU per event drained at one offered rate, for a before/after
# side by side (the serve rows of make bench measure loss; this measures
# cost, which varies less between runs): serve on one end of a veth pair in
# a namespace of its own with a table of FLOWS entries, ta_bench evgen
# offering new unexpected flows into its XDP program at RATE/s for SECONDS
# with 2 threads, then 3 s to catch up.  Prints serve's CPU seconds (from
# /proc) over that, per event sent to the ring, and the events sent and
# lost.  Needs root and make bench's build/bench/ta_bench.
#   tests/bench/serve-cpu.sh [TOKAUDIT-BINARY] [FLOWS [RATE [SECONDS]]]
#   (defaults: build/tokaudit, 262144, 150000, 6: past the table, none lost)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
TA=${1:-$top/build/tokaudit}
FLOWS=${2:-262144} RATE=${3:-150000} SECS=${4:-6}
TB=$top/build/bench/ta_bench
[ "$(id -u)" -eq 0 ] || { echo "serve-cpu: needs root" >&2; exit 1; }
[ -x "$TB" ] || { echo "serve-cpu: $TB missing (make build/bench/ta_bench)" >&2; exit 1; }
. "$top/tests/bench/serve-pair.sh" tsc
# nsenter execs tokaudit: $! is its PID
nsenter --net=/run/netns/$SINK "$TA" serve -i v1 --side inside --flows "$FLOWS" --interval 1 >/dev/null 2>/dev/null &
evpid=$!
id=$(xdp_id v1)
[ -n "$id" ] || { echo "serve-cpu: serve did not attach" >&2; exit 1; }
sleep 1
t0=$(awk '{print $14 + $15}' /proc/$evpid/stat)
line=$(sink "$TB" evgen "$id" "$RATE" "$SECS" 2 1)
sleep 3 # the reader catches up
t1=$(awk '{print $14 + $15}' /proc/$evpid/stat)
python3 - "$line" "$((t1 - t0))" "$(getconf CLK_TCK)" "$FLOWS" "$SECS" "$RATE" <<'PY'
import json, sys
r, ticks, hz = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
cpu = ticks / hz
print(json.dumps({"bench": "serve_cpu", "flows": int(sys.argv[4]), "seconds": float(sys.argv[5]), "rate": int(sys.argv[6]),
                  "offered_per_s": r["offered_per_s"], "events_sent": r["events_sent"],
                  "events_lost": r["events_lost"], "serve_cpu_s": cpu,
                  "us_per_event": round(1e6 * cpu / r["events_sent"], 2) if r["events_sent"] else None}))
PY
