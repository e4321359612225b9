#!/usr/bin/env bash
# make bench (root): every benchmark in one go, on this machine.
# Writes build/bench/results.json (one object per line) and results.md.
# Throughput runs in two network namespaces joined by a veth pair made here
# and removed on every exit path; nothing else is touched.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
B=$top/build/bench
TA=$top/build/tokaudit
TB=$B/ta_bench
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root" >&2; exit 1; }
mkdir -p "$B"
J=$B/results.json
: > "$J"
N=tb$$
GEN=$N-gen SINK=$N-sink
export TOKAUDIT_PIN_ROOT=/sys/fs/bpf/tokaudit-bench$$
cleanup() {
	pkill -KILL -f "trafgen --dev v0 --conf $B/trafgen.cfg" 2>/dev/null
	[ -d "$TOKAUDIT_PIN_ROOT" ] && nsenter --net=/run/netns/$SINK "$TA" detach -i v1 >/dev/null 2>&1
	nsenter --net=/run/netns/$SINK xdp-filter unload v1 >/dev/null 2>&1
	ip netns del $GEN 2>/dev/null; ip netns del $SINK 2>/dev/null; ip netns del $N-far 2>/dev/null
	rm -rf "$TOKAUDIT_PIN_ROOT" "$B/replay1m.pcap" "$B/trafgen.cfg" "$B/trafgen-flows.cfg" "$B"/progs[01].json "$B/rounds" "$B/perf.data" "$B/perf.data.old" "${made[@]}"
	sysctl -qw kernel.bpf_stats_enabled=$stats0
}
stats0=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
trap cleanup EXIT INT TERM
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
# iproute2 and libxdp leave directories in bpffs: remove the ones we cause
made=()
for d in /sys/fs/bpf/ip /sys/fs/bpf/tc /sys/fs/bpf/xdp; do [ -e "$d" ] || made+=("$d"); done
say() { echo "bench: $*" >&2; }

# ---- 1. per-packet cost (BPF_PROG_TEST_RUN), with xdp-filter beside it ----
ip netns add $GEN; ip netns add $SINK
ip -n $GEN link add v0 type veth peer name v1 netns $SINK
ip -n $GEN addr add 10.1.0.5/24 dev v0; ip -n $SINK addr add 10.1.0.1/24 dev v1
ip -n $GEN link set v0 up; ip -n $SINK link set v1 up; ip -n $GEN link set lo up; ip -n $SINK link set lo up
for ns in $GEN $SINK; do ip netns exec $ns ethtool -K $([ $ns = $GEN ] && echo v0 || echo v1) rx off tx off rxvlan off txvlan off >/dev/null 2>&1; done
# the sink forwards what it receives to a third namespace, as a gateway
# would: packets are passed on, not dropped in the audited namespace
FAR=$N-far
ip netns add $FAR
ip -n $SINK link add v2 type veth peer name v3 netns $FAR
ip -n $SINK addr add 10.2.0.1/24 dev v2; ip -n $FAR addr add 10.2.0.2/24 dev v3
ip -n $SINK link set v2 up; ip -n $FAR link set v3 up; ip -n $FAR link set lo up
ip netns exec $SINK sysctl -qw net.ipv4.ip_forward=1
ip -n $SINK route add 70.42.47.0/24 via 10.2.0.2; ip -n $SINK route add 192.0.2.0/24 via 10.2.0.2
sink() { nsenter --net=/run/netns/$SINK "$@"; }
. "$top/tests/bench/xdp-id.sh"

say "xdp-filter with the policy's addresses and ports"
python3 - <<'PY' > "$B/xf.list"
import ipaddress
for n in ("70.42.47.64/26", "72.5.167.128/26", "212.118.226.32/27", "216.151.209.20/32", "216.151.209.15/32"):
    for a in ipaddress.ip_network(n):
        print(a)
PY
# xdp-filter on v1, holding those addresses and the policy's ports (section 2 puts it on again)
xf_on() {
	sink xdp-filter load v1 -m native -p allow >/dev/null 2>&1 || return 1
	while read -r a; do sink xdp-filter ip --mode src "$a" >/dev/null 2>&1; done < "$B/xf.list"
	for p in 80 443 3478 5560 1025 50000 65535; do sink xdp-filter port --mode src "$p" >/dev/null 2>&1; done
}
xf_id=
xf_on && xf_id=$(sink ip -d link show dev v1 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -1)
say "per-packet cost"
if [ -n "$xf_id" ]; then
	"$TB" perpkt --prog-id "$xf_id" --name xdp-filter >> "$J"
