#!/usr/bin/env bash
# Checks what ChargeKit ships for Prometheus and Grafana with promtool (Debian's prometheus
# package, installed as root on a fresh machine; $PROMTOOL overrides):
#   - deploy/prometheus/chargekit-alerts.yml passes `promtool check rules`, and its alerts fire
#     and stay quiet as tests/prometheus/alerts-test.yml says (`promtool test rules`);
#   - every query of deploy/grafana/chargekit-dashboard.json is valid PromQL (checked as
#     recording rules) and names only metrics the server exports (the dashboard test checks
#     the names against a real scrape).
# `promtool check metrics` on a real scrape runs in tests/dashboard.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../lib/debian-command.sh disable=SC1091
source "$repo/tests/lib/debian-command.sh"
promtool="${PROMTOOL:-$(need_debian_command promtool prometheus)}"

"$promtool" check rules "$repo/deploy/prometheus/chargekit-alerts.yml"
(cd "$here" && "$promtool" test rules alerts-test.yml)

# The dashboard's queries as recording rules (JSON is YAML): promtool parses each one.
rules="$(mktemp --suffix=.json)"
trap 'rm -f "$rules"' EXIT
python3 - "$repo/deploy/grafana/chargekit-dashboard.json" "$rules" <<'PY'
import json, sys
dashboard = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
assert exprs, "the dashboard has queries"
rules = [{"record": f"grafana:panel_query_{i}", "expr": e} for i, e in enumerate(exprs)]
json.dump({"groups": [{"name": "grafana-dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
print(f"{len(exprs)} dashboard queries")
PY
"$promtool" check rules "$rules"
