#!/usr/bin/env bash
# What an admin installs: make install/uninstall (as an unprivileged user, so
# a write outside DESTDIR fails), the man page (lint, every command and option
# of --help in it), bash completion (driven through COMP_WORDS/COMP_CWORD),
# the systemd units (systemd-analyze verify and security; serve run with only
# the unit's capabilities and checked against its system-call filter), the
# version command, detach --all.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
tmp=$(mktemp -d /tmp/tokaudit-install.$$.XXXX)
NS=tainst$$ SERVE=
export TOKAUDIT_PIN_ROOT=/sys/fs/bpf/tokaudit-inst$$
cleanup() {
	[ -n "$SERVE" ] && kill -9 "$SERVE" 2>/dev/null
	if ip netns list 2>/dev/null | grep -qw "$NS"; then
		nsenter --net=/run/netns/$NS "$TA" detach --all >/dev/null 2>&1
		ip netns del "$NS"
	fi
	rm -rf "$tmp" "$TOKAUDIT_PIN_ROOT" /sys/fs/bpf/ta-foreign-$$-*
}
trap cleanup EXIT INT TERM
for c in scdoc mandoc systemd-analyze setpriv strace; do
	command -v $c >/dev/null || { bad "install: $c missing (scripts/deps.sh installs it)"; exit 0; }
done
make -s all >/dev/null || { bad "make all"; exit 0; }

# ---- make install / uninstall ----
# as nobody: DESTDIR is the only place it can write, so a stray write fails
dest=$tmp/dest
mkdir -p "$dest" && chown 65534:65534 "$dest" "$tmp" && chmod 755 "$tmp"
asnobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
files() { (cd "$1" && find . -type f | sort); }
expected_local="./usr/local/etc/default/tokaudit
./usr/local/etc/tokaudit/opentok.policy
./usr/local/etc/tokaudit/vonage.policy
./usr/local/lib/systemd/system/tokaudit.service
./usr/local/lib/systemd/system/tokaudit@.service
./usr/local/sbin/tokaudit
./usr/local/share/bash-completion/completions/tokaudit
./usr/local/share/man/man8/tokaudit.8
./usr/local/share/tokaudit/grafana/tokaudit.json
./usr/local/share/tokaudit/prometheus/tokaudit-rules.yml"
if asnobody make -s install DESTDIR="$dest" >"$tmp/inst.out" 2>&1; then
	got=$(files "$dest")
	if [ "$got" = "$expected_local" ]; then ok "make install (PREFIX=/usr/local, as nobody): the ten files, nothing else"
	else bad "make install: files differ: $(diff <(echo "$expected_local") <(echo "$got") | tr '\n' ' ')"; fi
else
	bad "make install as nobody failed (a write outside DESTDIR?): $(tail -3 "$tmp/inst.out")"
fi
cmp -s "$dest/usr/local/etc/tokaudit/opentok.policy" user/opentok.policy && ok "the example policy is the built-in one, comments and all" \
	|| bad "installed policy differs from user/opentok.policy"
"$TA" policy check -q "$dest/usr/local/etc/tokaudit/opentok.policy" && ok "the installed policy checks" || bad "installed policy does not check"
cmp -s "$dest/usr/local/etc/tokaudit/vonage.policy" user/vonage.policy && "$TA" policy check -q "$dest/usr/local/etc/tokaudit/vonage.policy" \
	&& ok "vonage.policy is installed beside it, and checks" || bad "vonage.policy not installed, or does not check"
[ -x "$dest/usr/local/sbin/tokaudit" ] && [ "$(stat -c %a "$dest/usr/local/sbin/tokaudit")" = 755 ] \
	&& ok "binary installed 0755" || bad "binary mode $(stat -c %a "$dest/usr/local/sbin/tokaudit" 2>&1)"
grep -q "^ExecStart=/usr/local/sbin/tokaudit serve" "$dest/usr/local/lib/systemd/system/tokaudit.service" \
	&& grep -q "^EnvironmentFile=-/usr/local/etc/default/tokaudit$" "$dest/usr/local/lib/systemd/system/tokaudit.service" \
	&& grep -q "^TOKAUDIT_POLICY=/usr/local/etc/tokaudit/opentok.policy$" "$dest/usr/local/etc/default/tokaudit" \
	&& ok "unit and settings name the PREFIX's paths" || bad "unit paths do not follow PREFIX"
