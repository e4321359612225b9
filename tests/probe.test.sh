#!/usr/bin/env bash
# tokaudit probe and policy verify in the lab, never towards real servers:
# --hosts maps the policy's names to lab hosts.  Servers listen on some ports
# and not on others, nftables in the gateway drops or rejects some, and
# tokaudit attached on the gateway explains the failures.
set -u
. "$(dirname "$0")/lib.sh"
need_root "probe lab tests" || exit 0
lab_start tq || exit 0
ip netns exec "$LAB_GW" nft -f - <<'EOF' || bad "nftables rules"
table inet blk {
	chain filter_fwd {
		type filter hook forward priority 0; policy accept;
		oifname "gwout" tcp dport 5560 drop
		oifname "gwout" tcp dport 3478 reject with icmp type admin-prohibited
		iifname "gwout" udp sport 50000 drop
	}
}
EOF
cat > "$tmp/lab.policy" <<'EOF'
rule media
    proto udp
    ports 1025-65535
    dir both
    addr 70.42.47.64/26 72.5.167.128/26
    names media[1-2].lab.test
rule control
    proto tcp
    ports 443, 3478, 4000, 5560
    dir both
    addr 70.42.47.64/26 72.5.167.128/26
    names ctl.lab.test missing.lab.test
rule hlg
    proto tcp
    ports 80, 443
    dir out
    addr 216.151.209.20
    names hlg.lab.test
EOF
cat > "$tmp/hosts" <<'EOF'
# lab names
70.42.47.70   media1.lab.test ctl.lab.test
72.5.167.140  media2.lab.test
216.151.209.20 hlg.lab.test
EOF
sleep 0.5
expect_rc "attach on the gateway's inside interface" 0 gw "$TA" attach -i gwin --side inside