else
	say "xdp-filter did not load here: measured without it"
	"$TB" perpkt >> "$J"
fi
sink xdp-filter unload v1 >/dev/null 2>&1

# ---- 1b. the designs tried against the per-packet rows still missed ----
say "per-packet designs (tests/bench/designs.sh: a worktree each)"
bash "$top/tests/bench/designs.sh" 3 2>"$B/designs.err" | grep '^{' >> "$J" ||
	say "designs.sh failed: its rows are missing (see $B/designs.err)"

# ---- 2. throughput on the veth pair (trafgen), half policy traffic ----
# The receiving interface faces the protected network (--side inside): the
# packets from 10.1.0.5 go out, so the half to 70.42.47.70 is media traffic.
mac=$(sink cat /sys/class/net/v1/address 2>/dev/null || ip -n $SINK -j link show v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
cat > "$B/trafgen.cfg" <<EOF
{ eth(da=$mac, sa=02:00:00:00:00:05), ipv4(saddr=10.1.0.5, daddr=70.42.47.70, ttl=64), udp(sport=40000, dport=50000), fill(0x41, 18) }
{ eth(da=$mac, sa=02:00:00:00:00:05), ipv4(saddr=10.1.0.5, daddr=192.0.2.10, ttl=64), udp(sport=40001, dport=5000), fill(0x42, 18) }
EOF
rx() { ip -n $SINK -s -j link show v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
# trafgen's worker processes stop on SIGINT, like on Ctrl-C
tg_stop() {
	pkill -INT -f "trafgen --dev v0 --conf $B/trafgen.cfg" 2>/dev/null; sleep 0.3
	pkill -KILL -f "trafgen --dev v0 --conf $B/trafgen.cfg" 2>/dev/null
}
pps_once() { # seconds
	ip netns exec $GEN trafgen --dev v0 --conf "$B/trafgen.cfg" --cpus 1 >/dev/null 2>&1 &
	local tg=$!
	sleep 1
	local a; a=$(rx); sleep "$1"; local b; b=$(rx)
	tg_stop
	wait $tg 2>/dev/null
	echo $(( (b - a) / $1 ))
}
# Each configuration as it goes on v1 and comes off
nft_on() {
	sink nft -f - <<'EOF'
table inet tabench {
	set blocks { type ipv4_addr; flags interval; elements = { 70.42.47.64/26, 72.5.167.128/26, 212.118.226.32/27, 216.151.209.15, 216.151.209.20 } }
	chain pre {
		type filter hook prerouting priority 0; policy accept;
		ip daddr @blocks udp dport 1025-65535 counter
		ip daddr @blocks tcp dport { 80, 443, 3478, 5560 } counter
		ip daddr @blocks counter
	}
}
EOF
}
on() { # config
	case $1 in
	none) ;;
	# the empty program twice: how far two runs of the same differ
	empty_xdp | empty_xdp_again) sink ip link set dev v1 xdpdrv obj "$top/build/empty.bpf.o" sec xdp 2>/dev/null ;;
	tokaudit_audit) sink "$TA" attach -i v1 --side inside >/dev/null ;;
	# drop forensics off (its pinned link removed): what the kfree_skb tracer
	# costs when every packet forwarded is dropped further on
	tokaudit_audit_no_drop_tracing) sink "$TA" attach -i v1 --side inside >/dev/null &&
		rm -f "$TOKAUDIT_PIN_ROOT/v1/drop_link" ;;
	tokaudit_enforce) sink "$TA" attach -i v1 --side inside --enforce >/dev/null ;;
	xdp-filter) xf_on ;;
	nftables_counters) nft_on ;;
	esac
}
off() { # config
	case $1 in
	empty_xdp | empty_xdp_again) sink ip link set dev v1 xdpdrv off ;;
	tokaudit_*) sink "$TA" detach -i v1 >/dev/null ;;
	xdp-filter) sink xdp-filter unload v1 >/dev/null 2>&1 ;;
	nftables_counters) sink nft delete table inet tabench ;;
	esac
}
# Rounds of 2 s, the configurations in turn within each round (each round
# starting one further along), so that a slow drift of the machine's speed
# falls on all of them alike; each is compared with the empty program of
# its own round.
rounds() { # N CONFIG...
	local n=$1 r i c v
	shift
	local cs=("$@") nc=$#
	: > "$B/rounds"
	pps_once 1 > /dev/null # a warm-up, not counted: the first run reads low
	for ((r = 0; r < n; r++)); do
		for ((i = 0; i < nc; i++)); do
			c=${cs[$(((i + r) % nc))]}
			on "$c" || { say "throughput $c: did not attach here"; continue; }
			# nothing received: the generator did not start; once more
			v=$(pps_once 2)
			[ "$v" -gt 0 ] || v=$(pps_once 2)
			if [ "$v" -gt 0 ]; then echo "$r $c $v" >> "$B/rounds"; else say "throughput $c: round $r received nothing"; fi
			off "$c"
		done
	done
	python3 - "$B/rounds" >> "$J" <<'PY'
import json, statistics, sys
runs = {}
for l in open(sys.argv[1]):
    r, c, v = l.split()
    runs.setdefault(c, {})[int(r)] = int(v)
base = runs.get("empty_xdp", {})
for c, v in runs.items():
    pps = sorted(v.values())
    row = {"bench": "throughput", "config": c, "pps": statistics.median(pps), "min": pps[0], "max": pps[-1],
           "trials": len(pps)}
    ratio = sorted(v[r] / base[r] for r in v if base.get(r))
    if ratio:
        row.update(ratio=round(statistics.median(ratio), 4), ratio_min=round(ratio[0], 4),
                   ratio_max=round(ratio[-1], 4))
    print(json.dumps(row))
PY
	grep '"bench": "throughput"' "$J" | sed 's/^/bench: /' >&2
}
# Where the time goes on the wire, program by program: the kernel times each
# run (kernel.bpf_stats_enabled, 3 s of the same traffic) and counts runs;
# timing adds its own cost to each run, which the empty program's row shows.
progstats() { # CONFIG PROGRAM-NAME...
	local config=$1 tg
	shift
	sysctl -qw kernel.bpf_stats_enabled=1
	ip netns exec $GEN trafgen --dev v0 --conf "$B/trafgen.cfg" --cpus 1 >/dev/null 2>&1 &
	tg=$!
	sleep 1
	bpftool -j prog show > "$B/progs0.json"; sleep 3; bpftool -j prog show > "$B/progs1.json"
	sysctl -qw kernel.bpf_stats_enabled=$stats0
	tg_stop
	wait $tg 2>/dev/null
	python3 - "$B/progs0.json" "$B/progs1.json" "$config" "$@" >> "$J" <<'PY'
import json, sys
a, b = ({p["id"]: p for p in json.load(open(f))} for f in sys.argv[1:3])
progs = {}
for i, p in b.items():
    if p.get("name") in sys.argv[4:] and i in a:
        runs = p.get("run_cnt", 0) - a[i].get("run_cnt", 0)
        ns = p.get("run_time_ns", 0) - a[i].get("run_time_ns", 0)
        if runs > 0:
            progs[p["name"]] = {"ns_per_run": round(ns / runs), "runs_per_s": round(runs / 3)}
print(json.dumps({"bench": "progstats", "config": sys.argv[3], "progs": progs}))
PY
}
# The share of the receiving CPU that BPF code takes, by profile (perf's
# cpu-clock samples over 3 s of the same traffic: no counters needed, and a
# share measured on one run, which the rounds' noise does not blur): the
# programs, their dispatch and the maps' and helpers' kernel code.
cpushare() { # CONFIG
	local tg
	command -v perf >/dev/null || { say "cpushare $1: no perf here (linux-perf): row left out"; return 0; }
	ip netns exec $GEN trafgen --dev v0 --conf "$B/trafgen.cfg" --cpus 1 >/dev/null 2>&1 &
	tg=$!
	sleep 1
	perf record -q -a -o "$B/perf.data" -- sleep 3 >/dev/null 2>&1
	tg_stop
	wait $tg 2>/dev/null
	perf script -i "$B/perf.data" -F cpu,ip,sym 2>/dev/null | python3 -c '
import collections, json, re, sys
bpf = re.compile(r"^(?!bpf_lsm_)(bpf_|__bpf_|htab_|__htab_|trie_|pcpu_freelist|__pcpu_freelist|jhash)")
idle = re.compile(r"(idle|halt|cpuidle|mwait)", re.I)
cpus = collections.defaultdict(collections.Counter)
for l in sys.stdin:
    m = re.match(r"\s*\[(\d+)\]\s+[0-9a-f]+\s+(\S+)", l)
    if m:
        cpus[int(m.group(1))][m.group(2)] += 1
# the receiving CPU: the one with the most samples out of the idle loop
busy = {c: sum(n for s, n in v.items() if not idle.search(s)) for c, v in cpus.items()}
if not busy:
    sys.exit(1)
c = max(busy, key=busy.get)
tot = sum(cpus[c].values())
share = sum(n for s, n in cpus[c].items() if bpf.match(s))
top = sorted(((n, s) for s, n in cpus[c].items() if bpf.match(s)), reverse=True)[:6]
print(json.dumps({"bench": "cpushare", "config": sys.argv[1], "cpu": c, "samples": tot,
                  "busy_share": round(busy[c] / tot, 4), "bpf_share": round(share / tot, 4),
                  "top": [{"sym": re.sub(r"^bpf_prog_[0-9a-f]+_", "bpf_prog_", s), "share": round(n / tot, 4)} for n, s in top]}))
' "$1" >> "$J" || say "cpushare $1: perf gave no samples"
	rm -f "$B/perf.data" "$B/perf.data.old"
}
rounds 6 none empty_xdp empty_xdp_again tokaudit_audit tokaudit_audit_no_drop_tracing tokaudit_enforce xdp-filter nftables_counters
on empty_xdp && { progstats empty_xdp empty_xdp; off empty_xdp; }
on tokaudit_audit && { progstats tokaudit_audit tokaudit_xdp tokaudit_kfree_skb; off tokaudit_audit; }
on xdp-filter && { progstats xdp-filter xdp_dispatcher xdpfilt_alw_all; off xdp-filter; }
for c in empty_xdp tokaudit_audit tokaudit_audit_no_drop_tracing xdp-filter; do on $c && { cpushare $c; off $c; }; done

