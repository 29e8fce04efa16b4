//! The server SIGKILLed mid-session, again and again, and restarted on the same SQLite file:
//! every meter value and transaction message it acknowledged is still there, a message in
//! flight at the kill is either fully applied or not at all, and the session completes
//! correctly when the charger reconnects and finishes.


use chargekit_server::{ChargerSeed, ServerConfig};
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::server_process::ServerProcess;
use chargekit_tests::{CHARGER_ID, EVSE_ID, http_client};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CARD: &str = "04A2B3C4D5E6F7";
const KILLS: usize = 8;

fn at(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap()
}

async fn the_session(http: &reqwest::Client, addr: &str, bearer: &str) -> Value {
    let page: Value = http.get(format!("http://{addr}/v1/sessions")).bearer_auth(bearer).send().await.unwrap().json().await.unwrap();
    let sessions = page["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "one session, never two: {sessions:#?}");
    sessions[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_session_loses_nothing_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: dir.path().join("server.db"),
        chargers: vec![ChargerSeed::single(CHARGER_ID, EVSE_ID)],
        // A free site: the card's session is not paid through the app.
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
    let card = http.post(format!("http://{}/v1/tokens", server.addr)).bearer_auth(&bearer).json(&json!({"kind": "rfid", "uid": CARD})).send().await.unwrap();
    assert_eq!(card.status(), 201);

    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(1);
    let mut charger = RawCharger::connect(&format!("ws://{}/ocpp", server.addr), CHARGER_ID).await;
    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 0, "timestamp": at(start)})).await;
    let transaction_id = started["transactionId"].as_i64().unwrap();
    let mut server = Some(server);
    let mut acknowledged_wh = 0;
    let mut minute = 0;
    for kill in 0..KILLS {
        let addr = server.as_ref().unwrap().addr.clone();
        // A few meter values, each acknowledged before the next.
        for _ in 0..3 {
            minute += 1;
            let wh = minute * 500;
            let sample = json!({"timestamp": at(start + time::Duration::minutes(minute)), "sampledValue": [{"value": wh.to_string(), "unit": "Wh"}]});
            charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample]})).await;
            acknowledged_wh = wh;
        }
        // One more sent but not waited for: the kill may land before, during or after it.
        minute += 1;
        let in_flight_wh = minute * 500;
        let sample = json!({"timestamp": at(start + time::Duration::minutes(minute)), "sampledValue": [{"value": in_flight_wh.to_string(), "unit": "Wh"}]});
        charger.send_only("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample]})).await;
        if kill % 2 == 1 {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        server.take().unwrap().kill();
        charger.close().await;

        let restarted = ServerProcess::start(env!("CARGO_BIN_EXE_durable_server"), &config_path);
        let session = the_session(&http, &restarted.addr, &bearer).await;
        let energy = session["energy_wh"].as_i64().unwrap();
        assert!(energy == acknowledged_wh || energy == in_flight_wh, "after kill {kill}: {energy} Wh, acknowledged {acknowledged_wh}, in flight {in_flight_wh}");
        assert_eq!(session["status"], "charging");
        charger = RawCharger::connect(&format!("ws://{}/ocpp", restarted.addr), CHARGER_ID).await;
        let _ = addr;
        server = Some(restarted);
    }

    // The charger reconnected and finishes the transaction.
    minute += 1;
    let stop = json!({"transactionId": transaction_id, "idTag": CARD, "meterStop": minute * 500, "timestamp": at(start + time::Duration::minutes(minute))});
    assert_eq!(charger.call("StopTransaction", stop).await["idTagInfo"]["status"], "Accepted");
    let server = server.unwrap();
    let session = the_session(&http, &server.addr, &bearer).await;
    assert_eq!(session["status"], "completed");
    assert_eq!(session["energy_wh"], json!(minute * 500));
    assert_eq!(session["duration_seconds"], json!(minute * 60));
    assert!(session["cost"]["total_incl_vat_minor"].as_i64().unwrap() > 0);
    charger.close().await;
    server.kill();

    // Each kill left the charger's connection open in the history; each restart closed it, so
    // the operator's availability counts the time the server was down as offline.
    let restarted = ServerProcess::start(env!("CARGO_BIN_EXE_durable_server"), &config_path);
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(dir.path().join("server.db")).read_only(true);
    let db = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let events: Vec<(String,)> = sqlx::query_as("SELECT event FROM charger_connection_events WHERE charger_id = ? ORDER BY rowid")
        .bind(CHARGER_ID)
        .fetch_all(&db)
        .await
        .unwrap();
    let events: Vec<&str> = events.iter().map(|(e,)| e.as_str()).collect();
    assert_eq!(events.len(), 2 * (KILLS + 1), "{events:?}");
    assert!(events.chunks(2).all(|pair| pair == ["connected", "disconnected"]), "every connection is closed: {events:?}");
    db.close().await;
    restarted.kill();
}
