package io.chargekit

import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class ErrorMappingTest {
    @Test
    fun `core errors arrive as the matching sealed exception with the driver's sentence`(): Unit = runBlocking {
        TestBackend.start().use { backend ->
            backend.client().use { app ->
                assertThrows<ChargeKitException.Unauthorized> { app.startSession(TestBackend.EVSE_ID) }
                app.signUp("errors@example.com", "correct horse battery")

                val badQr = assertThrows<ChargeKitException.InvalidInput> { app.evseFromQr("https://example.com/about") }
                assertEquals("This code does not carry an EVSE ID.", badQr.message)

                val unknown = assertThrows<ChargeKitException.NotFound> { app.startSession("DE*CKT*E4040*1") }
                assertTrue(unknown.message!!.contains("DE*CKT*E4040*1"), unknown.message)

                val offline = withTimeout(5_000) {
                    assertThrows<ChargeKitException.ChargerOffline> { app.startSession(TestBackend.OFFLINE_EVSE_ID) }
                }
                assertTrue(offline.message!!.contains("offline"), offline.message)
                assertTrue(app.syncHistory().isEmpty(), "no session left behind")

                val exception: ChargeKitException = offline
                val kind = when (exception) {
                    is ChargeKitException.Network -> "network"
                    is ChargeKitException.ChargerOffline -> "offline"
                    else -> "other"
                }
                assertEquals("offline", kind)
            }
            backend.client("other-phone").use { other ->
                val wrong = assertThrows<ChargeKitException.Unauthorized> { other.signIn("errors@example.com", "not the password") }
                assertEquals("Wrong email or password.", wrong.message)
                assertEquals(null, other.account)
            }
        }
    }
}
