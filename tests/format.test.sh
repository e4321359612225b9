#!/usr/bin/env bash
# The layout of the C (.clang-format): every line changed since
# .clang-format came in is as clang-format lays it out.  Lines older than
# that keep their layout until they are next changed.  Root-free.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/tokaudit-format.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT
# changed lines laid out otherwise: the diff git clang-format proposes, or nothing
proposed() { # DIR BASE
	git -C "$1" clang-format --quiet --diff --extensions c,h "$2" -- 2>&1 | grep -v '^no modified files to format$\|^clang-format did not modify any files$'
}

# the check itself sees a line laid out otherwise, in a repository of its own
git -C "$tmp" init -q && cp "$top/.clang-format" "$tmp/" && printf 'int f(void)\n{\n\treturn 1;\n}\n' >"$tmp/a.c" &&
	git -C "$tmp" add . && git -C "$tmp" -c user.email=t@t -c user.name=t commit -qm base
printf 'int f(void)\n{\n\treturn 1;\n}\nint g(void){return  2;}\n' >"$tmp/a.c"
expect_in "format: a changed line laid out otherwise is caught" "+int g(void)" "$(proposed "$tmp" HEAD)"

if ! git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	skip "format: not a git checkout, so no changed lines to check"
	exit 0
fi
if [ "$(git -C "$top" rev-parse --is-shallow-repository)" = true ]; then
	skip "format: a shallow clone: the history since .clang-format came in is not here"
	exit 0
fi
base=$(git -C "$top" log --diff-filter=A --format=%H -- .clang-format | tail -1)
base=${base:-HEAD} # .clang-format not committed yet: the changes in the work tree
out=$(proposed "$top" "$base")
if [ -z "$out" ]; then
	ok "format: every line changed since ${base:0:12} is laid out as .clang-format says"
else
	bad "format: changed lines laid out otherwise ('git clang-format $base' fixes them): $(head -c 600 <<<"$out")"
fi
