#!/usr/bin/env bash
# Regenerate vmlinux/<arch>/vmlinux.h from a kernel's BTF and record where it
# came from in vmlinux/<arch>/SOURCE.
#
#   scripts/gen-vmlinux.sh [BTF_FILE]     (default /sys/kernel/btf/vmlinux)
#
# The header is only used for CO-RE: programs built against it load on any
# kernel with BTF whose types are compatible, not just the one recorded.
set -euo pipefail
btf=${1:-/sys/kernel/btf/vmlinux}
top=$(cd "$(dirname "$0")/.." && pwd)
case "$(uname -m)" in
	x86_64) arch=x86 ;;
	aarch64) arch=arm64 ;;
	*) echo "gen-vmlinux: unsupported architecture $(uname -m)" >&2; exit 1 ;;
esac
command -v bpftool >/dev/null || { echo "gen-vmlinux: bpftool not found (run scripts/deps.sh)" >&2; exit 1; }
[ -r "$btf" ] || { echo "gen-vmlinux: cannot read BTF at $btf (kernel built without CONFIG_DEBUG_INFO_BTF?)" >&2; exit 1; }
mkdir -p "$top/vmlinux/$arch"
bpftool btf dump file "$btf" format c > "$top/vmlinux/$arch/vmlinux.h.tmp"
mv "$top/vmlinux/$arch/vmlinux.h.tmp" "$top/vmlinux/$arch/vmlinux.h"
{
	echo "generated: $(date -u +%Y-%m-%d)"
	echo "from: $btf"
	echo "kernel: $(uname -r) ($(uname -v))"
	echo "machine: $(uname -m)"
	echo "tool: $(bpftool version | head -1)"
} > "$top/vmlinux/$arch/SOURCE"
echo "wrote vmlinux/$arch/vmlinux.h ($(wc -l < "$top/vmlinux/$arch/vmlinux.h") lines), see vmlinux/$arch/SOURCE"
