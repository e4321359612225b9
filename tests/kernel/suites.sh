#!/bin/bash
# In the guest of scripts/kernel-vm.sh: the suites that need a kernel, each
# line prefixed with the guest's kernel; exit 1 when one failed.
k=$(uname -r)
# the suites skip what does not depend on the kernel (the host runs it)
export TA_KERNEL_VM=1
fail=0
for b in test_datapath test_learn test_carry test_media; do
	# the differential runs of test_learn are for the verifier here, not for
	# coverage (the host runs them whole): a tenth
	out=$(TA_LEARN_N=300 ./build/tests/$b 2>&1)
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out")
	if grep -q '^\[  FAILED  \]' <<<"$out" || [ -z "$p" ]; then
		echo "FAIL [$k] $b (BPF_PROG_TEST_RUN): $(grep -E 'FAILED|error|Error' <<<"$out" | head -3 | tr '\n' ' ')"
		fail=1
	else
		echo "ok [$k] $b: $p tests, the programs pass this kernel's verifier"
	fi
done
for t in forensics pinned live; do
	out=$(bash "tests/$t.test.sh" 2>&1)
	grep -E '^(ok|FAIL|SKIP) ' <<<"$out" | sed "s/^\(ok\|FAIL\|SKIP\) /\1 [$k] $t: /"
	grep -q '^FAIL ' <<<"$out" && fail=1
	grep -qE '^(ok|FAIL) ' <<<"$out" || { echo "FAIL [$k] $t: no result"; fail=1; }
done
exit $fail
