#!/usr/bin/env bash
# serve --ipfix against real collectors, all inside the lab's namespaces:
#  - nfcapd/nfdump and pmacct's nfacctd at once (two collectors, UDP): every
#    flow and direction with the packets and bytes of 'flows --json'; pmacct
#    reads the verdict and rule elements (aggregate_primitives from
#    'tokaudit ipfix elements --format pmacct');
#  - tshark decodes the captured export (cflow) without a malformed packet;
#  - TCP: a collector down, then up: records after it comes up arrive (libfixbuf's
#    ipfixDump reads them, the enterprise elements named by the XML element
#    file), the ones before are counted as dropped;
#  - a fleet: 8 gateways with their own serve and observation domain export
#    to one nfcapd; the collector's totals per domain equal each one's stats.
set -u
. "$(dirname "$0")/lib.sh"
need_root "IPFIX tests (lab, collectors)" || exit 0
for c in nfcapd nfdump nfacctd tshark tcpdump ipfixDump curl; do
	command -v $c >/dev/null || { bad "$c missing: run scripts/deps.sh"; exit 0; }
done
PIDS=()
FLEET=
lab_cleanup_extra() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	# nfacctd's plugin processes, and anything else started in the lab
	for ns in $LAB_INET $LAB_GW ${FLEET:-}; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null; done
	for i in $(seq 8); do ip netns del "${LAB}f$i" 2>/dev/null; rm -rf "$TOKAUDIT_PIN_ROOT-gw$i"; done
	ip netns del "${LAB}hub" 2>/dev/null
	wait 2>/dev/null
}
lab_start ipx || exit 0
NFPORT=$((20000 + $$ % 10000)) PMPORT=$((NFPORT + 1)) TCPPORT=$((NFPORT + 2)) MPORT=$((NFPORT + 3))
COLL=198.18.0.2

