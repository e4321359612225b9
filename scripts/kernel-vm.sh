#!/usr/bin/env bash
# Boot another kernel under qemu (TCG) and run tokaudit's kernel-facing
# tests in it.  The guest's root is this machine's own root, shared
# read-only over 9p (so the guest has the same tools and build), with tmpfs
# where tests write; the kernel and its modules come from Debian's package,
# fetched with apt into build/kernels/ (nothing is installed on this host).
# The guest has no network device: its traffic stays in its own namespaces.
#
#   scripts/kernel-vm.sh [--kernel 5.10|6.1|6.12] [--package PKG] -- CMD...
# --kernel: Debian 11's 5.10 (fetched from the archive's bullseye suite,
# with apt state of its own under build/kernels/apt-bullseye: the host's
# apt configuration is not touched), Debian 12's 6.1 (the default), or the
# 6.12 that Debian 12 also ships; --package names the image package itself.
# prints the guest's console; exits with CMD's exit status (255: no boot).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
pkg=${TA_KERNEL_PACKAGE:-}
series=${TA_KERNEL:-6.1}
while [ $# -gt 0 ]; do
	case $1 in
	--package) pkg=$2; shift 2 ;;
	--kernel) series=$2; shift 2 ;;
	--) shift; break ;;
	-h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "kernel-vm: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "kernel-vm: no command to run in the guest (see --help)" >&2; exit 2; }
for c in qemu-system-x86_64 busybox depmod modprobe cpio apt-get dpkg-deb; do
	command -v $c >/dev/null || { echo "kernel-vm: $c missing (scripts/deps.sh installs it)" >&2; exit 1; }
done
# apt with the host's configuration, or (bullseye) with a sources list and
# state of our own, for the download only
apt_opts=()
if [ "$series" = 5.10 ]; then
	ad=$top/build/kernels/apt-bullseye
	mkdir -p "$ad/lists/partial" "$ad/cache/archives/partial"
	# the archive the host uses, its bullseye suite
	mirror=$(apt-get indextargets --format '$(REPO_URI)' 'Codename: bookworm' 2>/dev/null | grep -v security | head -1)
	mirror=${mirror:-http://deb.debian.org/debian/}
	printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s bullseye main\n' "$mirror" >"$ad/sources.list"
	apt_opts=(-o Dir::Etc::sourcelist="$ad/sources.list" -o Dir::Etc::sourceparts=- -o Dir::State::Lists="$ad/lists"
		-o Dir::Cache="$ad/cache" -o Dir::State::status=/dev/null -o Debug::NoLocking=1)
	if [ -z "$(find "$ad/updated" -mmin -1440 2>/dev/null)" ]; then
		apt-get "${apt_opts[@]}" update >"$ad/update.log" 2>&1 ||
			{ echo "kernel-vm: apt-get update of bullseye failed: $(tail -1 "$ad/update.log")" >&2; exit 1; }
		date +%s >"$ad/updated"
	fi
fi
if [ -z "$pkg" ]; then
	case $series in
	5.10) re='^linux-image-5\.10\.0-[0-9]+-amd64$' ;;
	6.1) re='^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	6.12) re='^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
	*) echo "kernel-vm: --kernel $series: one of 5.10, 6.1, 6.12" >&2; exit 2 ;;
	esac
	# the newest generic image of the series (the cloud flavour has no 9p)
	pkg=$(apt-cache "${apt_opts[@]}" search --names-only "$re" 2>/dev/null | awk '{ print $1 }' | sort -V | tail -1)
	[ -n "$pkg" ] || { echo "kernel-vm: no package of Linux $series known to apt (apt-get update?)" >&2; exit 1; }
fi
kdir=$top/build/kernels/$pkg
if [ ! -f "$kdir/ready" ]; then
	rm -rf "$kdir" && mkdir -p "$kdir/dl"
	(cd "$kdir/dl" && apt-get "${apt_opts[@]}" download "$pkg" >/dev/null 2>&1) || { echo "kernel-vm: apt-get download $pkg failed" >&2; exit 1; }
	dpkg-deb -x "$kdir"/dl/*.deb "$kdir/root"
	rm -rf "$kdir/dl"
	kver=$(ls "$kdir/root/lib/modules")
	depmod -b "$kdir/root" "$kver"
	# the initramfs: busybox and the modules that mount the shared root
	ir=$kdir/initramfs
	mkdir -p "$ir/bin" "$ir/mods" "$ir/proc" "$ir/sys" "$ir/dev" "$ir/newroot"
	cp "$(command -v busybox)" "$ir/bin/busybox"
	for m in 9p 9pnet_virtio virtio_pci; do
		modprobe -d "$kdir/root" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++' | while read -r ko; do
		cp "$ko" "$ir/mods/" && basename "$ko" >>"$ir/mods/order"
	done
	cat >"$ir/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m || echo "guest: insmod $m failed"; done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /newroot; then
	echo "guest: cannot mount the host's root"; poweroff -f
fi
for w in $(cat /proc/cmdline); do
	case $w in ta.init=*) ta_init=${w#ta.init=} ;; ta.run=*) ta_run=${w#ta.run=} ;; esac
done
for d in proc sys dev; do mount --move /$d /newroot/$d; done
# switch_root, not chroot: the kernel's own helpers (modprobe) see this root too
exec switch_root /newroot /bin/bash "$ta_init" "$ta_run"
INIT
	chmod +x "$ir/init"
	(cd "$ir" && find . | cpio -o -H newc --quiet | gzip -1) >"$kdir/initramfs.gz"
	echo "$kver" >"$kdir/ready"
fi
kver=$(cat "$kdir/ready")
echo "kernel-vm: $pkg ($kver) under qemu TCG"
run=$(mktemp -d "$top/build/kernels/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
printf '%s\n' "$*" >"$run/cmd"
echo "$kdir/root/lib/modules/$kver" >"$run/modules"
echo "$top" >"$run/top"
chmod -R a+rX "$run"
qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m 2048 -nographic -no-reboot -nic none \
	-kernel "$kdir/root/boot/vmlinuz-$kver" -initrd "$kdir/initramfs.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 ta.init=$top/tests/kernel/guest.sh ta.run=$run" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap </dev/null | tee "$run/console" | tr -d '\r'
rc=$(sed -n 's/^ta-guest-exit: \([0-9]*\).*/\1/p' "$run/console" | tr -d '\r' | tail -1)
[ -n "$rc" ] || { echo "kernel-vm: the guest did not report an exit status" >&2; exit 255; }
exit "$rc"
