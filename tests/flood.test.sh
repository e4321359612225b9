#!/usr/bin/env bash
# Floods in the lab, reconciled against an independent count.
#
# First two paced floods of new unexpected flows into a full table: at
# 50 000 a second serve must lose no event, at 10 000 a second it must also
# write every one as a line (through a FIFO, counted by a reader).  (make
# bench measures the rates above that: tests/bench/serve-events.sh.)
# The client floods through the gateway with trafgen at its full rate, every
# packet a connection never seen before (source address and port both
# counting up), into a flow table of 4096 entries, while `serve` drains the
# event ring.  nftables counters on the audited interface (netdev egress and
# ingress hooks of gwout, in the gateway namespace) sort the same packets by
# what the policy says of them; afterwards tokaudit's per-verdict and
# per-rule counters must equal them exactly, and:
#   flows_created + flow_create_failed (+ flows created by drops)
#       = connections the generators opened,
#   events_sent + events lost = events attempted (one per unexpected flow,
#       plus the kernel-drop events).
# Then the same with a steady allowed stream during the flood (all of its
# packets counted), and 100 reloads under flood (no packet classified by a
# mix of two policies, no packet lost from the counters).
set -u
. "$(dirname "$0")/lib.sh"
need_root "flood lab tests" || exit 0
command -v trafgen >/dev/null || { bad "trafgen (netsniff-ng) missing: run scripts/deps.sh"; exit 0; }

SERVE=
READER=
TG=
# trafgen's worker is a child of its own: both get the signal
stop_tg() { [ -n "$TG" ] && { pkill -INT -P "$TG"; kill -INT "$TG"; wait "$TG"; } 2>/dev/null; TG=; }
lab_cleanup_extra() {
	stop_tg
	if [ -n "$SERVE" ]; then kill -TERM "$SERVE" 2>/dev/null; wait "$SERVE" 2>/dev/null; fi
	if [ -n "$READER" ]; then kill "$READER" 2>/dev/null; wait "$READER" 2>/dev/null; fi
}
lab_start fl || exit 0

