package io.chargekit.client

import io.chargekit.Account
import io.chargekit.ChargeKit
import io.chargekit.ChargeKitException
import io.chargekit.CoreConfig
import io.chargekit.Evse
import io.chargekit.HistoryMonth
import io.chargekit.SecureStore
import io.chargekit.SessionInfo
import io.chargekit.SessionListener
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.buffer
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.withContext
import java.io.File
import java.time.Instant
import java.time.ZoneId

/**
 * The ChargeKit core for Kotlin: suspend functions for commands, a [Flow] for live sessions.
 *
 * Every call delegates to the Rust core; errors are the sealed [ChargeKitException] classes
 * (`Network`, `Unauthorized`, `NotFound`, `InvalidInput`, `Conflict`, `ChargerOffline`,
 * `ChargerRefused`, `Storage`, `Internal`) whose `message` is a sentence for the driver.
 * The client owns native resources: [close] it (or `use {}`) when the app is done with it.
 */
class ChargeKitClient private constructor(
    private val core: ChargeKit,
    /** Where reads of the on-disk cache run: they are quick, but still disk I/O. */
    private val io: CoroutineDispatcher,
) : AutoCloseable {

    companion object {
        /** Opens the core on a backend URL and a directory it owns (e.g. `context.filesDir/chargekit`). */
        @Throws(ChargeKitException::class)
        fun open(
            backendUrl: String,
            dataDir: File,
            secureStore: SecureStore,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): ChargeKitClient = ChargeKitClient(ChargeKit(CoreConfig(backendUrl, dataDir.path), secureStore), io)
    }

    /** The signed-in account, kept across restarts through the [SecureStore]. */
    val account: Account? get() = core.account()

    suspend fun signUp(email: String, password: String): Account = core.signUp(email, password)

    suspend fun signIn(email: String, password: String): Account = core.signIn(email, password)

    /** Signs out, and forgets this driver's history and queued stops on the phone. */
    @Throws(ChargeKitException::class)
    fun signOut() = core.signOut()

    /** Reads a QR code, an NFC tag's text or a typed ID into a normalized EVSE ID. */
    @Throws(ChargeKitException::class)
    fun evseFromQr(payload: String): String = core.evseFromQr(payload)

    suspend fun lookupEvse(evseId: String): Evse = core.lookupEvse(evseId)

    suspend fun startSession(evseId: String): SessionInfo = core.startSession(evseId)

    /** Stops a session; with no network the result has `stopPending` and the stop goes out later. */
    suspend fun stopSession(sessionId: String): SessionInfo = core.stopSession(sessionId)

    suspend fun session(sessionId: String): SessionInfo = core.session(sessionId)

    /**
     * The live state of a session: the current value first, then every change; the flow
     * completes after the final state. Collecting subscribes to the core; cancelling the
     * collector cancels the core's subscription. A slow collector gets the newest state.
     *
     * With [framesPerSecond] above 0 (at most 60), energy, time and cost also move smoothly
     * between the charger's meter samples at that rate while charging — never backwards — and
     * the final state is exactly the bill. Use it for the live screen.
     */
    fun liveSession(sessionId: String, framesPerSecond: Int = 0): Flow<SessionInfo> = callbackFlow {
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

    /** Brings the offline history up to date with the backend; returns its first page. */
    suspend fun syncHistory(limit: Int = 50): List<SessionInfo> = core.syncHistory(limit.toUInt())

    /** History from the on-phone cache, newest first: works with no network. */
    suspend fun history(limit: Int = 50, offset: Int = 0): List<SessionInfo> =
        withContext(io) { core.history(limit.toUInt(), offset.toUInt()) }

    /** Cached history grouped by month in [zone], newest month first, with totals. */
    suspend fun historyByMonth(limit: Int = 500, zone: ZoneId = ZoneId.systemDefault()): List<HistoryMonth> =
        withContext(io) {
            val offsetSeconds = zone.rules.getOffset(Instant.now()).totalSeconds
            core.historyByMonth(limit.toUInt(), offsetSeconds)
        }

    /** Live-session subscriptions the core is running; 0 once every collector is gone. */
    val activeObservers: Int get() = core.activeObservers().toInt()

    override fun close() = core.close()
}
