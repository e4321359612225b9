#!/usr/bin/env bash
# The compat variant of the programs (bpf/compat.h, for Linux 5.10 to 5.17)
# on this kernel: TOKAUDIT_BPF_VARIANT=compat loads it here, and it must
# judge, learn, count and read payloads as the full variant does: the
# datapath tables through BPF_PROG_TEST_RUN, and replay of the generated
# captures printing what the full variant prints, byte for byte.  Its own
# verifier runs are in tests/kernels.test.sh (Debian 11's 5.10).
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
need_root "compat programs (BPF_PROG_TEST_RUN)" || exit 0
tmp=$(mktemp -d /tmp/tokaudit-compat.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

out=$(TOKAUDIT_BPF_VARIANT=compat "$TA" version --json)
python3 -c 'import json, sys; p = json.load(sys.stdin)["programs"]; sys.exit(0 if p["variant"] == "compat" and p["forced"] and p["degraded"] else 1)' <<<"$out" &&
	ok "version: TOKAUDIT_BPF_VARIANT=compat is said, with what it costs" || bad "version under compat: $out"
out=$("$TA" version --json)
python3 -c 'import json, sys; p = json.load(sys.stdin)["programs"]; sys.exit(0 if p["variant"] == "full" and not p["forced"] and p["lacks"] == "" else 1)' <<<"$out" &&
	ok "version: this kernel gets the full programs, lacking nothing" || bad "version: $out"

for b in test_datapath test_learn test_carry test_media; do
	out=$(TOKAUDIT_BPF_VARIANT=compat TA_LEARN_N=500 "$top/build/tests/$b" 2>&1)
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out")
	if grep -q '^\[  FAILED  \]' <<<"$out" || [ -z "$p" ]; then
		bad "$b under the compat programs: $(grep -E 'FAILED|rror' <<<"$out" | head -3 | tr '\n' ' ')"
	else
		ok "$b under the compat programs: $p tests"
	fi
done

python3 "$top/tests/gen_captures.py" "$tmp" >/dev/null && python3 "$top/tests/gen_carry.py" "$tmp/carry.pcap" >/dev/null ||
	{ bad "the capture generators failed"; exit 0; }
for c in basic.pcap basic.pcapng jumbo.pcap sll.pcap raw.pcap carry.pcap; do
	full=$("$TA" replay --json --packets "$tmp/$c" 2>&1) && rf=0 || rf=$?
	compat=$(TOKAUDIT_BPF_VARIANT=compat "$TA" replay --json --packets "$tmp/$c" 2>&1) && rc=0 || rc=$?
	# both ran to their summary (two equal failures are not a match)
	if [ $rf = 0 ] && [ $rc = 0 ] && grep -q '"type":"summary"' <<<"$full" && [ "$full" = "$compat" ]; then
		ok "replay $c: the compat programs print what the full ones print ($(wc -l <<<"$full") lines)"
	else
		bad "replay $c: compat differs: $(diff <(echo "$full") <(echo "$compat") | head -4 | tr '\n' ' ' | cut -c1-300)"
	fi
done
