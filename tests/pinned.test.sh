#!/usr/bin/env bash
# Pinned mode in the lab: attach -> traffic audited with no process running ->
# attach again keeps counters -> reload -> detach leaves nothing behind; the
# lock, and the error cases.  Pins go under a root unique to this run.
set -u
. "$(dirname "$0")/lib.sh"
need_root "pinned-mode lab tests" || exit 0
lab_start tp || exit 0
# name of the XDP program on gwout, and how many there are
xdp_names() {
	for id in $(gw bpftool net show dev gwout | sed -n 's/.*\(driver\|generic\) id \([0-9]*\).*/\2/p'); do
		bpftool prog show id "$id" | sed -n 's/^[0-9]*: xdp *name \([^ ]*\).*/\1/p'
	done
}
media_pkts() { gw "$TA" stats -i gwout --json | jq_py 'r["rules"]["media"]["packets"]'; }

expect_rc "status before any attach" 1 gw "$TA" status
expect_in "nothing attached said" "not attached anywhere" "$ERR"
expect_in "nothing attached: the service named first" "start the service ('systemctl start tokaudit'" "$ERR"
expect_rc "attach" 0 gw "$TA" attach -i gwout
expect_in "attach names the pins" "$TOKAUDIT_PIN_ROOT/gwout" "$OUT"
[ -e "$TOKAUDIT_PIN_ROOT/gwout/xdp_link" ] && [ -e "$TOKAUDIT_PIN_ROOT/gwout/ta_flows" ] && ok "link and maps pinned" || bad "pins: $(ls "$TOKAUDIT_PIN_ROOT/gwout")"
expect_rc "status" 0 gw "$TA" status --json
[ "$(jq_py 'r["xdp_attached"] and r["tc_attached"]' <<<"$OUT")" = True ] && ok "status: XDP and tc attached" || bad "status: $OUT"
[ "$(xdp_names)" = tokaudit_xdp ] && ok "XDP program on gwout (bpftool)" || bad "bpftool net: $(gw bpftool net show)"

# no tokaudit process runs now: the pinned programs audit on their own.
# (Looked for in the gateway's namespace, where attach ran: the suites a
# parallel make test runs beside this one have tokaudit processes of their
# own, seen host-wide.)
lab_comms() {
	local pids p
	pids=$(ip netns pids "$LAB_GW") || return 1 # (a failed listing is no absence)
	for p in $pids; do cat "/proc/$p/comm" 2>/dev/null; done
	return 0
}
absent "attach returned, no process left" '^tokaudit$' lab_comms
u=$(peer "$LAB_CLIENT" udp 70.42.47.70 50000 100)
[ "$(jq_py 'r["received"]' <<<"$u")" = 100 ] && ok "traffic passes while attached" || bad "udp $u"
n=$(media_pkts)
[ "$n" = 200 ] && ok "audited with no process: media 200 packets" || bad "media $n, want 200"
expect_rc "flows --json" 0 gw "$TA" flows --json
grep -q '"remote":"70.42.47.70","rport":50000,"verdict":"allowed","rule":"media"' <<<"$OUT" && ok "flows lists the media flow" || bad "flows: $OUT"
grep '"rport":50000' <<<"$OUT" | grep -q '"packets_out":100,"packets_in":100' && ok "flow counts 100 each way" || bad "flow counts"
expect_rc "flows as text" 0 gw "$TA" flows
expect_in "text flow line" "70.42.47.70:50000" "$OUT"

