#!/usr/bin/env bash
# Run every test suite and print one summary line the CI log can read:
#   tokaudit: N passed, N failed, N skipped
# Suites: cmocka binaries in build/tests (test_* and the sanitizer builds
# asan_*), and shell suites tests/*.test.sh (which print ok/FAIL/SKIP lines).
# A suite's full output is shown when it fails (or with VERBOSE=1).
# Under CI=true a skipped test fails the run: CI runs as root, nothing may skip.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
pass=0 fail=0 skip=0 failed_suites=() fail_lines=()

run_suite() { # name, command...
	local name=$1; shift
	local out rc p f s lines
	local t0=$SECONDS
	out=$("$@" 2>&1); rc=$?
	if [[ $name == *.test.sh ]]; then
		p=$(grep -c '^ok ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out"); s=$(grep -c '^SKIP ' <<<"$out")
	else
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
		s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' <<<"$out" | tail -1)
	fi
	p=${p:-0} f=${f:-0} s=${s:-0}
	# a crash, a sanitizer report or a non-zero exit with nothing counted is a failure
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '%-28s %3d passed, %d failed, %d skipped  (%d s)\n' "$name" "$p" "$f" "$s" $((SECONDS - t0))
	if [ "$f" -ne 0 ] || [ "${VERBOSE:-0}" = 1 ]; then
		sed 's/^/    | /' <<<"$out"
		if [ "$f" -ne 0 ]; then
			failed_suites+=("$name")
			# repeated at the end, where a log's tail shows them
			lines=$(awk '/^(FAIL|# )/ { p = 1; print; next } /^[ \t]/ { if (p) print; next } { p = 0 }' <<<"$out" |
				tail -20 | sed "s|^|$name: |")
			[ -n "$lines" ] && fail_lines+=("$lines")
			[ $rc -ne 0 ] && fail_lines+=("$name: exit $rc; last line: $(tail -1 <<<"$out")")
		fi
	fi
	grep -E '^SKIP' <<<"$out" | sort -u | sed 's/^/    /'
}

for t in build/tests/test_* build/tests/asan_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done
for t in tests/*.test.sh; do
	[ -f "$t" ] || continue
	run_suite "$(basename "$t")" bash "$t"
done

if [ "${CI:-}" = true ] && [ "$skip" -ne 0 ]; then
	echo "CI=true: $skip skipped test(s); under CI nothing may skip"
	fail=$((fail + skip))
fi
if [ ${#failed_suites[@]} -ne 0 ]; then
	printf '%s\n' "${fail_lines[@]}"
	echo "failed suites: ${failed_suites[*]}"
fi
echo "tokaudit: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
