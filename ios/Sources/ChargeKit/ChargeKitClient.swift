import Foundation

/// The app's way into the ChargeKit core: async commands, live sessions as `AsyncStream`s,
/// each screen's state as the core decides it, and errors as ``ChargeKitFailure``.
///
/// A protocol so the screens' models can be tested with a fake; ``CoreChargeKitClient`` is
/// the one on the Rust core.
public protocol ChargeKitClient: Sendable {
    // MARK: Account
    /// The signed-in account, if any; kept across launches through the secure store.
    var account: Account? { get }

    func signUp(email: String, password: String) async throws(ChargeKitFailure) -> Account

    func signIn(email: String, password: String) async throws(ChargeKitFailure) -> Account

    /// Signs out, and forgets this driver's history and queued stops on the phone (the next
    /// driver on this phone must not see them; the backend keeps them). Async: it writes the
    /// disk and the Keychain, off the caller's actor.
    func signOut() async throws(ChargeKitFailure)

    /// The sign-in's state at once, then every change (signed in, signed out, revoked): the
    /// app's root iterates it to show the sign-in screen.
    var authStates: AsyncStream<AuthState> { get }

    /// The driver's events (charging started, finished, idle fees coming…), each once, across
    /// launches; kinds and typed values to word in the driver's language.
    var driverEvents: AsyncStream<DriverEvent> { get }

    // MARK: Chargers
    /// Reads a scanned QR code, an NFC tag's text or a typed ID into a normalized EVSE ID.
    func evseID(from payload: String) throws(ChargeKitFailure) -> String

    /// Reads a whole NDEF message from a charger's tag (its raw bytes) into the EVSE ID of the
    /// first record carrying one.
    func evseID(fromNDEFMessage message: Data) throws(ChargeKitFailure) -> String

    /// Reads one NDEF record as CoreNFC gives it (`NFCNDEFPayload`'s `typeNameFormat`, `type`
    /// and `payload`) into the EVSE ID it carries.
    func evseID(fromNDEFRecord typeNameFormat: UInt8, type: Data, payload: Data) throws(ChargeKitFailure) -> String

    /// The EVSE ID of the first of a tag's NDEF records that carries one, as the core reads a
    /// whole message; when none does, the core's sentence about the first record.
    func evseID(from records: [NDEFRecord]) throws(ChargeKitFailure) -> String

    /// What the backend knows of an EVSE: its status, whether it is online, its prices.
    func lookUpEVSE(_ evseID: String) async throws(ChargeKitFailure) -> Evse

    /// A charger as the find-charger screen shows it: availability (offline included), prices,
    /// whether Start can be tapped.
    func chargerScreen(_ evseID: String) async throws(ChargeKitFailure) -> ChargerScreen

    /// The find-charger screen, idle: its state (``FindChargerFlowProtocol/states``) and intents.
    func findChargerFlow() -> any FindChargerFlowProtocol

    /// The wallet screen (loading until refreshed), with top-ups of `topUpAmounts` (major units
    /// of `currency`, the market the app serves).
    func walletFlow(currency: String, topUpAmounts: [Int64]) -> any WalletFlowProtocol

    // MARK: Sessions
    /// Starts charging, paid by the driver's default method (unpaid if they have none).
    func startSession(at evseID: String) async throws(ChargeKitFailure) -> SessionInfo

    /// Starts charging, paying with `payment`. A refused payment (too little in the wallet, a
    /// declined card) fails before the charger is asked, with the core's sentence.
    func startSession(at evseID: String, paying payment: Payment) async throws(ChargeKitFailure) -> SessionInfo

    /// The session still going on, if any — also one a card tapped at the charger or the car
    /// (Plug & Charge) started; `authMethod` says which.
    func activeSession() async throws(ChargeKitFailure) -> SessionInfo?

    /// Stops a session. With no network the stop is kept on the phone and the session comes
    /// back with `stopPending`; the core delivers it when the network returns.
    func stopSession(_ sessionID: String) async throws(ChargeKitFailure) -> SessionInfo

    /// One session (its receipt, once finished), from the backend or, offline, the cache.
    func session(_ sessionID: String) async throws(ChargeKitFailure) -> SessionInfo

    /// The session's current state at once, then every change; the stream ends once the
    /// session is final. Ending the iteration early (break, or cancelling the task) ends the
    /// core's subscription.
    ///
    /// With `framesPerSecond` above 0 (at most 60), energy, time and cost also move smoothly
    /// between the charger's meter samples at that rate while charging — energy never
    /// backwards, the cost as the core's pricing engine gives it (the server's at each sample;
    /// OCPI's step rule can make it go down) — and the final state is exactly the bill. Use
    /// it for the live screen.
    func liveSession(_ sessionID: String, framesPerSecond: UInt32) -> AsyncStream<SessionInfo>

