package io.chargekit.client

import io.chargekit.Account
import io.chargekit.AuthState
import io.chargekit.AuthStateListener
import io.chargekit.CardsFlowInterface
import io.chargekit.ChargeKit
import io.chargekit.ChargerScreen
import io.chargekit.ContractInfo
import io.chargekit.DriverEvent
import io.chargekit.DriverEventListener
import io.chargekit.Evse
import io.chargekit.FindChargerFlowInterface
import io.chargekit.HistoryMonth
import io.chargekit.HistoryScreen
import io.chargekit.LiveSessionListener
import io.chargekit.LiveSessionScreen
import io.chargekit.MeterDataVerification
import io.chargekit.Payment
import io.chargekit.PaymentMethodInfo
import io.chargekit.ReceiptInfo
import io.chargekit.ReceiptScreen
import io.chargekit.SessionInfo
import io.chargekit.SessionListener
import io.chargekit.SessionPaymentInfo
import io.chargekit.TokenInfo
import io.chargekit.WalletBalanceInfo
import io.chargekit.WalletFlowInterface
import io.chargekit.normalizeCardUid
import io.chargekit.normalizeCardUidText
import io.chargekit.parseNdefMessage
import io.chargekit.parseNdefRecord
import io.chargekit.readContractCertificate
import io.chargekit.verifySignedMeterData
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.withContext

