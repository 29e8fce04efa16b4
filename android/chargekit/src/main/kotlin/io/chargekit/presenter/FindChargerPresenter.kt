package io.chargekit.presenter

import io.chargekit.AuthMethod
import io.chargekit.ChargeKitException
import io.chargekit.ConnectorAvailability
import io.chargekit.CostKind
import io.chargekit.Evse
import io.chargekit.Payment
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the "find a charger" screen shows. */
sealed interface FindChargerState {
    data object Idle : FindChargerState
    data class Looking(val evseId: String) : FindChargerState
    data class Found(val charger: ChargerCard) : FindChargerState
    data class Starting(val charger: ChargerCard) : FindChargerState
    /** Charging was requested: show the live session. */
    data class Started(val sessionId: String) : FindChargerState
    /**
     * A session is already going on — also one a card tapped at the charger or the car (Plug &
     * Charge) started: offer to show it.
     */
    data class Ongoing(val sessionId: String, val evseId: String, val authMethod: AuthMethod) : FindChargerState
    data class Failed(val message: String, val charger: ChargerCard? = null) : FindChargerState
}

data class ChargerCard(
    val evseId: String,
    /** What the connector's state means for the driver, offline included; the screen names it. */
    val status: ConnectorAvailability,
    val online: Boolean,
    /** e.g. "€0.39 / kWh", excluding VAT. */
    val prices: List<String>,
    val canStart: Boolean,
)

/** How the driver may pay for the session about to start. */
data class PaymentChoice(
    /** The wallet and the driver's cards; empty when they could not be loaded. */
    val options: List<PaymentOption> = emptyList(),
    /** What the start will name: [Payment.Default] until the driver picks one. */
    val selected: Payment = Payment.Default,
)

data class PaymentOption(
    val payment: Payment,
    val method: MethodLabel,
    val isDefault: Boolean,
    /** Checked in the picker: picked, or the default while nothing is picked. */
    val selected: Boolean,
)

/**
 * Finds a charger from a QR code, an NFC tag or a typed ID, shows it with how to pay, and
 * starts charging. A refused payment (too little in the wallet, a declined card) is
 * [FindChargerState.Failed] with the core's sentence; nothing was started then.
 * Plain Kotlin: the Compose screen renders [state] and [payment] and forwards taps.
 */
class FindChargerPresenter(
    private val client: ChargeKitClient,
    private val scope: CoroutineScope,
    private val formats: Formats = Formats(),
) {
    private val _state = MutableStateFlow<FindChargerState>(FindChargerState.Idle)
    val state: StateFlow<FindChargerState> = _state.asStateFlow()
    private val _payment = MutableStateFlow(PaymentChoice())
    val payment: StateFlow<PaymentChoice> = _payment.asStateFlow()
    private var work: Job? = null

    fun onQrScanned(payload: String) = find(payload)

    /** A whole NDEF message read from a tag (`NdefMessage.toByteArray()`); the core finds the EVSE ID. */
    fun onNdefMessage(message: ByteArray) = find { client.evseFromNdef(message) }

    /** The driver picked how to pay. */
    fun onPaymentChosen(payment: Payment) {
        _payment.update { choice -> choice.copy(selected = payment).withChecks() }
    }

    fun onIdTyped(text: String) = find(text)

    /**
     * The screen is shown: if a session is going on (after an app restart, or started at the
     * charger with a card or by the car), say so. A search under way is left alone.
     */
    fun onShown() {
        if (state.value != FindChargerState.Idle) return
        scope.launch {
            val active = try {
                client.activeSession()
            } catch (e: ChargeKitException) {
                null
            }
            if (active != null && state.value == FindChargerState.Idle) {
                _state.value = FindChargerState.Ongoing(active.id, active.evseId, active.authMethod)
            }
        }
    }

    fun onStartTapped() {
        val charger = (state.value as? FindChargerState.Found)?.charger ?: return
        work?.cancel()
        _state.value = FindChargerState.Starting(charger)
        work = scope.launch {
            _state.value = try {
                FindChargerState.Started(client.startSession(charger.evseId, payment.value.selected).id)
            } catch (e: ChargeKitException) {
                FindChargerState.Failed(e.message ?: "", charger)
            }
        }
    }

    fun onDismissError() {
        _state.value = FindChargerState.Idle
    }

    private fun find(input: String) = find { client.evseFromQr(input) }

    private fun find(read: () -> String) {
        work?.cancel()
        val evseId = try {
            read()
        } catch (e: ChargeKitException) {
            _state.value = FindChargerState.Failed(e.message ?: "")
            return
        }
        _state.value = FindChargerState.Looking(evseId)
        work = scope.launch {
            _state.value = try {
                val evse = client.lookupEvse(evseId)
                _payment.value = paymentChoice(evse.currency)
                FindChargerState.Found(card(evse))
            } catch (e: ChargeKitException) {
                FindChargerState.Failed(e.message ?: "")
            }
        }
    }

    /**
     * The wallet (with what it has in the charger's currency) and the cards. Without them (e.g.
     * a backend that takes no payments) the start names no method and the backend decides.
     */
    private suspend fun paymentChoice(currency: String): PaymentChoice = try {
        val available = client.wallet().firstOrNull { it.currency == currency }
            ?.let { formats.money(it.availableMinor, it.currency, it.currencyDigits.toInt()) }
        val options = client.paymentMethods().map { method ->
            val payment = if (method.isWallet) Payment.Wallet else Payment.Card(method.id)
            PaymentOption(payment, method.label(available), method.isDefault, selected = false)
        }
        PaymentChoice(options).withChecks()
    } catch (e: ChargeKitException) {
        PaymentChoice()
    }

    private fun PaymentChoice.withChecks() = copy(
        options = options.map { it.copy(selected = it.payment == selected || (selected == Payment.Default && it.isDefault)) },
    )

    private fun card(evse: Evse) = ChargerCard(
        evseId = evse.evseId,
        status = evse.availability,
        online = evse.online,
        prices = evse.prices.map { "${formats.price(it.unitPrice, evse.currency)} ${per(it.kind)}".trim() },
        canStart = evse.canStart,
    )

    private fun per(kind: CostKind) = when (kind) {
        CostKind.ENERGY -> "/ kWh"
        CostKind.TIME, CostKind.PARKING -> "/ h"
        CostKind.FLAT -> ""
    }
}
