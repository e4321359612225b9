#!/usr/bin/env bash
# serve's event stream when its output misbehaves: the events are written by
# a thread of their own, so
#  - a FIFO with no reader: the audit starts, the wait is said once, the
#    events come once a reader opens it;
#  - a reader that stops reading: the metrics still answer within 1 s, the
#    lines that do not fit the queue are counted (queue-full), serve stops;
#  - a full disk: every line in the file is whole, the failure is said once
#    and counted (write-error), and once space is back the next line starts
#    a line of its own;
#  - SIGUSR1 reopens the file (logrotate) without touching the policy;
#    SIGHUP rereads the policy and leaves the file alone;
#  - a flood: scrapes answered, RSS bound, lines that agree; a walk due
#    during a backlog waits for the events; walks take at most a quarter
#    of the time.
set -u
. "$(dirname "$0")/lib.sh"
need_root "events under pressure" || exit 0
command -v curl >/dev/null || { bad "events: curl missing (scripts/deps.sh installs it)"; exit 0; }
lab_start tev || exit 0
MPORT=9474
SERVE= RD=
lab_cleanup_extra() {
	[ -n "$SERVE" ] && kill -9 "$SERVE" 2>/dev/null
	[ -n "$RD" ] && kill -9 "$RD" 2>/dev/null
	mountpoint -q "$tmp/small" 2>/dev/null && umount "$tmp/small"
	gw "$TA" detach -i gwout >/dev/null 2>&1
}
metrics() { gw curl -sf --max-time 1 "http://127.0.0.1:$MPORT/metrics"; }
metric() { metrics | awk -v k="$1" '$1 == k {print $2}'; }
# metrics_pair BEFORE AFTER <<PY: a python check given a and b, the two
# scrapes parsed (sample -> value), and g(m, name), gwout's sample of a family
metrics_pair() {
	{
		cat <<'PY'
import sys
def parse(t):
    return {k: float(v) for k, v in (l.rsplit(" ", 1) for l in t.splitlines() if l.strip() and not l.startswith("#"))}
a, b = parse(sys.argv[1]), parse(sys.argv[2])
g = lambda m, n: m.get(n + '{interface="gwout"}')
PY
		cat
	} | python3 - "$@"
}
start_serve() { # EVENTS ARGS...
	local ev=$1; shift
	: >"$tmp/serve.err"
	nsenter --net=/run/netns/$LAB_GW "$TA" serve -i gwout --metrics 127.0.0.1:$MPORT --events "$ev" \
		--interval 0.5 "$@" 2>>"$tmp/serve.err" &
	SERVE=$!
	for _ in $(seq 100); do
		metrics >/dev/null && return 0
		sleep 0.1
	done
	bad "serve did not start: $(cat "$tmp/serve.err")"
	return 1
}
stop_serve() {
	local t0=$SECONDS
	kill -TERM "$SERVE"; wait "$SERVE"; RC=$?; SERVE=
	STOP_S=$((SECONDS - t0))
}
# scrapes N GAP: N scrapes GAP s apart; sets SLOW (over 1 s or failed) and WORST (ms)
scrapes() {
	local t0 t
	SLOW=0 WORST=0
	for _ in $(seq "$1"); do
		t0=$(date +%s%N)
		metrics >/dev/null || SLOW=$((SLOW + 1))
		t=$((($(date +%s%N) - t0) / 1000000)); [ $t -gt $WORST ] && WORST=$t
		sleep "$2"
	done
}
# whole FILE: every line of FILE is one JSON object
whole() {
	python3 - "$1" <<'PY'
import json, sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")
assert lines[-1] == b"", "the file ends inside a line"
for i, l in enumerate(lines[:-1]):
    o = json.loads(l)
    assert isinstance(o, dict) and "event" in o, (i, l[:200])
print(len(lines) - 1)
PY
}

