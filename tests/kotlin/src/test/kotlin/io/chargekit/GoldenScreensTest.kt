package io.chargekit

import io.chargekit.presenter.Formats
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import java.io.File
import java.time.ZoneId
import java.util.Locale

/**
 * The golden screens: states the core produced (`tests/golden/screens.json`) drawn by this
 * layer's formatters must read exactly as `tests/golden/screens.en-US.txt`, which the Swift
 * suite checks too — so both apps show the same figures and texts for the same state.
 */
class GoldenScreensTest {
    private val golden = File("../golden")
    private val formats = Formats(Locale.US, ZoneId.of("UTC"))

    @Test
    fun `the core's golden screens read the same as on iOS`() {
        val fixtures = decodeScreenFixtures(File(golden, "screens.json").readText())
        val rendered = render(fixtures)
        val expectedFile = File(golden, "screens.en-US.txt")
        if (System.getenv("UPDATE_GOLDEN") != null) expectedFile.writeText(rendered.joinToString("\n") + "\n")
        assertEquals(expectedFile.readLines(), rendered)
    }

    private fun render(f: ScreenFixtures): List<String> = buildList {
        f.live.forEachIndexed { i, s ->
            add("live[$i] phase=${word(s.phase.name)} energy=${q(s.energy)} power=${q(s.power)} cost=${m(s.cost)} elapsed=${q(s.elapsed)} canStop=${s.canStop} finished=${s.finished} by=${word(s.authMethod.name)}")
        }
        f.chargers.forEachIndexed { i, c ->
            add("charger[$i] ${c.evseId} availability=${word(c.availability.name)} canStart=${c.canStart} currency=${c.currency}")
            c.prices.forEachIndexed { j, p -> add("charger[$i].price[$j] ${price(p)}") }
        }
        f.receipts.forEachIndexed { i, r ->
            add("receipt[$i] phase=${word(r.phase.name)} verdict=${verdict(r.verdict)} warning=${r.warning} energy=${q(r.energy)} duration=${q(r.duration)} charging=${r.chargingTime?.let(::q)} parking=${r.parkingTime?.let(::q)}")
            add("receipt[$i] net=${m(r.net)} vat=${m(r.vat)} total=${m(r.total)} meter=${r.meterData?.let(::meter)} failure=${r.failureReason}")
            r.lines.forEachIndexed { j, l ->
                add("receipt[$i].line[$j] ${word(l.kind.name)} ${q(l.quantity)} x ${price(l.unitPrice)} = ${m(l.amount)} vat=${l.vat?.let(::m)}")
            }
            r.periods.forEachIndexed { j, p ->
                add("receipt[$i].period[$j] from=${q(p.start)} for=${q(p.duration)} energy=${q(p.energy)} charging=${p.charging}")
            }
        }
        f.histories.forEachIndexed { i, h ->
            add("history[$i] message=${h.message}")
            h.months.forEachIndexed { j, month ->
                add("history[$i].month[$j] ${month.year}-${month.month} energy=${q(month.energy)} spent=${month.spent.joinToString(" + ") { m(it) }}")
                month.sessions.forEachIndexed { k, row ->
                    add("history[$i].month[$j].row[$k] ${row.sessionId} at=${row.at} energy=${q(row.energy)} cost=${m(row.cost)} phase=${word(row.phase.name)}")
                }
            }
        }
        f.payments.forEachIndexed { i, p ->
            add("payment[$i] selected=${payment(p.selected)}")
            p.options.forEachIndexed { j, o ->
                add("payment[$i].option[$j] ${payment(o.payment)} ${label(o.method)} default=${o.isDefault} selected=${o.selected}")
            }
        }
        f.wallets.forEachIndexed { i, w ->
            add("wallet[$i] topUps=${w.topUps.joinToString(" ") { m(it) }}")
            w.balances.forEachIndexed { j, b -> add("wallet[$i].balance[$j] available=${m(b.available)} held=${b.held?.let(::m)}") }
            w.methods.forEachIndexed { j, method -> add("wallet[$i].method[$j] ${payment(method.payment)} ${label(method.method)} default=${method.isDefault}") }
        }
        f.cards.forEachIndexed { i, c ->
            add("cards[$i] status=${status(c.status)} busy=${c.busy} pending=${c.pendingCard?.idTag} notice=${c.notice?.let(::notice)}")
            c.cards.forEachIndexed { j, row -> add("cards[$i].card[$j] ${token(row)}") }
            c.contracts.forEachIndexed { j, row -> add("cards[$i].contract[$j] ${token(row)}") }
        }
    }

    private fun status(s: ListStatus) = when (s) {
        ListStatus.Loading -> "loading"
        ListStatus.Loaded -> "loaded"
        is ListStatus.Unavailable -> "unavailable(${s.message})"
    }

    private fun token(row: TokenRow) = "${row.idTag} label=${row.label} blocked=${row.blocked} validUntil=${row.validUntil?.let(formats::date)}"

    private fun notice(n: CardsNotice) = when (n) {
        is CardsNotice.CardAdded -> "cardadded(${n.idTag})"
        is CardsNotice.ContractAdded -> "contractadded(${n.emaid} ${n.issuer} ${formats.date(n.validUntil)})"
        is CardsNotice.Blocked -> "blocked(${n.idTag})"
        is CardsNotice.Unblocked -> "unblocked(${n.idTag})"
        is CardsNotice.Removed -> "removed(${n.idTag})"
        is CardsNotice.Failed -> "failed(${n.message})"
    }

    private fun label(label: PaymentOptionLabel) = when (label) {
        is PaymentOptionLabel.Wallet -> "wallet(${label.available?.let(::m)})"
        is PaymentOptionLabel.Card -> "card(${label.brand} ${label.last4})"
    }

    private fun q(quantity: Quantity) = formats.quantity(quantity)

    /** Money with the locale's spacing removed: ICU (iOS) and the JDK space currency codes differently. */
    private fun m(amount: MoneyAmount) = tight(formats.money(amount))

    private fun price(p: UnitPrice) = "${tight(formats.price(p))} ${word(p.per.name)} vat=${p.vatPercent?.let(formats::percent)}"

    private fun tight(text: String) = text.filterNot { it == ' ' || it == '\u00A0' || it == '\u202F' }

    /** An enum case as one lower-case word, the same from Kotlin's `STOP_PENDING` and Swift's `stopPending`. */
    private fun word(name: String) = name.replace("_", "").lowercase()

    private fun verdict(v: ReceiptVerdict) = when (v) {
        ReceiptVerdict.Verified -> "verified"
        is ReceiptVerdict.Tampered -> "tampered(${v.reason})"
        is ReceiptVerdict.UnknownKey -> "unknownkey(${v.keyId})"
        is ReceiptVerdict.Unchecked -> "unchecked(${v.message})"
    }

    private fun meter(d: MeterDataVerdict) = when (d) {
        MeterDataVerdict.NotSigned -> "notsigned"
        is MeterDataVerdict.Verified -> "verified(${d.meterSerial} ${q(d.energy)})"
        is MeterDataVerdict.Invalid -> "invalid(${d.reason})"
        is MeterDataVerdict.Unsupported -> "unsupported(${d.algorithm})"
        MeterDataVerdict.NoMeterKey -> "nometerkey"
    }

    private fun payment(p: Payment) = when (p) {
        Payment.Default -> "default"
        Payment.Wallet -> "wallet"
        is Payment.Card -> "card(${p.paymentMethodId})"
    }
}
