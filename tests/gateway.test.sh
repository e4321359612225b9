#!/usr/bin/env bash
# Every other way a Linux gateway blocks (beyond its nftables rules, which
# blocks.test.sh covers), with tokaudit attached on the outside interface
# only.  Each case's diagnosis is decided here before the run (the flow, the
# place, the reason or the route's refusal, the direction) and its count is
# compared with a witness that is not tokaudit: nftables counters on the
# gateway's inside interface (every packet the client sends toward a case's
# address), tc's qdisc statistics, the kernel's SNMP counters (nstat).
#
#   70.42.47.71  blackhole route              ip_error, a blackhole route or rule
#   70.42.47.75  unreachable route            ip_error, an unreachable route
#   70.42.47.76  prohibit route               ip_error, a prohibit route or rule
#   70.42.47.77  ip rule ... prohibit         ip_error, a prohibit route or rule
#   70.42.47.78  no route at all              ip_error, no route
#   70.42.47.72  next hop that never answers  NEIGH_FAILED, before leaving gwout
#   70.42.47.73  qdisc on gwout drops it      QDISC_DROP, after tc egress saw it
#   70.42.47.74  XFRM policy blocks forward   XFRM_POLICY
#   70.42.47.70  TTL 1 (traceroute-like)      IP_INHDR at ip_forward
#   70.42.47.70  SYN+FIN (conntrack invalid)  NETFILTER_DROP (ct state invalid drop)
#   70.42.47.79  routed out of gwin (not audited): counted, no flow, said so
#
# Traps, where nothing may be called blocked: a client's and the gateway's
# own UDP socket closed before the replies come (the closed port answers
# them with ICMP port-unreachable, outbound), and an idle healthy flow.
set -u
. "$(dirname "$0")/lib.sh"
need_root "gateway block mechanisms" || exit 0
lab_cleanup_extra() {
	[ -n "${TAPID:-}" ] && kill "$TAPID" 2>/dev/null
	gw "$TA" detach -i gwout >/dev/null 2>&1
}
lab_start tgw || exit 0

setup_gateway() {
	ip -n "$LAB_GW" route add blackhole 70.42.47.71/32
	ip -n "$LAB_GW" route add unreachable 70.42.47.75/32
	ip -n "$LAB_GW" route add prohibit 70.42.47.76/32
	ip -n "$LAB_GW" route add 70.42.47.77/32 via 198.18.0.2
	ip -n "$LAB_GW" rule add to 70.42.47.77/32 prohibit
	# a next hop on the outside that never answers ARP
	ip -n "$LAB_GW" addr add 198.18.5.1/24 dev gwout
	ip -n "$LAB_GW" route add 70.42.47.72/32 via 198.18.5.9
	# a qdisc on the outside interface that drops everything to .73
	ip -n "$LAB_GW" route add 70.42.47.73/32 via 198.18.0.2
	ip netns exec "$LAB_GW" tc qdisc add dev gwout root handle 1: htb default 10
	ip netns exec "$LAB_GW" tc class add dev gwout parent 1: classid 1:10 htb rate 1gbit quantum 1514
	ip netns exec "$LAB_GW" tc class add dev gwout parent 1: classid 1:20 htb rate 1gbit quantum 1514
	ip netns exec "$LAB_GW" tc qdisc add dev gwout parent 1:20 handle 20: pfifo limit 0
	ip netns exec "$LAB_GW" tc filter add dev gwout parent 1: protocol ip prio 1 u32 \
		match ip dst 70.42.47.73/32 flowid 1:20
	# an IPsec policy that blocks forwarding to .74
	ip -n "$LAB_GW" route add 70.42.47.74/32 via 198.18.0.2
	ip -n "$LAB_GW" xfrm policy add dst 70.42.47.74/32 dir fwd action block
	# a policy address routed out of the inside interface, to nobody
	ip -n "$LAB_GW" route add 70.42.47.79/32 via 10.1.0.99 dev gwin
	# witnesses: what the client sent toward each address; conntrack's invalid drop
	ip netns exec "$LAB_GW" nft -f - <<'EOF'
table netdev w {
	chain in {
		type filter hook ingress device "gwin" priority 0;
		ip daddr 70.42.47.71 tcp dport 443 counter comment "bh_tcp"
		ip daddr 70.42.47.71 udp dport 5000 counter comment "bh_udp"
		ip daddr 70.42.47.75 counter comment "unreach"
		ip daddr 70.42.47.76 counter comment "prohibit"
		ip daddr 70.42.47.77 counter comment "rule"
		ip daddr 70.42.47.78 counter comment "noroute"
		ip daddr 70.42.47.72 counter comment "neigh"
		ip daddr 70.42.47.73 counter comment "qdisc"
		ip daddr 70.42.47.74 counter comment "xfrm"
		ip daddr 70.42.47.70 ip ttl 1 counter comment "ttl"
		ip daddr 70.42.47.79 counter comment "elsewhere"
	}
}
table inet ctw {
	chain forward_chain {
		type filter hook forward priority 0; policy accept;
		ct state invalid counter drop comment "invalid"
	}
}
EOF
}