# the inet side drops what the flood sends (spoofed sources 10.1.0.10-250),
# so no answer comes back and every packet of it is counted once each way
inet_drops_spoofed
# the independent count: what the policy says of each packet at gwout.  An
# ICMP error quoting a packet of the steady stream is the stream's, as
# tokaudit charges it: an echo that comes back after the stream's socket
# closed (late, behind a flood) makes the client answer port unreachable.
# (@th offsets: the quote's protocol, its address 72.5.167.140 and port 6000,
# seen from the other end.)
ip netns exec "$LAB_GW" nft -f - <<'NFT'
table netdev cnt {
	set ot { type ipv4_addr; flags interval; elements = { 70.42.47.64/26, 72.5.167.128/26, 212.118.226.32/27 } }
	counter steady {}
	counter media {}
	counter control {}
	counter unexpected {}
	counter other {}
	counter total {}
	chain e {
		type filter hook egress device gwout priority 0;
		counter name total
		ip daddr 72.5.167.140 udp dport 6000 counter name steady accept
		ip daddr 72.5.167.140 icmp type destination-unreachable @th,136,8 17 @th,160,32 0x4805a78c @th,224,16 6000 counter name steady accept
		ip daddr @ot udp dport 1025-65535 counter name media accept
		ip daddr @ot tcp dport { 80, 443, 3478, 5560 } counter name control accept
		ip daddr @ot counter name unexpected accept
		counter name other
	}
	chain i {
		type filter hook ingress device gwout priority 0;
		counter name total
		ip saddr 72.5.167.140 udp sport 6000 counter name steady accept
		ip saddr 72.5.167.140 icmp type destination-unreachable @th,136,8 17 @th,192,32 0x4805a78c @th,240,16 6000 counter name steady accept
		ip saddr @ot udp sport 1025-65535 counter name media accept
		ip saddr @ot tcp sport { 80, 443, 3478, 5560 } counter name control accept
		ip saddr @ot counter name unexpected accept
		counter name other
	}
}
NFT
# no background frames on the audited link: static neighbours, no IPv6
ip netns exec "$LAB_GW" sysctl -qw net.ipv6.conf.gwout.disable_ipv6=1
ip netns exec "$LAB_INET" sysctl -qw net.ipv6.conf.i0.disable_ipv6=1
ip -n "$LAB_GW" neigh replace 198.18.0.2 lladdr "$(ip netns exec "$LAB_INET" cat /sys/class/net/i0/address)" dev gwout nud permanent
ip -n "$LAB_INET" neigh replace 198.18.0.1 lladdr "$(ip netns exec "$LAB_GW" cat /sys/class/net/gwout/address)" dev i0 nud permanent
nftc() { ip netns exec "$LAB_GW" nft list counter netdev cnt "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# the steady stream has a rule of its own, ahead of the built-in ones
{ printf 'rule steady\n proto udp\n ports 6000\n dir both\n addr 72.5.167.140/32\n\n'; "$TA" policy show; } >"$tmp/flood.policy"
"$TA" policy check "$tmp/flood.policy" >/dev/null || bad "flood policy does not check"

# the events go through a FIFO to a count of the paced flood's unexpected
# lines (all of them would be a gigabyte of file)
mkfifo "$tmp/ev.fifo"
nsenter --net=/run/netns/$LAB_GW "$TA" serve -i gwout --flows 4096 --policy "$tmp/flood.policy" --events "$tmp/ev.fifo" \
	--metrics off --interval 0.5 2>"$tmp/serve.err" &
SERVE=$!
for _ in $(seq 100); do
	gw "$TA" status >/dev/null 2>&1 && break
	kill -0 "$SERVE" 2>/dev/null || break
	sleep 0.1
done
gw "$TA" status >/dev/null 2>&1 && ok "serve attached (flow table 4096)" || { bad "serve did not start: $(cat "$tmp/serve.err")"; exit 0; }
# (serve waits for the FIFO's reader, its lines queued meanwhile)
{ grep -F '"rport":25,' <"$tmp/ev.fifo" | grep -c '"event":"unexpected"' >"$tmp/p25.count"; } &
READER=$!
for _ in $(seq 100); do
	grep -q "has a reader" "$tmp/serve.err" && break
	sleep 0.1
done
grep -q "has a reader" "$tmp/serve.err" && ok "serve writes to the FIFO's reader" || bad "serve found no reader: $(cat "$tmp/serve.err")"

GWMAC=$(ip netns exec "$LAB_GW" cat /sys/class/net/gwin/address)
CMAC=$(ip netns exec "$LAB_CLIENT" cat /sys/class/net/c0/address)
# flood NAME N DST PROTO DPORT [trafgen args]: N packets, each a new
# connection (source 10.1.0.10-250 and port 1024-65535 both counting up)
flood_cfg() { # dst proto dport
	local l4
	case $2 in
	udp) l4="udp(sport=1024, sport=dinc(1024, 65535), dport=$3), fill(0x41, 18)" ;;
	syn) l4="tcp(sport=1024, sport=dinc(1024, 65535), dport=$3, syn)" ;;
	esac
	printf '{ eth(da=%s, sa=%s), ipv4(sa=10.1.0.10, da=%s, ttl=64, sa[3]=dinc(10, 250)), %s }\n' \
		"$GWMAC" "$CMAC" "$1" "$l4"
}
flood() { # N dst proto dport: prints how many trafgen sent
	flood_cfg "$2" "$3" "$4" >"$tmp/f.cfg"
	ip netns exec "$LAB_CLIENT" trafgen -o c0 -i "$tmp/f.cfg" -n "$1" -P 1 2>&1 | tr -d '\r' | sed -n 's/^ *\([0-9]*\) packets outgoing.*/\1/p'
}
stats() { gw "$TA" stats -i gwout --json; }
val() { jq_py "$1" <<<"$2"; }
d() { echo $(( $(val "$1" "$s1") - $(val "$1" "$s0") )); }

