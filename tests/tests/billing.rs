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

/// tariff_4_complex.json of OCPI 2.2.1 (mod_tariffs "Complex Tariff example"), verbatim apart
/// from the location's time zone we add: time is priced by current (below 32 A: 1.00/h; at or
/// above: 2.00/h on weekdays, 1.25/h at weekends), parking by day and hour.
const COMPLEX: &str = include_str!("../../model/tests/fixtures/tariff_4_complex.json");

/// The TIME line of a session's cost: (billed seconds, excl. VAT minor units).
fn time_line(session: &Value) -> Option<(i64, i64)> {
    let items = session["cost"]["items"].as_array()?;
    let time = items.iter().find(|i| i["dimension"] == "TIME")?;
    Some((time["billed_quantity"].as_i64()?, time["excl_vat_minor"].as_i64()?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_complex_tariff_bills_charging_time_by_the_current_the_charger_reports() {
    let backend = backend_with(|c| c.tariff = tariff(COMPLEX)).await;
    // A 7 kW single-phase wallbox: 30.435 A on L1, under the 32 A of the 1.00/h element.
    let charger = charger_with(&backend, |c| {
        c.meter_interval = Duration::from_millis(100);
        c.car.curve = chargekit_sim::PowerCurve::constant(7_000);
        c.ac_phases = Some(1);
    })
    .await;
    let driver = Driver::register(&backend, "complex@example.com").await;
    let id = driver.start().await;
    // The live cost prices the charging time already (once a whole second of it has passed
    // since the first sample with a current): under 15 minutes, stepped to 900 s
    // (step_size of the element) at 1.00/h = 0.25.
    let live = driver.wait_for(&id, "a live cost with charging time", |s| s["status"] == "charging" && time_line(s).is_some_and(|(seconds, _)| seconds > 0)).await;
    assert_eq!(time_line(&live), Some((900, 25)), "{live:#}");
    // Flat 2.50 (+15 % = 0.375 → 0.38) and time 0.25 (+20 % = 0.05), whatever the day; no parking.
    assert_eq!(totals(&live), (275, 43, 318));
    let bill = driver.stop(&id).await;
    assert_eq!(time_line(&bill), Some((900, 25)), "{bill:#}");
    assert_eq!(totals(&bill), (275, 43, 318));
    charger.shutdown().await;
    backend.server.shutdown().await;
}

/// The spec's two complex-tariff sessions, played by a charger reporting Current.Import: the
/// bill against the amounts worked out by hand from the tariff (the differences from the
/// spec's printed totals are explained in `model/PRICING.md`).
#[tokio::test]
async fn the_spec_complex_tariff_examples_bill_to_the_cent_through_a_charger() {
    let backend = backend_with(|c| {
        c.tariff = tariff(COMPLEX);
        // The spec's sessions are dated in 2024: replays older than the default limit allows.
        c.plausibility.max_reading_age_secs = 10 * 365 * 24 * 3600;
    })
    .await;
    let http = http_client();
    let bearer = driver_with_card(&http, &backend, "weekday@example.com").await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    // (start, stop of charging, end, register at the end of charging, Current.Import as sent)
    let at = |phase: Option<&str>, a: &str| json!({"value": a, "unit": "A", "measurand": "Current.Import", "phase": phase});
    let cases = [
        // Monday 09:30, 165 min at 16 A, 42 min parked (weekdays 09:00-18:00: 5.00/h, step 5 min):
        // flat 2.50 (+0.375 → 0.38), time 165 min × 1.00/h = 2.75 (+0.55; followed by parking,
        // so not stepped), parking 45 min × 5.00/h = 3.75 (+0.375 → 0.38): 9.00 / 10.31.
        ("2024-03-04T09:30:00+01:00", "2024-03-04T12:15:00+01:00", "2024-03-04T12:57:00+01:00", 30_000, vec![at(None, "16")], (900, 1031)),
        // Saturday 13:30, 114 min at 43 A (three lines of 14.333 A; in total over 32 A: the
        // weekend 1.25/h), 71 min parked (Saturday 10:00-17:00: 6.00/h, step 5 min): flat 2.50
        // (+0.38), time 1.9 h × 1.25 = 2.375 → 2.38 (+0.476 → 0.48), parking 75 min × 6.00/h =
        // 7.50 (+0.75): 12.38 / 13.99.
        ("2024-03-09T13:30:00+01:00", "2024-03-09T15:24:00+01:00", "2024-03-09T16:35:00+01:00", 40_000,
            vec![at(Some("L1"), "14.333"), at(Some("L2"), "14.333"), at(Some("L3"), "14.334")], (1238, 1399)),
    ];
    for (start, parked, end, wh, current, expected) in cases {
        let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 100_000, "timestamp": start})).await;
        let transaction_id = started["transactionId"].as_i64().unwrap();
        let energy = |wh: i64| json!({"value": (100_000 + wh).to_string(), "unit": "Wh", "measurand": "Energy.Active.Import.Register"});
        let power = |w: i64| json!({"value": w.to_string(), "unit": "W", "measurand": "Power.Active.Import"});
        let mut charging = vec![energy(0), power(10_000)];
        charging.extend(current.iter().cloned());
        let samples = json!([{"timestamp": start, "sampledValue": charging},
            {"timestamp": parked, "sampledValue": [energy(wh), power(0), at(None, "0")]}]);
        charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": samples})).await;
        let stop = json!({"transactionId": transaction_id, "idTag": CARD, "meterStop": 100_000 + wh, "timestamp": end, "reason": "EVDisconnected"});
        charger.call("StopTransaction", stop).await;
        let session = sessions_of(&http, &backend, &bearer).await.into_iter().find(|s| s["started_at"].as_str().is_some_and(|t| t.starts_with(&start[..10]))).expect("the session");
        assert_eq!(session["status"], "completed");
        let (excl, _, incl) = totals(&session);
        assert_eq!((excl, incl), expected, "session from {start}: {:#}", session["cost"]);
    }
    charger.close().await;
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

/// Charging time at 1.20/h and parking at 6.00/h, both by the second, 19 % VAT.
const TIME_AND_PARKING: &str = r#"{"country_code":"DE","party_id":"CKT","id":"parking","currency":"EUR","type":"REGULAR",
  "elements":[{"price_components":[{"type":"TIME","price":1.20,"vat":19.0,"step_size":1},
                                   {"type":"PARKING_TIME","price":6.00,"vat":19.0,"step_size":1}]}],
  "last_updated":"2026-01-01T00:00:00Z"}"#;

