#!/usr/bin/env bash
# The units under a real systemd: this machine's own OS booted as a
# throwaway container (systemd-nspawn --volatile=yes: a tmpfs root over the
# host's /usr, a private network namespace with only what this test puts
# there), tokaudit's unit, settings and binary bound in. Checked: skipped
# (not failed) until an interface is set; Type=notify READY and the status
# line; the watchdog; metrics; reload = SIGHUP; 'systemctl restart' keeps
# the programs and counters (no gap); kill -9 -> Restart=on-failure adopts
# the pins; 'systemctl stop' detaches. All of it under the unit's hardening.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
need_root "systemd units in a container" || exit 0
command -v systemd-nspawn >/dev/null || { bad "systemd: systemd-nspawn missing (scripts/deps.sh installs systemd-container)"; exit 0; }
tmp=$(mktemp -d /tmp/tokaudit-systemd.$$.XXXX)
PINS=/sys/fs/bpf/tokaudit-sd$$
NSPAWN= PID1=
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
cleanup() {
	if [ -n "$PID1" ] && kill -0 "$PID1" 2>/dev/null; then
		in_ct systemctl stop tokaudit.service >/dev/null 2>&1
		kill -TERM "$NSPAWN" 2>/dev/null # the container halts
		for _ in $(seq 50); do kill -0 "$NSPAWN" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$PID1" 2>/dev/null # whatever did not halt: init's death ends its PID namespace
	fi
	[ -n "$NSPAWN" ] && kill -9 "$NSPAWN" 2>/dev/null && wait "$NSPAWN" 2>/dev/null
	if [ -d "$PINS" ]; then # the container's network is gone: its hooks went with it
		rm -rf "$PINS"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
in_ct() { nsenter -t "$PID1" -m -u -i -n -p "$@"; }

# what the container sees: the unit (ExecStart pointing at this build), its
# settings, the policy, the binary
mkdir -p "$tmp/systemd" "$tmp/default" "$tmp/policy" "$tmp/bin"
cp "$top/build/tokaudit" "$tmp/bin/"
sed "s|^\(Exec[A-Za-z]*\)=[^ ]*/tokaudit |\1=/opt/tokaudit/tokaudit |; s|^EnvironmentFile=-.*|EnvironmentFile=-/etc/default/tokaudit|" \
	"$top/build/systemd/tokaudit.service" >"$tmp/systemd/tokaudit.service"
# (a container has no udev, so no device units: the instance's BindsTo= on
# its interface's device is left out here; on a host it stops the instance
# when the interface goes)
grep -q '^BindsTo=sys-subsystem-net-devices-%i.device' "$top/build/systemd/tokaudit@.service" \
	&& ok "tokaudit@.service is bound to its interface's device" || bad "tokaudit@.service: no BindsTo on the device"
sed "s|^\(Exec[A-Za-z]*\)=[^ ]*/tokaudit |\1=/opt/tokaudit/tokaudit |; s|^EnvironmentFile=-.*|EnvironmentFile=-/etc/default/tokaudit@%i|; /^BindsTo=/d" \
	"$top/build/systemd/tokaudit@.service" >"$tmp/systemd/tokaudit@.service"
grep -q "^ExecStart=/opt/tokaudit/tokaudit serve" "$tmp/systemd/tokaudit.service" || bad "could not point the unit at the build"
printf 'TOKAUDIT_METRICS=127.0.0.1:9742\nTOKAUDIT_POLICY=/etc/tokaudit/opentok.policy\nTOKAUDIT_PIN_ROOT=%s\n' "$PINS" >"$tmp/default/tokaudit@ta0"
cp "$top/user/opentok.policy" "$tmp/policy/"
settings() { # TOKAUDIT_INTERFACES value
	sed -e "s|^TOKAUDIT_INTERFACES=.*|TOKAUDIT_INTERFACES=$1|" -e "s|^TOKAUDIT_POLICY=.*|TOKAUDIT_POLICY=/etc/tokaudit/opentok.policy|" \
		"$top/build/systemd/tokaudit.default" >"$tmp/default/tokaudit"
	echo "TOKAUDIT_PIN_ROOT=$PINS" >>"$tmp/default/tokaudit"
}
settings ""
# this build's installed policy (SYSCONFDIR/tokaudit/opentok.policy) is the
# same file: commands judge by it as the unit does
confdir=$(cut -d' ' -f2 "$top/build/systemd/paths")/tokaudit
extra_bind=()
if [ "$confdir" != /etc/tokaudit ]; then # e.g. /usr/local/etc (make's PREFIX): a link to /etc/tokaudit in its place
	mkdir -p "$tmp/confdir" && ln -s /etc/tokaudit "$tmp/confdir/tokaudit"
	extra_bind=(--bind-ro="$tmp/confdir:${confdir%/tokaudit}")
fi

systemd-nspawn --quiet -D / --volatile=yes --private-network --register=no --keep-unit \
	--capability=CAP_BPF,CAP_PERFMON,CAP_SYSLOG --system-call-filter='bpf perf_event_open' \
	--bind=/sys/fs/bpf --bind="$tmp/systemd:/etc/systemd/system" --bind-ro="$tmp/default:/etc/default" \
	--bind-ro="$tmp/policy:/etc/tokaudit" "${extra_bind[@]}" --bind-ro="$tmp/bin:/opt/tokaudit" -b -- systemd.firstboot=off </dev/null >"$tmp/console" 2>&1 &
NSPAWN=$!
for _ in $(seq 100); do
	for p in $(pgrep -x systemd); do
		grep -q "^PPid:\s*$NSPAWN$" /proc/$p/status 2>/dev/null && PID1=$p
	done
	[ -n "$PID1" ] && in_ct systemctl is-system-running --wait >/dev/null 2>&1 && break
	kill -0 "$NSPAWN" 2>/dev/null || break
	sleep 0.3
done
st=$(in_ct systemctl is-system-running 2>&1)
if [ -z "$PID1" ] || [[ $st != running && $st != degraded ]]; then
	bad "the container did not boot ($st): $(tail -5 "$tmp/console" | tr '\n' ' ')"
	exit 0
fi
ok "container booted with systemd as PID 1 ($st)"

# the network of this test, in the container's own namespace: ta0 audited,
# its peer in a namespace of its own, a ping across
in_ct ip link set lo up
in_ct ip link add ta0 type veth peer name ta1
in_ct ip netns add peer
in_ct ip link set ta1 netns peer
in_ct ip addr add 192.0.2.1/24 dev ta0 && in_ct ip link set ta0 up
in_ct ip netns exec peer ip addr add 192.0.2.2/24 dev ta1 && in_ct ip netns exec peer ip link set ta1 up
for i in ta0; do in_ct ethtool -K $i tx off rx off >/dev/null 2>&1; done

# 1. not configured: skipped by ExecCondition, not failed
in_ct systemctl start tokaudit.service 2>/dev/null
res=$(in_ct systemctl show -P Result tokaudit.service) act=$(in_ct systemctl is-active tokaudit.service)
[ "$res" = exec-condition ] && [ "$act" = inactive ] && ok "no interface set: the service is skipped (exec-condition), not failed" \
	|| bad "unconfigured start: result $res, state $act"

# 2. configured: READY, status line, watchdog, metrics
settings ta0
in_ct systemctl daemon-reload
if in_ct timeout 30 systemctl start tokaudit.service; then ok "systemctl start: READY (Type=notify)"
else bad "systemctl start failed: $(in_ct journalctl -u tokaudit -n 5 --no-pager 2>&1 | tr '\n' ' ')"; fi
metric() { in_ct curl -sf --max-time 3 http://127.0.0.1:9741/metrics | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }
in_ct ip netns exec peer ping -c 5 -i 0.2 -q 192.0.2.1 >/dev/null
sleep 2.5
status=$(in_ct systemctl show -P StatusText tokaudit.service)
[[ $status == *"1 interface(s); packets allowed"* ]] && ok "status line: $status" || bad "status line: '$status'"
wd=$(in_ct systemctl show -P WatchdogUSec tokaudit.service)
[ "$wd" = 30s ] && ok "watchdog armed ($wd)" || bad "WatchdogUSec=$wd"
pk1=$(metric 'tokaudit_packets_total')
[ "$pk1" -ge 10 ] && ok "metrics on 127.0.0.1:9741: $pk1 packets counted" || bad "packets counted: $pk1"
[ -d "$PINS/ta0" ] && ok "pinned under the bpffs (ProtectSystem=strict leaves it writable)" || bad "no pins in $PINS"
n=$(in_ct cat /var/log/tokaudit/events.jsonl 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for l in sys.stdin if json.loads(l)))' 2>/dev/null)
[ "${n:-0}" -ge 1 ] && ok "JSON events in /var/log/tokaudit/events.jsonl ($n lines, LogsDirectory=)" || bad "events file: '$n'"
# the unit's set, less what the container itself may not have (nspawn keeps CAP_SYSLOG)
eff=$(in_ct sh -c 'sed -n "s/^CapEff:\s*//p" /proc/$(systemctl show -P MainPID tokaudit.service)/status')
ctbnd=$(sed -n 's/^CapBnd:\s*//p' /proc/$PID1/status)
want=0
for c in $(sed -n 's/^CapabilityBoundingSet=//p' "$tmp/systemd/tokaudit.service"); do
	case $c in CAP_BPF) b=39 ;; CAP_PERFMON) b=38 ;; CAP_SYSLOG) b=34 ;; CAP_NET_ADMIN) b=12 ;; *) b=-1 ;; esac
	[ "$b" -ge 0 ] && want=$((want | (1 << b)))