# flow filters: a TCP flow and an unexpected one beside the media flow
peer "$LAB_CLIENT" tcp 212.118.226.40 443 >/dev/null
peer "$LAB_CLIENT" tcp 70.42.47.70 8080 --timeout 1 >/dev/null
all=$(gw "$TA" flows --json)
nall=$(grep -c . <<<"$all")
sel() { gw "$TA" flows --json "$@" | python3 -c '
import json, sys
print(" ".join(sorted("%s/%s/%s/%s" % (f["verdict"], f["proto"], f["rule"], f["rport"]) for f in map(json.loads, sys.stdin))))'; }
sel_n() { jq_py 'r["packets_out"]' <<<"$(grep "\"rport\":$1," <<<"$all")"; }
[ "$nall" -ge 3 ] && ok "three kinds of flows to filter ($nall flows)" || bad "flows: $all"
[ "$(sel --verdict unexpected)" = "unexpected/tcp/None/8080" ] && ok "flows --verdict unexpected" || bad "--verdict: $(sel --verdict unexpected)"
[ "$(sel --verdict allowed --proto tcp)" = "allowed/tcp/control/443" ] && ok "flows --verdict allowed --proto tcp" || bad "--proto: $(sel --verdict allowed --proto tcp)"
[ "$(sel --rule media,control | wc -w)" = 2 ] && ok "flows --rule media,control: two flows" || bad "--rule: $(sel --rule media,control)"
[ "$(sel --remote 70.42.47.64/26:50000)" = "allowed/udp/media/50000" ] && ok "flows --remote PREFIX:PORT" || bad "--remote: $(sel --remote 70.42.47.64/26:50000)"
[ "$(sel --state two-way)" = "allowed/udp/media/50000" ] && ok "flows --state two-way" || bad "--state: $(sel --state two-way)"
first=$(gw "$TA" flows --json --sort bytes --limit 1 | jq_py 'r["rport"]')
[ "$first" = 50000 ] && ok "flows --sort bytes --limit 1: the media flow" || bad "--sort bytes: $first"
expect_rc "flows --limit 1 as text" 0 gw "$TA" flows --limit 1
expect_in "text says how many more" "more ($nall of $nall flows match; --limit shows more)" "$OUT"
expect_rc "flows --verdict bogus" 2 gw "$TA" flows --verdict bogus
expect_in "bad verdict names the accepted ones" "no verdict 'bogus' (other, allowed, unexpected, invalid, dropped)" "$ERR"
expect_rc "flows --sort size" 2 gw "$TA" flows --sort size
expect_rc "flows --state nope" 2 gw "$TA" flows --state nope
# the table: columns chosen with -o, --raw exact numbers, aligned columns
expect_rc "flows -o --raw --noheadings" 0 gw "$TA" flows -o remote,verdict,rule,pkts-out --raw --noheadings --sort remote
[ "$OUT" = "$(printf '70.42.47.70:8080 unexpected - %s\n70.42.47.70:50000 allowed media %s\n212.118.226.40:443 allowed control %s' \
	"$(sel_n 8080)" "$(sel_n 50000)" "$(sel_n 443)")" ] && ok "flows -o REMOTE,VERDICT,RULE,PKTS-OUT --raw: exact lines" || bad "raw table: $OUT"
expect_rc "flows as an aligned table" 0 gw "$TA" flows
python3 -c '
import sys
lines = [l for l in sys.stdin.read().splitlines()[1:] if l.strip() and not l.startswith("  ")]
head = lines[0]
starts = [head.index(c) for c in ("VERDICT", "RULE", "STATE")]
for l in lines[1:]:
    for s in starts:
        assert l[s - 1] == " " and l[s] != " ", (s, l)
' <<<"$OUT" && ok "flows: the text columns line up under their headings" || bad "table: $OUT"
expect_rc "flows -o with an unknown column" 2 gw "$TA" flows -o flow,bogus
expect_in "the column named, the known ones listed" "no column 'bogus' (FLOW, PROTO" "$ERR"
expect_rc "flows matching nothing" 0 gw "$TA" flows --proto 47
expect_in "says none matches" "none of the $nall flows matches" "$OUT"

# attach again: counters kept
expect_rc "attach again" 0 gw "$TA" attach -i gwout
expect_in "attach again says counters kept" "counters kept" "$OUT"
peer "$LAB_CLIENT" udp 70.42.47.70 50000 50 >/dev/null
n=$(media_pkts)
[ "$n" = 300 ] && ok "counters kept across attaches: media 300" || bad "media $n after re-attach, want 300"
[ "$(xdp_names)" = tokaudit_xdp ] && ok "still one XDP program" || bad "XDP programs: $(gw bpftool net show dev gwout)"

# reload: atomically to a policy without media; a broken one is refused
printf 'rule ssh\n proto tcp\n ports 22\n dir out\n addr 70.42.47.64/26\n' > "$tmp/ssh.policy"
expect_rc "reload" 0 gw "$TA" reload --policy "$tmp/ssh.policy"
expect_in "reload names the generation" "generation 2" "$OUT"
gw ip neigh flush dev gwout # the next packets need ARP: frames that are not IP
peer "$LAB_CLIENT" tcp 70.42.47.70 22 >/dev/null
s=$(gw "$TA" stats -i gwout --json)
[ "$(jq_py 'r["rules"]["ssh"]["packets"]' <<<"$s")" -gt 0 ] && ok "new policy in force after reload" || bad "ssh rule: $s"
# every frame has a direction, ARP too: in + out = packets for every verdict
python3 -c '
import json, sys
v = json.loads(sys.argv[1])["verdicts"]
assert v["other"]["packets"] > 0, v
for name, x in v.items():
    assert x["in"] + x["out"] == x["packets"], (name, x)
' "$s" && ok "every frame has a direction: in + out = packets per verdict (ARP counted)" || bad "directions do not add up: $s"
printf 'rule broken\n proto tcp\n ports 99999\n' > "$tmp/broken.policy"
expect_rc "reload of a broken policy" 1 gw "$TA" reload --policy "$tmp/broken.policy"
expect_in "broken reload: the running policy stays" "the running policy stays" "$ERR"
[ "$(gw "$TA" status --json | jq_py 'r["generation"]')" = 2 ] && ok "generation still 2" || bad "generation changed"
# flows judged under the replaced policy keep the label they were judged with
expect_rc "flows --json after reload" 0 gw "$TA" flows -i gwout --json
python3 -c '
import json, sys
fl = [json.loads(l) for l in sys.stdin if l.strip()]
media = [f for f in fl if f["proto"] == "udp" and f["rport"] == 50000]
ssh = [f for f in fl if f["proto"] == "tcp" and f["rport"] == 22]
assert media and all(f["rule"] == "media" and f["generation"] == 1 and not f["rule_removed_by_reload"] for f in media), media[:2]
assert ssh and all(f["rule"] == "ssh" and f["generation"] == 2 for f in ssh), ssh
' <<<"$OUT" && ok "after reload: old flows keep their rule (media), new ones the new (ssh)" || bad "labels after reload: $(head -c 600 <<<"$OUT")"
expect_rc "the same policy again" 0 gw "$TA" reload --policy "$tmp/ssh.policy"
expect_in "the same policy: no new generation" "unchanged: generation 2 stays" "$OUT"
expect_rc "flows after an unchanged reload" 0 gw "$TA" flows -i gwout --json
python3 -c '
import json, sys
fl = [json.loads(l) for l in sys.stdin if l.strip()]
assert fl and not any(f["rule_removed_by_reload"] for f in fl), fl[:2]
assert any(f["rule"] == "media" for f in fl) and any(f["rule"] == "ssh" for f in fl), fl
' <<<"$OUT" && ok "an unchanged reload removes no rule: media and ssh flows keep theirs" || bad "labels after an unchanged reload: $(head -c 600 <<<"$OUT")"
{ cat "$tmp/ssh.policy"; printf 'rule extra\n proto udp\n ports 9\n dir out\n addr 192.0.2.99\n'; } >"$tmp/ssh2.policy"
expect_rc "a second reload, another policy" 0 gw "$TA" reload --policy "$tmp/ssh2.policy"
expect_in "another policy: generation 3" "generation 3" "$OUT"
expect_rc "flows after two reloads" 0 gw "$TA" flows -i gwout
expect_in "a rule two policies back reads as removed" "(rule removed by reload)" "$OUT"
absent "no media flow shows the new policy's rule" 'udp.*50000.*allowed *ssh' printf '%s\n' "$OUT"

# two attaches at once are serialised by the lock
gw "$TA" attach -i gwout > "$tmp/a1" 2>&1 &
a1=$!
gw "$TA" attach -i gwout > "$tmp/a2" 2>&1 &
a2=$!
wait $a1; r1=$?; wait $a2; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] && ok "concurrent attaches both succeed" || bad "concurrent attaches: $r1 $r2 $(cat "$tmp/a1" "$tmp/a2")"
[ "$(gw "$TA" status --json | jq_py 'r["attaches"]')" = 4 ] && ok "both attaches counted (4 in all)" || bad "attaches: $(gw "$TA" status --json)"
[ "$(xdp_names)" = tokaudit_xdp ] && ok "still one XDP program after concurrent attaches" || bad "XDP: $(gw bpftool net show dev gwout)"

