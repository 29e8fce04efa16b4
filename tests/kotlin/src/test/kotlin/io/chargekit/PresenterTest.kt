package io.chargekit

import io.chargekit.presenter.FindChargerPresenter
import io.chargekit.presenter.FindChargerState
import io.chargekit.presenter.Formats
import io.chargekit.presenter.HistoryPresenter
import io.chargekit.presenter.LiveSessionPresenter
import io.chargekit.presenter.Phase
import io.chargekit.presenter.ReceiptPresenter
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.time.LocalDate
import java.time.ZoneId
import java.util.Locale

class PresenterTest {
    private val formats = Formats(Locale.GERMANY, ZoneId.of("Europe/Berlin"))

    @Test
    fun `find a charger, charge, stop, see the receipt and the history`(): Unit = runBlocking {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        TestBackend.start().use { backend ->
            backend.startCharger()
            backend.client().use { app ->
                app.signUp("presenter@example.com", "correct horse battery")
                app.awaitOnline()

                val find = FindChargerPresenter(app, scope, formats)
                assertEquals(FindChargerState.Idle, find.state.value)
                find.onQrScanned("not a charger")
                val failed = find.state.value
                assertTrue(failed is FindChargerState.Failed && failed.message.contains("EVSE ID"), "$failed")

                find.onIdTyped("deckte0001*1")
                val found = withTimeout(10_000) { find.state.first { it is FindChargerState.Found } } as FindChargerState.Found
                assertEquals(TestBackend.EVSE_ID, found.charger.evseId)
                assertTrue(found.charger.online && found.charger.canStart)
                assertEquals(listOf("0,39 € / kWh", "1,20 € / h"), found.charger.prices.map { it.replace('\u00A0', ' ') })

                find.onStartTapped()
                val started = withTimeout(10_000) { find.state.first { it is FindChargerState.Started } } as FindChargerState.Started

                val live = LiveSessionPresenter(app, started.sessionId, scope, formats)
                val charging = withTimeout(20_000) {
                    live.state.filterNotNull().first { it.phase == Phase.CHARGING && it.energy != "0,000 kWh" }
                }
                assertTrue(charging.canStop && !charging.finished)
                assertTrue(charging.power.endsWith(" kW") && charging.cost.endsWith("€"), "$charging")

                live.onStopTapped()
                val done = withTimeout(20_000) { live.state.filterNotNull().first { it.finished } }
                assertEquals(Phase.COMPLETED, done.phase)
                assertTrue(!done.canStop)
                live.close()

                val receipt = ReceiptPresenter(app, formats).load(started.sessionId)
                assertEquals(done.cost, receipt.total)
                assertEquals(done.energy, receipt.energy)
                assertEquals(2, receipt.lines.size)

                val history = HistoryPresenter(app, scope, formats)
                history.refresh()
                val loaded = withTimeout(10_000) { history.state.first { !it.refreshing && it.months.isNotEmpty() } }
                val today = LocalDate.now(formats.zone)
                assertEquals(formats.month(today.year, today.monthValue), loaded.months.single().title)
                assertEquals(listOf(done.cost), loaded.months.single().spent)
                assertEquals(started.sessionId, loaded.months.single().sessions.single().sessionId)
                assertEquals(null, loaded.message)
            }
        }
        scope.cancel()
    }

    @Test
    fun `formats money exactly, in the user's locale`() {
        val nbsp = { s: String -> s.replace('\u00A0', ' ') }
        assertEquals("4,81 €", nbsp(formats.money(481, "EUR", 2)))
        assertEquals("€4.81", Formats(Locale.US).money(481, "EUR", 2))
        assertEquals("-€0.05", Formats(Locale.US).money(-5, "EUR", 2))
        assertEquals("¥500", Formats(Locale.US).money(500, "JPY", 0))
        assertEquals("12,345 kWh", formats.energy(12_345))
        assertEquals("50,0 kW", formats.power(49_960)) // rounded half-even, like every NumberFormat
        assertEquals("49,9 kW", formats.power(49_940))
        assertEquals("1:02:05", formats.duration(3_725))
        assertEquals("1:05", formats.duration(65))
        assertEquals("März 2026", formats.month(2026, 3))
        assertEquals("0,345 €", nbsp(formats.price("0.345", "EUR")))
    }
}
