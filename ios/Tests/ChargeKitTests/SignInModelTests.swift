import ChargeKit
import ChargeKitModels
import Foundation
import Testing

@MainActor
@Suite struct SignInModelTests {
    @Test func signUpSignOutAndAWrongPassword() async throws {
        let backend = try TestBackend(charger: false)
        let store = LockableSecureStore()
        let client = try backend.client("sign-in", secureStore: store)
        let model = SignInModel(client: client)
        #expect(model.state == .signedOut)

        model.email = "sign-in@example.com"
        model.password = TestBackend.password
        await model.signUp()
        guard case .signedIn(let account) = model.state else {
            Issue.record("expected to be signed in, got \(model.state)")
            return
        }
        #expect(account.email == "sign-in@example.com")
        #expect(model.password.isEmpty, "the password is not kept once used")
        #expect(SignInModel(client: client).state == .signedIn(account), "a new screen finds the driver signed in")

        await model.signOut()
        #expect(model.state == .signedOut)
        #expect(client.account == nil)
        // The sign-out's Keychain and disk work ran off the main actor (this test runs on it).
        #expect(!store.deletesOnMainThread.isEmpty && !store.deletesOnMainThread.contains(true), "\(store.deletesOnMainThread)")
        // The app's root passes on the core's states: a sign-out stays a sign-out, not an error.
        model.authStateChanged(.signedOut)
        #expect(model.state == .signedOut)

        model.password = "not the password"
        await model.signIn()
        guard case .failed(let message) = model.state else {
            Issue.record("expected a failure, got \(model.state)")
            return
        }
        #expect(!message.isEmpty)
    }
}
