//! The ChargeKit reference backend: the driver API (REST + Server-Sent Events), the OCPP 1.6J
//! central system, pricing through the shared engine, and SQLite storage.
//!
//! [`start`] runs a server in the current Tokio runtime and returns a handle; the `chargekit`
//! binary, the demo and the tests all use it.

mod alerts;
mod api;
mod auth;
mod authorization;
mod billing;
pub mod config;
mod dashboard;
mod error;
mod fleet;
mod heartbeats;
mod live;
mod live_streams;
mod metrics;
mod ocpp;
mod payments;
mod plausibility;
mod push;
mod rate_limit;
mod receipts;
pub mod reports;
mod serving;
mod sessions;
mod state;
mod store;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use alerts::{AlertsConfig, WebhookConfig};
pub use api::ApiDoc;
pub use ocpp::OcppLogConfig;
pub use auth::PasswordHashingLoad;
pub use config::{
    CardProviderConfig, ChargerSeed, EvseSeed, OperatorSeed, PaymentsConfig, PlausibilityConfig, SecurityProfile, ServerConfig,
    TlsListenerConfig,
    default_tariff,
};
pub use push::{ApnsConfig, FcmConfig, PushConfig};

pub use state::AppState;
use store::{SeedEvse, Store};

/// How long a shutdown waits for requests in flight before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database {}: {source}", path.display())]
    OpenDatabase { path: std::path::PathBuf, source: sqlx::Error },
    #[error("database error at start: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the configured tariff is invalid: {0}")]
    Tariff(#[from] chargekit_model::tariff::TariffError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("invalid configuration: {0}")]
    Config(String),
}

/// A running server.
pub struct RunningServer {
    addr: SocketAddr,
    tls_addr: Option<SocketAddr>,
    state: Arc<AppState>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The driver API's base URL, e.g. `http://127.0.0.1:8180`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL chargers connect to, without the charge point id.
    pub fn ocpp_url(&self) -> String {
        format!("ws://{}/ocpp", self.addr)
    }

    /// The URL chargers on security profile 2 connect to, if TLS is configured.
    pub fn ocpp_tls_url(&self) -> Option<String> {
        self.tls_addr.map(|addr| format!("wss://{addr}/ocpp"))
    }

    /// What the database writes cost so far (commits, writes waiting): also on `/metrics`, read
    /// here by tests while the database is held busy.
    pub fn write_stats(&self) -> &store::WriteStats {
        self.state.store.write_stats()
    }

    /// Stops accepting, ends live streams and charger connections (each charger gets a close
    /// frame and its disconnection is recorded), waits (briefly) for requests in flight, then
    /// closes the database.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        for mut task in self.tasks {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await.is_err() {
                task.abort();
            }
        }
        self.state.chargers.connections.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, self.state.chargers.connections.wait()).await.is_err() {
            tracing::warn!(
                chargers = self.state.chargers.connections.len(),
                "charger connections did not end in time; they count as offline from their last heartbeat"
            );
        }
        // The chargers are gone: their last beats are final now.
        self.state.chargers.heartbeats.write(&self.state.store).await;
        self.state.store.close().await;
    }
}

/// Opens the database, seeds chargers and tariff, and starts serving.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    let tls = check_config(&config)?;
    let store = open_store(&config).await?;
    seed_operators(&store, &config).await?;
    close_connections_left_open(&store).await?;
    seed_chargers(&store, &config).await?;
    let receipts = receipts::ReceiptSigner::load(&store, config.receipt_signing_key.as_deref()).await.map_err(StartError::Config)?;
    let payments = payments::PaymentsRuntime::new(&config.payments).map_err(StartError::Config)?;
    let push_providers = push::Providers::of_config(&config.push).map_err(StartError::Config)?;
    let listener = bind(config.bind).await?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let state = Arc::new(AppState::new(store, receipts, payments, config));
    fleet::start(&state).await?;
    let limits = serving::Limits::of(&state.config).map_err(StartError::Config)?;
    let mut tasks = vec![tokio::spawn(serving::serve(listener, serving::Plain, router(state.clone()), limits, state.shutdown.clone()))];
    let tls_addr = match (tls, state.config.ocpp_tls.as_ref().map(|t| t.bind)) {
        (Some(tls), Some(bind_at)) => Some(serve_ocpp_tls(&state, tls, bind_at, limits, &mut tasks).await?),
        _ => None,
    };
    start_background_work(&state).await?;
    push::start(&state, push_providers).await?;
    tracing::info!(%addr, "ChargeKit server listening");
    Ok(RunningServer { addr, tls_addr, state, tasks })
}

/// Refuses a configuration that cannot work (an invalid tariff or charger), warns of chargers
/// anyone can pose as, and loads the TLS certificate if chargers connect over TLS.
fn check_config(config: &ServerConfig) -> Result<Option<Arc<rustls::ServerConfig>>, StartError> {
    config.tariff.validate()?;
    config.alerts.validate().map_err(StartError::Config)?;
    for charger in &config.chargers {
        charger.validate().map_err(StartError::Config)?;
    }
    let unauthenticated = config.unauthenticated_chargers();
    if !unauthenticated.is_empty() {
        tracing::warn!(
            chargers = ?unauthenticated,
            loopback_only = config.bind.ip().is_loopback(),
            "chargers on security profile 0: no authentication, anyone who knows the id can be the charger (a local simulator or a lab only)"
        );
    }
    config.ocpp_tls.as_ref().map(tls::server_config).transpose().map_err(StartError::Config)
}

