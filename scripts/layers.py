#!/usr/bin/env python3
"""The shape of the code (README "Code map"); exit 1 when a rule breaks.

  scripts/layers.py [--dot]

user/ has three floors, a folder each: cmd/ (the commands, their option
tables and the dispatcher), engine/ (what the commands drive), core/ (the
datapath object, the policy, the flow model, small utilities).  A file
includes headers of its own floor and those below it, never above (the
Makefile gives each floor only those include paths, so the compiler refuses
it too).  Besides:
  - only the dispatcher and the commands include the registry commands.h;
  - nothing below user/cmd calls a function defined there;
  - at most five levels of includes, and no cycle;
  - no function in user/ or bpf/ runs over 80 lines, unless the comment just
    above it says why ("over 80 lines because ...");
  - every error (ta_err) says its subject first: "ta0: ...", "FILE: ...",
    "--option: ...", "run: ...", as ip and nft do.
Prints the include levels, then the functions the last rule let through.
"""
import os
import re
import subprocess
import sys

top = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
FLOORS = ["core", "engine", "cmd"]  # bottom to top
MAX_FUNC = 80
MAX_LEVELS = 5

files, floor_of, path_of = {}, {}, {}
for fl in FLOORS:
    d = os.path.join(top, "user", fl)
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        if f.endswith((".c", ".h")):
            files[f] = open(os.path.join(d, f)).read()
            floor_of[f], path_of[f] = fl, f"user/{fl}/{f}"
for f in sorted(os.listdir(os.path.join(top, "include"))):
    if f.endswith(".h"):
        files[f] = open(os.path.join(top, "include", f)).read()
        floor_of[f], path_of[f] = "abi", f"include/{f}"
errors = []
stray = [f for f in os.listdir(os.path.join(top, "user")) if f.endswith((".c", ".h"))]
for f in stray:
    errors.append(f"user/{f} is on no floor: move it to user/core, user/engine or user/cmd")
incl = {f: [h for h in re.findall(r'^#include "([^"]+)"', t, re.M) if h in files] for f, t in files.items()}


def rank(f):
    return -1 if floor_of[f] == "abi" else FLOORS.index(floor_of[f])


def is_cmd(f):
    return f.startswith("cmd_")


# 1. floors: nothing reaches up
for f, hs in incl.items():
    for h in hs:
        if rank(h) > rank(f):
            errors.append(f"{path_of[f]} includes {path_of[h]}, a floor above it")
        if h == "commands.h" and not (is_cmd(f) or f in ("dispatch.c", "main.c")):
            errors.append(f"{path_of[f]} includes the command registry commands.h")
# 2. nothing below the commands calls into their floor
cmd_funcs = {}
for f, t in files.items():
    if floor_of[f] == "cmd" and f.endswith(".c"):
        for m in re.finditer(r'^(?!static)[a-z][\w \*]*?\b(\w+)\(', t, re.M):
            cmd_funcs[m.group(1)] = f
for f, t in files.items():
    if f.endswith(".c") and floor_of[f] != "cmd":
        for fn, owner in cmd_funcs.items():
            if re.search(r'\b' + fn + r'\(', t):
                errors.append(f"{path_of[f]} calls {fn}() of {path_of[owner]}")
# 3. levels: the longest include chain below each file, and no cycle
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
if deepest > MAX_LEVELS:
    chain, f = [], max(depth, key=depth.get)
    while True:
        chain.append(f)
        nxt = [h for h in incl[f] if depth.get(h) == depth[f] - 1]
        if not nxt:
            break
        f = nxt[0]
    errors.append(f"{deepest} levels of includes (at most {MAX_LEVELS}): " + " -> ".join(chain))

# 4. function length, by ctags (every C function with its first and last line)
sources = [path_of[f] for f in files if floor_of[f] != "abi"]
sources += [os.path.join("bpf", f) for f in sorted(os.listdir(os.path.join(top, "bpf"))) if f.endswith((".c", ".h"))]
try:
    tags = subprocess.run(["ctags", "--c-kinds=f", "--fields=+ne", "--language-force=C", "-o", "-"] + sources,
                          cwd=top, capture_output=True, text=True, check=True).stdout
except (OSError, subprocess.CalledProcessError) as e:
    print(f"layers: ctags (universal-ctags) failed: {e}", file=sys.stderr)
    sys.exit(2)
long_ok = []
for line in tags.splitlines():
    cols = line.split("\t")
    fields = dict(c.split(":", 1) for c in cols[3:] if ":" in c)
    if "line" not in fields or "end" not in fields:
        continue
    name, path, first, last = cols[0], cols[1], int(fields["line"]), int(fields["end"])
    n = last - first + 1
    if n <= MAX_FUNC:
        continue
    text = open(os.path.join(top, path)).read().split("\n")
    above, i = [], first - 2
    while i >= 0 and (text[i].startswith(("/*", " *", "//")) or text[i].endswith("*/")):
        above.insert(0, text[i])
        i -= 1
    reason = re.search(r"over %d lines because (.+)" % MAX_FUNC, " ".join(a.strip(" /*") for a in above))
    if reason:
        long_ok.append(f"{path}:{first} {name}() {n} lines: {reason.group(1).rstrip(' */')}")
    else:
        errors.append(f"{path}:{first}: {name}() is {n} lines (at most {MAX_FUNC} without a reason written above it)")

# 5. errors in one voice: "SUBJECT: what went wrong[; what to do]", the
# subject first, as ip and nft say it: the interface, file, option, command
# or part at fault ("ta0: ...", "/etc/x.policy: ...", "--pcap FILE: ...",
# "run: ...", "kernel drops: ..."), never a sentence
SUBJECT = re.compile(r"^(%s|%\.\*s|%s:%d|[A-Za-z_][\w-]*( [A-Za-z][\w-]*){0,2}|--?[a-z][a-z-]*( '?%s'?(:%d)?)?): ")
SENTENCE = re.compile(r"^(cannot|can't|no|not|unknown|the|this|out|at|an?|refusing|tokaudit|writing|reading|"
                      r"waiting|give|which|missing|unexpected|option|interface|another|start)\b", re.I)
for f, t in files.items():
    if f.endswith(".c") and floor_of[f] != "abi":
        for m in re.finditer(r'\bta_err\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)', t):
            msg = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
            if not SUBJECT.match(msg) or SENTENCE.match(msg):
                errors.append(f"{path_of[f]}:{t[:m.start()].count(chr(10)) + 1}: ta_err(\"{msg[:60]}\"): "
                              "say the subject first (\"IFACE: ...\", \"FILE: ...\", \"--option: ...\")")

if "--dot" in sys.argv:
    print("digraph user {")
    for f, hs in incl.items():
        for h in hs:
            print(f'  "{path_of[f]}" -> "{path_of[h]}";')
    print("}")
else:
    for d in range(deepest, 0, -1):
        print(f"level {d}: " + " ".join(sorted(path_of[f] for f in files if depth[f] == d)))
    for l in long_ok:
        print("long, with a reason: " + l)
for e in errors:
    print("layers: " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
