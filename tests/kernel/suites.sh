#!/bin/bash
# In the guest of scripts/kernel-vm.sh: the suites that need a kernel, each
# line prefixed with the guest's kernel; exit 1 when one failed.
#   suites.sh full|standard|light [REFDIR [VARIANT]]
# Every set: what 'version' says this kernel lacks (VARIANT: the variant of
# the programs it must choose), every program of every variant this kernel
# can load through its verifier, the datapath table, replay of the shared
# captures (REFDIR: the host's output, which must be the same byte for
# byte).  standard adds the DNS, carry and media tables and the drop
# forensics lab (XDP and tc, live); full adds pinned mode and the live lab.
set=${1:-full}
ref=${2:-}
want=${3:-}
k=$(uname -r)
# the suites skip what does not depend on the kernel (the host runs it)
export TA_KERNEL_VM=1
fail=0
TA=./build/tokaudit
say() { # ok|FAIL text
	echo "$1 [$k] $2"
	[ "$1" = FAIL ] && fail=1
	return 0
}
took() { echo "time [$k] $1: $(($(date +%s) - $2)) s"; }

# what this kernel lacks, as 'version' says it (and its JSON says the same)
t0=$(date +%s)
"$TA" version | grep -E '^  (tp_btf|drop reasons|programs|degraded|    )' | sed "s/^  /version [$k] /"
vj=$("$TA" version --json)
variant=$(python3 -c 'import json, sys; p = json.load(sys.stdin)["programs"]; print(p["variant"])' <<<"$vj" 2>/dev/null)
lacks=$(python3 -c 'import json, sys; print(json.load(sys.stdin)["programs"]["lacks"] or "nothing")' <<<"$vj" 2>/dev/null)
if [ -n "$want" ] && [ "$variant" != "$want" ]; then
	say FAIL "version: the $variant programs chosen, want $want (lacks: $lacks)"
elif [ "$variant" = compat ] && ! grep -q bpf_loop <<<"$lacks"; then
	say FAIL "version: compat, but what the kernel lacks is not named: '$lacks'"
elif [ "$variant" = full ] || [ "$variant" = compat ]; then
	say ok "version: the $variant programs; lacks: $lacks"
else
	say FAIL "version --json: no programs variant: $(head -c 300 <<<"$vj")"
fi

# every program of each variant this kernel can load, drop tracer both ways
variants=$variant
[ "$variant" = full ] && variants="full compat"
for v in $variants; do
	for tp in 0 1; do
		out=$(TOKAUDIT_BPF_VARIANT=$v TOKAUDIT_KFREE_TRACEPOINT=$tp "$TA" run -i lo --duration 1 2>&1)
		what="the $v programs (XDP, tc both ways, kfree_skb by $([ $tp = 1 ] && echo tracepoint || echo tp_btf))"
		# its report says which variant ran
		if grep -q '"event":"report".*"kernel":{[^}]*"programs":"'"$v"'"' <<<"$out"; then
			say ok "verifier: $what load and run"
		else
			say FAIL "verifier: $what: $(grep -a 'tokaudit:' <<<"$out" | head -2 | tr '\n' ' ')"
		fi
	done
done
took verify "$t0"

cmocka=test_datapath
[ "$set" != light ] && cmocka="test_datapath test_learn test_carry test_media"
for b in $cmocka; do
	t0=$(date +%s)
	# the differential runs of test_learn are for the verifier here, not for
	# coverage (the host runs them whole): a tenth
	out=$(TA_LEARN_N=300 ./build/tests/$b 2>&1)
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out")
	if grep -q '^\[  FAILED  \]' <<<"$out" || [ -z "$p" ]; then
		say FAIL "$b (BPF_PROG_TEST_RUN): $(grep -E 'FAILED|error|Error' <<<"$out" | head -3 | tr '\n' ' ')"
	else
		say ok "$b: $p tests, the $variant programs pass this kernel's verifier"
	fi
	took "$b" "$t0"
done

# replay of the shared captures: what the host printed, byte for byte
if [ -n "$ref" ]; then
	t0=$(date +%s)
	for c in "$ref"/*.pcap "$ref"/*.pcapng; do
		[ -f "$c" ] || continue
		n=$(basename "$c")
		got=$("$TA" replay --json --packets "$c" 2>&1) && r=0 || r=$?
		if [ $r = 0 ] && [ "$got" = "$(cat "$c.host")" ]; then
			say ok "replay $n: the host's output, $(wc -l <<<"$got") lines"
		else
			say FAIL "replay $n differs from the host's: $(diff <(cat "$c.host") <(echo "$got") | head -4 | tr '\n' ' ' | cut -c1-300)"
		fi
	done
	took replay "$t0"
fi

shells=
[ "$set" = standard ] && shells=forensics
[ "$set" = full ] && shells="forensics pinned live"
for t in $shells; do
	t0=$(date +%s)
	out=$(bash "tests/$t.test.sh" 2>&1)
	grep -E '^(ok|FAIL|SKIP) ' <<<"$out" | sed "s/^\(ok\|FAIL\|SKIP\) /\1 [$k] $t: /"
	grep -q '^FAIL ' <<<"$out" && fail=1
	grep -qE '^(ok|FAIL) ' <<<"$out" || say FAIL "$t: no result"
	took "$t" "$t0"
done
exit $fail
