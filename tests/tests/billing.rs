//! Bills through the whole system: a real server configured with an OCPI 2.2.1 tariff, a
//! charger (the simulator, or the raw charger where exact timestamps matter), and the bill
//! checked against amounts computed by hand from the OCPI text.

use std::time::Duration;

use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{CHARGER_ID, EVSE_ID, backend, backend_with, charger_with, http_client, register_driver, sessions_of};
use serde_json::{Value, json};

/// The spec's "Free of Charge Tariff" example (mod_tariffs, OCPI 2.2.1), verbatim.
const FREE_OF_CHARGE: &str = r#"{"country_code":"DE","party_id":"ALL","id":"15","currency":"EUR","type":"REGULAR",
  "elements":[{"price_components":[{"type":"FLAT","price":0.00,"step_size":0}]}],
  "last_updated":"2015-06-29T20:39:09Z"}"#;

fn tariff(json: &str) -> chargekit_model::Tariff {
    serde_json::from_str(json).expect("tariff JSON")
}

/// A driver's session through the driver API.
struct Driver {
    http: reqwest::Client,
    base: String,
    bearer: String,
}

impl Driver {
    async fn register(backend: &chargekit_tests::Backend, email: &str) -> Self {
        let http = http_client();
        let bearer = register_driver(&http, backend, email).await;
        Self { http, base: backend.server.base_url(), bearer }
    }

    async fn start(&self) -> String {
        let response = self.http.post(format!("{}/v1/sessions", self.base)).bearer_auth(&self.bearer).json(&json!({"evse_id": EVSE_ID})).send().await.unwrap();
        assert_eq!(response.status(), 201, "start refused");
        response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
    }

    async fn session(&self, id: &str) -> Value {
        self.http.get(format!("{}/v1/sessions/{id}", self.base)).bearer_auth(&self.bearer).send().await.unwrap().json().await.unwrap()
    }

    /// Waits (reading the session again) until `done` holds for it; panics after 20 s.
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

    async fn stop(&self, id: &str) -> Value {
        let response = self.http.post(format!("{}/v1/sessions/{id}/stop", self.base)).bearer_auth(&self.bearer).send().await.unwrap();
        assert!(response.status().is_success(), "stop refused: {}", response.status());
        self.wait_for(id, "completion", |s| s["status"] == "completed").await
    }
}

/// (excl, VAT, incl) totals of a session's cost, minor units.
fn totals(session: &Value) -> (i64, i64, i64) {
    let cost = &session["cost"];
    let n = |k: &str| cost[k].as_i64().unwrap_or_else(|| panic!("{k} in {cost:#}"));
    (n("total_excl_vat_minor"), n("total_vat_minor"), n("total_incl_vat_minor"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_free_of_charge_tariff_starts_the_server_and_bills_nothing() {
    let backend = backend_with(|c| c.tariff = tariff(FREE_OF_CHARGE)).await;
    let charger = charger_with(&backend, |c| c.meter_interval = Duration::from_millis(100)).await;
    let driver = Driver::register(&backend, "free@example.com").await;
    let id = driver.start().await;
    driver.wait_for(&id, "energy delivered", |s| s["energy_wh"].as_i64() > Some(0)).await;
    let bill = driver.stop(&id).await;
    assert!(bill["energy_wh"].as_i64() > Some(0), "{bill:#}");
    assert_eq!(totals(&bill), (0, 0, 0));
    let items = bill["cost"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "the flat line says what applied: {items:#?}");
    assert_eq!((items[0]["dimension"].as_str(), items[0]["excl_vat_minor"].as_i64()), (Some("FLAT"), Some(0)));
    charger.shutdown().await;
    backend.server.shutdown().await;
}

const CARD: &str = "04A2B3C4D5E6F7";

/// A driver with the RFID card registered; returns their bearer token.
async fn driver_with_card(http: &reqwest::Client, backend: &chargekit_tests::Backend, email: &str) -> String {
    let bearer = register_driver(http, backend, email).await;
    let url = format!("{}/v1/tokens", backend.server.base_url());
    let response = http.post(url).bearer_auth(&bearer).json(&json!({"kind": "rfid", "uid": CARD})).send().await.unwrap();
    assert_eq!(response.status(), 201);
    bearer
}

#[tokio::test]
async fn timestamps_without_an_offset_are_read_as_utc_and_power_per_line_to_neutral_is_summed() {
    let backend = backend().await;
    let http = http_client();
    let bearer = driver_with_card(&http, &backend, "clock@example.com").await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;

    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 10_000, "timestamp": "2026-11-30T10:00:00"})).await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    let transaction_id = started["transactionId"].as_i64().unwrap();
    // Power only per line to neutral, with a line-to-line value that must not be added.
    let power = |phase: &str, w: &str| json!({"value": w, "unit": "W", "measurand": "Power.Active.Import", "phase": phase});
    let sample = json!({"timestamp": "2026-11-30T10:15:00.123", "sampledValue": [
        {"value": "12000", "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
        power("L1-N", "3680"), power("L2-N", "3600"), power("L3-N", "3700"), power("L1-L2", "6370")]});
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample]})).await;
    let running = &sessions_of(&http, &backend, &bearer).await[0];
    assert_eq!(running["power_w"], json!(10_980), "the three lines, not an estimate from energy: {running:#}");
    assert_eq!(running["started_at"], "2026-11-30T10:00:00Z");

    let stop = json!({"transactionId": transaction_id, "idTag": CARD, "meterStop": 14_000, "timestamp": "2026-11-30T10:30:00",
        "reason": "EVDisconnected", "transactionData": [{"timestamp": "2026-11-30T10:30:00.000", "sampledValue": [{"value": "14000", "context": "Transaction.End"}]}]});
    assert_eq!(charger.call("StopTransaction", stop).await["idTagInfo"]["status"], "Accepted");
    let session = &sessions_of(&http, &backend, &bearer).await[0];
    assert_eq!(session["status"], "completed");
    assert_eq!((session["started_at"].as_str(), session["stopped_at"].as_str()), (Some("2026-11-30T10:00:00Z"), Some("2026-11-30T10:30:00Z")));
    assert_eq!((session["energy_wh"].as_i64(), session["duration_seconds"].as_i64()), (Some(4_000), Some(1_800)));
    // Default tariff (0.39/kWh, 1.20/h, 19 %): 4 kWh = 1.56 (+0.2964 → 0.30), 0.5 h = 0.60
    // (+0.114 → 0.11).
    assert_eq!(totals(session), (216, 41, 257));
    charger.close().await;
    backend.server.shutdown().await;
}
