#!/usr/bin/env bash
# Server names learned from DNS on a live gateway (issue 30): a real DNS
# server (nsd) on the lab's inet side serves media.example, whose 1000 names
# have addresses in no rule's prefixes; the policy's rule names
# *.media.example only.  A client asks each name (UDP, and every tenth over
# TCP) and connects the instant the answer arrives: every one of the 1000
# flows must be allowed by that rule from its first packet, none unexpected
# nor 'other'.  Then what must teach nothing: an answer no query asked for
# (sent from the server's address), and a name of no rule.
set -u
. "$(dirname "$0")/lib.sh"
need_root "server names lab" || exit 0
command -v nsd >/dev/null || { bad "names: nsd missing (scripts/deps.sh installs it)"; exit 0; }
N=1000
lab_cleanup_extra() {
	for p in ${nsd_pid:-} ${serve_pid:-} ${echo_pid:-} ${sink_pid:-}; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	return 0
}
lab_start names || exit 0

# the names' addresses: 100.70.0.0/22 on the inet side (any of them answers),
# routed by the gateway; the DNS server is the inet side's own 198.18.0.2
ip -n "$LAB_INET" route add local 100.70.0.0/22 dev lo
ip -n "$LAB_INET" route add local 100.71.0.0/24 dev lo
ip -n "$LAB_GW" route add 100.70.0.0/22 via 198.18.0.2
ip -n "$LAB_GW" route add 100.71.0.0/24 via 198.18.0.2
{
	printf '$ORIGIN media.example.\n$TTL 300\n'
	printf '@ SOA ns.media.example. admin.media.example. 1 3600 600 86400 300\n@ NS ns\nns A 198.18.0.2\n'
	for i in $(seq 1 $N); do printf 'h%d A 100.70.%d.%d\n' "$i" $((i / 250)) $((i % 250 + 1)); done
} >"$tmp/media.example.zone"
printf '$ORIGIN other.example.\n$TTL 300\n@ SOA ns.other.example. a.other.example. 1 3600 600 86400 300\n@ NS ns.media.example.\nx A 100.71.0.9\n' \
	>"$tmp/other.example.zone"
printf '$ORIGIN opentok.com.\n$TTL 300\n@ SOA ns.media.example. a.opentok.com. 1 3600 600 86400 300\n@ NS ns.media.example.\nmedia A 100.71.0.50\n' \
	>"$tmp/opentok.com.zone"
cat >"$tmp/nsd.conf" <<EOF
server:
	ip-address: 198.18.0.2
	port: 53
	username: ""
	chroot: ""
	zonesdir: "$tmp"
	database: ""
	pidfile: "$tmp/nsd.pid"
	xfrdfile: "$tmp/xfrd.state"
	zonelistfile: "$tmp/zone.list"
	hide-version: yes
	verbosity: 1
remote-control:
	control-enable: no
zone:
	name: media.example
	zonefile: media.example.zone
zone:
	name: other.example
	zonefile: other.example.zone
zone:
	name: opentok.com
	zonefile: opentok.com.zone
EOF
ip netns exec "$LAB_INET" nsd -d -c "$tmp/nsd.conf" >"$tmp/nsd.log" 2>&1 &
nsd_pid=$!
for _ in $(seq 50); do
	ip netns exec "$LAB_CLIENT" /usr/bin/python3 -c '
import dns.message, dns.query, sys
a = dns.query.udp(dns.message.make_query("h1.media.example", "A"), "198.18.0.2", timeout=0.2)
sys.exit(0 if a.answer else 1)' 2>/dev/null && break
	sleep 0.1
done
# pinned: the same names, and addresses that cover only the first 249 of
# them: the other 751 are drift (the two tables disagree)
printf 'rule named\n proto tcp\n ports 443\n dir out\n names *.media.example\n' >"$tmp/names.policy"
printf 'rule pinned\n proto tcp\n ports 443\n dir out\n names *.media.example\n addr 100.70.0.0/24\n' >>"$tmp/names.policy"
expect_rc "attach with a rule of names only" 0 gw "$TA" attach -i gwout --policy "$tmp/names.policy" || exit 0

# the client: ask, and connect as soon as the answer is in (non-blocking,
# the SYN leaves before anything else happens)
ip netns exec "$LAB_CLIENT" /usr/bin/python3 - "$N" >"$tmp/client.out" 2>&1 <<'PY'
import dns.message, dns.query, errno, socket, sys, time
n = int(sys.argv[1])
gaps = []
for i in range(1, n + 1):
    q = dns.message.make_query("h%d.media.example" % i, "A")
    a = (dns.query.tcp if i % 10 == 0 else dns.query.udp)(q, "198.18.0.2", timeout=2)
    t0 = time.monotonic()
    addr = a.answer[0][0].address
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex((addr, 443))
    gaps.append(time.monotonic() - t0)
    s.close()
