#!/usr/bin/env bash
# tokaudit replay on captures made by tests/gen_captures.py: every frame's
# verdict, rule and direction against the generator's expectations.
set -u
. "$(dirname "$0")/lib.sh"
tmp=$(mktemp -d /tmp/tokaudit-replay.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT
python3 "$(dirname "$0")/gen_captures.py" "$tmp" || { bad "capture generator failed"; exit 1; }

# compare FILE-OF-JSONL DIRKEY: per-frame records against expected.jsonl
compare() {
	python3 - "$tmp/expected.jsonl" "$1" "$2" <<'PY'
import json, sys
exp = [json.loads(l) for l in open(sys.argv[1])]
recs = [json.loads(l) for l in open(sys.argv[2])]
dirkey = sys.argv[3]
pk = [r for r in recs if r["type"] == "packet"]
summ = [r for r in recs if r["type"] == "summary"]
errs = []
if len(pk) != len(exp):
    errs.append(f"{len(pk)} packet records, want {len(exp)}")
for e, r in zip(exp, pk):
    want = (e["pkt"], e["verdict"], e["rule"], e[dirkey])
    got = (r["pkt"], r["verdict"], r["rule"], r["dir"])
    if want != got:
        errs.append(f"frame {e['pkt']}: got {got}, want {want}")
    if r["len"] != e["len"]:
        errs.append(f"frame {e['pkt']}: len {r['len']}, want {e['len']}")
s = summ[0] if summ else None
if not s:
    errs.append("no summary record")
else:
    for v in ("allowed", "unexpected", "other", "invalid"):
        n = sum(1 for e in exp if e["verdict"] == v)
        b = sum(e["len"] for e in exp if e["verdict"] == v)
        if s["verdicts"][v]["packets"] != n or s["verdicts"][v]["bytes"] != b:
            errs.append(f"summary {v}: {s['verdicts'][v]}, want {n} packets {b} bytes")
    for rule in ("media", "control", "hlg"):
        n = sum(1 for e in exp if e["rule"] == rule)
        if s["rules"][rule]["packets"] != n:
            errs.append(f"summary rule {rule}: {s['rules'][rule]['packets']}, want {n}")
    if s["frames"] != len(exp):
        errs.append(f"summary frames {s['frames']}")
print("\n".join(errs[:10]))
sys.exit(1 if errs else 0)
PY
}

if need_root "replay"; then
	for f in basic.pcap basic.pcapng; do
		"$TA" replay --local 10.1.0.0/16 --packets --json "$tmp/$f" > "$tmp/out.jsonl" 2>"$tmp/err"
		rc=$?
		[ $rc -eq 0 ] && ok "replay $f exits 0" || bad "replay $f: exit $rc: $(cat "$tmp/err")"
		why=$(compare "$tmp/out.jsonl" dir_local) && ok "replay $f --local: every frame as expected" || bad "replay $f --local: $why"
		"$TA" replay --packets --json "$tmp/$f" > "$tmp/out.jsonl" 2>"$tmp/err"
		why=$(compare "$tmp/out.jsonl" dir_auto) && ok "replay $f without --local: every frame as expected" || bad "replay $f auto: $why"
	done
	# flow and summary times are the capture's (frame i at 1700000000 + i s), not the replay's
	python3 - "$tmp/out.jsonl" <<'PY' && ok "replay: flow times are the capture's" || bad "replay: flow times"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
n = sum(1 for r in recs if r["type"] == "packet")
flows = [r for r in recs if r["type"] == "flow"]
s = [r for r in recs if r["type"] == "summary"][0]
lo, hi = 1700000000, 1700000000 + n
assert flows
for f in flows:
    assert lo <= f["first_seen"] <= f["last_seen"] <= hi, (f["first_seen"], f["last_seen"], lo, hi)
    assert f["first_seen_iso"].startswith("2023-11-14T"), f["first_seen_iso"]
assert s["first_frame"] == lo and lo < s["last_frame"] <= hi, s
PY
	# a connection opened from outside on an outbound-only rule's port: no
	# rule, unexpected, hlg named as the rule for the other way (issue 34)
	python3 - "$tmp/out.jsonl" <<'PY' && ok "replay: an inbound-opened flow on hlg's port names no rule, hlg as the other way" || bad "replay: inbound-opened hlg flow"
import json, sys
flows = [r for r in map(json.loads, open(sys.argv[1])) if r["type"] == "flow"]
w = [f for f in flows if f["remote"] == "216.151.209.15" and f["lport"] == 43003]
assert len(w) == 1, w
w = w[0]
assert (w["verdict"], w["rule"], w["rule_other_way"], w["opener"]) == ("unexpected", None, "hlg", "in"), w
assert (w["packets_in"], w["packets_out"]) == (1, 1), w
ok = [f for f in flows if f["remote"] == "216.151.209.20" and f["rport"] == 443]
assert ok and all(f["rule"] == "hlg" and f["rule_other_way"] is None for f in ok), ok
PY
	# every record type is JSON, one per line, with the documented keys
	python3 - "$tmp/out.jsonl" <<'PY' && ok "json records carry the documented fields" || bad "json record fields"
import json, sys
need = {"packet": {"pkt", "ts", "len", "verdict", "rule", "dir", "family", "proto", "local", "lport", "remote", "rport", "frag", "icmp_error", "invalid_reason", "action"},
        "flow": {"proto", "family", "local", "lport", "remote", "rport", "verdict", "rule", "rule_other_way", "opener", "packets_out", "packets_in", "bytes_out", "bytes_in", "tcp_flags_out", "tcp_flags_in", "icmp_errors", "icmp_last_type", "icmp_last_code", "icmp_from", "policy_drops", "generation"},
        "summary": {"frames", "frames_cut", "flows", "status", "verdicts", "rules", "counters"}}
seen = set()
for l in open(sys.argv[1]):
    r = json.loads(l)
    miss = need[r["type"]] - set(r)
    assert not miss, (r["type"], miss)
    seen.add(r["type"])
assert seen == set(need), seen
PY
	# the named counters: every key documented in the README, none twice, and
	# they agree with the frames (the basic capture has one TCP data offset 4)
	python3 - "$tmp/out.jsonl" "$(dirname "$0")/../README.md" <<'PY' && ok "summary counters: unique documented names, tcp doff counted" || bad "summary counters"
import json, re, sys
line = [l for l in open(sys.argv[1]) if '"type":"summary"' in l][-1]
pairs = json.loads(line, object_pairs_hook=lambda p: p)
counters = dict(pairs)["counters"]
keys = [k for k, _ in counters]
assert len(keys) == len(set(keys)), ("duplicate counter names", keys)
readme = open(sys.argv[2]).read()
for k in keys:
    doc = k if not k.startswith("invalid_") else "invalid_<reason>"
    assert "`" + doc + "`" in readme, ("undocumented counter", k)
c = dict(counters)
assert c["invalid_tcp_bad_data_offset"] == 1, c
assert c["frag_orphan"] == 1 and c["frag_inherited"] == 1, c
PY
	# other link types give the same verdicts
	"$TA" replay --local 10.1.0.0/16 --packets --json "$tmp/sll.pcap" > "$tmp/sll.jsonl" 2>"$tmp/err" && ok "replay LINUX_SLL exits 0" || bad "replay sll: $(cat "$tmp/err")"
	python3 - "$tmp/expected.jsonl" "$tmp/sll.jsonl" <<'PY' && ok "LINUX_SLL frames judged as Ethernet ones" || bad "LINUX_SLL verdicts"
import json, sys
exp = [json.loads(l) for l in open(sys.argv[1])]
got = [json.loads(l) for l in open(sys.argv[2]) if '"packet"' in l]
assert [(e["verdict"], e["rule"]) for e in exp] == [(g["verdict"], g["rule"]) for g in got]
PY
	"$TA" replay --local 10.1.0.0/16 --packets --json "$tmp/raw.pcap" > "$tmp/raw.jsonl" 2>"$tmp/err" && ok "replay RAW exits 0" || bad "replay raw: $(cat "$tmp/err")"
	python3 - "$tmp/expected.jsonl" "$tmp/raw.jsonl" <<'PY' && ok "RAW IP frames judged as Ethernet ones" || bad "RAW verdicts"
import json, sys
exp = [json.loads(l) for l in open(sys.argv[1])][:-1]   # the last frame (ARP) is not IP
got = [json.loads(l) for l in open(sys.argv[2]) if '"packet"' in l]
assert [(e["verdict"], e["rule"]) for e in exp] == [(g["verdict"], g["rule"]) for g in got]
PY
	# --filter: the frames libpcap's filter accepts, as tcpdump counts them
	for e in 'udp' 'tcp and port 443' 'net 70.42.47.64/26' 'ip6' 'not arp'; do
		want=$(tcpdump -nr "$tmp/basic.pcap" "$e" 2>/dev/null | wc -l)
		got=$("$TA" replay --json --filter "$e" "$tmp/basic.pcap" | tail -1 | jq_py 'r["frames"] - r["frames_filtered"]')
		[ "$got" = "$want" ] && ok "--filter '$e': $got frames run, as tcpdump" || bad "--filter '$e': $got run, tcpdump $want"
	done
	expect_rc "--filter with a syntax error" 1 "$TA" replay --filter 'udp and' "$tmp/basic.pcap"
	expect_in "the filter error names the expression" "--filter 'udp and': can't parse filter expression" "$ERR"
	# jumbo and snaplen-cut frames: classified, and counted at their wire length
	"$TA" replay --local 10.1.0.0/16 --packets --json "$tmp/jumbo.pcap" > "$tmp/j.jsonl" 2>"$tmp/err"
	python3 - "$tmp/j.jsonl" <<'PY' && ok "jumbo and snaplen-cut frames counted at wire length" || bad "jumbo: $(head -3 "$tmp/j.jsonl")"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
p = [x for x in r if x["type"] == "packet"]
s = [x for x in r if x["type"] == "summary"][0]
assert [x["verdict"] for x in p] == ["allowed", "allowed"], p
assert s["verdicts"]["allowed"]["bytes"] == 9014 + 1442, s["verdicts"]["allowed"]
assert s["frames_cut"] == 1
PY
	# frames shorter than their link header: invalid (l2-truncated), and the
	# frames after them still run
	for f in runt runt_sll; do
		"$TA" replay --local 10.1.0.0/16 --packets --json "$tmp/$f.pcap" > "$tmp/r.jsonl" 2>"$tmp/err"
		rc=$?
		python3 - "$tmp/r.jsonl" "$tmp/expected.jsonl" "$rc" <<'PY' && ok "$f: runts invalid (l2-truncated), replay goes on" || bad "$f: rc $rc $(cat "$tmp/err") $(head -c 600 "$tmp/r.jsonl")"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
exp = [json.loads(l) for l in open(sys.argv[2])]
p = [x for x in r if x["type"] == "packet"]
s = [x for x in r if x["type"] == "summary"][0]
assert sys.argv[3] == "0" and s["status"] == "ok", s
runts = p[1:-1]
assert len(p) == 2 + len(runts) and len(runts) >= 1, p
assert all(x["verdict"] == "invalid" and x["invalid_reason"] == "l2-truncated" and x["dir"] is None for x in runts), runts
assert [(x["verdict"], x["rule"]) for x in (p[0], p[-1])] == [(e["verdict"], e["rule"]) for e in exp[:2]], (p, exp[:2])
assert s["verdicts"]["invalid"]["packets"] == len(runts)
assert s["counters"]["invalid_l2_truncated"] == len(runts)
PY
	done
	# broken input: clear message, exit 1, frames already read still reported
	expect_rc "truncated capture exits 1" 1 "$TA" replay --json --packets "$tmp/truncated.pcap"
	expect_in "truncated capture: error names the frame" "after frame 5" "$ERR"
	n=$(grep -c '"type":"packet"' <<<"$OUT"); [ "$n" -eq 5 ] && ok "truncated capture: 5 frames reported" || bad "truncated: $n frames reported"
	expect_in "truncated capture: summary still printed" '"status":"error"' "$OUT"
	expect_rc "corrupt capture exits 1" 1 "$TA" replay "$tmp/corrupt.pcap" && expect_in "corrupt named" "cannot read capture" "$ERR"
	expect_rc "missing capture exits 1" 1 "$TA" replay "$tmp/nothing.pcap" && expect_in "missing named" "No such file" "$ERR"
	expect_rc "unsupported link type exits 1" 1 "$TA" replay "$tmp/wifi.pcap" && expect_in "link type named" "unsupported link type IEEE802_11" "$ERR"
	expect_rc "bad --local exits 2" 2 "$TA" replay --local 10.1.0.1/16 "$tmp/basic.pcap" && expect_in "bad --local explained" "host bits set" "$ERR"
	printf 'rule x\n proto udp\n' > "$tmp/bad.policy"
	expect_rc "broken --policy exits 1" 1 "$TA" replay --policy "$tmp/bad.policy" "$tmp/basic.pcap"
	# a custom policy changes the verdicts
	printf 'rule ssh\n proto tcp\n ports 22\n dir out\n addr 70.42.47.64/26\n' > "$tmp/ssh.policy"
	expect_rc "replay with --policy" 0 "$TA" replay --policy "$tmp/ssh.policy" --local 10.1.0.0/16 --json "$tmp/basic.pcap"
	python3 -c 'import json,sys; s=[json.loads(l) for l in sys.stdin if "summary" in l][0]; assert s["rules"]["ssh"]["packets"]==1, s' <<<"$OUT" && ok "custom policy rule counted" || bad "custom policy"
	expect_rc "replay text output" 0 "$TA" replay --local 10.1.0.0/16 "$tmp/basic.pcap"
	expect_in "text summary lists rules" "hlg" "$OUT"
fi