# the admin's edits survive a reinstall and an uninstall
echo "# mine" >>"$dest/usr/local/etc/tokaudit/opentok.policy"
asnobody make -s install DESTDIR="$dest" >"$tmp/inst2.out" 2>&1
if grep -q "# mine" "$dest/usr/local/etc/tokaudit/opentok.policy" && cmp -s "$dest/usr/local/etc/tokaudit/opentok.policy.new" user/opentok.policy; then
	ok "reinstall keeps an edited policy, the shipped one beside it as .new"
else bad "reinstall overwrote the admin's policy: $(cat "$tmp/inst2.out")"; fi
if asnobody make -s uninstall DESTDIR="$dest" >"$tmp/un.out" 2>&1; then
	left=$(files "$dest")
	if [ "$left" = "./usr/local/etc/tokaudit/opentok.policy" ]; then ok "make uninstall removes everything but the edited policy"
	else bad "make uninstall left: $(echo "$left" | tr '\n' ' ')"; fi
else bad "make uninstall failed: $(tail -3 "$tmp/un.out")"; fi
rm -rf "${dest:?}"/* && mkdir -p "$dest" && chown 65534:65534 "$dest"
# the units name the install paths: built for PREFIX=/usr first, as an admin would
make -s all PREFIX=/usr >/dev/null || bad "make PREFIX=/usr"
if asnobody make -s install DESTDIR="$dest" PREFIX=/usr >"$tmp/inst3.out" 2>&1; then
	[ -f "$dest/etc/tokaudit/opentok.policy" ] && [ -f "$dest/etc/default/tokaudit" ] && [ -f "$dest/usr/sbin/tokaudit" ] \
		&& grep -q "^ExecStart=/usr/sbin/tokaudit serve" "$dest/usr/lib/systemd/system/tokaudit.service" \
		&& ok "PREFIX=/usr: configuration under /etc, binary under /usr/sbin, the unit says so" \
		|| bad "PREFIX=/usr layout: $(files "$dest" | tr '\n' ' ')"
	asnobody make -s uninstall DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1
	[ -z "$(files "$dest")" ] && ok "PREFIX=/usr install + uninstall leaves no file" || bad "PREFIX=/usr uninstall left: $(files "$dest" | tr '\n' ' ')"
else
	bad "make install PREFIX=/usr as nobody: $(tail -3 "$tmp/inst3.out")"
fi
make -s all >/dev/null # back to the default paths

# ---- man page ----
man8=build/tokaudit.8
lint=$(mandoc -T lint -W warning "$man8" 2>&1 | grep -v "skipping paragraph macro: PP \(empty\|after S[HS]\)")
# (scdoc puts a .PP before every paragraph; mandoc notes the redundant ones, nothing else may show)
[ -z "$lint" ] && ok "man page: mandoc -T lint clean" || bad "man page lint: $(head -3 <<<"$lint")"
w=$(man --warnings -l "$man8" 2>&1 >/dev/null)
[ -z "$w" ] && ok "man page: man --warnings clean" || bad "man --warnings: $(head -3 <<<"$w")"
page=$(MANWIDTH=200 man -l "$man8" 2>/dev/null | col -b)
# every command, and each option of its --help inside that command's own section
cmds=$("$TA" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { if ($2 ~ /^[a-z]+$/ && $1 == "policy") print $1 " " $2; else print $1 } on && /^$/ { on = 0 }')
missing=
while read -r c; do
	[ -n "$c" ] || continue
	# the section: from the heading "   c ..." to the next subsection heading
	sect=$(awk -v c="$c" 'index($0, "   " c) == 1 && (substr($0, length(c) + 4, 1) ~ /^( |)$/) { on = 1; print; next }
		on && /^   [a-z]/ && !/^    / { exit } on { print }' <<<"$page")
	[ -n "$sect" ] || { missing+=" [$c: no section]"; continue; }
	# shellcheck disable=SC2086
	for o in $("$TA" $c --help | sed -n -E 's/^  (-[a-zA-Z]), (--[a-z0-9-]+).*/\1 \2/p; s/^      (--[a-z0-9-]+).*/\1/p'); do
		case $o in -v | --verbose | -h | --help) grep -q -- "$o" <<<"$(sed -n '/^COMMON OPTIONS/,/^[A-Z]/p' <<<"$page")" || missing+=" [common $o]"; continue ;; esac
		grep -qE -- "(^|[ ,])$o([ ,]|$)" <<<"$sect" || missing+=" [$c $o]"
	done
