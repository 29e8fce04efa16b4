package io.chargekit.presenter

import io.chargekit.ChargeKitException
import io.chargekit.CostKind
import io.chargekit.CostLine
import io.chargekit.ReceiptInfo
import io.chargekit.ReceiptMeterData
import io.chargekit.ReceiptSignature
import io.chargekit.SessionInfo
import io.chargekit.SessionState
import io.chargekit.client.ChargeKitClient

/** An itemized receipt, formatted, with the core's verdict on whether it can be trusted. */
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
    /** Whether the backend's signature holds; [ReceiptVerdict.Verified] is the only trusted one. */
    val verdict: ReceiptVerdict = ReceiptVerdict.Unchecked(null),
    /** What the charger's signed meter data (Eichrecht) says; absent without a signed receipt. */
    val meterData: MeterDataState? = null,
    /** Time spent charging and parked, as billed; absent without a signed receipt. */
    val chargingTime: String? = null,
    val parkingTime: String? = null,
    /** Stretches of the session priced alike, in order. */
    val periods: List<ReceiptPeriodRow> = emptyList(),
    /** When the backend issued the receipt. */
    val issuedAt: String? = null,
)

data class ReceiptLine(
    val kind: CostKind,
    val quantity: String,
    val unitPrice: String,
    val amount: String,
    /** e.g. "19 %", when VAT applies. */
    val vatRate: String? = null,
    val vat: String? = null,
)

/** A stretch of the session: from [start] (time since plug-in) for [duration]. */
data class ReceiptPeriodRow(val start: String, val duration: String, val energy: String, val charging: Boolean)

/**
 * The core's verdict on the receipt's signature. Only [Verified] may be shown as a verified
 * receipt; [Tampered] and [UnknownKey] are warnings ([isWarning]).
 */
sealed interface ReceiptVerdict {
    /** The backend's signature holds: the receipt is exactly as issued. */
    data object Verified : ReceiptVerdict

    /** Changed after it was signed, or signed by another key than the one pinned: do not trust it. */
    data class Tampered(val reason: String) : ReceiptVerdict

    /** Signed by a key this app was never given: it cannot be checked. */
    data class UnknownKey(val keyId: String) : ReceiptVerdict

    /**
     * No signed receipt to check: the session did not complete, or the receipt is neither
     * reachable nor cached. [message] is the core's sentence, if it gave one.
     */
    data class Unchecked(val message: String?) : ReceiptVerdict

    val isWarning: Boolean get() = this is Tampered || this is UnknownKey
}

/** The charger's signed meter data, as the receipt screen states it. */
sealed interface MeterDataState {
    /** The charger signs no meter values (not every charger is certified for that). */
    data object NotSigned : MeterDataState

    /** The meter signed the energy billed. */
    data class Verified(val meterSerial: String?, val energy: String) : MeterDataState

    /** The signed values do not hold or do not match the bill: a warning. */
    data class Invalid(val reason: String) : MeterDataState

    /** Signed with [algorithm], which the app cannot check (the Transparenzsoftware may). */
    data class Unsupported(val algorithm: String) : MeterDataState

    /** Signed, but the operator published no meter key to check it with. */
    data object NoMeterKey : MeterDataState

    val isWarning: Boolean get() = this is Invalid
}

/**
 * Loads a session's receipt: the backend's signed receipt, checked by the core (from the cache
 * when offline). A session with no receipt (failed, or none to be had now) shows the session's
 * own figures, marked [ReceiptVerdict.Unchecked].
 */
class ReceiptPresenter(private val client: ChargeKitClient, private val formats: Formats = Formats()) {

    /** @throws ChargeKitException when the session is neither reachable nor cached. */
    suspend fun load(sessionId: String): ReceiptState {
        val session = client.session(sessionId)
        // The backend issues a receipt once a session has completed; others have none to check.
        if (session.state != SessionState.COMPLETED) return render(session)
        return try {
            render(client.receipt(sessionId), session)
        } catch (e: ChargeKitException) {
            render(session).copy(verdict = ReceiptVerdict.Unchecked(e.message))
        }
    }

    /** The session's own figures, unsigned (a live or failed session). */
    fun render(s: SessionInfo): ReceiptState {
        val money = money(s.currency, s.currencyDigits)
        return ReceiptState(
            sessionId = s.id,
            evseId = s.evseId,
            date = formats.dateTime(s.startedAt ?: s.createdAt),
            phase = s.phase(),
            energy = formats.energy(s.energyWh),
            duration = formats.duration(s.durationSeconds),
            lines = s.costLines.map { line(it, s.currency, money) },
            net = money(s.costExclVatMinor),
            vat = money(s.vatMinor),
            total = money(s.costMinor),
            failureReason = s.failureReason,
        )
    }

    /** The signed receipt, with [session] for where it stands (a receipt is only issued once completed). */
    fun render(r: ReceiptInfo, session: SessionInfo? = null): ReceiptState {
        val money = money(r.currency, r.currencyDigits)
        return ReceiptState(
            sessionId = r.sessionId,
            evseId = r.evseId,
            date = formats.dateTime(r.startedAt),
            phase = session?.phase() ?: Phase.COMPLETED,
            energy = formats.energy(r.energyWh),
            duration = formats.duration(r.endedAt - r.startedAt),
            lines = r.lines.map { line(it, r.currency, money) },
            net = money(r.totalExclVatMinor),
            vat = money(r.totalVatMinor),
            total = money(r.totalInclVatMinor),
            failureReason = session?.failureReason,
            verdict = when (val signature = r.signature) {
                ReceiptSignature.Genuine -> ReceiptVerdict.Verified
                is ReceiptSignature.Tampered -> ReceiptVerdict.Tampered(signature.reason)
                is ReceiptSignature.UnknownKey -> ReceiptVerdict.UnknownKey(signature.keyId)
            },
            meterData = when (val meter = r.meterData) {
                ReceiptMeterData.NotSigned -> MeterDataState.NotSigned
                is ReceiptMeterData.Verified -> MeterDataState.Verified(meter.meterSerial, formats.energy(meter.energyWh))
                is ReceiptMeterData.Invalid -> MeterDataState.Invalid(meter.reason)
                is ReceiptMeterData.Unsupported -> MeterDataState.Unsupported(meter.algorithm)
                ReceiptMeterData.NoMeterKey -> MeterDataState.NoMeterKey
            },
            chargingTime = formats.duration(r.chargingSeconds),
            parkingTime = formats.duration(r.parkingSeconds),
            periods = r.periods.map {
                ReceiptPeriodRow(
                    start = formats.duration(it.startOffsetSeconds),
                    duration = formats.duration(it.durationSeconds),
                    energy = formats.energy(it.energyWh),
                    charging = it.charging,
                )
            },
            issuedAt = formats.dateTime(r.issuedAt),
        )
    }

    private fun money(currency: String, digits: UInt): (Long) -> String =
        { minor -> formats.money(minor, currency, digits.toInt()) }

    private fun line(line: CostLine, currency: String, money: (Long) -> String) = ReceiptLine(
        kind = line.kind,
        quantity = when (line.kind) {
            CostKind.ENERGY -> formats.energy(line.billedQuantity)
            CostKind.TIME, CostKind.PARKING -> formats.duration(line.billedQuantity)
            CostKind.FLAT -> "1"
        },
        unitPrice = formats.price(line.unitPrice, currency),
        amount = money(line.exclVatMinor),
        vatRate = line.vatPercent?.let(formats::percent),
        vat = line.vatPercent?.let { money(line.vatMinor) },
    )
}
