package io.chargekit.client

import io.chargekit.Account
import io.chargekit.AuthState
import io.chargekit.ChargeKit
import io.chargekit.CardsFlowInterface
import io.chargekit.ChargeKitException
import io.chargekit.ChargerScreen
import io.chargekit.ContractInfo
import io.chargekit.CoreConfig
import io.chargekit.DriverEvent
import io.chargekit.Evse
import io.chargekit.FindChargerFlowInterface
import io.chargekit.HistoryMonth
import io.chargekit.HistoryScreen
import io.chargekit.LiveSessionScreen
import io.chargekit.MeterDataVerification
import io.chargekit.Payment
import io.chargekit.PaymentMethodInfo
import io.chargekit.ReceiptInfo
import io.chargekit.ReceiptScreen
import io.chargekit.SecureStore
import io.chargekit.SessionInfo
import io.chargekit.SessionPaymentInfo
import io.chargekit.TokenInfo
import io.chargekit.WalletBalanceInfo
import io.chargekit.WalletFlowInterface
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.emptyFlow
import java.io.File
import java.time.ZoneId

/**
 * The ChargeKit core for Kotlin: suspend functions for commands, a [Flow] for live sessions.
 *
 * Every call delegates to the Rust core; errors are the sealed [ChargeKitException] classes
 * (`Network`, `Unauthorized`, `NotFound`, `InvalidInput`, `Conflict`, `ChargerOffline`,
 * `ChargerRefused`, `PaymentRefused`, `Storage`, `Internal`) whose `message` is a sentence for the driver.
 * The client owns native resources: [close] it (or `use {}`) when the app is done with it.
 * An interface so screens can be tested with a fake; [open] gives the one on the Rust core.
 */
interface ChargeKitClient : AutoCloseable {

    companion object {
        /** Opens the core on a backend URL and a directory it owns (e.g. `context.filesDir/chargekit`). */
        @Throws(ChargeKitException::class)
        fun open(
            backendUrl: String,
            dataDir: File,
            secureStore: SecureStore,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): ChargeKitClient = CoreChargeKitClient(ChargeKit(CoreConfig(backendUrl, dataDir.path), secureStore), io)
    }

    /** The signed-in account, kept across restarts through the [SecureStore]. */
    val account: Account?

    suspend fun signUp(email: String, password: String): Account

    suspend fun signIn(email: String, password: String): Account

    /**
     * Signs out, and forgets this driver's history and queued stops on the phone (disk I/O: off
     * the main thread). Fails with `Storage`, changing nothing, when the secure store cannot
     * delete the sign-in now.
     */
    @Throws(ChargeKitException::class)
    suspend fun signOut()

    /**
     * Where the sign-in stands: the current state at once, then every change — signed in,
     * signed out, or [AuthState.Revoked] when the backend refused to refresh it (expired, or
     * revoked elsewhere). The app's root collects it to show the sign-in screen. A slow
     * collector gets the newest state.
     */
    val authState: Flow<AuthState>

    /**
     * What the driver is told about their sessions (charging started, finished, idle fees
     * coming…), each event once, across restarts: those recorded while nobody collected come
     * first. Kinds and typed values: word them in the driver's language. Not conflated.
     */
    val driverEvents: Flow<DriverEvent> get() = emptyFlow()

    /** Reads a QR code, an NFC tag's text or a typed ID into a normalized EVSE ID. */
    @Throws(ChargeKitException::class)
    fun evseFromQr(payload: String): String

    /**
     * Reads a whole NDEF message from a charger's NFC tag (`NdefMessage.toByteArray()`) into the
     * EVSE ID of the first record carrying one.
     */
    @Throws(ChargeKitException::class)
    fun evseFromNdef(message: ByteArray): String

    /** Reads one NDEF record (its TNF, type and payload) into the EVSE ID it carries. */
    @Throws(ChargeKitException::class)
    fun evseFromNdefRecord(tnf: Short, type: ByteArray, payload: ByteArray): String

    suspend fun lookupEvse(evseId: String): Evse

    /** The find-charger screen, idle; [io.chargekit.presenter.FindChargerPresenter] draws it. */
    fun findChargerFlow(): FindChargerFlowInterface

    /** A charger as the find-charger screen shows it: availability (offline included), prices, whether Start can be tapped. */
    suspend fun chargerScreen(evseId: String): ChargerScreen

    /** Starts charging, paid by the driver's default method (unpaid if they have none). */
    suspend fun startSession(evseId: String): SessionInfo

    /**
     * Starts charging, paying with [payment]. A refused payment (too little in the wallet, a
     * declined card) fails before the charger is asked, with the core's sentence as the message.
     */
    suspend fun startSession(evseId: String, payment: Payment): SessionInfo

    /** The session still going on, if any — also one a card or the car started at the charger. */
    suspend fun activeSession(): SessionInfo?

    /** Stops a session; with no network the result has `stopPending` and the stop goes out later. */
    suspend fun stopSession(sessionId: String): SessionInfo

    suspend fun session(sessionId: String): SessionInfo

    /**
     * The live state of a session: the current value first, then every change; the flow
     * completes after the final state. Collecting subscribes to the core; cancelling the
     * collector cancels the core's subscription. A slow collector gets the newest state.
     *
     * With [framesPerSecond] above 0 (at most 60), energy, time and cost also move smoothly
     * between the charger's meter samples at that rate while charging — energy never
     * backwards, the cost as the core's pricing engine gives it (the server's at each sample;
     * OCPI's step rule can make it go down) — and the final state is exactly the bill. Use it
     * for the live screen.
     */
    fun liveSession(sessionId: String, framesPerSecond: Int = 0): Flow<SessionInfo>

