package io.chargekit

import io.chargekit.presenter.FindChargerPresenter
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** A charger's NFC tag, read by the core from the bytes the platform hands over. */
class NfcTest {
    @Test
    fun `the core reads the EVSE ID from an NDEF message or record`() = offlineClient().use { app ->
        assertEquals(TestBackend.EVSE_ID, app.evseFromNdef(uriMessage("https://qr.example/c?evse=DE*CKT*E0001*1")))
        assertEquals(TestBackend.EVSE_ID, app.evseFromNdef(textMessage("DE*CKT*E0001*1")))
        assertEquals(TestBackend.EVSE_ID, app.evseFromNdefRecord(0x01, "U".toByteArray(), byteArrayOf(0) + "DE*CKT*E0001*1".toByteArray()))
        val empty = assertThrows<ChargeKitException.InvalidInput> { app.evseFromNdef(ByteArray(0)) }
        assertEquals("The NFC tag is empty.", empty.message)
    }

    @Test
    fun `a tapped charger tag goes through the find-a-charger presenter`(): Unit = runBlocking {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        TestBackend.start().use { backend ->
            backend.startCharger()
            backend.client().use { app ->
                app.signUp("nfc@example.com", "correct horse battery")
                app.awaitOnline()
                val find = FindChargerPresenter(app, scope)
                find.onNdefMessage(uriMessage("https://qr.example/c?evse=DE%2ACKT%2AE0001%2A1"))
                val found = withTimeout(10_000) { find.state.first { it.step is FindChargerStep.Found } }.step as FindChargerStep.Found
                assertEquals(TestBackend.EVSE_ID, found.charger.evseId)

                find.onNdefMessage(ByteArray(0))
                assertEquals(FindChargerStep.Failed("The NFC tag is empty.", null), find.state.value.step)
            }
        }
        scope.cancel()
    }

    private companion object {
        /** One short, well-known URI record with no abbreviation (NFC Forum URI RTD). */
        fun uriMessage(uri: String) = record('U', byteArrayOf(0) + uri.toByteArray())

        /** One short, well-known text record, UTF-8, language "en" (NFC Forum Text RTD). */
        fun textMessage(text: String) = record('T', byteArrayOf(2) + "en".toByteArray() + text.toByteArray())

        fun record(type: Char, payload: ByteArray) =
            byteArrayOf(0xD1.toByte(), 0x01, payload.size.toByte(), type.code.toByte()) + payload
    }
}