/// The billed quantity of a cost line of `dimension` (0 if the cost has none).
fn billed(session: &Value, dimension: &str) -> i64 {
    let items = session["cost"]["items"].as_array().unwrap_or_else(|| panic!("cost items in {session:#}"));
    items.iter().filter(|i| i["dimension"] == dimension).map(|i| i["billed_quantity"].as_i64().unwrap()).sum()
}

/// A charger that reports 0 W has a parked car: the session the driver watches and the bill
/// read the MeterValue alike (of the session's duration, the part parked is the bill's parking
/// time and the rest its charging time), live and once completed.
#[tokio::test]
async fn a_reported_zero_power_is_parking_for_the_live_session_and_the_bill_alike() {
    let backend = backend_with(|c| c.tariff = tariff(TIME_AND_PARKING)).await;
    let http = http_client();
    let bearer = driver_with_card(&http, &backend, "parked@example.com").await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let t0 = time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::minutes(45);
    let at = |minutes: i64| (t0 + time::Duration::minutes(minutes)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 10_000, "timestamp": at(0)})).await;
    let transaction_id = started["transactionId"].as_i64().unwrap();
    let sample = |minutes: i64, wh: i64, w: i64| json!({"timestamp": at(minutes), "sampledValue": [
        {"value": wh.to_string(), "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
        {"value": w.to_string(), "unit": "W", "measurand": "Power.Active.Import"}]});
    // Charging at 9 kW for 20 min, then the car is full and draws nothing for 10 min.
    let values = json!([sample(10, 11_500, 9_000), sample(20, 13_000, 0), sample(30, 13_000, 0)]);
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": values})).await;

    let live = &sessions_of(&http, &backend, &bearer).await[0];
    assert_eq!(live["status"], "charging");
    assert_eq!(live["power_w"], 0, "{live:#}");
    assert_eq!((billed(live, "TIME"), billed(live, "PARKING_TIME")), (1_200, 600), "the live bill: {:#}", live["cost"]);
    assert_eq!(
        (live["duration_seconds"].as_i64(), live["parking_seconds"].as_i64()),
        (Some(1_800), Some(600)),
        "the live session's charging and parking time are the bill's: {live:#}"
    );

    let stop = json!({"transactionId": transaction_id, "idTag": CARD, "meterStop": 13_000, "timestamp": at(40), "reason": "EVDisconnected"});
    charger.call("StopTransaction", stop).await;
    let done = &sessions_of(&http, &backend, &bearer).await[0];
    assert_eq!(done["status"], "completed");
    assert_eq!((billed(done, "TIME"), billed(done, "PARKING_TIME")), (1_200, 1_200), "the bill: {:#}", done["cost"]);
    assert_eq!(
        (done["duration_seconds"].as_i64(), done["parking_seconds"].as_i64()),
        (Some(2_400), Some(1_200)),
        "the completed session's charging and parking time are the bill's: {done:#}"
    );
    // 20 min × 1.20/h = 0.40 (+0.076 → 0.08), 20 min × 6.00/h = 2.00 (+0.38).
    assert_eq!(totals(done), (240, 46, 286));
    charger.close().await;
    backend.server.shutdown().await;
}
