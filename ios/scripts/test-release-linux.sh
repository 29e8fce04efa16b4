#!/usr/bin/env bash
# Tests what of the iOS release can run on Linux (#18 item 8): package-release.sh on a stand-in
# XCFramework (the real one needs Xcode), then, with Swift 6 in the chroot (lib/swift-chroot.sh),
# that SwiftPM computes the checksum written into the released manifest, and that the manifest
# SwiftPM reads declares the core as that binary target, with the benchmark and tests left out.
# Also that bad arguments are refused. Run by test-linux.sh after `swift test`; needs root.
set -euo pipefail

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ios="$(dirname "$scripts")"
# shellcheck source=lib/swift-chroot.sh disable=SC1091
source "$scripts/lib/swift-chroot.sh"
swift_chroot_prepare

work="$ios/build/release-test"
rm -rf "$work"
stub="$work/ChargeKitFFI.xcframework"
mkdir -p "$stub/ios-arm64/Headers"
printf '<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict/></plist>\n' > "$stub/Info.plist"
printf '!<arch>\n' > "$stub/ios-arm64/libchargekit_core.a"

refused() { # refused EXPECTED_MESSAGE ARGS...: the script fails with that message
    local expected="$1"; shift
    if output="$("$scripts/package-release.sh" "$@" 2>&1)"; then
        echo "FAIL: package-release.sh $* succeeded" >&2; exit 1
    fi
    grep -qF "$expected" <<< "$output" || { echo "FAIL: expected \"$expected\", got: $output" >&2; exit 1; }
}
refused "must be an https:// URL" 0.1.0 http://releases.example.invalid "$stub"
refused "must be a semantic version" v1 https://releases.example.invalid "$stub"
refused "is not an XCFramework" 0.1.0 https://releases.example.invalid "$work/none.xcframework"

base_url=https://releases.example.invalid/chargekit/0.1.0
"$scripts/package-release.sh" 0.1.0 "$base_url/" "$stub"
release="$ios/build/release"
archive="$release/ChargeKitFFI-0.1.0.xcframework.zip"
# (listed first: `grep -q` stopping early would fail the pipeline through unzip's SIGPIPE)
entries="$(unzip -Z1 "$archive")"
grep -qx 'ChargeKitFFI.xcframework/Info.plist' <<< "$entries" \
    || { echo "FAIL: the archive does not hold ChargeKitFFI.xcframework at its top: $entries" >&2; exit 1; }

echo "== SwiftPM's checksum and manifest (Swift 6, in the chroot)"
swift_chroot_run --bind "$ios" -- "
    set -e
    swift package compute-checksum '$archive' > '$work/swiftpm-checksum'
    cd '$release/ChargeKit' && swift package dump-package > '$work/manifest.json'
"
python3 - "$work/manifest.json" "$(cat "$work/swiftpm-checksum")" "$base_url/ChargeKitFFI-0.1.0.xcframework.zip" <<'PY'
import json, sys
manifest, checksum, url = json.load(open(sys.argv[1])), sys.argv[2].strip(), sys.argv[3]
targets = {t["name"]: t for t in manifest["targets"]}
core = targets["ChargeKitFFI"]
problems = []
if core["type"] != "binary": problems.append(f"ChargeKitFFI is {core['type']}, not binary")
if core.get("url") != url: problems.append(f"url {core.get('url')} != {url}")
if core.get("checksum") != checksum: problems.append(f"manifest checksum {core.get('checksum')} != SwiftPM's {checksum}")
# ChargeKitUI is declared for Apple platforms only, so SwiftPM on Linux does not list it.
if set(targets) != {"ChargeKitFFI", "ChargeKit", "ChargeKitModels"}: problems.append(f"targets {sorted(targets)}")
if {p["name"] for p in manifest["products"]} != {"ChargeKit", "ChargeKitModels"}: problems.append("products")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
print(f"released manifest: ChargeKitFFI binary at {url}, checksum {checksum} (SwiftPM agrees)")
PY
rm -rf "$work" "$release"
