package io.chargekit

import io.chargekit.client.ChargeKitClient
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.flow.last
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * A secure store written in Kotlin that fails for a while and recovers, and the auth-state flow,
 * through the real core and server.
 */
class SecureStoreTest {
    @Test
    fun `a locked secure store keeps the queued stop, delivered once it answers again`(): Unit = runBlocking {
        TestBackend.start().use { backend ->
            backend.startCharger()
            val secrets = InMemorySecureStore()
            val sessionId = backend.client(secureStore = secrets).use { app ->
                app.signUp("locked@example.com", "correct horse battery")
                app.awaitOnline()
                val session = app.startSession(TestBackend.EVSE_ID)
                eventually(what = "charging") { app.session(session.id).state == SessionState.CHARGING }
                session.id
            }
            // The phone has no network when the driver taps stop: the stop is queued on the phone.
            reopen { backend.client(secureStore = secrets, backendUrl = "http://127.0.0.1:9") }.use { offline ->
                assertTrue(offline.stopSession(sessionId).stopPending)
            }

            // Launched again while the phone is locked: opening fails with a storage error and
            // touches nothing, as often as it is tried.
            secrets.locked = true
            repeat(3) {
                val failure = assertThrows<ChargeKitException.Storage> { reopen { backend.client(secureStore = secrets) } }
                assertTrue(failure.message!!.contains("secure storage"), failure.message)
            }

            secrets.locked = false
            reopen { backend.client(secureStore = secrets) }.use { app ->
                assertNotNull(app.account, "still signed in")
                val final = withTimeout(30_000) { app.liveSession(sessionId).last() }
                assertEquals(SessionState.COMPLETED, final.state)
                assertEquals(listOf(sessionId), app.syncHistory().map { it.id }, "one session, stopped once")
            }
        }
    }

    @Test
    fun `the auth-state flow says signed in, signed out, and revoked when the backend ends the sign-in`(): Unit = runBlocking {
        TestBackend.start().use { backend ->
            val secrets = InMemorySecureStore()
            backend.client(secureStore = secrets).use { app ->
                withTimeout(10_000) { app.authState.first { it is AuthState.SignedOut } }
                app.signUp("flow@example.com", "correct horse battery")
                val signedIn = withTimeout(10_000) { app.authState.first { it is AuthState.SignedIn } }
                assertEquals("flow@example.com", (signedIn as AuthState.SignedIn).account.email)
                app.signOut()
                withTimeout(10_000) { app.authState.first { it is AuthState.SignedOut } }

                app.signIn("flow@example.com", "correct horse battery")
                withTimeout(10_000) { app.authState.first { it is AuthState.SignedIn } }
                // The sign-in is ended on the backend (as a sign-out on another device does).
                signOutOnBackend(backend, String(secrets.get("chargekit.auth_token")))
                assertThrows<ChargeKitException.Unauthorized> { app.lookupEvse(TestBackend.EVSE_ID) }
                withTimeout(10_000) { app.authState.first { it == AuthState.Revoked } }
                assertEquals(null, app.account)
            }
        }
    }

    private fun signOutOnBackend(backend: TestBackend, storedToken: String) {
        val token = Regex("\"token\":\"([^\"]+)\"").find(storedToken)!!.groupValues[1]
        val refresh = Regex("\"refresh_token\":\"([^\"]+)\"").find(storedToken)!!.groupValues[1]
        val request = java.net.http.HttpRequest.newBuilder(java.net.URI("${backend.baseUrl}/v1/auth/sign-out"))
            .header("Authorization", "Bearer $token")
            .header("Content-Type", "application/json")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("""{"refresh_token":"$refresh"}"""))
            .build()
        val response = java.net.http.HttpClient.newHttpClient().send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
        assertTrue(response.statusCode() in 200..299, "sign-out answered ${response.statusCode()}: ${response.body()}")
    }

    /**
     * Opens the core on a data directory a closed core just used: its runtime winds down in the
     * background and may hold the cache's lock a moment longer (a storage error too, but not the
     * secure store's), so that one is waited out.
     */
    private suspend fun reopen(open: () -> ChargeKitClient): ChargeKitClient {
        val deadline = System.nanoTime() + 5_000_000_000
        while (true) {
            try {
                return open()
            } catch (e: ChargeKitException.Storage) {
                if (e.message!!.contains("secure storage") || System.nanoTime() > deadline) throw e
                delay(50)
            }
        }
    }
}
