import ChargeKit
import Foundation

/// The real backend and a real simulated charger, as separate processes of the `chargekit`
/// binary, on 127.0.0.1 with a fresh temporary directory; and cores (apps) talking to it.
///
/// `chargekit` is `$CHARGEKIT_BIN`, or the debug build in the Cargo target directory
/// (`$CARGO_TARGET_DIR`, or `target/` of the repository).
final class TestBackend {
    static let evseID = "DE*CKT*E0001*1"
    /// Seeded on the server, but no charger ever connects for it.
    static let offlineEVSEID = "DE*CKT*E0099*1"
    static let password = "correct horse battery"

    let directory: URL
    /// Where the server listens, e.g. `127.0.0.1:41234`.
    private(set) var address = ""
    private var processes: [Process] = []
    /// Proxies made by ``proxy()``, closed with the backend.
    private var proxies: [FaultProxy] = []

    /// A charger seeded besides the two above, with its own simulator.
    struct ExtraCharger {
        let id: String
        let evseID: String
        /// The meter key the operator publishes for it (DER SPKI, hex), if any.
        var meterPublicKey: String?
        /// Whether its simulated meter signs each transaction's begin and end (OCMF), with a
        /// key the simulator makes when it starts.
        var signsMeterValues = false
    }

    /// Starts the server and, with `charger`, a simulator charging at 50 kW with a meter value
    /// every second; `extraChargers` each get a simulator too. `payments` is the server config's
    /// `payments` object.
    init(charger: Bool = true, extraChargers: [ExtraCharger] = [], payments: [String: any Sendable]? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("chargekit-swift-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var chargers: [[String: Any]] = [
            ["charge_point_id": "CKSWIFT-1", "security_profile": 0, "evses": [["connector_id": 1, "evse_id": Self.evseID]]],
            ["charge_point_id": "CKSWIFT-OFFLINE", "security_profile": 0, "evses": [["connector_id": 1, "evse_id": Self.offlineEVSEID]]],
        ]
        for extra in extraChargers {
            var seed: [String: Any] = ["charge_point_id": extra.id, "security_profile": 0, "evses": [["connector_id": 1, "evse_id": extra.evseID]]]
            if let key = extra.meterPublicKey { seed["meter_public_key"] = key }
            chargers.append(seed)
        }
        var config: [String: Any] = [
            "bind": "127.0.0.1:0",
            "database": directory.appendingPathComponent("server.db").path,
            "chargers": chargers,
            "charger_call_timeout_secs": 10,
        ]
        // Without a payments config: a free site (sessions start unpaid), as most tests need.
        config["payments"] = payments ?? ["unpaid_charging": true]
        let configFile = directory.appendingPathComponent("server.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)

        let server = try launch(["serve", "--config", configFile.path], log: "server.log", stdout: Pipe())
        address = try Self.listeningAddress(of: server, log: directory.appendingPathComponent("server.log"))
        if charger {
            try startSimulator("CKSWIFT-1")
        }
        for extra in extraChargers {
            try startSimulator(extra.id, signsMeterValues: extra.signsMeterValues)
        }
    }

    private func startSimulator(_ id: String, signsMeterValues: Bool = false) throws {
        var arguments = ["sim", "--url", "ws://\(address)/ocpp", "--id", id, "--interval-secs", "1", "--power-kw", "50"]
        if signsMeterValues { arguments.append("--signed-meter-values") }
        _ = try launch(arguments, log: "sim-\(id).log")
    }

    deinit {
        stop()
    }

    var url: URL { URL(string: "http://\(address)")! }

    /// A core with its own data directory, as one phone's app; through a proxy that the test
    /// can cut, with `proxy`.
    func client(_ name: String, through proxy: FaultProxy? = nil, secureStore: any SecureStore = MemorySecureStore()) throws -> CoreChargeKitClient {
        let backend = proxy.map { URL(string: "http://127.0.0.1:\($0.port)")! } ?? url
        return try CoreChargeKitClient(
            backendURL: backend,
            dataDirectory: directory.appendingPathComponent(name),
            secureStore: secureStore
        )
    }

    /// A proxy to this backend that the test can cut (see ``FaultProxy``).
    func proxy() throws -> FaultProxy {
        let port = address.split(separator: ":").last.flatMap { UInt16($0) } ?? 0
        let proxy = try FaultProxy(targetPort: port)
        proxies.append(proxy)
        return proxy
    }

    /// A signed-up driver whose charger is online: ready to start charging.
    func signedUpDriver(_ name: String, through proxy: FaultProxy? = nil, secureStore: any SecureStore = MemorySecureStore()) async throws -> CoreChargeKitClient {
        let client = try client(name, through: proxy, secureStore: secureStore)
        _ = try await client.signUp(email: "\(name)-\(UUID().uuidString.prefix(8))@example.com", password: Self.password)
        try await eventually("the simulated charger is online", timeout: 20) {
            (try? await client.lookUpEVSE(Self.evseID).online) == true
        }
        return client
    }

    /// A whole session at a simulated charger: started, charged until energy was metered,
    /// stopped, and completed. Returns it completed.
    func chargeOnce(_ client: any ChargeKitClient, at evseID: String = TestBackend.evseID, paying payment: Payment = .default) async throws -> SessionInfo {
        try await eventually("\(evseID) is online", timeout: 20) { (try? await client.lookUpEVSE(evseID).online) == true }
        let session = try await client.startSession(at: evseID, paying: payment)
        try await eventually("energy was metered") { try await client.session(session.id).energyWh > 0 }
        _ = try await client.stopSession(session.id)
        try await eventually("the session completed") { try await client.session(session.id).state == .completed }
        return try await client.session(session.id)
    }

    func stop() {
        proxies.forEach { $0.close() }
        proxies = []
        // SIGKILL, not `terminate()`: on Linux a `Process` started from a Swift concurrency
        // thread inherits that thread's blocked signals, SIGTERM among them.
        for process in processes.reversed() where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        processes = []
        try? FileManager.default.removeItem(at: directory)
    }

    private func launch(_ arguments: [String], log: String, stdout: Pipe? = nil) throws -> Process {
        let logFile = directory.appendingPathComponent(log)
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.standardOutput = stdout ?? FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: logFile)
        try process.run()
        processes.append(process)
        return process
    }

    /// Reads the server's first line, `listening on ADDRESS`.
    private static func listeningAddress(of server: Process, log: URL) throws -> String {
        guard let pipe = server.standardOutput as? Pipe else { throw TestFailure("the server's stdout is not a pipe") }
        var output = Data()
        while !output.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                let errors = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw TestFailure("the server exited before listening: \(errors)")
            }
            output.append(chunk)
        }
        let line = String(decoding: output, as: UTF8.self).split(separator: "\n")[0]
        guard line.hasPrefix("listening on ") else { throw TestFailure("unexpected first line from the server: \(line)") }
        return String(line.dropFirst("listening on ".count))
    }

    private static var binary: URL {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CHARGEKIT_BIN"] {
            return URL(fileURLWithPath: path)
        }
        // Tests/ChargeKitTests/Support/ → the repository.
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let target = environment["CARGO_TARGET_DIR"].map { URL(fileURLWithPath: $0) } ?? repository.appendingPathComponent("target")
        return target.appendingPathComponent("debug/chargekit")
    }
}

/// A failure of the test set-up itself, with what went wrong.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
