import ChargeKit
import Foundation
import Observation

/// The "find a charger" screen: the core's ``FindChargerScreen`` in (the step — looking, found,
/// starting, started, a session going on, failed — and how to pay), the driver's taps out. The
/// rules are the core's: a newer search supersedes one under way, Start starts once, a session
/// going on is offered only on an idle screen, a refused payment is failed with its sentence.
@MainActor
@Observable
public final class FindChargerModel {
    /// What the driver typed into the EVSE ID field.
    public var typedID = ""
    public private(set) var screen: FindChargerScreen

    private let flow: any FindChargerFlowProtocol

    public init(client: any ChargeKitClient) {
        flow = client.findChargerFlow()
        screen = flow.state()
    }

    /// Shows the steps in between (looking, starting) until the calling task is cancelled (the view's
    /// `.task`). The stream only says when: the state shown is always read from the core, so a
    /// late notice never shows an older state over the outcome an intent below has shown.
    public func follow() async {
        for await _ in flow.states { screen = flow.state() }
    }

    /// A QR code's payload, or the URI or text of an NFC tag's NDEF record.
    public func scanned(_ payload: String) async {
        await flow.scanned(payload: payload)
        screen = flow.state()
    }

    /// The NDEF records of a tag; the core reads the EVSE ID from the first that carries one.
    public func scanned(_ records: [NDEFRecord]) async {
        await flow.ndefRecords(records: records.map { NdefRecordParts(tnf: $0.typeNameFormat, recordType: $0.type, payload: $0.payload) })
        screen = flow.state()
    }

    public func submitTypedID() async {
        await scanned(typedID)
    }

    /// The driver picked how to pay.
    public func choose(_ payment: Payment) {
        flow.choosePayment(payment: payment)
        screen = flow.state()
    }

    /// When the screen is shown: a session going on is offered.
    public func checkActiveSession() async {
        await flow.shown()
        screen = flow.state()
    }

    public func start() async {
        await flow.start()
        screen = flow.state()
    }

    /// Back to the start, e.g. when the screen is shown again.
    public func reset() {
        typedID = ""
        flow.reset()
        screen = flow.state()
    }
}