done
want=$((want & 0x$ctbnd))
[ $((0x$eff)) -eq "$want" ] && ok "runs with the unit's capabilities only (CapEff $eff)" || bad "CapEff $eff, want $(printf %x $want)"

# 3. reload = SIGHUP, no gap
pid=$(in_ct systemctl show -P MainPID tokaudit.service)
in_ct systemctl reload tokaudit.service
sleep 1
[ "$(in_ct systemctl show -P MainPID tokaudit.service)" = "$pid" ] && [ "$(metric tokaudit_policy_reloads_total)" -ge 1 ] \
	&& ok "systemctl reload: the policy reread, same process" || bad "reload: reloads $(metric tokaudit_policy_reloads_total)"

# 3b. the first hour's mistakes, under the real unit
pol=$tmp/policy/opentok.policy
ta() { in_ct env -u TOKAUDIT_POLICY TOKAUDIT_PIN_ROOT="$PINS" /opt/tokaudit/tokaudit "$@"; }
status_text() { in_ct systemctl show -P StatusText tokaudit.service; }
# until_ok SECONDS CMD...: CMD succeeds within SECONDS
until_ok() { local n=$(($1 * 4)); shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.25; done; return 1; }
g0=$(metric tokaudit_policy_generation) pid=$(in_ct systemctl show -P MainPID tokaudit.service)
cp "$pol" "$tmp/good.policy"
printf 'rule broken\n proto udp\n ports 99999\n' >"$pol"
if in_ct systemctl reload tokaudit.service 2>/dev/null; then bad "systemctl reload of a broken policy reported success"
else ok "systemctl reload of a broken policy fails visibly"; fi
[ "$(metric tokaudit_policy_generation)" = "$g0" ] && [ "$(in_ct systemctl show -P MainPID tokaudit.service)" = "$pid" ] \
	&& [ "$(in_ct systemctl is-active tokaudit.service)" = active ] && ok "...the policy in force stays (generation $g0), serve runs on" \
	|| bad "after the refused reload: generation $(metric tokaudit_policy_generation), state $(in_ct systemctl is-active tokaudit.service)"
