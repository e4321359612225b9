#!/usr/bin/env bash
# What flows carry (issue 31), against tshark's dissectors: a capture of
# flows each carrying one kind of payload (tests/gen_carry.py) replayed;
# per flow, the kinds tokaudit names must be the ones tshark decodes its
# frames as (RTP and RTCP by tshark's heuristics), the STUN methods the same,
# and what a TURN channel relays as far as tshark names it.  RFC 3489's
# classic STUN (no magic cookie), which tshark decodes, is 'unknown' here:
# WebRTC's STUN has the cookie (RFC 7983).
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
command -v tshark >/dev/null || { bad "carry: tshark missing (scripts/deps.sh installs it)"; exit 0; }
need_root "carry (replay loads the BPF programs)" || exit 0
tmp=$(mktemp -d /tmp/tokaudit-carry.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
/usr/bin/python3 "$top/tests/gen_carry.py" "$tmp/c.pcap" || { bad "carry: the capture"; exit 0; }
expect_rc "replay the capture" 0 "$TA" replay --local 10.1.0.0/16 --json "$tmp/c.pcap" && printf '%s\n' "$OUT" >"$tmp/r.jsonl"
tshark -r "$tmp/c.pcap" -o rtp.heuristic_rtp:TRUE -o rtcp.heuristic_rtcp:TRUE -T fields -E separator=/t \
	-e udp.srcport -e tcp.srcport -e frame.protocols -e stun.channel -e stun.type.method >"$tmp/t.tsv" 2>/dev/null
python3 - "$tmp" <<'PY' && ok "every flow: the kinds, STUN methods and relayed payloads tokaudit names are tshark's" || bad "carry vs tshark"
import json, sys
d = sys.argv[1]
methods = {1: "binding", 3: "allocate", 4: "refresh", 6: "send", 7: "data", 8: "create-permission", 9: "channel-bind"}
want = {}
for line in open(d + "/t.tsv"):
    sport, tport, protos, chan, meth = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
    port = int(sport or tport)
    w = want.setdefault(port, {"carries": set(), "relayed": set(), "methods": set()})
    layers = protos.split(":")
    top = [l for l in layers[layers.index("udp" if sport else "tcp") + 1:] if l != "data"]
    if chan:
        w["carries"].add("turn-channel")
        w["relayed"].update(top[1:])
    elif not top or top[0] == "classicstun":
        w["carries"].add("unknown")
    else:
        w["carries"].add(top[0])
    if meth and not chan:
        w["methods"].add(methods[int(meth, 16)])
flows = [json.loads(l) for l in open(d + "/r.jsonl") if '"lport"' in l]
got = {f["lport"]: f for f in flows}
bad = []
for port, w in sorted(want.items()):
    f = got.get(port)
    if not f or set(f["carries"]) != w["carries"] or set(f["stun_methods"]) != w["methods"] \
            or not w["relayed"] <= set(f["carries_relayed"]):
        bad.append((port, w, f and (f["carries"], f["carries_relayed"], f["stun_methods"])))
if bad or len(want) < 8:
    print("\n".join(map(str, bad)))
    sys.exit(1)
PY