# ---- 3. events and flows ----
say "flow table at 1M entries"
"$TB" newflow 1048576 >> "$J"
say "a read that misses every cache, over the flow table's size"
"$TB" memlat 136 >> "$J"
say "tokaudit run's resident memory with 1M flows"
# nsenter execs tokaudit: $! is its PID (a shell function would put a subshell between)
nsenter --net=/run/netns/$SINK "$TA" run -i v1 --side inside --flows 1048576 --json --interval 1 --duration 60 > "$B/rss.jsonl" 2>"$B/rss.err" &
runpid=$!
# before the first packet: attached, and done setting up
[ -n "$(xdp_id v1)" ] || say "run did not attach within 30 s: its memory row is wrong (see $B/rss.err)"
rss0=$(settled_rss $runpid)
cat > "$B/trafgen-flows.cfg" <<EOF
{ eth(da=$mac, sa=02:00:00:00:00:05), ipv4(saddr=10.1.0.5, daddr=70.42.47.70, ttl=64), udp(sport=drnd(1024, 65535), dport=drnd(1025, 1056)), fill(0x41, 18) }
EOF
ip netns exec $GEN trafgen --dev v0 --conf "$B/trafgen-flows.cfg" --cpus 1 -n 3000000 >/dev/null 2>&1
sleep 3
rss=$(awk '/VmRSS/ {print $2}' /proc/$runpid/status 2>/dev/null)
kill -TERM $runpid 2>/dev/null; wait $runpid 2>/dev/null
read -r flows peak < <(grep '"event":"report"' "$B/rss.jsonl" | python3 -c 'import json,sys; r = json.loads(sys.stdin.read()); print(r["counters"]["flows_created"], r["flows_tracked_peak"])' 2>/dev/null)
echo "{\"bench\": \"rss\", \"flow_table\": 1048576, \"packets\": 3000000, \"flows\": ${flows:-0}, \"tracked_peak\": ${peak:-null}, \"vmrss_kib\": ${rss:-0}, \"vmrss_before_kib\": ${rss0:-0}}" >> "$J"
say "the userspace flow tracker alone, 1M IPv4 flows"
"$TB" tracker 1048576 >> "$J"
rm -f "$B/rss.jsonl"
say "events drained by a bare reader while two threads create flows"
"$TB" events 3 2 >> "$J"
say "events drained by tokaudit serve (JSON flow events), offered rate stepped"
# (its metrics on the sink's own loopback: the most flows it has tracked at
# once, read after each step)
nsenter --net=/run/netns/$SINK "$TA" serve -i v1 --side inside --flows 1048576 --interval 1 \
	--metrics 127.0.0.1:9479 >/dev/null 2>"$B/serve-ev.err" &