    /// The live session screen as the core decides it (smoothed at `framesPerSecond`): its
    /// `canStop` is false while a stop is being sent. Ends when the session is finished.
    func liveSessionScreen(_ sessionID: String, framesPerSecond: UInt32) -> AsyncStream<LiveSessionScreen>

    // MARK: History
    /// Brings the offline history up to date with the backend; returns its newest sessions.
    func syncHistory(limit: Int) async throws(ChargeKitFailure) -> [SessionInfo]

    /// History from the offline cache, newest first. Works with no network; async because it
    /// reads the disk (off the caller's actor).
    func history(limit: Int, offset: Int) async throws(ChargeKitFailure) -> [SessionInfo]

    /// The newest `limit` cached sessions by month (newest first) with each month's totals, in
    /// the time zone `timeZoneID` (an IANA id: each date with the offset in force on it).
    /// Works with no network.
    func historyByMonth(limit: Int, timeZoneID: String) async throws(ChargeKitFailure) -> [HistoryMonth]

    /// The history screen from the phone's cache, by month in `timeZoneID`. Never fails: a
    /// problem (the cache could not be read) is its `message`. Reads the disk, off the caller's actor.
    func historyScreen(limit: Int, timeZoneID: String) async -> HistoryScreen

    /// Syncs with the backend, then the history screen; offline, the cached months and why.
    func refreshHistoryScreen(limit: Int, timeZoneID: String) async -> HistoryScreen

    // MARK: Receipts
    /// A finished session's signed receipt with the core's verdict on its signature and on the
    /// charger's signed meter data. Offline, the cached receipt, checked again.
    func receipt(for sessionID: String) async throws(ChargeKitFailure) -> ReceiptInfo

    /// The receipt screen: once completed, the signed receipt checked by the core (offline, the
    /// cached one); otherwise the session's own figures, unchecked. Fails only when the session
    /// is neither reachable nor cached.
    func receiptScreen(for sessionID: String) async throws(ChargeKitFailure) -> ReceiptScreen

    /// Checks signed meter data (OCMF) against a charger's public key (DER SPKI, hex or base64).
    func verifyMeterData(_ signedData: String, publicKey: String) -> MeterDataVerification

    // MARK: Cards and contracts
    /// The idTag a card's UID bytes (as the NFC reader gave them) stand for, e.g. `04A22B1A`.
    func cardIDTag(uid: Data) throws(ChargeKitFailure) -> String

    /// The idTag of a card UID as printed on it or typed (`04:a2:2b:1a`).
    func cardIDTag(printed: String) throws(ChargeKitFailure) -> String

    /// Registers the RFID card whose UID the NFC reader gave.
    func registerCard(uid: Data, label: String?) async throws(ChargeKitFailure) -> TokenInfo

    /// Registers a card by the UID printed on it (any case, `:`, `-` or spaces between bytes).
    func registerCard(printedUID: String, label: String?) async throws(ChargeKitFailure) -> TokenInfo

    /// Checks a Plug & Charge contract certificate (PEM or DER, with its sub-CAs) against the
    /// mobility operator's root and registers its EMAID. Nothing is sent if the check fails.
    func registerContract(certificate: Data, moRoot: Data, label: String?) async throws(ChargeKitFailure) -> ContractInfo

    /// Checks a contract certificate against the mobility operator's root without registering it.
    func readContract(certificate: Data, moRoot: Data) throws(ChargeKitFailure) -> ContractInfo

    /// The driver's cards and contracts, and the app's own token.
    func tokens() async throws(ChargeKitFailure) -> [TokenInfo]

    /// The cards & contracts screen (loading until refreshed).
    func cardsFlow() -> any CardsFlowProtocol

    /// Blocks a lost card or contract at every charger, or makes it active again.
    func setToken(_ idTag: String, blocked: Bool) async throws(ChargeKitFailure) -> TokenInfo

    func removeToken(_ idTag: String) async throws(ChargeKitFailure)

    // MARK: Payments
    /// The wallet's balance per currency: available, and held for sessions going on.
    func wallet() async throws(ChargeKitFailure) -> [WalletBalanceInfo]

    /// Adds `amountMinor` of `currency` to the wallet, paid by the card `paymentMethodID` (nil:
    /// test money, where the backend allows it). Safe to call again after a network error.
    func topUp(amountMinor: Int64, currency: String, paymentMethodID: String?) async throws(ChargeKitFailure)

    /// The wallet and the driver's cards; one of them may be the default.
    func paymentMethods() async throws(ChargeKitFailure) -> [PaymentMethodInfo]

    /// Registers a card by the payment-method id the card provider's SDK gave the app.
    func addCard(paymentMethodID: String, brand: String?, last4: String?) async throws(ChargeKitFailure) -> PaymentMethodInfo

