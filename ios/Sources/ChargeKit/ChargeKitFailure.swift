import Foundation

/// A failure of the core as Swift shows it: its kind, to react on, and the core's sentence for
/// the driver, which is the error's `localizedDescription`.
///
/// The generated `ChargeKitError` carries the same two things, but UniFFI gives it an
/// `errorDescription` that is the debug dump of the enum case (`ChargeKitError.NotFound(message:
/// "…")`), which an alert must not show, and it cannot be overridden from outside the
/// generated file. Every call of ``ChargeKitClient`` maps errors into this type once, at the edge.
public struct ChargeKitFailure: LocalizedError, Hashable, Sendable {
    /// The kinds of the core's `ChargeKitError`, one for one.
    public enum Kind: Hashable, Sendable, CaseIterable {
        /// No connection to the backend.
        case network
        /// Not signed in, wrong email or password, or the sign-in expired.
        case unauthorized
        /// No such charger or session.
        case notFound
        /// Unreadable input: an EVSE ID, an email, a password too short.
        case invalidInput
        /// The charger is busy, or the account exists already.
        case conflict
        case chargerOffline
        /// The charger refused, or did not answer in time.
        case chargerRefused
        /// Too little in the wallet, or the card was declined: the charger was not asked.
        case paymentRefused
        /// The offline cache on the phone failed.
        case storage
        case `internal`
    }

    public let kind: Kind
    /// The core's sentence for the driver.
    public let message: String

    public init(kind: Kind, message: String) {
        self.kind = kind
        self.message = message
    }

    public var errorDescription: String? { message }

    /// The failure for any error a generated call throws. Anything but `ChargeKitError` (an
    /// internal error of the bindings) is `.internal`.
    init(_ error: any Error) {
        switch error {
        case let failure as ChargeKitFailure:
            self = failure
        case let error as ChargeKitError:
            self.init(error)
        default:
            self.init(kind: .internal, message: String(describing: error))
        }
    }

    init(_ error: ChargeKitError) {
        switch error {
        case .Network(let message): self.init(kind: .network, message: message)
        case .Unauthorized(let message): self.init(kind: .unauthorized, message: message)
        case .NotFound(let message): self.init(kind: .notFound, message: message)
        case .InvalidInput(let message): self.init(kind: .invalidInput, message: message)
        case .Conflict(let message): self.init(kind: .conflict, message: message)
        case .ChargerOffline(let message): self.init(kind: .chargerOffline, message: message)
        case .ChargerRefused(let message): self.init(kind: .chargerRefused, message: message)
        case .PaymentRefused(let message): self.init(kind: .paymentRefused, message: message)
        case .Storage(let message): self.init(kind: .storage, message: message)
        case .Internal(let message): self.init(kind: .internal, message: message)
        }
    }
}

extension ChargeKitFailure {
    /// Runs a generated call and rethrows its error as a `ChargeKitFailure`.
    static func mapping<T>(_ call: () throws -> T) throws(ChargeKitFailure) -> T {
        do {
            return try call()
        } catch {
            throw ChargeKitFailure(error)
        }
    }

    /// Awaits a generated call and rethrows its error as a `ChargeKitFailure`.
    static func mapping<T>(_ call: () async throws -> T) async throws(ChargeKitFailure) -> T {
        do {
            return try await call()
        } catch {
            throw ChargeKitFailure(error)
        }
    }
}
