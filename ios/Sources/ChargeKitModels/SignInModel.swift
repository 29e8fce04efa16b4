import ChargeKit
import Observation

/// The sign-in screen: an email and a password, to sign in or to make an account. The core
/// checks both and keeps the token in the secure store, so the driver stays signed in.
@MainActor
@Observable
public final class SignInModel {
    public enum State: Equatable, Sendable {
        case signedOut
        case working
        case signedIn(Account)
        /// The core's sentence for the driver.
        case failed(String)
        /// The backend refused the sign-in when the core refreshed it (it expired, or it was
        /// revoked elsewhere): the screen says so (the words are the view's).
        case revoked
    }

    public var email = ""
    public var password = ""
    public private(set) var state: State

    private let client: any ChargeKitClient

    public init(client: any ChargeKitClient) {
        self.client = client
        state = client.account.map(State.signedIn) ?? .signedOut
    }

    public func signIn() async {
        await authenticate { [client, email, password] () async throws(ChargeKitFailure) -> Account in
            try await client.signIn(email: email, password: password)
        }
    }

    public func signUp() async {
        await authenticate { [client, email, password] () async throws(ChargeKitFailure) -> Account in
            try await client.signUp(email: email, password: password)
        }
    }

    /// Where the core says the sign-in stands (the app root's ``ChargeKitClient/authStates``).
    public func authStateChanged(_ auth: AuthState) {
        switch auth {
        case .signedIn(let account): state = .signedIn(account)
        case .revoked: state = .revoked
        // At launch, or after a sign-out elsewhere in the app: a refusal shown stays.
        case .signedOut: if case .signedIn = state { state = .signedOut }
        }
    }

    /// Signs out; the core forgets this driver's data on the phone off the main actor.
    public func signOut() async {
        password = ""
        do throws(ChargeKitFailure) {
            try await client.signOut()
            state = .signedOut
        } catch {
            // Signed out all the same; the phone could not forget its history.
            state = .failed(error.message)
        }
    }

    private func authenticate(_ call: () async throws(ChargeKitFailure) -> Account) async {
        state = .working
        do throws(ChargeKitFailure) {
            state = .signedIn(try await call())
            password = ""
        } catch {
            state = .failed(error.message)
        }
    }
}
