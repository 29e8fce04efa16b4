import ChargeKit
import Foundation
import Observation

/// The "find a charger" screen: the driver scans a QR code, taps an NFC tag or types an EVSE
/// ID; the core reads it and looks the charger up; the driver starts charging.
///
/// `idle → looking → found | failed`, then `found → starting → started | failed`. A newer
/// search supersedes one still under way: only the latest answer is shown. A found charger
/// comes with the ways to pay (``paymentOptions``); a refused payment is `failed` with the
/// core's sentence, and nothing was started.
@MainActor
@Observable
public final class FindChargerModel {
    public enum State: Equatable, Sendable {
        case idle
        case looking
        case found(Charger)
        case starting(Charger)
        /// Charging was requested; the live session screen takes over.
        case started(SessionInfo)
        /// A session is already going on — also one a card tapped at the charger or the car
        /// (Plug & Charge) started (`authMethod`): offer to show it.
        case ongoing(SessionInfo)
        /// The core's sentence for the driver.
        case failed(String)
    }

    /// A charger as the screen shows it.
    public struct Charger: Equatable, Sendable {
        public let evseID: String
        /// What the connector's state means for the driver, offline included; the view names it.
        public let status: ConnectorAvailability
        public let isOnline: Bool
        /// The core's word on whether charging can start here now (online and free).
        public let canStart: Bool
        public let prices: [Price]
    }

    /// One price of the charger's tariff, excluding VAT; the view names the unit from `kind`.
    public struct Price: Equatable, Sendable {
        public let kind: CostKind
        public let amount: String
        /// "19%", when VAT applies.
        public let vat: String?
    }

    /// A way to pay for the session about to start.
    public struct PaymentOption: Identifiable, Equatable, Sendable {
        /// `wallet`, or the card provider's payment-method id.
        public let id: String
        public let payment: Payment
        public let label: PaymentMethodLabel
        public let isDefault: Bool
    }

    /// What the driver typed into the EVSE ID field.
    public var typedID = ""
    public private(set) var state: State = .idle
    /// The wallet (with its balance in the charger's currency) and the driver's cards, loaded
    /// with the charger; empty when they could not be (the backend then decides).
    public private(set) var paymentOptions: [PaymentOption] = []
    /// What the start names: `.default` (the driver's default method) until one is picked.
    public var selectedPayment: Payment = .default

    private let client: ChargeKitClient
    private let formats: Formats
    /// Counts searches, so an answer to a superseded one is dropped.
    private var attempt = 0

    public init(client: ChargeKitClient, formats: Formats = Formats()) {
        self.client = client
        self.formats = formats
    }

    /// A QR code's payload, or the URI or text of an NFC tag's NDEF record.
    public func scanned(_ payload: String) async {
        await find(payload)
    }

    /// The NDEF records of a tag; the core reads the EVSE ID from the first that carries one.
    public func scanned(_ records: [NDEFRecord]) async {
        await find { () throws(ChargeKitFailure) in try client.evseID(from: records) }
    }

    /// Checked in the picker: picked, or the default while nothing is picked.
    public func isSelected(_ option: PaymentOption) -> Bool {
        option.payment == selectedPayment || (selectedPayment == .default && option.isDefault)
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
            let session = try await client.startSession(at: charger.evseID, paying: selectedPayment)
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
            let evse = try await client.lookUpEVSE(evseID)
            let options = await paymentOptions(currency: evse.currency)
            if current == attempt {
                paymentOptions = options
                selectedPayment = .default
                state = .found(charger(evse))
            }
        } catch {
            if current == attempt { state = .failed(error.message) }
        }
    }

    private func paymentOptions(currency: String) async -> [PaymentOption] {
        do throws(ChargeKitFailure) {
            let available = try await client.wallet().first { $0.currency == currency }
                .map { formats.money(minor: $0.availableMinor, currency: $0.currency, digits: $0.currencyDigits) }
            return try await client.paymentMethods().map { method in
                PaymentOption(
                    id: method.id,
                    payment: method.isWallet ? .wallet : .card(paymentMethodId: method.id),
                    label: PaymentMethodLabel(method, walletAvailable: available),
                    isDefault: method.isDefault
                )
            }
        } catch {
            return []
        }
    }

    private func nextAttempt() -> Int {
        attempt += 1
        return attempt
    }

    private func charger(_ evse: Evse) -> Charger {
        let prices = evse.prices.map { line in
            Price(
                kind: line.kind,
                // At least the currency's digits ("€0.40"), more when the tariff has them ("€0.345").
                amount: formats.unitPrice(line.unitPrice, currency: evse.currency, minimumDigits: evse.currencyDigits),
                vat: line.vatPercent.map(formats.percent)
            )
        }
        return Charger(evseID: evse.evseId, status: evse.availability, isOnline: evse.online, canStart: evse.canStart, prices: prices)
    }
}
