import ChargeKit
import Foundation
import Observation

/// The "find a charger" screen: the driver scans a QR code, taps an NFC tag or types an EVSE
/// ID; the core reads it and looks the charger up; the driver starts charging.
///
/// `idle → looking → found | failed`, then `found → starting → started | failed`. A newer
/// search supersedes one still under way: only the latest answer is shown. A found charger
/// comes with the ways to pay (``payment``); a refused payment is `failed` with the
/// core's sentence, and nothing was started.
@MainActor
@Observable
public final class FindChargerModel {
    public enum State: Equatable, Sendable {
        case idle
        case looking
        case found(ChargerScreen)
        case starting(ChargerScreen)
        /// Charging was requested; the live session screen takes over.
        case started(SessionInfo)
        /// A session is already going on — also one a card tapped at the charger or the car
        /// (Plug & Charge) started (`authMethod`): offer to show it.
        case ongoing(SessionInfo)
        /// The core's sentence for the driver.
        case failed(String)
    }

    /// What the driver typed into the EVSE ID field.
    public var typedID = ""
    public private(set) var state: State = .idle
    /// How to pay, as the core decides it: the wallet (with its balance in the charger's
    /// currency) and the cards, the default checked until the driver picks one.
    public private(set) var payment = PaymentChoiceScreen(options: [], selected: .default)

    private let client: any ChargeKitClient
    /// Counts searches, so an answer to a superseded one is dropped.
    private var attempt = 0

    public init(client: any ChargeKitClient) {
        self.client = client
    }

    /// A QR code's payload, or the URI or text of an NFC tag's NDEF record.
    public func scanned(_ payload: String) async {
        await find(payload)
    }

    /// The NDEF records of a tag; the core reads the EVSE ID from the first that carries one.
    public func scanned(_ records: [NDEFRecord]) async {
        await find { () throws(ChargeKitFailure) in try client.evseID(from: records) }
    }

    /// The driver picked how to pay.
    public func choose(_ chosen: Payment) {
        payment = selectPayment(screen: payment, chosen: chosen)
    }

    /// When the screen is shown: a session going on (after a restart, or started at the charger
    /// with a card or by the car) is offered. A search under way is left alone.
    public func checkActiveSession() async {
        guard state == .idle, let active = try? await client.activeSession(), state == .idle else { return }
        state = .ongoing(active)
    }

    /// Looks up what the driver typed.
    public func submitTypedID() async {
        await find(typedID)
    }

    /// Starts charging at the charger found.
    public func start() async {
        guard case .found(let charger) = state else { return }
        let current = nextAttempt()
        state = .starting(charger)
        do throws(ChargeKitFailure) {
            let session = try await client.startSession(at: charger.evseId, paying: payment.selected)
            if current == attempt { state = .started(session) }
        } catch {
            if current == attempt { state = .failed(error.message) }
        }
    }

    /// Back to the start, e.g. when the screen is shown again.
    public func reset() {
        _ = nextAttempt()
        typedID = ""
        state = .idle
    }

    private func find(_ input: String) async {
        await find { () throws(ChargeKitFailure) in try client.evseID(from: input) }
    }

    private func find(_ read: () throws(ChargeKitFailure) -> String) async {
        let current = nextAttempt()
        state = .looking
        do throws(ChargeKitFailure) {
            let evseID = try read()
            let charger = try await client.chargerScreen(evseID)
            let choice = await client.paymentChoiceScreen(currency: charger.currency)
            if current == attempt {
                payment = choice
                state = .found(charger)
            }
        } catch {
            if current == attempt { state = .failed(error.message) }
        }
    }

    private func nextAttempt() -> Int {
        attempt += 1
        return attempt
    }
}
