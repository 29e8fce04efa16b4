/// Where the driver's sign-in stands, as an `AsyncStream` over the core's auth-state listener.
extension CoreChargeKitClient {
    /// The sign-in's state at once, then every change: signed in, signed out, or `.revoked` when
    /// the backend refused to refresh it (expired, or revoked elsewhere). The app's root
    /// iterates it to show the sign-in screen. A slow reader gets the newest state; ending the
    /// iteration (break, or cancelling the task) ends the core's subscription.
    public var authStates: AsyncStream<AuthState> {
        stream { core.observeAuthState(listener: Relay($0)) }
    }
}
