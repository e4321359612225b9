#!/usr/bin/env bash
# Drop forensics in the lab: nftables in the gateway (a) drops inbound UDP
# media, (b) drops outbound TCP 5560, (c) rejects TCP 3478 with ICMP
# admin-prohibited, (d) rejects TCP 443 to one address with a reset; tokaudit
# on the gateway's inside interface must say, per flow, what happened.
set -u
. "$(dirname "$0")/lib.sh"
need_root "drop forensics lab tests" || exit 0
# What netfilter's drops look like on this kernel: one that names drop
# reasons (5.17+) says NETFILTER_DROP, at nft_do_chain; an older one names
# none ('unknown'), and frees the packet in nf_hook_slow
if "$TA" version --json | python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["kernel_features"]["drop_reasons"] else 1)'; then
	NF_REASON=NETFILTER_DROP NF_LOC=nft_do_chain
else
	NF_REASON=unknown NF_LOC=nf_hook_slow
fi
export NF_REASON NF_LOC
lab_cleanup_extra() { [ -n "${TAPID:-}" ] && kill "$TAPID" 2>/dev/null; }
lab_start tf || exit 0
ip netns exec "$LAB_GW" nft -f - <<'EOF' || bad "nftables rules"
table inet blk {
	chain filter_fwd {
		type filter hook forward priority 0; policy accept;
		iifname "gwout" ip saddr 70.42.47.64/26 udp sport 50000 drop
		oifname "gwout" tcp dport 5560 drop
		oifname "gwout" tcp dport 3478 reject with icmp type admin-prohibited
		oifname "gwout" ip daddr 212.118.226.40 tcp dport 443 reject with tcp reset
	}
}
EOF
# (e) the far end's own firewall drops UDP 50001: a drop in another network
# namespace of this kernel, as it would be on another machine, never charged
ip netns exec "$LAB_INET" nft -f - <<'EOF' || bad "nftables rules of the far end"
table inet far {
	chain input {
		type filter hook input priority 0; policy accept;
		udp dport 50001 drop
	}
}
EOF

drive() {
	peer "$LAB_CLIENT" udp 70.42.47.70 50000 20 >/dev/null          # (a)
	peer "$LAB_CLIENT" udp 70.42.47.70 50001 10 >/dev/null          # (e)
	peer "$LAB_CLIENT" tcp 70.42.47.70 5560 --timeout 3.5 >/dev/null # (b) SYN retried, never answered
	peer "$LAB_CLIENT" tcp 72.5.167.140 3478 >/dev/null              # (c)
	peer "$LAB_CLIENT" tcp 212.118.226.40 443 >/dev/null             # (d)
	peer "$LAB_CLIENT" tcp 216.151.209.20 443 >/dev/null             # healthy
}

ip netns exec "$LAB_GW" "$TA" run -i gwin --side inside --json --interval 0.5 >"$tmp/run.jsonl" 2>"$tmp/run.err" &
TAPID=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/run.jsonl" 2>/dev/null && break; sleep 0.1; done
drive
sleep 1
kill -TERM $TAPID; wait $TAPID; TAPID=
rep=$(grep '"event":"report"' "$tmp/run.jsonl")
[ -n "$rep" ] && ok "report written" || { bad "no report: $(cat "$tmp/run.err")"; exit 0; }
printf '%s\n' "$rep" > "$tmp/rep.json"

check() { # name python-expression-over-w (the why list)
	if python3 - "$tmp/rep.json" "$2" <<'PY'
import json, os, sys
r = json.load(open(sys.argv[1]))
w = r["why"]
R, L = os.environ["NF_REASON"], os.environ["NF_LOC"]
def find(port, proto="tcp"):
    return [x for x in w if x["flow"]["rport"] == port and x["flow"]["proto"] == proto]
ok = eval(sys.argv[2])
if not ok:
    print(json.dumps(w, indent=1)[:3000], file=sys.stderr)
sys.exit(0 if ok else 1)
PY
	then ok "$1"; else bad "$1"; fi
}
check "(a) inbound UDP media: every echo dropped, $NF_REASON at $NF_LOC" \
	'(lambda f: len(f) == 1 and f[0]["flow"]["kernel_drops"] == 20 and f[0]["flow"]["last_drop_reason"] == R and f[0]["flow"]["last_drop_location"].startswith(L) and f[0]["flow"]["last_drop_dir"] == "in")(find(50000, "udp"))'
