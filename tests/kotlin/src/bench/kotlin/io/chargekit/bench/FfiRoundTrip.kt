package io.chargekit.bench

import io.chargekit.ChargeKit
import io.chargekit.CoreConfig
import io.chargekit.MemorySecureStore
import io.chargekit.IntegrityCheckingUniffiLib
import java.nio.file.Files

/**
 * Round trip of cheap synchronous core calls from Kotlin through UniFFI and JNA: batches of
 * calls are timed, and the median per-call time over all batches is reported (with p10/p90),
 * after a warm-up that lets the JIT settle. Not a test: see docs/benchmarks.md.
 */
fun main() {
    val dir = Files.createTempDirectory("chargekit-bench")
    ChargeKit(CoreConfig("http://127.0.0.1:9", dir.toString()), MemorySecureStore()).use { core ->
        // Baseline: one bare JNA direct-mapped call into the same library (no status, no handle).
        measure("baseline: raw JNA call (contract version)") { IntegrityCheckingUniffiLib.ffi_chargekit_core_uniffi_contract_version() }
        measure("evseFromQr(\"DE*CKT*E0001*1\")") { core.evseFromQr("DE*CKT*E0001*1") }
        measure("account() (no account: returns null)") { core.account() }
        measure("activeObservers()") { core.activeObservers() }
    }
    dir.toFile().deleteRecursively()
}

private const val BATCH = 1_000
private const val BATCHES = 200 // 200 000 calls
private const val WARMUP_BATCHES = 50

private inline fun measure(name: String, call: () -> Any?) {
    var sink = 0
    repeat(WARMUP_BATCHES * BATCH) { sink += call().hashCode() }
    val perCall = DoubleArray(BATCHES) {
        val start = System.nanoTime()
        repeat(BATCH) { sink += call().hashCode() }
        (System.nanoTime() - start).toDouble() / BATCH
    }.sorted()
    val (p10, median, p90) = listOf(10, 50, 90).map { perCall[(perCall.size - 1) * it / 100] }
    println("%-40s median %7.0f ns/call   p10 %7.0f   p90 %7.0f   (%d calls; sink %d)".format(name, median, p10, p90, BATCH * BATCHES, sink and 1))
}
