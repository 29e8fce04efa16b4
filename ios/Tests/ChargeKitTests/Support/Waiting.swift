import Foundation

/// Polls `condition` every 50 ms until it holds; throws when `timeout` seconds pass first.
/// Runs on the caller's actor, so the condition may read a main-actor model. The timeout is a bound on waiting for something that happens at its own pace (a charger
/// connecting, a meter value), never an assertion of speed.
func eventually(
    _ what: String,
    timeout: Double = 20,
    isolation: isolated (any Actor)? = #isolation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + .seconds(timeout)
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestFailure("timed out after \(timeout) s waiting until \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Runs `body`, cancelling it after `timeout` seconds; a body that ends on cancellation (such
/// as a `for await` over a live stream) returns what it had. Keeps a stream that never ends
/// from hanging the test run.
func cancelling<T: Sendable>(after timeout: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let work = Task { try await body() }
    let watchdog = Task {
        try await Task.sleep(for: .seconds(timeout))
        work.cancel()
    }
    defer { watchdog.cancel() }
    return try await work.value
}