gaps.sort()
print("connects %d, answer-to-SYN median %.0f us, max %.0f us" % (n, gaps[n // 2] * 1e6, gaps[-1] * 1e6))
PY
rc=$?
[ $rc -eq 0 ] && ok "client: $(tail -1 "$tmp/client.out")" || bad "client: exit $rc: $(tail -3 "$tmp/client.out")"
sleep 0.5
expect_rc "flows --json" 0 gw "$TA" flows -i gwout --json && printf '%s\n' "$OUT" >"$tmp/flows.json"
expect_rc "stats --json" 0 gw "$TA" stats -i gwout --json && printf '%s\n' "$OUT" >"$tmp/stats1.json"
python3 - "$tmp" "$N" <<'PY' && ok "$N flows to just-answered addresses: every one allowed by rule named from its first packet" || bad "learned flows misjudged"
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
flows = [json.loads(l) for l in open(d + "/flows.json") if l.strip()]
mine = [f for f in flows if str(f.get("remote", "")).startswith("100.70.")]
bad = [f for f in mine if f.get("verdict") != "allowed" or f.get("rule") != "named"]
if len(mine) != n or bad:
    print("flows to 100.70/22: %d of %d; misjudged: %d, e.g. %s" % (len(mine), n, len(bad), bad[:2]))
    sys.exit(1)
PY
python3 - "$tmp" <<'PY' && ok "each flow names its server: the name asked for its address" || bad "flows' server names"
import json, sys
flows = [json.loads(l) for l in open(sys.argv[1] + "/flows.json") if l.strip()]
wrong = []
for f in flows:
    if not str(f.get("remote", "")).startswith("100.70."):
        continue
    a = f["remote"].split(".")
    want = "h%d.media.example" % (int(a[2]) * 250 + int(a[3]) - 1)
    if f.get("server_name") != want:
        wrong.append((f["remote"], f.get("server_name"), want))
if wrong or not flows:
    print("wrong names", wrong[:3])
    sys.exit(1)
PY
expect_rc "flows (table)" 0 gw "$TA" flows -i gwout --sort remote
expect_in "...has a NAME column with the learned names" "h1000.media.example" "$OUT" &&
	{ grep -q "FLOW *NAME *CARRIES *VERDICT" <<<"$OUT" && ok "...NAME and CARRIES stand after FLOW" || bad "flows header: $(head -3 <<<"$OUT")"; }
# a learned address refusing a port no rule allows: why says so, and names it
ip netns exec "$LAB_CLIENT" /usr/bin/python3 -c '
import socket
try:
    socket.create_connection(("100.70.0.6", 4444), 2)
except OSError:
    pass'
sleep 0.2
expect_rc "why" 0 gw "$TA" why -i gwout && expect_in "...names the server after its address" ":4444 [h5.media.example] (no rule, unexpected)" "$OUT"
python3 - "$tmp" <<'PY' && ok "name drift: the 751 flows whose address is outside pinned's addresses say so, the others not" || bad "name drift"
import json, sys
flows = [json.loads(l) for l in open(sys.argv[1] + "/flows.json") if l.strip()]
c = json.load(open(sys.argv[1] + "/stats1.json")).get("counters", {})
wrong = [f["remote"] for f in flows if f["remote"].startswith("100.70.")
         and (f.get("name_drift_rules") == "pinned") != (not f["remote"].startswith("100.70.0."))]
if wrong or c.get("dns_name_drift") != 751:
    print("wrong drift", wrong[:3], "counter", c.get("dns_name_drift"))
    sys.exit(1)
PY
# a TLS client (Python's ssl) to h2's address, asking the server for another
# name: the flow carries the name of its ClientHello, which DNS did not give
ip netns exec "$LAB_CLIENT" /usr/bin/python3 - <<'PY'
import socket, ssl
ctx = ssl.create_default_context()
s = socket.create_connection(("100.70.0.3", 443), 2)
s.settimeout(1)
try:
    ctx.wrap_socket(s, server_hostname="tls-only.media.example")
except (OSError, ssl.SSLError):
    pass
PY
sleep 0.2
expect_rc "flows --json (TLS)" 0 gw "$TA" flows -i gwout --json --remote 100.70.0.3 &&
	python3 - "$OUT" <<'PY' && ok "a TLS flow names the server its ClientHello asked for" || bad "TLS server name: $OUT"
import json, sys
fl = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
tls = [f for f in fl if f.get("tls_client_hello") == "name"]
assert len(tls) == 1 and tls[0]["server_name"] == "tls-only.media.example", fl
assert all(f["server_name"] == "h2.media.example" for f in fl if f not in tls), fl
PY
python3 - "$tmp/stats1.json" "$N" <<'PY' && ok "counters: $N answers learned from, $N addresses, none unasked nor malformed" || bad "learning counters"
import json, sys
s = json.load(open(sys.argv[1]))
c = s.get("counters", s)
n = int(sys.argv[2])
want = {"dns_answers_learned_from": n, "dns_addresses_learned": n, "dns_addresses_new": n,
        "dns_answers_unasked": 0, "dns_malformed": 0}
got = {k: c.get(k) for k in want}
if got != want or s.get("learned_addresses") != {"entries": n, "capacity": 65536, "evicted": 0}:
    print("counters", got, "want", want, s.get("learned_addresses"))
    sys.exit(1)
PY

# what teaches nothing: an answer (from port 53 of an inet address) with no
# query before it, and an answer for a name of no rule
ip netns exec "$LAB_INET" /usr/bin/python3 - <<'PY'
import dns.message, dns.rrset, socket
q = dns.message.make_query("forged.media.example", "A")
r = dns.message.make_response(q)
r.answer.append(dns.rrset.from_text("forged.media.example.", 300, "IN", "A", "100.71.0.7"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("100.71.0.1", 53))
s.sendto(r.to_wire(), ("10.1.0.5", 33999))
PY
ip netns exec "$LAB_CLIENT" /usr/bin/python3 - <<'PY'
import dns.message, dns.query, socket
a = dns.query.udp(dns.message.make_query("x.other.example", "A"), "198.18.0.2", timeout=2)
for addr in ("100.71.0.7", a.answer[0][0].address):
    s = socket.socket(); s.setblocking(False); s.connect_ex((addr, 443)); s.close()
PY
sleep 0.3
expect_rc "flows --json (after)" 0 gw "$TA" flows -i gwout --json && printf '%s\n' "$OUT" >"$tmp/flows2.json"
expect_rc "stats --json (after)" 0 gw "$TA" stats -i gwout --json && printf '%s\n' "$OUT" >"$tmp/stats2.json"
python3 - "$tmp" <<'PY' && ok "an unasked answer and a name of no rule teach nothing: their addresses stay outside the policy" || bad "unasked / other name"
import json, sys
d = sys.argv[1]
flows = [json.loads(l) for l in open(d + "/flows2.json") if l.strip()]
judged = [f for f in flows if str(f.get("remote", "")).startswith("100.71.")]
c = json.load(open(d + "/stats2.json")).get("counters", {})
if judged or c.get("dns_answers_unasked") != 1 or c.get("dns_addresses_learned") != 1000:
    print("flows", judged[:2], "unasked", c.get("dns_answers_unasked"), "learned", c.get("dns_addresses_learned"))
    sys.exit(1)
PY
expect_rc "detach" 0 gw "$TA" detach -i gwout

# run's report: per rule, the server names that carried its flows (the top 8)
gw "$TA" run -i gwout --policy "$tmp/names.policy" --json --duration 4 >"$tmp/run.jsonl" 2>"$tmp/run.err" &
runpid=$!
wait_started "$tmp/run.jsonl"
ip netns exec "$LAB_CLIENT" /usr/bin/python3 - <<'PY'
import dns.message, dns.query, socket
for i in range(1, 21):
    for k in range(1 + (i == 3) * 2):  # h3 three times: the first name of the list
        a = dns.query.udp(dns.message.make_query("h%d.media.example" % i, "A"), "198.18.0.2", timeout=2)
        socket.create_connection((a.answer[0][0].address, 443), 2).close()
PY
wait $runpid
python3 - "$tmp/run.jsonl" <<'PY' && ok "run's report lists each rule's server names, most flows first, the rest counted" || bad "report names: $(tail -c 600 "$tmp/run.jsonl") $(cat "$tmp/run.err")"
import json, sys
rep = [json.loads(l) for l in open(sys.argv[1]) if '"report"' in l][-1]
c = {x["rule"]: x for x in rep["compliance"]}
names = c["named"]["server_names"]
assert len(names) == 8, names
assert names[0] == {"name": "h3.media.example", "flows": 3}, names[0]
assert all(n["flows"] == 1 for n in names[1:]), names
assert c["named"]["server_names_other_flows"] == 12, c["named"]
assert c["pinned"]["server_names"] == [] and c["pinned"]["server_names_other_flows"] == 0, c["pinned"]
PY

# vonage.policy's tiers: a lab name under opentok.com (served by the lab's
# own nsd), TCP 443 and UDP 3478 to it answered, no other UDP: the report
# says this network reaches "better"
ip netns exec "$LAB_INET" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("100.71.0.50", 3478))
s.settimeout(8)
try:
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(d, a)
except OSError:
    pass' &
echo_pid=$!
gw "$TA" run -i gwout --policy "$top/user/vonage.policy" --json --duration 4 >"$tmp/tiers.txt" 2>"$tmp/tiers.err" &
runpid=$!
wait_started "$tmp/tiers.txt"
ip netns exec "$LAB_CLIENT" /usr/bin/python3 - <<'PY'
import dns.message, dns.query, socket
a = dns.query.udp(dns.message.make_query("media.opentok.com", "A"), "198.18.0.2", timeout=2)
addr = a.answer[0][0].address
socket.create_connection((addr, 443), 2).close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(2)
u.sendto(b"stun?", (addr, 3478))
u.recvfrom(100)
PY
wait $runpid
kill $echo_pid 2>/dev/null; wait $echo_pid 2>/dev/null
python3 - "$tmp/tiers.txt" <<'PY' && ok "vonage.policy: the report says this network reaches the 'better' tier" || bad "tiers: $(grep -a report "$tmp/tiers.txt" | head -c 400) $(cat "$tmp/tiers.err")"
import json, sys
rep = [json.loads(l) for l in open(sys.argv[1]) if '"report"' in l][-1]
t = rep.get("client_tiers")
assert t == {"minimum": 1, "better": 1, "best": 0, "reached": "better"}, t
names = {x["rule"]: x["server_names"] for x in rep["compliance"]}
assert names["minimum"] == [{"name": "media.opentok.com", "flows": 1}], names
PY

# IPFIX: serve exports a learned flow's name as taServerName (ipfixDump
# reads the stream a TCP sink in the inet namespace kept)
port=$((20000 + $$ % 20000))
ip netns exec "$LAB_INET" python3 -c "$TCP_SINK_PY" 198.18.0.2 "$port" "$tmp/names.ipfix" &
sink_pid=$!
sleep 0.3
# (nsenter, not gw: $! must be serve itself, for the kill below)
nsenter --net=/run/netns/$LAB_GW "$TA" serve -i gwout --policy "$tmp/names.policy" --ipfix "198.18.0.2:$port,tcp" \
	--ipfix-active-timeout 1 --interval 0.5 >"$tmp/serve.out" 2>"$tmp/serve.err" &
serve_pid=$!
wait_started "$tmp/serve.out"
ip netns exec "$LAB_CLIENT" /usr/bin/python3 - <<'PY'
import dns.message, dns.query, socket
a = dns.query.udp(dns.message.make_query("h9.media.example", "A"), "198.18.0.2", timeout=2)
socket.create_connection((a.answer[0][0].address, 443), 2).close()
PY
sleep 2.5
kill -TERM $serve_pid; wait $serve_pid 2>/dev/null
serve_pid=
wait $sink_pid 2>/dev/null
gw "$TA" ipfix elements --format xml >"$tmp/ta.xml"
ipfixDump -e "$tmp/ta.xml" -i "$tmp/names.ipfix" >"$tmp/names.dump" 2>&1
python3 - "$tmp/names.dump" <<'PY' && ok "IPFIX: the learned flow's record carries taServerName h9.media.example" || bad "IPFIX taServerName: $(grep -m3 -i 'servername\|error' "$tmp/names.dump") $(tail -2 "$tmp/serve.err")"
import re, sys
recs = re.split(r"--- data record", open(sys.argv[1]).read())[1:]
names = set()
for r in recs:
    f = dict((m.group(1), re.sub(r"^\(len: \d+\) ", "", m.group(2).strip())) for m in re.finditer(r"\(\d+(?:/\d+)?\)\s+(\w+)\s*:\s*(.*)", r))
    if f.get("destinationTransportPort") == "443" or f.get("sourceTransportPort") == "443":
        names.add(f.get("taServerName"))
assert names == {"h9.media.example"}, names
PY