# ---------- a FIFO with no reader ----------
mkfifo "$tmp/ev.fifo"
if start_serve "$tmp/ev.fifo"; then
	ok "FIFO without a reader: serve starts and audits (metrics answer)"
	m0=$(metrics)
	grep -q '^tokaudit_kernel_drops_total{interface="gwout",reason="NETFILTER_DROP"} 0$' <<<"$m0" &&
		grep -q '^tokaudit_flows_active{interface="gwout",verdict="unexpected",state="one-way-out"} 0$' <<<"$m0" &&
		ok "families there at 0 before anything happened (kernel drops, active flows)" || bad "families at 0: $(grep -E 'kernel_drops_total|flows_active' <<<"$m0" | head -5)"
	grep -Eq "auditing gwout: outside side, xdp\+tc \((native|skb)\), audit; policy built-in, generation 1, 3 rules" "$tmp/serve.err" &&
		ok "the start names the interface, side, hooks, mode, policy and generation" || bad "start line: $(head -c 400 "$tmp/serve.err")"
	peer "$LAB_CLIENT" udp 70.42.47.70 50000 20 >/dev/null
	sleep 1
	[ "$(metric tokaudit_events_output_waiting)" = 1 ] && ok "FIFO without a reader: waiting, as the metric says" || bad "waiting metric: $(metric tokaudit_events_output_waiting)"
	n=$(grep -c "has no reader yet" "$tmp/serve.err")
	[ "$n" = 1 ] && ok "FIFO without a reader: said once" || bad "said $n times: $(cat "$tmp/serve.err")"
	cat "$tmp/ev.fifo" >"$tmp/fifo.out" &
	RD=$!
	peer "$LAB_CLIENT" udp 70.42.47.70 65535 5 >/dev/null
	sleep 1.5
	[ "$(metric tokaudit_events_output_waiting)" = 0 ] && ok "FIFO: a reader came, nothing waits" || bad "still waiting"
	stop_serve
	wait "$RD" 2>/dev/null; RD=
	python3 - "$tmp/fifo.out" <<'PY' && ok "FIFO: the reader got every line whole, the flows from before it came too" || bad "FIFO lines: $(head -c 600 "$tmp/fifo.out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
assert ev and ev[0]["event"] == "started", ev[:1]
ports = {e.get("rport") for e in ev if e["event"] == "opened"}
assert {50000, 65535} <= ports, ports
PY
	[ "$RC" = 0 ] && ok "FIFO: serve stops cleanly" || bad "FIFO: serve exit $RC: $(cat "$tmp/serve.err")"
fi

# ---------- a reader that stops reading ----------
if start_serve "$tmp/ev.fifo"; then
	# opens the FIFO, then never reads it
	python3 -c 'import os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); time.sleep(120)' "$tmp/ev.fifo" &
	RD=$!
	peer "$LAB_CLIENT" flood 70.42.47.70 40000 >/dev/null &
	fl=$!
	scrapes 8 0.5
	wait $fl
	sleep 2
	[ $SLOW = 0 ] && ok "stalled reader: every scrape answered within 1 s (slowest $WORST ms)" || bad "stalled reader: $SLOW of 8 scrapes timed out"
	q=$(metric 'tokaudit_events_unwritten_total{cause="queue-full"}')
	[ "${q:-0}" -gt 0 ] && ok "stalled reader: the lines that did not fit are counted ($q queue-full)" || bad "queue-full: '$q'"
	stop_serve
	[ $STOP_S -le 8 ] && ok "stalled reader: serve stops anyway (${STOP_S} s)" || bad "serve took ${STOP_S} s to stop"
	grep -q "events were not written" "$tmp/serve.err" && ok "stalled reader: the loss said at exit" || bad "no loss said: $(cat "$tmp/serve.err")"
	kill -9 "$RD" 2>/dev/null; wait "$RD" 2>/dev/null; RD=
fi

