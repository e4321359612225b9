#!/usr/bin/env bash
# The kernel matrix: Debian's own packaged kernels booted under qemu (TCG)
# by scripts/kernel-vm.sh run the suites that need a kernel
# (tests/kernel/suites.sh), so a change one of their verifiers refuses
# never lands.  Under make test, Debian 12's 6.1 runs the standard set
# (the datapath tables and the drop forensics lab), Debian 11's 5.10 (the
# compat programs) and Debian 12's 6.12 the light one (the datapath table);
# every set loads every program of every variant the kernel can verify and
# replays the shared captures, which must print what the host prints.
# TA_KERNELS_FULL=1 (make test-kernels) runs the full set (with pinned mode
# and the live lab) on all three.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
need_root "kernel matrix (qemu)" || exit 0
for c in qemu-system-x86_64 busybox depmod cpio; do
	command -v $c >/dev/null || { bad "kernels: $c missing (scripts/deps.sh installs it)"; exit 0; }
done
mkdir -p "$top/build/kernels"
ref=$(mktemp -d "$top/build/kernels/replay.$$.XXXX")
log=$(mktemp /tmp/tokaudit-kernels.$$.XXXX)
trap 'rm -rf "$log" "$log".* "$ref"' EXIT INT TERM

# the shared captures and what the host makes of them
python3 "$top/tests/gen_captures.py" "$ref" >/dev/null && python3 "$top/tests/gen_carry.py" "$ref/carry.pcap" >/dev/null ||
	{ bad "kernels: the capture generators failed"; exit 0; }
# (the broken and unsupported ones are replay.test.sh's and captures.test.sh's: an error is no output to compare)
rm -f "$ref"/corrupt.pcap "$ref"/truncated.pcap "$ref"/runt*.pcap "$ref"/wifi.pcap "$ref"/expected.jsonl
for c in "$ref"/*.pcap "$ref"/*.pcapng; do
	# the host's replay must itself work: a failure both sides share is no match
	"$top/build/tokaudit" replay --json --packets "$c" >"$c.host" 2>&1 && grep -q '"type":"summary"' "$c.host" ||
		{ bad "kernels: the host's replay of $(basename "$c") failed: $(tail -1 "$c.host")"; exit 0; }
done
chmod -R a+rX "$ref"

# One VM per kernel, two at a time (a TCG guest keeps about one core
# busy), each in a session of its own with its own log; reported in the
# kernels' order once all are done.  The last job boots a checkout under
# /tmp (which the guest covers with a tmpfs): the scripts, a build and the
# kernels, copied there, must be shown to the guest at its own path.
co=$(mktemp -d /tmp/tokaudit-clone.$$.XXXX)
declare -A pgid=() t0=() rc=()
stop_vms() {
	for p in "${pgid[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap 'stop_vms; rm -rf "$log" "$log".* "$ref" "$co"' EXIT INT TERM
mkdir -p "$co/scripts" "$co/tests/kernel" "$co/build"
cp "$top/scripts/kernel-vm.sh" "$co/scripts/" && cp "$top/tests/kernel/guest.sh" "$co/tests/kernel/" &&
	cp "$top/build/tokaudit" "$co/build/" && ln -s "$top/build/kernels" "$co/build/kernels"

# the suites a kernel runs (tests/kernel/suites.sh's set)
set_of() {
	if [ "${TA_KERNELS_FULL:-0}" = 1 ]; then echo full; elif [ "$1" = 6.1 ]; then echo standard; else echo light; fi
}
# JOB (a kernel, or checkout): its guest in the background, log $log.JOB
start_job() {
	if [ "$1" = checkout ]; then
		setsid timeout 300 "$co/scripts/kernel-vm.sh" --kernel 6.1 -- 'pwd; build/tokaudit version | head -1' \
			>"$log.$1" 2>&1 &
	else
		local want=full
		[ "$1" = 5.10 ] && want=compat
		setsid timeout 900 "$top/scripts/kernel-vm.sh" --kernel "$1" -- \
			"bash tests/kernel/suites.sh $(set_of "$1") $ref $want" >"$log.$1" 2>&1 &
	fi
	pgid[$1]=$! t0[$1]=$(date +%s)
}

kernels=(${TA_KERNELS:-6.1 5.10 6.12})
running=0
for j in "${kernels[@]}" checkout; do
	if [ "$running" -ge 2 ]; then
		wait -n
		running=$((running - 1))
	fi
	start_job "$j"
	running=$((running + 1))
done
for j in "${kernels[@]}" checkout; do
	wait "${pgid[$j]}"
	rc[$j]=$?
	tr -d '\r' <"$log.$j" >"$log.$j.txt"
done
pgid=()

for kernel in "${kernels[@]}"; do
	txt=$log.$kernel.txt
	grep -aE '^(ok|FAIL|SKIP|version|time) \[' "$txt"
	n=$(grep -acE '^(ok|FAIL) \[' "$txt")
	name=$(sed -n 's/^kernel-vm: \(.*\) under qemu.*/\1/p' "$txt" | head -1)
	# (the guest's log was last written when it ended)
	took=$(($(stat -c %Y "$log.$kernel") - t0[$kernel]))
	if [ "${rc[$kernel]}" -eq 0 ] && [ "$n" -ge 8 ]; then
		ok "kernel matrix: ${name:-Linux $kernel}, $(set_of "$kernel") set, $n checks, $took s under TCG"
	else
		bad "kernel matrix: ${name:-Linux $kernel}: exit ${rc[$kernel]} after $n checks: $(grep -av '^\[ *[0-9.]*\]' "$txt" | tail -5 | tr '\n' ' ')"
	fi
done

out=$(cat "$log.checkout.txt")
if grep -qx "$co" <<<"$out" && grep -q '^tokaudit [0-9]' <<<"$out"; then
	ok "kernel matrix: a checkout under /tmp ($co) is seen by the guest at its own path"
else
	bad "kernel matrix: a checkout under /tmp: $(grep -av '^\[ *[0-9.]*\]' <<<"$out" | tail -4 | tr '\n' ' ')"
fi
rm -f "$log".*
