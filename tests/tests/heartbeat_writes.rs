//! Heartbeats cost no durable write each: a beat is answered from memory, shown on `/metrics`
//! at once, and written with the others in one batch (every minute, and at shutdown).

use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{CHARGER_ID, backend_with, http_client};
use serde_json::json;
use sqlx::sqlite::SqlitePoolOptions;
use time::OffsetDateTime;

const METRICS_TOKEN: &str = "prometheus-scrape-token-0123456789";

/// The charger's last Heartbeat as the database holds it, read on a connection of its own.
async fn stored_beat(database: &std::path::Path) -> Option<OffsetDateTime> {
    let pool = SqlitePoolOptions::new().max_connections(1).connect(&format!("sqlite://{}", database.display())).await.unwrap();
    let (at,): (Option<OffsetDateTime>,) =
        sqlx::query_as("SELECT last_seen_at FROM chargers WHERE id = ?").bind(CHARGER_ID).fetch_one(&pool).await.unwrap();
    pool.close().await;
    at
}

#[tokio::test]
async fn a_heartbeat_is_shown_at_once_and_written_with_the_next_batch() {
    let backend = backend_with(|config| config.metrics_token = Some(METRICS_TOKEN.into())).await;
    let database = backend.dir.path().join("server.db");
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    charger.call("BootNotification", json!({"chargePointVendor": "Test", "chargePointModel": "Raw"})).await;
    let answer = charger.call("Heartbeat", json!({})).await;
    assert!(answer["currentTime"].is_string(), "{answer}");

    assert_eq!(stored_beat(&database).await, None, "the beat was answered without a write of its own");
    let http = http_client();
    let text = http.get(format!("{}/metrics", backend.server.base_url())).bearer_auth(METRICS_TOKEN).send().await.unwrap().text().await.unwrap();
    assert!(
        text.contains(&format!("chargekit_charger_last_heartbeat_timestamp_seconds{{charger=\"{CHARGER_ID}\"}}")),
        "the unwritten beat is on /metrics: {text}"
    );

    charger.close().await;
    backend.server.shutdown().await;
    let written = stored_beat(&database).await.expect("the shutdown wrote the last beat");
    assert!((OffsetDateTime::now_utc() - written).whole_seconds() < 600, "the beat's own time, not another: {written}");
}
