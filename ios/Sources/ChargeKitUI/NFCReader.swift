#if canImport(CoreNFC)
import ChargeKit
@preconcurrency import CoreNFC
import Foundation

/// What one NFC read gave, as the tag gave it: nothing here decodes it, the core does.
public struct NFCReading: Equatable, Sendable {
    /// The tag's UID (an RFID charging card's, for registering the card with
    /// `CardsModel.cardTapped(uid:)`).
    public let uid: Data
    /// The records of the tag's NDEF message, if it has one (a charger's tag carries its EVSE
    /// ID in one): give them to `FindChargerModel.scanned(_:)`, which has the core read them.
    public let ndefRecords: [NDEFRecord]
}

public enum NFCReaderError: LocalizedError, Equatable {
    case unavailable
    /// The session ended before a tag was read: the driver cancelled, or it timed out.
    case ended(String)

    public var errorDescription: String? {
        switch self {
        case .unavailable: String(localized: "This iPhone cannot read NFC tags.")
        case .ended(let reason): reason
        }
    }
}

/// Reads one NFC tag or card.
///
/// An `NFCTagReaderSession`, not the NDEF-only `NFCNDEFReaderSession`: the NDEF session hides a
/// card's UID, which card registration needs. The app needs the entitlement
/// `com.apple.developer.nfc.readersession.formats` = [TAG] and `NFCReaderUsageDescription`.
public struct NFCReader: Sendable {
    public init() {}

    public static var isAvailable: Bool { NFCTagReaderSession.readingAvailable }

    /// Shows the system's NFC sheet with `prompt` and returns the first tag read.
    public func read(prompt: String) async throws -> NFCReading {
        guard Self.isAvailable else { throw NFCReaderError.unavailable }
        return try await withCheckedThrowingContinuation { continuation in
            TagReading(prompt: prompt, continuation: continuation).begin()
        }
    }
}

/// One reading session and its delegate. It keeps itself alive until the session ends and
/// resumes the continuation exactly once.
///
/// `@unchecked Sendable`: `session`, `continuation` and `keepAlive` are only touched on
/// `queue`, the serial queue the session calls the delegate and its completion handlers on
/// (`begin()` runs on it too).
private final class TagReading: NSObject, NFCTagReaderSessionDelegate, @unchecked Sendable {
    private let queue = DispatchQueue(label: "io.chargekit.nfc")
    private let prompt: String
    private var continuation: CheckedContinuation<NFCReading, any Error>?
    private var session: NFCTagReaderSession?
    private var keepAlive: TagReading?

    init(prompt: String, continuation: CheckedContinuation<NFCReading, any Error>) {
        self.prompt = prompt
        self.continuation = continuation
    }

    func begin() {
        queue.async { [self] in
            guard let session = NFCTagReaderSession(pollingOption: [.iso14443], delegate: self, queue: queue) else {
                finish(.failure(NFCReaderError.unavailable))
                return
            }
            session.alertMessage = prompt
            self.session = session
            keepAlive = self
            session.begin()
        }
    }

    func tagReaderSessionDidBecomeActive(_ session: NFCTagReaderSession) {}

    func tagReaderSession(_ session: NFCTagReaderSession, didInvalidateWithError error: any Error) {
        finish(.failure(NFCReaderError.ended(error.localizedDescription)))
    }

    func tagReaderSession(_ session: NFCTagReaderSession, didDetect tags: [NFCTag]) {
        guard tags.count == 1, let tag = tags.first else {
            session.alertMessage = String(localized: "More than one tag found. Hold the phone to just one.")
            session.restartPolling()
            return
        }
        session.connect(to: tag) { [self] error in
            if let error {
                session.invalidate(errorMessage: error.localizedDescription)
                return
            }
            read(tag, in: session)
        }
    }

    /// The tag's UID and, when it carries an NDEF message, its records as plain bytes.
    private func read(_ tag: NFCTag, in session: NFCTagReaderSession) {
        let (uid, ndef) = Self.identity(of: tag)
        guard let ndef else {
            done(NFCReading(uid: uid, ndefRecords: []), session)
            return
        }
        ndef.queryNDEFStatus { [self] status, _, error in
            guard error == nil, status != .notSupported else {
                done(NFCReading(uid: uid, ndefRecords: []), session)
                return
            }
            ndef.readNDEF { [self] message, _ in
                let records = message?.records.map {
                    NDEFRecord(typeNameFormat: $0.typeNameFormat.rawValue, type: $0.type, payload: $0.payload)
                }
                done(NFCReading(uid: uid, ndefRecords: records ?? []), session)
            }
        }
    }

    private func done(_ reading: NFCReading, _ session: NFCTagReaderSession) {
        session.alertMessage = String(localized: "Done.")
        // Resumed before invalidating, so the invalidation callback finds nothing to resume.
        finish(.success(reading))
        session.invalidate()
    }

    private func finish(_ result: Result<NFCReading, any Error>) {
        continuation?.resume(with: result)
        continuation = nil
        session = nil
        keepAlive = nil
    }

    /// The tag's UID and, when it can carry NDEF, the tag as an NDEF tag.
    private static func identity(of tag: NFCTag) -> (Data, (any NFCNDEFTag)?) {
        switch tag {
        case .miFare(let tag): (tag.identifier, tag)
        case .iso7816(let tag): (tag.identifier, tag)
        case .iso15693(let tag): (tag.identifier, tag)
        case .feliCa(let tag): (tag.currentIDm, tag)
        @unknown default: (Data(), nil)
        }
    }
}
#endif
