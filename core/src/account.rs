//! The signed-in driver's tokens: kept only in the platform's secure store (and memory), and
//! refreshed without the UI noticing. A request answered 401 gets one refresh — shared by every
//! request that hit the same expired token at once — and is sent again; if the refresh token is
//! refused too, the driver is signed out and asked to sign in.

use std::sync::{Arc, Mutex};

use chargekit_model::api::{ApiErrorCode, AuthToken};

use crate::client::ApiClient;
use crate::error::CoreError;
use crate::secrets::SecureStore;

/// Where the tokens live in the platform's secure store.
const TOKEN_KEY: &str = "chargekit.auth_token";

pub struct Account {
    secure_store: Arc<dyn SecureStore>,
    token: Mutex<Option<AuthToken>>,
    /// One refresh at a time: a refresh token works once, so two concurrent refreshes with it
    /// would look like theft to the backend and sign the driver out.
    refreshing: tokio::sync::Mutex<()>,
}

impl Account {
    /// The tokens an earlier run saved, if any.
    pub fn load(secure_store: Arc<dyn SecureStore>) -> Self {
        let token = secure_store.get(TOKEN_KEY.into()).and_then(|bytes| serde_json::from_slice(&bytes).ok());
        Self { secure_store, token: Mutex::new(token), refreshing: tokio::sync::Mutex::new(()) }
    }

    /// The platform's secure store, for other secrets (pinned keys).
    pub fn secure_store(&self) -> &dyn SecureStore {
        self.secure_store.as_ref()
    }

    pub fn current(&self) -> Option<AuthToken> {
        self.token.lock().expect("token lock").clone()
    }

    pub fn bearer(&self) -> Result<String, CoreError> {
        self.current().map(|t| t.token).ok_or(CoreError::NotSignedIn)
    }

    /// Keeps new tokens, in the secure store first.
    pub fn remember(&self, token: &AuthToken) {
        if let Ok(bytes) = serde_json::to_vec(token) {
            self.secure_store.set(TOKEN_KEY.into(), bytes);
        }
        *self.token.lock().expect("token lock") = Some(token.clone());
    }

    pub fn forget(&self) {
        *self.token.lock().expect("token lock") = None;
        self.secure_store.delete(TOKEN_KEY.into());
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
            self.forget();
            return Err(CoreError::NotSignedIn);
        }
        match client.refresh(&current.refresh_token).await {
            Ok(fresh) => {
                self.remember(&fresh);
                Ok(fresh.token)
            }
            Err(e) if is_unauthorized(&e) => {
                tracing::info!("the sign-in expired or was revoked; signing out");
                self.forget();
                Err(CoreError::NotSignedIn)
            }
            Err(other) => Err(other),
        }
    }
}

pub fn is_unauthorized(error: &CoreError) -> bool {
    matches!(error, CoreError::Api(e) if e.code == ApiErrorCode::Unauthorized)
}
