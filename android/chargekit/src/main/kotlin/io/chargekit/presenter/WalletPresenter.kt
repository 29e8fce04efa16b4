package io.chargekit.presenter

import io.chargekit.MoneyAmount
import io.chargekit.WalletMethodScreen
import io.chargekit.WalletState
import io.chargekit.client.ChargeKitClient
import io.chargekit.client.states
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.StateFlow

/**
 * The wallet screen: the core's [WalletState] in (balances, methods with the default, top-ups,
 * busy, the last failure's sentence), the driver's taps out. Top-ups are idempotent in the core.
 *
 * @param currency the currency top-ups are offered in (the market the app serves).
 * @param topUpAmounts the amounts offered, in major units of [currency].
 */
class WalletPresenter(
    client: ChargeKitClient,
    scope: CoroutineScope,
    currency: String = "EUR",
    topUpAmounts: List<Long> = listOf(10, 20, 50),
) {
    private val flow = client.walletFlow(currency, topUpAmounts)
    private val screen = ScreenState(scope, flow.states(), flow::state)
    val state: StateFlow<WalletState> = screen.state

    fun refresh(): Job = screen.intent { flow.refresh() }

    /** Tops the wallet up with test money or, with [paymentMethodId], paid by that card. */
    fun onTopUp(amount: MoneyAmount, paymentMethodId: String? = null): Job = screen.intent { flow.topUp(amount, paymentMethodId) }

    fun onMakeDefault(method: WalletMethodScreen): Job = screen.intent { flow.makeDefault(method.payment) }

    /** A card the card provider's SDK has set up. */
    fun onCardAdded(paymentMethodId: String, brand: String?, last4: String?): Job =
        screen.intent { flow.addCard(paymentMethodId, brand, last4) }

    fun onDismissMessage() = screen.now { flow.dismissMessage() }
}
