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
declare -A pgid=() t0=() t1=()
stop_vms() {
	for p in "${pgid[@]}"; do kill -TERM -- "-$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap 'stop_vms; rm -rf "$log" "$log".* "$ref" "$co"' EXIT INT TERM
mkdir -p "$co/scripts" "$co/tests/kernel" "$co/build"
cp "$top/scripts/kernel-vm.sh" "$co/scripts/" && cp "$top/tests/kernel/guest.sh" "$co/tests/kernel/" &&
	cp "$top/build/tokaudit" "$co/build/" && ln -s "$top/build/kernels" "$co/build/kernels"
kernels=(${TA_KERNELS:-6.1 5.10 6.12})
jobs_=("${kernels[@]}" checkout)
running=0
for j in "${jobs_[@]}"; do
	if [ "$running" -ge 2 ]; then
		wait -n -p done_pid
		for d in "${!pgid[@]}"; do [ "${pgid[$d]}" = "$done_pid" ] && t1[$d]=$(date +%s); done
		running=$((running - 1))
	fi
	if [ "$j" = checkout ]; then
		setsid timeout 300 "$co/scripts/kernel-vm.sh" --kernel 6.1 -- 'pwd; build/tokaudit version | head -1' \
			>"$log.$j" 2>&1 &
	else
		set=light want=full
		[ "$j" = 5.10 ] && want=compat
		[ "$j" = 6.1 ] && set=standard
		[ "${TA_KERNELS_FULL:-0}" = 1 ] && set=full
		setsid timeout 900 "$top/scripts/kernel-vm.sh" --kernel "$j" -- "bash tests/kernel/suites.sh $set $ref $want" \
			>"$log.$j" 2>&1 &
	fi
	pgid[$j]=$! t0[$j]=$(date +%s)
	running=$((running + 1))
done
declare -A rc=()
for j in "${jobs_[@]}"; do
	wait "${pgid[$j]}"
	rc[$j]=$?
	[ -n "${t1[$j]:-}" ] || t1[$j]=$(date +%s)
done
pgid=()

for kernel in "${kernels[@]}"; do
	set=light
	[ "$kernel" = 6.1 ] && set=standard
	[ "${TA_KERNELS_FULL:-0}" = 1 ] && set=full
	tr -d '\r' <"$log.$kernel" | grep -aE '^(ok|FAIL|SKIP|version|time) \['
	n=$(tr -d '\r' <"$log.$kernel" | grep -acE '^(ok|FAIL) \[')
	name=$(tr -d '\r' <"$log.$kernel" | sed -n 's/^kernel-vm: \(.*\) under qemu.*/\1/p' | head -1)
	if [ "${rc[$kernel]}" -eq 0 ] && [ "$n" -ge 8 ]; then
		ok "kernel matrix: ${name:-Linux $kernel}, $set set, $n checks, $((t1[$kernel] - t0[$kernel])) s under TCG"
	else
		bad "kernel matrix: ${name:-Linux $kernel}: exit ${rc[$kernel]} after $n checks: $(tr -d '\r' <"$log.$kernel" | grep -av '^\[ *[0-9.]*\]' | tail -5 | tr '\n' ' ')"
	fi
done

out=$(tr -d '\r' <"$log.checkout")
if grep -qx "$co" <<<"$out" && grep -q '^tokaudit [0-9]' <<<"$out"; then
	ok "kernel matrix: a checkout under /tmp ($co) is seen by the guest at its own path"
else
	bad "kernel matrix: a checkout under /tmp: $(grep -av '^\[ *[0-9.]*\]' <<<"$out" | tail -4 | tr '\n' ' ')"
fi
rm -f "$log".*
