//! Shared set-up of the end-to-end tests: a real server on 127.0.0.1:0 with a real SQLite
//! file, real simulated chargers over OCPP, and the real core as the apps use it.

pub mod pki;
pub mod payment_provider;
pub mod proxy;
pub mod push_providers;
pub mod raw_charger;
pub mod server_process;
pub mod tls;

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chargekit_core::{ChargeKit, CoreConfig, MemorySecureStore, SecureStore, SessionInfo, SessionListener};
use chargekit_server::{ChargerSeed, RunningServer, ServerConfig};
use chargekit_sim::{ChargePoint, PowerCurve, SimConfig};
use tempfile::TempDir;

pub const CHARGER_ID: &str = "CKTEST-0001";
pub const EVSE_ID: &str = "DE*CKT*E0001*1";
/// Seeded, but no simulator ever connects it.
pub const OFFLINE_CHARGER_ID: &str = "CKTEST-OFFLINE";
pub const OFFLINE_EVSE_ID: &str = "DE*CKT*E0099*1";

/// A server with two chargers seeded (one of them never connects) and its data directory.
pub struct Backend {
    pub server: RunningServer,
    pub dir: TempDir,
}

pub async fn backend() -> Backend {
    backend_with(|_| {}).await
}

/// A backend whose configuration the test adjusts first (shorter timeouts, say).
pub async fn backend_with(adjust: impl FnOnce(&mut ServerConfig)) -> Backend {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: dir.path().join("server.db"),
        chargers: vec![ChargerSeed::single(CHARGER_ID, EVSE_ID), ChargerSeed::single(OFFLINE_CHARGER_ID, OFFLINE_EVSE_ID)],
        charger_call_timeout: Duration::from_secs(5),
        // Most suites are about something else than paying: they start sessions unpaid, as a
        // free site would. The payments suites set their own payments config (unpaid off).
        payments: chargekit_server::PaymentsConfig { unpaid_charging: true, ..Default::default() },
        ..ServerConfig::default()
    };
    adjust(&mut config);
    let server = chargekit_server::start(config).await.expect("server starts");
    Backend { server, dir }
}

/// A simulated charger at a constant 50 kW with meter values every 200 ms.
pub async fn charger(backend: &Backend) -> ChargePoint {
    charger_with(backend, |_| {}).await
}

/// A simulated charger the test adjusts first (how it answers remote starts, say).
pub async fn charger_with(backend: &Backend, adjust: impl FnOnce(&mut SimConfig)) -> ChargePoint {
    let mut config = SimConfig::new(backend.server.ocpp_url(), CHARGER_ID);
    config.meter_interval = Duration::from_millis(200);
    config.car.curve = PowerCurve::constant(50_000);
    adjust(&mut config);
    chargekit_sim::connect(config).await.expect("simulated charger connects")
}

/// The app core on its own data directory.
pub fn app(backend: &Backend, name: &str) -> Arc<ChargeKit> {
    app_at(&backend.server.base_url(), backend, name, Arc::new(MemorySecureStore::new()))
}

/// The app core talking to `backend_url` (a proxy, say), with the given secure store.
pub fn app_at(backend_url: &str, backend: &Backend, name: &str, secrets: Arc<dyn SecureStore>) -> Arc<ChargeKit> {
    let data_dir = backend.dir.path().join(name);
    let config = CoreConfig { backend_url: backend_url.to_owned(), data_dir: data_dir.display().to_string() };
    ChargeKit::new(config, secrets).expect("core opens")
}

/// Opens the core again on the same directory. The closed core's runtime winds down in the
/// background, so its cache lock may take a moment to be released.
pub async fn reopen_app(config: CoreConfig, secrets: Arc<MemorySecureStore>) -> Arc<ChargeKit> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match ChargeKit::new(config.clone(), secrets.clone()) {
            Ok(app) => return app,
            Err(chargekit_core::ChargeKitError::Storage { .. }) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the core does not reopen: {e}"),
        }
    }
}

/// A listener that records every update and lets a test wait for a condition on them.
#[derive(Default)]
pub struct Recorder {
    updates: Mutex<Vec<SessionInfo>>,
    changed: Condvar,
}

impl Recorder {
    pub fn updates(&self) -> Vec<SessionInfo> {
        self.updates.lock().unwrap().clone()
    }

    /// Waits (on a blocking thread) until `done` holds for the updates so far.
    pub async fn wait_for(self: &Arc<Self>, timeout: Duration, done: impl Fn(&[SessionInfo]) -> bool + Send + 'static) -> Vec<SessionInfo> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let guard = this.updates.lock().unwrap();
            let (guard, result) = this.changed.wait_timeout_while(guard, timeout, |u| !done(u)).unwrap();
            assert!(!result.timed_out(), "condition not reached in {timeout:?}; updates: {:#?}", *guard);
            guard.clone()
        })
        .await
        .expect("waiter thread")
    }
}

impl SessionListener for Recorder {
    fn on_update(&self, session: SessionInfo) {
        self.updates.lock().unwrap().push(session);
        self.changed.notify_all();
    }
}

/// A plain HTTP client for tests that speak to the driver API directly.
pub fn http_client() -> reqwest::Client {
    // Same crypto provider as the core; Err only means it is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// Registers a driver through the driver API and returns the bearer token.
pub async fn register_driver(http: &reqwest::Client, backend: &Backend, email: &str) -> String {
    let body = serde_json::json!({"email": email, "password": "correct horse battery"});
    let response = http.post(format!("{}/v1/auth/register", backend.server.base_url())).json(&body).send().await.expect("register answers");
    assert!(response.status().is_success(), "registration refused: {}", response.status());
    let auth: serde_json::Value = response.json().await.expect("registration JSON");
    auth["token"].as_str().expect("a token").to_owned()
}

/// The driver's sessions through the driver API, newest first.
pub async fn sessions_of(http: &reqwest::Client, backend: &Backend, bearer: &str) -> Vec<serde_json::Value> {
    let url = format!("{}/v1/sessions", backend.server.base_url());
    let page: serde_json::Value = http.get(url).bearer_auth(bearer).send().await.expect("sessions answer").json().await.expect("sessions JSON");
    page["sessions"].as_array().expect("a list of sessions").clone()
}

/// Signs a driver in through the driver API and returns the bearer token, for tests that
/// speak to the API directly.
pub async fn api_token(http: &reqwest::Client, backend: &Backend, email: &str, password: &str) -> String {
    let body = serde_json::json!({"email": email, "password": password});
    let response = http.post(format!("{}/v1/auth/sign-in", backend.server.base_url())).json(&body).send().await.expect("sign-in answers");
    assert!(response.status().is_success(), "sign-in refused: {}", response.status());
    let auth: serde_json::Value = response.json().await.expect("sign-in JSON");
    auth["token"].as_str().expect("a token").to_owned()
}

/// Signs an operator in (`POST /v1/operator/sign-in`) and returns the bearer token.
pub async fn operator_token(http: &reqwest::Client, backend: &Backend, username: &str, password: &str) -> String {
    let body = serde_json::json!({"username": username, "password": password});
    let response = http.post(format!("{}/v1/operator/sign-in", backend.server.base_url())).json(&body).send().await.expect("sign-in answers");
    assert_eq!(response.status(), 200, "operator sign-in refused");
    let token: serde_json::Value = response.json().await.expect("sign-in JSON");
    token["token"].as_str().expect("a token").to_owned()
}
