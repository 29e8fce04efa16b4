//! The sign-in's state, pushed to the app roots: signed in, signed out, or revoked when the
//! backend refuses a refresh, so the apps route a driver whose sign-in ended back to sign-in.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chargekit_core::{AuthState, AuthStateListener, ChargeKitError, MemorySecureStore, SecureStore};
use chargekit_tests::{Backend, EVSE_ID, app_at, backend_with, http_client};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct States {
    seen: Mutex<Vec<AuthState>>,
    changed: Condvar,
}

impl AuthStateListener for States {
    fn on_auth_state(&self, state: AuthState) {
        self.seen.lock().unwrap().push(state);
        self.changed.notify_all();
    }
}

impl States {
    /// Waits until the newest state is `want`; returns all states seen so far.
    async fn wait_for(self: &Arc<Self>, want: fn(&AuthState) -> bool) -> Vec<AuthState> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let guard = this.seen.lock().unwrap();
            let (guard, result) = this.changed.wait_timeout_while(guard, WAIT, |s| !s.last().is_some_and(want)).unwrap();
            assert!(!result.timed_out(), "state not reached; seen: {:?}", *guard);
            guard.clone()
        })
        .await
        .unwrap()
    }
}

fn signed_in(state: &AuthState) -> bool {
    matches!(state, AuthState::SignedIn { .. })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_follows_sign_in_sign_out_and_a_revoked_sign_in() {
    let backend = backend_with(|config| config.access_token_lifetime = Duration::from_secs(1)).await;
    let secrets = Arc::new(MemorySecureStore::new());
    let app = app_at(&backend.server.base_url(), &backend, "phone", secrets.clone());
    let states = Arc::new(States::default());
    let handle = app.observe_auth_state(states.clone());
    states.wait_for(|s| *s == AuthState::SignedOut).await;

    app.sign_up("una@example.com".into(), PASSWORD.into()).await.unwrap();
    let seen = states.wait_for(signed_in).await;
    assert!(matches!(seen.last(), Some(AuthState::SignedIn { account }) if account.email == "una@example.com"), "{seen:?}");
    app.sign_out().unwrap();
    states.wait_for(|s| *s == AuthState::SignedOut).await;

    app.sign_in("una@example.com".into(), PASSWORD.into()).await.unwrap();
    states.wait_for(signed_in).await;
    // The sign-in is revoked elsewhere: its refresh token is used by someone else first.
    let stored: Value = serde_json::from_slice(&secrets.get("chargekit.auth_token".into()).unwrap()).unwrap();
    assert_eq!(refresh(&backend, &stored["refresh_token"]).await, 200);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(matches!(app.lookup_evse(EVSE_ID.into()).await, Err(ChargeKitError::Unauthorized { .. })));
    let seen = states.wait_for(|s| *s == AuthState::Revoked).await;
    assert_eq!(seen.iter().filter(|s| **s == AuthState::Revoked).count(), 1, "{seen:?}");
    assert!(app.account().is_none());

    // A listener that comes later gets the current state at once.
    let late = Arc::new(States::default());
    let _late = app.observe_auth_state(late.clone());
    late.wait_for(|s| *s == AuthState::Revoked).await;
    app.sign_in("una@example.com".into(), PASSWORD.into()).await.unwrap();
    states.wait_for(signed_in).await;
    handle.cancel();
    assert!(handle.is_finished());
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_sign_in_is_revoked_on_the_stream() {
    let backend = backend_with(|config| {
        config.access_token_lifetime = Duration::from_secs(1);
        config.token_lifetime = Duration::from_secs(2);
    })
    .await;
    let app = app_at(&backend.server.base_url(), &backend, "phone", Arc::new(MemorySecureStore::new()));
    app.sign_up("vic@example.com".into(), PASSWORD.into()).await.unwrap();
    let states = Arc::new(States::default());
    let _handle = app.observe_auth_state(states.clone());
    states.wait_for(signed_in).await;

    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(app.sync_history(10).await.is_err(), "the sign-in has expired");
    let seen = states.wait_for(|s| *s == AuthState::Revoked).await;
    assert!(seen.iter().take(seen.len() - 1).all(signed_in), "{seen:?}");
    backend.server.shutdown().await;
}

async fn refresh(backend: &Backend, refresh_token: &Value) -> u16 {
    let url = format!("{}/v1/auth/refresh", backend.server.base_url());
    http_client().post(url).json(&json!({"refresh_token": refresh_token})).send().await.unwrap().status().as_u16()
}
