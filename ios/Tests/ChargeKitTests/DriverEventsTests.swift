import ChargeKit
import Foundation
import Testing

/// The driver-event stream through the real core and server: typed kinds, stable ids, and the
/// events recorded while nobody listened handed over first.
@Suite struct DriverEventsTests {
    @Test func aSessionsStartAndFinishAreToldOnceWithTheReceiptsFigures() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("events")
        let done = try await backend.chargeOnce(client)

        var told: [DriverEvent] = []
        for await event in client.driverEvents {
            told.append(event)
            if told.count == 2 { break }
        }
        #expect(told.map(\.id) == ["\(done.id)/charging_started", "\(done.id)/session_finished"])
        #expect(told[0].evseId == TestBackend.evseID)
        guard case let .sessionFinished(energyWh, total, receiptReady) = told[1].kind else {
            Issue.record("not a finish: \(told[1])")
            return
        }
        #expect(energyWh == done.energyWh)
        #expect(total.minor == done.costMinor)
        #expect(receiptReady)
    }
}
