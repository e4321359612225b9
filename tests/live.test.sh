#!/usr/bin/env bash
# tokaudit run on the lab's gateway (scripts/lab.sh), end to end: real
# traffic, and the reported counts checked against independent ones (the
# traffic generator's own, and nftables counters with equivalent sets in the
# gateway namespace).  Everything it makes is removed on every exit path.
set -u
. "$(dirname "$0")/lib.sh"
need_root "live lab tests" || exit 0
lab_cleanup_extra() { [ -n "${TAPID:-}" ] && kill "$TAPID" 2>/dev/null; }
lab_start ta || exit 0
ip netns exec "$LAB_CLIENT" ping -c1 -W2 70.42.47.70 >/dev/null && ok "lab up: the client reaches a media address" || bad "lab up: no path from the client"


# nftables in the gateway: the built-in policy's rules as counters
nft_setup() {
	ip netns exec "$LAB_GW" nft -f - <<'EOF'
table inet ta {
	counter media {}
	counter control {}
	counter hlg {}
	counter policy_out {}
	counter policy_in {}
	counter ww_in {}
	counter ww_out {}
	set blocks { type ipv4_addr; flags interval; elements = { 70.42.47.64/26, 72.5.167.128/26, 212.118.226.32/27 } }
	set hlgs { type ipv4_addr; elements = { 216.151.209.20, 216.151.209.15 } }
	chain tally {
		type filter hook forward priority 0; policy accept;
		oifname "gwout" ip daddr @blocks udp dport 1025-65535 counter name media
		iifname "gwout" ip saddr @blocks udp sport 1025-65535 counter name media
		oifname "gwout" ip daddr @blocks tcp dport { 80, 443, 3478, 5560 } counter name control
		iifname "gwout" ip saddr @blocks tcp sport { 80, 443, 3478, 5560 } counter name control
		oifname "gwout" ip daddr @hlgs tcp dport { 80, 443 } ct direction original counter name hlg
		iifname "gwout" ip saddr @hlgs tcp sport { 80, 443 } ct direction reply counter name hlg
		oifname "gwout" ip daddr @blocks counter name policy_out
		oifname "gwout" ip daddr @hlgs counter name policy_out
		iifname "gwout" ip saddr @blocks counter name policy_in
		iifname "gwout" ip saddr @hlgs counter name policy_in
		iifname "gwout" ip saddr 216.151.209.15 tcp sport 443 ip daddr 10.1.0.5 tcp dport 8080 counter name ww_in
		oifname "gwout" ip daddr 216.151.209.15 tcp dport 443 ip saddr 10.1.0.5 tcp sport 8080 counter name ww_out
	}
}
EOF
}
nft_count() { ip netns exec "$LAB_GW" nft -j list counter inet ta "$1" | python3 -c 'import json,sys; print([o["counter"]["packets"] for o in json.load(sys.stdin)["nftables"] if "counter" in o][0])'; }

# start_run OUTFILE ARGS...: tokaudit run in the gateway, wait for "started"
start_run() {
	local out=$1; shift
	ip netns exec "$LAB_GW" "$TA" run -i gwout --json --interval 0.5 "$@" >"$out" 2>"$out.err" &
	TAPID=$!
	for _ in $(seq 100); do
		grep -q '"event":"started"' "$out" 2>/dev/null && return 0
		kill -0 $TAPID 2>/dev/null || break
		sleep 0.1
	done
	bad "tokaudit run did not start: $(cat "$out.err")"
	return 1
}
stop_run() {
	kill -TERM "$TAPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$TAPID" 2>/dev/null || break; sleep 0.1; done
	wait "$TAPID" 2>/dev/null; RUNRC=$?
	TAPID=
}
report() { grep '"event":"report"' "$1"; }

