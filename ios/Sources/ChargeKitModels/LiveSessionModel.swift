import ChargeKit
import Foundation
import Observation

/// The live session screen: the core's state (figures, phase, whether Stop can be tapped — not
/// while a stop is being sent, so a double tap sends one stop) and the Stop intent.
@MainActor
@Observable
public final class LiveSessionModel {
    /// Frames a second of the live numbers: smooth to the eye, cheap across the FFI.
    static let displayFramesPerSecond: UInt32 = 10

    /// Nil until the core's first update (which comes at once from the cache).
    public private(set) var screen: LiveSessionScreen?
    /// The core's sentence when a stop failed.
    public private(set) var errorMessage: String?

    private let client: any ChargeKitClient
    private let sessionID: String

    public init(client: any ChargeKitClient, sessionID: String) {
        self.client = client
        self.sessionID = sessionID
    }

    /// Follows the session until it is finished or the calling task is cancelled (the view's
    /// `.task` is, when the screen goes away).
    public func follow() async {
        for await update in client.liveSessionScreen(sessionID, framesPerSecond: Self.displayFramesPerSecond) {
            screen = update
        }
    }

    /// The live screen shows the result, "stop pending" included when offline.
    public func stop() async {
        errorMessage = nil
        do throws(ChargeKitFailure) {
            _ = try await client.stopSession(sessionID)
        } catch {
            errorMessage = error.message
        }
    }
}
