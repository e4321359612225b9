#!/usr/bin/env bash
# The code's shape (README "Code map"): three floors in user/, none reaching
# up, no command reached into by another file, at most five levels of
# includes, no cycle, no function over 80 lines without a reason, errors
# that say their subject first.  Root-free.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
if out=$(python3 "$top/scripts/layers.py" 2>&1); then
	ok "layers: $(head -1 <<<"$out" | cut -d: -f1) at the top, rules kept"
else
	bad "layers: $(grep '^layers:' <<<"$out" | head -5)"
fi
# the checker itself catches each kind of break, in a copy of the tree
tmpd=$(mktemp -d); trap 'rm -rf "$tmpd"' EXIT
copy() { rm -rf "$tmpd/t"; mkdir "$tmpd/t"; cp -r "$top/user" "$top/include" "$top/scripts" "$top/bpf" "$tmpd/t/"; }
caught() { # NAME EXPECTED: the checker fails on the copy, saying EXPECTED
	if python3 "$tmpd/t/scripts/layers.py" >/dev/null 2>"$tmpd/err"; then
		bad "layers: $1 went unnoticed"
	else
		expect_in "layers: $1 is caught" "$2" "$(cat "$tmpd/err")"
	fi
}
copy; echo '#include "commands.h"' >> "$tmpd/t/user/core/flows.c"
caught "the core including the registry" "user/core/flows.c includes user/cmd/commands.h, a floor above it"
copy; echo '#include "session.h"' >> "$tmpd/t/user/core/log.c"
caught "the core including an engine" "user/core/log.c includes user/engine/session.h, a floor above it"
copy; echo 'int ta_x(void) { return ta_main(0, 0); }' >> "$tmpd/t/user/engine/why.c"
caught "an engine calling a command" "user/engine/why.c calls ta_main() of user/cmd/dispatch.c"
copy; printf 'void ta_x(void)\n{\n\tta_err("cannot frob %%s", "x");\n}\n' >> "$tmpd/t/user/engine/why.c"
caught "an error that does not say its subject first" 'ta_err("cannot frob %s"): say the subject first'
copy; touch "$tmpd/t/user/stray.c"
caught "a file on no floor" "user/stray.c is on no floor"
copy; { echo 'int ta_long(void)'; echo '{'; for i in $(seq 80); do echo '	ta_x();'; done; echo '}'; } >> "$tmpd/t/user/engine/why.c"
caught "a function of 83 lines" "user/engine/why.c:$(( $(wc -l < "$top/user/engine/why.c") + 1 )): ta_long() is 83 lines"
python3 - "$tmpd/t/user/engine/why.c" <<'PY'
import sys
p = sys.argv[1]; s = open(p).read()
s = s.replace("int ta_long(void)\n", "/* over 80 lines because it is a test of the reason */\nint ta_long(void)\n", 1)
open(p, "w").write(s)
PY
if out=$(python3 "$tmpd/t/scripts/layers.py" 2>&1); then
	expect_in "layers: a long function with its reason passes, and is listed" "ta_long() 83 lines: it is a test of the reason" "$out"
else
	bad "layers: a long function with its reason written above it: $(grep '^layers:' <<<"$out" | head -3)"
fi
