/// The screens that take commands (find a charger, cards & contracts, the wallet) as
/// `AsyncStream`s of their states, over the core's listeners: the current state at once, then
/// every change. A slow reader gets the newest; ending the iteration (break, or cancelling the
/// task) ends the core's subscription.
public extension FindChargerFlowProtocol {
    var states: AsyncStream<FindChargerScreen> { stream { observe(listener: Relay($0)) } }
}

public extension CardsFlowProtocol {
    var states: AsyncStream<CardsScreen> { stream { observe(listener: Relay($0)) } }
}

public extension WalletFlowProtocol {
    var states: AsyncStream<WalletState> { stream { observe(listener: Relay($0)) } }
}

/// A stream fed by the core through `subscribe`, whose handle is cancelled when the stream ends.
func stream<T: Sendable>(_ subscribe: (AsyncStream<T>.Continuation) -> TaskHandle) -> AsyncStream<T> {
    let (stream, continuation) = AsyncStream.makeStream(of: T.self, bufferingPolicy: .bufferingNewest(1))
    let handle = subscribe(continuation)
    continuation.onTermination = { _ in handle.cancel() }
    return stream
}

/// Hands the core's states to a stream. `Sendable`: its only state is the continuation, which is
/// safe to call from any thread (the core calls from its own).
final class Relay<T: Sendable>: Sendable {
    private let continuation: AsyncStream<T>.Continuation

    init(_ continuation: AsyncStream<T>.Continuation) {
        self.continuation = continuation
    }

    func yield(_ value: T) {
        continuation.yield(value)
    }
}

extension Relay: FindChargerListener where T == FindChargerScreen {
    func onUpdate(screen: FindChargerScreen) { yield(screen) }
}

extension Relay: CardsListener where T == CardsScreen {
    func onUpdate(screen: CardsScreen) { yield(screen) }
}

extension Relay: WalletListener where T == WalletState {
    func onUpdate(state: WalletState) { yield(state) }
}

extension Relay: AuthStateListener where T == AuthState {
    func onAuthState(state: AuthState) { yield(state) }
}