evpid=$!
evid=$(xdp_id v1)
[ -n "$evid" ] || say "serve did not attach within 30 s: its events rows are missing (see $B/serve-ev.err)"
rss0=$(settled_rss $evpid)
peak() { sink curl -s --max-time 1 http://127.0.0.1:9479/metrics | sed -n 's/^tokaudit_flows_tracked_peak{.*} //p'; }
round=0
for rate in 25000 50000 100000 200000 300000 400000 0; do
	round=$((round + 1))
	t0=$(awk '{print $14 + $15}' /proc/$evpid/stat 2>/dev/null)
	line=$(sink "$TB" evgen "$evid" $rate 3 2 $round)
	sleep 2 # the reader catches up before the next step
	t1=$(awk '{print $14 + $15}' /proc/$evpid/stat 2>/dev/null)
	# serve's CPU time over the step and its catch-up
	[ -n "$line" ] && echo "${line%\}},\"reader\":\"serve\",\"serve_cpu_s\":$(python3 -c "print(round((${t1:-0} - ${t0:-0}) / $(getconf CLK_TCK), 3))"),\"tracked_most\":$(peak | grep -E '^[0-9]+$' || echo null)}" >> "$J"
done
# its memory through those floods, against the README's bound, as serve-memory.sh's rows
hwm=$(awk '/VmHWM/ {print $2}' /proc/$evpid/status 2>/dev/null)
[ -n "$hwm" ] && echo "{\"bench\": \"serve_memory\", \"flows\": 1048576, \"source\": \"the events steps\", \"vmrss_before_kib\": ${rss0:-0}, \"vmhwm_kib\": $hwm, \"bound_kib\": $((80 * 1024 + 1048576 * 128 / 1024)), \"tracked_peak\": $(peak | grep -E '^[0-9]+$' || echo null)}" >> "$J"
kill -TERM $evpid 2>/dev/null; wait $evpid 2>/dev/null

say "serve's peak memory under a flood of new flows, per table size"
bash "$top/tests/bench/serve-memory.sh" "$TA" 2>"$B/serve-memory.err" | grep '^{' >> "$J" ||
	say "serve-memory.sh failed: its rows are missing (see $B/serve-memory.err)"

say "serve held past the 1 M table: 150 000 new flows/s for 20 s"
bash "$top/tests/bench/serve-cpu.sh" "$TA" 1048576 150000 20 2>"$B/serve-cpu.err" | grep '^{' >> "$J" ||
	say "serve-cpu.sh failed: its row is missing (see $B/serve-cpu.err)"

# ---- 4. policy scale ----
say "policy scale"
"$TB" scale >> "$J"

# ---- 4b. server names: DNS answers that teach, paths with 100 000 learned ----
say "server names learned from DNS"
"$TB" learn >> "$J"

# ---- 5. replay speed: 1M frames, beside tshark ----
say "replay of 1M frames"
python3 - "$B/replay1m.pcap" <<'PY'
import struct, sys
f = open(sys.argv[1], "wb")
f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
def frame(dst, sport, dport):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28 + 18, 1, 0, 64, 17, 0, bytes([10, 1, 0, 5]), bytes(dst))
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + struct.pack("!HHHH", sport, dport, 26, 0) + b"x" * 18
frames = [frame([70, 42, 47, 70], 40000 + i, 50000) for i in range(500)] + [frame([192, 0, 2, 10], 40000 + i, 5000) for i in range(500)]
rec = [struct.pack("<IIII", 1700000000, 0, len(x), len(x)) + x for x in frames]
for i in range(1000):
    f.write(b"".join(rec))