done <<<"$cmds"
[ "$(wc -l <<<"$cmds")" -ge 15 ] || missing+=" [only $(wc -l <<<"$cmds") commands in --help?]"
[ -z "$missing" ] && ok "man page: every command of --help has a section with each of its options ($(wc -l <<<"$cmds") commands)" \
	|| bad "man page misses:$missing"
for s in "EXIT STATUS" "POLICY FORMAT" "ENVIRONMENT" "FILES" "EXAMPLES"; do
	grep -q "^$s" <<<"$page" || missing+=" [$s]"
done
for e in TOKAUDIT_PIN_ROOT TOKAUDIT_KFREE_TRACEPOINT; do
	grep -rq "getenv(\"$e\")" user/ && ! grep -q "$e" <<<"$page" && missing+=" [env $e]"
done
[ -z "$missing" ] && ok "man page: exit status, policy format, environment, files, examples" || bad "man page misses:$missing"

# ---- bash completion ----
comp() { # WORDS... -> the completions, one line, sorted
	TOP=$top PATH="$top/build:$PATH" bash -c '
		source "$TOP/contrib/bash-completion/tokaudit"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_tokaudit tokaudit "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' comp "$@"
}
want_comp() { # NAME "EXPECTED WORDS" WORDS...: each expected word is offered
	local name=$1 want=$2 got m=
	shift 2
	got=" $(comp "$@")"
	for w in $want; do [[ $got == *" $w "* ]] || m+=" $w"; done
	[ -z "$m" ] && ok "completion: $name" || bad "completion: $name: missing$m in:$got"
}
all_cmds=$("$TA" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' | sort -u | tr '\n' ' ')
want_comp "commands" "$all_cmds" tokaudit ""
want_comp "policy subcommands" "check show verify" tokaudit policy ""
for c in run serve attach why probe replay detach version; do
	want_comp "$c options (from its --help)" "$("$TA" $c --help | sed -n -E 's/^  (-[a-zA-Z]), (--[a-z0-9-]+).*/\1 \2/p; s/^      (--[a-z0-9-]+).*/\1/p' | tr '\n' ' ')" tokaudit $c -
done
want_comp "--side values" "outside inside" tokaudit run --side ""
want_comp "--hook=" "xdp tc" tokaudit serve --hook = ""
expect_rc "__values of an option with no word list: a usage error" 2 "$TA" __values interval
expect_in "...saying what it takes" "__values: takes one option name: verdict, state, proto or sort" "$ERR"
want_comp "help" "help" tokaudit ""
want_comp "help COMMAND" "run serve why" tokaudit help ""
want_comp "--verdict values" "allowed unexpected other dropped" tokaudit flows --verdict ""
got=$(comp tokaudit why --verdict unexpected,dr)
[ "$got" = "unexpected,dropped " ] && ok "completion: --verdict a list goes on after the comma" || bad "completion: --verdict unexpected,dr gave '$got'"
want_comp "--state values" "two-way one-way-out refused established" tokaudit run --state ""
want_comp "--sort values" "bytes packets idle age remote" tokaudit flows --sort ""
want_comp "--proto values" "tcp udp icmp icmp6" tokaudit why --proto ""
got=$(comp tokaudit run --xdp-mode n)
[ "$got" = "native " ] && ok "completion: --xdp-mode n -> native only" || bad "completion: --xdp-mode n gave '$got'"
want_comp "-i: interfaces" "$(ls /sys/class/net | tr '\n' ' ')" tokaudit run -i ""
got=$(comp tokaudit attach --interface lo,)
[[ $got == *"lo,"* && $got != *"lo,lo "* ]] && ok "completion: -i lo, completes the next interface, not lo again" \
	|| bad "completion: -i lo, gave '$got'"
want_comp "--rule: the built-in policy's labels" "media control hlg" tokaudit why --rule ""
printf 'rule alpha\n proto tcp\n ports 1\n dir out\n addr 192.0.2.0/24\nrule beta\n proto udp\n ports 2\n dir in\n addr 192.0.2.0/24\n' >"$tmp/my.policy"
want_comp "--rule: labels of the --policy on the line" "alpha beta" tokaudit probe --policy "$tmp/my.policy" --rule ""
got=$(comp tokaudit probe -p "$tmp/my.policy" -r "")
[ "$got" = "alpha beta " ] && ok "completion: -r offers that policy's labels only" || bad "completion: -r gave '$got'"
mkdir -p "$tmp/caps/sub" && touch "$tmp/caps/a.pcap" "$tmp/caps/b.pcapng" "$tmp/caps/notes.txt"
got=$(cd "$tmp/caps" && comp tokaudit replay "")
[ "$got" = "a.pcap b.pcapng sub " ] && ok "completion: replay offers captures and directories" || bad "completion: replay gave '$got'"
got=$(cd "$tmp/caps" && comp tokaudit run --pcap "")
[ "$got" = "a.pcap b.pcapng notes.txt sub " ] && ok "completion: --pcap offers files" || bad "completion: --pcap gave '$got'"
got=$(cd "$tmp/caps" && comp tokaudit serve --events "")
[[ $got == *"notes.txt"* && $got == *"- "* ]] && ok "completion: --events offers files and -" || bad "completion: --events gave '$got'"
got=$(comp tokaudit run --interval "")
[ -z "$got" ] && ok "completion: nothing guessed for --interval SECONDS" || bad "completion: --interval gave '$got'"

# ---- systemd units ----
udir=$tmp/units
mkdir -p "$udir"
for u in tokaudit.service tokaudit@.service; do
	sed "s|^\(Exec[A-Za-z]*\)=[^ ]*/tokaudit |\1=$TA |" "build/systemd/$u" >"$udir/$u"
done
out=$(MANPATH=$top/build/man systemd-analyze verify --man=no "$udir/tokaudit.service" "$udir/tokaudit@.service" 2>&1)
[ -z "$out" ] && ok "systemd-analyze verify: both units clean" || bad "systemd-analyze verify: $(head -3 <<<"$out")"
mkdir -p "$tmp/man/man8" && cp "$man8" "$tmp/man/man8/"
out=$(MANPATH=$tmp/man systemd-analyze verify "$udir/tokaudit.service" 2>&1)
[ -z "$out" ] && ok "systemd-analyze verify: Documentation=man:tokaudit(8) resolves" || bad "verify with the man page: $out"
readme_score=$(sed -n 's/.*systemd-analyze security.*scores \*\*\([0-9.]*\)\*\*.*/\1/p' README.md | head -1)
for u in tokaudit.service tokaudit@.service; do
	s=$(systemd-analyze security --offline=true "$udir/$u" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	if [ -z "$s" ]; then bad "systemd-analyze security $u: no score"
	elif awk -v s="$s" 'BEGIN { exit !(s <= 4.0) }'; then ok "systemd-analyze security $u: $s (OK, <= 4.0)"
	else bad "systemd-analyze security $u: $s > 4.0"; fi
	[ "$s" = "$readme_score" ] || bad "README gives the exposure as '$readme_score', $u scores $s"
done
missing=
for k in "Type=notify" "ExecReload=/bin/kill -HUP \$MAINPID" "Restart=on-failure" "WatchdogSec=" "NoNewPrivileges=yes" \
	"ProtectSystem=strict" "ReadWritePaths=/sys/fs/bpf" "ProtectHome=yes" "PrivateTmp=yes" "RestrictAddressFamilies=" \
	"SystemCallArchitectures=native" "MemoryMax=" "EnvironmentFile="; do
	grep -qF -- "$k" "$udir/tokaudit.service" || missing+=" [$k]"
done
[ -z "${missing:-}" ] && ok "tokaudit.service: notify, reload by SIGHUP, restart, watchdog, hardening, MemoryMax" || bad "unit lacks:$missing"

# The unit's capability set and system-call filter, applied by hand (no
# systemd as PID 1 here): serve on a veth in a namespace of this test with
# the unit's bounding set and no_new_privs, traced by strace.
if need_root "serve with the unit's capabilities"; then
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	rtmp=$tmp/root && mkdir -p "$rtmp" && chmod 700 "$rtmp" # root's own: no CAP_DAC_OVERRIDE in the set
	ip netns add "$NS" && ip -n "$NS" link set lo up &&
		ip -n "$NS" link add ta0 type veth peer name ta1 && ip -n "$NS" link set ta0 up && ip -n "$NS" link set ta1 up
	caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$udir/tokaudit.service")
	bset="-all$(for c in $caps; do printf ',+%s' "$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done)"
	wait_metrics() {
		for _ in $(seq 60); do
			nsenter --net=/run/netns/$NS curl -sf --max-time 2 -o "$rtmp/metrics" http://127.0.0.1:9464/metrics && return 0
			kill -0 "$SERVE" 2>/dev/null || return 1
			sleep 0.1
		done
		return 1
	}
	nsenter --net=/run/netns/$NS strace -f -qq -o "$rtmp/strace" setpriv --bounding-set="$bset" --inh-caps=-all --no-new-privs \
		"$TA" serve -i ta0 --metrics 127.0.0.1:9464 --events "$rtmp/events" --interval 0.2 2>"$rtmp/serve.err" &
	SERVE=$!
	if wait_metrics && grep -q '^tokaudit_packets_total' "$rtmp/metrics"; then
		ok "serve with only $caps (no_new_privs): attached, metrics served"
	else
		bad "serve with the unit's capabilities: $(tail -3 "$rtmp/serve.err")"
	fi
	grep -q '^tokaudit_kernel_drops' "$rtmp/metrics" && ok "...and the drop tracer attached" || bad "drop tracer metrics missing"
	sp=$(pgrep -P "$SERVE" | head -1) # strace runs serve as its child
	[ -n "$sp" ] && kill -HUP "$sp" && sleep 0.5 && kill -TERM "$sp"
	wait "$SERVE" 2>/dev/null; rc=$?; SERVE=
	[ "$rc" -eq 0 ] && [ ! -e "$TOKAUDIT_PIN_ROOT/ta0" ] && ok "...SIGHUP then SIGTERM: exit 0, detached" || bad "serve exit $rc: $(tail -3 "$rtmp/serve.err")"
	# one capability less and the kernel refuses: the set is the least one
	expect_rc "without CAP_BPF serve fails" 1 nsenter --net=/run/netns/$NS setpriv --bounding-set="${bset/,+bpf/}" \
		--inh-caps=-all --no-new-privs "$TA" serve -i ta0 --events "$rtmp/events2"
	[ "$(wc -l <<<"$ERR")" -le 2 ] && ! grep -q "events" <<<"$ERR" && ok "...in a line or two: $(head -c 150 <<<"$ERR")" || bad "without CAP_BPF, $(wc -l <<<"$ERR") lines"
	# every system call serve made is in the unit's filter
	expand() {
		systemd-analyze syscall-filter "$1" 2>/dev/null | awk 'NR > 1 && $1 !~ /^#/ { print $1 }' | while read -r s; do
			case $s in @*) expand "$s" ;; *) echo "$s" ;; esac
		done
	}
	allowed=" "
	for g in $(sed -n 's/^SystemCallFilter=//p' "$udir/tokaudit.service"); do
		case $g in @*) allowed+="$(expand "$g" | tr '\n' ' ')" ;; *) allowed+="$g " ;; esac
	done
	used=$(awk '{ sub(/^[0-9]+ +/, ""); if (match($0, /^[a-z_0-9]+\(/)) print substr($0, 1, RLENGTH - 1) }' "$rtmp/strace" | sort -u)
	# setpriv's own calls before exec are not serve's
	outside=
	for s in $used; do [[ $allowed == *" $s "* ]] || outside+=" $s"; done
	outside=$(tr ' ' '\n' <<<"$outside" | grep -vxE 'prctl|capset|execve|' | tr '\n' ' ')
	[ "$(wc -w <<<"$used")" -gt 20 ] && [ -z "${outside// /}" ] && ok "serve's $(wc -w <<<"$used") system calls are all in SystemCallFilter" \
		|| bad "system calls outside the unit's filter:$outside (traced $(wc -w <<<"$used"))"

	# detach --all: every interface with pins, in one call
	nsenter --net=/run/netns/$NS "$TA" attach -i ta0,ta1 >/dev/null 2>&1
	# (one directory per interface; clsact:IFACE:N marks a qdisc tokaudit made)
	n=$(ls "$TOKAUDIT_PIN_ROOT" 2>/dev/null | grep -vc :)
	expect_rc "detach --all" 0 nsenter --net=/run/netns/$NS "$TA" detach --all
	[ "$n" -eq 2 ] && [ -z "$(ls -A "$TOKAUDIT_PIN_ROOT" 2>/dev/null)" ] \
		&& ! ip -n "$NS" link show ta0 | grep -q xdp && ok "detach --all removed both attached interfaces" \
		|| bad "detach --all: had $n, left $(ls "$TOKAUDIT_PIN_ROOT" 2>&1)"
	expect_rc "detach --all with nothing attached" 0 nsenter --net=/run/netns/$NS "$TA" detach --all
	expect_rc "detach with neither -i nor --all is a usage error" 2 "$TA" detach
	expect_rc "detach with both -i and --all is a usage error" 2 "$TA" detach -i lo --all

	# version: native XDP as the driver reports it, what is attached, JSON
	expect_rc "version -i veth" 0 ip netns exec "$NS" "$TA" version -i ta0
	expect_in "version: veth runs XDP natively" "native XDP     ta0: yes" "$OUT"
	expect_in "version: nothing attached" "XDP attached   ta0: none" "$OUT"
	expect_rc "version -i lo" 0 "$TA" version -i lo
	expect_in "version: lo has no native XDP" "native XDP     lo: no" "$OUT"
	foreign_xdp "$NS" ta1 on
	expect_rc "version -i with a program attached" 0 ip netns exec "$NS" "$TA" version -i ta1
	expect_in "version: names the attached program and its mode" "(skb)" "$OUT"
	foreign_xdp "$NS" ta1 off
	expect_rc "version --json" 0 ip netns exec "$NS" "$TA" version --json -i ta0
	if python3 -c 'import json,sys; d=json.load(sys.stdin); k=d["kernel_features"]
