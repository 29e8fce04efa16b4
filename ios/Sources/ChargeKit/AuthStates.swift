/// Where the driver's sign-in stands, as an `AsyncStream` over the core's auth-state listener.
extension CoreChargeKitClient {
    /// The sign-in's state at once, then every change: signed in, signed out, or `.Revoked` when
    /// the backend refused to refresh it (expired, or revoked elsewhere). The app's root
    /// iterates it to show the sign-in screen. A slow reader gets the newest state; ending the
    /// iteration (break, or cancelling the task) ends the core's subscription.
    public var authStates: AsyncStream<AuthState> {
        let (stream, continuation) = AsyncStream.makeStream(of: AuthState.self, bufferingPolicy: .bufferingNewest(1))
        let handle = core.observeAuthState(listener: AuthStateStreamingListener(continuation))
        continuation.onTermination = { _ in handle.cancel() }
        return stream
    }
}

/// Hands the core's auth states to a stream. `Sendable` without help: its only state is the
/// continuation, which is `Sendable` and safe to call from any thread.
final class AuthStateStreamingListener: AuthStateListener {
    private let continuation: AsyncStream<AuthState>.Continuation

    init(_ continuation: AsyncStream<AuthState>.Continuation) {
        self.continuation = continuation
    }

    func onAuthState(state: AuthState) {
        continuation.yield(state)
    }
}