in_ct journalctl -u tokaudit.service --no-pager 2>/dev/null | grep -q "opentok.policy:3:.*error" \
	&& ok "...the file's error is in the unit's journal" || bad "no policy error in the journal"
# SIGHUP straight to serve (systemctl kill): serve refuses, the status line says so
in_ct systemctl kill -s HUP tokaudit.service
until_ok 10 eval '[[ $(status_text) == *"reload REFUSED"*"generation $g0 stays"* ]]' && ok "status line after a refused SIGHUP: $(status_text)" \
	|| bad "status line: $(status_text)"
[ "$(metric tokaudit_policy_last_reload_successful)" = 0 ] && ok "...tokaudit_policy_last_reload_successful 0" || bad "last_reload_successful $(metric tokaudit_policy_last_reload_successful)"
{ cat "$tmp/good.policy"; printf 'rule extra\n proto udp\n ports 9\n dir out\n addr 192.0.2.99\n'; } >"$pol"
in_ct systemctl reload tokaudit.service && ok "the file fixed: systemctl reload succeeds" || bad "reload of the fixed policy failed"
until_ok 10 eval '[ "$(metric tokaudit_policy_generation)" = $((g0 + 1)) ]' && until_ok 10 eval '[[ $(status_text) != *REFUSED* ]]' \
	&& [ "$(metric tokaudit_policy_last_reload_successful)" = 1 ] && ok "...generation $((g0 + 1)) in force, the refusal gone from the status line and the metric" \
	|| bad "after the fix: generation $(metric tokaudit_policy_generation), status $(status_text)"
