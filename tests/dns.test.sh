#!/usr/bin/env bash
# The DNS message parser (user/core/dns.c) against a reference: dnspython
# writes answers (compressed, CNAME chains in any order, A and AAAA, records
# of other names and types) and says what each one gives the name asked
# for; tokaudit's parser must read the same from the same bytes.  Every
# truncation of those messages must be refused.  Root-free.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/tokaudit-dns.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT
PY=/usr/bin/python3 # Debian's, with python3-dnspython (scripts/deps.sh)
if ! "$PY" -c 'import dns.message' 2>/dev/null; then
	bad "dns: dnspython missing for $PY (scripts/deps.sh installs python3-dnspython)"
	exit 0
fi
"$PY" - "$tmp" <<'PY'
import random, sys
import dns.message, dns.rrset, dns.rdatatype, dns.name, dns.flags

out = sys.argv[1]
rnd = random.Random(20131823)
pool = ["www.opentok.com", "api.tokbox.com", "x.opentok.com", "mantis404-oak.tokbox.com", "cdn.example.net",
        "a.b.c.example.org", "turn501-nyc.tokbox.com", "y.opentok.com", "edge.example.com"]

def name():
    if rnd.random() < 0.3:
        return ".".join(rnd.choice("abcdefghij") * rnd.randint(1, 12) for _ in range(rnd.randint(1, 4))) + ".com"
    return rnd.choice(pool)

def addr(v6):
    if v6:
        return "2001:db8::%x" % rnd.randint(1, 0xffff)
    return "%d.%d.%d.%d" % (rnd.choice([70, 72, 212, 192]), rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254))

def expect(m):
    """What an answer gives the name asked for, read back by dnspython"""
    q = m.question[0].name.to_text(omit_final_dot=True).lower()
    rrs = [(r.name.to_text(omit_final_dot=True).lower(), r.rdtype, r.ttl, d) for r in m.answer for d in r]
    chain = [q]
    for _ in range(8):
        grew = False
        for o, t, ttl, d in rrs:
            tgt = d.target.to_text(omit_final_dot=True).lower() if t == dns.rdatatype.CNAME else None
            if t == dns.rdatatype.CNAME and o in chain and tgt not in chain:
                if len(chain) == 8:
                    continue
                chain.append(tgt)
                grew = True
        if not grew:
            break
    addrs, other = [], 0
    for o, t, ttl, d in rrs:
        if t in (dns.rdatatype.A, dns.rdatatype.AAAA) and o in chain:
            addrs.append("%s/%d/%d" % (d.address, ttl, chain.index(o)))
        elif not (t == dns.rdatatype.CNAME and o in chain):
            other += 1
    dropped = max(0, len(addrs) - 32)
    return "ok %d %s%s dropped=%d other=%d" % (m.question[0].rdtype, ",".join(chain),
                                                "".join(" " + a for a in addrs[:32]), dropped, other)

good, exp, trunc = [], [], []
for i in range(400):
    qn = name()
    qt = rnd.choice([dns.rdatatype.A, dns.rdatatype.AAAA])
    m = dns.message.make_response(dns.message.make_query(qn, qt, id=rnd.randint(0, 65535)))
    # records grouped in sets (one owner, type and TTL each), as DNS sends them
    sets = {}
    def add(owner, rtype, value):
        sets.setdefault((owner, rtype), (rnd.randint(0, 86400), []))[1].append(value)
    owner = qn
    for _ in range(rnd.randint(0, 4)):  # a CNAME chain
        tgt = name()
        add(owner, "CNAME", tgt + ".")
        owner = tgt
    for _ in range(rnd.randint(0, 40 if i % 10 == 0 else 4)):  # addresses of the chain's end, or of others
        v6 = rnd.random() < 0.3
        add(owner if rnd.random() < 0.8 else name(), "AAAA" if v6 else "A", addr(v6))
    if rnd.random() < 0.2:
        add(name(), "TXT", '"v=spf1 -all"')
    order = list(sets.items())
    rnd.shuffle(order)
    for (o, t), (ttl, values) in order:
        m.answer.append(dns.rrset.from_text_list(o + ".", ttl, "IN", t, values))
    wire = m.to_wire()
    m2 = dns.message.from_wire(wire)
    good.append(wire.hex())
    exp.append(expect(m2))
    if i % 20 == 0:
        trunc += [wire[:k].hex() for k in range(0, len(wire), 3)]
open(out + "/good.hex", "w").write("\n".join(good) + "\n")
open(out + "/good.exp", "w").write("\n".join(exp) + "\n")
open(out + "/trunc.hex", "w").write("\n".join(trunc) + "\n")
PY
[ -s "$tmp/good.hex" ] || { bad "dns: dnspython wrote no messages"; exit 0; }
"$top/build/tests/test_dns" --dump <"$tmp/good.hex" >"$tmp/good.got"
if cmp -s "$tmp/good.exp" "$tmp/good.got"; then
	ok "dns: 400 answers dnspython wrote read as dnspython reads them (chains, A/AAAA, TTLs, other records)"
else
	bad "dns: differs from dnspython: $(diff "$tmp/good.exp" "$tmp/good.got" | head -6 | tr '\n' ' ')"
fi
n=$(wc -l <"$tmp/trunc.hex")
refused=$("$top/build/tests/test_dns" --dump <"$tmp/trunc.hex" | grep -c '^refused ')
[ "$refused" = "$n" ] && ok "dns: every one of $n truncated messages refused" || bad "dns: $refused of $n truncations refused"
