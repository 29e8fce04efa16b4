package io.chargekit

import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.TimeUnit

/**
 * A real `chargekit serve` on 127.0.0.1:0 with its own SQLite file, and real `chargekit sim`
 * chargers, as child processes. Close it to stop them and delete the data.
 */
class TestBackend private constructor(private val dir: Path, private val server: Process, val address: String) : AutoCloseable {
    private val children = mutableListOf<Process>()

    companion object {
        const val CHARGER_ID = "CKKT-0001"
        const val EVSE_ID = "DE*CKT*E0001*1"
        /** Seeded, but no charger ever connects for it. */
        const val OFFLINE_EVSE_ID = "DE*CKT*E0099*1"

        /** Without a payments config: a free site (sessions start unpaid), as most tests need. */
        private const val UNPAID_SITE = """{"unpaid_charging": true}"""

        private val binary: String = System.getProperty("chargekit.bin")
            ?: error("set -Dchargekit.bin to the chargekit binary (./tests/run does)")

        /**
         * Starts the server with the seeded chargers plus [extraChargers] (JSON objects of the
         * server config's `chargers`) and, if given, the config's [payments] object (JSON).
         */
        fun start(extraChargers: List<String> = emptyList(), payments: String? = null): TestBackend {
            val dir = Files.createTempDirectory("chargekit-kotlin")
            val config = dir.resolve("server.json")
            val chargers = listOf(
                """{"charge_point_id": "$CHARGER_ID", "security_profile": 0, "evses": [{"connector_id": 1, "evse_id": "$EVSE_ID"}]}""",
                """{"charge_point_id": "CKKT-OFFLINE", "security_profile": 0, "evses": [{"connector_id": 1, "evse_id": "$OFFLINE_EVSE_ID"}]}""",
            ) + extraChargers
            Files.writeString(
                config,
                """
                {"bind": "127.0.0.1:0", "database": "${dir.resolve("server.db")}", "charger_call_timeout_secs": 10,
                 "payments": ${payments ?: UNPAID_SITE},
                 "chargers": [${chargers.joinToString(",\n")}]}
                """.trimIndent(),
            )
            val server = ProcessBuilder(binary, "serve", "--config", config.toString())
                .redirectError(dir.resolve("server.log").toFile())
                .start()
            val line = server.inputReader().readLine() ?: error("the server exited before listening")
            check(line.startsWith("listening on ")) { "unexpected first line from the server: $line" }
            return TestBackend(dir, server, line.removePrefix("listening on "))
        }
    }

    val baseUrl: String get() = "http://$address"

    /**
     * Connects a simulated 50 kW charger sending meter values every second; with
     * [signedMeterValues], its meter signs each transaction's begin and end (OCMF) with a key of
     * its own, made at start.
     */
    fun startCharger(id: String = CHARGER_ID, signedMeterValues: Boolean = false) {
        val command = mutableListOf(binary, "sim", "--url", "ws://$address/ocpp", "--id", id, "--interval-secs", "1", "--power-kw", "50")
        if (signedMeterValues) command += "--signed-meter-values"
        val log = ProcessBuilder.Redirect.appendTo(dir.resolve("sim-$id.log").toFile())
        children += ProcessBuilder(command).redirectOutput(log).redirectError(log).start()
    }

    /** A phone: the core on its own data directory (talking to [backendUrl]: this backend, or a dead port). */
    fun client(name: String = "phone", secureStore: SecureStore = InMemorySecureStore(), backendUrl: String = baseUrl): ChargeKitClient =
        ChargeKitClient.open(backendUrl, dir.resolve(name).toFile(), secureStore)

    override fun close() {
        (children + server).forEach { it.destroy() }
        (children + server).forEach { it.waitFor(10, TimeUnit.SECONDS) }
        BackendLogs.keep(dir)
        dir.toFile().deleteRecursively()
    }
}

/**
 * The server's and the simulators' logs of the backends a test used, printed if the test
 * fails (see [PrintBackendLogsOnFailure]): a failure on CI can then be read, not guessed at.
 */
object BackendLogs {
    private const val LINES_KEPT = 300
    private val kept = java.util.Collections.synchronizedList(mutableListOf<Pair<String, List<String>>>())

    fun keep(dir: Path) {
        Files.list(dir).use { files ->
            files.filter { it.fileName.toString().endsWith(".log") }.sorted().forEach { log ->
                kept += log.fileName.toString() to Files.readAllLines(log).takeLast(LINES_KEPT)
            }
        }
    }

    fun clear() = kept.clear()

    fun print() = synchronized(kept) {
        kept.forEach { (name, lines) -> println("---- $name (last ${lines.size} lines)\n${lines.joinToString("\n")}") }
    }
}

class PrintBackendLogsOnFailure : org.junit.jupiter.api.extension.BeforeEachCallback, org.junit.jupiter.api.extension.TestWatcher {
    override fun beforeEach(context: org.junit.jupiter.api.extension.ExtensionContext) = BackendLogs.clear()

    override fun testFailed(context: org.junit.jupiter.api.extension.ExtensionContext, cause: Throwable?) {
        println("==== ${context.displayName} failed; the backend's logs:")
        BackendLogs.print()
    }
}

/**
 * The platform secure store, implemented in Kotlin: exercises the foreign-trait callbacks. While
 * [locked], it answers as a locked phone's does: unavailable, its values kept.
 */
class InMemorySecureStore : SecureStore {
    private val values = ConcurrentHashMap<String, ByteArray>()
    @Volatile var locked = false

    override fun get(key: String): ByteArray {
        checkUnlocked()
        return values[key] ?: throw SecureStoreException.NotFound()
    }
    override fun set(key: String, value: ByteArray) {
        checkUnlocked()
        values[key] = value
    }
    override fun delete(key: String) {
        checkUnlocked()
        values.remove(key)
    }
    val keys: Set<String> get() = values.keys

    private fun checkUnlocked() {
        if (locked) throw SecureStoreException.Unavailable("the phone is locked")
    }
}

/** Polls until the seeded charger is connected to the backend. */
suspend fun ChargeKitClient.awaitOnline(evseId: String = TestBackend.EVSE_ID) = withTimeout(20_000) {
    while (!lookupEvse(evseId).online) delay(50)
}

/** Polls [condition] until it holds, failing after [millis]. */
suspend fun eventually(millis: Long = 20_000, what: String, condition: suspend () -> Boolean) {
    val deadline = System.nanoTime() + millis * 1_000_000
    while (!condition()) {
        check(System.nanoTime() < deadline) { "not reached in $millis ms: $what" }
        delay(20)
    }
}
