#if canImport(Security)
import Foundation
import Security

/// The core's `SecureStore` on the Keychain: each secret is a generic password item of this
/// app's service, readable after the first unlock and never synced or restored to another
/// device (a sign-in token belongs to this phone).
///
/// How a failure is reported decides what the core does (see the README's secure store
/// contract): `errSecItemNotFound` is `SecureStoreError.NotFound`, the only answer that makes the
/// core create a new cache key; every other status — `errSecInteractionNotAllowed` while the
/// phone is locked before its first unlock, a busy `securityd` — is `.Unavailable`, and the core
/// keeps its cache and queued stops and asks again later. Nothing is deleted on a failure.
///
/// `Sendable` without help: it holds only immutable strings, and the Keychain API is
/// thread-safe. The core calls it from its own threads.
public final class KeychainSecureStore: SecureStore {
    private let service: String

    /// - Parameter service: The Keychain service the items are filed under; the bundle
    ///   identifier by default.
    public init(service: String = Bundle.main.bundleIdentifier ?? "io.chargekit") {
        self.service = service
    }

    public func get(key: String) throws -> Data {
        var query = baseQuery(key)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        guard status == errSecSuccess else { throw Self.failure(status, reading: key) }
        // An item without data can never be read: gone, as far as the core is concerned.
        guard let data = result as? Data else { throw SecureStoreError.NotFound }
        return data
    }

    public func set(key: String, value: Data) throws {
        let attributes: [String: Any] = [
            kSecValueData as String: value,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        var status = SecItemUpdate(baseQuery(key) as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            let item = baseQuery(key).merging(attributes) { _, new in new }
            status = SecItemAdd(item as CFDictionary, nil)
        }
        // Not written is never "not found": the core must not think the value is gone.
        guard status == errSecSuccess else { throw SecureStoreError.Unavailable(reason: Self.describe(status)) }
    }

    public func delete(key: String) throws {
        let status = SecItemDelete(baseQuery(key) as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else {
            throw SecureStoreError.Unavailable(reason: Self.describe(status))
        }
    }

    /// `errSecItemNotFound` is the one status that means gone; all others may pass.
    static func failure(_ status: OSStatus, reading key: String) -> SecureStoreError {
        status == errSecItemNotFound ? .NotFound : .Unavailable(reason: "\(key): \(describe(status))")
    }

    private static func describe(_ status: OSStatus) -> String {
        let text = SecCopyErrorMessageString(status, nil) as String? ?? "unknown"
        return "Keychain status \(status) (\(text))"
    }

    private func baseQuery(_ key: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: key,
        ]
    }
}
#endif
