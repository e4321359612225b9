#!/usr/bin/env bash
# The per-packet designs tried against the rows make bench still marks
# MISSED (issue 33, part 3), each a patch in tests/bench/designs/ applied
# to a scratch worktree of HEAD, built, and measured beside HEAD itself
# with ta_bench perpkt (BPF_PROG_TEST_RUN), in alternating rounds so that
# drift of the machine falls on every variant alike.  Prints one JSON
# line per measurement, then a table of the medians.  Needs root.
#   tests/bench/designs.sh [ROUNDS]     (default 3)
# The patches are experiments, not candidates as they stand: each says
# in a comment what it gives up (see tests/bench/results.md).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
rounds=${1:-3}
[ "$(id -u)" -eq 0 ] || { echo "designs: needs root (BPF_PROG_TEST_RUN)" >&2; exit 1; }
case $rounds in '' | *[!0-9]* | 0) echo "designs: rounds must be a positive number, not '$rounds'" >&2; exit 1 ;; esac
work=$(mktemp -d /tmp/tokaudit-designs.$$.XXXX)
cleanup() {
	for d in "$work"/*/; do
		[ -d "$d" ] && git -C "$top" worktree remove --force "$d" 2>/dev/null
	done
	rm -rf "$work"
	git -C "$top" worktree prune 2>/dev/null
}
trap cleanup EXIT INT TERM

variants=(head)
git -C "$top" worktree add -q --detach "$work/head" HEAD || exit 1
for p in "$top"/tests/bench/designs/*.patch; do
	v=$(basename "$p" .patch)
	git -C "$top" worktree add -q --detach "$work/$v" HEAD || exit 1
	if ! git -C "$work/$v" apply "$p"; then
		echo "designs: $v does not apply to HEAD any more: skipped" >&2
		continue
	fi
	variants+=("$v")
done
for v in "${variants[@]}"; do
	if ! make -s -C "$work/$v" -j2 build/bench/ta_bench >"$work/$v.build" 2>&1; then
		echo "designs: $v does not build:" >&2
		tail -5 "$work/$v.build" >&2
		exit 1
	fi
done

out=$work/results.jsonl
for round in $(seq "$rounds"); do
	for v in "${variants[@]}"; do
		for path in allowed_existing_flow later_fragment_allowed; do
			# (each run also prints new_flow, the median of its single runs)
			TA_BENCH_PATH=$path "$work/$v/build/bench/ta_bench" perpkt >"$work/run" 2>&1 ||
				{ echo "designs: $v: ta_bench failed: $(tail -1 "$work/run")" >&2; exit 1; }
			grep '"path":"\('$path'\|new_flow\)"' "$work/run" |
				sed "s/^{\"bench\":\"perpkt\",/{\"bench\":\"design_perpkt\",\"variant\":\"$v\",\"round\":$round,/" | tee -a "$out"
		done
	done
done

python3 - "$out" "${variants[@]}" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
variants = sys.argv[2:]
paths = ["allowed_existing_flow", "later_fragment_allowed", "new_flow"]
med = {}
for v in variants:
    for p in paths:
        xs = [r["over_floor"] for r in rows if r["variant"] == v and r["path"] == p]
        med[v, p] = statistics.median(xs) if xs else None
print()
print("ns over the floor (median of every run):")
print("| variant | " + " | ".join(paths) + " |")
print("|--|" + "--|" * len(paths))
for v in variants:
    cells = []
    for p in paths:
        m, b = med[v, p], med["head", p]
        cells.append("–" if m is None else f"{m:.1f}" if v == "head" else f"{m:.1f} ({m - b:+.1f})")
    print(f"| {v} | " + " | ".join(cells) + " |")
EOF
