# Helpers for the shell test suites (tests/*.test.sh): each check prints
#   ok NAME | FAIL NAME: why | SKIP NAME: why
# and tests/run.sh counts them.
TA=${TA:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/tokaudit}
ok()   { echo "ok $*"; }
bad()  { echo "FAIL $*"; }
skip() { echo "SKIP $*"; }
# need_root NAME: true when root; else SKIP (FAIL under CI=true)
need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	if [ "${CI:-}" = true ]; then bad "$1: needs root and CI must not skip"; else skip "$1: needs root"; fi
	return 1
}
# expect_rc NAME WANT CMD...: run CMD, check its exit code; output in $OUT, stderr in $ERR
expect_rc() {
	local name=$1 want=$2; shift 2
	local ef; ef=$(mktemp)
	OUT=$("$@" 2>"$ef"); RC=$?
	ERR=$(cat "$ef"); rm -f "$ef"
	if [ "$RC" -eq "$want" ]; then ok "$name"; return 0; fi
	bad "$name: exit $RC, want $want; stderr: $(head -c 300 <<<"$ERR")"
	return 1
}
# expect_in NAME NEEDLE HAYSTACK
expect_in() {
	if grep -qF -- "$2" <<<"$3"; then ok "$1"; else bad "$1: '$2' not in: $(head -c 300 <<<"$3")"; fi
}