    /**
     * The live session screen as the core decides it, like [liveSession] (smoothed at
     * [framesPerSecond]); `canStop` is false while a stop is being sent. Completes when finished.
     */
    fun liveSessionScreen(sessionId: String, framesPerSecond: Int = 0): Flow<LiveSessionScreen>

    /** Brings the offline history up to date with the backend; returns its first page. */
    suspend fun syncHistory(limit: Int = 50): List<SessionInfo>

    /** History from the on-phone cache, newest first: works with no network. */
    suspend fun history(limit: Int = 50, offset: Int = 0): List<SessionInfo>

    /**
     * Cached history grouped by month in the time zone [zoneId] (an IANA id: each date with the
     * offset in force on it), newest month first, with totals.
     */
    suspend fun historyByMonth(limit: Int = 500, zoneId: String = ZoneId.systemDefault().id): List<HistoryMonth>

    /** The history screen from the phone's cache, by month in [zoneId]; never throws (a problem is its `message`). */
    suspend fun historyScreen(limit: Int = 500, zoneId: String = ZoneId.systemDefault().id): HistoryScreen

    /** Syncs with the backend, then the history screen; offline, the cached months and why. Never throws. */
    suspend fun refreshHistoryScreen(limit: Int = 500, zoneId: String = ZoneId.systemDefault().id): HistoryScreen

    // Receipts

    /**
     * A finished session's signed receipt with the core's verdict on its signature and on the
     * charger's signed meter data. Offline, the cached receipt, checked again.
     */
    suspend fun receipt(sessionId: String): ReceiptInfo

    /**
     * The receipt screen: once completed, the signed receipt checked by the core (offline, the
     * cached one); otherwise the session's own figures, unchecked. Throws only when the session
     * is neither reachable nor cached.
     */
    suspend fun receiptScreen(sessionId: String): ReceiptScreen

    /** Checks signed meter data (OCMF) against a charger's public key (DER SPKI, hex or base64). */
    fun verifyMeterData(signedData: String, publicKey: String): MeterDataVerification

    // Cards and contracts

    /** The idTag a card's UID bytes (`Tag.id`) stand for, e.g. `04A22B1A`. */
    @Throws(ChargeKitException::class)
    fun cardIdTag(uid: ByteArray): String

    /** The idTag of a card UID as printed on it or typed (`04:a2:2b:1a`). */
    @Throws(ChargeKitException::class)
    fun cardIdTag(printed: String): String

    /** Registers the RFID card whose UID the NFC reader gave (`Tag.id`). */
    suspend fun registerCard(uid: ByteArray, label: String? = null): TokenInfo

    /** Registers a card by the UID printed on it (any case, `:`, `-` or spaces between bytes). */
    suspend fun registerCard(printedUid: String, label: String? = null): TokenInfo

    /**
     * Checks a Plug & Charge contract certificate (PEM or DER, with its sub-CAs) against the
     * mobility operator's root and registers its EMAID. Nothing is sent if the check fails.
     */
    suspend fun registerContract(certificate: ByteArray, moRoot: ByteArray, label: String? = null): ContractInfo

    /** Checks a contract certificate against the mobility operator's root, without registering it. */
    @Throws(ChargeKitException::class)
    fun readContract(certificate: ByteArray, moRoot: ByteArray): ContractInfo

    /** The driver's cards and contracts, and the app's own token. */
    suspend fun tokens(): List<TokenInfo>

    /** The cards & contracts screen (loading until refreshed); [io.chargekit.presenter.CardsPresenter] draws it. */
    fun cardsFlow(): CardsFlowInterface

    /** Blocks a lost card or contract at every charger, or makes it active again. */
    suspend fun setTokenBlocked(idTag: String, blocked: Boolean): TokenInfo

    suspend fun removeToken(idTag: String)

    // Payments

    /** The wallet's balance per currency: available, and held for sessions going on. */
    suspend fun wallet(): List<WalletBalanceInfo>

    /**
     * Adds [amountMinor] of [currency] to the wallet, paid by the card [paymentMethodId] (none:
     * test money, where the backend allows it). Safe to call again after a network error.
     */
    suspend fun topUp(amountMinor: Long, currency: String, paymentMethodId: String? = null)

    /** The wallet and the driver's cards; one of them may be the default. */
    suspend fun paymentMethods(): List<PaymentMethodInfo>

    /** The wallet screen (loading until refreshed) with top-ups of [topUpAmounts] (major units of [currency]). */
    fun walletFlow(currency: String, topUpAmounts: List<Long>): WalletFlowInterface

    /** Registers a card by the payment-method id the card provider's SDK gave the app. */
    suspend fun addCard(paymentMethodId: String, brand: String? = null, last4: String? = null): PaymentMethodInfo

    /** Makes a card the default, or the wallet with `null`. */
    suspend fun setDefaultPayment(paymentMethodId: String?): PaymentMethodInfo

    /** How a session is paid: held, captured, released… */
    suspend fun sessionPayment(sessionId: String): SessionPaymentInfo

    /** Live-session subscriptions the core is running; 0 once every collector is gone. */
    val activeObservers: Int
}
