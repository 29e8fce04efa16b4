import ChargeKit
import Foundation
import Observation

/// The history screen: the core's months (in the device's IANA time zone, so months across a
/// daylight-saving change come out right), from the phone's cache at once, then refreshed. The
/// core never fails here: a storage or network problem is the screen's `message`.
@MainActor
@Observable
public final class HistoryModel {
    public private(set) var screen = HistoryScreen(months: [], message: nil)
    public private(set) var isRefreshing = false

    private let client: any ChargeKitClient
    private let timeZoneID: String
    private let limit: Int

    /// - Parameter limit: How many of the newest sessions to show.
    public init(client: any ChargeKitClient, timeZoneID: String = TimeZone.current.identifier, limit: Int = 500) {
        self.client = client
        self.timeZoneID = timeZoneID
        self.limit = limit
    }

    /// Shows what the phone has cached, with no network; the cache is read off the main actor.
    public func loadCached() async {
        screen = await client.historyScreen(limit: limit, timeZoneID: timeZoneID)
    }

    /// Brings the cache up to date with the backend, then shows it (offline: why it is not fresh).
    public func refresh() async {
        isRefreshing = true
        defer { isRefreshing = false }
        screen = await client.refreshHistoryScreen(limit: limit, timeZoneID: timeZoneID)
    }
}
