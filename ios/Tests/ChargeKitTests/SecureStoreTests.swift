import ChargeKit
import ChargeKitModels
import Foundation
import Testing

/// A secure store written in Swift, like the Keychain: while "locked" it throws `.Unavailable`
/// (errSecInteractionNotAllowed) and keeps its values; a value never stored is `.NotFound`.
final class LockableSecureStore: SecureStore, @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Data] = [:]
    private var locked = false
    /// For each delete, whether it ran on the main thread (the UI's: it must not).
    private(set) var deletesOnMainThread: [Bool] = []

    func setLocked(_ locked: Bool) {
        lock.lock()
        defer { lock.unlock() }
        self.locked = locked
    }

    func get(key: String) throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        try checkUnlocked()
        guard let value = values[key] else { throw SecureStoreError.NotFound }
        return value
    }

    func set(key: String, value: Data) throws {
        lock.lock()
        defer { lock.unlock() }
        try checkUnlocked()
        values[key] = value
    }

    func delete(key: String) throws {
        lock.lock()
        defer { lock.unlock() }
        deletesOnMainThread.append(Thread.isMainThread)
        try checkUnlocked()
        values[key] = nil
    }

    private func checkUnlocked() throws {
        if locked { throw SecureStoreError.Unavailable(reason: "errSecInteractionNotAllowed") }
    }
}

/// Records every auth state a client's `authStates` stream gives.
actor AuthStates {
    private(set) var seen: [AuthState] = []
    func append(_ state: AuthState) { seen.append(state) }
}

@Suite struct SecureStoreTests {
    @Test func aLockedSecureStoreKeepsTheQueuedStopDeliveredOnceUnlocked() async throws {
        let backend = try TestBackend()
        let proxy = try backend.proxy()
        let store = LockableSecureStore()
        let sessionID = try await queueStopOffline(backend, proxy, store)

        // Launched again while the phone is locked, the network back: opening fails with a
        // storage error and changes nothing, as often as it is tried.
        store.setLocked(true)
        proxy.restore()
        for _ in 0..<3 {
            do {
                _ = try await reopen(backend, proxy, store)
                Issue.record("the core opened without its cache key")
            } catch let failure as ChargeKitFailure {
                #expect(failure.kind == .storage)
                #expect(failure.message.contains("secure storage"), "\(failure.message)")
            }
        }

        store.setLocked(false)
        let client = try await reopen(backend, proxy, store)
        #expect(client.account != nil, "still signed in")
        // Polled with a deadline, not the live stream: a stop that was lost must fail the test,
        // not hang it.
        try await eventually("the queued stop completed the session", timeout: 30) {
            try await client.session(sessionID).state == .completed
        }
        #expect(try await client.syncHistory(limit: 10).map(\.id) == [sessionID], "one session, stopped once")
    }

    @Test func authStatesFollowSignInSignOutAndARevokedSignIn() async throws {
        let backend = try TestBackend(charger: false)
        let store = LockableSecureStore()
        let client = try backend.client("auth", secureStore: store)
        let states = AuthStates()
        let collecting = Task {
            for await state in client.authStates { await states.append(state) }
        }
        defer { collecting.cancel() }
        try await eventually("signed out at first") { await states.seen.last == .signedOut }

        let email = "auth-\(UUID().uuidString.prefix(8))@example.com"
        _ = try await client.signUp(email: email, password: TestBackend.password)
        try await eventually("signed in") { await states.seen.last == .signedIn(account: client.account!) }
        try await client.signOut()
        try await eventually("signed out") { await states.seen.last == .signedOut }
        _ = try await client.signIn(email: email, password: TestBackend.password)
        try await eventually("signed in again") {
            let last = await states.seen.last
            if case .signedIn? = last { return true }
            return false
        }

        // Another core signs out with the same tokens (as a sign-out elsewhere would): the
        // backend ends the sign-in, and this core's next call finds it revoked.
        let elsewhere = LockableSecureStore()
        try elsewhere.set(key: "chargekit.auth_token", value: try store.get(key: "chargekit.auth_token"))
        // Kept open: its sign-out reaches the backend from its runtime, in the background.
        let other = try backend.client("elsewhere", secureStore: elsewhere)
        try await other.signOut()
        try await eventually("the backend refuses the sign-in") {
            do throws(ChargeKitFailure) {
                _ = try await client.lookUpEVSE(TestBackend.evseID)
                return false
            } catch {
                return error.kind == .unauthorized
            }
        }
        try await eventually("revoked") { await states.seen.last == .revoked }
        #expect(client.account == nil)
        // The sign-in screen, told by the app's root, says why it is shown.
        let signIn = await SignInModel(client: client)
        await signIn.authStateChanged(.revoked)
        #expect(await signIn.state == .revoked)
        // A stream started now begins with the current state.
        for await state in client.authStates {
            #expect(state == .revoked)
            break
        }
        withExtendedLifetime(other) {}
    }

    /// Signs a driver up through `proxy`, starts charging, cuts the network and taps stop: the
    /// stop is queued on the phone. The client is closed when this returns.
    private func queueStopOffline(_ backend: TestBackend, _ proxy: FaultProxy, _ store: LockableSecureStore) async throws -> String {
        let client = try await backend.signedUpDriver("locked", through: proxy, secureStore: store)
        let session = try await client.startSession(at: TestBackend.evseID)
        try await eventually("charging") { try await client.session(session.id).state == .charging }
        proxy.cut()
        #expect(try await client.stopSession(session.id).stopPending)
        return session.id
    }

    /// Opens the core on the directory a closed core just used; the closed core's runtime may
    /// hold the cache's lock a moment longer (a storage error, not the secure store's), so that
    /// one is waited out.
    private func reopen(_ backend: TestBackend, _ proxy: FaultProxy, _ store: LockableSecureStore) async throws -> ChargeKitClient {
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            do {
                return try backend.client("locked", through: proxy, secureStore: store)
            } catch let failure as ChargeKitFailure where failure.kind == .storage && !failure.message.contains("secure storage") && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}
