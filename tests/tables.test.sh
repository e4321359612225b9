#!/usr/bin/env bash
# The text tables (libsmartcols) against golden outputs: policy show --table
# and replay's flows and summary, into a pipe (whole lines) and on terminals
# of 60, 80 and 132 columns (tmux, a server of this run's own), where long
# cells wrap between words inside their column.  -o, --noheadings and --raw.
# UPDATE_GOLDEN=1 rewrites the golden files (look at the diff before you
# commit it).
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
golden=$top/tests/golden
tmp=$(mktemp -d)
SOCK=tatab$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

# same NAME FILE TEXT: TEXT equals the golden FILE (trailing blanks and
# blank last lines aside, as a terminal shows them)
norm() { sed 's/[[:space:]]*$//' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }
same() {
	local name=$1 file=$golden/$2 got
	got=$(norm <<<"$3")
	if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then printf '%s\n' "$got" >"$file"; ok "$name (golden rewritten)"; return; fi
	if [ "$got" = "$(norm <"$file")" ]; then ok "$name"; else bad "$name: differs from tests/golden/$2: $(diff <(norm <"$file") <(printf '%s\n' "$got") | head -20 | tr '\n' '|')"; fi
}
# on_term WIDTH CMD...: CMD's screen on a terminal WIDTH columns wide
on_term() {
	local w=$1; shift
	rm -f "$tmp/done"
	tmux -L "$SOCK" kill-server 2>/dev/null
	tmux -L "$SOCK" new-session -d -x "$w" -y 100 -c "$tmp" "$(printf '%q ' "$@"); touch $tmp/done; sleep 60"
	for _ in $(seq 100); do [ -e "$tmp/done" ] && break; sleep 0.05; done
	tmux -L "$SOCK" capture-pane -p -J   # -J: a line the terminal wrapped comes back whole
	tmux -L "$SOCK" kill-server 2>/dev/null
}
command -v tmux >/dev/null || { bad "tmux missing: run scripts/deps.sh"; exit 0; }

printf 'rule a-rather-long-rule-label-here\n proto udp\n ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,20-29,1000-1999,40000\n dir in\n addr 192.0.2.0/24 2001:db8:aaaa:bbbb:cccc:dddd:eeee:0/112 198.51.100.0/25\n names x.example a-very-long-server-name-0123456789.example.com\n\nrule b\n proto tcp\n ports 80\n dir out\n addr 198.51.100.7\n names y.example z.example\n' >"$tmp/wide.policy"

# policy show --table
same "policy table of the built-in policy, into a pipe" policy-builtin.txt "$("$TA" policy show --table)"
same "policy table of wide cells, into a pipe" policy-wide.txt "$("$TA" policy show --table "$tmp/wide.policy")"
for w in 60 80 132; do
	same "policy table of the built-in policy, $w columns" "policy-builtin-$w.txt" "$(on_term $w "$TA" policy show --table)"
	long=$(awk -v w=$w 'length > w' <<<"$(on_term $w "$TA" policy show --table)")
	[ -z "$long" ] && ok "built-in policy: nothing past column $w" || bad "past column $w: $long"
	# a word wider than what the other columns leave runs past the edge
	# (as lsblk's do), whole: only lines holding such a word may
	s=$(on_term $w "$TA" policy show --table "$tmp/wide.policy")
	same "policy table of wide cells, $w columns" "policy-wide-$w.txt" "$s"
	[ $w = 60 ] && continue # there the rule label and the IPv6 prefix alone take 70
	long=$(awk -v w=$w 'length > w && !/a-very-long-server-name|2001:db8/' <<<"$s")
	[ -z "$long" ] && ok "wide cells: nothing else past column $w" || bad "past column $w: $long"
done
s=$(on_term 80 "$TA" policy show --table "$tmp/wide.policy")
grep -q "^ *a-very-long-server-name-0123456789.example.com$" <<<"$s" && grep -q "2001:db8:aaaa:bbbb:cccc:dddd:eeee:0/112" <<<"$s" \
	&& ok "wrapping never cuts an address or a name" || bad "a cut word: $s"
expect_rc "policy show --raw" 0 "$TA" policy show --raw --noheadings "$tmp/wide.policy"
[ "$(wc -l <<<"$OUT")" = 2 ] && grep -qx "b tcp 80 out 198.51.100.7" <<<"$OUT" \
	&& grep -q "^a-rather-long-rule-label-here udp 1,2,3,.*,40000 in 192.0.2.0/24,2001:db8:aaaa:bbbb:cccc:dddd:eeee:0/112,198.51.100.0/25$" <<<"$OUT" \
	&& ok "--raw: a line per rule, one space between cells, lists comma-separated" || bad "--raw: $OUT"
