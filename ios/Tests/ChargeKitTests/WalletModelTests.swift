import ChargeKit
import ChargeKitModels
import Foundation
import Testing

/// Paying from the wallet through the Swift API, `WalletModel` and the start flow of
/// `FindChargerModel`, against a server that allows test money and holds 30 € per session.
@MainActor
@Suite struct WalletModelTests {
    let formats = Formats(locale: Locale(identifier: "de_DE"), timeZone: TimeZone(identifier: "Europe/Berlin")!)
    static let payments: [String: any Sendable] = ["free_top_ups": true, "hold_minor": 3000]

    @Test func walletPaysASessionHeldWhileChargingAndCapturedAfterTheStop() async throws {
        let backend = try TestBackend(payments: Self.payments)
        let client = try await backend.signedUpDriver("wallet")

        // Too little in the wallet: refused before the charger is asked, and no session.
        try await client.topUp(amountMinor: 1_000, currency: "EUR")
        #expect(try await client.wallet() == [WalletBalanceInfo(currency: "EUR", currencyDigits: 2, availableMinor: 1_000, heldMinor: 0)])
        let refused = await thrownFailure { () async throws(ChargeKitFailure) in
            try await client.startSession(at: TestBackend.evseID, paying: .wallet)
        }
        #expect(refused?.kind == .paymentRefused)
        #expect(refused?.message.contains("Top up") == true, "\(String(describing: refused))")
        #expect(try await client.activeSession() == nil)
        #expect(try await client.syncHistory(limit: 10).isEmpty, "no session was started")

        try await client.topUp(amountMinor: 4_000, currency: "EUR")
        let session = try await client.startSession(at: TestBackend.evseID, paying: .wallet)
        let held = try await client.sessionPayment(session.id)
        #expect(held.isWallet && held.state == .held && held.heldMinor == 3_000)
        #expect(try await client.wallet() == [WalletBalanceInfo(currency: "EUR", currencyDigits: 2, availableMinor: 2_000, heldMinor: 3_000)])
        #expect(try await client.activeSession()?.id == session.id)

        try await eventually("energy was metered") { try await client.session(session.id).energyWh > 0 }
        _ = try await client.stopSession(session.id)
        try await eventually("the session completed") { try await client.session(session.id).state == .completed }
        try await eventually("the payment was captured") { try await client.sessionPayment(session.id).state == .captured }
        let cost = try await client.session(session.id).costMinor
        #expect(cost > 0)
        #expect(try await client.sessionPayment(session.id).capturedMinor == cost)
        #expect(try await client.wallet() == [WalletBalanceInfo(currency: "EUR", currencyDigits: 2, availableMinor: 5_000 - cost, heldMinor: 0)])
    }

    @Test func walletModelAndStartFlowPayAsChosenAndShowARefusal() async throws {
        let backend = try TestBackend(payments: Self.payments)
        let client = try await backend.signedUpDriver("wallet-model")
        let wallet = WalletModel(client: client, currency: "EUR")
        await wallet.refresh()
        #expect(wallet.state.status == .loaded)
        #expect(wallet.state.wallet.balances.isEmpty)
        #expect(wallet.state.wallet.topUps.map(\.minor) == [1_000, 2_000, 5_000])
        #expect(wallet.state.wallet.topUps.map(formats.money) == ["10,00\u{a0}€", "20,00\u{a0}€", "50,00\u{a0}€"])
        let walletMethod = try #require(wallet.state.wallet.methods.first)
        #expect(wallet.state.wallet.methods.count == 1)
        #expect(walletMethod.method == .wallet(available: nil) && walletMethod.payment == .wallet)

        await wallet.topUp(wallet.state.wallet.topUps[0])
        #expect(wallet.state.message == nil)
        #expect(wallet.state.wallet.balances.map { formats.money($0.available) } == ["10,00\u{a0}€"])
        #expect(wallet.state.wallet.balances.first?.held == nil)
        await wallet.makeDefault(walletMethod)
        #expect(wallet.state.wallet.methods.first?.isDefault == true)
        // No card provider on this backend: adding a card is refused with the core's sentence.
        await wallet.addCard(paymentMethodID: "pm_card_visa", brand: "visa", last4: "4242")
        #expect(wallet.state.message?.isEmpty == false)
        #expect(!wallet.state.busy)

        // The start flow offers the wallet with its balance, checked as the default; 10 € do not
        // cover the hold, so the start is refused with the core's sentence.
        let find = FindChargerModel(client: client)
        await find.scanned(TestBackend.evseID)
        guard case .found(let charger) = find.screen.step else {
            Issue.record("expected a charger, got \(find.screen.step)")
            return
        }
        let option = try #require(find.screen.payment.options.first)
        #expect(find.screen.payment.options.count == 1)
        #expect(option.payment == .wallet)
        guard case .wallet(let available?) = option.method else {
            Issue.record("expected the wallet with its balance, got \(option.method)")
            return
        }
        #expect(formats.money(available) == "10,00\u{a0}€")
        #expect(option.isDefault && option.selected)
        find.choose(.wallet)
        #expect(find.screen.payment.selected == .wallet)
        await find.start()
        guard case .failed(let message, let refusedAt) = find.screen.step else {
            Issue.record("expected a refusal, got \(find.screen.step)")
            return
        }
        #expect(message.contains("Top up"))
        #expect(refusedAt == charger, "the refusal keeps the charger shown")
        #expect(try await client.activeSession() == nil)

        // Enough in the wallet: the start goes through; the wallet shows what is held.
        await wallet.topUp(try #require(wallet.state.wallet.topUps.last))
        await find.scanned(TestBackend.evseID)
        await find.start()
        guard case .started(let sessionID) = find.screen.step else {
            Issue.record("expected a started session, got \(find.screen.step)")
            return
        }
        await wallet.refresh()
        #expect(wallet.state.wallet.balances.first?.held.map(formats.money) == "30,00\u{a0}€")
        #expect(wallet.state.wallet.balances.first.map { formats.money($0.available) } == "30,00\u{a0}€")

        // Opened again, the find screen offers the session going on.
        let reopened = FindChargerModel(client: client)
        await reopened.checkActiveSession()
        #expect(reopened.screen.step == .ongoing(sessionId: sessionID, evseId: TestBackend.evseID, authMethod: .app))

        try await eventually("energy was metered") { try await client.session(sessionID).energyWh > 0 }
        _ = try await client.stopSession(sessionID)
        try await eventually("the payment was captured") { try await client.sessionPayment(sessionID).state == .captured }
    }
}
