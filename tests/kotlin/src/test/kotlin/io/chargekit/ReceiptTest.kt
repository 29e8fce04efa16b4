package io.chargekit

import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.Formats
import io.chargekit.presenter.ReceiptPresenter
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.nio.file.Files
import java.security.KeyPairGenerator
import java.time.ZoneId
import java.util.Base64
import java.util.Locale

class ReceiptTest {
    private val formats = Formats(Locale.GERMANY, ZoneId.of("Europe/Berlin"))

    @Test
    fun `a finished session's receipt is genuine, itemized, and says what the meter signed`(): Unit = runBlocking {
        // The simulator makes its meter key when it starts, and its CLI cannot be given one, so
        // no server config here can hold the key of a signing simulator: "Verified" meter data
        // is covered by the Rust tests. Here: a charger that does not sign (NotSigned), one that
        // signs with a key the operator never published (NoMeterKey), and one whose published
        // key is not its meter's (Invalid).
        TestBackend.start(
            extraChargers = listOf(
                """{"charge_point_id": "$SIGNING", "security_profile": 0, "evses": [{"connector_id": 1, "evse_id": "$SIGNING_EVSE"}]}""",
                """{"charge_point_id": "$WRONG_KEY", "security_profile": 0, "meter_public_key": "${TestPki.p256PublicKeyHex()}",
                    "evses": [{"connector_id": 1, "evse_id": "$WRONG_KEY_EVSE"}]}""",
            ),
        ).use { backend ->
            backend.startCharger()
            backend.startCharger(SIGNING, signedMeterValues = true)
            backend.startCharger(WRONG_KEY, signedMeterValues = true)
            val secrets = InMemorySecureStore()
            backend.client(secureStore = secrets).use { app ->
                app.signUp("receipts@example.com", "correct horse battery")

                val session = app.chargeOnce(TestBackend.EVSE_ID)
                val receipt = app.receipt(session.id)
                assertEquals(ReceiptSignature.Genuine, receipt.signature)
                assertEquals(ReceiptMeterData.NotSigned, receipt.meterData)
                assertEquals(session.id, receipt.sessionId)
                assertEquals(TestBackend.EVSE_ID, receipt.evseId)
                assertEquals(session.energyWh, receipt.energyWh)
                assertEquals(session.costLines, receipt.lines)
                assertEquals(session.costMinor, receipt.totalInclVatMinor)
                assertEquals(receipt.totalExclVatMinor + receipt.totalVatMinor, receipt.totalInclVatMinor)
                assertEquals("EUR", receipt.currency)
                assertTrue(receipt.chargingSeconds > 0 && receipt.periods.isNotEmpty(), "$receipt")
                assertEquals(receipt.energyWh, receipt.periods.sumOf { it.energyWh })
                assertEquals(AuthMethod.APP, session.authMethod)
                assertTrue("chargekit.receipt_keys" in secrets.keys, "the backend's receipt key is pinned in the secure store")

                // The presenter shows the verdict: verified receipt, meter values not signed.
                val shown = ReceiptPresenter(app).load(session.id)
                assertEquals(ReceiptVerdict.Verified, shown.verdict)
                assertFalse(shown.warning)
                assertEquals(MeterDataVerdict.NotSigned, shown.meterData)
                assertEquals(SessionPhase.COMPLETED, shown.phase)
                assertEquals(MoneyAmount(session.costMinor, "EUR", 2u), shown.total)
                assertEquals(receipt.periods.size, shown.periods.size)
                assertEquals(listOf("19 %", "19 %"), shown.lines.map { formats.percent(it.unitPrice.vatPercent!!).replace('\u00A0', ' ') })
                assertEquals(receipt.lines.map { it.billedQuantity }, shown.lines.map { it.quantity.value.units })

                val signed = app.receipt(app.chargeOnce(SIGNING_EVSE).id)
                assertEquals(ReceiptSignature.Genuine, signed.signature)
                assertEquals(ReceiptMeterData.NoMeterKey, signed.meterData)

                val wrongKey = app.receipt(app.chargeOnce(WRONG_KEY_EVSE).id)
                assertEquals(ReceiptSignature.Genuine, wrongKey.signature)
                val invalid = wrongKey.meterData
                assertTrue(invalid is ReceiptMeterData.Invalid && invalid.reason.isNotBlank(), "$invalid")
                val invalidShown = ReceiptPresenter(app).load(wrongKey.sessionId)
                assertEquals(ReceiptVerdict.Verified, invalidShown.verdict)
                assertTrue(invalidShown.meterData is MeterDataVerdict.Invalid && invalidShown.warning, "$invalidShown")

                // The key pinned for the backend's key id is swapped (as if the backend's key were
                // replaced): the same receipt no longer verifies, and is never shown as verified.
                val pinned = String(secrets.get("chargekit.receipt_keys"))
                val keyId = Regex("\"([^\"]+)\"\\s*:").find(pinned)!!.groupValues[1]
                val otherKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().public.encoded.takeLast(32).toByteArray()
                secrets.set("chargekit.receipt_keys", """{"$keyId":"${Base64.getEncoder().encodeToString(otherKey)}"}""".toByteArray())
                val tampered = app.receipt(session.id).signature
                assertTrue(tampered is ReceiptSignature.Tampered && tampered.reason.isNotBlank(), "$tampered")
                val warning = ReceiptPresenter(app).load(session.id)
                assertTrue(warning.verdict is ReceiptVerdict.Tampered && warning.warning, "$warning")
            }
        }
    }

    private companion object {
        const val SIGNING = "CKKT-SIGNED"
        const val SIGNING_EVSE = "DE*CKT*E0002*1"
        const val WRONG_KEY = "CKKT-WRONGKEY"
        const val WRONG_KEY_EVSE = "DE*CKT*E0003*1"
    }
}

/** A core pointed at a closed port, on a fresh data directory: for what needs no backend. */
fun offlineClient(): ChargeKitClient =
    ChargeKitClient.open("http://127.0.0.1:9", Files.createTempDirectory("chargekit-offline").toFile(), InMemorySecureStore())

/** A session at [evseId] from start to completed, with some energy metered. */
suspend fun ChargeKitClient.chargeOnce(evseId: String = TestBackend.EVSE_ID, payment: Payment = Payment.Default): SessionInfo {
    awaitOnline(evseId)
    val session = startSession(evseId, payment)
    eventually(what = "energy metered at $evseId") { session(session.id).energyWh > 0 }
    stopSession(session.id)
    eventually(what = "the session at $evseId completed") { session(session.id).state == SessionState.COMPLETED }
    return session(session.id)
}