# ---------- phase 0: paced floods serve keeps up with ----------
# New unexpected flows (TCP SYNs, each a new connection) into the full
# 4096-entry table, for 3 s: each event is an opened and an unexpected
# line, and the flow it pushes out a closed one.  At FLOOD_PPS: no event
# lost.  At LINES_PPS, to port 25: every one of its lines written too (the
# lines, 1 KiB each, go through a FIFO to a reader on the same two cores as
# the flood and the gateway: more than the ring's events to ask of them)
# The flows that reached the audited interface are nft's count of
# unexpected packets there (each packet a new flow): a packet the host lost
# on its way to gwout (a full backlog on a busy machine) is not tokaudit's.
paced() { # pps dport: prints how many trafgen sent, and how many nft counted at gwout
	local c0 n
	flood_cfg 70.42.47.70 syn "$2" >"$tmp/p.cfg"
	c0=$(nftc unexpected)
	n=$(ip netns exec "$LAB_CLIENT" trafgen -o c0 -i "$tmp/p.cfg" -n $(($1 * 3)) -b "$1pps" -P 1 2>&1 | tr -d '\r' \
		| sed -n 's/^ *\([0-9]*\) packets outgoing.*/\1/p')
	echo "${n:-0} $(( $(nftc unexpected) - c0 ))"
}
FLOOD_PPS=${FLOOD_PPS:-50000}
LINES_PPS=${LINES_PPS:-10000}
read -r n_lsent n_l < <(paced "$LINES_PPS" 25)
sleep 1
s0=$(stats)
read -r n_psent n_p < <(paced "$FLOOD_PPS" 24)
sleep 1.5
s1=$(stats)
p_sent=$(d 'r["counters"]["events_sent"]')
p_lost=$(( $(d 'r["counters"]["events_lost_new_flow"]') + $(d 'r["counters"]["events_lost_unexpected"]') ))
echo "# paced floods: trafgen sent $n_lsent at ${LINES_PPS}/s ($n_l at gwout), $n_psent at ${FLOOD_PPS}/s ($n_p at gwout); events sent $p_sent, lost $p_lost"
# the flood must have reached the gateway's audited side for the rate to be tested
[ "$n_p" -ge $((n_psent * 9 / 10)) ] && [ "$n_psent" -ge $((FLOOD_PPS * 3)) ] && ok "the paced flood reached gwout ($n_p of $n_psent)" \
	|| bad "paced flood: $n_p of $n_psent packets reached gwout (trafgen asked $((FLOOD_PPS * 3)))"
[ "$p_lost" = 0 ] && [ "$p_sent" -ge "$n_p" ] && ok "a flood of ${FLOOD_PPS} new flows/s: serve kept up, no event lost ($p_sent sent)" \
	|| bad "paced flood: $p_lost events lost, $p_sent sent of $n_p"

# ---------- phase 1: four floods at full rate, steady traffic before and after ----------
ip netns exec "$LAB_GW" nft reset counters table netdev cnt >/dev/null
s0=$(stats)
peer "$LAB_CLIENT" udp 72.5.167.140 6000 200 >/dev/null
t0=$(date +%s.%N)
n_media=$(flood 200000 70.42.47.70 udp 5000)
n_ctl=$(flood 100000 212.118.226.40 syn 443)
n_unexp=$(flood 100000 70.42.47.70 syn 22)
# a reader that stalls: the ring fills and the rest of the events are lost, counted
kill -STOP "$SERVE"
n_unexp2=$(flood 100000 70.42.47.70 syn 23)
kill -CONT "$SERVE"
n_other=$(flood 100000 192.0.2.10 udp 5000)
t1=$(date +%s.%N)
peer "$LAB_CLIENT" udp 72.5.167.140 6000 200 >/dev/null
sleep 1
s1=$(stats)
sent=$((n_media + n_ctl + n_unexp + n_unexp2 + n_other))
[ "$sent" = 600000 ] && ok "trafgen sent 600000 packets in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s" || bad "trafgen sent $sent"
allowed=$(d 'r["verdicts"]["allowed"]["packets"]')
unexp=$(d 'r["verdicts"]["unexpected"]["packets"]')
other=$(d 'r["verdicts"]["other"]["packets"]')
invalid=$(d 'r["verdicts"]["invalid"]["packets"]')
c_steady=$(nftc steady) c_media=$(nftc media) c_ctl=$(nftc control) c_unexp=$(nftc unexpected) c_other=$(nftc other) c_total=$(nftc total)
echo "# tokaudit allowed $allowed unexpected $unexp other $other invalid $invalid; nft steady $c_steady media $c_media control $c_ctl unexpected $c_unexp other $c_other total $c_total"
[ "$allowed" = $((c_steady + c_media + c_ctl)) ] && ok "allowed packets = nft ($allowed)" || bad "allowed $allowed, nft $((c_steady + c_media + c_ctl))"
[ "$unexp" = "$c_unexp" ] && ok "unexpected packets = nft ($unexp)" || bad "unexpected $unexp, nft $c_unexp"
[ "$other" = "$c_other" ] && ok "other packets = nft ($other)" || bad "other $other, nft $c_other"
[ "$invalid" = 0 ] && [ $((allowed + unexp + other)) = "$c_total" ] && ok "every packet has one verdict ($c_total)" || bad "sum $((allowed + unexp + other + invalid)), nft total $c_total"
[ "$(d 'r["rules"]["steady"]["packets"]')" = "$c_steady" ] && [ "$c_steady" -ge 800 ] && ok "rule steady = nft ($c_steady)" || bad "steady $(d 'r["rules"]["steady"]["packets"]'), nft $c_steady"
[ "$(d 'r["rules"]["media"]["packets"]')" = "$c_media" ] && ok "rule media = nft ($c_media)" || bad "media $(d 'r["rules"]["media"]["packets"]'), nft $c_media"
[ "$(d 'r["rules"]["control"]["packets"]')" = "$c_ctl" ] && ok "rule control = nft ($c_ctl)" || bad "control $(d 'r["rules"]["control"]["packets"]'), nft $c_ctl"

