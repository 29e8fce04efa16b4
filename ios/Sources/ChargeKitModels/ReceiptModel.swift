import ChargeKit
import Foundation
import Observation

/// The receipt of a finished session: one line per item the tariff billed, then the totals.
/// Every amount is the core's (the same pricing engine as the live cost); this only formats.
@MainActor
@Observable
public final class ReceiptModel {
    /// One billed item; the view names it from `kind` ("Energy", "Charging time", …).
    public struct Line: Identifiable, Equatable, Sendable {
        public let id: Int
        public let kind: CostKind
        /// "12.35 kWh", "0:25:00", or "1" for a flat fee.
        public let quantity: String
        public let unitPrice: String
        /// "19%", when VAT applies.
        public let vatRate: String?
        public let amountExclVAT: String
        public let vat: String
    }

    public private(set) var session: SessionInfo?
    /// The core's sentence when the receipt could not be loaded.
    public private(set) var errorMessage: String?

    private let client: ChargeKitClient
    private let sessionID: String
    private let formats: Formats

    public init(client: ChargeKitClient, sessionID: String, formats: Formats = Formats()) {
        self.client = client
        self.sessionID = sessionID
        self.formats = formats
    }

    /// Fetches the session from the backend, or from the phone's cache when offline.
    public func load() async {
        do throws(ChargeKitFailure) {
            session = try await client.session(sessionID)
            errorMessage = nil
        } catch {
            errorMessage = error.message
        }
    }

    public var lines: [Line] {
        guard let session else { return [] }
        return session.costLines.enumerated().map { index, line in
            Line(
                id: index,
                kind: line.kind,
                quantity: quantity(line),
                unitPrice: formats.unitPrice(line.unitPrice, currency: session.currency, minimumDigits: session.currencyDigits),
                vatRate: line.vatPercent.map(formats.percent),
                amountExclVAT: money(line.exclVatMinor),
                vat: money(line.vatMinor)
            )
        }
    }

    public var totalExclVAT: String { session.map { money($0.costExclVatMinor) } ?? "" }
    public var totalVAT: String { session.map { money($0.vatMinor) } ?? "" }
    public var total: String { session.map { money($0.costMinor) } ?? "" }
    public var energy: String { session.map { formats.energy(wattHours: $0.energyWh) } ?? "" }
    public var evseID: String { session?.evseId ?? "" }
    public var startedAt: String? { session?.startedAt.map(formats.dateTime) }
    public var stoppedAt: String? { session?.stoppedAt.map(formats.dateTime) }

    private func quantity(_ line: CostLine) -> String {
        switch line.kind {
        case .energy: formats.energy(wattHours: line.billedQuantity)
        case .time, .parking: formats.duration(seconds: line.billedQuantity)
        case .flat: line.billedQuantity.formatted(.number.locale(formats.locale))
        }
    }

    private func money(_ minor: Int64) -> String {
        guard let session else { return "" }
        return formats.money(minor: minor, currency: session.currency, digits: session.currencyDigits)
    }
}
