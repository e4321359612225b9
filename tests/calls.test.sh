#!/usr/bin/env bash
# Calls (issue 31), with real WebRTC: aiortc peers (ICE, DTLS-SRTP, RTP and
# RTCP, audio and video) in the lab's client and inet namespaces, coturn as
# the TURN server at an OpenTok address (UDP and TCP 3478, TLS 443), the
# gateway's nft forward chain blocking what each case blocks, and tokaudit
# run on the gateway's outside interface.  Per case, run's report must name
# the call's path (and the client's ICE pair must agree); with UDP blocked,
# the finding must say UDP was tried and given up for TURN over TLS 443.
# A lossy inbound path (an nft numgen drop in the inet namespace, counted):
# the loss tokaudit counts must match the drop counter, the receiving peer's
# getStats and tshark's rtp,streams on a capture of the same packets.
# Every capture replayed must give the same paths, findings and loss.
set -u
. "$(dirname "$0")/lib.sh"
need_root "calls (network namespaces, BPF)" || exit 0
for c in turnserver tshark dumpcap /usr/bin/python3; do
	command -v "$c" >/dev/null || { bad "calls: $c missing (scripts/deps.sh installs it)"; exit 0; }
done
/usr/bin/python3 -c 'import aiortc' 2>/dev/null || { bad "calls: python3-aiortc missing (scripts/deps.sh installs it)"; exit 0; }
lab_cleanup_extra() {
	for p in ${cap_pid:-} ${serve_pid:-} ${scrape_pid:-}; do kill "$p" 2>/dev/null; done
	[ -n "${turn_pid:-}" ] && kill "$turn_pid" 2>/dev/null
	wait 2>/dev/null
}
lab_start calls || exit 0
# the lab's own servers hold the policy's ports: the peers and coturn use them here
for p in $(ip netns pids "$LAB_INET"); do kill "$p" 2>/dev/null; done
sleep 0.2
PEER=212.118.226.40 TURN=72.5.167.140 CLIENT=10.1.0.5 SIG=5560
CALL=${CALLS_SECONDS:-6}

# coturn at an OpenTok address: UDP and TCP 3478, TLS 443 (a certificate for
# its address), long-term credentials ta/ta
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/turn.key" -out "$tmp/turn.crt" -days 2 \
	-subj "/CN=$TURN" -addext "subjectAltName=IP:$TURN" >/dev/null 2>&1
cat >"$tmp/turn.conf" <<EOF
listening-ip=$TURN
relay-ip=$TURN
listening-port=3478
tls-listening-port=443
cert=$tmp/turn.crt
pkey=$tmp/turn.key
lt-cred-mech
user=ta:ta
realm=lab
userdb=$tmp/turndb
no-cli
no-dtls
no-multicast-peers
min-port=49152
max-port=49999
log-file=$tmp/turn.log
simple-log
EOF
ip netns exec "$LAB_INET" turnserver -c "$tmp/turn.conf" --pidfile "$tmp/turn.pid" >/dev/null 2>&1 &
turn_pid=$!
sleep 0.5

# block NFT: the gateway's forward chain for a case ("" blocks nothing)
block() {
	ip netns exec "$LAB_GW" nft delete table inet calls 2>/dev/null
	[ -z "$1" ] && return 0
	printf 'table inet calls {\n\tchain f {\n\t\ttype filter hook forward priority 0;\n\t\t%s\n\t}\n}\n' "$1" |
		ip netns exec "$LAB_GW" nft -f -
}

# call NAME RUN_SECONDS OFFER_ARGS...: one call through the gateway, with
# tokaudit run on the outside interface (its JSON report in
# $tmp/NAME.jsonl) and a capture of the inside one ($tmp/NAME.pcap: what the
# client sent, before the gateway's forward chain); the peers' stats in NAME.off.json and
# NAME.ans.json
call() {
	local name=$1 secs=$2 run_pid
	shift 2
	gw "$TA" run -i gwout --json --duration "$secs" >"$tmp/$name.jsonl" 2>"$tmp/$name.err" &
	run_pid=$!
	ip netns exec "$LAB_GW" dumpcap -q -i gwin -w "$tmp/$name.pcap" >/dev/null 2>&1 &
	cap_pid=$!
	wait_started "$tmp/$name.jsonl"
	sleep 0.5 # (dumpcap, started beside it)
	ip netns exec "$LAB_INET" /usr/bin/python3 "$top/tests/webrtc_call.py" answer $PEER $SIG "$CALL" \
		"$tmp/$name.ans.json" >"$tmp/$name.ans.log" 2>&1 &
	sleep 0.5
	ip netns exec "$LAB_CLIENT" env SSL_CERT_FILE="$tmp/turn.crt" /usr/bin/python3 "$top/tests/webrtc_call.py" \
		offer $CLIENT $PEER $SIG "$CALL" "$tmp/$name.off.json" "$@" >"$tmp/$name.off.log" 2>&1
	wait "$run_pid"
	kill -INT "$cap_pid" 2>/dev/null
	wait "$cap_pid" 2>/dev/null
	cap_pid=
}

