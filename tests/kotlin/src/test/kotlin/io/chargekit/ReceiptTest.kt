package io.chargekit

import io.chargekit.client.ChargeKitClient
import io.chargekit.presenter.Formats
import io.chargekit.presenter.MeterDataState
import io.chargekit.presenter.Phase
import io.chargekit.presenter.ReceiptPresenter
import io.chargekit.presenter.ReceiptVerdict
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
                val shown = ReceiptPresenter(app, formats).load(session.id)
                assertEquals(ReceiptVerdict.Verified, shown.verdict)
                assertEquals(MeterDataState.NotSigned, shown.meterData)
                assertEquals(Phase.COMPLETED, shown.phase)
                assertEquals(formats.money(session.costMinor, "EUR", 2), shown.total)
                assertEquals(receipt.periods.size, shown.periods.size)
                assertEquals(listOf("19 %", "19 %"), shown.lines.map { it.vatRate?.replace('\u00A0', ' ') })

                val signed = app.receipt(app.chargeOnce(SIGNING_EVSE).id)
                assertEquals(ReceiptSignature.Genuine, signed.signature)
                assertEquals(ReceiptMeterData.NoMeterKey, signed.meterData)

                val wrongKey = app.receipt(app.chargeOnce(WRONG_KEY_EVSE).id)
                assertEquals(ReceiptSignature.Genuine, wrongKey.signature)
                val invalid = wrongKey.meterData
                assertTrue(invalid is ReceiptMeterData.Invalid && invalid.reason.isNotBlank(), "$invalid")
                val invalidShown = ReceiptPresenter(app, formats).render(wrongKey)
                assertEquals(ReceiptVerdict.Verified, invalidShown.verdict)
                assertTrue(invalidShown.meterData!!.isWarning)

                // The key pinned for the backend's key id is swapped (as if the backend's key were
                // replaced): the same receipt no longer verifies, and is never shown as verified.
                val pinned = String(secrets.get("chargekit.receipt_keys"))
                val keyId = Regex("\"([^\"]+)\"\\s*:").find(pinned)!!.groupValues[1]
                val otherKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().public.encoded.takeLast(32).toByteArray()
                secrets.set("chargekit.receipt_keys", """{"$keyId":"${Base64.getEncoder().encodeToString(otherKey)}"}""".toByteArray())
                val tampered = app.receipt(session.id).signature
                assertTrue(tampered is ReceiptSignature.Tampered && tampered.reason.isNotBlank(), "$tampered")
                val warning = ReceiptPresenter(app, formats).load(session.id).verdict
                assertTrue(warning is ReceiptVerdict.Tampered && warning.isWarning, "$warning")
            }
        }
    }

    @Test
    fun `the receipt presenter maps each verdict and meter state`() = offlineClient().use { app ->
        val presenter = ReceiptPresenter(app, formats)
        fun shown(signature: ReceiptSignature, meterData: ReceiptMeterData) = presenter.render(receipt(signature, meterData))

        val genuine = shown(ReceiptSignature.Genuine, ReceiptMeterData.Verified("MTR-1", 12_345))
        assertEquals(ReceiptVerdict.Verified, genuine.verdict)
        assertFalse(genuine.verdict.isWarning)
        assertEquals(MeterDataState.Verified("MTR-1", "12,345 kWh"), genuine.meterData)
        assertFalse(genuine.meterData!!.isWarning)

        val tampered = shown(ReceiptSignature.Tampered("the receipt was changed after it was signed"), ReceiptMeterData.NotSigned)
        assertEquals(ReceiptVerdict.Tampered("the receipt was changed after it was signed"), tampered.verdict)
        assertTrue(tampered.verdict.isWarning)
        assertEquals(MeterDataState.NotSigned, tampered.meterData)

        val unknown = shown(ReceiptSignature.UnknownKey("0123abcd"), ReceiptMeterData.NoMeterKey)
        assertEquals(ReceiptVerdict.UnknownKey("0123abcd"), unknown.verdict)
        assertTrue(unknown.verdict.isWarning)
        assertEquals(MeterDataState.NoMeterKey, unknown.meterData)

        val invalid = shown(ReceiptSignature.Genuine, ReceiptMeterData.Invalid("the meter signed 1000 Wh, the receipt bills 1200 Wh"))
        assertEquals(MeterDataState.Invalid("the meter signed 1000 Wh, the receipt bills 1200 Wh"), invalid.meterData)
        assertTrue(invalid.meterData!!.isWarning)

        val unsupported = shown(ReceiptSignature.Genuine, ReceiptMeterData.Unsupported("ECDSA secp256k1"))
        assertEquals(MeterDataState.Unsupported("ECDSA secp256k1"), unsupported.meterData)
        assertFalse(unsupported.meterData!!.isWarning)

        // Lines, totals and periods come formatted from the receipt's own figures.
        assertEquals("4,81 €", genuine.total.replace('\u00A0', ' '))
        assertEquals("4,04 €", genuine.net.replace('\u00A0', ' '))
        assertEquals(listOf("12,345 kWh", "30:00"), genuine.lines.map { it.quantity })
        assertEquals("30:00", genuine.chargingTime)
        assertEquals("5:00", genuine.parkingTime)
        assertEquals(listOf(true, false), genuine.periods.map { it.charging })
        assertEquals("0:00", genuine.periods.first().start)
        assertNull(genuine.failureReason)
    }

    private fun receipt(signature: ReceiptSignature, meterData: ReceiptMeterData) = ReceiptInfo(
        sessionId = "s-1",
        evseId = "DE*CKT*E0001*1",
        issuedAt = 1_772_000_000,
        startedAt = 1_771_998_000,
        endedAt = 1_771_999_800 + 300,
        energyWh = 12_345,
        chargingSeconds = 1_800,
        parkingSeconds = 300,
        currency = "EUR",
        currencyDigits = 2u,
        lines = listOf(
            CostLine(CostKind.ENERGY, 12_345, "0.29", "19", 358, 68),
            CostLine(CostKind.TIME, 1_800, "0.92", "19", 46, 9),
        ),
        totalExclVatMinor = 404,
        totalVatMinor = 77,
        totalInclVatMinor = 481,
        periods = listOf(ReceiptPeriod(0, 1_800, 12_345, true), ReceiptPeriod(1_800, 300, 0, false)),
        tariffId = "default",
        signature = signature,
        meterData = meterData,
    )

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
