import ChargeKit
import Testing

/// The whole journey through the Swift API, against the real core, server and simulator.
@Suite struct JourneyTests {
    @Test func scanStartWatchStopAndFindItInHistory() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("journey")
        #expect(client.account != nil)

        let evseID = try client.evseID(from: "https://qr.example/c?evseid=de*ckt*e0001*1")
        #expect(evseID == TestBackend.evseID)
        let started = try await client.startSession(at: evseID)
        #expect(started.evseId == evseID)
        #expect(!started.isFinal)

        // Watches until the session is final; stops once kWh and cost have each risen twice.
        let updates = try await cancelling(after: 90) {
            var updates: [SessionInfo] = []
            var stopped = false
            for await update in client.liveSession(started.id) {
                updates.append(update)
                if !stopped, Self.hasRisenTwice(updates.filter { $0.state == .charging }) {
                    stopped = true
                    let stopping = try await client.stopSession(started.id)
                    #expect(!stopping.stopPending)
                }
            }
            return updates
        }

        let charging = updates.filter { $0.state == .charging }
        #expect(Self.hasRisenTwice(charging), "kWh and cost rose while charging: \(charging.map { ($0.energyWh, $0.costMinor) })")
        #expect(zip(updates, updates.dropFirst()).allSatisfy { $0.energyWh <= $1.energyWh && $0.costMinor <= $1.costMinor })
        let last = try #require(updates.last)
        #expect(last.state == .completed, "the stream ended with the session completed, not cancelled")
        #expect(last.isFinal)

        let synced = try await client.syncHistory(limit: 10)
        let inHistory = try #require(synced.first { $0.id == started.id })
        #expect(inHistory.state == .completed)
        #expect(inHistory.energyWh > 0)
        #expect(inHistory.costMinor > 0)
        #expect(inHistory.currency == "EUR")
        #expect(try await client.history(limit: 10).map(\.id) == [started.id])
    }

    /// Energy went up from one update to the next at least twice, and so did the cost (in
    /// whole cents it need not rise with every meter value).
    static func hasRisenTwice(_ updates: [SessionInfo]) -> Bool {
        let pairs = zip(updates, updates.dropFirst())
        return pairs.filter { $0.energyWh < $1.energyWh }.count >= 2 && pairs.filter { $0.costMinor < $1.costMinor }.count >= 2
    }
}