# ---------- audit: counts per rule against the generator and nftables ----------
nft_setup || { bad "nftables setup"; exit 0; }
if start_run "$tmp/audit.jsonl"; then
	ok "run started"
	u=$(peer "$LAB_CLIENT" udp 70.42.47.70 50000 200)
	peer "$LAB_CLIENT" tcp 212.118.226.40 443 >/dev/null
	peer "$LAB_CLIENT" tcp 72.5.167.140 3478 >/dev/null
	peer "$LAB_CLIENT" tcp 70.42.47.70 5560 >/dev/null
	peer "$LAB_CLIENT" tcp 216.151.209.20 443 >/dev/null       # hlg, outbound
	peer "$LAB_CLIENT" tcp 70.42.47.70 22 >/dev/null           # ssh to media: unexpected
	peer "$LAB_INET" tcp 10.1.0.5 8443 --src 216.151.209.15 --sport 443 --timeout 1 >/dev/null  # inbound SYN from hlg
	peer "$LAB_CLIENT" tcp 192.0.2.10 80 >/dev/null            # unrelated: other
	peer "$LAB_CLIENT" udp 72.5.167.140 1025 20 >/dev/null     # the edge port
	sleep 1
	stop_run
	[ "$RUNRC" -eq 0 ] && ok "run exits 0 on SIGTERM" || bad "run exit $RUNRC: $(cat "$tmp/audit.jsonl.err")"
	rep=$(report "$tmp/audit.jsonl")
	[ -n "$rep" ] && ok "report printed on SIGTERM" || bad "no report"
	recv=$(jq_py 'r["received"]' <<<"$u")
	[ "$recv" = 200 ] && ok "udp echo: 200 of 200 (audit leaves traffic alone)" || bad "udp echo received $recv"
	m=$(jq_py '[x for x in r["compliance"] if x["rule"]=="media"][0]["packets"]' <<<"$rep")
	nm=$(nft_count media)
	[ "$m" = $((400 + 40)) ] && ok "media packets = generator's count (440)" || bad "media packets $m, generator 440"
	[ "$m" = "$nm" ] && ok "media packets = nftables ($nm)" || bad "media $m vs nftables $nm"
	for r in control hlg; do
		t=$(jq_py "[x for x in r['compliance'] if x['rule']=='$r'][0]['packets']" <<<"$rep")
		n=$(nft_count $r)
		[ "$t" = "$n" ] && [ "$t" -gt 0 ] && ok "$r packets = nftables ($n)" || bad "$r packets $t vs nftables $n"
	done
	allowed=$(jq_py 'sum(x["packets"] for x in r["compliance"])' <<<"$rep")
	unexp=$(jq_py 'r["verdicts"]["unexpected"]["packets"]' <<<"$rep")
	pol=$(( $(nft_count policy_out) + $(nft_count policy_in) ))
	[ $((allowed + unexp)) = "$pol" ] && ok "allowed + unexpected = policy packets in nftables ($pol)" || bad "allowed $allowed + unexpected $unexp != nftables $pol"
	jq_py '[f for f in r["unexpected"] if f["rport"]==22 and f["remote"]=="70.42.47.70"]' <<<"$rep" | grep -q 22 && ok "ssh to media listed as unexpected" || bad "ssh not in unexpected list"
	jq_py '[f for f in r["unexpected"] if f["remote"]=="216.151.209.15" and f["opener"]=="in"]' <<<"$rep" | grep -q 216 && ok "inbound SYN from hlg listed as unexpected" || bad "inbound hlg SYN not listed"
	jq_py '[x["exercised"] for x in r["compliance"]]' <<<"$rep" | grep -q "True, True, True" && ok "every rule exercised" || bad "exercised: $rep"
	absent "no flow for the unrelated host" '"event":"opened".*"remote":"192.0.2.10"' cat "$tmp/audit.jsonl"
	o=$(jq_py 'r["verdicts"]["other"]["packets"]' <<<"$rep")
	[ "$o" -gt 0 ] && ok "unrelated traffic counted as other ($o)" || bad "other $o"
	grep '"event":"opened"' "$tmp/audit.jsonl" | grep -q '"remote":"70.42.47.70","rport":50000,"verdict":"allowed","rule":"media"' && ok "opened event for the media flow" || bad "no opened event for media"
	grep -q '"event":"unexpected".*"rport":22' "$tmp/audit.jsonl" && ok "unexpected event for ssh" || bad "no unexpected event"
	grep -q '"state":"refused"\|"state":"closed"' "$tmp/audit.jsonl" && ok "tcp states reported" || bad "no tcp state"
	grep '"rport":50000' "$tmp/audit.jsonl" | tail -1 | grep -q '"state":"two-way"' && ok "udp echo flow is two-way" || bad "udp flow state"
