package io.chargekit

import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.last
import kotlinx.coroutines.flow.take
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class JourneyTest {
    @Test
    fun `QR to start to live kWh and cost to stop to history, through the Kotlin API`(): Unit = runBlocking {
        TestBackend.start().use { backend ->
            backend.startCharger()
            val secrets = InMemorySecureStore()
            backend.client(secureStore = secrets).use { app ->
                val account = app.signUp("kotlin@example.com", "correct horse battery")
                assertEquals("kotlin@example.com", account.email)
                assertEquals(setOf("chargekit.auth_token", "chargekit.cache_key"), secrets.keys, "the token and the cache key went to the secure store")

                val evseId = app.evseFromQr("https://qr.example/start?evse=DE%2ACKT%2AE0001%2A1")
                assertEquals(TestBackend.EVSE_ID, evseId)
                app.awaitOnline(evseId)
                val session = app.startSession(evseId)
                assertEquals(SessionState.STARTING, session.state)

                val charging = withTimeout(30_000) {
                    app.liveSession(session.id).filter { it.state == SessionState.CHARGING }.take(3).toList()
                }
                charging.zipWithNext().forEach { (a, b) ->
                    assertTrue(b.energyWh >= a.energyWh && b.costMinor >= a.costMinor, "never goes back: $a -> $b")
                }
                assertTrue(charging.last().energyWh > charging.first().energyWh, "kWh increases")
                assertTrue(charging.last().costMinor > charging.first().costMinor, "cost increases")

                app.stopSession(session.id)
                val final = withTimeout(30_000) { app.liveSession(session.id).last() }
                assertEquals(SessionState.COMPLETED, final.state)
                assertTrue(final.isFinal)

                val history = app.syncHistory()
                assertEquals(listOf(session.id), history.map { it.id })
                assertEquals(final.costMinor, history.single().costMinor)
                assertTrue(history.single().energyWh > 0)
                assertEquals(history.single().costMinor, history.single().costLines.sumOf { it.exclVatMinor + it.vatMinor })
                assertEquals(history, app.history(), "the cache serves the same history")
            }
        }
    }
}
