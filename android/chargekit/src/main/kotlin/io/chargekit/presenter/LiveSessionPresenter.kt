package io.chargekit.presenter

import io.chargekit.AuthMethod
import io.chargekit.ChargeKitException
import io.chargekit.SessionInfo
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the live session screen shows; every number is already formatted. */
data class LiveSessionState(
    val sessionId: String,
    val evseId: String,
    val phase: Phase,
    val energy: String,
    val power: String,
    val cost: String,
    val elapsed: String,
    val canStop: Boolean,
    /** The session is over: show the receipt. */
    val finished: Boolean,
    val failureReason: String? = null,
    /** How the driver was identified: the app, a card tapped at the charger, or the car (Plug & Charge). */
    val authMethod: AuthMethod = AuthMethod.APP,
    /** The last command's error, for a snackbar. */
    val message: String? = null,
)

/** Frames a second of the live numbers: smooth to the eye, cheap across the FFI. */
private const val DISPLAY_FPS = 10

/** Follows one session live and stops it on the driver's tap. */
class LiveSessionPresenter(
    private val client: ChargeKitClient,
    private val sessionId: String,
    private val scope: CoroutineScope,
    private val formats: Formats = Formats(),
) {
    private val _state = MutableStateFlow<LiveSessionState?>(null)
    /** `null` until the core's first update (which comes at once from the cache). */
    val state: StateFlow<LiveSessionState?> = _state.asStateFlow()

    private val following = scope.launch {
        try {
            client.liveSession(sessionId, DISPLAY_FPS).collect { session -> _state.update { render(session, it?.message) } }
        } catch (e: ChargeKitException) {
            _state.update { it?.copy(message = e.message) }
        }
    }

    fun onStopTapped() {
        scope.launch {
            try {
                // The live flow shows the result, including "stop pending" when offline.
                client.stopSession(sessionId)
            } catch (e: ChargeKitException) {
                _state.update { it?.copy(message = e.message) }
            }
        }
    }

    fun onMessageShown() = _state.update { it?.copy(message = null) }

    /** Stops following (the screen is gone); the core's subscription is released. */
    fun close() = following.cancel()

    private fun render(s: SessionInfo, message: String?): LiveSessionState {
        val phase = s.phase()
        return LiveSessionState(
            sessionId = s.id,
            evseId = s.evseId,
            phase = phase,
            energy = formats.energy(s.energyWh),
            power = formats.power(s.powerW),
            cost = formats.money(s.costMinor, s.currency, s.currencyDigits.toInt()),
            elapsed = formats.duration(s.durationSeconds),
            canStop = phase == Phase.CHARGING || phase == Phase.STARTING,
            finished = s.isFinal,
            failureReason = s.failureReason,
            authMethod = s.authMethod,
            message = message,
        )
    }
}
