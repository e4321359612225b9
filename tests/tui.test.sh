#!/usr/bin/env bash
# run's live view on a terminal, driven in tmux (a server of this run's
# own): what the screen shows for a known traffic mix, the sort and filter
# keys, pause, and the terminal given back on q with the report on it.
set -u
. "$(dirname "$0")/lib.sh"
need_root "live view tests (lab)" || exit 0
command -v tmux >/dev/null || { bad "tmux missing: run scripts/deps.sh"; exit 0; }
SOCK=tatui$$
lab_cleanup_extra() { tmux -L "$SOCK" kill-server 2>/dev/null; }
lab_start tu || exit 0
screen() { tmux -L "$SOCK" capture-pane -p -J; }
# wait_for TEXT: until the screen shows it (5 s at most)
wait_for() {
	for _ in $(seq 50); do grep -qF -- "$1" <<<"$(screen)" && return 0; sleep 0.1; done
	return 1
}
tmux -L "$SOCK" new-session -d -x 132 -y 40 \
	"nsenter --net=/run/netns/$LAB_GW $TA run -i gwout --interval 0.5; echo EXITED rc=\$?; sleep 120"
wait_for "tokaudit run  gwout" && ok "the live view starts" || bad "no live view: $(screen | head -5)"
[ "$(tmux -L "$SOCK" display -p '#{alternate_on}')" = 1 ] && ok "it runs on the alternate screen" || bad "not on the alternate screen"

# a known mix: 300 media datagrams each way, an unexpected ssh connection,
# traffic to an unrelated host; the stream keeps a rate going (RTP, one
# sequence number in 10 never sent, echoed back: two streams, 10 % lost)
peer "$LAB_CLIENT" udp 70.42.47.70 50000 300 >/dev/null
peer "$LAB_CLIENT" tcp 70.42.47.70 22 --timeout 1 >/dev/null
peer "$LAB_CLIENT" udp 192.0.2.10 5000 3200 --no-wait >/dev/null   # other traffic: ~50 samples
peer "$LAB_CLIENT" stream 72.5.167.140 6000 3 --pps 500 --rtp >/dev/null &
sp=$!
sleep 1.5
s=$(screen)
grep -Eq '^allowed +[0-9]' <<<"$s" && grep -Eq '^unexpected +[0-9]' <<<"$s" && ok "totals per verdict" || bad "verdicts: $s"
grep -Eq '^media +[0-9.]+k? ' <<<"$s" && ok "totals per rule" || bad "rules: $s"
grep -E '^allowed' <<<"$s" | grep -Eq '[1-9][0-9.]* ?[kM]?b/s' && ok "a bit rate beside the allowed total: $(grep -E '^allowed' <<<"$s" | tr -s ' ')" || bad "no rate: $(grep -E '^allowed' <<<"$s")"
grep -q "udp 10.1.0.5:[0-9]* -> 70.42.47.70:50000 *allowed *media *two-way *600 " <<<"$s" && ok "the media flow: 600 packets, two-way" || bad "media flow: $(grep 50000 <<<"$s")"
grep -q "tcp 10.1.0.5:[0-9]* -> 70.42.47.70:22 *unexpected" <<<"$s" && ok "the ssh flow unexpected" || bad "ssh flow: $(grep ':22 ' <<<"$s")"
grep -Eq '(kB|MB| B) +[0-9.]+ [kM]?b/s +[0-9]+s +[0-9]+s' <<<"$s" && ok "flows with bytes, rate, age and idle in units" || bad "units: $(grep 'udp' <<<"$s" | head -2)"
first=$(grep -A1 '^FLOW ' <<<"$s" | tail -1)
grep -q ":6000" <<<"$first" && ok "sorted by rate: the live stream first" || bad "rate sort: $first"
grep -Eq '^other, top talkers \(sampled 1/64\):.* 192\.0\.2\.10 udp/5000 out ~[0-9.]+k?' <<<"$s" \
	&& ok "other traffic's top talker: $(grep '^other, top' <<<"$s")" || bad "top talkers: $(grep '^other' <<<"$s")"

grep -Eq '^CALLS  direct-udp 1  relayed-udp 0  relayed-tcp 0  tls-443 0   RTP lost (9\.[5-9]|10\.[0-4])[0-9]*%' <<<"$s" &&
	grep -Eq '^  10\.1\.0\.5 +direct-udp +2 rtp +(9\.[5-9]|10\.[0-4])[0-9]*% lost +jitter ([0-9.]+ ms|\?)' <<<"$s" &&
	ok "the calls: one client on direct UDP, its two RTP streams 10 % lost: $(grep -A1 '^CALLS' <<<"$s" | tr -s ' ' | tr '\n' '/')" ||
	bad "calls lines: $(grep -A2 '^CALLS' <<<"$s")"

