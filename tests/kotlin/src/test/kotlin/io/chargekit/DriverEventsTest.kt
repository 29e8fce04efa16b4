package io.chargekit

import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.last
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

/** The driver-event flow through the real core and server: typed kinds, stable ids, each once. */
class DriverEventsTest {
    @Test
    fun `the driver-event flow tells the start and the finish with the receipt's figures`(): Unit = runBlocking {
        TestBackend.start().use { backend ->
            backend.startCharger()
            backend.client().use { app ->
                app.signUp("events@example.com", "correct horse battery")
                app.awaitOnline()
                val session = app.startSession(TestBackend.EVSE_ID)
                eventually(what = "charging") { app.session(session.id).state == SessionState.CHARGING }
                val started = withTimeout(20_000) { app.driverEvents.first() }
                assertEquals("${session.id}/charging_started", started.id)
                assertEquals(DriverEventKind.ChargingStarted, started.kind)
                assertEquals(TestBackend.EVSE_ID, started.evseId)

                app.stopSession(session.id)
                val final = withTimeout(30_000) { app.liveSession(session.id).last() }
                val finished = withTimeout(20_000) { app.driverEvents.filter { it.kind is DriverEventKind.SessionFinished }.first() }
                val kind = finished.kind as DriverEventKind.SessionFinished
                assertEquals(final.energyWh, kind.energyWh)
                assertEquals(final.costMinor, kind.total.minor)
                assertTrue(kind.receiptReady)
            }
        }
    }
}