# check NAME PATH: the report's call for the client takes PATH, the peers
# connected over the pair PATH means, and replaying the capture says the same
check() {
	python3 - "$tmp" "$1" "$2" "$CLIENT" <<'PY'
import json, sys
d, name, path, client = sys.argv[1:]
rep = [json.loads(l) for l in open(f"{d}/{name}.jsonl") if '"report"' in l]
if not rep:
    sys.exit(f"{name}: no report: " + open(f"{d}/{name}.err").read()[-300:])
calls = {c["client"]: c for c in rep[-1]["calls"]}
off = json.load(open(f"{d}/{name}.off.json"))
if off["state"] != "connected":
    sys.exit(f"{name}: the call did not connect: {off}")
pair_relay = off["pair"]["local"][2] == "relay"
if pair_relay != (path != "direct-udp"):
    sys.exit(f"{name}: the client's ICE pair {off['pair']} is not a {path} call")
c = calls.get(client)
if not c or c["path"] != path:
    sys.exit(f"{name}: tokaudit says {c and c['path']}, want {path}: {calls}")
json.dump(c, open(f"{d}/{name}.call.json", "w"))
print(json.dumps(c))
PY
}

# replayed NAME PATH [FINDING]: the capture replayed gives the same path,
# and a finding that says FINDING
replayed() {
	"$TA" replay --local 10.1.0.0/24 --json "$tmp/$1.pcap" >"$tmp/$1.replay.jsonl" 2>"$tmp/$1.replay.err"
	python3 - "$tmp/$1.replay.jsonl" "$2" "${3:-}" "$CLIENT" <<'PY'
import json, sys
f, path, finding, client = sys.argv[1:]
lines = [json.loads(l) for l in open(f)]
summ = [l for l in lines if l.get("type") == "summary"]
calls = {c["client"]: c for c in summ[-1]["calls"]} if summ else {}
c = calls.get(client)
if not c or c["path"] != path:
    sys.exit(f"replay: {c and c['path']}, want {path}")
if finding and finding not in (c["finding"] or ""):
    sys.exit(f"replay: finding {c['finding']!r} does not say {finding!r}")
if not finding and c["finding"]:
    sys.exit(f"replay: a finding for a direct call: {c['finding']}")
PY
}

