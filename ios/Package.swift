// swift-tools-version: 6.0
// The iOS shell of ChargeKit: the Rust core's generated Swift bindings, a Swift layer over
// them, one observable model per screen and, on Apple platforms, the SwiftUI views.
//
// Run scripts/generate-bindings.sh (or scripts/test-linux.sh, scripts/build-xcframework.sh)
// before building: the generated bindings are not committed.

import PackageDescription

/// The core's C interface. On Linux it is the generated header plus `libchargekit_core` from
/// cargo (a system library target); on Apple platforms it is the XCFramework made by
/// scripts/build-xcframework.sh.
// scripts/package-release.sh writes the released package from this manifest: the lines between
// `release: core begin` and `end` become `.binaryTarget(name:url:checksum:)` (the XCFramework
// apps download), and those between `release: development begin` and `end` are left out.
// release: core begin
#if os(Linux)
let coreFFI: Target = .systemLibrary(name: "ChargeKitFFI", path: "Sources/ChargeKitFFI")
#else
let coreFFI: Target = .binaryTarget(name: "ChargeKitFFI", path: "build/ChargeKitFFI.xcframework")
#endif
// release: core end

/// The core's TLS certificate check (rustls-platform-verifier) uses the system trust store.
let appleFrameworks: [LinkerSetting] = [
    .linkedFramework("Security", .when(platforms: [.iOS, .macOS])),
    .linkedFramework("CoreFoundation", .when(platforms: [.iOS, .macOS])),
]

var products: [Product] = [
    .library(name: "ChargeKit", targets: ["ChargeKit"]),
    .library(name: "ChargeKitModels", targets: ["ChargeKitModels"]),
]

var targets: [Target] = [
    coreFFI,
    // The generated bindings (Sources/ChargeKit/Generated) and the Swift layer over them.
    .target(name: "ChargeKit", dependencies: ["ChargeKitFFI"], linkerSettings: appleFrameworks),
    // One @Observable model per screen; what the views draw, tested on Linux.
    .target(name: "ChargeKitModels", dependencies: ["ChargeKit"]),
    // release: development begin (the benchmark and the tests are not released)
    // Round trip of a cheap synchronous core call; run by scripts/bench-linux.sh, not by tests.
    .executableTarget(name: "ChargeKitBench", dependencies: ["ChargeKit"]),
    // Fixtures: a test Plug & Charge PKI (certificates only, no keys; see CardsModelTests).
    .testTarget(name: "ChargeKitTests", dependencies: ["ChargeKit", "ChargeKitModels"], resources: [.copy("Fixtures")]),
    // release: development end
]

#if !os(Linux)
// SwiftUI views, the QR scanner (AVFoundation), NFC (CoreNFC): Apple platforms only.
products.append(.library(name: "ChargeKitUI", targets: ["ChargeKitUI"]))
targets.append(.target(name: "ChargeKitUI", dependencies: ["ChargeKit", "ChargeKitModels"]))
#endif

let package = Package(
    name: "ChargeKit",
    // @Observable needs iOS 17 / macOS 14.
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: products,
    targets: targets,
    swiftLanguageModes: [.v6]
)