/** [ChargeKitClient] on the Rust core: every call delegates to it. Made by [ChargeKitClient.open]. */
internal class CoreChargeKitClient(
    private val core: ChargeKit,
    /** Where reads of the on-disk cache run: they are quick, but still disk I/O. */
    private val io: CoroutineDispatcher,
) : ChargeKitClient {
    override val account: Account? get() = core.account()

    override suspend fun signUp(email: String, password: String): Account = core.signUp(email, password)

    override suspend fun signIn(email: String, password: String): Account = core.signIn(email, password)

    override suspend fun signOut() = withContext(io) { core.signOut() }

    override val authState: Flow<AuthState> get() = observed { send ->
        core.observeAuthState(object : AuthStateListener {
            override fun onAuthState(state: AuthState) = send(state)
        })
    }

    override val driverEvents: Flow<DriverEvent> get() = callbackFlow {
        val handle = core.observeDriverEvents(object : DriverEventListener {
            override fun onDriverEvent(event: DriverEvent) {
                trySend(event)
            }
        })
        awaitClose {
            handle.cancel()
            handle.close()
        }
    }.buffer(Channel.UNLIMITED)

    override fun evseFromQr(payload: String): String = core.evseFromQr(payload)

    override fun evseFromNdef(message: ByteArray): String = parseNdefMessage(message)

    override fun evseFromNdefRecord(tnf: Short, type: ByteArray, payload: ByteArray): String =
        parseNdefRecord(tnf.toUByte(), type, payload)

    override suspend fun lookupEvse(evseId: String): Evse = core.lookupEvse(evseId)

    override fun findChargerFlow(): FindChargerFlowInterface = core.findChargerFlow()

    override suspend fun chargerScreen(evseId: String): ChargerScreen = core.chargerScreen(evseId)

    override suspend fun startSession(evseId: String): SessionInfo = core.startSession(evseId, Payment.Default)

    override suspend fun startSession(evseId: String, payment: Payment): SessionInfo = core.startSession(evseId, payment)

    override suspend fun activeSession(): SessionInfo? = core.activeSession()

    override suspend fun stopSession(sessionId: String): SessionInfo = core.stopSession(sessionId)

    override suspend fun session(sessionId: String): SessionInfo = core.session(sessionId)

    override fun liveSession(sessionId: String, framesPerSecond: Int): Flow<SessionInfo> = callbackFlow {
        val listener = object : SessionListener {
            override fun onUpdate(session: SessionInfo) {
                trySend(session)
                if (session.isFinal) channel.close()
            }
        }
        val handle = if (framesPerSecond > 0) {
            core.observeSessionSmooth(sessionId, framesPerSecond.toUInt(), listener)
        } else {
            core.observeSession(sessionId, listener)
        }
        awaitClose {
            handle.cancel()
            handle.close()
        }
    }.buffer(Channel.CONFLATED)

    override fun liveSessionScreen(sessionId: String, framesPerSecond: Int): Flow<LiveSessionScreen> = callbackFlow {
        val listener = object : LiveSessionListener {
            override fun onUpdate(screen: LiveSessionScreen) {
                trySend(screen)
                if (screen.finished) channel.close()
            }
        }
        val handle = core.observeLiveSession(sessionId, framesPerSecond.coerceAtLeast(0).toUInt(), listener)
        awaitClose {
            handle.cancel()
            handle.close()
        }
    }.buffer(Channel.CONFLATED)

    override suspend fun syncHistory(limit: Int): List<SessionInfo> = core.syncHistory(limit.toUInt())

    override suspend fun history(limit: Int, offset: Int): List<SessionInfo> =
        withContext(io) { core.history(limit.toUInt(), offset.toUInt()) }

    override suspend fun historyByMonth(limit: Int, zoneId: String): List<HistoryMonth> =
        withContext(io) { core.historyByMonth(limit.toUInt(), zoneId) }

    override suspend fun historyScreen(limit: Int, zoneId: String): HistoryScreen =
        withContext(io) { core.historyScreen(limit.toUInt(), zoneId) }

    override suspend fun refreshHistoryScreen(limit: Int, zoneId: String): HistoryScreen =
        core.refreshHistoryScreen(limit.toUInt(), zoneId)

    override suspend fun receipt(sessionId: String): ReceiptInfo = core.receipt(sessionId)

    override suspend fun receiptScreen(sessionId: String): ReceiptScreen = core.receiptScreen(sessionId)

    override fun verifyMeterData(signedData: String, publicKey: String): MeterDataVerification =
        verifySignedMeterData(signedData, publicKey)

    override fun cardIdTag(uid: ByteArray): String = normalizeCardUid(uid)

    override fun cardIdTag(printed: String): String = normalizeCardUidText(printed)

    override suspend fun registerCard(uid: ByteArray, label: String?): TokenInfo = core.registerCard(uid, label)

    override suspend fun registerCard(printedUid: String, label: String?): TokenInfo = core.registerCardText(printedUid, label)

    override suspend fun registerContract(certificate: ByteArray, moRoot: ByteArray, label: String?): ContractInfo =
        core.registerContract(certificate, moRoot, label)

    override fun readContract(certificate: ByteArray, moRoot: ByteArray): ContractInfo = readContractCertificate(certificate, moRoot)

    override suspend fun tokens(): List<TokenInfo> = core.tokens()

    override fun cardsFlow(): CardsFlowInterface = core.cardsFlow()

    override suspend fun setTokenBlocked(idTag: String, blocked: Boolean): TokenInfo = core.setTokenBlocked(idTag, blocked)

    override suspend fun removeToken(idTag: String) = core.removeToken(idTag)

    override suspend fun wallet(): List<WalletBalanceInfo> = core.wallet()

    override suspend fun topUp(amountMinor: Long, currency: String, paymentMethodId: String?) =
        core.topUp(amountMinor, currency, paymentMethodId)

    override suspend fun paymentMethods(): List<PaymentMethodInfo> = core.paymentMethods()

    override fun walletFlow(currency: String, topUpAmounts: List<Long>): WalletFlowInterface = core.walletFlow(currency, topUpAmounts)

    override suspend fun addCard(paymentMethodId: String, brand: String?, last4: String?): PaymentMethodInfo =
        core.addCard(paymentMethodId, brand, last4)

    override suspend fun setDefaultPayment(paymentMethodId: String?): PaymentMethodInfo = core.setDefaultPayment(paymentMethodId)

    override suspend fun sessionPayment(sessionId: String): SessionPaymentInfo = core.sessionPayment(sessionId)

    override val activeObservers: Int get() = core.activeObservers().toInt()

    override fun close() = core.close()
}
