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
        let states = Transitions { model.state }

        await model.scanned("https://qr.example/c?evse=DE*CKT*E0001*1")
        guard case .found(let charger) = model.state else {
            Issue.record("expected a charger, got \(model.state)")
            return
        }
        #expect(charger.evseId == TestBackend.evseID)
        #expect(charger.availability == .available)
        #expect(charger.canStart)
        // The server's default tariff: 0.39 EUR per kWh and 1.20 EUR per hour, plus 19 % VAT.
        #expect(charger.prices.map(\.per) == [.perKilowattHour, .perHour])
        #expect(charger.prices.map(formats.price) == ["€0.39", "€1.20"])
        #expect(charger.prices.map { $0.vatPercent.map(formats.percent) } == ["19%", "19%"])
        try await eventually("the model showed looking, then found") { states.values.count == 3 }
        #expect(states.values == [.idle, .looking, .found(charger)])

        await model.start()
        guard case .started(let session) = model.state else {
            Issue.record("expected a started session, got \(model.state)")
            return
        }
        #expect(session.evseId == TestBackend.evseID)
        try await eventually("the model showed starting, then started") { states.values.count == 5 }
        #expect(states.values.suffix(2) == [.starting(charger), .started(session)])
    }

    @Test func typedIDOfAnUnknownChargerFails() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("find-unknown")
        _ = try await client.signUp(email: "find-unknown@example.com", password: TestBackend.password)
        let model = FindChargerModel(client: client)
        let states = Transitions { model.state }

        model.typedID = "DECKTE99991"
        await model.submitTypedID()
        guard case .failed(let message) = model.state else {
            Issue.record("expected a failure, got \(model.state)")
            return
        }
        #expect(!message.isEmpty)
        try await eventually("the model showed looking, then the failure") { states.values.count == 3 }
        #expect(states.values == [.idle, .looking, .failed(message)])
    }

    @Test func unreadableCodeFailsWithTheCoresSentence() async throws {
        let client = try ErrorMappingTests.offlineClient()
        let model = FindChargerModel(client: client)
        await model.scanned("not a charger")
        let expected = try #require(Self.failure { () throws(ChargeKitFailure) in try client.evseID(from: "not a charger") })
        #expect(model.state == .failed(expected.message))

        model.reset()
        #expect(model.state == .idle)
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
