import ChargeKit
import ChargeKitModels
import Foundation
import Testing

@MainActor
@Suite struct ReceiptAndHistoryModelTests {
    let formats = Formats(locale: Locale(identifier: "en_US"), timeZone: TimeZone(identifier: "UTC")!)

    @Test func receiptItemizesTheBillAsTheCoreComputedIt() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("receipt")
        let session = try await backend.chargeOnce(client)
        let model = ReceiptModel(client: client, sessionID: session.id, formats: formats)
        #expect(model.lines.isEmpty)

        await model.load()
        #expect(model.errorMessage == nil)
        #expect(model.evseID == TestBackend.evseID)
        #expect(model.lines.map(\.kind) == session.costLines.map(\.kind))
        let energy = try #require(model.lines.first { $0.kind == .energy })
        let billedEnergy = try #require(session.costLines.first { $0.kind == .energy })
        #expect(energy.quantity == formats.energy(wattHours: billedEnergy.billedQuantity))
        #expect(energy.unitPrice == "€0.39")
        #expect(energy.vatRate == "19%")
        #expect(energy.amountExclVAT == formats.money(minor: billedEnergy.exclVatMinor, currency: "EUR", digits: 2))
        #expect(model.total == formats.money(minor: session.costMinor, currency: "EUR", digits: 2))
        #expect(model.total.wholeMatch(of: /€\d+\.\d\d/) != nil, "\(model.total)")
        #expect(model.totalVAT == formats.money(minor: session.vatMinor, currency: "EUR", digits: 2))
        #expect(model.startedAt != nil && model.stoppedAt != nil)
        // The lines add up to the total shown.
        #expect(session.costLines.reduce(0) { $0 + $1.exclVatMinor + $1.vatMinor } == session.costMinor)
    }

    @Test func historyGroupsByMonthWithTotalsAndWorksOffline() async throws {
        let backend = try TestBackend()
        let proxy = try backend.proxy()
        let client = try await backend.signedUpDriver("history", through: proxy)
        let first = try await backend.chargeOnce(client)
        let second = try await backend.chargeOnce(client)
        let model = HistoryModel(client: client, formats: formats)

        await model.refresh()
        #expect(model.errorMessage == nil)
        #expect(!model.isRefreshing)
        let month = try #require(model.months.first)
        #expect(model.months.count == 1)
        #expect(month.sessions.map(\.id) == [second.id, first.id], "newest first")
        #expect(month.energy == formats.energy(wattHours: first.energyWh + second.energyWh))
        #expect(month.spent == [formats.money(minor: first.costMinor + second.costMinor, currency: "EUR", digits: 2)])
        let now = Calendar(identifier: .gregorian).dateComponents(in: formats.timeZone, from: Date())
        #expect(month.title == formats.month(year: Int32(now.year!), month: UInt8(now.month!)))
        #expect(month.id == String(format: "%04d-%02d", now.year!, now.month!))
        #expect(month.sessions.allSatisfy { $0.state == .completed })

        // No network: the history stays, and the driver is told why it is not fresh.
        proxy.cut()
        let offline = HistoryModel(client: client, formats: formats)
        await offline.loadCached()
        #expect(offline.months == model.months)
        await offline.refresh()
        #expect(offline.errorMessage != nil)
        #expect(offline.months == model.months)
    }
}
