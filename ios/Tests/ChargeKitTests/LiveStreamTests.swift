@testable import ChargeKit
import Testing

/// However a live stream ends, the core's subscription ends with it and lets go of the listener.
@Suite struct LiveStreamTests {
    @Test func cancellingTheConsumingTaskReleasesTheCoreListener() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("cancel")
        let session = try await client.startSession(at: TestBackend.evseID)

        let subscription = client.subscribe(to: session.id)
        let handle = subscription.handle
        let firstUpdate = AsyncStream.makeStream(of: SessionInfo.self)
        let consumer = Task {
            for await update in subscription.stream {
                firstUpdate.continuation.yield(update)
            }
        }
        var updates = firstUpdate.stream.makeAsyncIterator()
        let first = await updates.next()
        #expect(first?.id == session.id, "the current state comes at once")
        #expect(!handle.isFinished())
        #expect(client.core.activeObservers() == 1)

        consumer.cancel()
        await consumer.value
        try await eventually("the core's subscription ended") {
            handle.isFinished() && client.core.activeObservers() == 0
        }
    }

    @Test func breakingOutOfTheLoopReleasesTheCoreListener() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("break")
        let session = try await client.startSession(at: TestBackend.evseID)

        let handle: TaskHandle
        do {
            let subscription = client.subscribe(to: session.id)
            handle = subscription.handle
            for await update in subscription.stream {
                #expect(update.id == session.id)
                #expect(client.core.activeObservers() == 1)
                break
            }
        }
        // The stream is gone with the loop and the scope.
        try await eventually("the core's subscription ended") {
            handle.isFinished() && client.core.activeObservers() == 0
        }
    }

    @Test func aFinalSessionEndsTheStreamAndTheSubscription() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("final")
        let session = try await client.startSession(at: TestBackend.evseID)
        try await eventually("charging") { try await client.session(session.id).state == .charging }
        _ = try await client.stopSession(session.id)
        try await eventually("completed") { try await client.session(session.id).isFinal }

        let subscription = client.subscribe(to: session.id)
        let handle = subscription.handle
        let states = try await cancelling(after: 30) {
            var states: [SessionState] = []
            for await update in subscription.stream { states.append(update.state) }
            return states
        }
        #expect(states == [.completed], "the current, final state once, then the end")
        try await eventually("the core's subscription ended") {
            handle.isFinished() && client.core.activeObservers() == 0
        }
    }
}