drive() {
	peer "$LAB_CLIENT" tcp 70.42.47.71 443 --timeout 2.5 >/dev/null      # blackhole: SYN retried
	peer "$LAB_CLIENT" udp 70.42.47.71 5000 5 --no-wait >/dev/null
	peer "$LAB_CLIENT" tcp 70.42.47.75 443 --timeout 1 >/dev/null        # host unreachable comes back
	peer "$LAB_CLIENT" tcp 70.42.47.76 443 --timeout 1 >/dev/null
	peer "$LAB_CLIENT" tcp 70.42.47.77 443 --timeout 1 >/dev/null
	peer "$LAB_CLIENT" tcp 70.42.47.78 443 --timeout 1 >/dev/null        # the gateway has no default route
	peer "$LAB_CLIENT" udp 70.42.47.72 5000 4 --no-wait >/dev/null       # ARP never answered
	peer "$LAB_CLIENT" udp 70.42.47.73 5000 6 --no-wait >/dev/null       # qdisc drop
	peer "$LAB_CLIENT" udp 70.42.47.74 5000 3 --no-wait >/dev/null       # xfrm block
	peer "$LAB_CLIENT" send 10.1.0.5 40777 70.42.47.70 50000 5 --ttl 1 >/dev/null
	peer "$LAB_CLIENT" synfin 10.1.0.5 70.42.47.70 5560 3 >/dev/null
	peer "$LAB_CLIENT" udp 70.42.47.79 5000 3 --no-wait >/dev/null       # out of gwin
	# traps: the closed ports refuse the late replies with ICMP, outbound
	peer "$LAB_CLIENT" send 10.1.0.5 40555 70.42.47.70 50000 1 >/dev/null
	peer "$LAB_INET" send 70.42.47.70 50000 10.1.0.5 40555 2 >/dev/null
	gw python3 "$top/tests/lab_peer.py" send 198.18.0.1 40666 70.42.47.70 65535 1 >/dev/null
	peer "$LAB_INET" send 70.42.47.70 65535 198.18.0.1 40666 2 >/dev/null
	peer "$LAB_CLIENT" udp 72.5.167.140 1025 3 >/dev/null                # healthy, then idle
	sleep 4 # the neighbour gives up (3 probes, 1 s apart)
}

nstat_val() { ip netns exec "$LAB_GW" nstat -az "$1" | awk -v k="$1" '$1 == k {print $2}'; }

setup_gateway || { bad "gateway set-up"; exit 0; }
hdr0=$(nstat_val IpInHdrErrors)
xfrm0=$(ip netns exec "$LAB_GW" awk '$1 == "XfrmInPolBlock" {print $2}' /proc/net/xfrm_stat)
expect_rc "attach on the outside interface only" 0 gw "$TA" attach -i gwout || exit 0
drive
hdr1=$(nstat_val IpInHdrErrors)
xfrm1=$(ip netns exec "$LAB_GW" awk '$1 == "XfrmInPolBlock" {print $2}' /proc/net/xfrm_stat)
ip netns exec "$LAB_GW" nft -j list ruleset >"$tmp/nft.json"
ip netns exec "$LAB_GW" tc -s -j qdisc show dev gwout >"$tmp/tc.json"
expect_rc "why --json" 0 gw "$TA" why -i gwout --json && printf '%s\n' "$OUT" >"$tmp/why.json"
expect_rc "why --all --json" 0 gw "$TA" why -i gwout --all --json && printf '%s\n' "$OUT" >"$tmp/whyall.json"
expect_rc "stats --json" 0 gw "$TA" stats -i gwout --json && printf '%s\n' "$OUT" >"$tmp/stats.json"
expect_rc "why (text)" 0 gw "$TA" why -i gwout && printf '%s\n' "$OUT" >"$tmp/why.txt"

