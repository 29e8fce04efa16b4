//! The server restarts under a running session: the simulated charger notices the dropped
//! connection, reconnects by itself with backoff to the new server (same port, same SQLite
//! file), boots again, and its transaction carries on there: meter values arrive, and the
//! driver stops and is billed as if nothing had happened.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use chargekit_server::{ChargerSeed, RunningServer, ServerConfig};
use chargekit_sim::{Backoff, PowerCurve, SimConfig, SimEvent};
use chargekit_tests::{CHARGER_ID, EVSE_ID, http_client};
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// The same server each time: its database in `dir`, listening on `bind`.
async fn server(dir: &Path, bind: SocketAddr) -> RunningServer {
    let config = ServerConfig {
        bind,
        database: dir.join("server.db"),
        chargers: vec![ChargerSeed::single(CHARGER_ID, EVSE_ID)],
        payments: chargekit_server::PaymentsConfig { unpaid_charging: true, ..Default::default() },
        ..ServerConfig::default()
    };
    chargekit_server::start(config).await.expect("server starts")
}

/// Skips events until one matches; fails the test after 20 s.
async fn wait_event(events: &mut broadcast::Receiver<SimEvent>, what: &str, wanted: impl Fn(&SimEvent) -> bool) -> SimEvent {
    let found = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match events.recv().await {
                Ok(event) if wanted(&event) => return event,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => panic!("the charger ended while waiting for {what}"),
            }
        }
    });
    found.await.unwrap_or_else(|_| panic!("no {what} in 20 s"))
}

struct Driver {
    http: reqwest::Client,
    base: String,
    bearer: String,
}

impl Driver {
    async fn session(&self, id: &str) -> Value {
        let url = format!("{}/v1/sessions/{id}", self.base);
        self.http.get(url).bearer_auth(&self.bearer).send().await.unwrap().json().await.unwrap()
    }

    /// Reads the session again until `done` holds for it; fails the test after 20 s.
    async fn wait_for(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let session = self.session(id).await;
            if done(&session) {
                return session;
            }
            assert!(tokio::time::Instant::now() < deadline, "{what} not reached: {session:#}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn evse_online(&self) -> bool {
        let url = format!("{}/v1/evses/{EVSE_ID}", self.base);
        let evse: Value = self.http.get(url).bearer_auth(&self.bearer).send().await.unwrap().json().await.unwrap();
        evse["online"].as_bool().unwrap_or_else(|| panic!("an online flag: {evse}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charger_reconnects_to_a_restarted_server_and_its_session_continues() {
    let dir = tempfile::tempdir().unwrap();
    let first = server(dir.path(), ([127, 0, 0, 1], 0).into()).await;
    let addr = first.addr();

    let mut config = SimConfig::new(first.ocpp_url(), CHARGER_ID);
    config.meter_interval = Duration::from_millis(200);
    config.car.curve = PowerCurve::constant(50_000);
    config.reconnect = Some(Backoff { initial: Duration::from_millis(20), max: Duration::from_millis(200) });
    let charger = chargekit_sim::connect(config).await.expect("the charger connects");
    let mut events = charger.subscribe();

    let http = http_client();
    let base = first.base_url();
    let register = json!({"email": "restart@example.com", "password": "correct horse battery"});
    let auth: Value = http.post(format!("{base}/v1/auth/register")).json(&register).send().await.unwrap().json().await.unwrap();
    let driver = Driver { http, base, bearer: auth["token"].as_str().expect("a token").to_owned() };
    let started = driver.http.post(format!("{}/v1/sessions", driver.base)).bearer_auth(&driver.bearer).json(&json!({"evse_id": EVSE_ID})).send().await.unwrap();
    assert_eq!(started.status(), 201, "start refused");
    let id = started.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let before = driver.wait_for(&id, "energy before the restart", |s| s["energy_wh"].as_i64().is_some_and(|wh| wh > 0)).await;
    let energy_before = before["energy_wh"].as_i64().unwrap();

    first.shutdown().await;
    wait_event(&mut events, "the lost connection", |e| *e == SimEvent::ConnectionLost).await;
    // Same port and database: the charger was not told anything and needs no new URL.
    let second = server(dir.path(), addr).await;
    wait_event(&mut events, "the reconnect", |e| *e == SimEvent::Connected).await;
    assert!(driver.evse_online().await, "the new server shows the charger connected");

    // The transaction carries on: meter values reach the new server.
    driver.wait_for(&id, "energy after the restart", |s| s["status"] == "charging" && s["energy_wh"].as_i64().is_some_and(|wh| wh > energy_before)).await;
    assert_eq!(charger.transactions().len(), 1, "the same transaction, not a new one");

    let stop = driver.http.post(format!("{}/v1/sessions/{id}/stop", driver.base)).bearer_auth(&driver.bearer).send().await.unwrap();
    assert!(stop.status().is_success(), "stop refused: {}", stop.status());
    let bill = driver.wait_for(&id, "completion", |s| s["status"] == "completed").await;
    let record = charger.transactions().remove(0);
    assert_eq!(bill["energy_wh"].as_i64(), record.energy_wh(), "billed for the energy the charger metered: {bill:#}");
    // A second of charging costs less than a cent; that the energy is on the bill is the point.
    let energy_line = bill["cost"]["items"].as_array().and_then(|items| items.iter().find(|i| i["dimension"] == "ENERGY").cloned());
    assert_eq!(energy_line.map(|line| line["billed_quantity"].clone()), Some(json!(record.energy_wh())), "billed: {bill:#}");

    charger.shutdown().await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charger_the_restarted_server_no_longer_knows_stops_reconnecting_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let first = server(dir.path(), ([127, 0, 0, 1], 0).into()).await;
    let addr = first.addr();
    let mut config = SimConfig::new(first.ocpp_url(), CHARGER_ID);
    config.reconnect = Some(Backoff { initial: Duration::from_millis(20), max: Duration::from_millis(200) });
    let charger = chargekit_sim::connect(config).await.expect("the charger connects");
    let mut events = charger.subscribe();

    first.shutdown().await;
    let other = tempfile::tempdir().unwrap();
    let second = chargekit_server::start(ServerConfig {
        bind: addr,
        database: other.path().join("server.db"),
        chargers: vec![ChargerSeed::single("CKTEST-SOMEONE-ELSE", "DE*CKT*E0777*1")],
        ..ServerConfig::default()
    })
    .await
    .expect("server starts");

    let refused = wait_event(&mut events, "the refusal", |e| matches!(e, SimEvent::Refused { .. })).await;
    let SimEvent::Refused { error } = refused else { unreachable!() };
    assert!(error.contains(&format!("unknown charger {CHARGER_ID}: add it to the server config")), "{error}");
    wait_event(&mut events, "the end", |e| *e == SimEvent::Disconnected).await;
    second.shutdown().await;
}
