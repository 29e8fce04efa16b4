//! The operator's fleet board end to end: the real server, a raw OCPP charger, and the board's
//! snapshot and change stream read as the dashboard reads them. A StatusNotification and a
//! MeterValues each reach the stream as a change of their charger; today's revenue counts the
//! running cost of a session going on, then its bill once it ends; no token or email is ever
//! on the board.

use std::time::Duration;

use chargekit_server::OperatorSeed;
use chargekit_server::config::SiteConfig;
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, OFFLINE_CHARGER_ID, backend_with, http_client, operator_token, register_driver, sessions_of};
use futures_util::StreamExt;
use serde_json::{Value, json};

const OPERATOR: &str = "ops";
const OPERATOR_PASSWORD: &str = "a long operator password";
const CARD: &str = "04A2B3C4D5E6F7";
const EMAIL: &str = "dana@example.com";
/// Generous: a bound on a test that would otherwise hang, not a measurement.
const BOUND: Duration = Duration::from_secs(20);

async fn fleet_backend() -> Backend {
    backend_with(|config| {
        config.operators.push(OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() });
        config.chargers[0].site = Some("Depot".into());
        config.sites.push(SiteConfig { name: "Depot".into(), latitude: 52.52, longitude: 13.405 });
    })
    .await
}

/// The events of an SSE response, parsed as they arrive; every byte read is kept in `raw`.
struct Events {
    stream: futures_util::stream::BoxStream<'static, reqwest::Result<Vec<u8>>>,
    buffer: String,
    raw: String,
}

impl Events {
    async fn open(http: &reqwest::Client, backend: &Backend, token: &str) -> Self {
        let url = format!("{}/v1/operator/fleet/events", backend.server.base_url());
        let response = http.get(url).bearer_auth(token).header("Accept", "text/event-stream").send().await.unwrap();
        assert_eq!(response.status(), 200);
        Self { stream: response.bytes_stream().map(|chunk| chunk.map(|b| b.to_vec())).boxed(), buffer: String::new(), raw: String::new() }
    }

    /// The next event: its name and its data as JSON.
    async fn next(&mut self) -> (String, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                return (name, serde_json::from_str(&data).expect("event data is JSON"));
            }
            let chunk = tokio::time::timeout(BOUND, self.stream.next()).await.expect("an event in time").expect("the stream goes on").unwrap();
            let text = String::from_utf8(chunk).unwrap();
            self.raw.push_str(&text);
            self.buffer.push_str(&text);
        }
    }

    /// Waits for a `changes` event in which `charger_id` passes `done`; returns that charger.
    async fn change_of(&mut self, charger_id: &str, done: impl Fn(&Value) -> bool) -> Value {
        loop {
            let (name, data) = self.next().await;
            assert_eq!(name, "changes", "{data}");
            let found = data["chargers"].as_array().unwrap().iter().find(|c| c["charger_id"] == charger_id && done(c)).cloned();
            if let Some(charger) = found {
                return charger;
            }
        }
    }
}

