//! The driver app's logic in plain Rust: accounts, chargers, sessions, history. The FFI layer
//! ([`crate::ffi`]) only converts and delegates to this.

use std::path::Path;
use std::sync::{Arc, Mutex};

use chargekit_model::api::{AuthToken, Credentials, EvseInfo};
use chargekit_model::{EvseId, Session};
use tokio::runtime::Handle;

use crate::cache::SessionCache;
use crate::client::ApiClient;
use crate::error::CoreError;
use crate::live::LiveFeeds;
use crate::secrets::SecureStore;

/// Where the sign-in token lives in the platform's secure store.
const TOKEN_KEY: &str = "chargekit.auth_token";
/// Sessions fetched per request when syncing history.
const SYNC_PAGE: u32 = 100;

pub struct Core {
    pub(crate) client: ApiClient,
    pub(crate) cache: SessionCache,
    pub(crate) live: LiveFeeds,
    pub(crate) runtime: Handle,
    secure_store: Arc<dyn SecureStore>,
    token: Mutex<Option<AuthToken>>,
}

impl Core {
    /// Opens the core on a backend URL and a data directory (created if missing). A token
    /// saved by an earlier run is picked up, so the driver stays signed in.
    pub fn open(backend_url: &str, data_dir: &Path, secure_store: Arc<dyn SecureStore>, runtime: Handle) -> Result<Self, CoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| CoreError::Storage(format!("cannot create {}: {e}", data_dir.display())))?;
        let token = secure_store.get(TOKEN_KEY.into()).and_then(|bytes| serde_json::from_slice(&bytes).ok());
        Ok(Self {
            client: ApiClient::new(backend_url)?,
            cache: SessionCache::open(data_dir)?,
            live: LiveFeeds::default(),
            runtime,
            secure_store,
            token: Mutex::new(token),
        })
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Result<AuthToken, CoreError> {
        let token = self.client.register(&credentials(email, password)).await?;
        self.remember(&token);
        Ok(token)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<AuthToken, CoreError> {
        let token = self.client.sign_in(&credentials(email, password)).await?;
        self.remember(&token);
        Ok(token)
    }

    pub fn sign_out(&self) {
        *self.token.lock().expect("token lock") = None;
        self.secure_store.delete(TOKEN_KEY.into());
    }

    pub fn account(&self) -> Option<AuthToken> {
        self.token.lock().expect("token lock").clone()
    }

    pub(crate) fn bearer(&self) -> Result<String, CoreError> {
        self.account().map(|t| t.token).ok_or(CoreError::NotSignedIn)
    }

    pub async fn evse(&self, evse_id: &str) -> Result<EvseInfo, CoreError> {
        let evse_id = parse_evse_id(evse_id)?;
        self.client.evse(&self.bearer()?, &evse_id).await
    }

    /// Starts charging. The idempotency key makes a retried request (after a dropped answer)
    /// return the same session instead of starting a second one.
    pub async fn start_session(&self, evse_id: &str) -> Result<Session, CoreError> {
        let evse_id = parse_evse_id(evse_id)?;
        let key = uuid::Uuid::new_v4().to_string();
        let session = self.client.start_session(&self.bearer()?, &evse_id, &key).await?;
        self.cache.put(&session)?;
        Ok(session)
    }

    pub async fn stop_session(&self, session_id: &str) -> Result<Session, CoreError> {
        let key = uuid::Uuid::new_v4().to_string();
        let session = self.client.stop_session(&self.bearer()?, session_id, &key).await?;
        self.cache.put(&session)?;
        Ok(session)
    }

    /// The session from the backend (and cached), or from the cache when offline.
    pub async fn session(&self, session_id: &str) -> Result<Session, CoreError> {
        match self.client.session(&self.bearer()?, session_id).await {
            Ok(session) => {
                self.cache.put(&session)?;
                Ok(session)
            }
            Err(CoreError::Network(message)) => self.cache.get(session_id)?.ok_or(CoreError::Network(message)),
            Err(other) => Err(other),
        }
    }

    /// Fetches the driver's sessions from the backend into the cache, then returns the first
    /// page of history from the cache.
    pub async fn sync_history(&self, limit: usize) -> Result<Vec<Session>, CoreError> {
        let token = self.bearer()?;
        let mut offset = 0;
        loop {
            let page = self.client.sessions(&token, SYNC_PAGE, offset).await?;
            for session in &page.sessions {
                self.cache.put(session)?;
            }
            match page.next_offset {
                Some(next) => offset = next,
                None => break,
            }
        }
        self.history(limit, 0)
    }

    /// History from the cache only: works with no network.
    pub fn history(&self, limit: usize, offset: usize) -> Result<Vec<Session>, CoreError> {
        self.cache.newest(limit, offset)
    }

    fn remember(&self, token: &AuthToken) {
        if let Ok(bytes) = serde_json::to_vec(token) {
            self.secure_store.set(TOKEN_KEY.into(), bytes);
        }
        *self.token.lock().expect("token lock") = Some(token.clone());
    }
}

/// Reads what a QR code, an NFC tag or the driver's typing gave into an EVSE ID.
pub fn parse_evse_id(input: &str) -> Result<EvseId, CoreError> {
    EvseId::parse(input).map_err(|e| CoreError::InvalidInput(e.to_string()))
}

fn credentials(email: &str, password: &str) -> Credentials {
    Credentials { email: email.to_owned(), password: password.to_owned() }
}