# ---------- a full disk ----------
mkdir -p "$tmp/small"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$tmp/small" && dd if=/dev/zero of="$tmp/small/filler" bs=1k count=900 status=none
if mountpoint -q "$tmp/small" && start_serve "$tmp/small/ev.jsonl"; then
	peer "$LAB_CLIENT" flows 70.42.47.70 50000 400 >/dev/null
	sleep 2
	e=$(metric 'tokaudit_events_unwritten_total{cause="write-error"}')
	[ "${e:-0}" -gt 0 ] && ok "full disk: the lines that could not be written are counted ($e write-error)" || bad "write-error: '$e'"
	n=$(grep -c "writing the events file .* failed" "$tmp/serve.err")
	[ "$n" = 1 ] && ok "full disk: said once" || bad "full disk said $n times: $(head -c 400 "$tmp/serve.err")"
	w1=$(whole "$tmp/small/ev.jsonl") && ok "full disk: every line in the file whole ($w1)" || bad "full disk: a torn line: $(tail -c 300 "$tmp/small/ev.jsonl")"
	rm -f "$tmp/small/filler"
	peer "$LAB_CLIENT" flows 70.42.47.70 50000 20 >/dev/null
	sleep 1.5
	w2=$(whole "$tmp/small/ev.jsonl") && [ "$w2" -gt "$w1" ] && ok "space back: new lines, each on its own ($w1 -> $w2)" || bad "after space came back: $w1 -> ${w2:-torn}"
	grep -q "takes lines again" "$tmp/serve.err" && ok "space back: said" || bad "recovery not said"
	stop_serve
fi
mountpoint -q "$tmp/small" && umount "$tmp/small"