    /// Makes a card the default, or the wallet with nil.
    func setDefaultPayment(_ paymentMethodID: String?) async throws(ChargeKitFailure) -> PaymentMethodInfo

    /// How a session is paid: held, captured, released…
    func sessionPayment(_ sessionID: String) async throws(ChargeKitFailure) -> SessionPaymentInfo
}

/// ``ChargeKitClient`` on the Rust core. Make one per app.
///
/// This is a thin layer over the generated `ChargeKit` object. The core does the work on its
/// own threads and keeps all state; this type only gives its API Swift's shapes, so it has no
/// state of its own and is `Sendable`: use it from the main actor or any other.
///
/// The core's async calls are not cancellable from Swift: cancelling the awaiting task does not
/// stop a request that is under way (the core finishes it, and a retried start is idempotent).
public final class CoreChargeKitClient: ChargeKitClient {
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
    /// driver on this phone must not see them; the backend keeps them). A nonisolated async
    /// call: the disk and Keychain work runs off the caller's actor (the main one).
    public func signOut() async throws(ChargeKitFailure) {
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

    /// The EVSE ID of the first of a tag's NDEF records that carries one, as the core reads a
    /// whole message; when none does, the core's sentence about the first record.
    public func evseID(from records: [NDEFRecord]) throws(ChargeKitFailure) -> String {
        let parts = records.map { NdefRecordParts(tnf: $0.typeNameFormat, recordType: $0.type, payload: $0.payload) }
        return try ChargeKitFailure.mapping { try parseNdefRecords(records: parts) }
    }

    /// What the backend knows of an EVSE: its status, whether it is online, its prices.
    public func lookUpEVSE(_ evseID: String) async throws(ChargeKitFailure) -> Evse {
        try await ChargeKitFailure.mapping { try await core.lookupEvse(evseId: evseID) }
    }

    /// A charger as the find-charger screen shows it: availability (offline included), prices,
    /// whether Start can be tapped.
    public func chargerScreen(_ evseID: String) async throws(ChargeKitFailure) -> ChargerScreen {
        try await ChargeKitFailure.mapping { try await core.chargerScreen(evseId: evseID) }
    }

    public func findChargerFlow() -> any FindChargerFlowProtocol { core.findChargerFlow() }

    public func walletFlow(currency: String, topUpAmounts: [Int64]) -> any WalletFlowProtocol {
        core.walletFlow(currency: currency, topUpAmounts: topUpAmounts)
    }

    // MARK: Sessions

    /// Starts charging, paid by the driver's default method (unpaid if they have none).
    public func startSession(at evseID: String) async throws(ChargeKitFailure) -> SessionInfo {
        try await ChargeKitFailure.mapping { try await core.startSession(evseId: evseID, payment: .default) }
    }

    /// Starts charging, paying with `payment`. A refused payment (too little in the wallet, a
    /// declined card) fails before the charger is asked, with the core's sentence.
    public func startSession(at evseID: String, paying payment: Payment) async throws(ChargeKitFailure) -> SessionInfo {
        try await ChargeKitFailure.mapping { try await core.startSession(evseId: evseID, payment: payment) }
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
    public func liveSession(_ sessionID: String, framesPerSecond: UInt32) -> AsyncStream<SessionInfo> {
        subscribe(to: sessionID, framesPerSecond: framesPerSecond).stream
    }

    /// The live session screen as the core decides it (smoothed at `framesPerSecond`): its
    /// `canStop` is false while a stop is being sent. Ends when the session is finished.
    public func liveSessionScreen(_ sessionID: String, framesPerSecond: UInt32) -> AsyncStream<LiveSessionScreen> {
        LiveScreenSubscription(core: core, sessionID: sessionID, framesPerSecond: framesPerSecond).stream
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
    public func history(limit: Int, offset: Int) async throws(ChargeKitFailure) -> [SessionInfo] {
        try ChargeKitFailure.mapping { try core.history(limit: UInt32(clamping: limit), offset: UInt32(clamping: offset)) }
    }

    /// The newest `limit` cached sessions by month (newest first) with each month's totals, in
    /// the time zone `timeZoneID` (an IANA id: each date with the offset in force on it).
    /// Works with no network.
    public func historyByMonth(limit: Int, timeZoneID: String) async throws(ChargeKitFailure) -> [HistoryMonth] {
        try ChargeKitFailure.mapping { try core.historyByMonth(limit: UInt32(clamping: limit), timeZone: timeZoneID) }
    }

    /// The history screen from the phone's cache, by month in `timeZoneID`. Never fails: a
    /// problem (the cache could not be read) is its `message`. Async: it reads the disk, off
    /// the caller's actor.
    public func historyScreen(limit: Int, timeZoneID: String) async -> HistoryScreen {
        core.historyScreen(limit: UInt32(clamping: limit), timeZone: timeZoneID)
    }

    /// Syncs with the backend, then the history screen; offline, the cached months and why.
    public func refreshHistoryScreen(limit: Int, timeZoneID: String) async -> HistoryScreen {
        await core.refreshHistoryScreen(limit: UInt32(clamping: limit), timeZone: timeZoneID)
    }

    // MARK: Receipts

    /// A finished session's signed receipt with the core's verdict on its signature and on the
    /// charger's signed meter data. Offline, the cached receipt, checked again.
    public func receipt(for sessionID: String) async throws(ChargeKitFailure) -> ReceiptInfo {
        try await ChargeKitFailure.mapping { try await core.receipt(sessionId: sessionID) }
    }

    /// The receipt screen: once completed, the signed receipt checked by the core (offline, the
    /// cached one); otherwise the session's own figures, unchecked. Fails only when the session
    /// is neither reachable nor cached.
    public func receiptScreen(for sessionID: String) async throws(ChargeKitFailure) -> ReceiptScreen {
        try await ChargeKitFailure.mapping { try await core.receiptScreen(sessionId: sessionID) }
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
    public func registerCard(uid: Data, label: String?) async throws(ChargeKitFailure) -> TokenInfo {
        try await ChargeKitFailure.mapping { try await core.registerCard(uid: uid, label: label) }
    }

    /// Registers a card by the UID printed on it (any case, `:`, `-` or spaces between bytes).
    public func registerCard(printedUID: String, label: String?) async throws(ChargeKitFailure) -> TokenInfo {
        try await ChargeKitFailure.mapping { try await core.registerCardText(uid: printedUID, label: label) }
    }

    /// Checks a Plug & Charge contract certificate (PEM or DER, with its sub-CAs) against the
    /// mobility operator's root and registers its EMAID. Nothing is sent if the check fails.
    public func registerContract(certificate: Data, moRoot: Data, label: String?) async throws(ChargeKitFailure) -> ContractInfo {
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

    public func cardsFlow() -> any CardsFlowProtocol { core.cardsFlow() }

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
    public func topUp(amountMinor: Int64, currency: String, paymentMethodID: String?) async throws(ChargeKitFailure) {
        try await ChargeKitFailure.mapping { try await core.topUp(amountMinor: amountMinor, currency: currency, paymentMethodId: paymentMethodID) }
    }

    /// The wallet and the driver's cards; one of them may be the default.
    public func paymentMethods() async throws(ChargeKitFailure) -> [PaymentMethodInfo] {
        try await ChargeKitFailure.mapping { try await core.paymentMethods() }
    }

    /// Registers a card by the payment-method id the card provider's SDK gave the app.
    public func addCard(paymentMethodID: String, brand: String?, last4: String?) async throws(ChargeKitFailure) -> PaymentMethodInfo {
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

/// The calls with their usual arguments, for every ``ChargeKitClient``.
public extension ChargeKitClient {
    /// The device's IANA time zone: what history months are grouped in.
    static var deviceTimeZoneID: String { TimeZone.current.identifier }

    func liveSession(_ sessionID: String) -> AsyncStream<SessionInfo> { liveSession(sessionID, framesPerSecond: 0) }

    func history(limit: Int) async throws(ChargeKitFailure) -> [SessionInfo] { try await history(limit: limit, offset: 0) }

    func historyByMonth(limit: Int) async throws(ChargeKitFailure) -> [HistoryMonth] {
        try await historyByMonth(limit: limit, timeZoneID: Self.deviceTimeZoneID)
    }

    func registerCard(uid: Data) async throws(ChargeKitFailure) -> TokenInfo { try await registerCard(uid: uid, label: nil) }

    func registerCard(printedUID: String) async throws(ChargeKitFailure) -> TokenInfo {
        try await registerCard(printedUID: printedUID, label: nil)
    }

    func registerContract(certificate: Data, moRoot: Data) async throws(ChargeKitFailure) -> ContractInfo {
        try await registerContract(certificate: certificate, moRoot: moRoot, label: nil)
    }

    func topUp(amountMinor: Int64, currency: String) async throws(ChargeKitFailure) {
        try await topUp(amountMinor: amountMinor, currency: currency, paymentMethodID: nil)
    }

    func addCard(paymentMethodID: String) async throws(ChargeKitFailure) -> PaymentMethodInfo {
        try await addCard(paymentMethodID: paymentMethodID, brand: nil, last4: nil)
    }
}

extension ChargeKitClient {
    /// A client without a core (a preview's, a test's fake) tells nothing.
    public var driverEvents: AsyncStream<DriverEvent> { AsyncStream { $0.finish() } }
}