# the installed policy is what commands judge by without --policy
out=$(ta policy show 2>"$tmp/show.err")
grep -q "^rule extra" <<<"$out" && grep -q "policy $confdir/opentok.policy (the installed one" "$tmp/show.err" \
	&& ok "policy show: the installed (edited) policy, named" || bad "policy show: $(head -c 200 "$tmp/show.err") $(grep -c '^rule' <<<"$out") rules"
out=$(ta run -i lo --duration 0.3 --json 2>&1)
grep -q "\"event\":\"started\".*\"policy\":\"$confdir/opentok.policy\"" <<<"$out" && grep -q '"rules":4' <<<"$out" \
	&& ok "run judges by the installed policy and says so" || bad "run's policy: $(grep started <<<"$out" | head -c 300)"
# other commands on the unit's interface: refused, naming the unit
if ta run -i ta0 --hook tc --duration 1 >/dev/null 2>"$tmp/run.err"; then bad "run --hook tc on the unit's interface was not refused"
else grep -q "ta0 is audited already by tokaudit.service (pid $pid): read what it sees with 'tokaudit flows -i ta0'" "$tmp/run.err" \
	&& ok "run --hook tc on the unit's interface refused, naming tokaudit.service" || bad "run refused with: $(cat "$tmp/run.err")"; fi
if ta detach -i ta0 >/dev/null 2>"$tmp/detach.err"; then bad "detach under the unit was not refused"
else grep -q "'systemctl stop tokaudit.service' stops it and detaches; --force detaches anyway" "$tmp/detach.err" \
	&& ok "detach under the unit refused, naming systemctl stop" || bad "detach refused with: $(cat "$tmp/detach.err")"; fi
# a hook taken away under the unit: put back, said in the status line and the metrics
in_ct tc qdisc del dev ta0 clsact
until_ok 10 eval '[ "$(metric "tokaudit_hook_restores_total{interface=\"ta0\",hook=\"tc_egress\"}")" = 1 ]' \
	&& ok "the clsact qdisc deleted: serve put the tc hook back (tokaudit_hook_restores_total)" || bad "no restore: $(status_text)"
until_ok 10 eval '[[ $(status_text) == *"ta0: hooks put back 1 time(s)"* ]]' && ok "...the status line says so: $(status_text)" \
	|| bad "status line: $(status_text)"
