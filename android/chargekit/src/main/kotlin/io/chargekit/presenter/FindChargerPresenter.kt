package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.CostKind
import io.chargekit.Evse
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** What the "find a charger" screen shows. */
sealed interface FindChargerState {
    data object Idle : FindChargerState
    data class Looking(val evseId: String) : FindChargerState
    data class Found(val charger: ChargerCard) : FindChargerState
    data class Starting(val charger: ChargerCard) : FindChargerState
    /** Charging was requested: show the live session. */
    data class Started(val sessionId: String) : FindChargerState
    data class Failed(val message: String, val charger: ChargerCard? = null) : FindChargerState
}

data class ChargerCard(
    val evseId: String,
    /** The connector's OCPP status, e.g. "Available". */
    val status: String,
    val online: Boolean,
    /** e.g. "€0.39 / kWh", excluding VAT. */
    val prices: List<String>,
    val canStart: Boolean,
)

/**
 * Finds a charger from a QR code, an NFC tag or a typed ID, shows it, and starts charging.
 * Plain Kotlin: the Compose screen renders [state] and forwards taps.
 */
class FindChargerPresenter(
    private val client: ChargeKitClient,
    private val scope: CoroutineScope,
    private val formats: Formats = Formats(),
) {
    private val _state = MutableStateFlow<FindChargerState>(FindChargerState.Idle)
    val state: StateFlow<FindChargerState> = _state.asStateFlow()
    private var work: Job? = null

    fun onQrScanned(payload: String) = find(payload)

    /** The text or URI of an NDEF record on the charger's tag. */
    fun onNfcRecord(text: String) = find(text)

    fun onIdTyped(text: String) = find(text)

    fun onStartTapped() {
        val charger = (state.value as? FindChargerState.Found)?.charger ?: return
        work?.cancel()
        _state.value = FindChargerState.Starting(charger)
        work = scope.launch {
            _state.value = try {
                FindChargerState.Started(client.startSession(charger.evseId).id)
            } catch (e: ChargeKitException) {
                FindChargerState.Failed(e.message ?: "", charger)
            }
        }
    }

    fun onDismissError() {
        _state.value = FindChargerState.Idle
    }

    private fun find(input: String) {
        work?.cancel()
        val evseId = try {
            client.evseFromQr(input)
        } catch (e: ChargeKitException) {
            _state.value = FindChargerState.Failed(e.message ?: "")
            return
        }
        _state.value = FindChargerState.Looking(evseId)
        work = scope.launch {
            _state.value = try {
                FindChargerState.Found(card(client.lookupEvse(evseId)))
            } catch (e: ChargeKitException) {
                FindChargerState.Failed(e.message ?: "")
            }
        }
    }

    private fun card(evse: Evse) = ChargerCard(
        evseId = evse.evseId,
        status = evse.status,
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
