import ChargeKit
import Foundation
import Observation

/// The "cards & contracts" settings screen: the driver's RFID cards and Plug & Charge
/// contracts, added from an NFC tap, a typed UID or a certificate file, blocked, removed.
///
/// Every check — a card UID's length, a contract's chain to the mobility operator's root, its
/// dates and EMAID — is the core's; a refusal comes back as ``Notice/failed(_:)`` with the
/// core's sentence.
@MainActor
@Observable
public final class CardsModel {
    public enum State: Equatable, Sendable {
        case loading
        case loaded
        /// The list could not be loaded (e.g. no network): the core's sentence.
        case unavailable(String)
    }

    /// A card or contract as the screen lists it.
    public struct Token: Identifiable, Equatable, Sendable {
        /// What the charger sees: the card's UID or the contract's EMAID.
        public var id: String { idTag }
        public let idTag: String
        public let label: String?
        public let isBlocked: Bool
        /// A contract's end of validity, as a date.
        public let validUntil: String?
    }

    /// A card tapped on the phone, waiting for the driver to add it: `idTag` is the core's
    /// reading of its UID.
    public struct PendingCard: Equatable, Sendable {
        public let idTag: String
        let uid: Data
    }

    /// What the last command did.
    public enum Notice: Equatable, Sendable {
        case cardAdded(idTag: String)
        case contractAdded(emaid: String, issuer: String, validUntil: String)
        case blocked(idTag: String)
        case unblocked(idTag: String)
        case removed(idTag: String)
        /// The core's sentence for the driver, e.g. why a contract was refused.
        case failed(String)
    }

    public private(set) var state: State = .loading
    public private(set) var cards: [Token] = []
    public private(set) var contracts: [Token] = []
    public private(set) var pendingCard: PendingCard?
    /// A command is under way: disable the buttons.
    public private(set) var isBusy = false
    public private(set) var notice: Notice?

    /// What the driver typed: a card's printed UID, and a name for the card or contract.
    public var typedUID = ""
    public var typedLabel = ""

    private let client: any ChargeKitClient
    private let formats: Formats

    public init(client: any ChargeKitClient, formats: Formats = Formats()) {
        self.client = client
        self.formats = formats
    }

    /// Loads the list; a failure keeps the list shown, if any, and says why.
    public func refresh() async {
        do throws(ChargeKitFailure) {
            let screen = try await client.cardsScreen()
            cards = screen.cards.map(token)
            contracts = screen.contracts.map(token)
            state = .loaded
        } catch {
            if state == .loaded {
                notice = notice ?? .failed(error.message)
            } else {
                state = .unavailable(error.message)
            }
        }
    }

    /// The UID of a tag the NFC reader saw: shown for the driver to confirm.
    public func cardTapped(uid: Data) {
        do throws(ChargeKitFailure) {
            pendingCard = PendingCard(idTag: try client.cardIDTag(uid: uid), uid: uid)
            notice = nil
        } catch {
            notice = .failed(error.message)
        }
    }

    /// Adds the card tapped last, named with ``typedLabel``.
    public func addTappedCard() async {
        guard let pending = pendingCard else { return }
        let label = takeLabel()
        await run {
            let token = try await self.client.registerCard(uid: pending.uid, label: label)
            self.pendingCard = nil
            return .cardAdded(idTag: token.idTag)
        }
    }

    public func discardTappedCard() {
        pendingCard = nil
    }

    /// Adds the card whose printed UID is in ``typedUID``, named with ``typedLabel``.
    public func addTypedCard() async {
        let uid = typedUID
        let label = takeLabel()
        await run {
            let token = try await self.client.registerCard(printedUID: uid, label: label)
            self.typedUID = ""
            return .cardAdded(idTag: token.idTag)
        }
    }

    /// Adds a Plug & Charge contract: its certificate file and the mobility operator's root,
    /// named with ``typedLabel``.
    public func addContract(certificate: Data, moRoot: Data) async {
        let label = takeLabel()
        await run {
            let contract = try await self.client.registerContract(certificate: certificate, moRoot: moRoot, label: label)
            return .contractAdded(
                emaid: contract.emaid,
                issuer: contract.issuer,
                validUntil: self.formats.date(unixSeconds: contract.notAfterEpochSeconds)
            )
        }
    }

    public func setBlocked(_ idTag: String, _ blocked: Bool) async {
        await run {
            let token = try await self.client.setToken(idTag, blocked: blocked)
            return token.blocked ? .blocked(idTag: token.idTag) : .unblocked(idTag: token.idTag)
        }
    }

    public func remove(_ idTag: String) async {
        await run {
            try await self.client.removeToken(idTag)
            return .removed(idTag: idTag)
        }
    }

    public func dismissNotice() {
        notice = nil
    }

    /// Runs a command (every call in it throws `ChargeKitFailure`), then shows the list as it
    /// is after it. After a success the typed name is cleared; after a failure it stays.
    private func run(_ command: () async throws -> Notice) async {
        isBusy = true
        notice = nil
        let outcome: Notice
        do {
            outcome = try await command()
            typedLabel = ""
        } catch {
            outcome = .failed((error as? ChargeKitFailure)?.message ?? error.localizedDescription)
        }
        notice = outcome
        await refresh()
        isBusy = false
    }

    /// ``typedLabel`` as typed: the core trims it (a blank one is no name).
    private func takeLabel() -> String? { typedLabel }

    private func token(_ token: TokenInfo) -> Token {
        Token(idTag: token.idTag, label: token.label, isBlocked: token.blocked, validUntil: token.expiresAt.map(formats.date))
    }
}
