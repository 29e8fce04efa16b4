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
        let model = LiveSessionModel(client: client, sessionID: try await client.startSession(at: TestBackend.evseID).id)
        let phases = Transitions { model.screen?.phase }
        let following = Task { await model.follow() }

        try await eventually("charging with energy metered") { model.screen?.phase == .charging && (model.screen?.energy.value.units ?? 0) > 0 }
        let charging = try #require(model.screen)
        #expect(charging.canStop)
        #expect(formats.quantity(charging.power) == "50.0 kW")
        #expect(formats.quantity(charging.energy).wholeMatch(of: /\d+\.\d\d\d kWh/) != nil, "\(charging.energy)")
        #expect(formats.money(charging.cost).wholeMatch(of: /€\d+\.\d\d/) != nil, "\(charging.cost)")
        #expect(formats.quantity(charging.elapsed).wholeMatch(of: /\d+:\d\d:\d\d/) != nil)
        #expect(charging.startedAt != nil)

        proxy.cut()
        await model.stop()
        #expect(model.errorMessage == nil)
        try await eventually("stop pending") { model.screen?.phase == .stopPending }
        #expect(model.screen?.canStop == false)
        #expect(model.screen?.finished == false)

        proxy.restore()
        try await eventually("the stop was delivered and the session completed", timeout: 60) { model.screen?.phase == .completed }
        #expect(model.screen?.finished == true)
        await following.value // the stream ended with the final state
        try await eventually("every phase was seen") { phases.values.last == .completed }
        let firstSeen = [SessionPhase.charging, .stopPending, .completed].compactMap { phases.values.firstIndex(of: $0) }
        #expect(firstSeen.count == 3 && firstSeen == firstSeen.sorted(), "\(phases.values)")
    }

    /// A double tap on Stop: one stop goes out, and Stop is not offered while it is on its way.
    @Test func stopWithNetworkGoesThroughStoppingToCompleted() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("live-stop")
        let model = LiveSessionModel(client: client, sessionID: try await client.startSession(at: TestBackend.evseID).id)
        let phases = Transitions { model.screen?.phase }
        let following = Task { await model.follow() }

        try await eventually("charging") { model.screen?.phase == .charging }
        async let first: Void = model.stop()
        async let second: Void = model.stop()
        _ = await (first, second)
        #expect(model.errorMessage == nil)
        await following.value
        #expect(model.screen?.phase == .completed)
        try await eventually("every phase was seen") { phases.values.last == .completed }
        #expect(!phases.values.contains(.stopPending))
    }

    @Test func germanLocaleFormatsTheLiveFigures() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("live-de")
        let german = Formats(locale: Locale(identifier: "de_DE"), timeZone: TimeZone(identifier: "Europe/Berlin")!)
        let model = LiveSessionModel(client: client, sessionID: try await client.startSession(at: TestBackend.evseID).id)
        let following = Task { await model.follow() }
        defer { following.cancel() }

        try await eventually("charging with a cost") { model.screen?.phase == .charging && (model.screen?.cost.minor ?? 0) > 0 }
        let screen = try #require(model.screen)
        #expect(german.quantity(screen.power) == "50,0 kW")
        #expect(german.quantity(screen.energy).wholeMatch(of: /\d+,\d\d\d kWh/) != nil)
        #expect(german.money(screen.cost).replacingOccurrences(of: "\u{00A0}", with: " ").wholeMatch(of: /\d+,\d\d €/) != nil)
    }
}
