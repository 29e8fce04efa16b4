package io.chargekit

import io.chargekit.presenter.CardsPresenter
import io.chargekit.presenter.Formats
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.Duration
import java.time.ZoneId
import java.util.Locale

class CardsTest {
    private val formats = Formats(Locale.US, ZoneId.of("UTC"))

    @Test
    fun `cards from NFC bytes and from printed text, listed, blocked, unblocked and removed`(): Unit = runBlocking {
        TestBackend.start().use { backend ->
            backend.client().use { app ->
                app.signUp("cards@example.com", "correct horse battery")

                // The core reads the UID; the shell does not decode it.
                assertEquals("04A22B1A", app.cardIdTag(byteArrayOf(0x04, 0xA2.toByte(), 0x2B, 0x1A)))
                assertEquals("04A22B1A", app.cardIdTag("04:a2:2b:1a"))
                val short = assertThrows<ChargeKitException.InvalidInput> { app.cardIdTag(byteArrayOf(1, 2)) }
                assertTrue(short.message!!.contains("4, 7, 8 or 10 bytes"), short.message)

                val tapped = app.registerCard(byteArrayOf(0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66), "Work card")
                assertEquals("04112233445566", tapped.idTag)
                assertEquals(TokenKind.RFID, tapped.kind)
                assertEquals("Work card", tapped.label)
                assertFalse(tapped.blocked)
                val typed = app.registerCard("de-ad-be-ef")
                assertEquals("DEADBEEF", typed.idTag)

                val cards = app.tokens().filter { it.kind == TokenKind.RFID }
                assertEquals(setOf("04112233445566", "DEADBEEF"), cards.map { it.idTag }.toSet())
                assertTrue(app.tokens().any { it.kind == TokenKind.APP }, "the app's own token is listed too")

                assertTrue(app.setTokenBlocked("DEADBEEF", true).blocked)
                assertTrue(app.tokens().single { it.idTag == "DEADBEEF" }.blocked)
                assertFalse(app.setTokenBlocked("DEADBEEF", false).blocked)

                app.removeToken("DEADBEEF")
                assertEquals(listOf("04112233445566"), app.tokens().filter { it.kind == TokenKind.RFID }.map { it.idTag })
                assertThrows<ChargeKitException.NotFound> { app.removeToken("DEADBEEF") }
                val unreadable = assertThrows<ChargeKitException.InvalidInput> { app.registerCard("not a uid") }
                assertTrue(unreadable.message!!.isNotBlank())
            }
        }
    }

    @Test
    fun `a contract is checked against the MO root before it is registered`(): Unit = runBlocking {
        val pki = TestPki()
        val subCa = pki.subCa()
        val contract = TestPki.pem(subCa.issueContract("DE-8AA-001234567-0")) + subCa.pem
        TestBackend.start().use { backend ->
            backend.client().use { app ->
                app.signUp("contracts@example.com", "correct horse battery")

                // Another MO's root: refused, with a sentence for the driver, and nothing registered.
                val otherRoot = TestPki("Another MO Root").root
                val untrusted = assertThrows<ChargeKitException.InvalidInput> {
                    app.registerContract(contract.toByteArray(), otherRoot.der)
                }
                assertEquals("This contract was not issued under your mobility operator's root certificate.", untrusted.message)
                // A root with the right name but another key: the chain's signature does not hold.
                val impostor = TestPki(pki.root.name).root
                val forged = assertThrows<ChargeKitException.InvalidInput> {
                    app.registerContract(contract.toByteArray(), impostor.pem.toByteArray())
                }
                assertTrue(forged.message!!.contains("signature"), forged.message)
                // Not a certificate at all.
                val garbage = assertThrows<ChargeKitException.InvalidInput> {
                    app.registerContract("not a certificate".toByteArray(), pki.root.der)
                }
                assertEquals("This file is not a contract certificate (a PEM or DER X.509 certificate).", garbage.message)
                assertTrue(app.tokens().none { it.kind == TokenKind.CONTRACT })

                // The right root: checked, registered, listed with its end of validity.
                val checked = app.readContract(contract.toByteArray(), pki.root.pem.toByteArray())
                val registered = app.registerContract(contract.toByteArray(), pki.root.pem.toByteArray(), "My car")
                assertEquals(checked, registered)
                assertTrue(registered.emaid.startsWith("DE8AA001234567"), registered.emaid)
                assertEquals("ChargeKit Test MO Sub-CA", registered.issuer)
                val listed = app.tokens().single { it.kind == TokenKind.CONTRACT }
                assertEquals(registered.emaid, listed.idTag)
                assertEquals(registered.notAfterEpochSeconds, listed.expiresAt)
                assertEquals("My car", listed.label)

                // Expired: refused by the core.
                val expired = pki.subCa().let { TestPki.pem(it.issueContract("DE8AA00123456B", Duration.ofSeconds(-60))) + it.pem }
                val old = assertThrows<ChargeKitException.InvalidInput> { app.registerContract(expired.toByteArray(), pki.root.der) }
                assertTrue(old.message!!.contains("expired"), old.message)
            }
        }
    }