fi

# ---------- a connection opened from outside, from an outbound-only rule's address and port ----------
# hlg allows TCP 443 opened from inside only: none of this connection's
# packets, the client's answers included, is allowed, and hlg carries nothing
if start_run "$tmp/ww.jsonl"; then
	peer "$LAB_CLIENT" serve 10.1.0.5 >/dev/null 2>&1 &
	sleep 0.3
	t=$(peer "$LAB_INET" tcp 10.1.0.5 8080 --src 216.151.209.15 --sport 443)
	sleep 1
	stop_run
	[ "$(jq_py 'r["result"]' <<<"$t")" = ok ] && ok "inbound-opened connection from hlg:443 completes (audit)" || bad "inbound connection: $t"
	python3 - "$tmp/ww.jsonl" "$(nft_count ww_in)" "$(nft_count ww_out)" <<'PY' \
		&& ok "inbound-opened flow from hlg:443: unexpected both ways, counts = nftables, hlg not exercised, hlg named as the other way" \
		|| bad "inbound-opened hlg flow: $(grep -v '"event":"updated"' "$tmp/ww.jsonl" | head -c 1500)"
import json, sys
nin, nout = int(sys.argv[2]), int(sys.argv[3])
ev = [json.loads(l) for l in open(sys.argv[1])]
rep = [e for e in ev if e["event"] == "report"][0]
f = [x for x in rep["unexpected"] if x["remote"] == "216.151.209.15" and x["rport"] == 443 and x["lport"] == 8080]
assert len(f) == 1, rep["unexpected"]
f = f[0]
assert (f["verdict"], f["rule"], f["rule_other_way"], f["opener"]) == ("unexpected", None, "hlg", "in"), f
assert nin >= 3 and nout >= 2, (nin, nout)
assert (f["packets_in"], f["packets_out"]) == (nin, nout), (f["packets_in"], f["packets_out"], nin, nout)
v = rep["verdicts"]
assert (v["unexpected"]["in"], v["unexpected"]["out"]) == (nin, nout), v
assert v["allowed"]["packets"] == 0, v
hlg = [x for x in rep["compliance"] if x["rule"] == "hlg"][0]
assert hlg["packets"] == 0 and not hlg["exercised"], hlg
PY
fi

# ---------- run's flow selection: events and report lists, counters whole ----------
# (userspace only: not again in the kernel matrix's guest)
if [ -z "${TA_KERNEL_VM:-}" ] && start_run "$tmp/sel.jsonl" --verdict unexpected --proto tcp; then
	peer "$LAB_CLIENT" udp 70.42.47.70 50000 20 >/dev/null
	peer "$LAB_CLIENT" tcp 70.42.47.70 22 --timeout 1 >/dev/null
	peer "$LAB_CLIENT" udp 70.42.47.70 7 5 --timeout 0.5 >/dev/null   # unexpected, but udp
	sleep 1
	stop_run
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
flows = [e for e in ev if e["event"] in ("opened", "updated", "unexpected", "closed", "dropped")]
assert flows, "no flow events"
assert all(e["verdict"] == "unexpected" and e["proto"] == "tcp" for e in flows), [e for e in flows if e["verdict"] != "unexpected" or e["proto"] != "tcp"][:2]
assert any(e["rport"] == 22 for e in flows)
rep = [e for e in ev if e["event"] == "report"][0]
assert [f["rport"] for f in rep["unexpected"]] == [22], rep["unexpected"]
media = [x for x in rep["compliance"] if x["rule"] == "media"][0]
assert media["packets"] >= 40, media
assert rep["verdicts"]["unexpected"]["packets"] > 1, rep["verdicts"]
' "$tmp/sel.jsonl" && ok "run --verdict unexpected --proto tcp: only those flows evented and listed; the counters count all" \
		|| bad "run selection: $(grep -v '"event":"updated"' "$tmp/sel.jsonl" | head -c 1500)"
fi
[ -z "${TA_KERNEL_VM:-}" ] && expect_rc "run with a bad --verdict" 2 ip netns exec "$LAB_GW" "$TA" run -i gwout --verdict maybe --duration 1
[ -z "${TA_KERNEL_VM:-}" ] && expect_in "the bad verdict named, with the accepted ones" "no verdict 'maybe' (other, allowed, unexpected, invalid, dropped)" "$ERR"

