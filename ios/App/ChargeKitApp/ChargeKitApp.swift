import ChargeKit
import SwiftUI

/// The app: opens the core once, off the main thread, then shows sign-in or the two tabs.
@main
struct ChargeKitApp: App {
    /// nil while the core opens.
    @State private var opening: Result<any ChargeKitClient, ChargeKitFailure>?

    var body: some Scene {
        WindowGroup {
            Group {
                switch opening {
                case nil:
                    ProgressView()
                case .success(let client):
                    RootView(client: client)
                case .failure(let failure):
                    ContentUnavailableView("ChargeKit cannot start", systemImage: "exclamationmark.octagon", description: Text(failure.message))
                }
            }
            .task { await open() }
        }
    }

    /// Opens the core; while the Keychain cannot answer (the phone is still locked after a
    /// restart) the core changes nothing and fails with a storage error, so it is opened again
    /// a moment later and the failure shown meanwhile.
    private func open() async {
        while true {
            let result = await AppCore.open()
            opening = result
            guard case .failure(let failure) = result, failure.kind == .storage else { return }
            try? await Task.sleep(for: .seconds(3))
            if Task.isCancelled { return }
        }
    }
}

/// Where the app's core lives and talks to.
enum AppCore {
    /// Opens the core on the backend named in Info.plist (`ChargeKitBackendURL`), with its
    /// cache in Application Support and the sign-in token in the Keychain. Opening reads the
    /// Keychain and the cache on disk, so it runs off the main actor.
    static func open() async -> Result<any ChargeKitClient, ChargeKitFailure> {
        let configured = Bundle.main.object(forInfoDictionaryKey: "ChargeKitBackendURL") as? String
        guard let backend = configured.flatMap(URL.init(string:)) else {
            return .failure(ChargeKitFailure(kind: .invalidInput, message: "ChargeKitBackendURL is missing from Info.plist."))
        }
        let directory = URL.applicationSupportDirectory.appending(path: "ChargeKit", directoryHint: .isDirectory)
        return await Task.detached {
            Result { () throws(ChargeKitFailure) in
                try CoreChargeKitClient(backendURL: backend, dataDirectory: directory, secureStore: KeychainSecureStore())
            }
        }.value
    }
}