in_ct tc filter show dev ta0 egress | grep -q tokaudit_tc && ok "...the tc filter is there again" || bad "no tc filter on ta0"

# the unexpected-traffic alert's runbook: a connection that closed long
# before the admin looks is still explained (why --since)
in_ct ip netns exec peer ip addr add 192.0.2.99/32 dev ta1
in_ct timeout 3 bash -c 'exec 3<>/dev/tcp/192.0.2.99/22' 2>/dev/null # the extra rule's address, a port no rule allows: refused
gone() { live=$(ta flows -i ta0 --verdict unexpected 2>&1) && ! grep -q 192.0.2.99 <<<"$live"; }
if until_ok 30 gone && ta why -i ta0 --since 10m 2>/dev/null | grep -q "192.0.2.99:22 (no rule, unexpected).*refused"; then
	ok "a refused unexpected connection, gone from the table: why --since 10m explains it"
else
	bad "why --since: $(ta why -i ta0 --since 10m 2>&1 | head -3 | tr '\n' ' '); flows: $(ta flows -i ta0 --verdict unexpected 2>&1 | tr '\n' ' ')"
fi
out=$(ta why -i ta0 2>&1) && ! grep -q 192.0.2.99 <<<"$out" && ok "...why without --since does not show it" \
	|| bad "why without --since: $(head -c 300 <<<"$out")"

# 4. restart: the programs stay, counters continue
# the XDP hook is a bpf link: the same link id means it was never detached
# (a new serve swaps the program in it atomically)
xlink() { bpftool link show pinned "$PINS/ta0/xdp_link" 2>/dev/null | sed -n '1s/^\([0-9]*\):.*/\1/p'; }
prog=$(xlink)
in_ct systemctl restart tokaudit.service
sleep 1
in_ct ip netns exec peer ping -c 3 -i 0.2 -q 192.0.2.1 >/dev/null
sleep 2.5
pk2=$(metric 'tokaudit_packets_total')
prog2=$(xlink)
[ -n "$prog" ] && [ "$prog" = "$prog2" ] && ok "systemctl restart: the XDP hook stayed attached (link $prog)" \
	|| bad "restart: XDP '$prog' -> '$prog2'"
[ "$pk2" -ge $((pk1 + 6)) ] && ok "...and the counters continued ($pk1 -> $pk2 packets)" || bad "counters after restart: $pk1 -> $pk2"
in_ct journalctl -u tokaudit.service --no-pager 2>/dev/null | grep -q "systemd is restarting tokaudit.service" \
	&& ok "...said so in the journal" || bad "no restart line in the journal"

# 5. kill -9: Restart=on-failure, the pins adopted
pid=$(in_ct systemctl show -P MainPID tokaudit.service)
in_ct kill -9 "$pid"
for _ in $(seq 50); do
	np=$(in_ct systemctl show -P MainPID tokaudit.service)
	[ "$np" != 0 ] && [ "$np" != "$pid" ] && [ "$(in_ct systemctl is-active tokaudit.service)" = active ] && break
	sleep 0.2
done
prog3=$(xlink)
[ "$np" != "$pid" ] && [ "$prog3" = "$prog" ] && ok "kill -9: restarted by systemd, the same XDP link, pins adopted" \
	|| bad "after kill -9: pid $pid -> $np, XDP link $prog -> $prog3"
sleep 2.5
pk3=$(metric 'tokaudit_packets_total')
[ "$pk3" -ge "$pk2" ] && ok "...counters monotonic ($pk2 -> $pk3)" || bad "counters after kill -9: $pk2 -> $pk3"

# 5b. settings that will not do: the unit stops with 6/NOTCONFIGURED, no
# restart loop, and what was attached goes on auditing from its pins
in_ct systemctl reset-failed tokaudit.service 2>/dev/null
sed -i 's|^TOKAUDIT_POLICY=.*|TOKAUDIT_POLICY=/etc/tokaudit/opentok.polcy|' "$tmp/default/tokaudit"
in_ct systemctl restart tokaudit.service 2>/dev/null && bad "restart with a mistyped policy path succeeded" \
	|| ok "restart with a mistyped TOKAUDIT_POLICY fails"
