package io.chargekit.presenter

import io.chargekit.HistoryScreen
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import java.time.ZoneId

data class HistoryState(
    /** The core's months (in the device's zone) and, for a banner, why they may be stale or missing. */
    val screen: HistoryScreen = HistoryScreen(months = emptyList(), message = null),
    val refreshing: Boolean = false,
)

/**
 * The history screen: the phone's cache at once, then brought up to date with the backend.
 * The core never throws here: a storage or network problem is the screen's `message`.
 */
class HistoryPresenter(
    private val client: ChargeKitClient,
    private val scope: CoroutineScope,
    /** The device's IANA zone: months across daylight-saving changes come out right. */
    private val zoneId: String = ZoneId.systemDefault().id,
    private val limit: Int = 500,
) {
    private val _state = MutableStateFlow(HistoryState())
    val state: StateFlow<HistoryState> = _state.asStateFlow()

    fun refresh() {
        scope.launch {
            _state.value = HistoryState(client.historyScreen(limit, zoneId), refreshing = true)
            _state.value = HistoryState(client.refreshHistoryScreen(limit, zoneId), refreshing = false)
        }
    }
}
