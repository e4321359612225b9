#!/usr/bin/env bash
# Files that hold addresses or payloads: --pcap evidence and its sidecar,
# serve --events, probe --save. Created 0600 whatever a loose umask says,
# never written through a planted symbolic link (one line, exit 1, the
# link's target untouched); a FIFO still works. Pins stay root-only.
set -u
. "$(dirname "$0")/lib.sh"
need_root "private output files" || exit 0
NS=tafiles$$
tmp=$(mktemp -d /tmp/tokaudit-files.$$.XXXX)
export TOKAUDIT_PIN_ROOT=/sys/fs/bpf/tokaudit-files$$
sp=
cleanup() {
	[ -n "$sp" ] && kill -9 "$sp" 2>/dev/null
	ip netns list 2>/dev/null | grep -qw "$NS" && { nsenter --net=/run/netns/$NS "$TA" detach --all >/dev/null 2>&1; ip netns del "$NS"; }
	rm -rf "$tmp" "$TOKAUDIT_PIN_ROOT"
}
trap cleanup EXIT INT TERM
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
ip netns add "$NS" && ip -n "$NS" link set lo up && ip -n "$NS" link add ta0 type veth peer name ta1 &&
	ip -n "$NS" link set ta0 up && ip -n "$NS" link set ta1 up || { bad "files: namespace"; exit 0; }
inns() { nsenter --net=/run/netns/$NS "$@"; }
mode() { stat -c %a "$1" 2>/dev/null; }
umask 022

# --pcap: the capture and its annotations
expect_rc "run --pcap" 0 inns "$TA" run -i ta0 --pcap "$tmp/ev.pcap" --duration 0.5 --json
[ "$(mode "$tmp/ev.pcap")" = 600 ] && [ "$(mode "$tmp/ev.pcap.annotations.jsonl")" = 600 ] \
	&& ok "evidence and annotations created 0600 (umask 022)" || bad "modes: $(mode "$tmp/ev.pcap") $(mode "$tmp/ev.pcap.annotations.jsonl")"
echo secret >"$tmp/target" && chmod 644 "$tmp/target"
ln -s "$tmp/target" "$tmp/planted.pcap"
expect_rc "run --pcap through a planted symlink refused" 1 inns "$TA" run -i ta0 --pcap "$tmp/planted.pcap" --duration 0.5 --json
[ "$(wc -l <<<"$ERR")" = 1 ] && expect_in "...in one line naming the link" "symbolic link" "$ERR"
[ "$(cat "$tmp/target")" = secret ] && ok "...the link's target untouched" || bad "target overwritten"
ln -s "$tmp/target" "$tmp/side.pcap.annotations.jsonl"
expect_rc "a planted symlink as the sidecar refused" 1 inns "$TA" run -i ta0 --pcap "$tmp/side.pcap" --duration 0.5 --json
[ "$(cat "$tmp/target")" = secret ] && ok "...its target untouched" || bad "target overwritten by the sidecar"
mkfifo "$tmp/fifo.pcap"
(cat "$tmp/fifo.pcap" >"$tmp/fromfifo" &)
expect_rc "--pcap to a FIFO still works" 0 inns "$TA" run -i ta0 --pcap "$tmp/fifo.pcap" --duration 0.5 --json
sleep 0.3
[ "$(head -c 4 "$tmp/fromfifo" | od -An -tx1 | tr -d ' ')" = d4c3b2a1 ] && ok "...a pcap came through the FIFO" || bad "FIFO: $(od -An -tx1 "$tmp/fromfifo" | head -1)"

# serve --events
expect_rc "serve --events through a planted symlink refused (a configuration error: 6)" 6 inns "$TA" serve -i ta0 --events "$tmp/planted.pcap"
expect_in "...naming the link" "symbolic link" "$ERR"
[ "$(cat "$tmp/target")" = secret ] && ok "...target untouched" || bad "serve wrote through the link"
# nsenter execs serve: $! is serve itself (a function here would be a subshell)
nsenter --net=/run/netns/$NS "$TA" serve -i ta0 --events "$tmp/events.jsonl" --interval 0.2 >/dev/null 2>"$tmp/serve.err" &
sp=$!
for _ in $(seq 50); do [ -s "$tmp/events.jsonl" ] && break; sleep 0.1; done
kill -TERM $sp; wait $sp; sp=
[ "$(mode "$tmp/events.jsonl")" = 600 ] && ok "events file created 0600" || bad "events mode $(mode "$tmp/events.jsonl"): $(cat "$tmp/serve.err")"

# probe --save (a policy of loopback addresses, in a namespace with only lo)
printf 'rule lo\n proto tcp\n ports 9\n dir out\n addr 127.0.0.1\n' >"$tmp/lo.policy"
expect_rc "probe --save" 0 inns "$TA" probe --policy "$tmp/lo.policy" --timeout 0.5 --fail-on none --save "$tmp/probe.json"
[ "$(mode "$tmp/probe.json")" = 600 ] && python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/probe.json" \
	&& ok "probe --save: 0600, strict JSON" || bad "probe.json mode $(mode "$tmp/probe.json")"
expect_rc "probe --save through a planted symlink refused" 1 inns "$TA" probe --policy "$tmp/lo.policy" --timeout 0.5 --fail-on none --save "$tmp/planted.pcap"
expect_in "...naming the link" "symbolic link" "$ERR"
[ "$(cat "$tmp/target")" = secret ] && ok "...target untouched" || bad "probe wrote through the link"

# pins and their lock: root's only
expect_rc "attach" 0 inns "$TA" attach -i ta0
perm=$(find "$TOKAUDIT_PIN_ROOT" -perm /077 | head -3)
[ -z "$perm" ] && ok "pins and lock directory: no access for group or others" || bad "open pins: $perm"
expect_rc "detach" 0 inns "$TA" detach -i ta0
