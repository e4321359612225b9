#!/usr/bin/env bash
# The command line: help on every command, exit codes, policy check/show.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/tokaudit-cli.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT

expect_rc "tokaudit --help exits 0" 0 "$TA" --help && expect_in "--help lists commands" "policy check" "$OUT"
expect_rc "no command is a usage error" 2 "$TA"
expect_rc "unknown command is a usage error" 2 "$TA" frobnicate && expect_in "unknown command named" "frobnicate: unknown command" "$ERR"
expect_rc "--dns-ttl-min above --dns-ttl-max is a usage error" 2 "$TA" run -i lo --dns-ttl-min 100 --dns-ttl-max 10 \
	&& expect_in "...both named" "run: --dns-ttl-min (100 s) is above --dns-ttl-max (10 s)" "$ERR"
expect_rc "a --dns-ttl-min of 0 is refused" 2 "$TA" run -i lo --dns-ttl-min 0
expect_rc "unknown global option" 2 "$TA" --frob
# every command, once: the checks below go through this list
commands=("policy check" "policy show" "replay" "version" "run" "attach" "detach" "status" "flows" "stats" "reload" "why" "probe" "policy verify" "serve" "ipfix elements")
for c in "${commands[@]}"; do
	# shellcheck disable=SC2086
	expect_rc "$c --help exits 0" 0 "$TA" $c --help && expect_in "$c --help has a usage line" "Usage: tokaudit $c" "$OUT"
done
expect_rc "policy --help lists subcommands" 0 "$TA" policy --help

# server names: a "*." pattern, rules of names only (vonage.policy), what
# probe and verify do with patterns, and the note when packets are judged
expect_rc "policy check vonage.policy" 0 "$TA" policy check "$top/user/vonage.policy" \
	&& expect_in "...5 rules of names only" "valid: 5 rules, 0 addresses (0 distinct prefixes in the trie), 9 server-name patterns" "$OUT"
"$TA" policy show "$top/user/vonage.policy" >"$tmp/v2.policy"
expect_rc "policy show prints a rule of names only back as a valid file" 0 "$TA" policy check -q "$tmp/v2.policy"
absent "...with no empty addr line" "^ *addr *$" cat "$tmp/v2.policy"
[ "$("$TA" policy show --json "$top/user/vonage.policy")" = "$("$TA" policy show --json "$tmp/v2.policy")" ] \
	&& ok "...and the same policy" || bad "policy show of vonage.policy does not read back the same"
: >"$tmp/empty.hosts"
expect_rc "policy verify of patterns" 0 "$TA" policy verify --hosts "$tmp/empty.hosts" "$top/user/vonage.policy" \
	&& expect_in "...says a pattern is not resolved" "pattern: rule minimum: *.tokbox.com is a pattern: no name of it to resolve here" "$OUT" \
	&& expect_in "...resolves the names it can" "unresolved: rule certificates: oscp.godaddy.com does not resolve" "$OUT"
printf 'rule r\n proto tcp\n ports 443\n dir out\n names a.*.opentok.com\n' >"$tmp/bad-star.policy"
expect_rc "a '*' inside a name" 1 "$TA" policy check "$tmp/bad-star.policy" \
	&& expect_in "...is refused where it stands" "bad-star.policy:5:10: error: bad server name 'a.*.opentok.com': '*' stands only as the first label" "$OUT$ERR"
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))' >"$tmp/empty.pcap"
if need_root "replay with a rule of names only"; then
	absent "replay with vonage.policy: its rules of names only are learned from DNS, no note" "note:|none matches" \
		"$TA" replay --policy "$top/user/vonage.policy" "$tmp/empty.pcap"
fi

# errors in one voice: "tokaudit: SUBJECT: what went wrong", the subject
# (a command, an interface, an option, a part) first, as ip and nft say it;
# a sample of each kind, every one a failure
voice_bad=""
while IFS='|' read -r want args; do
	# shellcheck disable=SC2086
	e=$(TOKAUDIT_PIN_ROOT=/tmp/tokaudit-cli-nopins.$$ "$TA" $args 2>&1 >/dev/null); rc=$?
	line=$(head -1 <<<"$e")
	{ [ "$rc" -ne 0 ] && [[ $line == "tokaudit: $want: "* ]]; } || voice_bad+=" ['$args' (exit $rc): $line]"
done <<SAMPLE
frobnicate|frobnicate
nope0|run -i nope0
run|run -i lo --duration x
flows|flows -o bogus
policy|policy
interfaces|status
replay|replay $tmp/none.pcap
SAMPLE
[ -z "$voice_bad" ] && ok "errors say their subject first: a command, an interface, an option, a part" || bad "errors:$voice_bad"

