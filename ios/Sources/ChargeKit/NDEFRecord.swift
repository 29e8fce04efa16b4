import Foundation

/// One NDEF record as the platform's NFC reader parsed it (CoreNFC's `NFCNDEFPayload`): plain
/// bytes, read by the core (``ChargeKitClient/evseID(from:)``), never decoded here.
public struct NDEFRecord: Equatable, Sendable {
    /// The TNF field, e.g. 1 for an NFC Forum well-known type.
    public let typeNameFormat: UInt8
    public let type: Data
    public let payload: Data

    public init(typeNameFormat: UInt8, type: Data, payload: Data) {
        self.typeNameFormat = typeNameFormat
        self.type = type
        self.payload = payload
    }
}
