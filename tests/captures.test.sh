#!/usr/bin/env bash
# Every way a capture can be broken, through replay: a file it cannot open
# gets one line naming it and exit 1; damage after some frames gets one line
# naming the frame, those frames reported, "status":"error" and exit 1;
# what libpcap reads as valid (caplen 0, caplen over the snaplen, unknown
# pcapng blocks) runs, exit 0.  (README "replay")
set -u
. "$(dirname "$0")/lib.sh"
need_root "capture tests (BPF_PROG_TEST_RUN)" || exit 0
tmp=$(mktemp -d /tmp/tokaudit-caps.XXXX)
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp" <<'PY'
import struct, sys
out = sys.argv[1]
fr = bytes(12) + b'\x08\x00' + bytes([0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 5, 70, 42, 47, 70,
                                      0x13, 0x88, 0xc3, 0x50, 0, 12, 0, 0]) + b'fuzz'
def ghdr(snap=65535, dlt=1, magic=0xa1b2c3d4): return struct.pack('<IHHiIII', magic, 2, 4, 0, 0, snap, dlt)
def rec(d, caplen=None, wlen=None):
    return struct.pack('<IIII', 1700000000, 0, len(d) if caplen is None else caplen, len(d) if wlen is None else wlen) + d
def blk(t, body):
    body += bytes((-len(body)) % 4)
    return struct.pack('<II', t, 12 + len(body)) + body + struct.pack('<I', 12 + len(body))
good = ghdr() + rec(fr) * 3
shb = blk(0x0a0d0d0a, struct.pack('<IHHq', 0x1a2b3c4d, 1, 0, -1))
idb = blk(1, struct.pack('<HHI', 1, 0, 262144))
def epb(d, cap=None, ifc=0): return blk(6, struct.pack('<IIIII', ifc, 0, 0, len(d) if cap is None else cap, len(d)) + d)
R = 24 + 16 + len(fr)  # end of the first record
cases = {
    # cannot be opened
    'open-empty': b'',
    'open-global-header-cut': good[:10],
    'open-bad-magic': b'\x00\x11\x22\x33' + good[4:],
    'open-unknown-linktype': ghdr(dlt=4242) + rec(fr),
    'open-ng-shb-cut': (shb + idb + epb(fr))[:20],
    'open-ng-idb-cut': (shb + idb + epb(fr))[:len(shb) + 10],
    'open-ng-packet-before-idb': shb + epb(fr),
    # damaged after frame 1
    'mid1-record-header-cut': good[:R + 7],
    'mid1-record-data-cut': good[:R + 16 + 10],
    'mid1-caplen-huge': ghdr() + rec(fr) + struct.pack('<IIII', 1700000000, 0, 0xfffffff0, 60) + fr,
    'mid1-ng-epb-cut': (shb + idb + epb(fr) + epb(fr))[:len(shb) + len(idb) + len(epb(fr)) + 30],
    'mid1-ng-block-len-huge': shb + idb + epb(fr) + struct.pack('<II', 6, 0x7ffffff0) + bytes(40),
    'mid1-ng-caplen-over-block': shb + idb + epb(fr) + epb(fr, cap=5000),
    'mid1-ng-unknown-interface': shb + idb + epb(fr) + epb(fr, ifc=7),
    # read as valid
    'ok2-caplen-zero': ghdr() + rec(b'', 0, 60) + rec(fr),
    'ok1-caplen-over-snaplen': ghdr(snap=40) + rec(fr),
    'ok2-ng-unknown-blocks': shb + idb + blk(0x40000bad, b'hello') + epb(fr) + blk(0x80000001, b'x' * 9) + epb(fr),
    'ok3-good': good,
}
for k, v in cases.items():
    open(f'{out}/{k}.pcap', 'wb').write(v)
PY
mkdir "$tmp/open-a-directory.pcap"