# help an admin reads at 80 columns: nothing wider, every command's line
# whole, 2-4 examples each, 'help COMMAND' the same as 'COMMAND --help',
# -v only where libbpf speaks
wide=""
nex_bad=""
for c in "" "${commands[@]}"; do
	# shellcheck disable=SC2086
	h=$("$TA" $c --help)
	w=$(awk 'length($0) > 80 { print length($0) ": " $0; exit }' <<<"$h")
	[ -n "$w" ] && wide+=" [${c:-tokaudit}: $w]"
	[ -z "$c" ] && continue
	n=$(sed -n '/^Examples:/,/^$/p' <<<"$h" | grep -c '^  [^ ]')
	{ [ "$n" -ge 2 ] && [ "$n" -le 4 ]; } || nex_bad+=" [$c: $n]"
	# shellcheck disable=SC2086
	[ "$("$TA" help $c)" = "$h" ] || bad "'tokaudit help $c' differs from '$c --help'"
done
[ -z "$wide" ] && ok "every --help fits 80 columns" || bad "wider than 80:$wide"
[ -z "$nex_bad" ] && ok "every command's --help ends with 2 to 4 examples" || bad "examples:$nex_bad"
expect_rc "tokaudit help" 0 "$TA" help && expect_in "help lists the commands" "Commands:" "$OUT"
n=$("$TA" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { n++ } on && /^$/ { on = 0 } END { print n }')
[ "$n" = ${#commands[@]} ] && ok "--help lists the ${#commands[@]} commands" || bad "--help lists $n commands, not ${#commands[@]}"
absent "-v absent where nothing loads BPF" "--verbose" "$TA" policy check --help
expect_in "-v kept where libbpf speaks" "--verbose" "$("$TA" run --help)"
expect_rc "policy check -v is refused" 2 "$TA" policy check -v x.policy
expect_rc "a typo of a command" 2 "$TA" rnu && expect_in "closest command suggested" "did you mean 'run'?" "$ERR"
expect_rc "a typo of an option" 2 "$TA" run --interfce eth0 && expect_in "closest option suggested" "did you mean '--interface'?" "$ERR"
expect_rc "nothing close to a made-up word" 2 "$TA" frobnicate && absent "no suggestion for it" "did you mean" echo "$ERR"
expect_rc "help of an unknown command" 2 "$TA" help frob
expect_rc "policy without subcommand" 2 "$TA" policy
expect_rc "policy with a bad subcommand" 2 "$TA" policy frob
expect_rc "version" 0 "$TA" version && expect_in "version prints it" "tokaudit " "$OUT"
v=$OUT
expect_rc "--version, as every packaged tool answers it" 0 "$TA" --version && [ "$OUT" = "$v" ] && ok "--version prints what 'version' does" || bad "--version: $OUT"
expect_rc "-v --version" 0 "$TA" -v --version
expect_rc "unknown option of a command" 2 "$TA" policy show --frob && expect_in "unknown option named" "unknown option '--frob'" "$ERR"
expect_rc "missing argument" 2 "$TA" policy check
expect_rc "extra argument" 2 "$TA" policy check a b
expect_rc "option value out of range" 2 "$TA" replay --flows 5 x.pcap && expect_in "range named" "--flows takes a number" "$ERR"
expect_rc "option without value" 2 "$TA" replay x.pcap --policy

# which policy a command judges by without --policy: $TOKAUDIT_POLICY (the
# installed file's turn is tested in the container of systemd.test.sh)
printf 'rule mine\n proto udp\n ports 7\n dir out\n addr 192.0.2.7\n' > "/tmp/ta-cli-$$.policy"
expect_rc "TOKAUDIT_POLICY=FILE: policy show prints that file" 0 env TOKAUDIT_POLICY="/tmp/ta-cli-$$.policy" "$TA" policy show
expect_in "...its rule" "rule mine" "$OUT"
expect_in "...and names it on stderr" "policy /tmp/ta-cli-$$.policy (from TOKAUDIT_POLICY)" "$ERR"
expect_rc "TOKAUDIT_POLICY=built-in: the built-in one, nothing said" 0 env TOKAUDIT_POLICY=built-in "$TA" policy show
expect_in "...rule media" "rule media" "$OUT"
[ -z "$ERR" ] && ok "...no note" || bad "policy show said: $ERR"
expect_rc "TOKAUDIT_POLICY naming a missing file: an error" 1 env TOKAUDIT_POLICY=/nonexistent.policy "$TA" policy show
expect_in "...naming it" "/nonexistent.policy" "$ERR"
rm -f "/tmp/ta-cli-$$.policy"

# policy show / check on the built-in policy
expect_rc "policy show" 0 "$TA" policy show
expect_in "show prints the media rule" "rule media" "$OUT"
expect_in "show keeps port purposes as comments" "# TCP/5560" "$OUT"
expect_rc "policy show --table" 0 "$TA" policy show --table && expect_in "table has hlg" "216.151.209.20 216.151.209.15" "$OUT"
# the table's columns line up whatever the widths: the header's ADDRESSES,
# every rule's first address and every server name start in one column
aligned() {
	python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
col = lines[0].index("ADDRESSES")
for l in lines[1:]:
    if l.startswith(" "):
        assert len(l) - len(l.lstrip(" ")) == col, (col, l)
    else:
        assert l[col - 1] == " " and l[col] != " " and l[:col].strip() == l[:col].rstrip(), (col, l)
'
}
aligned <<<"$OUT" && ok "policy table: names under the addresses, columns aligned" || bad "policy table misaligned: $(head -4 <<<"$OUT")"
printf 'rule a-rather-long-rule-label-here\n proto udp\n ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18\n dir in\n addr 192.0.2.0/24\n names x.example\n\nrule b\n proto tcp\n ports 80\n dir out\n addr 198.51.100.7\n names y.example z.example\n' >"$tmp/wide.policy"
expect_rc "policy show --table of wide cells" 0 "$TA" policy show --table "$tmp/wide.policy"
aligned <<<"$OUT" && ok "wide labels and port lists: still aligned" || bad "wide table misaligned: $OUT"
expect_rc "policy show --json" 0 "$TA" policy show --json
python3 -c 'import json,sys; d=json.load(sys.stdin); r={x["label"]:x for x in d["rules"]}; assert list(r)==["media","control","hlg"]; assert r["media"]["ports"]==[[1025,65535]]; assert r["hlg"]["dir"]=="out"; assert "216.151.209.15" in r["hlg"]["addr"]' <<<"$OUT" \
	&& ok "show --json has the three rules" || bad "show --json content"
"$TA" policy show > "$tmp/builtin.policy"
expect_rc "shown policy checks valid" 0 "$TA" policy check "$tmp/builtin.policy" && expect_in "summary" "valid: 3 rules" "$OUT"
expect_rc "show of the shown policy is the same" 0 "$TA" policy show "$tmp/builtin.policy"
[ "$OUT" = "$(cat "$tmp/builtin.policy")" ] && ok "show round-trips" || bad "show round-trips"

# broken policies: every error, file:line:col, exit 1
printf 'rule media\n proto udp\n ports 1025\xe2\x80\x9365536\n dir both\n addr 70.42.47.65/26\n\nrule media\n proto tcp\n ports 80\n dir sideways\n addr 10.0.0.0/8\n' > "$tmp/bad.policy"
expect_rc "broken policy exits 1" 1 "$TA" policy check "$tmp/bad.policy"
expect_in "65536 named with line and column" "bad.policy:3:13: error: port 65536 out of range" "$ERR"
expect_in "host bits explained" "bad.policy:5:7: error: bad address '70.42.47.65/26': host bits set; the network address is 70.42.47.64/26" "$ERR"
expect_in "duplicate label" "bad.policy:7:6: error: duplicate rule label 'media' (first defined at line 1)" "$ERR"
expect_in "bad direction" "bad.policy:10:6: error: unknown direction 'sideways'" "$ERR"
expect_in "error count" "4 errors, policy not loaded" "$ERR"
expect_rc "missing policy file exits 1" 1 "$TA" policy check "$tmp/none.policy" && expect_in "missing file named" "cannot open policy: No such file or directory" "$ERR"
expect_rc "a directory as policy exits 1" 1 "$TA" policy check "$tmp"
head -c 3000 /dev/urandom > "$tmp/random.policy"
expect_rc "binary garbage exits 1" 1 "$TA" policy check "$tmp/random.policy"
printf 'rule a\n proto udp\n ports 1\n dir in\n addr 10.0.0.0/8\n' | { expect_rc "policy from stdin" 0 "$TA" policy check -; }

# the IPFIX element list in the README is what the binary exports
expect_rc "ipfix elements" 0 "$TA" ipfix elements
miss=$(while IFS= read -r l; do grep -qxF -- "$l" "$(dirname "$0")/../README.md" || echo "$l"; done <<<"$OUT")
[ -z "$miss" ] && ok "README lists every IPFIX element as 'ipfix elements' prints it" || bad "README lacks: $miss"
expect_rc "ipfix elements --format xml" 0 "$TA" ipfix elements --format xml --enterprise 53412
python3 -c 'import sys, xml.dom.minidom as m; d = m.parseString(sys.stdin.read()); r = d.getElementsByTagName("record"); assert len(r) == 12 and all(x.getElementsByTagName("enterpriseId")[0].firstChild.data == "53412" for x in r)' <<<"$OUT" \
	&& ok "the XML registry parses: 12 enterprise elements under the number given" || bad "xml: $OUT"
expect_rc "ipfix elements --format bogus" 2 "$TA" ipfix elements --format bogus
expect_rc "serve --ipfix without a port" 2 "$TA" serve -i lo --ipfix 10.0.0.9
expect_in "the bad collector named" "give HOST:PORT" "$ERR"
expect_rc "serve --ipfix with a bad transport" 2 "$TA" serve -i lo --ipfix 10.0.0.9:4739,sctp
expect_in "the transports named" "tcp or udp, not 'sctp'" "$ERR"
expect_rc "serve with three collectors" 2 "$TA" serve -i lo --ipfix 10.0.0.9:1 --ipfix 10.0.0.9:2 --ipfix 10.0.0.9:3
if command -v nfdump >/dev/null; then
	f=$("$TA" policy show --nfdump-filter)
	nfdump -Z "$f" >/dev/null 2>&1 && ok "nfdump accepts the built-in policy's filter" || bad "nfdump -Z: $(nfdump -Z "$f" 2>&1 | head -2)"
else
	bad "nfdump missing: run scripts/deps.sh"
fi
