import ChargeKit
import ChargeKitModels
import Foundation
import Testing

/// A charger's NFC tag, read by the core from the records the platform hands over.
@MainActor
@Suite struct NFCTests {
    @Test func theCoreReadsTheEVSEIDFromNDEFRecordsAndMessages() throws {
        let client = try ErrorMappingTests.offlineClient()
        #expect(try client.evseID(from: [Self.text("hello"), Self.uri("https://qr.example/c?evse=DE*CKT*E0001*1")]) == TestBackend.evseID)
        #expect(try client.evseID(from: [Self.text("DE*CKT*E0001*1")]) == TestBackend.evseID)
        // A whole message: one short well-known URI record, no abbreviation.
        let payload = Data([0]) + Data("DE*CKT*E0001*1".utf8)
        let message = Data([0xD1, 0x01, UInt8(payload.count), UInt8(ascii: "U")]) + payload
        #expect(try client.evseID(fromNDEFMessage: message) == TestBackend.evseID)

        let empty = thrownFailure { () throws(ChargeKitFailure) in try client.evseID(from: []) }
        #expect(empty == ChargeKitFailure(kind: .invalidInput, message: "The NFC tag is empty."))
        let noCharger = thrownFailure { () throws(ChargeKitFailure) in try client.evseID(from: [Self.text("hello")]) }
        #expect(noCharger?.kind == .invalidInput)
    }

    @Test func aTappedChargerTagGoesThroughTheFindChargerModel() async throws {
        let backend = try TestBackend()
        let client = try await backend.signedUpDriver("nfc")
        let model = FindChargerModel(client: client)
        await model.scanned([Self.uri("https://qr.example/c?evse=DE%2ACKT%2AE0001%2A1")])
        guard case .found(let charger) = model.screen.step else {
            Issue.record("expected a charger, got \(model.screen.step)")
            return
        }
        #expect(charger.evseId == TestBackend.evseID)
        await model.scanned([NDEFRecord]())
        #expect(model.screen.step == .failed(message: "The NFC tag is empty.", charger: nil))
    }

    /// A well-known URI record with no abbreviation, as CoreNFC gives it.
    static func uri(_ uri: String) -> NDEFRecord {
        NDEFRecord(typeNameFormat: 1, type: Data("U".utf8), payload: Data([0]) + Data(uri.utf8))
    }

    /// A well-known text record, UTF-8, language "en".
    static func text(_ text: String) -> NDEFRecord {
        NDEFRecord(typeNameFormat: 1, type: Data("T".utf8), payload: Data([2]) + Data("en".utf8) + Data(text.utf8))
    }
}