# bg NAME CMD...: start CMD in the background (its PID kept for the cleanup)
bg() { "$@" & PIDS+=($!); LAST=$!; }
# stop PID: SIGTERM, then wait for it (5 s at most); $? is its exit status
stop() {
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1" 2>/dev/null
}
metric() { gw curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics" | awk -v m="$1" '$1 ~ "^"m"[{]" { print $2 }' | head -1; }
# per flow and direction, from 'flows --json': "SRC DST SPORT DPORT PROTO PACKETS BYTES" lines
flow_dirs() {
	python3 -c '
import json, sys
for l in sys.stdin:
    f = json.loads(l)
    if f["packets_out"]:
        print(f["local"], f["remote"], f["lport"], f["rport"], f["proto"], f["packets_out"], f["bytes_out"])
    if f["packets_in"]:
        print(f["remote"], f["local"], f["rport"], f["lport"], f["proto"], f["packets_in"], f["bytes_in"])
' | sort
}

# ---------- two UDP collectors: nfcapd and nfacctd ----------
mkdir -p "$tmp/nf"
bg ip netns exec "$LAB_INET" nfcapd -w "$tmp/nf" -p $NFPORT -b $COLL -t 3600
NFPID=$LAST
"$TA" ipfix elements --format pmacct > "$tmp/prim.lst"
cat > "$tmp/nfacctd.conf" <<EOF
daemonize: false
nfacctd_ip: $COLL
nfacctd_port: $PMPORT
aggregate_primitives: $tmp/prim.lst
aggregate: src_host, dst_host, src_port, dst_port, proto, taverdict, tarule
plugins: print
print_output: csv
print_output_file: $tmp/pm.csv
print_output_file_append: true
print_refresh_time: 1
EOF
bg ip netns exec "$LAB_INET" nfacctd -f "$tmp/nfacctd.conf"
PMPID=$LAST
bg ip netns exec "$LAB_INET" tcpdump -i i0 -w "$tmp/export.pcap" -U udp port $NFPORT
TDPID=$LAST
sleep 1
bg nsenter --net=/run/netns/$LAB_GW "$TA" serve -i gwout --interval 0.5 --keep-attached --metrics $MPORT \
	--ipfix $COLL:$NFPORT --ipfix $COLL:$PMPORT,udp --ipfix-domain 7 --ipfix-active-timeout 2
SPID=$LAST
for _ in $(seq 50); do [ -n "$(metric tokaudit_ipfix_connected)" ] && break; sleep 0.1; done
peer "$LAB_CLIENT" udp 70.42.47.70 50000 300 >/dev/null                         # media, both ways
peer "$LAB_CLIENT" tcp 212.118.226.40 443 >/dev/null                             # control
peer "$LAB_CLIENT" tcp 70.42.47.70 22 --timeout 1 >/dev/null                     # unexpected
peer "$LAB_INET" tcp 10.1.0.5 8443 --src 216.151.209.15 --sport 443 --timeout 1 >/dev/null  # unexpected, inbound
peer "$LAB_CLIENT" stream 72.5.167.140 6000 3 --pps 200 >/dev/null               # a long flow: active-timeout records
sleep 1
[ "$(metric tokaudit_ipfix_connected)" = 1 ] && ok "both collectors take records (connected 1)" || bad "not connected: $(gw curl -s http://127.0.0.1:$MPORT/metrics | grep ipfix)"
stop $SPID
[ $? = 0 ] && ok "serve stops cleanly, last records sent" || bad "serve exit status"
gw "$TA" flows --json > "$tmp/flows.jsonl"
gw "$TA" detach -i gwout >/dev/null
want=$(flow_dirs < "$tmp/flows.jsonl")
[ "$(wc -l <<<"$want")" -ge 9 ] && ok "the lab's flows: $(wc -l <<<"$want") flow directions" || bad "flows: $want"
sleep 2   # pmacct's refresh
stop $TDPID
kill -TERM $NFPID; wait $NFPID 2>/dev/null
kill -INT $PMPID; for _ in $(seq 30); do kill -0 $PMPID 2>/dev/null || break; sleep 0.2; done

# nfdump: sum the records per flow direction
got=$(nfdump -q -R "$tmp/nf" -o csv 2>/dev/null | python3 -c '
import csv, sys, collections
t = collections.Counter()
for r in csv.reader(sys.stdin):
    if len(r) < 15 or r[0] == "ts" or not r[3][0].isdigit():
        continue
    k = (r[3], r[4], r[5], r[6], r[7].lower())
    t[k + ("p",)] += int(r[11]); t[k + ("b",)] += int(r[12])
for k in sorted({k[:5] for k in t}):
    print(*k, t[k + ("p",)], t[k + ("b",)])
' | sort)
[ "$got" = "$want" ] && ok "nfdump: every flow direction with the packets and bytes of flows --json" \
	|| bad "nfdump differs: $(diff <(echo "$want") <(echo "$got") | head -10 | tr '\n' '|')"
n=$(nfdump -q -R "$tmp/nf" -o csv 2>/dev/null | grep -c '^2')
[ "$n" -gt "$(wc -l <<<"$want")" ] && ok "the long flow came in several active-timeout records ($n records for $(wc -l <<<"$want") directions)" \
	|| bad "no active-timeout records: $n"
# pmacct: the same, and the verdict and rule elements read
pm=$(python3 - "$tmp/pm.csv" <<'EOF'
import csv, sys, collections
t = collections.Counter(); v = {}
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    if r["SRC_IP"] == "SRC_IP":
        continue
    k = (r["SRC_IP"], r["DST_IP"], r["SRC_PORT"], r["DST_PORT"], r["PROTOCOL"])
    t[k + ("p",)] += int(r["PACKETS"]); t[k + ("b",)] += int(r["BYTES"])
    v[k] = (r["taverdict"], r["tarule"] or "-")
for k in sorted({k[:5] for k in t}):
    print(*k, t[k + ("p",)], t[k + ("b",)], *v[k])
EOF
)
[ "$(cut -d' ' -f1-7 <<<"$pm" | sort)" = "$want" ] && ok "pmacct nfacctd: the same packets and bytes per flow direction" \
	|| bad "pmacct differs: $(diff <(echo "$want") <(cut -d' ' -f1-7 <<<"$pm" | sort) | head -10 | tr '\n' '|')"
wantv=$(python3 -c '
import json, sys
for l in sys.stdin:
    f = json.loads(l)
    for d, (a, b, pa, pb) in (("out", ("local", "remote", "lport", "rport")), ("in", ("remote", "local", "rport", "lport"))):
        if f["packets_" + d]:
            print(f[a], f[b], f[pa], f[pb], f["proto"], f["verdict"], f["rule"] or "-")
' < "$tmp/flows.jsonl" | sort)
[ "$(cut -d' ' -f1-5,8,9 <<<"$pm" | sort)" = "$wantv" ] && grep -q " 50000 udp 300 [0-9]* allowed media$" <<<"$pm" && grep -q " 22 tcp [0-9]* [0-9]* unexpected -$" <<<"$pm" \
	&& ok "pmacct reads tokaudit's elements: each flow's verdict and rule as flows --json has them" \
	|| bad "pmacct elements: $(diff <(echo "$wantv") <(cut -d' ' -f1-5,8,9 <<<"$pm" | sort) | head -8 | tr '\n' '|')"
# tshark: the exported stream decodes, nothing malformed
dec=$(tshark -r "$tmp/export.pcap" -d udp.port==$NFPORT,cflow -V 2>&1)
nmsg=$(tshark -r "$tmp/export.pcap" -d udp.port==$NFPORT,cflow -Y cflow 2>/dev/null | wc -l)
[ "$nmsg" -gt 0 ] && ! grep -qiE "malformed|expert info \(error" <<<"$dec" \
	&& ok "tshark decodes $nmsg IPFIX messages, none malformed" || bad "tshark: $nmsg messages; $(grep -iE -m3 'malformed|error' <<<"$dec")"
grep -q "Observation Domain Id: 7" <<<"$dec" && ok "tshark: observation domain 7" || bad "tshark: no domain 7"
grep -q "Type: IP_SRC_ADDR (8)" <<<"$dec" && grep -q "Type: IPV6_SRC_ADDR (27)" <<<"$dec" \
	&& ok "tshark: the IPv4 and the IPv6 template" || bad "tshark templates: $(grep -m4 'Template Id' <<<"$dec")"

# ---------- TCP: the collector down, then up ----------
gw "$TA" ipfix elements --format xml > "$tmp/ta.xml"
bg nsenter --net=/run/netns/$LAB_GW "$TA" serve -i gwout --interval 0.5 --metrics $MPORT \
	--ipfix $COLL:$TCPPORT,tcp --ipfix-domain 9 --ipfix-active-timeout 1
SPID=$LAST
for _ in $(seq 50); do [ -n "$(metric tokaudit_ipfix_connected)" ] && break; sleep 0.1; done
peer "$LAB_CLIENT" udp 70.42.47.70 50000 50 >/dev/null     # while the collector is down
sleep 2.5
d=$(metric tokaudit_ipfix_records_dropped_total); e=$(metric tokaudit_ipfix_errors_total)
[ "${d:-0}" -ge 2 ] && [ "${e:-0}" -ge 1 ] && [ "$(metric tokaudit_ipfix_connected)" = 0 ] \
	&& ok "collector down: records dropped ($d) and errors ($e) counted, connected 0" || bad "down: dropped $d errors $e"
# the collector comes up: a TCP listener in the inet namespace keeping the stream
bg ip netns exec "$LAB_INET" python3 -c "$TCP_SINK_PY" $COLL $TCPPORT "$tmp/tcp.ipfix"
SINK=$LAST
for _ in $(seq 150); do [ "$(metric tokaudit_ipfix_connected)" = 1 ] && break; sleep 0.1; done
[ "$(metric tokaudit_ipfix_connected)" = 1 ] && ok "TCP: reconnected once the collector is up" || bad "no reconnect"
d0=$(metric tokaudit_ipfix_records_dropped_total)
u=$(peer "$LAB_CLIENT" udp 72.5.167.140 5000 40)
lp=$(jq_py 'r["lport"]' <<<"$u")
sleep 2
stop $SPID
wait $SINK 2>/dev/null
dump=$(ipfixDump -e "$tmp/ta.xml" -i "$tmp/tcp.ipfix" 2>&1); dump_rc=$?
rec=$(python3 -c '
import re, sys
text = sys.stdin.read()
recs = re.split(r"--- data record", text)[1:]
tot = {}
for r in recs:
    f = dict((m.group(1), re.sub(r"^\(len: \d+\) ", "", m.group(2).strip())) for m in re.finditer(r"\(\d+(?:/\d+)?\)\s+(\w+)\s*:\s*(.*)", r))
    if f.get("sourceTransportPort") == sys.argv[1] or f.get("destinationTransportPort") == sys.argv[1]:
        d = f["flowDirection"]
        tot[d] = tot.get(d, 0) + int(f["packetDeltaCount"])
        verdict, rule = f.get("taVerdict"), f.get("taRule")
print(tot.get("1", 0), tot.get("0", 0), verdict if tot else "", rule if tot else "")
' "$lp" <<<"$dump")
[ "$rec" = "40 40 allowed media" ] && ok "after it came up: the new flow's 40 + 40 packets arrive; ipfixDump names taVerdict and taRule" \
	|| bad "TCP records: '$rec'; $(head -c 600 <<<"$dump")"
absent_out "records from while it was down are not sent late: they were counted as dropped" \
	"(source|destination)TransportPort.*: 50000" "$dump_rc" "$dump" ipfixDump
[ "${d0:-0}" -ge "${d:-0}" ] && ok "dropped stays counted after the reconnect ($d0)" || bad "dropped $d0 < $d"

# a collector whose host never answers (SYNs dropped in the lab): stopping
# serve does not wait for TCP's connect timeout
ip -n "$LAB_GW" route add 203.0.113.9/32 via $COLL
bg nsenter --net=/run/netns/$LAB_GW "$TA" serve -i gwout --interval 0.5 --ipfix 203.0.113.9:4739,tcp
SPID=$LAST
sleep 1.5
t0=$(date +%s.%N)
stop $SPID; rc=$?
dt=$(python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$t0" "$(date +%s.%N)")
kill -0 $SPID 2>/dev/null && { sleep 5; kill -0 $SPID 2>/dev/null && bad "serve still running 10 s after SIGTERM (collector never answering)"; }
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 8 else 1)" "$dt" && [ "$rc" = 0 ] \
	&& ok "a collector that never answers: serve stops in $dt s, exit 0" || bad "stop took $dt s, exit $rc"

# ---------- the fleet: 8 gateways, one collector ----------
H=${LAB}hub
FLEET=$H
ip netns add "$H"
ip -n "$H" link set lo up
ip -n "$H" link add br0 type bridge
ip -n "$H" link set br0 up
ip -n "$H" addr add 10.9.0.1/24 dev br0
ip -n "$H" addr add 70.42.47.70/32 dev lo
for i in $(seq 8); do
	F=${LAB}f$i
	FLEET="$FLEET $F"
	ip netns add "$F"
	ip -n "$F" link set lo up
	ip -n "$H" link add h$i type veth peer name up0 netns "$F"
	ip -n "$H" link set h$i master br0 up
	ip netns exec "$H" ethtool -K h$i rx off tx off >/dev/null 2>&1
	ip netns exec "$F" ethtool -K up0 rx off tx off >/dev/null 2>&1
	ip -n "$F" addr add 10.9.0.$((10 + i))/24 dev up0
	ip -n "$F" link set up0 up
	ip -n "$F" route add 70.42.47.70/32 via 10.9.0.1
done
bg ip netns exec "$H" python3 "$top/tests/lab_peer.py" serve 70.42.47.70
mkdir -p "$tmp/fleet"
bg ip netns exec "$H" nfcapd -w "$tmp/fleet" -p $NFPORT -b 10.9.0.1 -t 3600 >"$tmp/fleet.log" 2>&1
FNF=$LAST
FS=()
for i in $(seq 8); do
	# each gateway its own machine: its own pins
	bg env TOKAUDIT_PIN_ROOT="$TOKAUDIT_PIN_ROOT-gw$i" nsenter --net=/run/netns/${LAB}f$i "$TA" serve -i up0 --interval 0.5 --keep-attached --metrics $((MPORT + i)) \
		--ipfix 10.9.0.1:$NFPORT --ipfix-domain $((100 + i)) >/dev/null 2>>"$tmp/fleet.err"
	FS+=($LAST)
done
fmetric() { nsenter --net=/run/netns/${LAB}f$1 curl -sf --max-time 5 "http://127.0.0.1:$((MPORT + $1))/metrics" | awk -v m="$2" '$1 ~ "^"m"[{]" { print $2 }' | head -1; }
for i in $(seq 8); do
	for _ in $(seq 300); do [ "$(fmetric $i tokaudit_ipfix_connected)" = 1 ] && break; sleep 0.1; done
done
for i in $(seq 8); do
	peer "${LAB}f$i" udp 70.42.47.70 50000 $((10 * i)) >/dev/null &   # 10*i each way: media
	[ $((i % 2)) = 1 ] && peer "${LAB}f$i" tcp 70.42.47.70 22 --timeout 1 >/dev/null &   # unexpected: odd gateways only
done
wait_peers() { for _ in $(seq 50); do pgrep -f "lab_peer.py (udp|tcp) 70.42.47.70" >/dev/null || return 0; sleep 0.1; done; }
wait_peers
sleep 1
for p in "${FS[@]}"; do stop "$p"; done
for i in $(seq 8); do
	TOKAUDIT_PIN_ROOT="$TOKAUDIT_PIN_ROOT-gw$i" nsenter --net=/run/netns/${LAB}f$i "$TA" stats --json > "$tmp/stats$i.json"
	TOKAUDIT_PIN_ROOT="$TOKAUDIT_PIN_ROOT-gw$i" nsenter --net=/run/netns/${LAB}f$i "$TA" detach -i up0 >/dev/null
done
kill -TERM $FNF; wait $FNF 2>/dev/null
declare -A dom
# nfcapd names each exporter (address, domain) with a SysID, the CSV's exid
while read -r sys od; do dom[$sys]=$od; done < <(sed -n 's/.*New ipfix exporter: SysID: \([0-9]*\), Observation domain \([0-9]*\) from.*/\1 \2/p' "$tmp/fleet.log")
tot=$(nfdump -q -R "$tmp/fleet" -o csv 2>/dev/null | awk -F, '$1 ~ /^2/ { p[$47] += $12; b[$47] += $13 } END { for (k in p) print k, p[k], b[k] }')
good=0
for i in $(seq 8); do
	want=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); v=r["verdicts"]; print(v["allowed"]["packets"]+v["unexpected"]["packets"], v["allowed"]["bytes"]+v["unexpected"]["bytes"])' "$tmp/stats$i.json")
	sys=""
	for s in "${!dom[@]}"; do [ "${dom[$s]}" = $((100 + i)) ] && sys=$s; done
	got=$(awk -v s="$sys" '$1 == s { print $2, $3 }' <<<"$tot")
	if [ -n "$sys" ] && [ "$got" = "$want" ] && [ "${want%% *}" -gt 0 ]; then good=$((good + 1)); else bad "gateway $i (domain $((100 + i)), exporter '$sys'): collector $got, stats $want"; fi
done
# README's worked query: which gateways saw unexpected traffic to OpenTok addresses
filter=$("$TA" policy show --nfdump-filter)
nfdump -Z "$filter" >/dev/null 2>&1 && ok "policy show --nfdump-filter: nfdump accepts the filter" || bad "nfdump rejects: $(nfdump -Z "$filter" 2>&1 | head -2)"
which=$(nfdump -q -R "$tmp/fleet" -o 'fmt:%ra' "$filter" 2>&1 | tr -d ' ' | sort -u | tr '\n' ' ')
[ "$which" = "10.9.0.11 10.9.0.13 10.9.0.15 10.9.0.17 " ] && ok "the worked nfdump query names the gateways with unexpected traffic: $which" \
	|| bad "nfdump query: '$which' (want the odd gateways 10.9.0.11 10.9.0.13 10.9.0.15 10.9.0.17)"
[ $good = 8 ] && ok "fleet: 8 gateways, each domain's packets and bytes at nfcapd equal its stats" || bad "fleet: $good of 8 match; exporters: $(grep -i exporter "$tmp/fleet.log" | tr '\n' '|')"
