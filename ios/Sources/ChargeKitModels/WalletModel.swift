import ChargeKit
import Foundation
import Observation

/// A way to pay, as the wallet screen and the start flow name it; the words are the views'.
public enum PaymentMethodLabel: Equatable, Sendable {
    /// The wallet, with what is available in the charger's currency, if known.
    case wallet(available: String?)
    /// A card, e.g. brand "visa" and last4 "4242".
    case card(brand: String?, last4: String?)

    /// The core's label, with the wallet's balance formatted.
    public init(_ label: PaymentOptionLabel, formats: Formats) {
        switch label {
        case .wallet(let available): self = .wallet(available: available.map(formats.money))
        case .card(let brand, let last4): self = .card(brand: brand, last4: last4)
        }
    }
}

/// The wallet screen: the core's ``WalletScreen`` (balances with each currency's digits, the
/// payment methods with the default, top-ups), the command under way and its outcome. Top-ups
/// are idempotent in the core (a retry after a network error is applied once); the backend
/// decides what may be topped up.
@MainActor
@Observable
public final class WalletModel {
    public enum State: Equatable, Sendable {
        case loading
        case loaded
        /// Nothing could be loaded (e.g. no network): the core's sentence.
        case unavailable(String)
    }

    public private(set) var state: State = .loading
    public private(set) var screen = WalletScreen(balances: [], methods: [], topUps: [])
    /// A command is under way: disable the buttons.
    public private(set) var isBusy = false
    /// The core's sentence when the last command failed.
    public private(set) var errorMessage: String?

    private let client: any ChargeKitClient
    private let currency: String
    private let topUpAmounts: [Int64]

    /// - Parameters:
    ///   - currency: The currency top-ups are offered in (the market the app serves).
    ///   - topUpAmounts: The amounts offered, in major units of `currency`.
    public init(client: any ChargeKitClient, currency: String = "EUR", topUpAmounts: [Int64] = [10, 20, 50]) {
        self.client = client
        self.currency = currency
        self.topUpAmounts = topUpAmounts
    }

    public func refresh() async {
        do throws(ChargeKitFailure) {
            screen = try await client.walletScreen(currency: currency, topUpAmounts: topUpAmounts)
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
    public func topUp(_ amount: MoneyAmount, paymentMethodID: String? = nil) async {
        await run { try await self.client.topUp(amountMinor: amount.minor, currency: amount.currency, paymentMethodID: paymentMethodID) }
    }

    /// Makes `method` the default for starts that name none.
    public func makeDefault(_ method: WalletMethodScreen) async {
        let id: String? = if case .card(let id) = method.payment { id } else { nil }
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
}