python3 - "$tmp" "$((hdr1 - hdr0))" "$((xfrm1 - xfrm0))" <<'PY'
import json, re, sys
d, hdr_delta, xfrm_delta = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
nft = json.load(open(d + "/nft.json"))["nftables"]
cnt = {}
for x in nft:
    r = x.get("rule")
    if r and "comment" in r:
        for e in r["expr"]:
            if "counter" in e:
                cnt[r["comment"]] = e["counter"]["packets"]
qdrops = [q for q in json.load(open(d + "/tc.json")) if q.get("handle") == "20:"][0]["drops"]
why = json.load(open(d + "/why.json"))
whyall = json.load(open(d + "/whyall.json"))
stats = json.load(open(d + "/stats.json"))
c = stats["counters"]
missed = c["kernel_drops_missed"]
arrow = "\u2192"

def expect(name, got, want):
    if got == want:
        print("ok %s" % name)
    else:
        print("FAIL %s:\n      got  %r\n      want %r" % (name, got, want))

def expect_drops(name, got, want):
    # the kernel skips a tracer already running on that CPU: a shortfall
    # that kernel_drops_missed explains is said, any other fails
    if got == want and want > 0:
        print("ok %s" % name)
    elif want > 0 and got < want <= got + missed:
        print("ok %s: %d of %d, the tracer skipped %d times" % (name, got, want, missed))
    else:
        print("FAIL %s: got %r, want %r (kernel_drops_missed %d)" % (name, got, want, missed))

def flows(w, remote, proto=None, rport=None):
    return [x for x in w if x["flow"]["remote"] == remote and (proto is None or x["flow"]["proto"] == proto)
            and (rport is None or x["flow"]["rport"] == rport)]

def one(name, remote, proto, rport):
    f = flows(why["why"], remote, proto, rport)
    if len(f) != 1:
        print("FAIL %s: %d diagnosed flows to %s %s:%s, want 1: %s" % (name, len(f), proto, remote, rport,
                                                                         json.dumps(why["why"])[:1200]))
        return None
    return f[0]

def at(f, fn):
    loc = f["last_drop_location"] or ""
    if not re.match(r"^%s\+0x[0-9a-f]+$" % fn, loc):
        print("FAIL drop location %r is not in %s" % (loc, fn))
    return "at %s (%s)" % (loc, f["last_drop_reason"])

def head(f, rule="control"):
    fl = f
    return "%s %s:%d %s %s:%d (%s, allowed): " % (fl["proto"].upper(), fl["local"], fl["lport"], arrow,
                                                  fl["remote"], fl["rport"], rule)

# --- routes and rules that refuse: the packet never leaves, its route says why
routes = [("blackhole route, TCP", "70.42.47.71", "tcp", 443, "bh_tcp", "a blackhole route or rule"),
          ("blackhole route, UDP", "70.42.47.71", "udp", 5000, "bh_udp", "a blackhole route or rule"),
          ("unreachable route", "70.42.47.75", "tcp", 443, "unreach", "an unreachable route"),
          ("prohibit route", "70.42.47.76", "tcp", 443, "prohibit", "a prohibit route or rule"),
          ("ip rule prohibit", "70.42.47.77", "tcp", 443, "rule", "a prohibit route or rule"),
          ("no route", "70.42.47.78", "tcp", 443, "noroute", "no route (or an unreachable rule)")]
for name, addr, proto, port, w, route in routes:
    x = one(name, addr, proto, port)
    if not x:
        continue
    f, n = x["flow"], cnt[w]
    expect_drops(name + ": drops = packets sent toward it (%d)" % n, f["kernel_drops"], n)
    expect(name + ": state, direction, route", (f["state"], f["last_drop_dir"], f["last_drop_route"]),
           ("blocked-before-egress", "out", route))
    k = f["kernel_drops"]
    what = "SYN" if proto == "tcp" else "packet"
    want = head(f, "control" if proto == "tcp" else "media") + \
        "%d %s%s dropped in this host %s before leaving gwout: this host's routing refused it, %s" % (
            k, what, "" if k == 1 else "s", at(f, "ip_error"), route)
    expect(name + ": sentence", x["diagnosis"], want)

