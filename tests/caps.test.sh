#!/usr/bin/env bash
# The capabilities each command needs (README "Capabilities"), checked by
# running the commands as an unprivileged user (nobody) with exactly the
# documented set, and with one capability less: a command without what it
# needs says in one line which capability is missing, exit 1.
set -u
. "$(dirname "$0")/lib.sh"
need_root "capability tests" || exit 0
command -v setpriv >/dev/null || { bad "setpriv (util-linux) missing"; exit 0; }
lab_start cq || exit 0
# as CAPS CMD...: tokaudit as nobody in the gateway's namespace, holding CAPS
as() {
	local c=$1; shift
	gw setpriv --reuid=65534 --regid=65534 --clear-groups ${c:+--inh-caps=$c --ambient-caps=$c} "$TA" "$@"
}
one_line() { [ "$(grep -c . <<<"$ERR")" = 1 ] && ok "$1: one line" || bad "$1: $(grep -c . <<<"$ERR") lines: $ERR"; }
LOAD=+bpf,+perfmon,+net_admin
python3 "$top/tests/gen_captures.py" "$tmp" >/dev/null
chmod 755 "$tmp"

# nothing needed: the policy commands and version
expect_rc "policy check with no capability" 0 as "" policy check "$top/user/opentok.policy"
expect_rc "policy show with no capability" 0 as "" policy show
expect_rc "version with no capability" 0 as "" version
expect_in "version lists the missing capabilities" "CAP_BPF" "$OUT"

# replay: CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN
expect_rc "replay with CAP_BPF CAP_PERFMON CAP_NET_ADMIN" 0 as $LOAD replay "$tmp/basic.pcap"
expect_rc "replay with no capability" 1 as "" replay "$tmp/basic.pcap"
expect_in "replay names all three" "missing CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN" "$ERR"; one_line "replay unprivileged"
expect_rc "replay without CAP_PERFMON" 1 as +bpf,+net_admin replay "$tmp/basic.pcap"
expect_in "replay names CAP_PERFMON" "missing CAP_PERFMON:" "$ERR"
expect_rc "replay without CAP_NET_ADMIN" 1 as +bpf,+perfmon replay "$tmp/basic.pcap"
expect_in "replay names CAP_NET_ADMIN" "missing CAP_NET_ADMIN:" "$ERR"
expect_rc "replay with CAP_SYS_ADMIN instead" 0 as +sys_admin replay "$tmp/basic.pcap"

# attach and detach as nobody with the load set plus CAP_DAC_OVERRIDE (the pin tree is root's)
expect_rc "attach with CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_DAC_OVERRIDE" 0 as $LOAD,+dac_override attach -i gwout
expect_rc "detach of it with CAP_NET_ADMIN CAP_DAC_OVERRIDE" 0 as +net_admin,+dac_override detach -i gwout
# root attaches: the pins are root's, 0600
expect_rc "attach as root" 0 gw "$TA" attach -i gwout
# the reading commands: CAP_DAC_OVERRIDE
for c in status flows stats why; do
	expect_rc "$c with CAP_DAC_OVERRIDE" 0 as +dac_override $c
	expect_rc "$c with no capability" 1 as "" $c
	expect_in "$c names CAP_DAC_OVERRIDE" "CAP_DAC_OVERRIDE" "$ERR"; one_line "$c unprivileged"
done
expect_rc "reload with CAP_DAC_OVERRIDE" 0 as +dac_override reload -i gwout -p "$top/user/opentok.policy"
# detach: CAP_NET_ADMIN too; without it, nothing is touched
expect_rc "detach without CAP_NET_ADMIN" 1 as +dac_override detach -i gwout
expect_in "detach names CAP_NET_ADMIN" "detach needs CAP_NET_ADMIN" "$ERR"; one_line "detach without CAP_NET_ADMIN"
expect_rc "still attached after the refused detach" 0 gw "$TA" status
expect_rc "detach with CAP_NET_ADMIN CAP_DAC_OVERRIDE" 0 as +net_admin,+dac_override detach -i gwout
expect_rc "nothing attached after detach" 1 gw "$TA" status
