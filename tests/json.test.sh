#!/usr/bin/env bash
# Every --json output parses with a strict JSON parser (UTF-8 required, no raw
# control characters) when the names in it are hostile: an interface and a
# policy path with a quote, a backslash, a control character and a byte that
# is not UTF-8.  Traffic stays inside two namespaces made here.
set -u
. "$(dirname "$0")/lib.sh"
need_root "JSON output lab tests" || exit 0
top=$(cd "$(dirname "$0")/.." && pwd)
N=tj$$ N2=tj$$b
IF=$'q"\\\x01\xff'   # q " \ ^A 0xff
tmp=$(mktemp -d "/tmp/tokaudit-json.$$.XXXX")
export TOKAUDIT_PIN_ROOT=/sys/fs/bpf/tokaudit-$N
cleanup() {
	[ -n "${RUNPID:-}" ] && kill "$RUNPID" 2>/dev/null
	nsenter --net=/run/netns/$N "$TA" detach -i "$IF" >/dev/null 2>&1
	ip netns del "$N" 2>/dev/null
	ip netns del "$N2" 2>/dev/null
	rm -rf "$tmp" "$TOKAUDIT_PIN_ROOT"
}
trap cleanup EXIT INT TERM
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip netns add "$N" && ip netns add "$N2" || { bad "namespaces"; exit 0; }
ip -n "$N" link add name "$IF" type veth peer name p0 netns "$N2" || { bad "veth with a hostile name"; exit 0; }
ip -n "$N" addr add 70.42.47.72/26 dev "$IF"
ip -n "$N2" addr add 70.42.47.71/26 dev p0
ip -n "$N" link set "$IF" up; ip -n "$N2" link set p0 up
ip -n "$N" link set lo up; ip -n "$N2" link set lo up
ip netns exec "$N" ethtool -K "$IF" rx off tx off rxvlan off txvlan off >/dev/null 2>&1
ns() { nsenter --net=/run/netns/$N "$@"; }
POL="$tmp/"$'p"\\\x01\xff.policy'
cat > "$POL" <<'EOF'
rule media
    proto udp
    ports 1025-65535
    dir both
    addr 70.42.47.64/26
    names media.lab.test
rule control
    proto tcp
    ports 443
    dir both
    addr 70.42.47.64/26
    names ctl.lab.test
EOF

# strict: each line (or the whole output with --whole) is one JSON document
strict() { # name file [whole]
	if python3 - "$2" "${3:-}" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
docs = [data] if sys.argv[2] else [l for l in data.split(b"\n") if l.strip()]
assert docs, "no output"
names = set()
for d in docs:
    o = json.loads(d.decode("utf-8"))   # strict UTF-8, strict JSON
    def walk(x):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            names.add(x)
    walk(o)
# the hostile name survives, its invalid byte as U+FFFD
assert any('q"\\\x01\ufffd' in n for n in names), sorted(names)[:20]
PY
	then ok "$1: strict JSON, hostile name intact"; else bad "$1: $(head -c 400 "$2" | cat -v)"; fi
}

# run --json, with evidence: its sidecar is JSON too
nsenter --net=/run/netns/$N "$TA" run -i "$IF" --policy "$POL" --json --interval 0.3 --pcap "$tmp/ev.pcap" >"$tmp/run.jsonl" 2>"$tmp/run.err" &
RUNPID=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/run.jsonl" 2>/dev/null && break; sleep 0.1; done
ip netns exec "$N" ping -c 2 -i 0.2 -W 1 70.42.47.71 >/dev/null 2>&1   # ICMP: no rule allows it
sleep 0.5
kill -TERM $RUNPID; wait $RUNPID; RUNPID=
grep -q '"event":"report"' "$tmp/run.jsonl" && ok "run: report written" || bad "run: no report: $(cat "$tmp/run.err")"
grep -q '"event":"opened"' "$tmp/run.jsonl" && ok "run: flow events written" || bad "run: no flow event"
strict "run --json" "$tmp/run.jsonl"
[ -s "$tmp/ev.pcap.annotations.jsonl" ] && strict "run --pcap annotations" "$tmp/ev.pcap.annotations.jsonl" || bad "no evidence annotations"

# pinned mode: every reader's --json
expect_rc "attach" 0 ns "$TA" attach -i "$IF" --policy "$POL"
ip netns exec "$N" ping -c 2 -i 0.2 -W 1 70.42.47.71 >/dev/null 2>&1
for c in status flows stats why; do
	expect_rc "$c --json" 0 ns "$TA" $c --json
	printf '%s\n' "$OUT" >"$tmp/$c.jsonl"
	strict "$c --json" "$tmp/$c.jsonl"
done
expect_rc "detach" 0 ns "$TA" detach -i "$IF"

# probe: the policy path is in its output; the check stays in this namespace
ip -n "$N" addr add 70.42.47.70/32 dev lo
printf '70.42.47.70 media.lab.test ctl.lab.test\n' >"$tmp/hosts"
nsenter --net=/run/netns/$N python3 "$top/tests/lab_peer.py" serve 70.42.47.70 >/dev/null 2>&1 &
SERVER=$!
sleep 0.5
ns "$TA" probe --policy "$POL" --hosts "$tmp/hosts" --timeout 1 --udp-ports 50000 --json >"$tmp/probe.json" 2>"$tmp/probe.err"
kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null
python3 -c '
import json, sys
o = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))
assert o["policy"].endswith("p\"\\\x01\ufffd.policy"), o["policy"]
' "$tmp/probe.json" && ok "probe --json: strict JSON, hostile policy path intact" || bad "probe --json: $(head -c 300 "$tmp/probe.json" | cat -v) $(cat "$tmp/probe.err")"

# replay: capture and policy from hostile paths
CAP="$tmp/"$'c"\\\x01\xff.pcap'
python3 "$top/tests/gen_captures.py" "$tmp" >/dev/null 2>&1
first="$tmp/basic.pcap"
if [ -s "$first" ]; then
	cp "$first" "$CAP"
	expect_rc "replay --json --packets" 0 "$TA" replay --policy "$POL" --json --packets "$CAP"
	printf '%s\n' "$OUT" >"$tmp/replay.jsonl"
	python3 -c '
import json, sys
for l in open(sys.argv[1], "rb").read().split(b"\n"):
    if l.strip():
        json.loads(l.decode("utf-8"))
' "$tmp/replay.jsonl" && ok "replay --json: strict JSON" || bad "replay --json: $(head -c 300 "$tmp/replay.jsonl")"
else
	bad "no capture generated for replay"
fi
expect_rc "policy show --json" 0 "$TA" policy show --json "$POL"
python3 -c 'import json,sys; json.loads(sys.stdin.buffer.read().decode("utf-8"))' <<<"$OUT" && ok "policy show --json: strict JSON" || bad "policy show --json"
# no '\/' escapes anywhere, and numbers without float noise
absent "no '\\/' escapes" '\\/' cat "$tmp/run.jsonl" "$tmp/probe.json"
absent "times and durations without float noise" '[0-9]\.[0-9]{10,}' cat "$tmp/run.jsonl" "$tmp/probe.json" "$tmp/status.jsonl"
