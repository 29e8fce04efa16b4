import ChargeKit
import Foundation
import Observation

/// A way to pay, as the wallet screen and the start flow name it; the words are the views'.
public enum PaymentMethodLabel: Equatable, Sendable {
    /// The wallet, with what is available in the charger's currency, if known.
    case wallet(available: String?)
    /// A card, e.g. brand "visa" and last4 "4242".
    case card(brand: String?, last4: String?)

    init(_ method: PaymentMethodInfo, walletAvailable: String? = nil) {
        self = method.isWallet ? .wallet(available: walletAvailable) : .card(brand: method.brand, last4: method.last4)
    }
}

/// The wallet screen: balances per currency in the driver's locale with each currency's
/// digits, top-ups, the payment methods and which is the default. Top-ups are idempotent in
/// the core (a retry after a network error is applied once); the backend decides what may be
/// topped up.
@MainActor
@Observable
public final class WalletModel {
    public enum State: Equatable, Sendable {
        case loading
        case loaded
        /// Nothing could be loaded (e.g. no network): the core's sentence.
        case unavailable(String)
    }

    public struct Balance: Identifiable, Equatable, Sendable {
        public var id: String { currency }
        public let currency: String
        /// What can be spent now, e.g. "€20.00".
        public let available: String
        /// Reserved for a session going on now; nil when nothing is held.
        public let held: String?
    }

    public struct Method: Identifiable, Equatable, Sendable {
        /// `wallet`, or the card provider's payment-method id.
        public let id: String
        public let label: PaymentMethodLabel
        public let isDefault: Bool
    }

    public struct TopUp: Identifiable, Equatable, Sendable {
        public var id: Int64 { amountMinor }
        public let amountMinor: Int64
        public let currency: String
        /// "€20.00".
        public let label: String
    }

    public private(set) var state: State = .loading
    public private(set) var balances: [Balance] = []
    public private(set) var methods: [Method] = []
    public private(set) var topUps: [TopUp] = []
    /// A command is under way: disable the buttons.
    public private(set) var isBusy = false
    /// The core's sentence when the last command failed.
    public private(set) var errorMessage: String?

    private let client: any ChargeKitClient
    private let formats: Formats
    private let currency: String
    private let topUpAmounts: [Int64]

    /// - Parameters:
    ///   - currency: The currency top-ups are offered in (the market the app serves).
    ///   - topUpAmounts: The amounts offered, in major units of `currency`.
    public init(client: any ChargeKitClient, formats: Formats = Formats(), currency: String = "EUR", topUpAmounts: [Int64] = [10, 20, 50]) {
        self.client = client
        self.formats = formats
        self.currency = currency
        self.topUpAmounts = topUpAmounts
    }

    public func refresh() async {
        do throws(ChargeKitFailure) {
            let wallet = try await client.wallet()
            let methods = try await client.paymentMethods()
            balances = wallet.map(balance)
            self.methods = methods.map { Method(id: $0.id, label: PaymentMethodLabel($0), isDefault: $0.isDefault) }
            topUps = topUps(wallet)
            state = .loaded
        } catch {
            if state == .loaded {
                errorMessage = errorMessage ?? error.message
            } else {
                state = .unavailable(error.message)
            }
        }
    }

    /// Tops the wallet up with test money or, with `paymentMethodID`, paid by that card.
    public func topUp(_ option: TopUp, paymentMethodID: String? = nil) async {
        await run { try await self.client.topUp(amountMinor: option.amountMinor, currency: option.currency, paymentMethodID: paymentMethodID) }
    }

    /// Makes `method` the default for starts that name none.
    public func makeDefault(_ method: Method) async {
        let id: String? = if case .wallet = method.label { nil } else { method.id }
        await run { _ = try await self.client.setDefaultPayment(id) }
    }

    /// A card the card provider's SDK has set up.
    public func addCard(paymentMethodID: String, brand: String?, last4: String?) async {
        await run { _ = try await self.client.addCard(paymentMethodID: paymentMethodID, brand: brand, last4: last4) }
    }

    public func dismissError() {
        errorMessage = nil
    }

    /// Runs a command (every call in it throws `ChargeKitFailure`), then reloads.
    private func run(_ command: () async throws -> Void) async {
        isBusy = true
        errorMessage = nil
        do {
            try await command()
        } catch {
            errorMessage = (error as? ChargeKitFailure)?.message ?? error.localizedDescription
        }
        await refresh()
        isBusy = false
    }

    private func balance(_ balance: WalletBalanceInfo) -> Balance {
        Balance(
            currency: balance.currency,
            available: formats.money(minor: balance.availableMinor, currency: balance.currency, digits: balance.currencyDigits),
            held: balance.heldMinor == 0 ? nil : formats.money(minor: balance.heldMinor, currency: balance.currency, digits: balance.currencyDigits)
        )
    }

    /// The offered amounts in minor units: the core states a currency's digits with every
    /// balance; before the wallet has one in `currency`, ISO 4217's digits as Foundation knows them.
    private func topUps(_ wallet: [WalletBalanceInfo]) -> [TopUp] {
        let digits = wallet.first { $0.currency == currency }?.currencyDigits ?? Self.isoDigits(of: currency)
        let scale = (0..<digits).reduce(Int64(1)) { product, _ in product * 10 }
        return topUpAmounts.map { major in
            let minor = major * scale
            return TopUp(amountMinor: minor, currency: currency, label: formats.money(minor: minor, currency: currency, digits: digits))
        }
    }

    private static func isoDigits(of currency: String) -> UInt32 {
        let formatter = NumberFormatter()
        formatter.numberStyle = .currency
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.currencyCode = currency
        return UInt32(max(0, formatter.maximumFractionDigits))
    }
}