check "(a) sentence: dropped in this host, UDP one way" \
	'(lambda f: "20 out, 0 in; 20 dropped in this host at " + L in f[0]["diagnosis"] and "(" + R + ")" in f[0]["diagnosis"] and "UDP only ever flowed out" in f[0]["diagnosis"])(find(50000, "udp"))'
check "(b) outbound TCP 5560 dropped ($NF_REASON), SYN never answered" \
	'(lambda f: len(f) == 1 and f[0]["flow"]["kernel_drops"] >= 2 and f[0]["flow"]["last_drop_reason"] == R and f[0]["flow"]["last_drop_dir"] == "out" and "SYN never answered" in f[0]["diagnosis"])(find(5560))'
check "(c) TCP 3478: ICMP admin-prohibited (3/13) from the gateway" \
	'(lambda f: len(f) == 1 and f[0]["flow"]["icmp_last_type"] == 3 and f[0]["flow"]["icmp_last_code"] == 13 and f[0]["flow"]["icmp_from"] == "10.1.0.1" and "SYN answered by ICMP admin-prohibited (type 3 code 13) from 10.1.0.1" in f[0]["diagnosis"])(find(3478))'
check "(d) TCP 443 to one address: answered by a reset" \
	'(lambda f: len(f) == 1 and f[0]["flow"]["remote"] == "212.118.226.40" and f[0]["flow"]["state"] == "refused" and "SYN answered by a TCP reset (refused)" in f[0]["diagnosis"])(find(443))'
check "(e) UDP dropped by the far end's firewall, another namespace: 10 out, none charged as dropped here" \
	'(lambda f: len(f) == 1 and f[0]["flow"]["packets_out"] == 10 and f[0]["flow"]["kernel_drops"] == 0)(find(50001, "udp"))'
check "healthy hlg flow not diagnosed" \
	'not [x for x in w if x["flow"]["remote"] == "216.151.209.20"]'
check "every rule carried traffic" 'r["rules_without_traffic"] == []'
grep -q '"event":"kernel-drop".*"drop_reason":"'"$NF_REASON"'"' "$tmp/run.jsonl" && ok "kernel-drop events as they happen" || bad "no kernel-drop event"
n=$(grep -c '"event":"kernel-drop".*"rport":50000' "$tmp/run.jsonl")
[ "$n" -ge 1 ] && [ "$n" -lt 20 ] && ok "drop events rate-bounded per flow ($n for 20 drops)" || bad "$n drop events for the media flow"

# kernels without BTF trace drops through the classic skb/kfree_skb tracepoint:
# forced here, it must load and record the same drops
TOKAUDIT_KFREE_TRACEPOINT=1 ip netns exec "$LAB_GW" "$TA" run -i gwin --side inside --json --interval 0.5 \
	>"$tmp/tp.jsonl" 2>"$tmp/tp.err" &
TAPID=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/tp.jsonl" 2>/dev/null && break; sleep 0.1; done
bpftool prog show 2>/dev/null | grep -q "tracepoint  name tokaudit_kfree_skb_tp" && ! grep -q "not be traced" "$tmp/tp.err" \
	&& ok "classic tracepoint program loaded and attached when forced" || bad "no classic tracepoint program: $(cat "$tmp/tp.err")"
peer "$LAB_CLIENT" udp 70.42.47.70 50000 20 >/dev/null          # (a) again
sleep 0.5
kill -TERM $TAPID; wait $TAPID; TAPID=
grep '"event":"report"' "$tmp/tp.jsonl" > "$tmp/rep.json" || bad "no report from the tracepoint run: $(cat "$tmp/tp.err")"
check "classic tracepoint: 20 inbound media drops, $NF_REASON at $NF_LOC" \
	'(lambda f: len(f) == 1 and f[0]["flow"]["kernel_drops"] == 20 and f[0]["flow"]["last_drop_reason"] == R and f[0]["flow"]["last_drop_location"].startswith(L) and f[0]["flow"]["last_drop_dir"] == "in")(find(50000, "udp"))'

