package io.chargekit.presenter

import io.chargekit.AuthMethod
import io.chargekit.ChargeKitException
import io.chargekit.ChargerScreen
import io.chargekit.Payment
import io.chargekit.PaymentChoiceScreen
import io.chargekit.selectPayment
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
    data class Found(val charger: ChargerScreen) : FindChargerState
    data class Starting(val charger: ChargerScreen) : FindChargerState
    /** Charging was requested: show the live session. */
    data class Started(val sessionId: String) : FindChargerState
    /**
     * A session is already going on — also one a card tapped at the charger or the car (Plug &
     * Charge) started: offer to show it.
     */
    data class Ongoing(val sessionId: String, val evseId: String, val authMethod: AuthMethod) : FindChargerState
    data class Failed(val message: String, val charger: ChargerScreen? = null) : FindChargerState
}

/**
 * Finds a charger from a QR code, an NFC tag or a typed ID, shows it with how to pay, and
 * starts charging. A refused payment (too little in the wallet, a declined card) is
 * [FindChargerState.Failed] with the core's sentence; nothing was started then.
 * Plain Kotlin: the Compose screen renders [state] and [payment] and forwards taps.
 */
class FindChargerPresenter(private val client: ChargeKitClient, private val scope: CoroutineScope) {
    private val _state = MutableStateFlow<FindChargerState>(FindChargerState.Idle)
    val state: StateFlow<FindChargerState> = _state.asStateFlow()
    private val _payment = MutableStateFlow(PaymentChoiceScreen(options = emptyList(), selected = Payment.Default))
    /** How to pay, as the core decides it (the default checked until the driver picks). */
    val payment: StateFlow<PaymentChoiceScreen> = _payment.asStateFlow()
    private var work: Job? = null

    fun onQrScanned(payload: String) = find(payload)

    /** A whole NDEF message read from a tag (`NdefMessage.toByteArray()`); the core finds the EVSE ID. */
    fun onNdefMessage(message: ByteArray) = find { client.evseFromNdef(message) }

    /** The driver picked how to pay. */
    fun onPaymentChosen(payment: Payment) {
        _payment.update { choice -> selectPayment(choice, payment) }
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
                val charger = client.chargerScreen(evseId)
                _payment.value = client.paymentChoiceScreen(charger.currency)
                FindChargerState.Found(charger)
            } catch (e: ChargeKitException) {
                FindChargerState.Failed(e.message ?: "")
            }
        }
    }
}