/// Opens (and migrates) the database, rewrites older accounts' emails once, and stores the
/// configured tariff.
async fn open_store(config: &ServerConfig) -> Result<Store, StartError> {
    let open_failed = |source| StartError::OpenDatabase { path: config.database.clone(), source };
    let store = Store::open(&config.database).await.map_err(open_failed)?;
    let emails = store.rewrite_emails_once(api::credentials::stored_form).await?;
    if emails.rewritten > 0 {
        tracing::info!(accounts = emails.rewritten, "emails of older accounts rewritten in the form they are looked up by (lower-case, NFC)");
    }
    for driver_id in &emails.kept_apart {
        tracing::warn!(%driver_id, "this account's email, Unicode-normalized, is another account's: it keeps its old form and cannot sign in until an operator merges or renames it");
    }
    store.upsert_tariff(&config.tariff).await?;
    Ok(store)
}

/// The configured operators, with their passwords hashed: the only ones who can sign in.
async fn seed_operators(store: &Store, config: &ServerConfig) -> Result<(), StartError> {
    let mut operators = Vec::with_capacity(config.operators.len());
    for operator in &config.operators {
        if operator.password.chars().count() < 12 {
            return Err(StartError::Config(format!("operator {}: use a password of at least 12 characters", operator.username)));
        }
        let hash = auth::hash_password(operator.password.clone()).await.map_err(|e| StartError::Config(e.message))?;
        operators.push((operator.username.clone(), hash));
    }
    store.sync_operators(&operators).await?;
    Ok(())
}

/// Connections a previous run did not close (it was killed) end at their last heartbeat.
async fn close_connections_left_open(store: &Store) -> Result<(), StartError> {
    let closed = store.close_connections_left_open().await?;
    if closed > 0 {
        tracing::warn!(chargers = closed, "the server stopped without closing charger connections; they count as offline since their last heartbeat");
    }
    Ok(())
}

/// The configured chargers: their security, meter key, site and EVSEs.
async fn seed_chargers(store: &Store, config: &ServerConfig) -> Result<(), StartError> {
    for charger in &config.chargers {
        let password_hash = charger.password.as_deref().map(ocpp::security::hash_password);
        store.set_charger_security(&charger.charge_point_id, charger.security_profile.into(), password_hash.as_deref()).await?;
        store.set_meter_public_key(&charger.charge_point_id, charger.meter_public_key.as_deref()).await?;
        store.set_charger_site(&charger.charge_point_id, charger.site.as_deref()).await?;
        for evse in &charger.evses {
            store
                .upsert_charger_evse(&SeedEvse {
                    charger_id: &charger.charge_point_id,
                    connector_id: evse.connector_id,
                    evse_id: &evse.evse_id,
                    tariff_id: &config.tariff.id,
                })
                .await?;
        }
    }
    Ok(())
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
}

/// The TLS listener for chargers on security profile 2; its address.
async fn serve_ocpp_tls(
    state: &Arc<AppState>,
    tls: Arc<rustls::ServerConfig>,
    bind_at: SocketAddr,
    limits: serving::Limits,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<SocketAddr, StartError> {
    let listener = bind(bind_at).await?;
    let tls_addr = listener.local_addr().map_err(|source| StartError::Bind { addr: bind_at, source })?;
    // Only chargers come this way; every connection is marked TLS for the security check.
    let app = Router::new()
        .route("/ocpp/{charge_point_id}", get(ocpp::upgrade))
        .layer(axum::Extension(ocpp::Transport::Tls))
        .with_state(state.clone());
    tasks.push(tokio::spawn(serving::serve(listener, tls::Tls::new(tls), app, limits, state.shutdown.clone())));
    tracing::info!(addr = ?tls_addr, "OCPP over TLS listening");
    Ok(tls_addr)
}

/// What runs beside the requests: the start windows of remote starts still waiting, log
/// pruning, the heartbeat writer, the availability warmer, and payments left unsettled.
async fn start_background_work(state: &Arc<AppState>) -> Result<(), StartError> {
    state.sessions().watch_pending_starts().await?;
    // The warmer reads a year of history: on its own connection, so that chargers, whose
    // messages need the main pool's connections, never wait for it.
    let background = state
        .store
        .open_background(&state.config.database)
        .await
        .map_err(|source| StartError::OpenDatabase { path: state.config.database.clone(), source })?;
    spawn_handled_log_pruning(background.clone(), state.shutdown.clone());
    ocpp::spawn_message_log_pruning(background.clone(), state.config.ocpp_log.clone(), state.shutdown.clone());
    alerts::spawn(state.clone(), state.shutdown.clone()).map_err(StartError::Config)?;
    heartbeats::spawn_writer(state.clone(), state.shutdown.clone());
    reports::spawn_availability_warmer(background, state.shutdown.clone());
    state.payments().resume().await?;
    Ok(())
}

/// How long the answer to a charger's transaction message is kept for a retransmission: longer
/// than a charger stays offline with a queue in practice.
const HANDLED_MESSAGES_KEPT: time::Duration = time::Duration::days(14);

/// Prunes the retransmission log every hour, on the background connection.
fn spawn_handled_log_pruning(store: Store, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            match store.prune_handled_messages(time::OffsetDateTime::now_utc() - HANDLED_MESSAGES_KEPT).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "old answers to charger messages pruned"),
                Err(e) => tracing::warn!(error = %e, "cannot prune the answers to charger messages"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    });
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ocpp/{charge_point_id}", get(ocpp::upgrade))
        .merge(api::router())
        .route("/metrics", get(metrics::metrics))
        .merge(dashboard::router())
        .fallback(api::no_such_endpoint)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