# evidence: --pcap in enforce mode; tshark reads it back with its annotations
ip netns exec "$LAB_GW" "$TA" run -i gwin --side inside --enforce --json --interval 0.5 --pcap "$tmp/ev.pcap" >"$tmp/ev.jsonl" 2>"$tmp/ev.err" &
TAPID=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/ev.jsonl" 2>/dev/null && break; sleep 0.1; done
peer "$LAB_CLIENT" udp 70.42.47.70 50000 40 --gap 0.005 >/dev/null   # 40 kernel drops (nftables)
peer "$LAB_CLIENT" tcp 70.42.47.70 22 --timeout 1 >/dev/null           # unexpected: dropped by tokaudit
sleep 0.5
kill -TERM $TAPID; wait $TAPID; TAPID=
n=$(tshark -r "$tmp/ev.pcap" 2>/dev/null | wc -l)
a=$(wc -l < "$tmp/ev.pcap.annotations.jsonl")
[ "$n" -gt 0 ] && [ "$n" = "$a" ] && ok "evidence: tshark reads $n packets, one annotation each" || bad "evidence: $n packets, $a annotations; run said: $(tail -3 "$tmp/ev.err" | tr '\n' ' ')"
rep=$(grep '"event":"report"' "$tmp/ev.jsonl")
# the report's dropped list says what Why explains: the kernel's blocks and enforce's drops
jq_py '[(f["proto"], f["rport"], f["policy_drops"] > 0, f["kernel_drops"] > 0) for f in r["dropped"]]' <<<"$rep" \
	| grep -q "('udp', 50000, False, True)" && jq_py '[(f["proto"], f["rport"]) for f in r["dropped"]]' <<<"$rep" | grep -q "('tcp', 22)" \
	&& ok "report: dropped lists the kernel-blocked media flow and the enforce-dropped ssh flow" \
	|| bad "dropped: $(jq_py 'r["dropped"]' <<<"$rep" | head -c 400)"
python3 - "$tmp/ev.pcap.annotations.jsonl" "$rep" "$n" <<'PY' && ok "evidence: counts and annotations agree with the report" || bad "evidence annotations"
import json, os, sys
ann = [json.loads(l) for l in open(sys.argv[1])]
rep = json.loads(sys.argv[2]); n = int(sys.argv[3])
ev = rep["evidence"]
assert ev["captured"] == n, ev
kd = [a for a in ann if a["kernel_drop"]]
pd = [a for a in ann if a["policy_drop"]]
assert kd and all(a["drop_reason"] == os.environ["NF_REASON"] and a["rule"] == "media" and a["dir"] == "in" for a in kd), kd[:2]
assert pd and all(a["verdict"] == "unexpected" and a["rule"] is None and a["drop_reason"] is None for a in pd), pd[:2]
assert [a["pkt"] for a in ann] == list(range(1, n + 1))
# every kernel drop of the media flow is either captured or counted as held back
assert len(kd) + ev["not_captured_rate_bound"] + ev["not_captured_lost"] == 40, (len(kd), ev)
PY
tr=$(tcpdump -nr "$tmp/ev.pcap" 2>/dev/null | grep -c '\[|')
[ "$tr" = 0 ] && ok "evidence: tcpdump reads every packet without a truncation mark" || bad "evidence: $tr truncated packets: $(tcpdump -nr "$tmp/ev.pcap" 2>/dev/null | grep '\[|' | head -3)"
python3 - "$tmp/ev.pcap.annotations.jsonl" <<'PY' && ok "evidence: kernel drops carry their IP length and headers" || bad "evidence: kernel-drop lengths"
import json, sys
kd = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["kernel_drop"]]
# the media echoes: 20 bytes IP + 8 UDP + 107 payload, captured whole (snaplen 256)
assert kd and all(a["wire_len"] == 135 and a["cap_len"] == 135 for a in kd), kd[:2]
PY
tshark -r "$tmp/ev.pcap" -Y 'udp.srcport == 50000' 2>/dev/null | grep -q '70.42.47.70 → 10.1.0.5' && ok "evidence: the dropped echoes are in the capture" || bad "tshark filter"
tshark -r "$tmp/ev.pcap" -Y 'tcp.dstport == 22 && tcp.flags.syn == 1' 2>/dev/null | grep -q . && ok "evidence: the dropped SSH SYN is in the capture" || bad "no SSH SYN in the capture"
# --pcap-filter: only what the expression accepts is kept (the SSH SYN is not UDP)
ip netns exec "$LAB_GW" "$TA" run -i gwin --side inside --enforce --json --interval 0.5 --pcap "$tmp/evf.pcap" \
	--pcap-filter 'udp and host 70.42.47.70' >"$tmp/evf.jsonl" 2>"$tmp/evf.err" &
