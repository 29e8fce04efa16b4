//! Group commit keeps what it acknowledged: many chargers send MeterValues as fast as they are
//! answered (so the server commits them in batches), the server is SIGKILLed mid-stream, and
//! after a restart every MeterValues that was answered is on disk, with the session it moved.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chargekit_server::{ChargerSeed, ServerConfig};
use chargekit_tests::http_client;
use chargekit_tests::server_process::ServerProcess;
use chargekit_tests::raw_charger::{RawCharger, open};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_tungstenite::tungstenite::Message;

const CHARGERS: usize = 8;

fn charger_id(i: usize) -> String {
    format!("CKDURABLE-{i:02}")
}

fn card(i: usize) -> String {
    format!("04B2B3C4D5E6{i:02}")
}

/// Sends MeterValues one after another (each after the previous answer) until the connection
/// breaks, noting in `acknowledged` the energy of the last one answered.
async fn meter_until_killed(url: String, transaction_id: i64, start: OffsetDateTime, acknowledged: Arc<AtomicI64>) {
    let (mut socket, _) = open(&url, Some("ocpp1.6")).await.expect("charger connects");
    for n in 1_i64.. {
        let at = (start + time::Duration::seconds(n)).format(&Rfc3339).unwrap();
        let sample = json!({"timestamp": at, "sampledValue": [{"value": (n * 10).to_string(), "unit": "Wh"}]});
        let frame = json!([2, format!("mv-{n}"), "MeterValues", {"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample]}]);
        if socket.send(Message::text(frame.to_string())).await.is_err() {
            return;
        }
        let answer = loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => break serde_json::from_str::<Value>(text.as_str()).expect("JSON"),
                Some(Ok(_)) => continue,
                _ => return, // killed
            }
        };
        assert_eq!(answer[0], json!(3), "MeterValues answered: {answer}");
        acknowledged.store(n * 10, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answered_meter_values_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: dir.path().join("server.db"),
        chargers: (0..CHARGERS).map(|i| ChargerSeed::single(&charger_id(i), &format!("DE*CKT*E{:04}*1", 3000 + i))).collect(),
        payments: chargekit_server::PaymentsConfig { unpaid_charging: true, ..Default::default() },
        ..ServerConfig::default()
    };
    let config_path = dir.path().join("server.json");
    std::fs::write(&config_path, serde_json::to_string(&config).unwrap()).unwrap();
    let http = http_client();
    let server = ServerProcess::start(env!("CARGO_BIN_EXE_durable_server"), &config_path);
    let register = json!({"email": "kim@example.com", "password": "correct horse battery"});
    let auth: Value = http.post(format!("http://{}/v1/auth/register", server.addr)).json(&register).send().await.unwrap().json().await.unwrap();
    let bearer = auth["token"].as_str().unwrap().to_owned();
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(2);
    // Every transaction starts before any charger meters: a StartTransaction is written outside
    // the group, and behind chargers metering back to back it waited past its 5 s once, in CI.
    let mut started_transactions = Vec::new();
    for i in 0..CHARGERS {
        let added = http.post(format!("http://{}/v1/tokens", server.addr)).bearer_auth(&bearer).json(&json!({"kind": "rfid", "uid": card(i)})).send().await.unwrap();
        assert_eq!(added.status(), 201);
        let mut charger = RawCharger::connect(&format!("ws://{}/ocpp", server.addr), &charger_id(i)).await;
        let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": card(i), "meterStart": 0, "timestamp": start.format(&Rfc3339).unwrap()})).await;
        started_transactions.push(started["transactionId"].as_i64().unwrap());
        charger.close().await;
    }
    let mut meters = Vec::new();
    for (i, transaction_id) in started_transactions.into_iter().enumerate() {
        let url = format!("ws://{}/ocpp/{}", server.addr, charger_id(i));
        let acknowledged = Arc::new(AtomicI64::new(0));
        let task = tokio::spawn(meter_until_killed(url, transaction_id, start, acknowledged.clone()));
        meters.push((acknowledged, task));
    }

    // Let every charger get some answers, then kill the server with MeterValues in flight.
    while !meters.iter().all(|(acknowledged, _)| acknowledged.load(Ordering::SeqCst) >= 200) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill();
    let mut answered = Vec::new();
    for (acknowledged, task) in meters {
        task.await.expect("the charger's task ends with the connection");
        answered.push(acknowledged.load(Ordering::SeqCst));
    }

    let restarted = ServerProcess::start(env!("CARGO_BIN_EXE_durable_server"), &config_path);
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("server.db")).read_only(true);
    let db = sqlx::SqlitePool::connect_with(options).await.unwrap();
    for (i, acknowledged_wh) in answered.into_iter().enumerate() {
        let (last_wh, stored): (i64, i64) = sqlx::query_as(
            "SELECT s.meter_last_wh, (SELECT COUNT(*) FROM meter_values m WHERE m.session_id = s.id) FROM sessions s WHERE s.charger_id = ?",
        )
        .bind(charger_id(i))
        .fetch_one(&db)
        .await
        .unwrap();
        // The one in flight at the kill may be stored too (committed, answer not delivered).
        assert!(last_wh == acknowledged_wh || last_wh == acknowledged_wh + 10, "{}: session at {last_wh} Wh, {acknowledged_wh} Wh acknowledged", charger_id(i));
        assert_eq!(stored, last_wh / 10, "{}: every MeterValues up to the session's reading is stored", charger_id(i));
    }
    db.close().await;
    restarted.kill();
}
