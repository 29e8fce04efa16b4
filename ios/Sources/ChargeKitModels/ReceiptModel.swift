import ChargeKit
import Foundation
import Observation

/// The receipt of a session as the core decides it: whether there is a signed receipt to fetch
/// (only once completed), its verdict, the lines with their billed quantity and VAT; without
/// one, the session's own figures marked unchecked.
@MainActor
@Observable
public final class ReceiptModel {
    public private(set) var screen: ReceiptScreen?
    /// The core's sentence when the session is neither reachable nor cached.
    public private(set) var errorMessage: String?

    private let client: any ChargeKitClient
    private let sessionID: String

    public init(client: any ChargeKitClient, sessionID: String) {
        self.client = client
        self.sessionID = sessionID
    }

    public func load() async {
        do throws(ChargeKitFailure) {
            screen = try await client.receiptScreen(for: sessionID)
            errorMessage = nil
        } catch {
            errorMessage = error.message
        }
    }
}
