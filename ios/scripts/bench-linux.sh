#!/usr/bin/env bash
# Measures the round trip of cheap synchronous core calls from Swift on Linux: a release build
# of the core (cargo) and of ChargeKitBench (swift build -c release, Swift 6 in the chroot of
# lib/swift-chroot.sh). Prints the median ns per call for each call measured. Needs root.
#
# Usage: bench-linux.sh [CALLS_PER_SAMPLE [SAMPLES]]   (default 1000 × 200: 200k calls each)
set -euo pipefail

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ios="$(dirname "$scripts")"
repo="$(dirname "$ios")"
target="${CARGO_TARGET_DIR:-$repo/target}"
mkdir -p "$target"
target="$(cd "$target" && pwd)"
# shellcheck source=lib/swift-chroot.sh disable=SC1091
source "$scripts/lib/swift-chroot.sh"
calls="${1:-1000}"
samples="${2:-200}"

echo "== cargo: the core (release); uniffi-bindgen (debug, built as test-linux.sh builds it)"
(cd "$repo" && cargo build --locked --release -p chargekit-core \
    && cargo build --locked -p chargekit-core -p chargekit-cli -p uniffi-bindgen)
UNIFFI_BINDGEN="$target/debug/uniffi-bindgen" "$scripts/generate-bindings.sh" "$target/release/libchargekit_core.so"

swift_chroot_prepare

lib="$target/release"
binds=(--bind "$repo")
case "$target/" in "$repo/"*) ;; *) binds+=(--bind "$target") ;; esac

echo "== swift build -c release, then ChargeKitBench $calls $samples"
swift_chroot_run "${binds[@]}" --env LD_LIBRARY_PATH="$lib" -- "
    cd '$ios'
    swift build -c release --product ChargeKitBench -Xlinker -L'$lib'
    .build/release/ChargeKitBench $calls $samples
"