# --- a next hop that never answers: the neighbour code drops what it queued
x = one("neighbour never answers", "70.42.47.72", "udp", 5000)
if x:
    f = x["flow"]
    expect_drops("neighbour: drops = packets sent toward it (%d)" % cnt["neigh"], f["kernel_drops"], cnt["neigh"])
    expect("neighbour: reason, state, direction", (f["last_drop_reason"] in ("NEIGH_FAILED", "NEIGH_QUEUEFULL"),
           f["state"], f["last_drop_dir"], f["last_drop_route"]), (True, "blocked-before-egress", "out", None))
    expect("neighbour: sentence", x["diagnosis"], head(f, "media") + "%d packets dropped in this host at %s (%s) before leaving gwout" % (
        f["kernel_drops"], f["last_drop_location"], f["last_drop_reason"]))

# --- the outside interface's qdisc: tc egress saw them, the queue dropped them
x = one("qdisc drop", "70.42.47.73", "udp", 5000)
if x:
    f = x["flow"]
    expect("qdisc: tc counted every drop", qdrops, 6)
    expect_drops("qdisc: drops = the qdisc's drop count (%d)" % qdrops, f["kernel_drops"], qdrops)
    expect("qdisc: reason, direction", (f["last_drop_reason"], f["last_drop_dir"]), ("QDISC_DROP", "out"))
    expect("qdisc: sentence", x["diagnosis"], head(f, "media") +
           "6 out, 0 in; %d dropped in this host at %s (QDISC_DROP), outbound; UDP only ever flowed out" % (
               f["kernel_drops"], f["last_drop_location"]))

# --- an IPsec policy that blocks forwarding
x = one("xfrm policy", "70.42.47.74", "udp", 5000)
if x:
    f = x["flow"]
    expect("xfrm: the kernel's XfrmInPolBlock = packets sent toward it", xfrm_delta, cnt["xfrm"])
    expect_drops("xfrm: drops = XfrmInPolBlock (%d)" % xfrm_delta, f["kernel_drops"], xfrm_delta)
    expect("xfrm: reason, state", (f["last_drop_reason"], f["state"]), ("XFRM_POLICY", "blocked-before-egress"))
    expect("xfrm: sentence", x["diagnosis"], head(f, "media") + "%d packets dropped in this host %s before leaving gwout" % (
        f["kernel_drops"], at(f, "ip_forward")))

# --- TTL expiring at the gateway
x = one("TTL expired", "70.42.47.70", "udp", 50000)
if x:
    f = x["flow"]
    expect("ttl: IpInHdrErrors = packets with TTL 1", hdr_delta, cnt["ttl"])
    expect_drops("ttl: drops = IpInHdrErrors (%d)" % hdr_delta, f["kernel_drops"], hdr_delta)
    expect("ttl: flow, reason, state", (f["lport"], f["last_drop_reason"], f["state"]),
           (40777, "IP_INHDR", "blocked-before-egress"))
    expect("ttl: sentence", x["diagnosis"], head(f, "media") + "%d packets dropped in this host %s before leaving gwout" % (
        f["kernel_drops"], at(f, "ip_forward")))

# --- conntrack: ct state invalid drop
x = one("conntrack invalid", "70.42.47.70", "tcp", 5560)
if x:
    f = x["flow"]
    expect_drops("ct invalid: drops = the nft rule's counter (%d)" % cnt["invalid"], f["kernel_drops"], cnt["invalid"])
    expect("ct invalid: reason, state", (f["last_drop_reason"], f["state"]), ("NETFILTER_DROP", "blocked-before-egress"))
    expect("ct invalid: sentence", x["diagnosis"], head(f) + "%d SYNs dropped in this host %s before leaving gwout" % (
        f["kernel_drops"], at(f, "nft_do_chain")))

