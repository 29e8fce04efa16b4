import ChargeKit
import Foundation
import Observation

/// The history screen: sessions by month, newest first, each month with its energy and what
/// was spent per currency. The grouping and the totals are the core's (`historyByMonth`, in
/// the device's current UTC offset); it reads the phone's cache, so it works with no network.
@MainActor
@Observable
public final class HistoryModel {
    public struct Month: Identifiable, Equatable, Sendable {
        /// "2026-03".
        public let id: String
        /// "March 2026".
        public let title: String
        public let energy: String
        /// One amount per currency, e.g. ["€12.34", "CHF 5.00"]; never added across currencies.
        public let spent: [String]
        public let sessions: [Row]
    }

    public struct Row: Identifiable, Equatable, Sendable {
        public let id: String
        public let evseID: String
        public let date: String
        public let energy: String
        public let cost: String
        public let state: SessionState
    }

    public private(set) var months: [Month] = []
    public private(set) var isRefreshing = false
    /// The core's sentence when refreshing or reading failed; the cached months stay shown.
    public private(set) var errorMessage: String?

    private let client: ChargeKitClient
    private let formats: Formats
    private let limit: Int

    /// - Parameter limit: How many of the newest sessions to show.
    public init(client: ChargeKitClient, formats: Formats = Formats(), limit: Int = 500) {
        self.client = client
        self.formats = formats
        self.limit = limit
    }

    /// Shows what the phone has cached, with no network; the cache is read off the main actor.
    public func loadCached() async {
        do throws(ChargeKitFailure) {
            let byMonth = try await client.historyByMonth(limit: limit, timeZone: formats.timeZone)
            months = byMonth.map(month)
        } catch {
            errorMessage = error.message
        }
    }

    /// Brings the cache up to date with the backend, then shows it. Offline, the cached
    /// history stays and the core's sentence says why it is not fresh.
    public func refresh() async {
        isRefreshing = true
        defer { isRefreshing = false }
        do throws(ChargeKitFailure) {
            _ = try await client.syncHistory(limit: limit)
            errorMessage = nil
        } catch {
            errorMessage = error.message
        }
        await loadCached()
    }

    private func month(_ month: HistoryMonth) -> Month {
        Month(
            id: String(format: "%04d-%02d", Int(month.year), Int(month.month)),
            title: formats.month(year: month.year, month: month.month),
            energy: formats.energy(wattHours: month.energyWh),
            spent: month.spent.map { formats.money(minor: $0.amountMinor, currency: $0.currency, digits: $0.currencyDigits) },
            sessions: month.sessions.map(row)
        )
    }

    private func row(_ session: SessionInfo) -> Row {
        Row(
            id: session.id,
            evseID: session.evseId,
            // The day the core files it under (it groups by creation).
            date: formats.dateTime(unixSeconds: session.createdAt),
            energy: formats.energy(wattHours: session.energyWh),
            cost: formats.money(minor: session.costMinor, currency: session.currency, digits: session.currencyDigits),
            state: session.state
        )
    }
}