# carries_vs_tshark NAME [media]: on every flow of the capture, each kind
# tshark decodes (on UDP, a TURN channel's payload too) tokaudit names, and
# each kind tokaudit names tshark decodes, but for what tshark leaves as
# data: SRTCP (its report blocks are ciphertext, which tshark's RTCP
# heuristic refuses), and DTLS and STUN inside a TURN channel.  With media,
# some flow carries STUN, DTLS and RTP by both.
carries_vs_tshark() {
	tshark -r "$tmp/$1.pcap" -o rtp.heuristic_rtp:TRUE -o rtcp.heuristic_rtcp:TRUE -Y "udp or tcp.len > 0" -T fields \
		-E separator=/t -e ip.src -e udp.srcport -e tcp.srcport -e ip.dst -e udp.dstport -e tcp.dstport \
		-e frame.protocols -e stun.channel >"$tmp/$1.tshark.tsv" 2>/dev/null
	python3 - "$tmp/$1.tshark.tsv" "$tmp/$1.replay.jsonl" "${2:-}" <<'PY'
import json, sys
ts = {}
for line in open(sys.argv[1]):
    s, us, tsp, d, ud, td, protos, chan = line.rstrip("\n").split("\t")
    proto = "udp" if us else "tcp"
    sp, dp = int(us or tsp), int(ud or td)
    key = (proto,) + ((s, sp, d, dp) if s.startswith("10.") else (d, dp, s, sp))
    layers = protos.split(":")
    top = [l if l != "data" else "unknown" for l in layers[layers.index(proto) + 1:]] or ["unknown"]
    f = ts.setdefault(key, {"carries": set(), "relayed": set()})
    if chan:
        f["carries"].add("turn-channel")
        f["relayed"].update(top[1:] or ["unknown"])
    else:
        f["carries"].add(top[0])
media = 0
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r.get("type") != "flow" or r["proto"] not in ("udp", "tcp"):
        continue
    key = (r["proto"], r["local"], r["lport"], r["remote"], r["rport"])
    t = ts.get(key, {"carries": set(), "relayed": set()})
    # over TCP tshark leaves a channel's payload as data: the channel is compared, not what it relays
    parts = (("carries", set(r["carries"])),) + ((("relayed", set(r["carries_relayed"])),) if key[0] == "udp" else ())
    for part, got in parts:
        want = t[part]
        missed = want - got - {"unknown"}
        extra = got - want
        if "unknown" in want:  # what tshark leaves as data
            extra -= {"rtcp"} if part == "carries" else {"rtcp", "dtls", "stun"}
        if missed or extra:
            sys.exit(f"flow {key} {part}: tokaudit {sorted(got)}, tshark {sorted(want)}")
    media += {"stun", "dtls", "rtp"} <= set(r["carries"]) | set(r["carries_relayed"])
if sys.argv[3] and not media:
    sys.exit("no flow carried stun, dtls and rtp by both")
PY
}

case_ok() { # NAME PATH LIVE_FINDING [REPLAY_FINDING [media]]: the checks of one call
	local out
	if out=$(check "$1" "$2" 2>&1); then
		ok "$1 call: run's report says $2 (the client's ICE pair agrees)"
	else
		bad "$1 call: $out $(tail -n 3 "$tmp/$1.off.log" "$tmp/$1.err" 2>/dev/null)"
		return
	fi
	if [ -n "$3" ]; then
		python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(sys.argv[2] not in (c["finding"] or ""))' \
			"$tmp/$1.call.json" "$3" && ok "$1 call: the finding says '$3'" ||
			bad "$1 call: finding $(cat "$tmp/$1.call.json")"
	fi
	out=$(replayed "$1" "$2" "${4:-$3}" 2>&1) && ok "$1 call: its capture replayed says $2${4:+, and '$4'}" ||
		bad "$1 call: $out $(tail -c 300 "$tmp/$1.replay.err")"
	out=$(carries_vs_tshark "$1" "${5:-}" 2>&1) && ok "$1 call: what each flow carries is what tshark decodes" ||
		bad "$1 call carries: $out"
}

block ""
CALL=4 call direct 7
case_ok direct direct-udp "" "" media

block "ip daddr $PEER meta l4proto udp drop
		ip saddr $PEER meta l4proto udp drop"
CALL=4 call relayed 7 --turn "turn:$TURN:3478"
case_ok relayed relayed-udp "media relayed by TURN over UDP" "" media
# the RTP the channels relay is counted stream by stream, as tshark finds it
# in coturn's ChannelData (media.h reads a channel only as RFC 8656 frames it)
tshark -r "$tmp/relayed.pcap" -o rtp.heuristic_rtp:TRUE -Y "stun.channel && rtp.ssrc" -T fields -e rtp.ssrc \
	>"$tmp/relayed.rtp.tsv" 2>/dev/null
python3 - "$tmp/relayed.rtp.tsv" "$tmp/relayed.replay.jsonl" >"$tmp/relayed.streams" 2>&1 <<'PY' &&
import collections, json, sys
want = collections.Counter(int(l.strip(), 16) for l in open(sys.argv[1]) if l.strip())
got = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    for st in ((r.get("media") or {}).get("streams") or []) if r.get("type") == "flow" else ():
        if st["relayed"]:
            got[int(st["ssrc"], 16)] = st["packets"]
print(", ".join(f"0x{k:08x}: tokaudit {got.get(k)}, tshark {n}" for k, n in sorted(want.items())))
# a stream counts from its second packet in order (RFC 3550 A.1's probation)
sys.exit(not want or max(want.values()) < 100 or set(got) != set(want) or
         any(abs(got[k] - n) > 2 for k, n in want.items()))
