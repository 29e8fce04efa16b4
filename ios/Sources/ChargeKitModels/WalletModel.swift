import ChargeKit
import Foundation
import Observation

/// The wallet screen: the core's ``WalletState`` in (balances with each currency's digits, the
/// payment methods with the default, top-ups, busy, the last failure's sentence), the driver's
/// taps out. Top-ups are idempotent in the core; the backend decides what may be topped up.
@MainActor
@Observable
public final class WalletModel {
    public private(set) var state: WalletState

    private let flow: any WalletFlowProtocol

    /// - Parameters:
    ///   - currency: The currency top-ups are offered in (the market the app serves).
    ///   - topUpAmounts: The amounts offered, in major units of `currency`.
    public init(client: any ChargeKitClient, currency: String = "EUR", topUpAmounts: [Int64] = [10, 20, 50]) {
        flow = client.walletFlow(currency: currency, topUpAmounts: topUpAmounts)
        state = flow.state()
    }

    /// Shows the steps in between (busy) until the calling task is cancelled (the view's
    /// `.task`). The stream only says when: the state shown is always read from the core, so a
    /// late notice never shows an older state over the outcome an intent below has shown.
    public func follow() async {
        for await _ in flow.states { state = flow.state() }
    }

    public func refresh() async {
        await flow.refresh()
        state = flow.state()
    }

    /// Tops the wallet up with test money or, with `paymentMethodID`, paid by that card.
    public func topUp(_ amount: MoneyAmount, paymentMethodID: String? = nil) async {
        await flow.topUp(amount: amount, paymentMethodId: paymentMethodID)
        state = flow.state()
    }

    /// Makes `method` the default for starts that name none.
    public func makeDefault(_ method: WalletMethodScreen) async {
        await flow.makeDefault(payment: method.payment)
        state = flow.state()
    }

    /// A card the card provider's SDK has set up.
    public func addCard(paymentMethodID: String, brand: String?, last4: String?) async {
        await flow.addCard(paymentMethodId: paymentMethodID, brand: brand, last4: last4)
        state = flow.state()
    }

    public func dismissError() {
        flow.dismissMessage()
        state = flow.state()
    }
}
