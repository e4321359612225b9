#!/bin/bash
# The guest side of scripts/kernel-vm.sh, run as the guest's first process
# in the host's (read-only) root: writable places, bpffs, tracefs, the
# booted kernel's modules, then the command; its status on the console.
run=$1
top=$(cat "$run/top")
# a checkout under a place that gets a tmpfs here (/tmp, /run, /var/tmp)
# would vanish under it: the shared root is held aside (in /dev, writable)
# and the checkout put back at its own path
case $top/ in /tmp/* | /run/* | /var/tmp/*) hidden=1 ;; *) hidden= ;; esac
[ -n "$hidden" ] && mkdir -p /dev/ta-hostroot && mount --bind / /dev/ta-hostroot
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/tmp
if [ -n "$hidden" ]; then
	mkdir -p "$top" && mount --bind "/dev/ta-hostroot$top" "$top" ||
		{ echo "guest: cannot show the checkout $top"; echo "ta-guest-exit: 1"; echo o >/proc/sysrq-trigger; }
fi
mkdir -p /run/netns
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# modules come from the kernel's package (this root has none for it): the
# kernel's own requests (veth, sch_ingress, nf_tables ...) go through a
# modprobe that looks there
kroot=$(dirname "$(dirname "$(dirname "$(cat "$run/modules")")")")
printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s "$@"\n' "$kroot" >/tmp/ta-modprobe
chmod +x /tmp/ta-modprobe
echo /tmp/ta-modprobe >/proc/sys/kernel/modprobe
ip link set lo up
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TERM=dumb
echo "guest: $(uname -r), $(nproc) CPUs"
cd "$top" && bash -c "$(cat "$run/cmd")"
echo "ta-guest-exit: $?"
sync
echo o >/proc/sysrq-trigger
sleep 10
