import ChargeKit
import Foundation
import Observation

/// The "cards & contracts" screen: the core's ``CardsScreen`` in (the lists, a tapped card to
/// add, busy, the notice after the last command), the driver's taps out. Every check and rule is
/// the core's; a refusal is the notice `.failed` with the core's sentence.
@MainActor
@Observable
public final class CardsModel {
    public private(set) var screen: CardsScreen
    /// What the driver typed: a card's printed UID, and a name for the card or contract. Cleared
    /// once what they named is added; kept after a refusal, to correct it.
    public var typedUID = ""
    public var typedLabel = ""

    private let flow: any CardsFlowProtocol

    public init(client: any ChargeKitClient) {
        flow = client.cardsFlow()
        screen = flow.state()
    }

    /// Shows the steps in between (busy) until the calling task is cancelled (the view's
    /// `.task`). The stream only says when: the state shown is always read from the core, so a
    /// late notice never shows an older state over the outcome an intent below has shown.
    public func follow() async {
        for await _ in flow.states { screen = flow.state() }
    }

    public func refresh() async {
        await flow.refresh()
        screen = flow.state()
    }

    /// The UID of a tag the NFC reader saw: shown for the driver to confirm.
    public func cardTapped(uid: Data) {
        flow.cardTapped(uid: uid)
        screen = flow.state()
    }

    /// Adds the card tapped last, named with ``typedLabel``.
    public func addTappedCard() async {
        await flow.addTappedCard(label: typedLabel)
        settle()
    }

    public func discardTappedCard() {
        flow.discardTappedCard()
        screen = flow.state()
    }

    /// Adds the card whose printed UID is in ``typedUID``, named with ``typedLabel``.
    public func addTypedCard() async {
        await flow.addTypedCard(uid: typedUID, label: typedLabel)
        if settle() { typedUID = "" }
    }

    /// Adds a Plug & Charge contract: its certificate file and the mobility operator's root,
    /// named with ``typedLabel``.
    public func addContract(certificate: Data, moRoot: Data) async {
        await flow.addContract(certificate: certificate, moRoot: moRoot, label: typedLabel)
        settle()
    }

    public func setBlocked(_ idTag: String, _ blocked: Bool) async {
        await flow.setBlocked(idTag: idTag, blocked: blocked)
        screen = flow.state()
    }

    public func remove(_ idTag: String) async {
        await flow.remove(idTag: idTag)
        screen = flow.state()
    }

    public func dismissNotice() {
        flow.dismissNotice()
        screen = flow.state()
    }

    /// Shows the outcome; the typed name goes unless the command was refused. Returns whether it was added.
    @discardableResult private func settle() -> Bool {
        screen = flow.state()
        if case .failed = screen.notice { return false }
        typedLabel = ""
        return true
    }
}
