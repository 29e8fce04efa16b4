package io.chargekit

import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.FindChargerPresenter
import io.chargekit.presenter.Formats
import io.chargekit.presenter.HistoryPresenter
import io.chargekit.presenter.LiveSessionPresenter
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

                val find = FindChargerPresenter(app, scope)
                assertEquals(FindChargerStep.Idle, find.state.value.step)
                find.onQrScanned("not a charger")
                // An unreadable code fails at once, with the core's sentence.
                val failed = find.state.value.step
                assertTrue(failed is FindChargerStep.Failed && failed.message.contains("EVSE ID"), "$failed")

                find.onIdTyped("deckte0001*1")
                assertEquals(FindChargerStep.Looking(TestBackend.EVSE_ID), find.state.value.step)
                val found = withTimeout(10_000) { find.state.first { it.step is FindChargerStep.Found } }.step as FindChargerStep.Found
                assertEquals(TestBackend.EVSE_ID, found.charger.evseId)
                assertEquals(ConnectorAvailability.AVAILABLE, found.charger.availability)
                assertTrue(found.charger.canStart)
                assertEquals(listOf("0,39 €", "1,20 €"), found.charger.prices.map { nbsp(formats.price(it)) })
                assertEquals(listOf(PriceUnit.PER_KILOWATT_HOUR, PriceUnit.PER_HOUR), found.charger.prices.map { it.per })

                find.onStartTapped()
                find.onStartTapped()
                val started = withTimeout(10_000) { find.state.first { it.step is FindChargerStep.Started } }.step as FindChargerStep.Started

                val live = LiveSessionPresenter(app, started.sessionId, scope)
                val charging = withTimeout(20_000) {
                    live.state.filterNotNull().first { it.phase == SessionPhase.CHARGING && it.energy.value.units > 0 }
                }
                assertTrue(charging.canStop && !charging.finished)
                assertEquals(3u, charging.energy.value.scale)
                assertTrue(formats.quantity(charging.power).endsWith(" kW") && formats.money(charging.cost).endsWith("€"), "$charging")

                // A double tap: the core sends one stop and offers no Stop while it is on its way.
                live.onStopTapped()
                live.onStopTapped()
                val done = withTimeout(20_000) { live.state.filterNotNull().first { it.finished } }
                assertEquals(SessionPhase.COMPLETED, done.phase)
                assertTrue(!done.canStop)
                assertEquals(null, live.message.value)
                live.close()

                val receipt = ReceiptPresenter(app).load(started.sessionId)
                assertEquals(done.cost, receipt.total)
                assertEquals(done.energy, receipt.energy)
                assertEquals(2, receipt.lines.size)
                assertEquals(ReceiptVerdict.Verified, receipt.verdict)

                val history = HistoryPresenter(app, scope, zoneId = formats.zone.id)
                history.refresh()
                val loaded = withTimeout(10_000) { history.state.first { !it.refreshing && it.screen.months.isNotEmpty() } }
                val today = LocalDate.now(formats.zone)
                val month = loaded.screen.months.single()
                assertEquals(today.year to today.monthValue, month.year to month.month.toInt())
                assertEquals(listOf(done.cost), month.spent)
                assertEquals(started.sessionId, month.sessions.single().sessionId)
                assertEquals(null, loaded.screen.message)
            }
        }
        scope.cancel()
    }

    /**
     * The history presenter never throws: a problem reading the history (here a zone the tz
     * database does not know) is the screen's message, shown in a banner. The screen is tested
     * through a fake client (the interface) delegating to a core with no backend.
     */
    @Test
    fun `a history that cannot be read is a message, not a crash`(): Unit = runBlocking {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        offlineClient().use { core ->
            var refreshes = 0
            val fake = object : ChargeKitClient by core {
                override suspend fun refreshHistoryScreen(limit: Int, zoneId: String): HistoryScreen {
                    refreshes++
                    return core.refreshHistoryScreen(limit, zoneId)
                }
            }
            val history = HistoryPresenter(fake, scope, zoneId = "Mars/Olympus")
            history.refresh()
            val shown = withTimeout(10_000) { history.state.first { !it.refreshing && it.screen.message != null } }
            assertTrue(shown.screen.months.isEmpty())
            assertTrue(shown.screen.message!!.contains("Mars/Olympus"), shown.screen.message)
            assertEquals(1, refreshes)
        }
        scope.cancel()
    }

    @Test
    fun `formats the core's figures in the user's locale, with the core's precision`() {
        assertEquals("4,81 €", nbsp(formats.money(MoneyAmount(481, "EUR", 2u))))
        assertEquals("€4.81", Formats(Locale.US).money(481, "EUR", 2))
        assertEquals("-€0.05", Formats(Locale.US).money(-5, "EUR", 2))
        assertEquals("¥500", Formats(Locale.US).money(500, "JPY", 0))
        assertEquals("12,345 kWh", formats.quantity(Quantity(Fixed(12_345, 3u), QuantityUnit.KILOWATT_HOURS)))
        assertEquals("50,0 kW", formats.quantity(Quantity(Fixed(500, 1u), QuantityUnit.KILOWATTS)))
        assertEquals("1:02:05", formats.duration(3_725))
        assertEquals("0:01:05", formats.duration(65))
        assertEquals("2", formats.quantity(Quantity(Fixed(2, 0u), QuantityUnit.COUNT)))
        assertEquals("März 2026", formats.month(2026, 3))
        assertEquals("0,345 €", nbsp(formats.price(UnitPrice(Fixed(345, 3u), "EUR", PriceUnit.PER_KILOWATT_HOUR, null))))
        assertEquals("19 %", nbsp(formats.percent(Fixed(19, 0u))))
        assertEquals("7.7%", Formats(Locale.US).percent(Fixed(77, 1u)))
    }

    private fun nbsp(s: String) = s.replace('\u00A0', ' ')
}