created=$(d 'r["counters"]["flows_created"]')
failed=$(d 'r["counters"]["flow_create_failed"]')
by_drops=$(d 'r["counters"]["flows_created_by_drops"]')
kdrops=$(d 'r["counters"]["kernel_drops"]')
opened=$((n_media + n_ctl + n_unexp + n_unexp2 + 2))
echo "# flows created $created, failed $failed, created by drops $by_drops, kernel drops $kdrops; connections opened $opened"
[ "$created" -gt 4096 ] && ok "the flood overflowed the 4096-entry table ($created flows)" || bad "only $created flows"
[ $((created + failed + by_drops)) = "$opened" ] \
	&& ok "flows_created + flow_create_failed + by drops = connections opened ($opened)" \
	|| bad "flows $created + $failed + $by_drops != $opened"
ev_sent=$(d 'r["counters"]["events_sent"]')
ev_lost=$(( $(d 'r["counters"]["events_lost_new_flow"]') + $(d 'r["counters"]["events_lost_unexpected"]') + $(d 'r["counters"]["events_lost_kernel_drop"]') ))
kdrop_ev=$(( kdrops - $(d 'r["counters"]["drop_events_rate_bounded"]') ))
echo "# events sent $ev_sent, lost $ev_lost; unexpected flows $c_unexp, drop events attempted $kdrop_ev"
[ "$ev_lost" -gt 0 ] && ok "with the reader stopped the ring filled: $ev_lost events lost, counted" || bad "no event lost with the reader stopped"
# serve's programs report unexpected flows (allowed ones are found by the
# table walk) and kernel drops; each unexpected tuple opened one flow
[ $((ev_sent + ev_lost)) = $((c_unexp + kdrop_ev)) ] \
	&& ok "events_sent + events lost = events attempted ($((ev_sent + ev_lost)))" \
	|| bad "events $ev_sent + $ev_lost != $c_unexp unexpected + $kdrop_ev drops"
kill -0 "$SERVE" 2>/dev/null && ok "serve survived the flood" || bad "serve died: $(tail -3 "$tmp/serve.err")"

# ---------- phase 2: a steady allowed stream during a flood, all of it counted ----------
ip netns exec "$LAB_GW" nft reset counters table netdev cnt >/dev/null
s0=$(stats)
peer "$LAB_CLIENT" stream 72.5.167.140 6000 4 --pps 1000 >"$tmp/stream" &
sp=$!
sleep 0.5
n2=$(flood 1500000 70.42.47.70 udp 5000)
wait "$sp"
sleep 1
s1=$(stats)
c_steady=$(nftc steady) c_media=$(nftc media)
st=$(d 'r["rules"]["steady"]["packets"]')
ssent=$(jq_py 'r["sent"]' <"$tmp/stream")
echo "# during a flood of $n2: stream sent $ssent, steady at gwout $c_steady (nft), tokaudit $st; ICMP errors charged to a flow $(d 'r["counters"]["icmp_errors_attributed"]')"
[ "$st" = "$c_steady" ] && [ "$st" -ge "$ssent" ] && ok "steady stream during the flood: every packet counted ($st)" \
	|| bad "steady: tokaudit $st, nft $c_steady, sent $ssent"