expect_rc "probe with failed checks exits 1" 1 cl "$TA" probe --policy "$tmp/lab.policy" --hosts "$tmp/hosts" --timeout 1 --udp-ports 1025,50000,40000 --json --save "$tmp/run.json"
printf '%s\n' "$OUT" > "$tmp/out.json"
res() { # name port proto -> result
	python3 -c "
import json,sys
r = json.load(open('$tmp/out.json'))
m = [c for c in r['checks'] if c['name'] == '$1' and c['port'] == $2 and c['proto'] == '$3']
print(m[0]['result'] if m else 'missing')"
}
field() { python3 -c "
import json,sys
r = json.load(open('$tmp/out.json'))
m = [c for c in r['checks'] if c['name'] == '$1' and c['port'] == $2 and c['proto'] == '$3']
print(m[0].get('$4') if m else 'missing')"; }
[ "$(res ctl.lab.test 443 tcp)" = ok ] && ok "tcp 443: ok" || bad "tcp 443: $(res ctl.lab.test 443 tcp)"
[ "$(field ctl.lab.test 443 tcp ms)" != None ] && ok "ok checks carry a latency" || bad "no latency"
[ "$(res ctl.lab.test 4000 tcp)" = refused ] && ok "tcp 4000 (nothing listens): refused" || bad "tcp 4000: $(res ctl.lab.test 4000 tcp)"
[ "$(res ctl.lab.test 5560 tcp)" = timeout ] && ok "tcp 5560 (dropped): timeout" || bad "tcp 5560: $(res ctl.lab.test 5560 tcp)"
[ "$(res ctl.lab.test 3478 tcp)" = unreachable ] && ok "tcp 3478 (rejected): unreachable" || bad "tcp 3478: $(res ctl.lab.test 3478 tcp)"
[ "$(field ctl.lab.test 3478 tcp icmp_type)/$(field ctl.lab.test 3478 tcp icmp_code)/$(field ctl.lab.test 3478 tcp icmp_from)" = "3/13/10.1.0.1" ] \
	&& ok "tcp 3478: ICMP 3/13 from the gateway" || bad "tcp 3478 icmp: $(field ctl.lab.test 3478 tcp icmp_type)/$(field ctl.lab.test 3478 tcp icmp_code)/$(field ctl.lab.test 3478 tcp icmp_from)"
[ "$(res media1.lab.test 1025 udp)" = ok ] && ok "udp 1025 (echo): ok" || bad "udp 1025: $(res media1.lab.test 1025 udp)"
[ "$(res media1.lab.test 50000 udp)" = "open|filtered" ] && ok "udp 50000 (replies dropped): open|filtered" || bad "udp 50000: $(res media1.lab.test 50000 udp)"
[ "$(res media2.lab.test 40000 udp)" = refused ] && ok "udp 40000 (port unreachable): refused" || bad "udp 40000: $(res media2.lab.test 40000 udp)"
[ "$(res missing.lab.test 0 tcp)" = not-in-hosts ] && ok "name missing from --hosts: not-in-hosts (not a DNS failure)" || bad "missing: $(res missing.lab.test 0 tcp)"
[ "$(res hlg.lab.test 80 tcp)" = ok ] && ok "hlg name: ok" || bad "hlg: $(res hlg.lab.test 80 tcp)"
[ "$(res 216.151.209.20 443 tcp)" = ok ] && ok "a rule's explicit address is probed" || bad "explicit address: $(res 216.151.209.20 443 tcp)"
n=$(python3 -c "import json; print(len([c for c in json.load(open('$tmp/out.json'))['checks'] if c['name'].startswith('media')]))")
[ "$n" = 6 ] && ok "media[1-2] expanded to two names, three UDP ports each" || bad "media checks: $n"
a=$(field ctl.lab.test 5560 tcp auditor)
grep -q "dropped in this host at nft_do_chain" <<<"$a" && grep -q NETFILTER_DROP <<<"$a" && ok "auditor explains the timeout: kernel drop" || bad "auditor 5560: $a"
a=$(field media1.lab.test 50000 udp auditor)
grep -q "NETFILTER_DROP" <<<"$a" && grep -q "inbound" <<<"$a" && ok "auditor explains open|filtered: replies dropped inbound" || bad "auditor udp: $a"
python3 -c "
import json; s = json.load(open('$tmp/out.json'))['summary']
assert s['control']['failed'] >= 3 and s['hlg']['failed'] == 0, s
r = s['control']['results']
assert r['refused'] >= 1 and r['timeout'] >= 1 and r['unreachable'] >= 1 and sum(r.values()) == s['control']['checks'], r
" && ok "summary per rule and by result" || bad "summary: $(python3 -c "import json; print(json.load(open('$tmp/out.json'))['summary'])")"

# save -> load round trip
expect_rc "load a saved run (with failures: exit 1)" 1 "$TA" probe --load "$tmp/run.json" --json
python3 -c "
import json,sys
a = json.load(open('$tmp/run.json')); b = json.loads(sys.stdin.read())
assert a['checks'] == b['checks'] and a['policy'] == b['policy'] and 'started' in b, 'differ'" <<<"$OUT" && ok "save/load round trip" || bad "round trip"
expect_rc "load as text: the run had failures, exit 1" 1 "$TA" probe --load "$tmp/run.json"
expect_in "text names the ICMP error" "ICMP admin-prohibited, type 3 code 13, from 10.1.0.1" "$OUT"
expect_in "text summary by result" "refused" "$(sed -n '/^Summary/,$p' <<<"$OUT")"
# exit status: what counts as a failure
expect_rc "--fail-on none: exit 0" 0 "$TA" probe --load "$tmp/run.json" --fail-on none
expect_rc "--fail-on open|filtered: the UDP silence fails" 1 "$TA" probe --load "$tmp/run.json" --fail-on 'open|filtered'
expect_rc "--fail-on a result that no check had: exit 0" 0 "$TA" probe --load "$tmp/run.json" --fail-on error
expect_rc "--fail-on bogus" 2 "$TA" probe --load "$tmp/run.json" --fail-on bogus
expect_in "--fail-on names the results" "no result 'bogus'" "$ERR"
expect_rc "the hlg rule alone: every check ok, exit 0" 0 cl "$TA" probe --policy "$tmp/lab.policy" --hosts "$tmp/hosts" --rule hlg --timeout 1
echo '{"not": "a run"}' > "$tmp/bad.json"
expect_rc "load of something else" 1 "$TA" probe --load "$tmp/bad.json"
expect_rc "probe --rule nosuch" 2 cl "$TA" probe --policy "$tmp/lab.policy" --hosts "$tmp/hosts" --rule nosuch
expect_rc "probe --udp-ports garbage" 2 "$TA" probe --udp-ports 1,x
expect_rc "probe with a missing hosts file" 1 "$TA" probe --hosts "$tmp/none"

# ICMP errors are rate-limited per destination (a burst of 6, then one a
# second): of 14 closed UDP ports probed at once, some meet silence; tried
# again one by one, every one is refused, and says it was retried
printf 'rule m\n proto udp\n ports 1025-65535\n dir both\n addr 72.5.167.128/26\n names media2.lab.test\n' >"$tmp/rl.policy"
ports=$(seq -s, 40100 40113)
expect_rc "14 closed UDP ports at once: all refused, exit 1" 1 cl "$TA" probe --policy "$tmp/rl.policy" --hosts "$tmp/hosts" \
	--udp-ports "$ports" --parallel 14 --timeout 1 --json
python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
res = [c["result"] for c in r["checks"]]
retried = [c for c in r["checks"] if c["retried"]]
assert res == ["refused"] * 14, res
assert retried and all(c["result"] == "refused" for c in retried), retried
print(len(retried))
' <<<"$OUT" >"$tmp/rl.n" && ok "rate-limited ICMP: all 14 refused, $(cat "$tmp/rl.n") of them on a retry" || bad "rate limit: $(jq_py '[(c["port"], c["result"], c["retried"]) for c in r["checks"]]' <<<"$OUT")"

# policy verify: drift is a failure
expect_rc "verify: every name inside its blocks" 0 "$TA" policy verify "$tmp/lab.policy" --hosts "$tmp/hosts"
expect_in "verify reports the unresolved name" "missing.lab.test does not resolve" "$OUT"
echo "192.0.2.10 ctl.lab.test" >> "$tmp/hosts"
expect_rc "verify: a name outside its rule's blocks" 1 "$TA" policy verify "$tmp/lab.policy" --hosts "$tmp/hosts"
expect_in "drift named" "rule control: ctl.lab.test resolves to 192.0.2.10, outside the rule's addresses" "$OUT"
expect_rc "verify --strict fails on unresolved names" 1 "$TA" policy verify "$tmp/lab.policy" --hosts "$tmp/hosts" --strict
expect_rc "verify --json" 1 "$TA" policy verify "$tmp/lab.policy" --hosts "$tmp/hosts" --json
python3 -c "import json,sys; r=json.loads(sys.stdin.read()); assert r['drift'] == 1 and any(f['kind']=='drift' and f['addr']=='192.0.2.10' for f in r['findings'])" <<<"$OUT" && ok "verify --json finding" || bad "verify json: $OUT"
expect_rc "detach" 0 gw "$TA" detach -i gwin