PY
t0=$(date +%s.%N); "$TA" replay --json "$B/replay1m.pcap" > "$B/replay.out"; t1=$(date +%s.%N)
t2=$(date +%s.%N); tshark -r "$B/replay1m.pcap" -Y 'ip.dst == 70.42.47.64/26 && udp.dstport >= 1025' 2>/dev/null | wc -l > "$B/tshark.out"; t3=$(date +%s.%N)
python3 - "$t0" "$t1" "$t2" "$t3" "$B/replay.out" "$B/tshark.out" >> "$J" <<'PY'
import json, sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
s = [json.loads(l) for l in open(sys.argv[5]) if '"summary"' in l][0]
m = int(open(sys.argv[6]).read())
print(json.dumps({"bench": "replay", "frames": s["frames"], "seconds": round(t1 - t0, 3), "frames_per_s": round(s["frames"] / (t1 - t0)),
                  "allowed": s["verdicts"]["allowed"]["packets"], "tshark_seconds": round(t3 - t2, 3),
                  "tshark_frames_per_s": round(s["frames"] / (t3 - t2)), "tshark_matches": m}))
PY

# ---- 6. IPFIX export: records per second, and serve's CPU at 10 000 new flows/s ----
IPD=$B/ipfix.nfcapd
nfstart() { rm -rf "$IPD"; mkdir -p "$IPD"; ip netns exec $SINK nfcapd -w "$IPD" -p 4739 -b 127.0.0.1 -t 3600 -B 8388608 >/dev/null 2>&1 & nfpid=$!; sleep 0.5; }
# (not in $(...): a subshell cannot wait for nfcapd to write its file)
nfstop() { kill -TERM $nfpid 2>/dev/null; wait $nfpid 2>/dev/null; }
nfcount() { nfdump -R "$IPD" -q -o csv 2>/dev/null | grep -c '^2'; }
for rate in 0 200000; do
	say "IPFIX export, 1M records, rate ${rate/#0/unpaced}"
	nfstart
	line=$(ip netns exec $SINK "$TB" ipfix 127.0.0.1:4739 1000000 $rate)
	sleep 1
	nfstop
	echo "${line%\}}, \"collector_received\": $(nfcount)}" >> "$J"