# --- routed out of another interface: counted, said, no flow
expect_drops("not via the audited interface: counted as such (%d)" % cnt["elsewhere"], c["kernel_drops_elsewhere"],
             cnt["elsewhere"])
expect("no flow for the drops out of gwin", flows(whyall["why"], "70.42.47.79"), [])
expect("every other block on a flow: none left without one", (c["kernel_drops_no_flow"], why["drops_without_flow"],
       why["drops_elsewhere"]), (0, 0, c["kernel_drops_elsewhere"]))

# --- traps: nothing of these is a block
expect("closed sockets and an idle flow: not blocked", [x["diagnosis"] for x in why["why"] if
       (x["flow"]["remote"], x["flow"]["rport"]) in (("70.42.47.70", 50000), ("70.42.47.70", 65535), ("72.5.167.140", 1025))
       and x["flow"]["lport"] != 40777], [])
for lport, sender in ((40555, "10.1.0.5"), (40666, "198.18.0.1")):
    a = [x for x in whyall["why"] if x["flow"]["lport"] == lport]
    expect("--all shows the refused replies of port %d" % lport, len(a), 1)
    if a:
        f = a[0]["flow"]
        expect("port %d: ICMP sent by this side, none received" % lport,
               (f["icmp_sent"] >= 1, f["icmp_sent_last_type"], f["icmp_sent_last_code"], f["icmp_sent_from"],
                f["icmp_errors"], f["kernel_drops"]), (True, 3, 3, sender, 0, 0))
        expect("port %d: the sentence says this side refused them" % lport, "refused by this side with ICMP "
               "port-unreachable (type 3 code 3) from %s" % sender in a[0]["diagnosis"], True)
expect("why promises what --all shows", why["flows_only_all_explains"],
       len(whyall["why"]) - len(why["why"]))
PY

expect_in "why text: the elsewhere note names its cause" "not on their way through an audited interface" "$(cat "$tmp/why.txt")"
absent "why text: no flow-table advice" "flow table" cat "$tmp/why.txt"
n=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["flows_only_all_explains"])' "$tmp/why.json")
expect_in "why text: the hidden flows counted as --all lists them" "($n flows whose packets only an endpoint discarded or this side refused with ICMP not shown: --all shows them)" "$(cat "$tmp/why.txt")"
expect_rc "detach" 0 gw "$TA" detach -i gwout

# ---------- kernel-drop events carry what the packet had ----------
ip netns exec "$LAB_GW" "$TA" run -i gwout --json --interval 0.5 >"$tmp/run.jsonl" 2>"$tmp/run.err" &
TAPID=$!
for _ in $(seq 100); do grep -q '"event":"started"' "$tmp/run.jsonl" 2>/dev/null && break; sleep 0.1; done
if grep -q '"event":"started"' "$tmp/run.jsonl"; then
	peer "$LAB_CLIENT" tcp 70.42.47.71 443 --timeout 1 >/dev/null
	peer "$LAB_CLIENT" udp 70.42.47.79 5001 2 --no-wait >/dev/null
	sleep 4
	kill -TERM "$TAPID"; wait "$TAPID"; TAPID=
	python3 - "$tmp/run.jsonl" <<'PY' && ok "kernel-drop events: verdict, rule, direction and interface of the packet (or null with its cause)" || bad "kernel-drop events: $(grep kernel-drop "$tmp/run.jsonl" | head -c 1500)"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if '"event":"kernel-drop"' in l]
bh = [e for e in ev if e["remote"] == "70.42.47.71"]
assert bh, "no event for the blackholed SYN"
for e in bh:
    assert (e["verdict"], e["rule"], e["drop_dir"], e["iface"], e["state"], e["flow_created_by_drop"] or e["known_flow"],
            e["no_flow_cause"]) == ("allowed", "control", "out", "gwout", "blocked-before-egress", True, None), e
el = [e for e in ev if e["remote"] == "70.42.47.79"]
assert el, "no event for the drops out of gwin"
for e in el:
    assert (e["verdict"], e["rule"], e["drop_dir"], e["iface"], e["state"], e["no_flow_cause"]) == \
        ("allowed", "media", "out", None, "blocked-before-egress", "not-via-an-audited-interface"), e
PY
else
	bad "run did not start: $(cat "$tmp/run.err")"
fi
