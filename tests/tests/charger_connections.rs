//! One connection per charge point: a charger that connects again while its old socket is
//! still open replaces it. The old socket gets a close frame and ends, commands go to the live
//! one, and the connection history (the operator's availability) never shows the charger
//! offline while a connection of it is live.

use std::time::Duration;

use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, backend, http_client, register_driver};
use serde_json::{Value, json};

/// OCPP-J leaves the code open; 1008 (policy violation) says the server ended it on purpose.
const REPLACED: u16 = 1008;

async fn boot(charger: &mut RawCharger) {
    let answer = charger.call("BootNotification", json!({"chargePointVendor": "Raw", "chargePointModel": "Twice"})).await;
    assert_eq!(answer["status"], "Accepted");
}

/// Whether the driver API shows the charger online to the driver signed in with `token`.
async fn online(backend: &Backend, token: &str) -> bool {
    let url = format!("{}/v1/evses/{EVSE_ID}", backend.server.base_url());
    let evse: Value = http_client().get(url).bearer_auth(token).send().await.expect("EVSE answers").json().await.expect("EVSE JSON");
    evse["online"].as_bool().unwrap_or_else(|| panic!("an online flag: {evse}"))
}

async fn wait_until_offline(backend: &Backend, token: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while online(backend, token).await {
        assert!(tokio::time::Instant::now() < deadline, "the charger is still online 5 s after its last connection closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The charger's connection events, oldest first, once the last one is a disconnection.
async fn connection_history_once_disconnected(backend: &Backend) -> Vec<String> {
    use sqlx::sqlite::SqliteConnectOptions;
    let options = SqliteConnectOptions::new().filename(backend.dir.path().join("server.db")).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("the server's database opens");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let events: Vec<String> = sqlx::query_scalar("SELECT event FROM charger_connection_events WHERE charger_id = ? ORDER BY rowid")
            .bind(CHARGER_ID)
            .fetch_all(&pool)
            .await
            .expect("connection events");
        if events.last().map(String::as_str) == Some("disconnected") {
            return events;
        }
        assert!(tokio::time::Instant::now() < deadline, "no disconnection recorded: {events:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charger_connecting_again_replaces_its_old_connection() {
    let backend = backend().await;
    let http = http_client();
    let token = register_driver(&http, &backend, "twice@example.com").await;
    let mut first = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    boot(&mut first).await;
    let mut second = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;

    let (code, reason) = first.expect_close().await;
    assert_eq!(code, REPLACED, "the old connection is closed as replaced ({reason})");
    assert!(reason.contains("replaced by a newer connection"), "{reason}");
    boot(&mut second).await;
    assert!(online(&backend, &token).await, "the old connection's end leaves the charger online");

    // A remote start from the app reaches the live connection.
    let start = tokio::spawn({
        let url = format!("{}/v1/sessions", backend.server.base_url());
        let (http, token) = (http.clone(), token.clone());
        async move { http.post(url).bearer_auth(token).json(&json!({"evse_id": EVSE_ID})).send().await.expect("start answers").status() }
    });
    let (id, action, payload) = second.expect_call().await;
    assert_eq!(action, "RemoteStartTransaction");
    assert_eq!(payload["connectorId"], 1);
    second.send_frame(json!([3, id, {"status": "Accepted"}])).await;
    assert_eq!(start.await.unwrap(), 201);

    second.close().await;
    wait_until_offline(&backend, &token).await;
    assert_eq!(
        connection_history_once_disconnected(&backend).await,
        ["connected", "connected", "disconnected"],
        "the replaced connection's end is not a disconnection of the charger"
    );
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_newer_connection_closing_first_still_ends_both() {
    let backend = backend().await;
    let token = register_driver(&http_client(), &backend, "closing@example.com").await;
    let mut first = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    boot(&mut first).await;
    let mut second = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    boot(&mut second).await;
    // The newer one goes first; the older one is not left behind as the charger's connection.
    second.close().await;
    let (code, _) = first.expect_close().await;
    assert_eq!(code, REPLACED);
    wait_until_offline(&backend, &token).await;
    assert_eq!(connection_history_once_disconnected(&backend).await, ["connected", "connected", "disconnected"]);

    // And the charger can come back.
    let mut third = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    boot(&mut third).await;
    assert!(online(&backend, &token).await);
    backend.server.shutdown().await;
}
