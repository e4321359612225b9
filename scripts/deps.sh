#!/usr/bin/env bash
# Install the Debian packages tokaudit needs.
#   scripts/deps.sh            build, tests, lab and benchmarks (a developer's machine, CI)
#   scripts/deps.sh --runtime  only what running a built tokaudit needs (a gateway):
#                              the shared libraries it links, nothing to build or test with
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; }
# what the binary links (their own dependencies come with them), and the tools
# an admin uses beside it
runtime=(
	libbpf1 libelf1 zlib1g libpcap0.8 libjson-c5 libmicrohttpd12 libsystemd0 libmnl0 libncursesw6 libtinfo6 libsmartcols1 libfixbuf9 libglib2.0-0
	iproute2                            # ip, tc: what tokaudit attached, by hand
)
case ${1:-} in
	-h | --help) usage; exit 0 ;;
	--runtime) mode=runtime ;;
	"") mode=all ;;
	*) echo "deps: unknown option '$1' (scripts/deps.sh [--runtime])" >&2; exit 2 ;;
esac
pkgs=(
	make gcc clang llvm pkg-config      # build: C and BPF compilers, llvm-strip
	uthash-dev                          # hash tables in userspace
	bpftool                             # skeleton generation
	libbpf-dev libelf-dev zlib1g-dev    # libbpf and what it links against
	libpcap-dev                         # replay: pcap / pcapng reading
	libjson-c-dev                       # JSON output
	libcmocka-dev                       # unit test runner
	libmicrohttpd-dev                   # serve: the metrics endpoint
	libsystemd-dev                      # serve: sd_notify, the journal
	libmnl-dev                          # version: the driver's XDP features (netdev netlink)
	libncurses-dev tmux                 # run's live view, and its tests (driven in tmux)
	libsmartcols-dev                    # text tables (flows)
	libfixbuf-dev                       # serve --ipfix: IPFIX export
	nfdump pmacct libfixbuf-tools       # tests: real IPFIX collectors (nfcapd, nfacctd), ipfixDump
	scdoc mandoc man-db bsdextrautils   # the man page: built, linted, rendered (col)
	systemd systemd-container strace    # the units: systemd-analyze, a real systemd (nspawn); serve's system calls
	build-essential debhelper dpkg-dev lintian   # the Debian package, built and checked
	qemu-system-x86 busybox-static kmod cpio     # the kernel matrix: Debian 12's 6.1 under qemu
	prometheus curl                     # tests: a real Prometheus, promtool, scrapes
	python3 python3-dnspython           # capture generator in tests/; the DNS reference of dns.test.sh
	nsd                                 # the DNS server of names.test.sh
	python3-aiortc coturn openssl       # calls.test.sh: real WebRTC peers, a TURN server (UDP, TCP, TLS 443)
	iproute2 ethtool iputils-ping       # lab: netns, veth, offloads, reachability
	util-linux procps                   # nsenter, setpriv, mountpoint, pgrep
	nftables tcpdump tshark             # lab tests, independent counters, capture checks
	netsniff-ng xdp-tools linux-perf    # benchmarks: trafgen, xdp-filter, perf (the receiving CPU profiled)
	valgrind gdb                        # leak checks in tests; gdb holds serve at chosen points (serve.test.sh)
	universal-ctags clang-format git    # code checks: function lengths (layers.py), layout (.clang-format)
)
[ "$mode" = runtime ] && pkgs=("${runtime[@]}")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#pkgs[@]} packages already installed"
	exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: need root to install: ${missing[*]}" >&2; exit 1; }
	SUDO=sudo
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
