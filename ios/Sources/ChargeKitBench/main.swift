// Measures the round trip of cheap synchronous core calls from Swift: arguments lowered, the
// call through the C ABI, the answer lifted back. Build it in release against a release core
// (scripts/bench-linux.sh does); a debug build measures the debug build.
//
// Usage: ChargeKitBench [CALLS_PER_SAMPLE] [SAMPLES]
// Prints ns per call: the median over the samples, with the fastest and slowest sample.

import ChargeKit
import Foundation

let callsPerSample = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 1_000 : 1_000
let samples = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 200 : 200
let warmUpCalls = 10_000

let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("chargekit-bench-\(UUID().uuidString)")
defer { try? FileManager.default.removeItem(at: dataDirectory) }
// Through the app's API (ChargeKitClient). No request is made: the calls measured are
// answered on the phone, so the backend URL is never dialled.
let client = try CoreChargeKitClient(
    backendURL: URL(string: "http://127.0.0.1:9")!,
    dataDirectory: dataDirectory,
    secureStore: MemorySecureStore()
)

/// Runs `call` `callsPerSample` times per sample and returns each sample's ns per call.
func measure(_ call: () throws -> Void) rethrows -> [Double] {
    for _ in 0..<warmUpCalls { try call() }
    let clock = ContinuousClock()
    var nsPerCall: [Double] = []
    for _ in 0..<samples {
        let elapsed = try clock.measure {
            for _ in 0..<callsPerSample { try call() }
        }
        let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        nsPerCall.append(ns / Double(callsPerSample))
    }
    return nsPerCall.sorted()
}

func report(_ name: String, _ nsPerCall: [Double]) {
    let median = nsPerCall[nsPerCall.count / 2]
    let line = "\(name): median \(String(format: "%.0f", median)) ns/call"
        + " (samples \(samples) × \(callsPerSample) calls, min \(String(format: "%.0f", nsPerCall.first!)),"
        + " max \(String(format: "%.0f", nsPerCall.last!)))"
    print(line)
}

var sink = 0
report("evseID(from: \"DE*CKT*E0001*1\") [core evseFromQr]", try measure {
    sink &+= try client.evseID(from: "DE*CKT*E0001*1").utf8.count
})
report("account [core account(), signed out]", measure {
    sink &+= client.account == nil ? 1 : 0
})
// Keeps the results alive so the optimizer cannot drop the calls.
if sink == 42 { print("") }
