#!/usr/bin/env bash
# Packages a release of the Swift package, for apps that add ChargeKit with SwiftPM:
#   ios/build/release/ChargeKitFFI-VERSION.xcframework.zip   the core, to upload to BASE_URL/
#   ios/build/release/ChargeKit/                              the package to publish and tag VERSION:
#       Package.swift   this package's manifest with the core as
#                       .binaryTarget(name: "ChargeKitFFI", url: "BASE_URL/<zip>", checksum: "<sha256>")
#       Sources/        the Swift layer with its generated bindings, the models and the SwiftUI views
# The checksum is SwiftPM's (`swift package compute-checksum`: the SHA-256 of the archive); without
# swift on the PATH it is computed with sha256sum or shasum, which give the same.
#
# Usage: package-release.sh VERSION BASE_URL [XCFRAMEWORK]
#   XCFRAMEWORK   default ios/build/ChargeKitFFI.xcframework, made on macOS by build-xcframework.sh
#                 (which also generates the bindings the package needs)
set -euo pipefail

scripts="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ios="$(dirname "$scripts")"
version="${1:-}"
base_url="${2:-}"
xcframework="${3:-$ios/build/ChargeKitFFI.xcframework}"
fail() { echo "package-release.sh: $*" >&2; exit 1; }

[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] \
    || fail "VERSION must be a semantic version (1.2.3), not \"$version\"; usage: package-release.sh VERSION BASE_URL [XCFRAMEWORK]"
# SwiftPM downloads binary targets over HTTPS only.
[[ "$base_url" =~ ^https://[^[:space:]]+$ ]] || fail "BASE_URL must be an https:// URL, not \"$base_url\""
base_url="${base_url%/}"
[ -f "$xcframework/Info.plist" ] || fail "$xcframework is not an XCFramework (no Info.plist): run build-xcframework.sh on macOS first"
[ "$(basename "$xcframework")" = ChargeKitFFI.xcframework ] || fail "the XCFramework must be named ChargeKitFFI.xcframework, as the target it provides"
[ -f "$ios/Sources/ChargeKit/Generated/ChargeKit.swift" ] || fail "the Swift bindings are not generated: run build-xcframework.sh (or generate-bindings.sh) first"

out="$ios/build/release"
archive="ChargeKitFFI-$version.xcframework.zip"
package="$out/ChargeKit"
rm -rf "$out"
mkdir -p "$package"

echo "== $archive"
# SwiftPM wants the .xcframework at the archive's top level. ditto keeps what a Finder archive
# keeps; zip -y keeps the symbolic links a macOS framework slice has.
if command -v ditto > /dev/null; then
    ditto -c -k --sequesterRsrc --keepParent "$xcframework" "$out/$archive"
else
    (cd "$(dirname "$xcframework")" && zip -q -r -X -y "$out/$archive" ChargeKitFFI.xcframework)
fi

if command -v swift > /dev/null; then
    checksum="$(swift package compute-checksum "$out/$archive")"
elif command -v sha256sum > /dev/null; then
    checksum="$(sha256sum "$out/$archive" | cut -d ' ' -f 1)"
else
    checksum="$(shasum -a 256 "$out/$archive" | cut -d ' ' -f 1)"
fi
[[ "$checksum" =~ ^[0-9a-f]{64}$ ]] || fail "unexpected checksum \"$checksum\""

echo "== the package: Package.swift (checksum $checksum) and Sources"
BINARY_TARGET=".binaryTarget(name: \"ChargeKitFFI\", url: \"$base_url/$archive\", checksum: \"$checksum\")" \
python3 - "$ios/Package.swift" "$package/Package.swift" <<'PY'
import os, re, sys
source, destination = sys.argv[1], sys.argv[2]
manifest = open(source).read()
def between(name, replacement, text):
    pattern = re.compile(rf"^[ \t]*// release: {name} begin.*?^[ \t]*// release: {name} end[^\n]*\n", re.S | re.M)
    text, count = pattern.subn(replacement, text)
    if count != 1:
        sys.exit(f"package-release.sh: {source} must have one 'release: {name}' block, found {count}")
    return text
manifest = between("core", f"let coreFFI: Target = {os.environ['BINARY_TARGET']}\n", manifest)
manifest = between("development", "", manifest)
open(destination, "w").write(manifest)
PY
mkdir -p "$package/Sources"
for target in ChargeKit ChargeKitModels ChargeKitUI; do
    cp -R "$ios/Sources/$target" "$package/Sources/$target"
done
echo "upload $out/$archive to $base_url/, then publish $package as version $version"
