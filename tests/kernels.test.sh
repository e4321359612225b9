#!/usr/bin/env bash
# The kernel matrix: Debian 12's packaged 6.1 kernel booted under qemu (TCG)
# by scripts/kernel-vm.sh runs the suites that need a kernel (the datapath
# through BPF_PROG_TEST_RUN as replay runs it, drop forensics, pinned mode
# and a live lab with XDP and tc), so a
# change that kernel's verifier refuses never lands. Also: make test-kernels.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
need_root "kernel matrix (qemu)" || exit 0
for c in qemu-system-x86_64 busybox depmod cpio; do
	command -v $c >/dev/null || { bad "kernels: $c missing (scripts/deps.sh installs it)"; exit 0; }
done
log=$(mktemp /tmp/tokaudit-kernels.$$.XXXX)
trap 'rm -f "$log"' EXIT INT TERM
start=$(date +%s)
timeout 900 "$top/scripts/kernel-vm.sh" -- 'bash tests/kernel/suites.sh' >"$log" 2>&1
rc=$?
tr -d '\r' <"$log" | grep -aE '^(ok|FAIL|SKIP) \['
n=$(tr -d '\r' <"$log" | grep -acE '^(ok|FAIL) \[')
kernel=$(tr -d '\r' <"$log" | sed -n 's/^kernel-vm: \(.*\) under qemu.*/\1/p' | head -1)
if [ "$rc" -eq 0 ] && [ "$n" -gt 100 ]; then
	ok "kernel matrix: $kernel, $n checks, $(( $(date +%s) - start )) s under TCG"
else
	bad "kernel matrix: $kernel: exit $rc after $n checks: $(tr -d '\r' <"$log" | grep -av '^\[ *[0-9.]*\]' | tail -5 | tr '\n' ' ')"
fi