assert d["version"] and d["revision"] and d["libbpf"].startswith("v") and k["btf"] is True and k["ringbuf"] is True
assert k["tp_btf"] is True and d["interface"]["xdp_native"] is True and d["interface"]["xdp_prog_id"] is None' <<<"$OUT"; then
		ok "version --json: strict JSON with the features found"
	else bad "version --json: $OUT"; fi
	expect_rc "version -i missing interface" 1 "$TA" version -i nosuch$$
fi
rev=$(git -C "$top" rev-parse --short=12 HEAD 2>/dev/null)
out=$("$TA" version)
if [ -n "$rev" ]; then
	expect_in "version: the git revision it was built from" "revision       $rev" "$out"
fi
expect_in "version: libbpf's version" "libbpf         v" "$out"
expect_in "version: the kernel" "kernel         $(uname -r)" "$out"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$TA" version 2>&1)
expect_in "version as nobody: says which capabilities are missing" "missing CAP_BPF" "$out"
expect_in "version as nobody: ring buffer unknown, not 'no'" "unknown (probing needs CAP_BPF)" "$out"

# scripts/deps.sh --runtime: the package of every library the binary links
# directly is in it (libc aside), and it lists nothing to build with
rt=$(sed -n '/^runtime=(/,/^)/p' scripts/deps.sh | sed 's/#.*//' | tr -s ' \t\n' ' ')
miss=
for lib in $(readelf -d "$TA" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p'); do
	# (merged /usr: dpkg knows the file under /lib or /usr/lib)
	pkg=$(dpkg -S "*/$lib" 2>/dev/null | grep -v -- '-dev[:,]\|i386' | cut -d: -f1 | head -1)
	case $pkg in libc6 | libc6-*) ;; "") miss+=" $lib(no package?)" ;; *) [[ " $rt " == *" $pkg "* ]] || miss+=" $lib($pkg)" ;; esac
done
[ -z "$miss" ] && ok "deps.sh --runtime has every library tokaudit links" || bad "deps.sh --runtime lacks:$miss"
absent_out "deps.sh --runtime installs nothing to build with" '-dev|clang|gcc' "$([ -n "${rt// /}" ]; echo $?)" "$rt" "the runtime list of deps.sh"
expect_rc "deps.sh --help" 0 bash scripts/deps.sh --help
expect_rc "deps.sh with a bad option" 2 bash scripts/deps.sh --bogus
