package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.PaymentMethodInfo
import io.chargekit.WalletBalanceInfo
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
import java.util.Currency

/** The wallet screen: balances, top-ups, payment methods and the default one. */
sealed interface WalletState {
    data object Loading : WalletState

    data class Ready(
        /** One per currency the wallet has held money in. */
        val balances: List<BalanceRow>,
        /** The wallet and the driver's cards. */
        val methods: List<PaymentMethodRow>,
        /** Amounts offered for a top-up, in [WalletPresenter]'s currency. */
        val topUps: List<TopUpOption>,
        /** A command is under way: disable the buttons. */
        val busy: Boolean = false,
        /** The core's sentence when the last command failed. */
        val message: String? = null,
    ) : WalletState

    /** Nothing could be loaded (e.g. no network): the core's sentence, and a retry. */
    data class Unavailable(val message: String) : WalletState
}

data class BalanceRow(
    val currency: String,
    /** What can be spent now, e.g. "€20.00". */
    val available: String,
    /** Reserved for a session going on now, e.g. "€30.00"; `null` when nothing is held. */
    val held: String?,
)

/** A way to pay, as the wallet screen and the start flow list it. */
data class PaymentMethodRow(
    /** `wallet`, or the card provider's payment-method id. */
    val id: String,
    val method: MethodLabel,
    val isDefault: Boolean,
)

/** What the screens name a payment method by; the words are the screens'. */
sealed interface MethodLabel {
    /** The wallet, with what is available in the charger's (or the screen's) currency, if known. */
    data class Wallet(val available: String? = null) : MethodLabel

    /** A card, e.g. brand "visa" and last4 "4242". */
    data class Card(val brand: String?, val last4: String?) : MethodLabel
}

data class TopUpOption(val amountMinor: Long, val currency: String, val label: String)

internal fun PaymentMethodInfo.label(walletAvailable: String? = null): MethodLabel =
    if (isWallet) MethodLabel.Wallet(walletAvailable) else MethodLabel.Card(brand, last4)

/**
 * The wallet: balances formatted in the driver's locale with each currency's digits, top-ups,
 * the payment methods and which is the default. Top-ups are idempotent in the core (a retry
 * after a network error is applied once); the backend decides what may be topped up.
 *
 * @param currency the currency top-ups are offered in (the market the app serves).
 * @param topUpAmounts the amounts offered, in major units of [currency].
 */
class WalletPresenter(
    private val client: ChargeKitClient,
    private val scope: CoroutineScope,
    private val formats: Formats = Formats(),
    private val currency: String = "EUR",
    private val topUpAmounts: List<Long> = listOf(10, 20, 50),
) {
    private val _state = MutableStateFlow<WalletState>(WalletState.Loading)
    val state: StateFlow<WalletState> = _state.asStateFlow()

    private val commands = Mutex()

    fun refresh(): Job = scope.launch { commands.withLock { reload(message = null) } }

    /** Tops the wallet up with test money or, with [paymentMethodId], paid by that card. */
    fun onTopUp(option: TopUpOption, paymentMethodId: String? = null): Job =
        command { client.topUp(option.amountMinor, option.currency, paymentMethodId) }

    /** Makes [method] the default for starts that name none. */
    fun onMakeDefault(method: PaymentMethodRow): Job =
        command { client.setDefaultPayment(if (method.method is MethodLabel.Wallet) null else method.id) }

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
            val balances = client.wallet()
            val methods = client.paymentMethods()
            WalletState.Ready(
                balances = balances.map(::balance),
                methods = methods.map { PaymentMethodRow(it.id, it.label(), it.isDefault) },
                topUps = topUps(balances),
                message = message,
            )
        } catch (e: ChargeKitException) {
            when (val shown = state.value) {
                is WalletState.Ready -> shown.copy(busy = false, message = message ?: e.message.orEmpty())
                else -> WalletState.Unavailable(e.message.orEmpty())
            }
        }
    }

    private fun balance(b: WalletBalanceInfo): BalanceRow {
        val digits = b.currencyDigits.toInt()
        return BalanceRow(
            currency = b.currency,
            available = formats.money(b.availableMinor, b.currency, digits),
            held = b.heldMinor.takeIf { it != 0L }?.let { formats.money(it, b.currency, digits) },
        )
    }

    /**
     * The offered amounts in minor units. The core states a currency's digits with every
     * balance; before the wallet has one in [currency], ISO 4217's digits as the JDK knows them.
     */
    private fun topUps(balances: List<WalletBalanceInfo>): List<TopUpOption> {
        val digits = balances.firstOrNull { it.currency == currency }?.currencyDigits?.toInt()
            ?: Currency.getInstance(currency).defaultFractionDigits.coerceAtLeast(0)
        return topUpAmounts.map { major ->
            val minor = Math.multiplyExact(major, pow10(digits))
            TopUpOption(minor, currency, formats.money(minor, currency, digits))
        }
    }

    private fun pow10(digits: Int): Long = (1..digits).fold(1L) { acc, _ -> acc * 10 }
}
