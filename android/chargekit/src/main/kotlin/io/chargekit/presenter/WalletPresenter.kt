package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.MoneyAmount
import io.chargekit.Payment
import io.chargekit.WalletMethodScreen
import io.chargekit.WalletScreen
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** The wallet screen: the core's [WalletScreen] once loaded, with the command under way and its outcome. */
sealed interface WalletState {
    data object Loading : WalletState

    data class Ready(
        /** Balances, payment methods with the default, top-ups: as the core decides them. */
        val screen: WalletScreen,
        /** A command is under way: disable the buttons. */
        val busy: Boolean = false,
        /** The core's sentence when the last command failed. */
        val message: String? = null,
    ) : WalletState

    /** Nothing could be loaded (e.g. no network): the core's sentence, and a retry. */
    data class Unavailable(val message: String) : WalletState
}

/** What the screens name a payment method by; the words are the screens'. */
sealed interface MethodLabel {
    /** The wallet, with what is available in the charger's (or the screen's) currency, if known. */
    data class Wallet(val available: String? = null) : MethodLabel

    /** A card, e.g. brand "visa" and last4 "4242". */
    data class Card(val brand: String?, val last4: String?) : MethodLabel
}

/**
 * The wallet: the core's balances, methods and top-ups; commands go to the core and the screen
 * is reloaded after each. Top-ups are idempotent in the core (a retry after a network error is
 * applied once); the backend decides what may be topped up.
 *
 * @param currency the currency top-ups are offered in (the market the app serves).
 * @param topUpAmounts the amounts offered, in major units of [currency].
 */
class WalletPresenter(
    private val client: ChargeKitClient,
    private val scope: CoroutineScope,
    private val currency: String = "EUR",
    private val topUpAmounts: List<Long> = listOf(10, 20, 50),
) {
    private val _state = MutableStateFlow<WalletState>(WalletState.Loading)
    val state: StateFlow<WalletState> = _state.asStateFlow()

    private val commands = Mutex()

    fun refresh(): Job = scope.launch { commands.withLock { reload(message = null) } }

    /** Tops the wallet up with test money or, with [paymentMethodId], paid by that card. */
    fun onTopUp(amount: MoneyAmount, paymentMethodId: String? = null): Job =
        command { client.topUp(amount.minor, amount.currency, paymentMethodId) }

    /** Makes [method] the default for starts that name none. */
    fun onMakeDefault(method: WalletMethodScreen): Job =
        command { client.setDefaultPayment((method.payment as? Payment.Card)?.paymentMethodId) }

    /** A card the card provider's SDK has set up: its payment-method id, brand and last four digits. */
    fun onCardAdded(paymentMethodId: String, brand: String?, last4: String?): Job =
        command { client.addCard(paymentMethodId, brand, last4) }

    fun onDismissMessage() {
        _state.update { (it as? WalletState.Ready)?.copy(message = null) ?: it }
    }

    private fun command(run: suspend () -> Unit): Job = scope.launch {
        commands.withLock {
            _state.update { (it as? WalletState.Ready)?.copy(busy = true, message = null) ?: it }
            val message = try {
                run()
                null
            } catch (e: ChargeKitException) {
                e.message.orEmpty()
            }
            reload(message)
        }
    }

    private suspend fun reload(message: String?) {
        _state.value = try {
            WalletState.Ready(client.walletScreen(currency, topUpAmounts), message = message)
        } catch (e: ChargeKitException) {
            when (val shown = state.value) {
                is WalletState.Ready -> shown.copy(busy = false, message = message ?: e.message.orEmpty())
                else -> WalletState.Unavailable(e.message.orEmpty())
            }
        }
    }
}
