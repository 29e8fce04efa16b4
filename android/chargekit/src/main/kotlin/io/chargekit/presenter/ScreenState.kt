package io.chargekit.presenter

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/**
 * A core screen's state as a [StateFlow], and its intents. The state is read from the core
 * ([current]) whenever it [changes] and after every intent, in a compare-and-set loop, so a late
 * notification never writes an older state over a newer one: once an intent's [Job] is done,
 * [state] shows its outcome.
 */
internal class ScreenState<T>(private val scope: CoroutineScope, changes: Flow<T>, private val current: () -> T) {
    private val _state = MutableStateFlow(current())
    val state: StateFlow<T> = _state.asStateFlow()

    init {
        scope.launch { changes.collect { sync() } }
    }

    /**
     * Hands an intent to the core: its first step (e.g. "looking") is taken at once on the
     * caller's thread, so taps take effect in the order they were made, and [state] shows it
     * when this returns.
     */
    fun intent(call: suspend () -> Unit): Job {
        val job = scope.launch(start = CoroutineStart.UNDISPATCHED) {
            call()
            sync()
        }
        // The intent has taken its first step by now (the launch ran it up to its first wait).
        sync()
        return job
    }

    /** An intent the core takes at once (no request). */
    fun now(call: () -> Unit) {
        call()
        sync()
    }

    private fun sync() = _state.update { current() }
}