# ---------- enforce: exactly the unexpected packets dropped ----------
ip netns exec "$LAB_GW" nft flush table inet ta; ip netns exec "$LAB_GW" nft delete table inet ta; nft_setup
if start_run "$tmp/enf.jsonl" --enforce; then
	u=$(peer "$LAB_CLIENT" udp 70.42.47.70 50000 100)
	t443=$(peer "$LAB_CLIENT" tcp 212.118.226.40 443)
	t22=$(peer "$LAB_CLIENT" tcp 70.42.47.70 22 --timeout 1)
	hin=$(peer "$LAB_INET" tcp 10.1.0.5 8443 --src 216.151.209.15 --sport 443 --timeout 1)
	sleep 0.6
	stop_run
	rep=$(report "$tmp/enf.jsonl")
	[ "$(jq_py 'r["received"]' <<<"$u")" = 100 ] && ok "enforce: allowed udp all delivered" || bad "enforce: udp $u"
	[ "$(jq_py 'r["result"]' <<<"$t443")" = ok ] && ok "enforce: allowed tcp 443 connects" || bad "enforce: 443 $t443"
	[ "$(jq_py 'r["result"]' <<<"$t22")" = timeout ] && ok "enforce: ssh to media dropped (timeout)" || bad "enforce: ssh $t22"
	[ "$(jq_py 'r["result"]' <<<"$hin")" = timeout ] && ok "enforce: inbound SYN from hlg dropped" || bad "enforce: inbound $hin"
	drops=$(jq_py 'r["counters"]["policy_drops"]' <<<"$rep")
	unexp=$(jq_py 'r["verdicts"]["unexpected"]["packets"]' <<<"$rep")
	[ "$drops" = "$unexp" ] && [ "$drops" -gt 0 ] && ok "enforce: policy drops = unexpected packets ($drops)" || bad "drops $drops vs unexpected $unexp"
	jq_py 'r["dropped"]' <<<"$rep" | grep -q "'rport': 22" && ok "enforce: ssh flow in the dropped list" || bad "dropped list: $(jq_py 'r["dropped"]' <<<"$rep")"
	grep -q '"event":"dropped"' "$tmp/enf.jsonl" && ok "enforce: dropped events" || bad "no dropped event"
fi

# ---------- reload under traffic: each packet sees the old or the new policy ----------
# A allows udp 5000 to the first block, B udp 6000 to the second. A packet that
# mixed A's prefixes with B's ports (or the reverse) would be unexpected.
printf 'rule a\n proto udp\n ports 5000\n dir both\n addr 70.42.47.64/26\n' > "$tmp/A.policy"
printf 'rule b\n proto udp\n ports 6000\n dir both\n addr 72.5.167.128/26\n' > "$tmp/B.policy"
cp "$tmp/A.policy" "$tmp/cur.policy"
if start_run "$tmp/rel.jsonl" --policy "$tmp/cur.policy"; then
	peer "$LAB_CLIENT" stream 70.42.47.70 5000 3 --pps 3000 > "$tmp/s1" &
	s1=$!
	peer "$LAB_CLIENT" stream 72.5.167.140 6000 3 --pps 3000 > "$tmp/s2" &
	s2=$!
	# each SIGHUP waits for the reload before it (2 s at most): signals that
	# arrive while one is pending are one signal, and a slow guest (qemu
	# TCG) takes longer than 0.2 s to reload
	for i in $(seq 12); do
		if [ $((i % 2)) = 1 ]; then cp "$tmp/B.policy" "$tmp/cur.policy"; else cp "$tmp/A.policy" "$tmp/cur.policy"; fi
		kill -HUP "$TAPID"; sleep 0.2
		for _ in $(seq 36); do
			[ "$(grep -c '"event":"reload"' "$tmp/rel.jsonl")" -ge "$i" ] && break
			sleep 0.05
		done
	done
	printf 'rule broken\n proto udp\n' > "$tmp/cur.policy"; kill -HUP "$TAPID"; sleep 0.3
	wait $s1 $s2
	sleep 0.3
	stop_run
	rep=$(report "$tmp/rel.jsonl")
	n=$(grep -c '"event":"reload"' "$tmp/rel.jsonl")
	[ "$n" = 12 ] && ok "12 reloads done under traffic" || bad "$n reloads"
	# a slow machine may read a file that is already the one in force: that
	# reload is an unchanged one, and makes no generation
	want=$((1 + $(grep '"event":"reload"' "$tmp/rel.jsonl" | grep -c '"unchanged":false')))
	gen=$(jq_py 'r["generation"]' <<<"$rep")
	[ "$gen" = "$want" ] && ok "broken policy rejected: generation stays $want" || bad "generation $gen, want $want"
	grep -q "the running policy (generation $want) stays" "$tmp/rel.jsonl.err" && ok "broken reload explained" || bad "reload error: $(cat "$tmp/rel.jsonl.err")"
	unexp=$(jq_py 'r["verdicts"]["unexpected"]["packets"]' <<<"$rep")
	allowed=$(jq_py 'r["verdicts"]["allowed"]["packets"]' <<<"$rep")
	other=$(jq_py 'r["verdicts"]["other"]["packets"]' <<<"$rep")
	[ "$unexp" = 0 ] && [ "$allowed" -gt 1000 ] && [ "$other" -gt 1000 ] \
		&& ok "reload: no packet saw a mixed policy (allowed $allowed, other $other, unexpected 0)" \
		|| bad "reload: allowed $allowed other $other unexpected $unexp"
