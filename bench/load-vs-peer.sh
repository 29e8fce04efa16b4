#!/usr/bin/env bash
# ChargeKit and a peer central system (bench/peer/, the Python `ocpp` package committing each
# MeterValues to SQLite) loaded by the same harness, `chargekit-load`, one after the other,
# for each size and run: the figure is a ratio, not a claim (docs/benchmarks.md).
#
#   bench/load-vs-peer.sh OUT_DIR [SIZES] [RUNS]      # SIZES default "1000 5000 10000", RUNS 3
#
# Needs release builds (cargo build --release --locked -p chargekit-cli -p chargekit-sim) and
# the peer's packages in a virtual environment: PEER_PYTHON (default
# ~/.cache/chargekit-peer-venv/bin/python, made with
# `python3 -m venv ~/.cache/chargekit-peer-venv && ~/.cache/chargekit-peer-venv/bin/pip install -r bench/peer/requirements.txt`).
set -euo pipefail
out=${1:?usage: bench/load-vs-peer.sh OUT_DIR [SIZES] [RUNS]}
sizes=${2:-1000 5000 10000}
runs=${3:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
load="$here/target/release/chargekit-load"
python=${PEER_PYTHON:-$HOME/.cache/chargekit-peer-venv/bin/python}
mkdir -p "$out"

for size in $sizes; do
  for run in $(seq 1 "$runs"); do
    echo "== chargekit $size run $run, loadavg $(cat /proc/loadavg)" | tee -a "$out/summary.txt"
    "$load" --connections "$size" >"$out/chargekit-$size-$run.txt" 2>"$out/chargekit-$size-$run.log" || echo "(failed: see log)" >>"$out/summary.txt"
    tail -n 1 "$out/chargekit-$size-$run.txt" | tee -a "$out/summary.txt"
    echo "   loadavg after $(cat /proc/loadavg)" | tee -a "$out/summary.txt"

    db=$(mktemp -d)
    "$python" "$here/bench/peer/central_system.py" --database "$db/peer.db" >"$db/out.txt" 2>"$out/peer-$size-$run.server.log" &
    peer=$!
    until grep -q "listening on" "$db/out.txt" 2>/dev/null; do sleep 0.2; done
    addr=$(sed -n 's/^listening on \([^ ]*\) pid.*/\1/p' "$db/out.txt")
    echo "== peer $size run $run, loadavg $(cat /proc/loadavg)" | tee -a "$out/summary.txt"
    "$load" --connections "$size" --url "ws://$addr/ocpp" --server-pid "$peer" \
      >"$out/peer-$size-$run.txt" 2>"$out/peer-$size-$run.log" || echo "(failed: see log)" >>"$out/summary.txt"
    tail -n 1 "$out/peer-$size-$run.txt" | tee -a "$out/summary.txt"
    echo "   loadavg after $(cat /proc/loadavg)" | tee -a "$out/summary.txt"
    kill "$peer"; wait "$peer" 2>/dev/null || true
    rm -rf "$db"
  done
done
