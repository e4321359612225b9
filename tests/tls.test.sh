#!/usr/bin/env bash
# The server name of a TLS ClientHello (user/core/tls.c) against a real TLS
# client: Python's ssl module (OpenSSL) writes ClientHellos for 200 names,
# with TLS 1.2 and 1.3, and without a name; tokaudit's reader must find each
# name, say "no name" where there is none, and call every cut of a hello
# (a ClientHello split over segments) incomplete, never a name.  Root-free.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d /tmp/tokaudit-tls.$$.XXXX)
trap 'rm -rf "$tmp"' EXIT
if ! python3 - "$tmp" <<'PY'
import random, ssl, sys

out = sys.argv[1]
rnd = random.Random(20131823)

def hello(name, maxver):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.maximum_version = maxver
    i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
    s = ctx.wrap_bio(i, o, server_hostname=name)
    try:
        s.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return o.read()

def name():
    labels = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789-ABC") for _ in range(rnd.randint(1, 63)))
              .strip("-") or "x" for _ in range(rnd.randint(1, 4))]
    n = ".".join(labels) + rnd.choice([".opentok.com", ".tokbox.com", ".example.net", ""])
    return n[:253].strip(".-") or "y"

hx, exp, cuts = [], [], []
for i in range(220):
    v = ssl.TLSVersion.TLSv1_2 if i % 2 else ssl.TLSVersion.TLSv1_3
    n = None if i % 11 == 0 else name()
    h = hello(n, v)
    hx.append(h.hex())
    exp.append("no-name" if n is None else "name " + n.lower())
    if i % 10 == 1:
        cuts += [h[:k].hex() for k in range(0, len(h), 7)]
open(out + "/hello.hex", "w").write("\n".join(hx) + "\n")
open(out + "/hello.exp", "w").write("\n".join(exp) + "\n")
open(out + "/cuts.hex", "w").write("\n".join(cuts) + "\n")
PY
then
	bad "tls: Python's ssl could not write ClientHellos"
	exit 0
fi
"$top/build/tests/test_tls" --dump <"$tmp/hello.hex" >"$tmp/hello.got"
if cmp -s "$tmp/hello.exp" "$tmp/hello.got"; then
	ok "tls: the server names of $(grep -c '^name' "$tmp/hello.exp") ClientHellos Python's ssl wrote found, and $(grep -c '^no-name' "$tmp/hello.exp") without one said so"
else
	bad "tls: differs from what Python's ssl sent: $(diff "$tmp/hello.exp" "$tmp/hello.got" | head -6 | tr '\n' ' ')"
fi
n=$(wc -l <"$tmp/cuts.hex")
inc=$("$top/build/tests/test_tls" --dump <"$tmp/cuts.hex" | grep -c '^incomplete$')
[ "$inc" = "$n" ] && ok "tls: every one of $n cut ClientHellos said incomplete, none read for a name" \
	|| bad "tls: $inc of $n cut ClientHellos incomplete"
