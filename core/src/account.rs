//! The signed-in driver's tokens: kept only in the platform's secure store (and memory), and
//! refreshed without the UI noticing. A request answered 401 gets one refresh — shared by every
//! request that hit the same expired token at once — and is sent again; if the refresh token is
//! refused too, the driver is signed out and asked to sign in.
//!
//! Where the sign-in stands is published as an [`AuthStatus`] the app roots route on: signed
//! in, signed out (by the driver), or revoked (the backend refused the refresh: expired, signed
//! out elsewhere, or revoked by the operator).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chargekit_model::api::{ApiErrorCode, AuthToken};
use tokio::sync::watch;

use crate::client::ApiClient;
use crate::error::CoreError;
use crate::secrets::{self, SecureStore};

/// Where the tokens live in the platform's secure store.
const TOKEN_KEY: &str = "chargekit.auth_token";

/// Where the driver's sign-in stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthStatus {
    SignedIn { driver_id: String, email: String },
    /// Never signed in on this phone, or signed out by the driver.
    SignedOut,
    /// The backend refused to refresh the sign-in: it expired or was revoked. The driver must
    /// sign in again.
    Revoked,
}

impl AuthStatus {
    fn of(token: Option<&AuthToken>) -> Self {
        match token {
            Some(t) => Self::SignedIn { driver_id: t.driver_id.to_string(), email: t.email.clone() },
            None => Self::SignedOut,
        }
    }
}

pub struct Account {
    secure_store: Arc<dyn SecureStore>,
    token: Mutex<Option<AuthToken>>,
    /// The tokens in memory are newer than the secure store's: it could not take them (a
    /// locked phone). Saved again before the next request that uses them.
    unsaved: AtomicBool,
    status: watch::Sender<AuthStatus>,
    /// One refresh at a time: a refresh token works once, so two concurrent refreshes with it
    /// would look like theft to the backend and sign the driver out.
    refreshing: tokio::sync::Mutex<()>,
}

impl Account {
    /// The tokens an earlier run saved, if any. Fails when the secure store cannot answer now:
    /// "signed out" would send a signed-in driver to the sign-in screen.
    pub fn load(secure_store: Arc<dyn SecureStore>) -> Result<Self, CoreError> {
        let token: Option<AuthToken> = secrets::read(secure_store.as_ref(), TOKEN_KEY)?.and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let status = watch::Sender::new(AuthStatus::of(token.as_ref()));
        Ok(Self { secure_store, token: Mutex::new(token), unsaved: AtomicBool::new(false), status, refreshing: tokio::sync::Mutex::new(()) })
    }

    /// The platform's secure store, for other secrets (pinned keys).
    pub fn secure_store(&self) -> &dyn SecureStore {
        self.secure_store.as_ref()
    }

    /// The sign-in's status now and every change after (a watch: a slow reader gets the newest).
    pub fn status(&self) -> watch::Receiver<AuthStatus> {
        self.status.subscribe()
    }

    pub fn current(&self) -> Option<AuthToken> {
        self.token.lock().expect("token lock").clone()
    }

    pub fn bearer(&self) -> Result<String, CoreError> {
        self.save_if_unsaved();
        self.current().map(|t| t.token).ok_or(CoreError::NotSignedIn)
    }

    /// Keeps new tokens, in the secure store first. A store that cannot take them now does not
    /// fail the sign-in or the refresh (the backend has already moved on to these tokens): they
    /// are kept in memory and saved as soon as the store answers.
    pub fn remember(&self, token: &AuthToken) {
        *self.token.lock().expect("token lock") = Some(token.clone());
        self.unsaved.store(true, Ordering::SeqCst);
        self.save_if_unsaved();
        let status = AuthStatus::of(Some(token));
        self.status.send_if_modified(|current| std::mem::replace(current, status.clone()) != status);
    }

    fn save_if_unsaved(&self) {
        if !self.unsaved.load(Ordering::SeqCst) {
            return;
        }
        let token = self.token.lock().expect("token lock");
        let Some(bytes) = token.as_ref().and_then(|t| serde_json::to_vec(t).ok()) else { return };
        // Under the lock, so a sign-out cannot slip its delete in between.
        match secrets::write(self.secure_store.as_ref(), TOKEN_KEY, bytes) {
            Ok(()) => self.unsaved.store(false, Ordering::SeqCst),
            Err(e) => tracing::info!(error = %e, "the tokens are not saved yet; trying again with the next request"),
        }
    }

    /// The driver signs out. Fails, changing nothing, when the secure store cannot delete the
    /// tokens now: the driver would otherwise be signed in again at the next launch.
    pub fn sign_out(&self) -> Result<(), CoreError> {
        let mut token = self.token.lock().expect("token lock");
        secrets::delete(self.secure_store.as_ref(), TOKEN_KEY)?;
        *token = None;
        self.unsaved.store(false, Ordering::SeqCst);
        drop(token);
        self.status.send_if_modified(|current| std::mem::replace(current, AuthStatus::SignedOut) != AuthStatus::SignedOut);
        Ok(())
    }

    /// The backend refused the sign-in. Its tokens are dropped; if the store cannot delete
    /// them now, they stay there harmlessly (the backend refuses them at the next launch too).
    fn revoked(&self) {
        let mut token = self.token.lock().expect("token lock");
        *token = None;
        self.unsaved.store(false, Ordering::SeqCst);
        if let Err(e) = secrets::delete(self.secure_store.as_ref(), TOKEN_KEY) {
            tracing::info!(error = %e, "the refused tokens stay in the secure store for now");
        }
        drop(token);
        self.status.send_replace(AuthStatus::Revoked);
    }

    /// Runs `call` with the access token; on a 401, refreshes once and runs it again.
    pub async fn authed<T, F, Fut>(&self, client: &ApiClient, call: F) -> Result<T, CoreError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, CoreError>>,
    {
        let token = self.bearer()?;
        match call(token.clone()).await {
            Err(e) if is_unauthorized(&e) => {
                let fresh = self.refresh(client, &token).await?;
                call(fresh).await
            }
            other => other,
        }
    }

    /// A fresh access token in place of `stale`. If another caller refreshed it meanwhile,
    /// theirs is used. A refused refresh signs the driver out.
    pub async fn refresh(&self, client: &ApiClient, stale: &str) -> Result<String, CoreError> {
        let _one_at_a_time = self.refreshing.lock().await;
        let current = self.current().ok_or(CoreError::NotSignedIn)?;
        if current.token != stale {
            return Ok(current.token);
        }
        if current.refresh_token.is_empty() {
            self.revoked();
            return Err(CoreError::NotSignedIn);
        }
        match client.refresh(&current.refresh_token).await {
            Ok(fresh) => {
                self.remember(&fresh);
                Ok(fresh.token)
            }
            Err(e) if is_unauthorized(&e) => {
                tracing::info!("the sign-in expired or was revoked; signing out");
                self.revoked();
                Err(CoreError::NotSignedIn)
            }
            Err(other) => Err(other),
        }
    }
}

pub fn is_unauthorized(error: &CoreError) -> bool {
    matches!(error, CoreError::Api(e) if e.code == ApiErrorCode::Unauthorized)
}
