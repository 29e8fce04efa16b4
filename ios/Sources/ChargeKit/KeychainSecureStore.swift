#if canImport(Security)
import Foundation
import Security

/// The core's `SecureStore` on the Keychain: each secret is a generic password item of this
/// app's service, readable after the first unlock and never synced or restored to another
/// device (a sign-in token belongs to this phone).
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

    public func get(key: String) -> Data? {
        var query = baseQuery(key)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        guard SecItemCopyMatching(query as CFDictionary, &result) == errSecSuccess else { return nil }
        return result as? Data
    }

    public func set(key: String, value: Data) {
        let attributes: [String: Any] = [
            kSecValueData as String: value,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let status = SecItemUpdate(baseQuery(key) as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            let item = baseQuery(key).merging(attributes) { _, new in new }
            SecItemAdd(item as CFDictionary, nil)
        }
    }

    public func delete(key: String) {
        SecItemDelete(baseQuery(key) as CFDictionary)
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
