#!/usr/bin/env bash
# kill -9 at random points of run, attach, reload and detach (50 times, the
# seed printed; TA_FAULT_SEED replays a run, TA_FAULT_N changes the count).
# After every kill: status tells the truth about what is on the interface,
# the next attach works with no manual cleanup, and after detach nothing of
# tokaudit is left (XDP program, tc filter, the clsact qdisc it created, pin,
# lock directory).
set -u
. "$(dirname "$0")/lib.sh"
need_root "kill -9 lab tests" || exit 0
lab_start kl || exit 0
seed=${TA_FAULT_SEED:-$(( $(date +%s) % 32768 ))}
N=${TA_FAULT_N:-10}   # make test; make fuzz runs FAULT_N (200)
RANDOM=$seed
echo "# seed $seed (TA_FAULT_SEED=$seed replays it)"
printf 'rule a\n proto udp\n ports 5000\n dir both\n addr 70.42.47.64/26\n' >"$tmp/A.policy"

# what the kernel says is on gwout
truth() {
	T_XDP=false T_TC=false T_CLSACT=false
	local id
	for id in $(gw bpftool net show dev gwout 2>/dev/null | sed -n 's/.*\(driver\|generic\) id \([0-9]*\).*/\2/p'); do
		bpftool prog show id "$id" 2>/dev/null | grep -q 'name tokaudit_xdp' && T_XDP=true
	done
	gw tc filter show dev gwout egress 2>/dev/null | grep -q 'tokaudit' && T_TC=true
	gw tc qdisc show dev gwout 2>/dev/null | grep -q clsact && T_CLSACT=true
}
py_bool() { [ "$1" = true ] && echo True || echo False; }

# an attach killed between pinning its maps and writing its metadata, made
# on purpose: the metadata zeroed as it is before the attach writes it
expect_rc "attach (to interrupt)" 0 gw "$TA" attach -i gwout
vsize=$(bpftool map show pinned "$TOKAUDIT_PIN_ROOT/gwout/ta_meta" | sed -n 's/.*value \([0-9]*\)B.*/\1/p')
bpftool map update pinned "$TOKAUDIT_PIN_ROOT/gwout/ta_meta" key 0 0 0 0 value $(printf '0 %.0s' $(seq "$vsize")) \
	&& ok "metadata zeroed ($vsize bytes)" || bad "cannot zero the metadata"
expect_rc "status on incomplete pins exits 1" 1 gw "$TA" status --json
grep -q '"incomplete":true,"xdp_attached":true,"tc_attached":true' <<<"$OUT" && ok "status: incomplete pins, and the hooks that are there" || bad "status: $OUT $ERR"
expect_rc "status as text" 1 gw "$TA" status
expect_in "status says how to go on" "an interrupted attach left incomplete pins" "$OUT"
expect_rc "attach over incomplete pins starts afresh" 0 gw "$TA" attach -i gwout
expect_in "attach says so" "starting afresh" "$ERR"
expect_rc "status after" 0 gw "$TA" status --json
expect_rc "detach" 0 gw "$TA" detach -i gwout

pass=0 fail=0
note() { fail=$((fail + 1)); [ "$fail" -le 8 ] && bad "iteration $i ($op, killed after ${ms} ms): $*"; }
for i in $(seq "$N"); do
	ops=(run attach reload detach)
	op=${ops[$((RANDOM % 4))]}
	# a delay anywhere in the command's life (here: run starts auditing after
	# about 2 s, attach takes 1 s, reload and detach tens of ms)
	case $op in
	run) ms=$((RANDOM % 2600)) ;;
	attach) ms=$((RANDOM % 1200)) ;;
	*) ms=$((RANDOM % 40)) ;;
	esac
	case $op in
	reload | detach) gw "$TA" attach -i gwout >/dev/null 2>&1 || { note "setup attach failed"; continue; } ;;
	esac
	case $op in
	run) args=(run -i gwout --json --duration 5) ;;
	attach) args=(attach -i gwout) ;;
	reload) args=(reload -i gwout -p "$tmp/A.policy") ;;
	detach) args=(detach -i gwout) ;;
	esac
	nsenter --net=/run/netns/$LAB_GW "$TA" "${args[@]}" >/dev/null 2>&1 &
	pid=$!
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null

	# status tells the truth
	truth
	st=$(gw "$TA" status --json 2>"$tmp/st.err"); rc=$?
	if grep -q '"incomplete":true' <<<"$st"; then
		# an attach killed half-way: its pins are incomplete, and status says
		# so with what is on the interface
		got=$(grep '"incomplete":true' <<<"$st" | jq_py '(r["xdp_attached"], r["tc_attached"])')
		want="($(py_bool $T_XDP), $(py_bool $T_TC))"
		{ [ $rc = 1 ] && [ "$got" = "$want" ]; } || { note "status on incomplete pins: exit $rc, (xdp, tc) $got, the kernel $want"; continue; }
	elif [ -d "$TOKAUDIT_PIN_ROOT/gwout" ] && [ $rc = 0 ]; then
		got=$(jq_py '(r["xdp_attached"], r["tc_attached"])' <<<"$st" 2>/dev/null)
		want="($(py_bool $T_XDP), $(py_bool $T_TC))"
		[ "$got" = "$want" ] || { note "status says (xdp, tc) $got, the kernel $want: $(gw bpftool net show dev gwout | tr "\n" " ")"; continue; }
	elif [ $rc = 0 ]; then
		note "status exit 0 with no pins: $st"; continue
	elif [ $T_XDP = false ] && [ $T_TC = false ] && grep -q left_behind <<<"$st"; then
		note "status reports hooks the kernel does not have: $st"; continue
	elif { [ $T_XDP = true ] || [ $T_TC = true ]; } && ! grep -q '"left_behind":true' <<<"$st"; then
		note "hooks on gwout (xdp $T_XDP, tc $T_TC) but status says: $(cat "$tmp/st.err")"; continue
	fi
	# the next attach works, and detach leaves nothing
	out=$(gw "$TA" attach -i gwout 2>&1) || { note "attach after the kill: $out"; continue; }
	out=$(gw "$TA" detach -i gwout 2>&1) || { note "detach: $out"; continue; }
	truth
	left=""
	[ $T_XDP = true ] && left="$left xdp"
	[ $T_TC = true ] && left="$left tc-filter"
	[ $T_CLSACT = true ] && left="$left clsact"
	[ -e "$TOKAUDIT_PIN_ROOT" ] && left="$left pins:$(ls -A "$TOKAUDIT_PIN_ROOT" | tr '\n' ' ')"
	[ -z "$left" ] || { note "left behind after detach:$left"; rm -rf "$TOKAUDIT_PIN_ROOT"; gw tc qdisc del dev gwout clsact 2>/dev/null; continue; }
	pass=$((pass + 1))
done
[ "$fail" = 0 ] && ok "kill -9 at random points: $pass of $N iterations clean (seed $seed)" || bad "kill -9: $fail of $N iterations failed (seed $seed)"
