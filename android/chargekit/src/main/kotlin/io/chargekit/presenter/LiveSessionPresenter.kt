package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.LiveSessionScreen
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** Frames a second of the live numbers: smooth to the eye, cheap across the FFI. */
private const val DISPLAY_FPS = 10

/**
 * Follows one session's live screen (the core decides it, `canStop` included: false while a
 * stop is being sent, so a double tap sends one stop) and forwards the Stop tap.
 */
class LiveSessionPresenter(private val client: ChargeKitClient, private val sessionId: String, private val scope: CoroutineScope) {
    private val _state = MutableStateFlow<LiveSessionScreen?>(null)
    /** `null` until the core's first update (which comes at once from the cache). */
    val state: StateFlow<LiveSessionScreen?> = _state.asStateFlow()
    private val _message = MutableStateFlow<String?>(null)
    /** The last command's error, for a snackbar. */
    val message: StateFlow<String?> = _message.asStateFlow()

    private val following = scope.launch {
        try {
            client.liveSessionScreen(sessionId, DISPLAY_FPS).collect { _state.value = it }
        } catch (e: ChargeKitException) {
            _message.value = e.message
        }
    }

    fun onStopTapped() {
        scope.launch {
            try {
                // The live screen shows the result, including "stop pending" when offline.
                client.stopSession(sessionId)
            } catch (e: ChargeKitException) {
                _message.value = e.message
            }
        }
    }

    fun onMessageShown() {
        _message.value = null
    }

    /** Stops following (the screen is gone); the core's subscription is released. */
    fun close() = following.cancel()
}
