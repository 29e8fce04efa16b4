#!/usr/bin/env bash
# Runs the operator dashboard test: the real `chargekit serve` binary ($CHARGEKIT_BIN, else
# $CARGO_TARGET_DIR/debug/chargekit, else target/debug/chargekit; build it first with
# `cargo build -p chargekit-cli`), data made through its APIs and a raw OCPP charger, and the
# dashboard opened in headless Chromium. The browser is Debian's `chromium` package ($CHROMIUM,
# else /usr/bin/chromium), driven by playwright-core; Playwright's own browser downloads are never
# used. promtool comes from Debian's prometheus package ($PROMTOOL, else the PATH). npm's download
# cache lives under ~/.cache/chargekit/npm ($XDG_CACHE_HOME is honoured).
set -euo pipefail
cd "$(dirname "$0")"

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
    echo "tests/dashboard needs Node.js 20 or newer, found $(node --version)" >&2
    exit 1
fi
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ] && [ -z "${CHROMIUM:-}" ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    # A fresh Debian machine (CI): install Debian's Chromium, as the Swift stage installs its chroot.
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ ! -x "$chromium" ]; then
    echo "tests/dashboard needs Chromium at $chromium: apt-get install -y --no-install-recommends chromium (or set CHROMIUM)" >&2
    exit 1
fi
export CHROMIUM="$chromium"
# promtool (Debian's prometheus package) checks the server's /metrics as Prometheus reads them.
# shellcheck source=../lib/debian-command.sh disable=SC1091
source ../lib/debian-command.sh
PROMTOOL="${PROMTOOL:-$(need_debian_command promtool prometheus)}"
export PROMTOOL

cache="${XDG_CACHE_HOME:-$HOME/.cache}/chargekit/npm"
# playwright-core downloads nothing at install; say so anyway, in case a later version would.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --cache "$cache" --prefer-offline --no-audit --no-fund --loglevel=error
exec node --test --test-concurrency=1 test/*.test.js