PY
	ok "relayed call: the RTP in its TURN channels counted per stream as tshark finds it ($(cat "$tmp/relayed.streams"))" ||
	bad "relayed call: relayed RTP streams: $(tail -c 600 "$tmp/relayed.streams")"

# (TURN over TCP 3478 behaves as TLS 443 does here, and costs a call more:
# tests/test_calls.c has its path and finding)
block "meta l4proto udp drop"

# serve on the inside interface from here on: its metrics count the calls
# by path, and the media's loss, while they last (scraped every half second
# into $tmp/prom.PHASE, PHASE the case under way)
MPORT=$((20000 + $$ % 20000))
# (nsenter, not gw: $! must be serve itself, so that the cleanup's kill
# stops it, not a subshell it would outlive, leaving a pin directory)
nsenter --net=/run/netns/$LAB_GW "$TA" serve -i gwin --side inside --metrics 127.0.0.1:$MPORT --interval 0.5 >/dev/null 2>"$tmp/serve.err" &
serve_pid=$!
echo tls >"$tmp/phase"
(while kill -0 "$serve_pid" 2>/dev/null; do
	gw curl -sf --max-time 2 "http://127.0.0.1:$MPORT/metrics" | grep -E '^tokaudit_(calls|media_)' \
		>>"$tmp/prom.$(cat "$tmp/phase")"
	sleep 0.5
done) &
scrape_pid=$!
call tls 16 --stun "stun:$TURN:3478" --turn "turns:$TURN:443?transport=tcp"
# why on the served interface: the same finding, from the client's side
gw "$TA" why -i gwin --json >"$tmp/why.json" 2>"$tmp/why.err"
python3 - "$tmp/why.json" "$CLIENT" "$TURN" <<'PY' && ok "tls call: why on the served inside interface says the same, STUN to $TURN:3478 unanswered" || bad "tls call why: $(head -c 600 "$tmp/why.json") $(cat "$tmp/why.err")"
import json, sys
w = json.load(open(sys.argv[1]))
w = w[0] if isinstance(w, list) else w
calls = w.get("calls") or [c for x in w.get("interfaces", []) for c in x.get("calls", [])]
c = {c["client"]: c for c in calls}[sys.argv[2]]
assert c["path"] == "tls-443", c
assert f"STUN binding to {sys.argv[3]}:3478, no answer" in c["finding"], c
assert "UDP is blocked on this path" in c["finding"], c
PY
grep -q 'tokaudit_calls{.*path="tls-443"} 1$' "$tmp/prom.tls" &&
	! grep -q 'tokaudit_calls{.*path="direct-udp"} [1-9]' "$tmp/prom.tls" &&
	ok "tls call: serve's metrics count it, tokaudit_calls{path=\"tls-443\"} 1" ||
	bad "tls call metrics: $(grep calls "$tmp/prom.tls" | sort -u | tail -n 8) $(tail -n 3 "$tmp/serve.err")"
case_ok tls tls-443 "then TURN over TLS 443: UDP is blocked on this path" "STUN binding to $TURN:3478, no answer"
grep -q "dropped in this host at nft_do_chain" "$tmp/tls.call.json" &&
	ok "tls call: the finding says where: this host's nft forward chain" || bad "tls call: where $(cat "$tmp/tls.call.json")"

# A lossy inbound path: 2 % of the RTP the peer sends dropped at random in
# the inet namespace (an nft numgen rule, which counts what it drops), on an
# audio call (no retransmissions).  The loss tokaudit counts at the gateway
# must be the drop counter's, the receiving peer's (getStats packetsLost),
# tshark's (rtp,streams on the capture) and the replay's, each within 2
# packets: a drop among a stream's first two packets (RFC 3550 probation)
# or after its last counted one is seen by none, or not by all.
block ""
ip netns exec "$LAB_INET" nft -f - <<EOF
table inet loss {
	chain out {
		type filter hook output priority 0;
		ip saddr $PEER ip daddr $CLIENT udp sport != $SIG @th,64,8 & 0xc0 == 0x80 @th,72,8 & 0x7f != 64-95 numgen random mod 100 < 2 counter drop
	}
}
EOF
echo lossy >"$tmp/phase"
CALL=10 call lossy 13 --audio-only
dropped=$(ip netns exec "$LAB_INET" nft list table inet loss | sed -n 's/.*counter packets \([0-9]*\) .*/\1/p')
ip netns exec "$LAB_INET" nft delete table inet loss
kill "$serve_pid" 2>/dev/null
wait "$serve_pid" "$scrape_pid" 2>/dev/null
serve_pid= scrape_pid=
gw "$TA" detach -i gwin >/dev/null 2>&1
# serve's gauges, scraped while the call lasted: a direct call, and the
# media rule's loss growing to what the drop counter says (the last scrape
# may come before the last drops)
python3 - "$tmp/prom.lossy" "$dropped" <<'PY' && ok "lossy call: serve's metrics: tokaudit_calls{path=\"direct-udp\"} 1, tokaudit_media_packets_lost{rule=\"media\"} up to $(cat "$tmp/lossy.prom")" || bad "lossy call metrics: $(sort -u "$tmp/prom.lossy" | grep 'rule="media"\|direct' | tail -n 6)"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
dropped = int(sys.argv[2] or -1)
def series(name, label):
    return [float(l.rsplit(" ", 1)[1]) for l in lines if l.startswith(name + "{") and label in l]
