import ChargeKit
import Foundation
import Observation

/// The live session screen: energy, power, cost and time while charging, a stop button, and
/// "Stop pending" when the driver stopped with no network (the core delivers the stop later).
///
/// The state comes from the core's live stream (``follow()``); the answer of a stop is shown
/// too, unless the stream already brought a final state.
@MainActor
@Observable
public final class LiveSessionModel {
    /// Where the session is, as the screen names it.
    public enum Phase: Equatable, Sendable {
        case starting
        case charging
        case stopping
        /// Stopped with no network: the phone keeps the stop and sends it when it can.
        case stopPending
        case completed
        /// The charger never started, or the session broke off; the core's reason, if any.
        case failed(String?)
        /// The charger's readings could not be right: nothing is billed until the operator
        /// has checked the session; the core's reason.
        case underReview(String?)
    }

    /// Frames a second of the live numbers: smooth to the eye, cheap across the FFI.
    static let displayFramesPerSecond: UInt32 = 10

    public private(set) var session: SessionInfo
    /// A stop request is under way.
    public private(set) var isSendingStop = false
    /// The core's sentence when a stop failed.
    public private(set) var errorMessage: String?

    private let client: ChargeKitClient
    private let formats: Formats

    public init(client: ChargeKitClient, session: SessionInfo, formats: Formats = Formats()) {
        self.client = client
        self.session = session
        self.formats = formats
    }

    public var phase: Phase {
        if session.stopPending { return .stopPending }
        switch session.state {
        case .starting: return .starting
        case .charging: return .charging
        case .stopping: return .stopping
        case .completed: return .completed
        case .failed: return .failed(session.failureReason)
        case .underReview: return .underReview(session.reviewReason)
        }
    }

    /// The stop button is offered while the session runs and no stop was tapped yet.
    public var canStop: Bool {
        !isSendingStop && (phase == .starting || phase == .charging)
    }

    /// Nothing will change any more: the receipt can be shown.
    public var isFinished: Bool { session.isFinal }

    public var energy: String { formats.energy(wattHours: session.energyWh) }
    public var power: String { formats.power(watts: session.powerW) }
    public var cost: String { formats.money(minor: session.costMinor, currency: session.currency, digits: session.currencyDigits) }
    /// Charging time as the charger's meter has it.
    public var elapsed: String { formats.duration(seconds: session.durationSeconds) }
    /// When charging began, for a clock the view advances every second between meter values.
    public var startedAt: Date? { session.startedAt.map { Date(timeIntervalSince1970: TimeInterval($0)) } }

    /// Follows the session until it is final or the calling task is cancelled (the view's
    /// `.task` is, when the screen goes away).
    public func follow() async {
        for await update in client.liveSession(session.id, framesPerSecond: Self.displayFramesPerSecond) {
            session = update
        }
    }

    public func stop() async {
        guard canStop else { return }
        isSendingStop = true
        errorMessage = nil
        defer { isSendingStop = false }
        do throws(ChargeKitFailure) {
            let answer = try await client.stopSession(session.id)
            // The live stream may have brought the final state while the stop was under way.
            if !session.isFinal { session = answer }
        } catch {
            errorMessage = error.message
        }
    }
}
