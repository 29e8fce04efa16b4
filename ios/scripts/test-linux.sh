#!/usr/bin/env bash
# Tests the Swift package on Linux against the real core: builds the core, the `chargekit`
# binary (server and simulator for the tests) and uniffi-bindgen with cargo; generates the
# Swift bindings; prepares Swift 6 (Debian trixie's swiftlang in a debootstrap chroot cached
# under ${XDG_CACHE_HOME:-~/.cache}/chargekit, see lib/swift-chroot.sh); then runs
# `swift build` and `swift test` of ios/ inside it. Needs root. Exits non-zero on failure.
#
# Extra arguments go to `swift test`, e.g. `--filter JourneyTests`.
set -euo pipefail

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ios="$(dirname "$scripts")"
repo="$(dirname "$ios")"
target="${CARGO_TARGET_DIR:-$repo/target}"
mkdir -p "$target"
target="$(cd "$target" && pwd)"
# shellcheck source=lib/swift-chroot.sh disable=SC1091
source "$scripts/lib/swift-chroot.sh"

echo "== cargo: the core library, the chargekit binary, uniffi-bindgen (debug)"
(cd "$repo" && cargo build --locked -p chargekit-core -p chargekit-cli -p uniffi-bindgen)

echo "== Swift bindings"
UNIFFI_BINDGEN="$target/debug/uniffi-bindgen" "$scripts/generate-bindings.sh" "$target/debug/libchargekit_core.so"

swift_chroot_prepare

lib="$target/debug"
# Debian's libswiftObservation.so (6.0.3) references swift::threading::fatal, which no
# library of the toolchain exports; it is only called on a fatal error, and is bound lazily.
link=(-Xlinker -L"$lib" -Xlinker --allow-shlib-undefined)
binds=(--bind "$repo")
case "$target/" in "$repo/"*) ;; *) binds+=(--bind "$target") ;; esac

echo "== swift build and swift test (Swift 6, in the chroot)"
swift_chroot_run "${binds[@]}" --env LD_LIBRARY_PATH="$lib" --env CHARGEKIT_BIN="$lib/chargekit" -- "
    cd '$ios'
    swift --version 2>&1 | head -n 1
    swift build --build-tests ${link[*]}
    swift test --skip-build --disable-xctest ${*@Q}
"

echo "== the release: XCFramework archive, SwiftPM checksum and binaryTarget manifest"
"$scripts/test-release-linux.sh"