expect_rc "policy show -o" 0 "$TA" policy show -o dir,rule,names
[ "$(head -1 <<<"$OUT" | tr -s ' ')" = "DIR RULE NAMES" ] && grep -Eq "^out +hlg +hlg.tokbox.com$" <<<"$OUT" && [ "$(wc -l <<<"$OUT")" = 4 ] \
	&& ok "-o: the columns chosen, in their order; names in their own column" || bad "-o: $OUT"
expect_rc "policy show -o with an unknown column" 2 "$TA" policy show -o rule,bogus
expect_in "-o names the unknown column and the known ones" "no column 'bogus' (RULE, PROTO, PORTS, DIR, ADDRESSES, NAMES)" "$ERR"

expect_rc "replay -o with an unknown column, before any capture is read" 2 "$TA" replay -o flow,nosuch "$tmp/none.pcap"
expect_in "the column named, not the missing capture" "replay: -o: no column 'nosuch'" "$ERR"

# replay's flows and summary (loads BPF programs)
if need_root "replay tables"; then
	python3 "$top/tests/gen_captures.py" "$tmp" >/dev/null
	same "replay's flows and summary, into a pipe" replay-basic.txt "$(cd "$tmp" && "$TA" replay basic.pcap)"
	for w in 80 132; do
		s=$(on_term $w "$TA" replay basic.pcap)
		same "replay's flows and summary, $w columns" "replay-basic-$w.txt" "$s"
	done
	# at 80 the default columns need more than 80 (-o chooses fewer); at 132 they fit
	long=$(awk 'length > 132' <<<"$s")
	[ -z "$long" ] && ok "replay: nothing past column 132, NOTES wrapped" || bad "replay past column 132: $long"
	grep -Eq '^ {50,}from 198\.18\.0\.1$' <<<"$s" && ok "the ICMP note wraps inside its column" || bad "notes: $s"
	s=$(on_term 80 "$TA" replay -o flow,verdict,rule,pkts-out,pkts-in basic.pcap)
	long=$(awk 'length > 80' <<<"$s")
	[ -z "$long" ] && ok "replay -o: five columns fit 80" || bad "replay -o past column 80: $long"
	expect_rc "replay --raw -o" 0 "$TA" replay --raw --noheadings -o proto,local,remote,pkts-out,bytes-out --sort bytes -n 1 "$tmp/basic.pcap"
	grep -qx "tcp 10.1.0.5 216.151.209.20:443 2 108" <<<"$OUT" && ok "replay --raw: exact numbers, --sort bytes -n 1 the biggest" \
		|| bad "replay --raw: $OUT"
	expect_rc "replay --verdict unexpected --packets" 0 "$TA" replay --verdict unexpected --packets "$tmp/basic.pcap"
	n=$(grep -Ec '^ +[0-9]+  unexpected ' <<<"$OUT"); o=$(grep -Ec '^ +[0-9]+  (allowed|other|invalid) ' <<<"$OUT")
	want=$("$TA" replay --packets --json "$tmp/basic.pcap" | grep '"type":"packet"' | grep -c '"verdict":"unexpected"')
	[ "$n" = "$want" ] && [ "$o" = 0 ] && [ "$n" -gt 0 ] && ok "--verdict on packets: the $want unexpected frames, no other" || bad "packets: $n of $want, $o others: $OUT"
	expect_rc "replay --remote and --proto on packets" 0 "$TA" replay --packets --json --remote 216.151.209.15 --proto tcp "$tmp/basic.pcap"
	python3 -c '
import json, sys
recs = [json.loads(l) for l in sys.stdin]
pk = [r for r in recs if r["type"] == "packet"]
fl = [r for r in recs if r["type"] == "flow"]
assert pk and all(r["remote"] == "216.151.209.15" and r["proto"] == "tcp" for r in pk), pk
assert fl and all(r["remote"] == "216.151.209.15" and r["proto"] == "tcp" for r in fl), fl
s = [r for r in recs if r["type"] == "summary"][0]
assert s["frames"] == 29 and s["flows"] == 13, s
' <<<"$OUT" && ok "--remote and --proto choose frames and flows; the summary counts all" || bad "--remote/--proto: $OUT"
	expect_rc "replay --state bogus" 2 "$TA" replay --state bogus "$tmp/basic.pcap"
	expect_in "--state names the accepted states" "no state 'bogus' (" "$ERR"
fi
