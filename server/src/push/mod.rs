//! Push from the backend: the driver events the phones derive (the one set of rules in
//! [`chargekit_model::driver_events`]) are derived here too from the sessions' changes and
//! pushed to the driver's registered devices through a [`PushProvider`]: Firebase Cloud
//! Messaging ([`fcm`]) and APNs over HTTP/2 ([`apns`], alerts and Live Activities).
//!
//! - [`api`]: the driver API's device tokens;
//! - [`derive`]: session changes → events, each once → the outbox (a table), in the background;
//! - [`sender`]: the outbox → the providers, with retries and gone tokens deleted.
//!
//! Nothing here is on a charger's path: a MeterValues is answered once it is stored, and the
//! deriver reads it from the database afterwards.

pub mod api;
mod apns;
pub mod config;
mod derive;
mod fcm;
mod jwt;
pub mod provider;
mod sender;

use std::sync::Arc;
use std::time::Duration;

pub use config::{ApnsConfig, FcmConfig, PushConfig};
pub use provider::PushProvider;

use crate::{AppState, StartError};
use crate::store::Store;

/// The configured providers.
#[derive(Clone, Default)]
pub struct Providers {
    fcm: Option<Arc<dyn PushProvider>>,
    apns: Option<Arc<dyn PushProvider>>,
}

impl Providers {
    /// Reads the credentials the config names; a file that is missing or unreadable stops the
    /// server at start, naming it.
    pub fn of_config(config: &PushConfig) -> Result<Self, String> {
        let fcm = match &config.fcm {
            Some(fcm) => Some(Arc::new(fcm::Fcm::new(fcm, http_client(config.timeout, &fcm.api_base, false)?)?) as Arc<dyn PushProvider>),
            None => None,
        };
        let apns = match &config.apns {
            Some(apns) => Some(Arc::new(apns::Apns::new(apns, http_client(config.timeout, &apns.api_base, true)?)?) as Arc<dyn PushProvider>),
            None => None,
        };
        Ok(Self { fcm, apns })
    }

    fn of(&self, provider: &str) -> Option<&Arc<dyn PushProvider>> {
        match provider {
            "fcm" => self.fcm.as_ref(),
            "apns" => self.apns.as_ref(),
            _ => None,
        }
    }

    fn is_empty(&self) -> bool {
        self.fcm.is_none() && self.apns.is_none()
    }
}

/// Starts the deriver and the sender on a database connection of their own, when a provider
/// is configured (the schema is up to date: the server's store opened first).
pub async fn start(state: &Arc<AppState>, providers: Providers) -> Result<(), StartError> {
    if providers.is_empty() {
        return Ok(());
    }
    let database = &state.config.database;
    let store = state.store.open_background(database).await.map_err(|source| StartError::OpenDatabase { path: database.clone(), source })?;
    spawn(state.clone(), providers, store);
    Ok(())
}

fn spawn(state: Arc<AppState>, providers: Providers, store: Store) {
    let wake = Arc::new(tokio::sync::Notify::new());
    tokio::spawn(sender::run(store.clone(), providers, state.config.push.clone(), wake.clone(), state.shutdown.clone()));
    tokio::spawn(derive::run(state, store, wake));
}

/// An HTTP client for a provider, over rustls with ring and Mozilla's roots. APNs speaks
/// HTTP/2 only: over TLS it is negotiated (ALPN `h2`), and an `http://` base (a test's local
/// server) gets HTTP/2 with prior knowledge.
fn http_client(timeout: Duration, base: &str, http2_only: bool) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut tls = crate::payments::stripe::tls_config()?;
    if http2_only {
        tls.alpn_protocols = vec![b"h2".to_vec()];
    }
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10).min(timeout))
        .user_agent(concat!("chargekit-server/", env!("CARGO_PKG_VERSION")));
    if http2_only && base.starts_with("http://") {
        builder = builder.http2_prior_knowledge();
    }
    builder.build().map_err(|e| format!("cannot build a push provider's HTTP client: {e}"))
}

fn unix_ms(at: time::OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}
