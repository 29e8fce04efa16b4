import ChargeKit
import ChargeKitModels
import Foundation
import Testing

@MainActor
@Suite struct LiveSessionModelTests {
    let formats = Formats(locale: Locale(identifier: "en_US"), timeZone: TimeZone(identifier: "UTC")!)

    /// Charging, then a stop tapped with no network (shown as pending), then the network
    /// returns and the session completes.
    @Test func chargingThenStopPendingThenCompleted() async throws {
        let backend = try TestBackend()
        let proxy = try backend.proxy()
        let client = try await backend.signedUpDriver("live", through: proxy)
        let model = LiveSessionModel(client: client, session: try await client.startSession(at: TestBackend.evseID), formats: formats)
        let phases = Transitions { model.phase }
        let following = Task { await model.follow() }

        try await eventually("charging with energy metered") { model.phase == .charging && model.session.energyWh > 0 }
        #expect(model.canStop)
        #expect(model.power == "50.0 kW")
        #expect(model.energy.wholeMatch(of: /\d+\.\d\d kWh/) != nil, "\(model.energy)")
        #expect(model.cost.wholeMatch(of: /€\d+\.\d\d/) != nil, "\(model.cost)")
        #expect(model.elapsed.wholeMatch(of: /\d+:\d\d:\d\d/) != nil, "\(model.elapsed)")
        #expect(model.startedAt != nil)

        proxy.cut()
        await model.stop()
        #expect(model.errorMessage == nil)
        #expect(model.phase == .stopPending)
        #expect(!model.canStop)
        #expect(!model.isFinished)

        proxy.restore()
        try await eventually("the stop was delivered and the session completed", timeout: 60) { model.phase == .completed }
        #expect(model.isFinished)
        await following.value // the stream ended with the final state
        try await eventually("every phase was seen") { phases.values.last == .completed }
        // The order the driver saw them in. Between the stop's delivery and the backend's
        // next update the core shows the last live state again, so only the order of first
        // appearances is pinned.
        let firstSeen = [LiveSessionModel.Phase.charging, .stopPending, .completed].compactMap { phases.values.firstIndex(of: $0) }
        #expect(firstSeen.count == 3 && firstSeen == firstSeen.sorted(), "\(phases.values)")
        #expect(model.cost == formats.money(minor: model.session.costMinor, currency: "EUR", digits: 2))
    }

    @Test func stopWithNetworkGoesThroughStoppingToCompleted() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("live-stop")
        let model = LiveSessionModel(client: client, session: try await client.startSession(at: TestBackend.evseID), formats: formats)
        let phases = Transitions { model.phase }
        let following = Task { await model.follow() }

        try await eventually("charging") { model.phase == .charging }
        await model.stop()
        #expect(model.errorMessage == nil)
        #expect([.stopping, .completed].contains(model.phase), "\(model.phase)")
        await following.value
        #expect(model.phase == .completed)
        try await eventually("every phase was seen") { phases.values.last == .completed }
        #expect(!phases.values.contains(.stopPending))
    }

    @Test func germanLocaleFormatsTheLiveFigures() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("live-de")
        let german = Formats(locale: Locale(identifier: "de_DE"), timeZone: TimeZone(identifier: "Europe/Berlin")!)
        let model = LiveSessionModel(client: client, session: try await client.startSession(at: TestBackend.evseID), formats: german)
        let following = Task { await model.follow() }
        defer { following.cancel() }

        try await eventually("charging with a cost") { model.phase == .charging && model.session.costMinor > 0 }
        #expect(model.power == "50,0 kW")
        #expect(model.energy.wholeMatch(of: /\d+,\d\d kWh/) != nil, "\(model.energy)")
        #expect(model.cost.replacingOccurrences(of: "\u{00A0}", with: " ").wholeMatch(of: /\d+,\d\d €/) != nil, "\(model.cost)")
    }
}