sleep 5
unit_state() { for k in "$@"; do in_ct systemctl show -P "$k" tokaudit.service; done | tr '\n' ' '; }
st=$(unit_state ActiveState Result ExecMainStatus NRestarts)
[ "$st" = "failed exit-code 6 0 " ] && ok "...failed with status 6, not restarted in a loop ($st)" || bad "after the mistyped policy: $st"
in_ct journalctl -u tokaudit.service --no-pager 2>/dev/null | grep -q "the settings will not do: not started; what is attached goes on auditing from its pins" \
	&& ok "...the journal says what goes on" || bad "journal: $(in_ct journalctl -u tokaudit -n 3 --no-pager | tr '\n' ' ')"
pkts() { ta stats -i ta0 --json 2>/dev/null | python3 -c 'import json,sys; r=json.load(sys.stdin); r=r[0] if isinstance(r,list) else r; print(sum(v["packets"] for v in r["verdicts"].values()))'; }
p0=$(pkts)
in_ct ip netns exec peer ping -c 3 -i 0.2 -q 192.0.2.1 >/dev/null
p1=$(pkts)
[ "$(xlink)" = "$prog" ] && [ "${p1:-0}" -ge $((${p0:-0} + 6)) ] && ok "...the programs still audit from the pins (link $prog, packets $p0 -> $p1)" \
	|| bad "after the failed restart: link $(xlink), packets $p0 -> $p1"
settings nosuch0
in_ct systemctl start tokaudit.service 2>/dev/null && bad "start on a missing interface succeeded"
sleep 5
st=$(unit_state ActiveState ExecMainStatus NRestarts)
[ "$st" = "failed 6 0 " ] && ok "a missing interface: failed with status 6, no restart loop ($st)" || bad "missing interface: $st"
settings ta0
in_ct systemctl reset-failed tokaudit.service 2>/dev/null
in_ct timeout 30 systemctl start tokaudit.service && [ "$(xlink)" = "$prog" ] && ok "settings fixed: started, the pins adopted (link $prog)" \
	|| bad "start after the fix: $(in_ct systemctl is-active tokaudit.service), link $(xlink)"

# 6. stop: detached
in_ct systemctl stop tokaudit.service
[ ! -e "$PINS/ta0" ] && ! in_ct ip -d link show ta0 | grep -q 'prog/xdp' && ok "systemctl stop: detached, pins removed" \
	|| bad "after stop: pins $(ls "$PINS" 2>&1), $(in_ct ip -d link show ta0 | grep -o 'prog/xdp.*')"

# 7. one instance per interface: tokaudit@ta0.service, its own settings file
if in_ct timeout 30 systemctl start tokaudit@ta0.service; then
	ok "tokaudit@ta0.service: READY"
else bad "tokaudit@ta0.service: $(in_ct journalctl -u tokaudit@ta0 -n 5 --no-pager 2>&1 | tr '\n' ' ')"; fi
in_ct ip netns exec peer ping -c 2 -i 0.2 -q 192.0.2.1 >/dev/null
sleep 2.5
[ -d "$PINS/ta0" ] && [ "$(in_ct curl -sf --max-time 3 http://127.0.0.1:9742/metrics | grep -c '^tokaudit_packets_total')" -ge 1 ] \
	&& in_ct test -s /var/log/tokaudit/events@ta0.jsonl && ok "...attached to ta0, metrics on its own port, events@ta0.jsonl" \
	|| bad "instance: pins $(ls "$PINS" 2>&1)"
in_ct systemctl stop tokaudit@ta0.service
[ ! -e "$PINS/ta0" ] && ok "...stopped: detached" || bad "instance stop left pins"
