//! The ChargeKit reference backend: the driver API (REST + Server-Sent Events), the OCPP 1.6J
//! central system, pricing through the shared engine, and SQLite storage.
//!
//! [`start`] runs a server in the current Tokio runtime and returns a handle; the `chargekit`
//! binary, the demo and the tests all use it.

mod api;
mod auth;
pub mod config;
mod error;
mod live;
mod ocpp;
mod sessions;
mod store;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use api::ApiDoc;
pub use config::{ChargerSeed, EvseSeed, ServerConfig, default_tariff};

use live::LiveHub;
use ocpp::registry::ChargerRegistry;
use sessions::Sessions;
use store::{SeedEvse, Store};

/// How long a shutdown waits for requests in flight before it drops them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything the handlers share.
pub struct AppState {
    store: Store,
    chargers: ChargerRegistry,
    live: LiveHub,
    config: ServerConfig,
    /// Cancelled at shutdown: long-lived streams (SSE, charger sockets) end on it.
    shutdown: CancellationToken,
}

impl AppState {
    fn sessions(self: &Arc<Self>) -> Sessions<'_> {
        Sessions::new(self)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the configured tariff is invalid: {0}")]
    Tariff(#[from] chargekit_model::tariff::TariffError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// A running server.
pub struct RunningServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    task: JoinHandle<()>,
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

    /// Stops accepting, ends live streams and charger connections, and waits (briefly) for
    /// requests in flight.
    pub async fn shutdown(self) {
        self.state.shutdown.cancel();
        let mut task = self.task;
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task).await.is_err() {
            task.abort();
        }
        self.state.store.close().await;
    }
}

/// Opens the database, seeds chargers and tariff, and starts serving.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    config.tariff.validate()?;
    let store = Store::open(&config.database).await?;
    store.upsert_tariff(&config.tariff).await?;
    for charger in &config.chargers {
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
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
    let state = Arc::new(AppState {
        store,
        chargers: ChargerRegistry::default(),
        live: LiveHub::default(),
        config,
        shutdown: CancellationToken::new(),
    });
    let app = router(state.clone());
    let shutdown = state.shutdown.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await;
        if let Err(e) = served {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    tracing::info!(%addr, "ChargeKit server listening");
    Ok(RunningServer { addr, state, task })
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/ocpp/{charge_point_id}", get(ocpp::upgrade))
        .merge(api::router())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}
