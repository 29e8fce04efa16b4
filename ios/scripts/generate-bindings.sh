#!/usr/bin/env bash
# Generates the core's Swift bindings into the package, where SwiftPM expects them (both paths
# are gitignored: generated code is never committed):
#   Sources/ChargeKit/Generated/ChargeKit.swift   the Swift side of the bindings
#   Sources/ChargeKitFFI/ChargeKitFFI.h           the C header behind the ChargeKitFFI module
# With a second argument, also writes the header and UniFFI's module map there (for the
# XCFramework). Files are only replaced when they change, so SwiftPM does not rebuild for nothing.
#
# Usage: generate-bindings.sh LIBRARY [HEADERS_DIR]
#   LIBRARY      a build of the core: libchargekit_core.so, .dylib or .a
# Environment: UNIFFI_BINDGEN (default: the uniffi-bindgen that cargo built in the target dir)
set -euo pipefail

ios="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="$(dirname "$ios")"
library="${1:?usage: generate-bindings.sh LIBRARY [HEADERS_DIR]}"
headers_dir="${2:-}"
bindgen="${UNIFFI_BINDGEN:-${CARGO_TARGET_DIR:-$repo/target}/debug/uniffi-bindgen}"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bindgen" generate --no-format --library "$library" --language swift \
    --config "$repo/uniffi.toml" --out-dir "$out"

# Copies $1 to $2 unless $2 has the same bytes already.
update() {
    mkdir -p "$(dirname "$2")"
    cmp -s "$1" "$2" || cp "$1" "$2"
}

update "$out/ChargeKit.swift" "$ios/Sources/ChargeKit/Generated/ChargeKit.swift"
update "$out/ChargeKitFFI.h" "$ios/Sources/ChargeKitFFI/ChargeKitFFI.h"
if [ -n "$headers_dir" ]; then
    update "$out/ChargeKitFFI.h" "$headers_dir/ChargeKitFFI.h"
    # A framework's headers need the name module.modulemap.
    update "$out/ChargeKitFFI.modulemap" "$headers_dir/module.modulemap"
fi