# tc hook on the other interface, then detach everything
expect_rc "attach --hook tc on gwin" 0 gw "$TA" attach -i gwin --hook tc --side inside
expect_rc "status of both" 0 gw "$TA" status
aligned_cols IFACE,SIDE,HOOK,MODE,POLICY GEN,UP,ALLOWED,UNEXPECTED,OTHER,INVALID,DROPS <<<"$OUT" \
	&& ok "status: one table, its columns aligned" || bad "status table: $OUT"
expect_rc "status --raw -o" 0 gw "$TA" status --raw --noheadings -o iface,side,hook,mode
grep -qx "gwin inside tc audit" <<<"$OUT" && grep -Eqx "gwout outside xdp(-skb)?\+tc audit" <<<"$OUT" \
	&& ok "status -o: gwin inside on tc, gwout outside on XDP and tc" || bad "status -o: $OUT"
expect_rc "status -o with an unknown column" 2 gw "$TA" status -o iface,nosuch
expect_in "the unknown column named, with the known ones" "no column 'nosuch' (IFACE, SIDE" "$ERR"
expect_rc "stats of both" 0 gw "$TA" stats
aligned_cols VERDICT PACKETS,BYTES,IN,OUT <<<"$(sed -n '/^VERDICT/,/^$/p' <<<"$OUT" | head -5)" \
	&& aligned_cols RULE PACKETS,BYTES <<<"$(sed -n '/^RULE/,/^$/p' <<<"$OUT" | head -4)" \
	&& ok "stats: verdict and rule tables aligned" || bad "stats tables: $OUT"
