import Foundation

/// The app's way into the ChargeKit core: async commands, a live session as an `AsyncStream`,
/// and errors as ``ChargeKitFailure``. Make one per app.
///
/// This is a thin layer over the generated `ChargeKit` object. The core does the work on its
/// own threads and keeps all state; this type only gives its API Swift's shapes, so it has no
/// state of its own and is `Sendable`: use it from the main actor or any other.
///
/// The core's async calls are not cancellable from Swift: cancelling the awaiting task does not
/// stop a request that is under way (the core finishes it, and a retried start is idempotent).
public final class ChargeKitClient: Sendable {
    /// The generated object (internal: tests reach it through `@testable import`).
    let core: ChargeKit

    /// Opens the core.
    /// - Parameters:
    ///   - backendURL: The driver API, e.g. `https://api.example.com`.
    ///   - dataDirectory: A directory the core owns for its offline cache (created if missing).
    ///   - secureStore: Where the sign-in token is kept: ``KeychainSecureStore`` in the app.
    public init(backendURL: URL, dataDirectory: URL, secureStore: any SecureStore) throws(ChargeKitFailure) {
        let config = CoreConfig(backendUrl: backendURL.absoluteString, dataDir: dataDirectory.path(percentEncoded: false))
        core = try ChargeKitFailure.mapping { try ChargeKit(config: config, secureStore: secureStore) }
    }

    // MARK: Account

    /// The signed-in account, if any; kept across launches through the secure store.
    public var account: Account? { core.account() }

    public func signUp(email: String, password: String) async throws(ChargeKitFailure) -> Account {
        try await ChargeKitFailure.mapping { try await core.signUp(email: email, password: password) }
    }

    public func signIn(email: String, password: String) async throws(ChargeKitFailure) -> Account {
        try await ChargeKitFailure.mapping { try await core.signIn(email: email, password: password) }
    }

    /// Signs out, and forgets this driver's history and queued stops on the phone (the next
    /// driver on this phone must not see them; the backend keeps them).
    public func signOut() throws(ChargeKitFailure) {
        try ChargeKitFailure.mapping { try core.signOut() }
    }

    // MARK: Chargers

    /// Reads a scanned QR code, an NFC tag's text or a typed ID into a normalized EVSE ID.
    public func evseID(from payload: String) throws(ChargeKitFailure) -> String {
        try ChargeKitFailure.mapping { try core.evseFromQr(payload: payload) }
    }

    /// What the backend knows of an EVSE: its status, whether it is online, its prices.
    public func lookUpEVSE(_ evseID: String) async throws(ChargeKitFailure) -> Evse {
        try await ChargeKitFailure.mapping { try await core.lookupEvse(evseId: evseID) }
    }

    // MARK: Sessions

    public func startSession(at evseID: String) async throws(ChargeKitFailure) -> SessionInfo {
        try await ChargeKitFailure.mapping { try await core.startSession(evseId: evseID) }
    }

    /// Stops a session. With no network the stop is kept on the phone and the session comes
    /// back with `stopPending`; the core delivers it when the network returns.
    public func stopSession(_ sessionID: String) async throws(ChargeKitFailure) -> SessionInfo {
        try await ChargeKitFailure.mapping { try await core.stopSession(sessionId: sessionID) }
    }

    /// One session (its receipt, once finished), from the backend or, offline, the cache.
    public func session(_ sessionID: String) async throws(ChargeKitFailure) -> SessionInfo {
        try await ChargeKitFailure.mapping { try await core.session(sessionId: sessionID) }
    }

    /// The session's current state at once, then every change; the stream ends once the
    /// session is final. Ending the iteration early (break, or cancelling the task) ends the
    /// core's subscription.
    ///
    /// With `framesPerSecond` above 0 (at most 60), energy, time and cost also move smoothly
    /// between the charger's meter samples at that rate while charging — never backwards —
    /// and the final state is exactly the bill. Use it for the live screen.
    public func liveSession(_ sessionID: String, framesPerSecond: UInt32 = 0) -> AsyncStream<SessionInfo> {
        subscribe(to: sessionID, framesPerSecond: framesPerSecond).stream
    }

    /// ``liveSession(_:framesPerSecond:)`` with the core's handle, for tests.
    func subscribe(to sessionID: String, framesPerSecond: UInt32 = 0) -> LiveSubscription {
        LiveSubscription(core: core, sessionID: sessionID, framesPerSecond: framesPerSecond)
    }

    // MARK: History

    /// Brings the offline history up to date with the backend; returns its newest sessions.
    public func syncHistory(limit: Int) async throws(ChargeKitFailure) -> [SessionInfo] {
        try await ChargeKitFailure.mapping { try await core.syncHistory(limit: UInt32(clamping: limit)) }
    }

    /// History from the offline cache, newest first. Works with no network.
    public func history(limit: Int, offset: Int = 0) throws(ChargeKitFailure) -> [SessionInfo] {
        try ChargeKitFailure.mapping { try core.history(limit: UInt32(clamping: limit), offset: UInt32(clamping: offset)) }
    }

    /// The newest `limit` cached sessions by month (newest first) with each month's totals,
    /// months as the driver's calendar has them now. Works with no network.
    /// - Parameters:
    ///   - timeZone: The driver's time zone; its offset from UTC at `date` is what the core uses.
    public func historyByMonth(limit: Int, timeZone: TimeZone = .autoupdatingCurrent, at date: Date = Date()) throws(ChargeKitFailure) -> [HistoryMonth] {
        let offset = Int32(timeZone.secondsFromGMT(for: date))
        return try ChargeKitFailure.mapping { try core.historyByMonth(limit: UInt32(clamping: limit), utcOffsetSeconds: offset) }
    }
}