for f in "$tmp"/*.pcap; do
	name=$(basename "$f" .pcap)
	OUT=$(timeout 20 "$TA" replay --json "$f" 2>"$tmp/err"); RC=$?
	ERR=$(cat "$tmp/err")
	lines=$(grep -c . <<<"$ERR")
	frames=$(grep -o '"frames":[0-9]*' <<<"$OUT" | head -1 | cut -d: -f2)
	status=$(grep -o '"status":"[a-z]*"' <<<"$OUT" | head -1)
	case $name in
	open-*)
		[ $RC = 1 ] && [ "$lines" = 1 ] && [ "$(grep -o -F "$f" <<<"$ERR" | wc -l)" = 1 ] && [ -z "$OUT" ] \
			&& ok "$name: one line naming the file once, exit 1: $ERR" \
			|| bad "$name: exit $RC, $lines lines, out '${OUT:0:80}': $ERR" ;;
	mid*)
		want=${name:3:1}
		[ $RC = 1 ] && [ "$lines" = 1 ] && grep -q "after frame $want:" <<<"$ERR" && [ "$frames" = "$want" ] && [ "$status" = '"status":"error"' ] \
			&& ok "$name: frame $want reported, then one line and exit 1: $ERR" \
			|| bad "$name: exit $RC, frames '$frames', $status, $lines lines: $ERR" ;;
	ok*)
		want=${name:2:1}
		[ $RC = 0 ] && [ -z "$ERR" ] && [ "$frames" = "$want" ] && [ "$status" = '"status":"ok"' ] \
			&& ok "$name: read, $want frames, exit 0" \
			|| bad "$name: exit $RC, frames '$frames', $status: $ERR" ;;
	esac
done
# a caplen of 0 is a frame with nothing in it: invalid, counted
OUT=$("$TA" replay --json --packets "$tmp/ok2-caplen-zero.pcap" 2>&1)
grep '"type":"packet"' <<<"$OUT" | head -1 | grep -q '"verdict":"invalid"' && ok "caplen 0: the empty frame is invalid" || bad "caplen 0: $(head -c 300 <<<"$OUT")"
# a FIFO carrying a capture (as from tcpdump -w -)
mkfifo "$tmp/fifo"
cat "$tmp/ok3-good.pcap" >"$tmp/fifo" &
OUT=$(timeout 20 "$TA" replay --json "$tmp/fifo" 2>&1); RC=$?
wait
[ $RC = 0 ] && grep -q '"frames":3' <<<"$OUT" && ok "a capture through a FIFO: 3 frames" || bad "fifo: exit $RC: $(head -c 200 <<<"$OUT")"
# a missing file: its path said once
expect_rc "missing file exits 1" 1 "$TA" replay "$tmp/nonexistent.pcap"
[ "$ERR" = "tokaudit: replay: cannot read capture $tmp/nonexistent.pcap: No such file or directory" ] && ok "missing file: the path once" || bad "missing: $ERR"

# (not in the kernel matrix: the progress line does not depend on the kernel,
# and 5 M frames are slow under TCG)
# a progress line on a terminal (script gives replay one) for a capture
# that takes more than 2 s; none through a pipe or with --quiet
python3 - "$tmp/big.pcap" <<'PY'
import struct, sys
fr = bytes(12) + b'\x08\x00' + bytes([0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 1, 0, 5, 70, 42, 47, 70,
                                      0x13, 0x88, 0xc3, 0x50, 0, 12, 0, 0]) + b'fuzz'
rec = struct.pack('<IIII', 1700000000, 0, len(fr), len(fr)) + fr
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(50):
        f.write(rec * 100000)
PY
tty_out=$(script -qec "$TA replay $tmp/big.pcap" /dev/null | tr '\r' '\n')
grep -aq "^replay: [0-9]* frames, [0-9]* k frames/s, [0-9]* % of $tmp/big.pcap" <<<"$tty_out" \
	&& ok "progress line on a terminal: $(grep -a '^replay:' <<<"$tty_out" | tail -1)" || bad "no progress line: $(head -c 300 <<<"$tty_out")"
grep -aq "5000000 frames" <<<"$tty_out" && ok "the report follows the progress line" || bad "report: $(tail -c 300 <<<"$tty_out")"
absent "--quiet: no progress line" "frames/s" script -qec "$TA replay --quiet $tmp/big.pcap" /dev/null
"$TA" replay "$tmp/big.pcap" 2>"$tmp/err" >/dev/null; prc=$?
absent_out "not a terminal: no progress line" "frames/s" "$prc" "$(cat "$tmp/err")" "replay through a pipe"
rm -f "$tmp/big.pcap"