expect_rc "detach both" 0 gw "$TA" detach -i gwout,gwin
[ ! -e "$TOKAUDIT_PIN_ROOT/gwout" ] && [ ! -e "$TOKAUDIT_PIN_ROOT/gwin" ] && ok "pins removed" || bad "pins left: $(ls -R "$TOKAUDIT_PIN_ROOT")"
left=$(gw bpftool net show | grep -c -E 'tokaudit|clsact|driver id|generic id')
[ "$left" = 0 ] && ok "detach leaves no program or qdisc" || bad "left: $(gw bpftool net show)"
absent "clsact removed" clsact gw tc qdisc show dev gwout
expect_rc "detach again" 1 gw "$TA" detach -i gwout
expect_in "detach again says not attached" "gwout: tokaudit is not attached" "$ERR"

# under 'ip netns exec' the command gets a private /sys: a bpffs mounted there
# would vanish with it, leaving hooks nobody can see: refused, one line
expect_rc "attach under ip netns exec is refused" 1 ip netns exec "$LAB_GW" "$TA" attach -i gwout
expect_in "the refusal says why" "the pins would vanish when tokaudit exits" "$ERR"
expect_in "the refusal says what to do" "nsenter --net=/run/netns/NAME" "$ERR"
[ "$(wc -l <<<"$ERR")" = 1 ] && ok "the refusal is one line" || bad "refusal: $ERR"
absent "the refused attach left nothing" 'tokaudit|driver id|generic id' ip netns exec "$LAB_GW" bpftool net show dev gwout
expect_rc "status under ip netns exec says where the pins are" 1 ip netns exec "$LAB_GW" "$TA" status
expect_in "status: use nsenter" "nsenter" "$ERR"
# hooks with no pins (a killed run's tc filters): detach removes them, even
# from a private mount namespace
ip netns exec "$LAB_GW" "$TA" run -i gwout --json --duration 30 >"$tmp/killed.jsonl" 2>&1 &
k=$!
for _ in $(seq 50); do grep -q started "$tmp/killed.jsonl" 2>/dev/null && break; sleep 0.1; done
kill -KILL $k; wait $k 2>/dev/null
ip netns exec "$LAB_GW" bpftool net show dev gwout | grep -q tokaudit_tc && ok "a killed run left its tc filters" || bad "no tc filter left to clean"
expect_rc "detach -i under ip netns exec, no pins" 0 ip netns exec "$LAB_GW" "$TA" detach -i gwout
expect_in "detach names what it removed" "removed tokaudit's tc filters" "$OUT"
absent "detach without pins left nothing of tokaudit" tokaudit ip netns exec "$LAB_GW" bpftool net show dev gwout

# pins from an incompatible version
expect_rc "attach for the version check" 0 gw "$TA" attach -i gwout
vsize=$(bpftool -j map show pinned "$TOKAUDIT_PIN_ROOT/gwout/ta_meta" | jq_py 'r["bytes_value"]')
bpftool map update pinned "$TOKAUDIT_PIN_ROOT/gwout/ta_meta" key hex 00 00 00 00 value hex $(python3 -c "print(' '.join(['61','6b','6f','74','63','00','00','00'] + ['00'] * ($vsize - 8)))") 2>/dev/null \
	&& ok "meta overwritten with another layout version" || bad "cannot overwrite the meta ($vsize bytes)"
expect_rc "status on incompatible pins" 1 gw "$TA" status
expect_in "incompatible version named" "incompatible version" "$ERR"
expect_rc "detach removes incompatible pins" 0 gw "$TA" detach -i gwout

# errors
expect_rc "attach to a missing interface" 1 gw "$TA" attach -i nope0
expect_in "missing interface named" "nope0: no such interface" "$ERR"
expect_rc "reload without --policy" 2 gw "$TA" reload
expect_rc "detach without -i" 2 gw "$TA" detach
if command -v setpriv >/dev/null; then
	expect_rc "attach without privileges" 1 gw setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "$TA" attach -i gwout
	expect_in "privileges named" "run as root" "$ERR"
fi
