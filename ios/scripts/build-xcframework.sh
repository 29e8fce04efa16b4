#!/usr/bin/env bash
# Builds ios/build/ChargeKitFFI.xcframework on macOS (Xcode and rustup needed): the core as a
# static library for iOS devices (aarch64-apple-ios) and the simulator (aarch64-apple-ios-sim
# and x86_64-apple-ios, joined with lipo), with the generated C header and module map; and
# generates the Swift bindings into the package. Package.swift uses the XCFramework as the
# ChargeKitFFI target on Apple platforms.
#
# Usage: build-xcframework.sh [--debug] [--macos]
#   --debug   a debug build of the core (default: the size profile `mobile`, Cargo.toml)
#   --macos   add a macOS slice (aarch64 + x86_64), so `swift test` runs on a Mac too
set -euo pipefail

if [ "$(uname -s)" != Darwin ]; then
    echo "build-xcframework.sh needs macOS with Xcode (xcodebuild, lipo)" >&2
    exit 1
fi

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ios="$(dirname "$scripts")"
repo="$(dirname "$ios")"
target="${CARGO_TARGET_DIR:-$repo/target}"
profile=mobile
macos=false
for argument in "$@"; do
    case "$argument" in
        --debug) profile=debug ;;
        --macos) macos=true ;;
        *) echo "unknown argument: $argument" >&2; exit 2 ;;
    esac
done
cargo_profile=()
[ "$profile" = mobile ] && cargo_profile=(--profile mobile)

# The static library's objects are built for the package's minimum OS versions.
export IPHONEOS_DEPLOYMENT_TARGET=17.0 MACOSX_DEPLOYMENT_TARGET=14.0
device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)
macs=()
$macos && macs=(aarch64-apple-darwin x86_64-apple-darwin)
triples=("$device" "${simulators[@]}" "${macs[@]}")

echo "== rust targets"
rustup target add "${triples[@]}"

echo "== cargo build ($profile): ${triples[*]}"
for triple in "${triples[@]}"; do
    (cd "$repo" && cargo build --locked "${cargo_profile[@]}" -p chargekit-core --target "$triple")
done
(cd "$repo" && cargo build --locked -p uniffi-bindgen)

library() { echo "$target/$1/$profile/libchargekit_core.a"; }

out="$ios/build"
work="$out/work"
rm -rf "$work" "$out/ChargeKitFFI.xcframework"
mkdir -p "$work/headers" "$work/ios-simulator" "$work/macos"

echo "== Swift bindings, header and module map"
UNIFFI_BINDGEN="$target/debug/uniffi-bindgen" "$scripts/generate-bindings.sh" "$(library "$device")" "$work/headers"

echo "== lipo: one library per platform"
lipo -create "$(library "${simulators[0]}")" "$(library "${simulators[1]}")" -output "$work/ios-simulator/libchargekit_core.a"
slices=(
    -library "$(library "$device")" -headers "$work/headers"
    -library "$work/ios-simulator/libchargekit_core.a" -headers "$work/headers"
)
if $macos; then
    lipo -create "$(library "${macs[0]}")" "$(library "${macs[1]}")" -output "$work/macos/libchargekit_core.a"
    slices+=(-library "$work/macos/libchargekit_core.a" -headers "$work/headers")
fi

echo "== xcodebuild -create-xcframework"
xcodebuild -create-xcframework "${slices[@]}" -output "$out/ChargeKitFFI.xcframework"
rm -rf "$work"
echo "built $out/ChargeKitFFI.xcframework"
