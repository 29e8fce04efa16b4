package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.HistoryMonth
import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

data class HistoryState(
    val months: List<MonthSection> = emptyList(),
    val refreshing: Boolean = false,
    /** Why the list may be stale (e.g. no network), for a banner. */
    val message: String? = null,
)

data class MonthSection(
    val title: String,
    val energy: String,
    /** One entry per currency, e.g. ["€42.10", "CHF 3.20"]. */
    val spent: List<String>,
    val sessions: List<HistoryRow>,
)

data class HistoryRow(val sessionId: String, val evseId: String, val date: String, val energy: String, val cost: String, val phase: Phase)

/** The history screen: the phone's cache at once, then brought up to date with the backend. */
class HistoryPresenter(
    private val client: ChargeKitClient,
    private val scope: CoroutineScope,
    private val formats: Formats = Formats(),
) {
    private val _state = MutableStateFlow(HistoryState())
    val state: StateFlow<HistoryState> = _state.asStateFlow()

    fun refresh() {
        scope.launch {
            _state.update { it.copy(months = sections(), refreshing = true) }
            val problem = try {
                client.syncHistory()
                null
            } catch (e: ChargeKitException) {
                e.message
            }
            _state.value = HistoryState(months = sections(), refreshing = false, message = problem)
        }
    }

    private suspend fun sections(): List<MonthSection> = client.historyByMonth(zone = formats.zone).map(::section)

    private fun section(month: HistoryMonth) = MonthSection(
        title = formats.month(month.year, month.month.toInt()),
        energy = formats.energy(month.energyWh),
        spent = month.spent.map { formats.money(it.amountMinor, it.currency, it.currencyDigits.toInt()) },
        sessions = month.sessions.map { s ->
            HistoryRow(
                sessionId = s.id,
                evseId = s.evseId,
                date = formats.dateTime(s.startedAt ?: s.createdAt),
                energy = formats.energy(s.energyWh),
                cost = formats.money(s.costMinor, s.currency, s.currencyDigits.toInt()),
                phase = s.phase(),
            )
        },
    )
}
