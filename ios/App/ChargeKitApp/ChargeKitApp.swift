import ChargeKit
import SwiftUI

/// The app: opens the core once, then shows sign-in or the two tabs.
@main
struct ChargeKitApp: App {
    @State private var opening = AppCore.open()

    var body: some Scene {
        WindowGroup {
            switch opening {
            case .success(let client):
                RootView(client: client)
            case .failure(let failure):
                ContentUnavailableView("ChargeKit cannot start", systemImage: "exclamationmark.octagon", description: Text(failure.message))
            }
        }
    }
}

/// Where the app's core lives and talks to.
enum AppCore {
    /// Opens the core on the backend named in Info.plist (`ChargeKitBackendURL`), with its
    /// cache in Application Support and the sign-in token in the Keychain.
    static func open() -> Result<any ChargeKitClient, ChargeKitFailure> {
        let configured = Bundle.main.object(forInfoDictionaryKey: "ChargeKitBackendURL") as? String
        guard let backend = configured.flatMap(URL.init(string:)) else {
            return .failure(ChargeKitFailure(kind: .invalidInput, message: "ChargeKitBackendURL is missing from Info.plist."))
        }
        let directory = URL.applicationSupportDirectory.appending(path: "ChargeKit", directoryHint: .isDirectory)
        return Result { () throws(ChargeKitFailure) in
            try CoreChargeKitClient(backendURL: backend, dataDirectory: directory, secureStore: KeychainSecureStore())
        }
    }
}
