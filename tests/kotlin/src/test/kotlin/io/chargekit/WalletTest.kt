package io.chargekit

import io.chargekit.presenter.FindChargerPresenter
import io.chargekit.presenter.Formats
import io.chargekit.presenter.WalletPresenter
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.time.ZoneId
import java.util.Locale

class WalletTest {
    private val formats = Formats(Locale.GERMANY, ZoneId.of("Europe/Berlin"))
    private val nbsp = { s: String -> s.replace('\u00A0', ' ') }

    @Test
    fun `top up and pay a session from the wallet, held while charging and captured after the stop`(): Unit = runBlocking {
        TestBackend.start(payments = PAYMENTS).use { backend ->
            backend.startCharger()
            backend.client().use { app ->
                app.signUp("wallet@example.com", "correct horse battery")
                app.awaitOnline()

                // Too little in the wallet: refused before the charger is asked, and no session.
                app.topUp(1_000, "EUR")
                assertEquals(listOf(WalletBalanceInfo("EUR", 2u, 1_000, 0)), app.wallet())
                val refused = assertThrows<ChargeKitException.PaymentRefused> { app.startSession(TestBackend.EVSE_ID, Payment.Wallet) }
                assertTrue(refused.message!!.contains("Top up"), refused.message)
                assertNull(app.activeSession())
                assertTrue(app.syncHistory().isEmpty(), "no session was started")
                assertEquals(listOf(WalletBalanceInfo("EUR", 2u, 1_000, 0)), app.wallet(), "nothing held")

                val bad = assertThrows<ChargeKitException.InvalidInput> { app.topUp(0, "EUR") }
                assertTrue(bad.message!!.isNotBlank())

                app.topUp(4_000, "EUR")
                val session = app.startSession(TestBackend.EVSE_ID, Payment.Wallet)
                val held = app.sessionPayment(session.id)
                assertTrue(held.isWallet)
                assertEquals(PaymentState.HELD, held.state)
                assertEquals(HOLD, held.heldMinor)
                assertEquals(listOf(WalletBalanceInfo("EUR", 2u, 5_000 - HOLD, HOLD)), app.wallet())
                assertEquals(session.id, app.activeSession()?.id)

                eventually(what = "energy metered") { app.session(session.id).energyWh > 0 }
                app.stopSession(session.id)
                eventually(what = "the session completed") { app.session(session.id).state == SessionState.COMPLETED }
                val cost = app.session(session.id).costMinor
                assertTrue(cost > 0)
                eventually(what = "the payment captured") { app.sessionPayment(session.id).state == PaymentState.CAPTURED }
                assertEquals(cost, app.sessionPayment(session.id).capturedMinor)
                assertEquals(listOf(WalletBalanceInfo("EUR", 2u, 5_000 - cost, 0)), app.wallet(), "the rest of the hold came back")
            }
        }
    }