fi

# ---------- a blocked flow that closed before the report is still explained ----------
# (stopped 12.5 s after the flow's last packet, a closed TCP flow's 10 s idle
# limit passed: a fixed --duration left too little margin on a slow guest)
if start_run "$tmp/closed.jsonl"; then
	peer "$LAB_INET" tcp 10.1.0.5 8443 --src 216.151.209.15 --sport 443 --timeout 1 >/dev/null   # refused by the client
	sleep 12.5
	stop_run
	rep=$(report "$tmp/closed.jsonl")
	[ "$(jq_py 'r["flows_closed_idle"]' <<<"$rep")" -ge 1 ] && ok "the refused flow closed idle before the report" || bad "closed idle: $rep"
	# the one flow, tracked while open: the most tracked at once (README "Bounded memory")
	[ "$(jq_py 'r["flows_tracked_peak"]' <<<"$rep")" = 1 ] && ok "the report's flows_tracked_peak: 1" ||
		bad "flows_tracked_peak: $(jq_py 'r.get("flows_tracked_peak")' <<<"$rep")"
	jq_py '[w["diagnosis"] for w in r["why"]]' <<<"$rep" | grep -q "SYN answered by a TCP reset (refused)" \
		&& ok "report explains a flow that already closed" || bad "why after close: $(jq_py 'r["why"]' <<<"$rep")"
	python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
closed = [e for e in ev if e["event"] == "closed" and e["rport"] == 8443 or e["event"] == "closed" and e["lport"] == 8443]
assert closed and all(e["reason"] == "rst" for e in closed), closed
' "$tmp/closed.jsonl" && ok "a flow ended by a reset closes with reason rst" || bad "closed reason: $(grep '"closed"' "$tmp/closed.jsonl" | head -3)"
fi

# ---------- a churn of new flows: run walks when the tracked flows pass 1.5 tables ----------
# As serve.test.sh's churn: unexpected flows through a 4096-entry table with
# no walk due (--interval 3600); the flows the table pushed out are found by
# the walks the tracked count asks for (a walk at once past 6144 tracked),
# not only by the tracker's own sweep past 7168.  Only allowed flows' lines
# are written (the churn's are 150 000 flows).  The host runs it, not the
# kernel matrix's guests (emulated, a churn would take minutes): it tests
# run's loop, not the kernel.
if [ -z "${TA_KERNEL_VM:-}" ]; then
	inet_drops churn "udp dport 1-1000"
	if start_run "$tmp/churn.jsonl" --flows 4096 --interval 3600 --verdict allowed; then
		peer "$LAB_CLIENT" churn 70.42.47.70 3000 24 3000 >/dev/null
		stop_run
		rep=$(report "$tmp/churn.jsonl")
		op=$(jq_py 'r["flows_opened"]' <<<"$rep") pk=$(jq_py 'r["flows_tracked_peak"]' <<<"$rep")
		wk=$(jq_py 'r["flow_table_walks"]' <<<"$rep")
		churn_bounded run "$op" "$pk" "$((wk - 1))" # (the last walk is the one at exit)
	fi
	ip netns exec "$LAB_INET" nft delete table inet churn
