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
        let model = ReceiptModel(client: client, sessionID: session.id)
        #expect(model.screen == nil)

        await model.load()
        #expect(model.errorMessage == nil)
        let receipt = try #require(model.screen)
        #expect(receipt.evseId == TestBackend.evseID)
        #expect(receipt.verdict == .verified && !receipt.warning)
        #expect(receipt.lines.map(\.kind) == session.costLines.map(\.kind))
        let energy = try #require(receipt.lines.first { $0.kind == .energy })
        let billedEnergy = try #require(session.costLines.first { $0.kind == .energy })
        #expect(energy.quantity.value.units == billedEnergy.billedQuantity)
        #expect(formats.price(energy.unitPrice) == "€0.39")
        #expect(energy.unitPrice.vatPercent.map(formats.percent) == "19%")
        #expect(energy.amount.minor == billedEnergy.exclVatMinor)
        #expect(receipt.total.minor == session.costMinor)
        #expect(formats.money(receipt.total).wholeMatch(of: /€\d+\.\d\d/) != nil)
        #expect(receipt.vat.minor == session.vatMinor)
        #expect(receipt.startedAt != nil && receipt.endedAt != nil)
        // The lines add up to the total shown.
        #expect(session.costLines.reduce(0) { $0 + $1.exclVatMinor + $1.vatMinor } == session.costMinor)
    }

    @Test func historyGroupsByMonthWithTotalsAndWorksOffline() async throws {
        let backend = try TestBackend()
        let proxy = try backend.proxy()
        let client = try await backend.signedUpDriver("history", through: proxy)
        let first = try await backend.chargeOnce(client)
        let second = try await backend.chargeOnce(client)
        let model = HistoryModel(client: client, timeZoneID: "UTC")

        await model.refresh()
        #expect(model.screen.message == nil)
        #expect(!model.isRefreshing)
        let month = try #require(model.screen.months.first)
        #expect(model.screen.months.count == 1)
        #expect(month.sessions.map(\.sessionId) == [second.id, first.id], "newest first")
        #expect(month.energy.value.units == first.energyWh + second.energyWh)
        #expect(month.spent.map(\.minor) == [first.costMinor + second.costMinor])
        let now = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date())
        #expect(month.year == Int32(now.year!) && month.month == UInt8(now.month!))
        #expect(month.sessions.allSatisfy { $0.phase == .completed })

        // No network: the history stays, and the driver is told why it is not fresh.
        proxy.cut()
        let offline = HistoryModel(client: client, timeZoneID: "UTC")
        await offline.loadCached()
        #expect(offline.screen.months == model.screen.months)
        await offline.refresh()
        #expect(offline.screen.message != nil)
        #expect(offline.screen.months == model.screen.months)
    }

    /// A zone id the tz database does not know is a message on the screen, not a crash.
    @Test func anUnknownZoneIsAMessage() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("history-zone")
        let model = HistoryModel(client: client, timeZoneID: "Mars/Olympus")
        await model.loadCached()
        #expect(model.screen.months.isEmpty)
        #expect(model.screen.message?.contains("Mars/Olympus") == true)
    }
}
