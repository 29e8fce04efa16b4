package io.chargekit.client

import io.chargekit.CardsFlowInterface
import io.chargekit.CardsListener
import io.chargekit.CardsScreen
import io.chargekit.FindChargerFlowInterface
import io.chargekit.FindChargerListener
import io.chargekit.FindChargerScreen
import io.chargekit.TaskHandle
import io.chargekit.WalletFlowInterface
import io.chargekit.WalletListener
import io.chargekit.WalletState
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow

/** The find-charger screen's states: the current one at once, then every change. */
fun FindChargerFlowInterface.states(): Flow<FindChargerScreen> = observed { send ->
    observe(object : FindChargerListener {
        override fun onUpdate(screen: FindChargerScreen) = send(screen)
    })
}

fun CardsFlowInterface.states(): Flow<CardsScreen> = observed { send ->
    observe(object : CardsListener {
        override fun onUpdate(screen: CardsScreen) = send(screen)
    })
}

fun WalletFlowInterface.states(): Flow<WalletState> = observed { send ->
    observe(object : WalletListener {
        override fun onUpdate(state: WalletState) = send(state)
    })
}

/**
 * A core subscription as a [Flow]: collecting subscribes, cancelling the collector cancels the
 * core's handle. Every value is a whole state, so a slow collector gets only the newest.
 */
internal fun <T> observed(subscribe: (send: (T) -> Unit) -> TaskHandle): Flow<T> = callbackFlow {
    val handle = subscribe { trySend(it) }
    awaitClose {
        handle.cancel()
        handle.close()
    }
}.buffer(Channel.CONFLATED)
