/// A session's live state as an `AsyncStream`, on top of the core's listener and `TaskHandle`.
///
/// The core calls the listener with the current state at once, then with every change, on one
/// of its own threads; the listener only hands each state to the stream. The stream ends when
/// the session is final (the core's `isFinal`: completed or failed), and
/// whenever it ends, for whatever reason — finished, the consuming task cancelled, the stream
/// dropped — its termination handler cancels the core's subscription, which releases the
/// listener.
struct LiveSubscription: Sendable {
    let stream: AsyncStream<SessionInfo>
    /// The core's subscription, kept so tests can check that ending the stream ended it.
    let handle: TaskHandle

    init(core: ChargeKit, sessionID: String, framesPerSecond: UInt32 = 0) {
        // Every update is the session's whole state, so a slow reader needs only the newest;
        // the last state before `finish()` is never dropped.
        let (stream, continuation) = AsyncStream.makeStream(of: SessionInfo.self, bufferingPolicy: .bufferingNewest(1))
        let listener = StreamingListener(continuation)
        let handle = framesPerSecond > 0
            ? core.observeSessionSmooth(sessionId: sessionID, framesPerSecond: framesPerSecond, listener: listener)
            : core.observeSession(sessionId: sessionID, listener: listener)
        // Set after subscribing, as it needs the handle. Had the listener already finished the
        // stream (a session final from the start), the handler would not run; the core's
        // subscription ends by itself after delivering a final state, so nothing is left over.
        continuation.onTermination = { _ in handle.cancel() }
        self.stream = stream
        self.handle = handle
    }
}

/// Hands the core's updates to a stream. `Sendable` without help: its only state is the
/// continuation, which is `Sendable` and safe to call from any thread.
final class StreamingListener: SessionListener {
    private let continuation: AsyncStream<SessionInfo>.Continuation

    init(_ continuation: AsyncStream<SessionInfo>.Continuation) {
        self.continuation = continuation
    }

    func onUpdate(session: SessionInfo) {
        continuation.yield(session)
        if session.isFinal {
            continuation.finish()
        }
    }
}

/// The live session screen as an `AsyncStream`, like ``LiveSubscription``: the core's handle is
/// cancelled when the stream ends for any reason.
struct LiveScreenSubscription: Sendable {
    let stream: AsyncStream<LiveSessionScreen>

    init(core: ChargeKit, sessionID: String, framesPerSecond: UInt32) {
        let (stream, continuation) = AsyncStream.makeStream(of: LiveSessionScreen.self, bufferingPolicy: .bufferingNewest(1))
        let handle = core.observeLiveSession(sessionId: sessionID, framesPerSecond: framesPerSecond, listener: ScreenListener(continuation))
        continuation.onTermination = { _ in handle.cancel() }
        self.stream = stream
    }
}

final class ScreenListener: LiveSessionListener {
    private let continuation: AsyncStream<LiveSessionScreen>.Continuation

    init(_ continuation: AsyncStream<LiveSessionScreen>.Continuation) {
        self.continuation = continuation
    }

    func onUpdate(screen: LiveSessionScreen) {
        continuation.yield(screen)
        if screen.finished {
            continuation.finish()
        }
    }
}
