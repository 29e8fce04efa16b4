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

    /// Reads a whole NDEF message from a charger's tag (its raw bytes) into the EVSE ID of the
    /// first record carrying one.
    public func evseID(fromNDEFMessage message: Data) throws(ChargeKitFailure) -> String {
        try ChargeKitFailure.mapping { try parseNdefMessage(bytes: message) }
    }

    /// Reads one NDEF record as CoreNFC gives it (`NFCNDEFPayload`'s `typeNameFormat`, `type`
    /// and `payload`) into the EVSE ID it carries.
    public func evseID(fromNDEFRecord typeNameFormat: UInt8, type: Data, payload: Data) throws(ChargeKitFailure) -> String {
        try ChargeKitFailure.mapping { try parseNdefRecord(tnf: typeNameFormat, recordType: type, payload: payload) }
    }

    /// The EVSE ID of the first of a tag's NDEF records that carries one (each read by the core);
    /// when none does, the core's sentence about the first record.
    public func evseID(from records: [NDEFRecord]) throws(ChargeKitFailure) -> String {
        var firstFailure: ChargeKitFailure?
        for record in records {
            do throws(ChargeKitFailure) {
                return try evseID(fromNDEFRecord: record.typeNameFormat, type: record.type, payload: record.payload)
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
        // No record at all: the core's word on an empty tag.
        return try evseID(fromNDEFMessage: Data())
    }

    /// What the backend knows of an EVSE: its status, whether it is online, its prices.
    public func lookUpEVSE(_ evseID: String) async throws(ChargeKitFailure) -> Evse {
        try await ChargeKitFailure.mapping { try await core.lookupEvse(evseId: evseID) }
    }

    // MARK: Sessions

    /// Starts charging, paid by the driver's default method (unpaid if they have none).
    public func startSession(at evseID: String) async throws(ChargeKitFailure) -> SessionInfo {
        try await ChargeKitFailure.mapping { try await core.startSession(evseId: evseID) }
    }

    /// Starts charging, paying with `payment`. A refused payment (too little in the wallet, a
    /// declined card) fails before the charger is asked, with the core's sentence.
    public func startSession(at evseID: String, paying payment: Payment) async throws(ChargeKitFailure) -> SessionInfo {
        try await ChargeKitFailure.mapping { try await core.startPaidSession(evseId: evseID, payment: payment) }
    }

    /// The session still going on, if any — also one a card tapped at the charger or the car
    /// (Plug & Charge) started; `authMethod` says which.
    public func activeSession() async throws(ChargeKitFailure) -> SessionInfo? {
        try await ChargeKitFailure.mapping { try await core.activeSession() }
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
    /// between the charger's meter samples at that rate while charging — energy never
    /// backwards, the cost as the core's pricing engine gives it (the server's at each sample;
    /// OCPI's step rule can make it go down) — and the final state is exactly the bill. Use
    /// it for the live screen.
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

    /// History from the offline cache, newest first. Works with no network. Async because it
    /// reads the disk: a nonisolated async call runs off the caller's actor (the main one).
    public func history(limit: Int, offset: Int = 0) async throws(ChargeKitFailure) -> [SessionInfo] {
        try ChargeKitFailure.mapping { try core.history(limit: UInt32(clamping: limit), offset: UInt32(clamping: offset)) }
    }

    /// The newest `limit` cached sessions by month (newest first) with each month's totals,
    /// months as the driver's calendar has them now. Works with no network.
    /// - Parameters:
    ///   - timeZone: The driver's time zone; its offset from UTC at `date` is what the core uses.
    /// Async because it reads the disk: it runs off the caller's actor (the main one).
    public func historyByMonth(limit: Int, timeZone: TimeZone = .autoupdatingCurrent, at date: Date = Date()) async throws(ChargeKitFailure) -> [HistoryMonth] {
        let offset = Int32(timeZone.secondsFromGMT(for: date))
        return try ChargeKitFailure.mapping { try core.historyByMonth(limit: UInt32(clamping: limit), utcOffsetSeconds: offset) }
    }

    // MARK: Receipts

    /// A finished session's signed receipt with the core's verdict on its signature and on the
    /// charger's signed meter data. Offline, the cached receipt, checked again.
    public func receipt(for sessionID: String) async throws(ChargeKitFailure) -> ReceiptInfo {
        try await ChargeKitFailure.mapping { try await core.receipt(sessionId: sessionID) }
    }

    /// Checks signed meter data (OCMF) against a charger's public key (DER SPKI, hex or base64).
    public func verifyMeterData(_ signedData: String, publicKey: String) -> MeterDataVerification {
        verifySignedMeterData(signedData: signedData, publicKey: publicKey)
    }

    // MARK: Cards and contracts

    /// The idTag a card's UID bytes (as the NFC reader gave them) stand for, e.g. `04A22B1A`.
    public func cardIDTag(uid: Data) throws(ChargeKitFailure) -> String {
        try ChargeKitFailure.mapping { try normalizeCardUid(bytes: uid) }
    }

    /// The idTag of a card UID as printed on it or typed (`04:a2:2b:1a`).
    public func cardIDTag(printed: String) throws(ChargeKitFailure) -> String {
        try ChargeKitFailure.mapping { try normalizeCardUidText(text: printed) }
    }

    /// Registers the RFID card whose UID the NFC reader gave.
    public func registerCard(uid: Data, label: String? = nil) async throws(ChargeKitFailure) -> TokenInfo {
        try await ChargeKitFailure.mapping { try await core.registerCard(uid: uid, label: label) }
    }

    /// Registers a card by the UID printed on it (any case, `:`, `-` or spaces between bytes).
    public func registerCard(printedUID: String, label: String? = nil) async throws(ChargeKitFailure) -> TokenInfo {
        try await ChargeKitFailure.mapping { try await core.registerCardText(uid: printedUID, label: label) }
    }

    /// Checks a Plug & Charge contract certificate (PEM or DER, with its sub-CAs) against the
    /// mobility operator's root and registers its EMAID. Nothing is sent if the check fails.
    public func registerContract(certificate: Data, moRoot: Data, label: String? = nil) async throws(ChargeKitFailure) -> ContractInfo {
        try await ChargeKitFailure.mapping { try await core.registerContract(certificate: certificate, moRoot: moRoot, label: label) }
    }

    /// Checks a contract certificate against the mobility operator's root without registering it.
    public func readContract(certificate: Data, moRoot: Data) throws(ChargeKitFailure) -> ContractInfo {
        try ChargeKitFailure.mapping { try readContractCertificate(certificate: certificate, root: moRoot) }
    }

    /// The driver's cards and contracts, and the app's own token.
    public func tokens() async throws(ChargeKitFailure) -> [TokenInfo] {
        try await ChargeKitFailure.mapping { try await core.tokens() }
    }

    /// Blocks a lost card or contract at every charger, or makes it active again.
    public func setToken(_ idTag: String, blocked: Bool) async throws(ChargeKitFailure) -> TokenInfo {
        try await ChargeKitFailure.mapping { try await core.setTokenBlocked(idTag: idTag, blocked: blocked) }
    }

    public func removeToken(_ idTag: String) async throws(ChargeKitFailure) {
        try await ChargeKitFailure.mapping { try await core.removeToken(idTag: idTag) }
    }

    // MARK: Payments

    /// The wallet's balance per currency: available, and held for sessions going on.
    public func wallet() async throws(ChargeKitFailure) -> [WalletBalanceInfo] {
        try await ChargeKitFailure.mapping { try await core.wallet() }
    }

    /// Adds `amountMinor` of `currency` to the wallet, paid by the card `paymentMethodID` (nil:
    /// test money, where the backend allows it). Safe to call again after a network error.
    public func topUp(amountMinor: Int64, currency: String, paymentMethodID: String? = nil) async throws(ChargeKitFailure) {
        try await ChargeKitFailure.mapping { try await core.topUp(amountMinor: amountMinor, currency: currency, paymentMethodId: paymentMethodID) }
    }

    /// The wallet and the driver's cards; one of them may be the default.
    public func paymentMethods() async throws(ChargeKitFailure) -> [PaymentMethodInfo] {
        try await ChargeKitFailure.mapping { try await core.paymentMethods() }
    }

    /// Registers a card by the payment-method id the card provider's SDK gave the app.
    public func addCard(paymentMethodID: String, brand: String? = nil, last4: String? = nil) async throws(ChargeKitFailure) -> PaymentMethodInfo {
        try await ChargeKitFailure.mapping { try await core.addCard(paymentMethodId: paymentMethodID, brand: brand, last4: last4) }
    }

    /// Makes a card the default, or the wallet with nil.
    public func setDefaultPayment(_ paymentMethodID: String?) async throws(ChargeKitFailure) -> PaymentMethodInfo {
        try await ChargeKitFailure.mapping { try await core.setDefaultPayment(paymentMethodId: paymentMethodID) }
    }

    /// How a session is paid: held, captured, released…
    public func sessionPayment(_ sessionID: String) async throws(ChargeKitFailure) -> SessionPaymentInfo {
        try await ChargeKitFailure.mapping { try await core.sessionPayment(sessionId: sessionID) }
    }
}
