import ChargeKit
import Foundation
import Testing

/// The core's errors reach Swift as `ChargeKitFailure` of the right kind, and the driver sees
/// the core's sentence as the error's `localizedDescription`.
@Suite struct ErrorMappingTests {
    @Test func unknownEVSEIsNotFound() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("unknown")
        _ = try await client.signUp(email: "unknown@example.com", password: TestBackend.password)
        let failure = await failureOf {
            try await client.lookUpEVSE("DE*CKT*E9999*1")
        }
        try expect(failure, is: .notFound)
    }

    @Test func unreadableQRCodeIsInvalidInput() throws {
        let client = try Self.offlineClient()
        let failure = failureOf {
            try client.evseID(from: "WIFI:S:CarPark;T:WPA;P:secret;;")
        }
        try expect(failure, is: .invalidInput)
    }

    @Test func wrongPasswordIsUnauthorized() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("wrong-password")
        _ = try await client.signUp(email: "wrong@example.com", password: TestBackend.password)
        try await client.signOut()
        #expect(client.account == nil)
        let failure = await failureOf {
            try await client.signIn(email: "wrong@example.com", password: "not the password")
        }
        try expect(failure, is: .unauthorized)
    }

    @Test func notSignedInIsUnauthorized() async throws {
        let client = try Self.offlineClient()
        let failure = await failureOf {
            try await client.startSession(at: TestBackend.evseID)
        }
        try expect(failure, is: .unauthorized)
    }

    @Test func chargerWithNoConnectionIsChargerOffline() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("offline-charger")
        _ = try await client.signUp(email: "offline@example.com", password: TestBackend.password)
        let failure = await failureOf {
            try await client.startSession(at: TestBackend.offlineEVSEID)
        }
        try expect(failure, is: .chargerOffline)
    }

    @Test func unreachableBackendIsNetwork() async throws {
        let backend = try TestBackend(charger: false)
        let proxy = try backend.proxy()
        let client = try backend.client("no-network", through: proxy)
        proxy.cut()
        let failure = await failureOf {
            try await client.signUp(email: "nonet@example.com", password: TestBackend.password)
        }
        try expect(failure, is: .network)
    }

    /// A core whose backend is never reached: for calls answered on the phone.
    static func offlineClient() throws -> CoreChargeKitClient {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chargekit-swift-\(UUID().uuidString)")
        return try CoreChargeKitClient(backendURL: URL(string: "http://127.0.0.1:9")!, dataDirectory: directory, secureStore: MemorySecureStore())
    }
}

/// What `call` failed with; nil when it succeeded. (Swift 6.0 infers `any Error` for a
/// closure's thrown type, so the type is checked here.)
private func failureOf<T: Sendable>(
    isolation: isolated (any Actor)? = #isolation,
    _ call: () async throws -> T
) async -> ChargeKitFailure? {
    do {
        _ = try await call()
        return nil
    } catch {
        return failure(error)
    }
}

private func failureOf<T>(_ call: () throws -> T) -> ChargeKitFailure? {
    do {
        _ = try call()
        return nil
    } catch {
        return failure(error)
    }
}

private func failure(_ error: any Error) -> ChargeKitFailure? {
    guard let failure = error as? ChargeKitFailure else {
        Issue.record("expected a ChargeKitFailure, got \(type(of: error)): \(error)")
        return nil
    }
    return failure
}

/// The failure is of `kind`, with a sentence that is also its `localizedDescription`.
private func expect(_ failure: ChargeKitFailure?, is kind: ChargeKitFailure.Kind, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let failure = try #require(failure, "the call failed", sourceLocation: sourceLocation)
    #expect(failure.kind == kind, sourceLocation: sourceLocation)
    #expect(!failure.message.isEmpty, sourceLocation: sourceLocation)
    #expect(failure.localizedDescription == failure.message, sourceLocation: sourceLocation)
    #expect((failure as any Error).localizedDescription == failure.message, sourceLocation: sourceLocation)
    #expect(!failure.message.contains("ChargeKitError"), "a sentence, not a dump: \(failure.message)", sourceLocation: sourceLocation)
}
