import ChargeKit
import ChargeKitModels
import Foundation
import Testing

/// The signed receipt and the core's verdict on it, through the Swift API and `ReceiptModel`.
@MainActor
@Suite struct ReceiptVerdictTests {
    /// The simulator makes its meter key when it starts and its command line cannot be given
    /// one, so no server config written here can hold a signing simulator's key: "verified"
    /// meter data is covered by the Rust tests. Here: a charger that does not sign
    /// (`notSigned`), one that signs with a key the operator never published (`noMeterKey`),
    /// and one whose published key is not its meter's (`invalid`).
    @Test func aFinishedSessionsReceiptIsGenuineAndSaysWhatTheMeterSigned() async throws {
        let backend = try TestBackend(extraChargers: [
            .init(id: "CKSWIFT-SIGNED", evseID: Self.signingEVSE, signsMeterValues: true),
            .init(id: "CKSWIFT-WRONGKEY", evseID: Self.wrongKeyEVSE, meterPublicKey: Self.otherMeterKey, signsMeterValues: true),
        ])
        let secrets = MemorySecureStore()
        let client = try await backend.signedUpDriver("receipt-verdict", secureStore: secrets)
        let session = try await backend.chargeOnce(client)

        let receipt = try await client.receipt(for: session.id)
        #expect(receipt.signature == .genuine)
        #expect(receipt.meterData == .notSigned)
        #expect(receipt.sessionId == session.id)
        #expect(receipt.energyWh == session.energyWh)
        #expect(receipt.lines == session.costLines)
        #expect(receipt.totalInclVatMinor == session.costMinor)
        #expect(receipt.totalExclVatMinor + receipt.totalVatMinor == receipt.totalInclVatMinor)
        #expect(receipt.chargingSeconds > 0 && !receipt.periods.isEmpty)
        #expect(session.authMethod == .app)
        #expect((try? secrets.get(key: "chargekit.receipt_keys")) != nil, "the backend's receipt key is pinned in the secure store")

        let model = ReceiptModel(client: client, sessionID: session.id)
        await model.load()
        #expect(model.errorMessage == nil)
        let shown = try #require(model.screen)
        #expect(shown.verdict == .verified)
        #expect(!shown.warning)
        #expect(shown.meterData == .notSigned)
        #expect(shown.total.minor == session.costMinor)
        #expect(shown.periods.count == receipt.periods.count)
        #expect(shown.chargingTime?.value.units == receipt.chargingSeconds)
        #expect(shown.issuedAt != nil)

        let signed = try await client.receipt(for: backend.chargeOnce(client, at: Self.signingEVSE).id)
        #expect(signed.signature == .genuine)
        #expect(signed.meterData == .noMeterKey)

        let wrongKey = try await client.receipt(for: backend.chargeOnce(client, at: Self.wrongKeyEVSE).id)
        #expect(wrongKey.signature == .genuine)
        guard case .invalid(let reason) = wrongKey.meterData else {
            Issue.record("expected invalid meter data, got \(wrongKey.meterData)")
            return
        }
        #expect(!reason.isEmpty)

        // The key pinned under the backend's key id is swapped (as if the backend's key had been
        // replaced): the same receipt no longer verifies, and is never shown as verified.
        let pinned = try secrets.get(key: "chargekit.receipt_keys")
        let keys = try #require(try JSONSerialization.jsonObject(with: pinned) as? [String: String])
        let keyID = try #require(keys.keys.first)
        let otherKey = Data(repeating: 7, count: 32).base64EncodedString()
        try secrets.set(key: "chargekit.receipt_keys", value: try JSONSerialization.data(withJSONObject: [keyID: otherKey]))
        guard case .tampered(let why) = try await client.receipt(for: session.id).signature else {
            Issue.record("expected a tampered receipt")
            return
        }
        #expect(!why.isEmpty)
        let warned = ReceiptModel(client: client, sessionID: session.id)
        await warned.load()
        #expect(warned.screen?.verdict == .tampered(reason: why))
        #expect(warned.screen?.warning == true)
    }

    @Test func noReceiptIsNeverShownAsVerified() async throws {
        let backend = try TestBackend(charger: false)
        let client = try backend.client("no-receipt")
        _ = try await client.signUp(email: "no-receipt@example.com", password: TestBackend.password)
        // A session the backend does not know: the core's sentence, and no verdict to show.
        let model = ReceiptModel(client: client, sessionID: "00000000-0000-0000-0000-000000000000")
        await model.load()
        #expect(model.errorMessage != nil)
        #expect(model.screen == nil)
    }

    static let signingEVSE = "DE*CKT*E0002*1"
    static let wrongKeyEVSE = "DE*CKT*E0003*1"
    /// A P-256 public key (DER SPKI, hex) that is no simulator's meter key.
    static let otherMeterKey = "3059301306072a8648ce3d020106082a8648ce3d03010703420004f392df6e16c590be96b0d6e0e4a4ea49f3bb9b91e13381b8f6589b614ab4a5bd149aa54892393e1eb72ca1ad5ac5492db2810031f271a414039ab356569e607b"
}
