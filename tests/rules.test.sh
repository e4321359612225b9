#!/usr/bin/env bash
# The Prometheus alerts in contrib/: valid (promtool check rules) and doing
# what they say (promtool test rules: series in, alerts out).  Root-free.
set -u
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
command -v promtool >/dev/null || { bad "promtool missing (scripts/deps.sh installs prometheus)"; exit 0; }
if out=$(promtool check rules "$top/contrib/prometheus/tokaudit-rules.yml" 2>&1); then
	ok "promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
else
	bad "promtool check rules: $out"
fi
if out=$(cd "$top/contrib/prometheus" && promtool test rules tokaudit-rules.test.yml 2>&1); then
	ok "promtool test rules: every alert fires and stays quiet as its tests say"
else
	bad "promtool test rules: $(tail -20 <<<"$out")"
fi
# the dashboard is JSON a strict parser takes, every panel with a query
python3 - "$top/contrib/grafana/tokaudit.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
empty = [p["title"] for p in d["panels"] if not any(t.get("expr") for t in p.get("targets", []))]
print(("ok" if d["panels"] and not empty else "FAIL") + " dashboard: %d panels, each with a query%s" % (len(d["panels"]), (": not " + ", ".join(empty)) if empty else ""))
PY
