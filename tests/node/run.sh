#!/usr/bin/env bash
# Runs the ocpp-rpc (strict mode) interop tests against the real server binary: $CHARGEKIT_BIN,
# else $CARGO_TARGET_DIR/debug/chargekit, else target/debug/chargekit (build it first with
# `cargo build -p chargekit-cli`). Installs the locked npm packages with `npm ci`, keeping npm's
# download cache under ~/.cache/chargekit/npm ($XDG_CACHE_HOME is honoured), so a second run
# reuses the downloads.
set -euo pipefail
cd "$(dirname "$0")"

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "tests/node needs Node.js 20 or newer, found $(node --version)" >&2
    exit 1
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/chargekit/npm"
npm ci --cache "$cache" --prefer-offline --no-audit --no-fund --loglevel=error
exec node --test --test-concurrency=1 test/*.test.js
