package io.chargekit

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.util.concurrent.atomic.AtomicInteger

class CancellationTest {
    @Test
    fun `cancelling the collecting coroutine releases the core listener`(): Unit = runBlocking {
        TestBackend.start().use { backend ->
            backend.startCharger()
            backend.client().use { app ->
                app.signUp("cancel@example.com", "correct horse battery")
                app.awaitOnline()
                val session = app.startSession(TestBackend.EVSE_ID)
                val received = AtomicInteger()
                val collector = launch(Dispatchers.Default) { app.liveSession(session.id).collect { received.incrementAndGet() } }
                eventually(what = "first update and one core subscription") { received.get() > 0 && app.activeObservers == 1 }

                collector.cancelAndJoin()
                eventually(what = "the core subscription released") { app.activeObservers == 0 }
                val afterCancel = received.get()

                // The session goes on, but nothing reaches the cancelled collector.
                eventually(what = "the session still charges") { app.session(session.id).energyWh > 0 }
                assertEquals(afterCancel, received.get())
                app.stopSession(session.id)
            }
        }
    }
}
