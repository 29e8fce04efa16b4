import ChargeKit
import ChargeKitModels
import Foundation
import Testing

@MainActor
@Suite struct FindChargerModelTests {
    let formats = Formats(locale: Locale(identifier: "en_US"), timeZone: TimeZone(identifier: "UTC")!)

    @Test func scanLooksUpTheChargerThenStartsCharging() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("find")
        let model = FindChargerModel(client: client)
        let following = Task { await model.follow() }
        defer { following.cancel() }
        let states = Transitions { model.screen.step }

        await model.scanned("https://qr.example/c?evse=DE*CKT*E0001*1")
        guard case .found(let charger) = model.screen.step else {
            Issue.record("expected a charger, got \(model.screen.step)")
            return
        }
        #expect(charger.evseId == TestBackend.evseID)
        #expect(charger.availability == .available)
        #expect(charger.canStart)
        // The server's default tariff: 0.39 EUR per kWh and 1.20 EUR per hour, plus 19 % VAT.
        #expect(charger.prices.map(\.per) == [.perKilowattHour, .perHour])
        #expect(charger.prices.map(formats.price) == ["€0.39", "€1.20"])
        #expect(charger.prices.map { $0.vatPercent.map(formats.percent) } == ["19%", "19%"])
        // The steps in between come from the core's stream, in order; each is the core's state
        // when read, so one the core passed quickly may be skipped, never shown after a later one.
        let looking = FindChargerStep.looking(evseId: TestBackend.evseID)
        try await eventually("the model showed found") { states.values.last == .found(charger: charger) }
        #expect(states.values.allSatisfy { [.idle, looking, .found(charger: charger)].contains($0) }, "\(states.values)")
        #expect(states.values.first == .idle)
        #expect(model.screen.payment.selected == .default)

        await model.start()
        guard case .started(let sessionID) = model.screen.step else {
            Issue.record("expected a started session, got \(model.screen.step)")
            return
        }
        #expect(try await client.session(sessionID).evseId == TestBackend.evseID)
        try await eventually("the model showed started") { states.values.last == .started(sessionId: sessionID) }
        let starting = FindChargerStep.starting(charger: charger)
        #expect(states.values.drop { $0 != .found(charger: charger) }.allSatisfy { [.found(charger: charger), starting, .started(sessionId: sessionID)].contains($0) })
        await model.start()
        #expect(model.screen.step == .started(sessionId: sessionID), "Start once: a second tap starts nothing")

        // Shown again while the session goes on (as after a restart): it is offered.
        let again = FindChargerModel(client: client)
        await again.checkActiveSession()
        #expect(again.screen.step == .ongoing(sessionId: sessionID, evseId: TestBackend.evseID, authMethod: .app))
    }

    @Test func typedIDOfAnUnknownChargerFails() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("find-unknown")
        _ = try await client.signUp(email: "find-unknown@example.com", password: TestBackend.password)
        let model = FindChargerModel(client: client)

        model.typedID = "DECKTE99991"
        await model.submitTypedID()
        guard case .failed(let message, nil) = model.screen.step else {
            Issue.record("expected a failure, got \(model.screen.step)")
            return
        }
        #expect(!message.isEmpty)
    }

    @Test func unreadableCodeFailsWithTheCoresSentence() async throws {
        let client = try ErrorMappingTests.offlineClient()
        let model = FindChargerModel(client: client)
        await model.scanned("not a charger")
        let expected = try #require(Self.failure { () throws(ChargeKitFailure) in try client.evseID(from: "not a charger") })
        #expect(model.screen.step == .failed(message: expected.message, charger: nil))

        model.reset()
        #expect(model.screen.step == .idle)
        #expect(model.typedID.isEmpty)
    }

    private static func failure(_ call: () throws(ChargeKitFailure) -> String) -> ChargeKitFailure? {
        do {
            _ = try call()
            return nil
        } catch {
            return error
        }
    }
}
