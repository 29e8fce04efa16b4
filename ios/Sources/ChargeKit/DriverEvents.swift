/// The driver's events, as an `AsyncStream` over the core's driver-event listener.
extension CoreChargeKitClient {
    /// What the driver is told about their sessions (charging started, finished, idle fees
    /// coming…), each event once, across launches: those recorded while nobody listened come
    /// first. Kinds and typed values: word them in the driver's language. Nothing is dropped;
    /// ending the iteration ends the core's subscription.
    public var driverEvents: AsyncStream<DriverEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: DriverEvent.self, bufferingPolicy: .unbounded)
        let handle = core.observeDriverEvents(listener: DriverEventStreamingListener(continuation))
        continuation.onTermination = { _ in handle.cancel() }
        return stream
    }
}

/// Hands the core's driver events to a stream; its only state is the `Sendable` continuation.
final class DriverEventStreamingListener: DriverEventListener {
    private let continuation: AsyncStream<DriverEvent>.Continuation

    init(_ continuation: AsyncStream<DriverEvent>.Continuation) {
        self.continuation = continuation
    }

    func onDriverEvent(event: DriverEvent) {
        continuation.yield(event)
    }
}