    @Test
    fun `wallet presenter formats balances, tops up and sets the default, and the start flow pays as chosen and shows a refusal`(): Unit = runBlocking {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        TestBackend.start(payments = PAYMENTS).use { backend ->
            backend.startCharger()
            backend.client().use { app ->
                app.signUp("wallet-presenter@example.com", "correct horse battery")
                app.awaitOnline()

                val wallet = WalletPresenter(app, scope, currency = "EUR")
                assertEquals(ListStatus.Loading, wallet.state.value.status)
                wallet.refresh().join()
                val empty = wallet.state.value.wallet
                assertEquals(ListStatus.Loaded, wallet.state.value.status)
                assertTrue(empty.balances.isEmpty(), "$empty")
                assertEquals(listOf("10,00 €", "20,00 €", "50,00 €"), empty.topUps.map { nbsp(formats.money(it)) })
                assertEquals(listOf(1_000L, 2_000L, 5_000L), empty.topUps.map { it.minor })
                val walletMethod = empty.methods.single()
                assertEquals(PaymentOptionLabel.Wallet(null), walletMethod.method)
                assertEquals(Payment.Wallet, walletMethod.payment)

                wallet.onTopUp(empty.topUps[0]).join()
                val topped = wallet.state.value
                assertNull(topped.message)
                assertTrue(!topped.busy)
                assertEquals("10,00 €", nbsp(formats.money(topped.wallet.balances.single().available)))
                assertNull(topped.wallet.balances.single().held)

                wallet.onMakeDefault(walletMethod).join()
                assertTrue(wallet.state.value.wallet.methods.single().isDefault)

                // No card provider on this backend: adding a card is refused with the core's sentence.
                wallet.onCardAdded("pm_card_visa", "visa", "4242").join()
                assertTrue(!wallet.state.value.message.isNullOrBlank())

                // The start flow: the wallet is offered with its balance and checked as the default;
                // 10 € cannot cover the hold, so the start is refused with the core's sentence.
                val find = FindChargerPresenter(app, scope)
                find.onIdTyped(TestBackend.EVSE_ID)
                val found = withTimeout(10_000) { find.state.first { it.step is FindChargerStep.Found } }.step as FindChargerStep.Found
                val option = find.state.value.payment.options.single()
                assertEquals(Payment.Wallet, option.payment)
                assertEquals("10,00 €", nbsp(formats.money((option.method as PaymentOptionLabel.Wallet).available!!)))
                assertTrue(option.isDefault && option.selected)
                find.onPaymentChosen(Payment.Wallet)
                assertEquals(Payment.Wallet, find.state.value.payment.selected)
                find.onStartTapped()
                val failed = withTimeout(10_000) { find.state.first { it.step is FindChargerStep.Failed } }.step as FindChargerStep.Failed
                assertTrue(failed.message.contains("Top up"), failed.message)
                assertEquals(found.charger, failed.charger)
                assertNull(app.activeSession())

                // Enough in the wallet: the start goes through, and the wallet shows what is held.
                wallet.onTopUp(topUpOption(wallet, 5_000)).join()
                find.onIdTyped(TestBackend.EVSE_ID)
                withTimeout(10_000) { find.state.first { it.step is FindChargerStep.Found } }
                find.onStartTapped()
                val started = withTimeout(10_000) { find.state.first { it.step is FindChargerStep.Started } }.step as FindChargerStep.Started
                // Opened again (e.g. after a restart), the find screen offers the session going on.
                val reopened = FindChargerPresenter(app, scope)
                reopened.onShown()
                val ongoing = withTimeout(10_000) { reopened.state.first { it.step is FindChargerStep.Ongoing } }
                assertEquals(FindChargerStep.Ongoing(started.sessionId, TestBackend.EVSE_ID, AuthMethod.APP), ongoing.step)

                wallet.refresh().join()
                val holding = wallet.state.value.wallet.balances.single()
                assertEquals("30,00 €", nbsp(formats.money(holding.held!!)))
                assertEquals("30,00 €", nbsp(formats.money(holding.available)))
                eventually(what = "energy metered") { app.session(started.sessionId).energyWh > 0 }
                app.stopSession(started.sessionId)
                eventually(what = "the payment captured") { app.sessionPayment(started.sessionId).state == PaymentState.CAPTURED }
                wallet.refresh().join()
                val paid = wallet.state.value.wallet.balances.single()
                assertNull(paid.held)
                assertEquals(6_000 - app.session(started.sessionId).costMinor, paid.available.minor)
            }
        }
        scope.cancel()
    }

    /** The wallet screen's top-up option of [minor] cents. */
    private fun topUpOption(wallet: WalletPresenter, minor: Long) =
        wallet.state.value.wallet.topUps.single { it.minor == minor }

    private companion object {
        const val HOLD = 3_000L
        /** Test money for top-ups (no card provider), and a 30 € hold per paid session. */
        const val PAYMENTS = """{"free_top_ups": true, "hold_minor": 3000}"""
    }
}