done
say "serve's CPU at 10 000 new flows/s, exporting IPFIX"
nfstart
nsenter --net=/run/netns/$SINK "$TA" serve -i v1 --side inside --interval 1 --flows 1048576 \
	--ipfix 127.0.0.1:4739 --ipfix-active-timeout 1 --ipfix-domain 1 >/dev/null 2>"$B/serve-ipfix.err" &
spid=$!
for _ in $(seq 100); do [ -d "$TOKAUDIT_PIN_ROOT/v1" ] && break; sleep 0.1; done
sleep 2
ip netns exec $GEN trafgen --dev v0 --conf "$B/trafgen-flows.cfg" --cpus 1 -t 100us -n 200000 >/dev/null 2>&1 &
tg=$!
sleep 4
ticks0=$(awk '{print $14 + $15}' /proc/$spid/stat); t0=$(date +%s.%N)
sleep 10
ticks1=$(awk '{print $14 + $15}' /proc/$spid/stat); t1=$(date +%s.%N)
wait $tg
sleep 3
kill -TERM $spid; wait $spid
nfstop
got=$(nfcount)
python3 -c 'import json,sys; t0,t1,k0,k1,hz,got=map(float,sys.argv[1:]); print(json.dumps({"bench": "ipfix_serve_cpu", "flows_per_s": 10000, "seconds": round(t1-t0,1), "cpu_share": round((k1-k0)/hz/(t1-t0), 4), "collector_records": int(got)}))' \
	"$t0" "$t1" "$ticks0" "$ticks1" "$(getconf CLK_TCK)" "$got" >> "$J"
rm -rf "$IPD"

python3 "$top/tests/bench/report.py" "$J" > "$B/results.md"
cat "$B/results.md"
