#!/usr/bin/env bash
# The code's shape (README "Code map"): commands on top, engines below, no
# command reached into by another file, at most five levels of includes, no
# cycle, no oversized file without a reason.  Root-free.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
if out=$(python3 "$top/scripts/layers.py" 2>&1); then
	ok "layers: $(head -1 <<<"$out" | cut -d: -f1) at the top, rules kept"
else
	bad "layers: $(grep '^layers:' <<<"$out" | head -5)"
fi
# the checker itself catches a break: a command header included by an engine
tmpd=$(mktemp -d); trap 'rm -rf "$tmpd"' EXIT
cp -r "$top/user" "$top/include" "$top/scripts" "$tmpd/"
echo '#include "commands.h"' >> "$tmpd/user/flows.c"
if python3 "$tmpd/scripts/layers.py" >/dev/null 2>"$tmpd/err"; then
	bad "layers: an engine including commands.h went unnoticed"
else
	expect_in "layers: an engine including the registry is caught" "flows.c includes the command registry" "$(cat "$tmpd/err")"
fi