# ---------- SIGUSR1 reopens the events file, SIGHUP rereads the policy ----------
"$TA" policy show >"$tmp/cur.policy"
if start_serve "$tmp/ev.jsonl" --policy "$tmp/cur.policy"; then
	gen=$(metric "tokaudit_policy_generation{interface=\"gwout\"}")
	peer "$LAB_CLIENT" flows 70.42.47.70 50000 5 >/dev/null
	sleep 1
	mv "$tmp/ev.jsonl" "$tmp/ev.jsonl.1"
	kill -USR1 "$SERVE"
	sleep 0.5
	peer "$LAB_CLIENT" flows 70.42.47.70 65535 5 >/dev/null
	sleep 1.5
	[ -s "$tmp/ev.jsonl" ] && whole "$tmp/ev.jsonl" >/dev/null && ok "SIGUSR1: a new file gets the events" || bad "SIGUSR1: no new file"
	[ "$(metric "tokaudit_policy_generation{interface=\"gwout\"}")" = "$gen" ] && [ "$(metric 'tokaudit_policy_reloads_total{interface="gwout",result="ok"}')" = 0 ] \
		&& ok "SIGUSR1: the policy untouched (generation $gen, no reload)" || bad "SIGUSR1 changed the policy: $(metrics | grep -E 'generation|reloads')"
	printf 'rule extra\n proto udp\n ports 9\n dir out\n addr 192.0.2.99\n' >>"$tmp/cur.policy"
	kill -HUP "$SERVE"
	sleep 1
	[ "$(metric "tokaudit_policy_generation{interface=\"gwout\"}")" = $((gen + 1)) ] && ok "SIGHUP: the policy reread (generation $((gen + 1)))" || bad "SIGHUP: generation $(metric "tokaudit_policy_generation{interface=\"gwout\"}")"
	n=$(wc -l <"$tmp/ev.jsonl")
	grep -q '"event":"reload".*"by":"signal"' "$tmp/ev.jsonl" && ok "SIGHUP: the reload event in the same file" || bad "SIGHUP: reload event not in the current file"
	# a reload through the pins counts as one too
	"$TA" policy show >"$tmp/again.policy" # the built-in one: another than cur.policy now
	expect_rc "tokaudit reload beside serve" 0 gw "$TA" reload -i gwout -p "$tmp/again.policy"
	sleep 1.5
	[ "$(metric "tokaudit_policy_generation{interface=\"gwout\"}")" = $((gen + 2)) ] &&
		[ "$(metric 'tokaudit_policy_reloads_total{interface="gwout",result="ok"}')" = 2 ] &&
		ok "tokaudit reload: counted with SIGHUP's (2 reloads, generation $((gen + 2)))" || bad "CLI reload: $(metrics | grep -E 'generation|reloads')"
	grep -q '"event":"reload".*"by":"tokaudit reload"' "$tmp/ev.jsonl" && ok "tokaudit reload: announced as an event" || bad "no reload event for the CLI reload"
	# SIGHUP twice with one file: the second finds it in force, no new generation
	kill -HUP "$SERVE"; sleep 1; kill -HUP "$SERVE"; sleep 1
	[ "$(metric "tokaudit_policy_generation{interface=\"gwout\"}")" = $((gen + 3)) ] &&
		grep -q "policy unchanged: generation $((gen + 3)) stays" "$tmp/serve.err" &&
		ok "SIGHUP of the policy in force: no new generation (flows keep their rules), said" ||
		bad "unchanged SIGHUP: generation $(metric "tokaudit_policy_generation{interface=\"gwout\"}"): $(tail -2 "$tmp/serve.err")"
	stop_serve
fi

# ---------- a small table under many new flows: every flow reported, evicted ones with their record ----------
if start_serve "$tmp/ev3.jsonl" --flows 1024; then
	# 20 000 distinct unexpected flows (UDP 1024 is below the media range)
	peer "$LAB_CLIENT" flows 70.42.47.70 1024 20000 >"$tmp/flows3.json"
	sleep 4
	lost=$(metrics | awk '$1 ~ /^tokaudit_events_lost_total\{/ {s += $2} $1 ~ /^tokaudit_events_unwritten_total\{/ {s += $2} END {print s + 0}')
	sent=$(metric 'tokaudit_events_sent_total{interface="gwout"}') read=$(metric 'tokaudit_events_read_total{interface="gwout"}')
	[ -n "$sent" ] && [ "$sent" = "$read" ] && ok "small table: every event sent was read ($sent)" || bad "small table: sent $sent, read $read"
	stop_serve
	python3 - "$tmp/ev3.jsonl" "$tmp/flows3.json" "$lost" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
want = set(json.load(open(sys.argv[2]))["lports"])
lost = int(sys.argv[3])
seen = {e["lport"] for e in ev if e.get("rport") == 1024 and e["event"] in ("opened", "unexpected")}
miss = want - seen
print(("ok" if len(miss) <= lost else "FAIL") +
      " small table: every one of %d new flows reported, or its event counted as lost (%d missing, %d lost)" % (len(want), len(miss), lost))
ev_closed = [e for e in ev if e["event"] == "closed" and e.get("reason") == "evicted" and e.get("rport") == 1024]
bad = [e for e in ev_closed if e["verdict"] != "unexpected" or e["rule"] is not None or e["first_seen"] is None
       or e["generation"] < 1 or e["packets_out"] < 1 or e["opener"] != "out"]
print(("ok" if ev_closed and not bad else "FAIL") +
      " evicted flows reported with their own record (%d evicted, %d zeroed or wrong: %s)" % (len(ev_closed), len(bad), json.dumps(bad[:1])[:600]))
# a key used again (a source port the client reused) after its flow was
# pushed out is a new flow: each one opened, then closed, before the next
import re
order = {}
for e in ev:
    if e.get("rport") == 1024 and e["event"] in ("opened", "unexpected", "closed"):
        order.setdefault(e["lport"], []).append(e["event"][0])
bad = [(p, o) for p, o in order.items() if not re.fullmatch(r"(ou*c)*(ou*c?)", "".join(o))]
again = sum(1 for o in order.values() if o.count("o") > 1)
print(("ok" if order and not bad and again else "FAIL") + " every flow of a reused key: opened, closed, then the next (%d keys, %d used again, %d out of order: %s)" % (len(order), again, len(bad), bad[:3]))
PY
fi

# ---------- a flood of new flows through the default table ----------
# trafgen at full rate, each SYN a new unexpected flow (spoofed sources the
# inet side drops, so nothing answers): the metrics answer every scrape
# within 1 s, RSS stays within the README's bound, the reader reads every
# event the ring kept, and every flow is reported or counted as lost.
if command -v trafgen >/dev/null; then
	inet_drops_spoofed
	if start_serve "$tmp/ev4.jsonl" --interval 2; then
		GWMAC=$(ip netns exec "$LAB_GW" cat /sys/class/net/gwin/address)
		CMAC=$(ip netns exec "$LAB_CLIENT" cat /sys/class/net/c0/address)
		printf '{ eth(da=%s, sa=%s), ipv4(sa=10.1.0.10, da=70.42.47.70, ttl=64, sa[3]=dinc(10, 250)), tcp(sport=1024, sport=dinc(1024, 65535), dport=22, syn) }\n' \
			"$GWMAC" "$CMAC" >"$tmp/f.cfg"
		( scrapes 48 0.25; echo "$SLOW $WORST" >"$tmp/scrapes" ) &
		sc=$!
		N=1500000
		ip netns exec "$LAB_CLIENT" trafgen -o c0 -i "$tmp/f.cfg" -n $N -P 1 -q >/dev/null 2>&1
		wait $sc
		sleep 3
		read -r slow worst <"$tmp/scrapes"
		[ "$slow" = 0 ] && ok "flood of $N new flows: every scrape answered within 1 s (slowest $worst ms)" || bad "flood: $slow of 48 scrapes over 1 s (slowest $worst ms)"
		rss=$(awk '/VmHWM/ {print $2}' /proc/$SERVE/status)
		# README "Run as a service": RSS <= 80 MiB + 128 bytes per --flows entry (default 131072)
		bound=$(( 80 * 1024 + 131072 * 128 / 1024 ))
		[ "${rss:-999999}" -le "$bound" ] && ok "flood: peak RSS ${rss} KiB <= bound ${bound} KiB" || bad "flood: peak RSS ${rss} KiB > ${bound} KiB"
		metrics >"$tmp/m4"
		stop_serve
		python3 - "$tmp/ev4.jsonl" "$tmp/m4" "$N" <<'PY'
import json, re, sys
m = {}
for l in open(sys.argv[2]):
    if not l.startswith("#") and l.strip():
        k, v = l.rsplit(" ", 1)
        m[k] = float(v)
n = int(sys.argv[3])
sent, read = m['tokaudit_events_sent_total{interface="gwout"}'], m['tokaudit_events_read_total{interface="gwout"}']
print(("ok" if sent == read else "FAIL") + " flood: the reader read every event the ring kept (sent %d, read %d)" % (sent, read))
lost = sum(v for k, v in m.items() if k.startswith("tokaudit_events_lost_total") or k.startswith("tokaudit_events_unwritten_total"))
# a new flow's unexpected line is its opened line renamed (formatted once):
# the same bytes but the event's name and the line's time (which differs
# only where a walk opened the flow); the flow's own times always agree,
# whichever line converted them.  Each line is parsed (strict JSON), and
# kept as a digest of its other bytes: a million flows' pairs fit.
head = re.compile(r'^\{"event":"(opened|unexpected)","time":([^,]*),"time_iso":"[^"]*",')
seen, pairs, unlike = set(), {}, 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("rport") == 22 and e["event"] in ("opened", "unexpected"):
        k = (e["local"], e["lport"])
        seen.add(k)
        h = head.match(l)
        if not h:
            unlike += 1
            continue
        pairs.setdefault(k, {})[h.group(1)] = (hash(l[h.end():]), h.group(2))
both = [p for p in pairs.values() if len(p) == 2]
differ = sum(p["opened"][0] != p["unexpected"][0] for p in both)
same_time = sum(p["opened"][1] == p["unexpected"][1] for p in both)
print(("ok" if both and not differ and not unlike and same_time else "FAIL") +
      " flood: each flow's opened and unexpected lines agree (%d pairs, %d differ, %d at one time, %d lines not led by event and time)" %
      (len(both), differ, same_time, unlike))
print(("ok" if len(seen) + lost >= n else "FAIL") +
      " flood: every flow reported (%d) or its event counted as lost (%d), %d sent" % (len(seen), lost, n))
PY
	fi
	# ---------- a backlog puts the walk off, events first ----------
	# serve stopped (SIGSTOP) past its walk's time while 60 000 new flows
	# fill the ring (it holds them all): resumed, it finds the walk due and a
	# backlog, reads the events first (the walk waits: counted), then walks.
	# Walks every 2 s, stopped half-way between two: a stop that landed in
	# a walk would leave it to end at the resume, the next one not due
	# before the ring is read (at --interval 0.5 that failed once in a full run here)
	if start_serve "$tmp/ev5.jsonl" --interval 2; then
		sleep 0.5
		m0=$(metrics)
		kill -STOP "$SERVE"
		ip netns exec "$LAB_CLIENT" trafgen -o c0 -i "$tmp/f.cfg" -n 60000 -P 1 -q >/dev/null 2>&1
		sleep 2
		kill -CONT "$SERVE"
		sleep 3
		m1=$(metrics)
		stop_serve
		metrics_pair "$m0" "$m1" <<'PY'
d = g(b, "tokaudit_flow_table_walks_deferred_total") - g(a, "tokaudit_flow_table_walks_deferred_total")
lost = sum(v for k, v in b.items() if k.startswith("tokaudit_events_lost_total")) - \
    sum(v for k, v in a.items() if k.startswith("tokaudit_events_lost_total"))
sent, read = g(b, "tokaudit_events_sent_total"), g(b, "tokaudit_events_read_total")
print(("ok" if d >= 1 and lost == 0 and sent == read else "FAIL") +
      " a backlog after a stall: the due walk waited for the events (%d deferred), none lost (%d), all read (sent %d, read %d)" % (d, lost, sent, read))
w, e = g(b, "tokaudit_flow_table_walk_seconds"), g(b, "tokaudit_flow_table_entries")
e0 = g(a, "tokaudit_flow_table_entries")
print(("ok" if w is not None and 0 < w < 3 and e > e0 + 10000 else "FAIL") +
      " then the walk came: %d flows in the table (%d before), the walk took %s s" % (e, e0, w))
PY
	fi
	# ---------- walks take at most a quarter of the time ----------
	# the default table (131 072 entries) full, walked at the shortest
	# interval (0.1 s): over 4 s idle, a walk taking W is followed by the
	# next 4 W after it began at the soonest, so at most 4 / (4 W) + 2 walks
	# (where W < 25 ms the interval is what binds: every 0.1 s)
	if start_serve "$tmp/ev6.jsonl" --interval 0.1; then
		ip netns exec "$LAB_CLIENT" trafgen -o c0 -i "$tmp/f.cfg" -n 200000 -P 1 -q >/dev/null 2>&1
		sleep 4
		m0=$(metrics)
		sleep 4
		m1=$(metrics)
		stop_serve
		metrics_pair "$m0" "$m1" <<'PY'
n = g(b, "tokaudit_flow_table_walks_total") - g(a, "tokaudit_flow_table_walks_total")
w = min(g(a, "tokaudit_flow_table_walk_seconds"), g(b, "tokaudit_flow_table_walk_seconds"))
e = g(b, "tokaudit_flow_table_entries")
most = 4 / max(4 * w, 0.1) + 2
print(("ok" if e > 100000 and 1 <= n <= most else "FAIL") +
      " walks of a full table (%d flows) at --interval 0.1: %d in 4 s, each about %.0f ms: at most a quarter of the time (%.1f allowed)" %
      (e, n, 1000 * w, most))
PY
	fi
else
	bad "events: trafgen missing (scripts/deps.sh installs netsniff-ng)"
fi