fn charger<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    snapshot["chargers"].as_array().unwrap().iter().find(|c| c["charger_id"] == id).unwrap_or_else(|| panic!("{id} in {snapshot}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_board_shows_every_charger_and_pushes_status_and_meter_changes() {
    let backend = fleet_backend().await;
    let http = http_client();
    let operator = operator_token(&http, &backend, OPERATOR, OPERATOR_PASSWORD).await;
    let snapshot_url = format!("{}/v1/operator/fleet", backend.server.base_url());
    assert_eq!(http.get(&snapshot_url).send().await.unwrap().status(), 401, "operators only");
    let driver = register_driver(&http, &backend, EMAIL).await;
    assert_eq!(http.get(&snapshot_url).bearer_auth(&driver).send().await.unwrap().status(), 401, "a driver's token is no operator's");
    let token = json!({"kind": "rfid", "uid": CARD});
    let registered = http.post(format!("{}/v1/tokens", backend.server.base_url())).bearer_auth(&driver).json(&token).send().await.unwrap();
    assert_eq!(registered.status(), 201);

    // Before any charger connects: both seeded chargers, offline, with their EVSEs.
    let snapshot: Value = http.get(&snapshot_url).bearer_auth(&operator).send().await.unwrap().json().await.unwrap();
    assert_eq!(snapshot["counts"], json!({"chargers": 2, "online": 0, "offline": 2, "charging": 0, "faulted": 0}));
    assert_eq!(snapshot["sites"], json!([{"name": "Depot", "latitude": 52.52, "longitude": 13.405}]));
    let first = charger(&snapshot, CHARGER_ID);
    assert_eq!((first["site"].as_str(), first["state"].as_str(), first["connected"].as_bool()), (Some("Depot"), Some("offline"), Some(false)));
    assert_eq!(first["connectors"][0]["evse_id"], "DE*CKT*E0001*1");
    assert_eq!(charger(&snapshot, OFFLINE_CHARGER_ID)["site"], Value::Null);

    let mut events = Events::open(&http, &backend, &operator).await;
    let (name, first_event) = events.next().await;
    assert_eq!(name, "snapshot");
    assert_eq!(first_event["counts"]["chargers"], 2);

    // A charger connects and boots: connected, with its boot's facts.
    let mut raw = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    raw.call("BootNotification", json!({"chargePointVendor": "Acme", "chargePointModel": "Fast 50", "firmwareVersion": "1.2.3"})).await;
    let booted = events.change_of(CHARGER_ID, |c| c["connected"] == true && c["vendor"] == "Acme").await;
    assert_eq!((booted["model"].as_str(), booted["firmware_version"].as_str()), (Some("Fast 50"), Some("1.2.3")));
    assert!(booted["connection_since"].is_string());

    // A StatusNotification is a change of its connector, error code included.
    raw.call("StatusNotification", json!({"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"})).await;
    let faulted = events.change_of(CHARGER_ID, |c| c["connectors"][0]["status"] == "Faulted").await;
    assert_eq!((faulted["state"].as_str(), faulted["connectors"][0]["error_code"].as_str()), (Some("faulted"), Some("GroundFailure")));
    let counts = http.get(&snapshot_url).bearer_auth(&operator).send().await.unwrap().json::<Value>().await.unwrap()["counts"].clone();
    assert_eq!(counts, json!({"chargers": 2, "online": 1, "offline": 1, "charging": 0, "faulted": 1}));

    // A card session: its MeterValues reach the board as the connector's session.
    raw.call("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging"})).await;
    let t0 = time::OffsetDateTime::now_utc() - time::Duration::minutes(30);
    let rfc = |t: time::OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap();
    let started = raw.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 1000, "timestamp": rfc(t0)})).await;
    let transaction_id = started["transactionId"].as_i64().unwrap();
    let reading = json!({"timestamp": rfc(t0 + time::Duration::minutes(20)), "sampledValue": [
        {"value": "13500", "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
        {"value": "37.5", "unit": "kW", "measurand": "Power.Active.Import"},
    ]});
    raw.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [reading]})).await;
    let metered = events.change_of(CHARGER_ID, |c| c["connectors"][0]["session"]["energy_wh"] == 12_500).await;
    let session = &metered["connectors"][0]["session"];
    assert_eq!((session["power_w"].as_i64(), session["auth_method"].as_str(), session["status"].as_str()), (Some(37_500), Some("rfid"), Some("charging")));
    let running = session["cost_incl_vat_minor"].as_i64().unwrap();
    assert!(running > 0, "{session}");
    assert_eq!(metered["state"], "charging");
    assert_eq!(metered["revenue_today"], json!([{"currency": "EUR", "completed_sessions": 0, "completed_minor": 0,
        "in_progress_sessions": 1, "in_progress_minor": running, "total_minor": running}]));
    let snapshot: Value = http.get(&snapshot_url).bearer_auth(&operator).send().await.unwrap().json().await.unwrap();
    assert_eq!(snapshot["revenue_today"][0]["site"], "Depot");
    assert_eq!(snapshot["revenue_today"][0]["in_progress_minor"], running);

    // The session ends: its bill moves from in progress to completed today, in one change.
    let stop = json!({"transactionId": transaction_id, "meterStop": 14000, "timestamp": rfc(t0 + time::Duration::minutes(25)), "reason": "Local"});
    raw.call("StopTransaction", stop).await;
    let ended = events.change_of(CHARGER_ID, |c| c["connectors"][0]["session"].is_null() && c["revenue_today"][0]["completed_sessions"] == 1).await;
    let billed = sessions_of(&http, &backend, &driver).await[0]["cost"]["total_incl_vat_minor"].as_i64().unwrap();
    assert_eq!(ended["revenue_today"], json!([{"currency": "EUR", "completed_sessions": 1, "completed_minor": billed,
        "in_progress_sessions": 0, "in_progress_minor": 0, "total_minor": billed}]));

    // Nothing on the board says who charged.
    let snapshot = http.get(&snapshot_url).bearer_auth(&operator).send().await.unwrap().text().await.unwrap();
    for secret in [CARD, EMAIL, "dana"] {
        assert!(!events.raw.contains(secret) && !snapshot.contains(secret), "{secret} is on the board");
    }
    // Both endpoints are in the OpenAPI document, under the operator tag.
    let doc: Value = http.get(format!("{}/openapi.json", backend.server.base_url())).send().await.unwrap().json().await.unwrap();
    for path in ["/v1/operator/fleet", "/v1/operator/fleet/events"] {
        assert_eq!(doc["paths"][path]["get"]["tags"], json!(["operator"]), "{path}");
    }
    raw.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn a_site_with_impossible_coordinates_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = chargekit_server::ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: dir.path().join("server.db"),
        sites: vec![SiteConfig { name: "Nowhere".into(), latitude: 91.0, longitude: 0.0 }],
        ..Default::default()
    };
    let error = chargekit_server::start(config).await.err().expect("refused").to_string();
    assert!(error.contains("Nowhere") && error.contains("latitude"), "{error}");
}
