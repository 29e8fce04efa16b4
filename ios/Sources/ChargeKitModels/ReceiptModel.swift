import ChargeKit
import Foundation
import Observation

/// The receipt of a finished session: first the core's verdict on whether it can be trusted,
/// then one line per item the tariff billed, the totals, the periods, and what the charger's
/// meter signed. Every amount and every check is the core's; this only formats.
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

    /// The core's verdict on the receipt's signature. Only ``verified`` is a verified receipt;
    /// ``tampered`` and ``unknownKey`` are warnings.
    public enum Verdict: Equatable, Sendable {
        /// The backend's signature holds: the receipt is exactly as issued.
        case verified
        /// Changed after it was signed, or signed by another key than the one pinned.
        case tampered(reason: String)
        /// Signed by a key this app was never given.
        case unknownKey(keyID: String)
        /// No signed receipt to check: the session did not complete, or the receipt is neither
        /// reachable nor cached (the core's sentence, if any).
        case unchecked(String?)

        public init(_ signature: ReceiptSignature) {
            switch signature {
            case .genuine: self = .verified
            case .tampered(let reason): self = .tampered(reason: reason)
            case .unknownKey(let keyID): self = .unknownKey(keyID: keyID)
            }
        }

        public var isWarning: Bool {
            switch self {
            case .tampered, .unknownKey: true
            case .verified, .unchecked: false
            }
        }
    }

    /// What the charger's signed meter data (Eichrecht) says about the energy billed.
    public enum MeterData: Equatable, Sendable {
        case notSigned
        /// The meter signed the energy billed, e.g. "12.35 kWh".
        case verified(meterSerial: String?, energy: String)
        /// The signed values do not hold or do not match the bill: a warning.
        case invalid(reason: String)
        /// Signed with an algorithm the app cannot check.
        case unsupported(algorithm: String)
        /// Signed, but the operator published no meter key.
        case noMeterKey

        public init(_ data: ReceiptMeterData, formats: Formats) {
            switch data {
            case .notSigned: self = .notSigned
            case .verified(let serial, let energyWh): self = .verified(meterSerial: serial, energy: formats.energy(wattHours: energyWh))
            case .invalid(let reason): self = .invalid(reason: reason)
            case .unsupported(let algorithm): self = .unsupported(algorithm: algorithm)
            case .noMeterKey: self = .noMeterKey
            }
        }

        public var isWarning: Bool {
            if case .invalid = self { return true }
            return false
        }
    }

    /// A stretch of the session priced alike: from `start` (time since plug-in) for `duration`.
    public struct Period: Identifiable, Equatable, Sendable {
        public let id: Int
        public let start: String
        public let duration: String
        public let energy: String
        public let isCharging: Bool
    }

    public private(set) var session: SessionInfo?
    /// The signed receipt, once completed and fetched (or cached).
    public private(set) var receipt: ReceiptInfo?
    /// The core's sentence when the receipt could not be loaded.
    public private(set) var errorMessage: String?
    /// Why there is no signed receipt to show, when the session completed but none could be had.
    private var receiptProblem: String?

    private let client: ChargeKitClient
    private let sessionID: String
    private let formats: Formats

    public init(client: ChargeKitClient, sessionID: String, formats: Formats = Formats()) {
        self.client = client
        self.sessionID = sessionID
        self.formats = formats
    }

    /// Fetches the session and, once it has completed, its signed receipt (from the backend, or
    /// the phone's cache when offline). Without a receipt, the session's own figures are shown.
    public func load() async {
        do throws(ChargeKitFailure) {
            let session = try await client.session(sessionID)
            self.session = session
            errorMessage = nil
            // The backend issues a receipt once a session has completed; others have none.
            guard session.state == .completed else { return }
            do throws(ChargeKitFailure) {
                receipt = try await client.receipt(for: sessionID)
                receiptProblem = nil
            } catch {
                receiptProblem = error.message
            }
        } catch {
            errorMessage = error.message
        }
    }

    public var verdict: Verdict {
        guard let receipt else { return .unchecked(receiptProblem) }
        return Verdict(receipt.signature)
    }

    /// Nil without a signed receipt.
    public var meterData: MeterData? { receipt.map { MeterData($0.meterData, formats: formats) } }

    public var lines: [Line] {
        guard let currency, let digits else { return [] }
        let costLines = receipt?.lines ?? session?.costLines ?? []
        return costLines.enumerated().map { index, line in
            Line(
                id: index,
                kind: line.kind,
                quantity: quantity(line),
                unitPrice: formats.unitPrice(line.unitPrice, currency: currency, minimumDigits: digits),
                vatRate: line.vatPercent.map(formats.percent),
                amountExclVAT: money(line.exclVatMinor),
                vat: money(line.vatMinor)
            )
        }
    }

    public var totalExclVAT: String { money(receipt?.totalExclVatMinor ?? session?.costExclVatMinor) }
    public var totalVAT: String { money(receipt?.totalVatMinor ?? session?.vatMinor) }
    public var total: String { money(receipt?.totalInclVatMinor ?? session?.costMinor) }
    public var energy: String { (receipt?.energyWh ?? session?.energyWh).map { formats.energy(wattHours: $0) } ?? "" }
    public var evseID: String { receipt?.evseId ?? session?.evseId ?? "" }
    public var startedAt: String? { (receipt?.startedAt ?? session?.startedAt).map(formats.dateTime) }
    public var stoppedAt: String? { (receipt?.endedAt ?? session?.stoppedAt).map(formats.dateTime) }
    public var issuedAt: String? { receipt.map { formats.dateTime(unixSeconds: $0.issuedAt) } }
    /// Time charging and time parked, as billed; nil without a signed receipt.
    public var chargingTime: String? { receipt.map { formats.duration(seconds: $0.chargingSeconds) } }
    public var parkingTime: String? { receipt.map { formats.duration(seconds: $0.parkingSeconds) } }

    public var periods: [Period] {
        (receipt?.periods ?? []).enumerated().map { index, period in
            Period(
                id: index,
                start: formats.duration(seconds: period.startOffsetSeconds),
                duration: formats.duration(seconds: period.durationSeconds),
                energy: formats.energy(wattHours: period.energyWh),
                isCharging: period.charging
            )
        }
    }

    private var currency: String? { receipt?.currency ?? session?.currency }
    private var digits: UInt32? { receipt?.currencyDigits ?? session?.currencyDigits }

    private func quantity(_ line: CostLine) -> String {
        switch line.kind {
        case .energy: formats.energy(wattHours: line.billedQuantity)
        case .time, .parking: formats.duration(seconds: line.billedQuantity)
        case .flat: line.billedQuantity.formatted(.number.locale(formats.locale))
        }
    }

    private func money(_ minor: Int64?) -> String {
        guard let minor, let currency, let digits else { return "" }
        return formats.money(minor: minor, currency: currency, digits: digits)
    }
}