TAPID=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/evf.jsonl" 2>/dev/null && break; sleep 0.1; done
peer "$LAB_CLIENT" udp 70.42.47.70 50000 10 --gap 0.005 >/dev/null
peer "$LAB_CLIENT" tcp 70.42.47.70 22 --timeout 1 >/dev/null
sleep 0.5
kill -TERM $TAPID; wait $TAPID; TAPID=
nu=$(tshark -r "$tmp/evf.pcap" -Y 'udp && ip.addr == 70.42.47.70' 2>/dev/null | wc -l)
nall=$(tshark -r "$tmp/evf.pcap" 2>/dev/null | wc -l)
na=$(wc -l < "$tmp/evf.pcap.annotations.jsonl")
[ "$nu" -gt 0 ] && [ "$nu" = "$nall" ] && [ "$na" = "$nall" ] && ok "--pcap-filter: $nall packets kept, all UDP to the media host, one annotation each" \
	|| bad "--pcap-filter: $nu of $nall match, $na annotations: $(cat "$tmp/evf.err")"
expect_rc "--pcap-filter that does not compile" 1 ip netns exec "$LAB_GW" "$TA" run -i gwin --duration 1 --pcap "$tmp/bad.pcap" --pcap-filter 'udp and'
expect_in "--pcap-filter error named" "--pcap-filter 'udp and': can't parse" "$ERR"
[ ! -e "$tmp/bad.pcap" ] && ok "--pcap-filter refused before any file is made" || bad "a file was made"
expect_rc "--pcap-filter without --pcap" 2 ip netns exec "$LAB_GW" "$TA" run -i gwin --duration 1 --pcap-filter udp
expect_rc "--pcap to an unwritable place" 1 ip netns exec "$LAB_GW" "$TA" run -i gwin --duration 1 --pcap /nonexistent/dir/x.pcap
expect_in "--pcap error named" "--pcap /nonexistent/dir/x.pcap" "$ERR"

# the same diagnosis from pinned mode: tokaudit why
expect_rc "attach (inside)" 0 gw "$TA" attach -i gwin --side inside
drive
expect_rc "why" 0 gw "$TA" why
expect_in "why: (a)" "dropped in this host at $NF_LOC" "$OUT"
expect_in "why: (c)" "ICMP admin-prohibited (type 3 code 13) from 10.1.0.1" "$OUT"
expect_in "why: (d)" "SYN answered by a TCP reset (refused)" "$OUT"
expect_rc "why --remote ADDR:PORT" 0 gw "$TA" why --remote 72.5.167.140:3478
n=$(grep -c '→' <<<"$OUT")
[ "$n" = 1 ] && ok "why --remote keeps one flow" || bad "why --remote gave $n flows: $OUT"
expect_rc "why --rule media --json" 0 gw "$TA" why --rule media --json
python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert sorted((x["flow"]["rule"], x["flow"]["rport"]) for x in r["why"]) == [("media", 50000), ("media", 50001)], r' <<<"$OUT" && ok "why --rule filters by rule" || bad "why --rule: $OUT"
expect_rc "why --limit 1" 0 gw "$TA" why --limit 1 --sort packets
n=$(grep -c '→' <<<"$OUT")
[ "$n" = 1 ] && grep -Eq '^  \([0-9]+ more: --limit\)$' <<<"$OUT" && ok "why --limit: one sentence, and how many more" || bad "why --limit: $OUT"
expect_rc "why --proto udp --json" 0 gw "$TA" why --proto udp --json
python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); p=[x["flow"]["proto"] for x in r["why"]]; assert p and set(p)=={"udp"}, r' <<<"$OUT" && ok "why --proto keeps the udp flows" || bad "why --proto: $OUT"
expect_rc "why --rule media,control" 0 gw "$TA" why --rule media,control --json
python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert {x["flow"]["rule"] for x in r["why"]}=={"media","control"}, r' <<<"$OUT" && ok "why --rule takes a list" || bad "why --rule list: $OUT"
expect_rc "why --rule with an unknown label" 1 gw "$TA" why --rule nosuch
expect_in "unknown label named" "no rule 'nosuch'" "$ERR"
expect_rc "why --remote garbage" 2 gw "$TA" why --remote not-an-address
expect_rc "detach" 0 gw "$TA" detach -i gwin
