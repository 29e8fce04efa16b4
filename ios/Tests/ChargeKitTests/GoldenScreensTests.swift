import ChargeKit
import ChargeKitModels
import Foundation
import Testing

/// The golden screens: states the core produced (`tests/golden/screens.json`) drawn by this
/// layer's formatters must read exactly as `tests/golden/screens.en-US.txt`, which the Kotlin
/// suite checks too — so both apps show the same figures and texts for the same state.
@Suite struct GoldenScreensTests {
    let formats = Formats(locale: Locale(identifier: "en_US"), timeZone: TimeZone(identifier: "UTC")!)

    /// Tests/ChargeKitTests/ → the repository's tests/golden.
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tests/golden")

    @Test func theCoresGoldenScreensReadTheSameAsOnAndroid() throws {
        let json = try String(contentsOf: Self.golden.appendingPathComponent("screens.json"), encoding: .utf8)
        let fixtures = try decodeScreenFixtures(json: json)
        let expected = try String(contentsOf: Self.golden.appendingPathComponent("screens.en-US.txt"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init).dropLast()
        let rendered = render(fixtures)
        #expect(rendered.count == expected.count)
        for (line, (got, want)) in zip(rendered, expected).enumerated() {
            #expect(got == want, "line \(line + 1)")
        }
    }

    private func render(_ f: ScreenFixtures) -> [String] {
        var out: [String] = []
        for (i, s) in f.live.enumerated() {
            out.append("live[\(i)] phase=\(word(s.phase)) energy=\(q(s.energy)) power=\(q(s.power)) cost=\(m(s.cost)) elapsed=\(q(s.elapsed)) canStop=\(s.canStop) finished=\(s.finished) by=\(word(s.authMethod))")
        }
        for (i, c) in f.chargers.enumerated() {
            out.append("charger[\(i)] \(c.evseId) availability=\(word(c.availability)) canStart=\(c.canStart) currency=\(c.currency)")
            for (j, p) in c.prices.enumerated() { out.append("charger[\(i)].price[\(j)] \(price(p))") }
        }
        for (i, r) in f.receipts.enumerated() {
            out.append("receipt[\(i)] phase=\(word(r.phase)) verdict=\(verdict(r.verdict)) warning=\(r.warning) energy=\(q(r.energy)) duration=\(q(r.duration)) charging=\(opt(r.chargingTime.map(q))) parking=\(opt(r.parkingTime.map(q)))")
            out.append("receipt[\(i)] net=\(m(r.net)) vat=\(m(r.vat)) total=\(m(r.total)) meter=\(opt(r.meterData.map(meter))) failure=\(opt(r.failureReason))")
            for (j, l) in r.lines.enumerated() {
                out.append("receipt[\(i)].line[\(j)] \(word(l.kind)) \(q(l.quantity)) x \(price(l.unitPrice)) = \(m(l.amount)) vat=\(opt(l.vat.map(m)))")
            }
            for (j, p) in r.periods.enumerated() {
                out.append("receipt[\(i)].period[\(j)] from=\(q(p.start)) for=\(q(p.duration)) energy=\(q(p.energy)) charging=\(p.charging)")
            }
        }
        for (i, h) in f.histories.enumerated() {
            out.append("history[\(i)] message=\(opt(h.message))")
            for (j, month) in h.months.enumerated() {
                out.append("history[\(i)].month[\(j)] \(month.year)-\(month.month) energy=\(q(month.energy)) spent=\(month.spent.map(m).joined(separator: " + "))")
                for (k, row) in month.sessions.enumerated() {
                    out.append("history[\(i)].month[\(j)].row[\(k)] \(row.sessionId) at=\(row.at) energy=\(q(row.energy)) cost=\(m(row.cost)) phase=\(word(row.phase))")
                }
            }
        }
        for (i, p) in f.payments.enumerated() {
            out.append("payment[\(i)] selected=\(payment(p.selected))")
            for (j, o) in p.options.enumerated() {
                out.append("payment[\(i)].option[\(j)] \(payment(o.payment)) \(label(o.method)) default=\(o.isDefault) selected=\(o.selected)")
            }
        }
        for (i, w) in f.wallets.enumerated() {
            out.append("wallet[\(i)] topUps=\(w.topUps.map(m).joined(separator: " "))")
            for (j, b) in w.balances.enumerated() { out.append("wallet[\(i)].balance[\(j)] available=\(m(b.available)) held=\(opt(b.held.map(m)))") }
            for (j, method) in w.methods.enumerated() {
                out.append("wallet[\(i)].method[\(j)] \(payment(method.payment)) \(label(method.method)) default=\(method.isDefault)")
            }
        }
        for (i, c) in f.cards.enumerated() {
            out.append("cards[\(i)] status=\(status(c.status)) busy=\(c.busy) pending=\(opt(c.pendingCard?.idTag)) notice=\(opt(c.notice.map(notice)))")
            for (j, row) in c.cards.enumerated() { out.append("cards[\(i)].card[\(j)] \(token(row))") }
            for (j, row) in c.contracts.enumerated() { out.append("cards[\(i)].contract[\(j)] \(token(row))") }
        }
        return out
    }

    private func status(_ s: ListStatus) -> String {
        switch s {
        case .loading: "loading"
        case .loaded: "loaded"
        case .unavailable(let message): "unavailable(\(message))"
        }
    }

    private func token(_ row: TokenRow) -> String {
        "\(row.idTag) label=\(opt(row.label)) blocked=\(row.blocked) validUntil=\(opt(row.validUntil.map { formats.date(unixSeconds: $0) }))"
    }

    private func notice(_ n: CardsNotice) -> String {
        switch n {
        case .cardAdded(let idTag): "cardadded(\(idTag))"
        case .contractAdded(let emaid, let issuer, let validUntil): "contractadded(\(emaid) \(issuer) \(formats.date(unixSeconds: validUntil)))"
        case .blocked(let idTag): "blocked(\(idTag))"
        case .unblocked(let idTag): "unblocked(\(idTag))"
        case .removed(let idTag): "removed(\(idTag))"
        case .failed(let message): "failed(\(message))"
        }
    }

    private func label(_ label: PaymentOptionLabel) -> String {
        switch label {
        case .wallet(let available): "wallet(\(opt(available.map(m))))"
        case .card(let brand, let last4): "card(\(opt(brand)) \(opt(last4)))"
        }
    }

    private func q(_ quantity: Quantity) -> String { formats.quantity(quantity) }

    /// Money with the locale's spacing removed: ICU and the JDK space currency codes differently.
    private func m(_ amount: MoneyAmount) -> String { tight(formats.money(amount)) }

    private func price(_ p: UnitPrice) -> String {
        "\(tight(formats.price(p))) \(word(p.per)) vat=\(opt(p.vatPercent.map(formats.percent)))"
    }

    private func tight(_ text: String) -> String { text.filter { $0 != " " && $0 != "\u{00A0}" && $0 != "\u{202F}" } }

    /// An enum case as one lower-case word, the same from Swift's `stopPending` and Kotlin's `STOP_PENDING`.
    private func word(_ value: some Any) -> String { "\(value)".lowercased() }

    /// Kotlin prints an absent value as `null`.
    private func opt(_ text: String?) -> String { text ?? "null" }

    private func verdict(_ v: ReceiptVerdict) -> String {
        switch v {
        case .verified: "verified"
        case .tampered(let reason): "tampered(\(reason))"
        case .unknownKey(let keyID): "unknownkey(\(keyID))"
        case .unchecked(let message): "unchecked(\(opt(message)))"
        }
    }

    private func meter(_ d: MeterDataVerdict) -> String {
        switch d {
        case .notSigned: "notsigned"
        case .verified(let serial, let energy): "verified(\(opt(serial)) \(q(energy)))"
        case .invalid(let reason): "invalid(\(reason))"
        case .unsupported(let algorithm): "unsupported(\(algorithm))"
        case .noMeterKey: "nometerkey"
        }
    }

    private func payment(_ p: Payment) -> String {
        switch p {
        case .default: "default"
        case .wallet: "wallet"
        case .card(let id): "card(\(id))"
        }
    }
}
