package io.chargekit.presenter

import io.chargekit.FindChargerScreen
import io.chargekit.Payment
import io.chargekit.client.ChargeKitClient
import io.chargekit.client.states
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.StateFlow

/**
 * The "find a charger" screen: the core's [FindChargerScreen] in (the step — looking, found,
 * starting, started, a session going on, failed — and how to pay), the driver's taps out. The
 * rules are the core's: a newer search supersedes one under way, Start starts once, a session
 * going on is offered only on an idle screen, a refused payment is failed with its sentence.
 */
class FindChargerPresenter(client: ChargeKitClient, scope: CoroutineScope) {
    private val flow = client.findChargerFlow()
    private val screen = ScreenState(scope, flow.states(), flow::state)
    val state: StateFlow<FindChargerScreen> = screen.state

    fun onQrScanned(payload: String) = screen.intent { flow.scanned(payload) }

    fun onIdTyped(text: String) = screen.intent { flow.scanned(text) }

    /** A whole NDEF message read from a tag (`NdefMessage.toByteArray()`); the core finds the EVSE ID. */
    fun onNdefMessage(message: ByteArray) = screen.intent { flow.ndefMessage(message) }

    fun onPaymentChosen(payment: Payment) = screen.now { flow.choosePayment(payment) }

    /** The screen is shown: a session going on (after a restart, or started at the charger) is offered. */
    fun onShown() = screen.intent { flow.shown() }

    fun onStartTapped() = screen.intent { flow.start() }

    fun onDismissError() = screen.now { flow.reset() }
}
