#!/usr/bin/env python3
"""The shape of user/: who includes whom.  Prints the include graph's levels
and checks the layering rules (README "Code map"); exit 1 when one breaks.

  scripts/layers.py [--dot]
"""
import os
import re
import sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
user, inc = os.path.join(top, "user"), os.path.join(top, "include")
files = {}
for d in (user, inc):
    for f in sorted(os.listdir(d)):
        if f.endswith((".c", ".h")):
            files[f] = open(os.path.join(d, f)).read()
incl = {f: [h for h in re.findall(r'^#include "([^"]+)"', t, re.M) if h in files] for f, t in files.items()}

def is_cmd(f):
    return f.startswith("cmd_")

errors = []
# 1. commands: nobody but the dispatcher reaches into them or the registry
for f, hs in incl.items():
    for h in hs:
        if h == "commands.h" and not (is_cmd(f) or f in ("dispatch.c", "main.c")):
            errors.append(f"{f} includes the command registry commands.h")
        if h in ("cli.h", "options.h") and not (is_cmd(f) or f in ("dispatch.c", "cli.c", "options.c", "commands.h", "options.h")):
            errors.append(f"{f} (not a command) includes {h}")
        if is_cmd(h):
            errors.append(f"{f} includes a command's header {h}")
cmd_funcs = {}
for f, t in files.items():
    if is_cmd(f) and f.endswith(".c"):
        for m in re.finditer(r'^(?!static)[a-z][\w \*]*?\b(\w+)\(', t, re.M):
            cmd_funcs[m.group(1)] = f
for f, t in files.items():
    if f.endswith(".c"):
        for fn, owner in cmd_funcs.items():
            if owner != f and re.search(r'\b' + fn + r'\(', t):
                errors.append(f"{f} calls {fn}() of {owner}")
# 2. levels: the longest include chain below each file, and no cycle
depth, stack = {}, []
def level(f):
    if f in depth:
        return depth[f]
    if f in stack:
        errors.append("include cycle: " + " -> ".join(stack[stack.index(f):] + [f]))
        return 0
    stack.append(f)
    d = 1 + max((level(h) for h in incl[f] if h != f), default=0)
    stack.pop()
    depth[f] = d
    return d
for f in files:
    level(f)
deepest = max(depth.values())
if deepest > 5:
    chain, f = [], max(depth, key=depth.get)
    while True:
        chain.append(f)
        nxt = [h for h in incl[f] if depth.get(h) == depth[f] - 1]
        if not nxt:
            break
        f = nxt[0]
    errors.append(f"{deepest} levels of includes (at most 5): " + " -> ".join(chain))
# 3. size: over ~500 lines, the opening comment must say it is one job
for f, t in files.items():
    n = t.count("\n")
    if n > 550 and "one cohesive job" not in t[:1500]:
        errors.append(f"{f}: {n} lines, and its opening comment does not say it is one cohesive job")
if "--dot" in sys.argv:
    print("digraph user {")
    for f, hs in incl.items():
        for h in hs:
            print(f'  "{f}" -> "{h}";')
    print("}")
else:
    for d in range(deepest, 0, -1):
        print(f"level {d}: " + " ".join(sorted(f for f in files if depth[f] == d)))
for e in errors:
    print("layers: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
