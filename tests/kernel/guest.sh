#!/bin/bash
# The guest side of scripts/kernel-vm.sh, run as the guest's first process
# in the host's (read-only) root: writable places, bpffs, tracefs, the
# booted kernel's modules, then the command; its status on the console.
run=$1
# what the host left for this run, read before anything is mounted over it
top=$(cat "$run/top")
mods=$(cat "$run/modules")
cmd=$(cat "$run/cmd")
# a checkout, a kernel or this run's files under a place that gets a tmpfs
# here (/tmp, /run, /var/tmp) would vanish under it: the shared root is held
# aside (in /dev, writable) and each such path put back where it was (their
# real paths: a checkout may reach its kernels through a symbolic link)
keep=()
for p in "$top" "$(readlink -f "$top")" "$(readlink -f "$mods")" "$(readlink -f "$run")"; do
	case $p/ in /tmp/* | /run/* | /var/tmp/*) keep+=("$p") ;; esac
done
[ ${#keep[@]} -gt 0 ] && mkdir -p /dev/ta-hostroot && mount --bind / /dev/ta-hostroot
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/tmp
for p in "${keep[@]}"; do
	[ -d "$p" ] && mountpoint -q "$p" && continue
	mkdir -p "$p" && mount --bind "/dev/ta-hostroot$p" "$p" ||
		{ echo "guest: cannot show $p"; echo "ta-guest-exit: 1"; echo o >/proc/sysrq-trigger; }
done
mkdir -p /run/netns
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# modules come from the kernel's package (this root has none for it): the
# kernel's own requests (veth, sch_ingress, nf_tables ...) go through a
# modprobe that looks there
kroot=$(dirname "$(dirname "$(dirname "$mods")")")
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s "$@"\n' "$kroot" >/tmp/ta-modprobe
chmod +x /tmp/ta-modprobe
echo /tmp/ta-modprobe >/proc/sys/kernel/modprobe
ip link set lo up
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TERM=dumb
echo "guest: $(uname -r), $(nproc) CPUs"
cd "$top" && bash -c "$cmd"
echo "ta-guest-exit: $?"
sync
echo o >/proc/sysrq-trigger
sleep 10