# keys: sort by bytes, filter by verdict, pause, all
tmux -L "$SOCK" send-keys b
wait_for "sort: bytes" && ok "b: sort by bytes" || bad "b: $(grep FLOWS <<<"$(screen)")"
sed -n '/^FLOW /,$p' <<<"$(screen)" | python3 -c '
import re, sys
m = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}
b = [float(x) * m[u] for x, u in re.findall(r" (\d+(?:\.\d+)?) ([kMG]?)B ", sys.stdin.read())]
assert len(b) >= 3 and b == sorted(b, reverse=True), b
' && ok "by bytes: the rows in decreasing bytes" || bad "bytes sort: $(sed -n '/^FLOW /,$p' <<<"$(screen)" | head -5)"
tmux -L "$SOCK" send-keys v v v
wait_for "verdict: unexpected" && ok "v: filter by verdict" || bad "v: $(grep FLOWS <<<"$(screen)")"
rows=$(sed -n '/^FLOW /,$p' <<<"$(screen)" | grep -E '^(udp|tcp|icmp)')
[ -n "$rows" ] && ! grep -vq unexpected <<<"$rows" && ok "only unexpected flows shown" || bad "filtered rows: $rows"
tmux -L "$SOCK" send-keys u
wait_for "rule: media" && ok "u: filter by rule" || bad "u: $(grep FLOWS <<<"$(screen)")"
tmux -L "$SOCK" send-keys a
wait_for "verdict: all   rule: all" && ok "a: filters off" || bad "a: $(grep FLOWS <<<"$(screen)")"
tmux -L "$SOCK" send-keys p
wait_for "[PAUSED]" && ok "p: paused" || bad "no pause"
up1=$(screen | head -1); sleep 1.2; up2=$(screen | head -1)
[ "$up1" = "$up2" ] && ok "paused: the screen holds" || bad "paused but moving: $up1 / $up2"
tmux -L "$SOCK" send-keys p
wait $sp
# resize: the view redraws to the new width
tmux -L "$SOCK" resize-window -x 100 -y 30 2>/dev/null || tmux -L "$SOCK" resize-pane -x 100 -y 30
sleep 1
[ "$(screen | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -le 100 ] && wait_for "q quit" && ok "resized: redrawn within 100 columns" || bad "resize: $(screen | tail -2)"

# q: the terminal back, the report on the normal screen
tmux -L "$SOCK" send-keys q
wait_for "EXITED rc=0" && ok "q quits, exit 0" || bad "q: $(screen | tail -5)"
[ "$(tmux -L "$SOCK" display -p '#{alternate_on}')" = 0 ] && ok "the alternate screen is left" || bad "still on the alternate screen"
s=$(screen); s_rc=$?
absent_out "the live view is gone from the terminal" "tokaudit run  gwout" "$s_rc" "$s" "tmux capture-pane"
grep -qi "media" <<<"$s" && grep -q "unexpected" <<<"$s" && ok "the report is on the normal screen" || bad "report: $(head -c 400 <<<"$s")"
hist=$(tmux -L "$SOCK" capture-pane -p -J -S -300)
sed -n '/^Unexpected flows/,/^$/p' <<<"$hist" | sed -n 2p | grep -Eq '^  FLOW \(LOCAL -> REMOTE\) +VERDICT +RULE +STATE +PKTS OUT/IN +BYTES OUT/IN +IDLE$' \
	&& ok "the report's unexpected flows have headings" || bad "no headings: $(sed -n '/^Unexpected flows/,/^$/p' <<<"$hist" | head -3)"
sed -n '/^Other traffic, top talkers/,/^$/p' <<<"$s" | grep -Eq "192\.0\.2\.10 +udp/5000 +out +~[0-9.]+k? packets" \
	&& ok "the report names the top talker of other traffic" || bad "report talkers: $(grep -A2 '^Other traffic' <<<"$s")"
tmux -L "$SOCK" kill-server 2>/dev/null

# NO_COLOR and a plain pipe: no curses at all; the JSON report's talkers
# (traffic once it has attached: a fixed sleep raced a slow start, and the
# report then had no talker)
nsenter --net=/run/netns/$LAB_GW "$TA" run -i gwout --duration 5 --json >"$tmp/j.jsonl" 2>&1 &
jp=$!
wait_started "$tmp/j.jsonl" || bad "run --json did not start within 30 s"
peer "$LAB_CLIENT" udp 192.0.2.10 7000 3200 --no-wait >/dev/null
wait $jp; jrc=$?
absent_out "not a terminal: no escape codes" $'\033' "$jrc" "$(cat "$tmp/j.jsonl")" "run --json"
grep '"event":"report"' "$tmp/j.jsonl" | jq_py '[t for t in r["other_top"] if t["remote"] == "192.0.2.10" and t["port"] == 7000 and t["proto"] == "udp" and t["dir"] == "out" and t["packets_est"] == 64 * t["samples"] and 1000 <= t["packets_est"] <= 10000]' | grep -q remote \
	&& ok "JSON report: other_top with the estimate" || bad "other_top: $(grep '"event":"report"' "$tmp/j.jsonl" | jq_py 'r.get("other_top")')"