[ "$(d 'r["rules"]["media"]["packets"]')" = "$c_media" ] && ok "media during the flood = nft ($c_media)" || bad "media $(d 'r["rules"]["media"]["packets"]'), nft $c_media"
r=$(peer "$LAB_CLIENT" udp 72.5.167.140 6000 100)
[ "$(jq_py 'r["received"]' <<<"$r")" = 100 ] && ok "after the flood allowed traffic flows (100/100 echoed)" || bad "after: $r"

# ---------- phase 3: 100 reloads under flood ----------
# A allows udp 5000 to the first block, B udp 6000 to the second.  The flood
# goes to both; a packet classified by A's prefixes with B's ports (or the
# reverse) would be unexpected.
printf 'rule a\n proto udp\n ports 5000\n dir both\n addr 70.42.47.64/26\n' >"$tmp/A.policy"
printf 'rule b\n proto udp\n ports 6000\n dir both\n addr 72.5.167.128/26\n' >"$tmp/B.policy"
gw "$TA" reload -i gwout -p "$tmp/A.policy" >/dev/null || bad "reload A"
{ flood_cfg 70.42.47.70 udp 5000; flood_cfg 72.5.167.140 udp 6000; } >"$tmp/ab.cfg"
ip netns exec "$LAB_GW" nft reset counters table netdev cnt >/dev/null
s0=$(stats)
g0=$(val 'r["generation"]' "$s0")
ip netns exec "$LAB_CLIENT" trafgen -o c0 -i "$tmp/ab.cfg" -P 1 >/dev/null 2>&1 &
TG=$!
sleep 0.5
fails=0
t0=$(date +%s.%N)
for i in $(seq 100); do
	if [ $((i % 2)) = 1 ]; then p=B; else p=A; fi
	gw "$TA" reload -i gwout -p "$tmp/$p.policy" >/dev/null 2>>"$tmp/reload.err" || fails=$((fails + 1))
done
t1=$(date +%s.%N)
sleep 0.5
stop_tg
sleep 1
s1=$(stats)
g1=$(val 'r["generation"]' "$s1")
[ "$fails" = 0 ] && [ $((g1 - g0)) = 100 ] && ok "100 reloads under flood in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (generation $g0 -> $g1)" \
	|| bad "reloads: $fails failed, generation $g0 -> $g1: $(head -3 "$tmp/reload.err")"
allowed=$(d 'r["verdicts"]["allowed"]["packets"]')
unexp=$(d 'r["verdicts"]["unexpected"]["packets"]')
other=$(d 'r["verdicts"]["other"]["packets"]')
ra=$(d 'r["rules"]["a"]["packets"]' 2>/dev/null || echo x)
c_total=$(nftc total)
echo "# under reloads: allowed $allowed (a $ra), other $other, unexpected $unexp; nft total $c_total"
[ "$unexp" = 0 ] && [ "$allowed" -gt 10000 ] && [ "$other" -gt 10000 ] \
	&& ok "no packet saw a mix of two policies (allowed $allowed, other $other, unexpected 0)" \
	|| bad "mixed: allowed $allowed other $other unexpected $unexp"
[ $((allowed + other + unexp)) = "$c_total" ] && ok "no packet lost from the counters across 100 reloads ($c_total)" \
	|| bad "counted $((allowed + other + unexp)), nft $c_total"
kill -0 "$SERVE" 2>/dev/null && ok "serve survived the reloads" || bad "serve died: $(tail -3 "$tmp/serve.err")"

# serve stops, and the reader counts the paced flood's lines (the full-rate
# floods after it fill the queue of lines: those are counted, not checked)
kill -TERM "$SERVE" 2>/dev/null
wait "$SERVE" 2>/dev/null
SERVE=
wait "$READER" 2>/dev/null
READER=
p_lines=$(cat "$tmp/p25.count" 2>/dev/null)
[ "$p_lines" = "$n_l" ] && ok "a flood of ${LINES_PPS} new flows/s: every flow written as an unexpected line ($p_lines)" \
	|| bad "unexpected lines for the ${LINES_PPS}/s flood: ${p_lines:-none}, flows $n_l"
