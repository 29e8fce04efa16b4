package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.CostKind
import io.chargekit.SessionInfo
import io.chargekit.client.ChargeKitClient

/** An itemized receipt, formatted. */
data class ReceiptState(
    val sessionId: String,
    val evseId: String,
    val date: String,
    val phase: Phase,
    val energy: String,
    val duration: String,
    val lines: List<ReceiptLine>,
    val net: String,
    val vat: String,
    val total: String,
    val failureReason: String?,
)

data class ReceiptLine(val kind: CostKind, val quantity: String, val unitPrice: String, val amount: String)

/** Loads a session's receipt (from the backend, or the phone's cache when offline). */
class ReceiptPresenter(private val client: ChargeKitClient, private val formats: Formats = Formats()) {

    /** @throws ChargeKitException when the session is neither reachable nor cached. */
    suspend fun load(sessionId: String): ReceiptState = render(client.session(sessionId))

    fun render(s: SessionInfo): ReceiptState {
        val digits = s.currencyDigits.toInt()
        val money = { minor: Long -> formats.money(minor, s.currency, digits) }
        return ReceiptState(
            sessionId = s.id,
            evseId = s.evseId,
            date = formats.dateTime(s.startedAt ?: s.createdAt),
            phase = s.phase(),
            energy = formats.energy(s.energyWh),
            duration = formats.duration(s.durationSeconds),
            lines = s.costLines.map { line ->
                ReceiptLine(
                    kind = line.kind,
                    quantity = when (line.kind) {
                        CostKind.ENERGY -> formats.energy(line.billedQuantity)
                        CostKind.TIME, CostKind.PARKING -> formats.duration(line.billedQuantity)
                        CostKind.FLAT -> "1"
                    },
                    unitPrice = formats.price(line.unitPrice, s.currency),
                    amount = money(line.exclVatMinor),
                )
            },
            net = money(s.costExclVatMinor),
            vat = money(s.vatMinor),
            total = money(s.costMinor),
            failureReason = s.failureReason,
        )
    }
}