fi

# ---------- errors ----------
expect_rc "run on a missing interface" 1 ip netns exec "$LAB_GW" "$TA" run -i nope0 --duration 1
expect_in "missing interface named" "nope0: no such interface" "$ERR"
expect_rc "run with a bad --side" 2 ip netns exec "$LAB_GW" "$TA" run -i gwout --side up
expect_rc "run with a broken policy" 1 ip netns exec "$LAB_GW" "$TA" run -i gwout --policy "$tmp/cur.policy" --duration 1
# another XDP program on the interface: refused, named, --hook tc suggested
# (the first runs until stopped: on a slow machine, or an emulated one in
# make test-kernels, loading the second takes seconds)
ip netns exec "$LAB_GW" "$TA" run -i gwout --duration 120 --json >"$tmp/first.jsonl" 2>&1 &
first=$!
for _ in $(seq 300); do grep -q started "$tmp/first.jsonl" 2>/dev/null && break; sleep 0.1; done
expect_rc "second run refused" 1 ip netns exec "$LAB_GW" "$TA" run -i gwout --duration 1
expect_in "...naming the run that audits it" "gwout is audited already by 'tokaudit run' (pid $first)" "$ERR"
# --hook tc too: it would have replaced the first run's tc filter, and taken
# the clsact qdisc away on exit
expect_rc "second run with --hook tc refused" 1 ip netns exec "$LAB_GW" "$TA" run -i gwout --hook tc --duration 1
expect_in "...likewise" "gwout is audited already by 'tokaudit run'" "$ERR"
expect_rc "detach of a running run's interface refused" 1 gw "$TA" detach -i gwout
expect_in "...naming it, --force offered" "which detaches when it stops; --force detaches anyway" "$ERR"
expect_rc "tc hook beside it works" 0 ip netns exec "$LAB_GW" "$TA" run -i gwin --hook tc --duration 0.5 --json
kill -TERM $first
wait $first
# an XDP program not ours: refused, named, --hook tc suggested
foreign_xdp "$LAB_GW" gwout on
expect_rc "run beside a foreign XDP program refused" 1 ip netns exec "$LAB_GW" "$TA" run -i gwout --duration 1
expect_in "existing program named, tc suggested" ": already has an XDP program, 'empty_xdp'" "$ERR"
expect_in "suggests --hook tc" "use --hook tc" "$ERR"
foreign_xdp "$LAB_GW" gwout off
# nothing left behind by run
left=$(ip netns exec "$LAB_GW" bpftool net show 2>/dev/null | grep -c -E 'tokaudit|driver id|generic id|clsact')
[ "$left" = 0 ] && ok "run leaves no program attached" || bad "programs left: $(ip netns exec "$LAB_GW" bpftool net show)"
# a run killed with SIGKILL: its XDP link goes with it, its tc filters stay
# until detach removes them
ip netns exec "$LAB_GW" "$TA" run -i gwout --json --duration 30 >"$tmp/killed.jsonl" 2>&1 &
k=$!
for _ in $(seq 300); do grep -q started "$tmp/killed.jsonl" 2>/dev/null && break; sleep 0.1; done
kill -KILL $k; wait $k 2>/dev/null
absent "SIGKILL: the XDP link went with the process" 'driver id|generic id' ip netns exec "$LAB_GW" bpftool net show dev gwout
ip netns exec "$LAB_GW" bpftool net show dev gwout | grep -q tokaudit_tc && ok "SIGKILL: tc filter left, as documented" || bad "no tc filter after SIGKILL?"
expect_rc "detach removes a killed run's tc filters" 0 gw "$TA" detach -i gwout
expect_in "detach says what it removed" "no pins; removed tokaudit's tc filters left behind" "$OUT"
absent "nothing left after detach" tokaudit ip netns exec "$LAB_GW" bpftool net show dev gwout
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	expect_rc "run without privileges" 1 ip netns exec "$LAB_GW" setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all "$TA" run -i gwout --duration 1
	expect_in "privilege problem named" "run as root" "$ERR"
fi