    @Test
    fun `the cards presenter adds a tapped and a typed card, blocks, removes, and says why a contract is refused`(): Unit = runBlocking {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val pki = TestPki()
        val subCa = pki.subCa()
        TestBackend.start().use { backend ->
            backend.client().use { app ->
                app.signUp("cards-presenter@example.com", "correct horse battery")
                val cards = CardsPresenter(app, scope)
                assertEquals(ListStatus.Loading, cards.state.value.status)
                cards.refresh().join()
                val empty = cards.state.value
                assertEquals(ListStatus.Loaded, empty.status)
                assertTrue(empty.cards.isEmpty() && empty.contracts.isEmpty(), "the app's own token is not listed: $empty")

                // A tap shows the card's idTag (read by the core) for the driver to confirm.
                cards.onCardTapped(byteArrayOf(0x04, 0x01, 0x02, 0x03))
                assertEquals("04010203", cards.state.value.pendingCard?.idTag)
                cards.onAddTappedCard("  Spare  ").join()
                val added = cards.state.value
                assertEquals(CardsNotice.CardAdded("04010203"), added.notice)
                assertNull(added.pendingCard)
                assertEquals("Spare", added.cards.single().label)
                assertNull(added.cards.single().validUntil, "a card has no validity")
                assertFalse(added.busy)

                // A tag with a UID of an impossible length: the core's sentence, nothing added.
                cards.onCardTapped(byteArrayOf(1, 2, 3))
                val refused = cards.state.value.notice
                assertTrue(refused is CardsNotice.Failed && refused.message.contains("4, 7, 8 or 10 bytes"), "$refused")

                cards.onCardTyped("0A 0B 0C 0D").join()
                assertEquals(listOf("04010203", "0A0B0C0D"), cards.state.value.cards.map { it.idTag }.sorted())

                cards.onBlockedChanged("0A0B0C0D", true).join()
                val blocked = cards.state.value
                assertEquals(CardsNotice.Blocked("0A0B0C0D"), blocked.notice)
                assertTrue(blocked.cards.single { it.idTag == "0A0B0C0D" }.blocked)

                cards.onRemove("0A0B0C0D").join()
                assertEquals(CardsNotice.Removed("0A0B0C0D"), cards.state.value.notice)
                assertEquals(listOf("04010203"), cards.state.value.cards.map { it.idTag })

                val contract = TestPki.pem(subCa.issueContract("DE8AA001234567")) + subCa.pem
                cards.onContractChosen(contract.toByteArray(), TestPki("Another MO Root").root.der).join()
                assertEquals(
                    CardsNotice.Failed("This contract was not issued under your mobility operator's root certificate."),
                    cards.state.value.notice,
                )
                assertTrue(cards.state.value.contracts.isEmpty())

                cards.onContractChosen(contract.toByteArray(), pki.root.der, "Car").join()
                val withContract = cards.state.value
                val notice = withContract.notice as CardsNotice.ContractAdded
                assertEquals("ChargeKit Test MO Sub-CA", notice.issuer)
                val row = withContract.contracts.single()
                assertEquals(notice.emaid, row.idTag)
                assertEquals("Car", row.label)
                assertEquals(notice.validUntil, row.validUntil)
                assertEquals(app.tokens().single { it.idTag == row.idTag }.expiresAt, row.validUntil)
                assertTrue(formats.date(row.validUntil!!).isNotBlank())

                cards.onDismissNotice()
                assertNull(cards.state.value.notice)
            }
        }
        scope.cancel()
    }

    @Test
    fun `the cards presenter says why the list cannot be loaded`(): Unit = runBlocking {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        TestBackend.start().use { backend ->
            backend.client().use { app ->
                val cards = CardsPresenter(app, scope)
                cards.refresh().join()
                val status = cards.state.value.status
                assertTrue(status is ListStatus.Unavailable && status.message.isNotBlank(), "not signed in: $status")
            }
        }
        scope.cancel()
    }
}