direct = series("tokaudit_calls", 'path="direct-udp"')
lost = series("tokaudit_media_packets_lost", 'rule="media"')
expected = series("tokaudit_media_packets_expected", 'rule="media"')
jitter = series("tokaudit_media_jitter_seconds", 'rule="media"')
open(sys.argv[1].replace("prom.lossy", "lossy.prom"), "w").write(f"{max(lost or [0]):.0f} of {max(expected or [0]):.0f}, jitter {max(jitter or [0]) * 1000:.2f} ms")
assert direct and max(direct) == 1, direct
assert expected and max(expected) > 400, expected
assert lost and 1 <= max(lost) <= dropped + 2 and max(lost) >= dropped - 4, (lost, dropped)
assert jitter and 0 < max(jitter) < 0.05, jitter
PY
"$TA" replay --local 10.1.0.0/24 --json "$tmp/lossy.pcap" >"$tmp/lossy.replay.jsonl" 2>"$tmp/lossy.replay.err"
tshark -r "$tmp/lossy.pcap" -o rtp.heuristic_rtp:TRUE -q -z rtp,streams >"$tmp/lossy.streams" 2>/dev/null
python3 - "$tmp" "$dropped" "$PEER" "$CLIENT" <<'PY' && ok "lossy call: tokaudit's loss matches the drop counter, getStats, tshark and the replay ($(cat "$tmp/lossy.figures"))" || bad "lossy call: $(cat "$tmp/lossy.figures" 2>/dev/null)"
import json, re, sys
d, dropped, peer, client = sys.argv[1], int(sys.argv[2] or -1), sys.argv[3], sys.argv[4]
rep = [json.loads(l) for l in open(f"{d}/lossy.jsonl") if '"report"' in l][-1]
live = {c["client"]: c for c in rep["calls"]}[client]
off = json.load(open(f"{d}/lossy.off.json"))
inb = [s for s in off["inbound"] if s["kind"] == "audio"][0]
ssrc = "0x%08x" % inb["ssrc"]
rflows = [json.loads(l) for l in open(f"{d}/lossy.replay.jsonl")]
rs = [s for f in rflows if f.get("type") == "flow" and f.get("media") for s in f["media"]["streams"]
      if s["ssrc"] == ssrc and s["direction"] == "in"]
ts = None
for line in open(f"{d}/lossy.streams"):
    if peer in line and client in line and ssrc.lower() in line.lower():
        m = re.search(r"\b(\d+)\s+(-?\d+)\s+\(", line)
        ts = int(m.group(2)) if m else None
fig = {"nft_dropped": dropped, "tokaudit": live["rtp_lost"], "getStats": inb["lost"],
       "tshark": ts, "replay": rs[0]["lost"] if rs else None,
       "expected": live["rtp_expected"], "clock_hz": rs[0]["clock_hz"] if rs else None,
       "jitter_ms": rs[0]["jitter_ms"] if rs else None, "getStats_jitter_ms": round(inb["jitter"] / 48, 2)}
open(f"{d}/lossy.figures", "w").write(", ".join(f"{k} {v}" for k, v in fig.items()))
if dropped < 1 or live["rtp_expected"] < 400 or fig["clock_hz"] != 48000:  # Opus's RTP clock (RFC 7587)
    sys.exit(1)
for k in ("tokaudit", "getStats", "tshark", "replay"):
    if fig[k] is None or abs(fig[k] - dropped) > 2:
        sys.exit(1)
PY
