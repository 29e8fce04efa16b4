//! Cards and contracts at the charger: Authorize answers from the token store (Accepted,
//! Blocked, Expired, Invalid, ConcurrentTx), a card tapped at the charger starts a session the
//! driver's app finds, Plug & Charge through DataTransfer, and what a charger reports matters:
//! units, phases, a missing power value.

use std::time::Duration;

use chargekit_core::{AuthMethod, SessionState};
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{sessions_of, Backend, CHARGER_ID, app, backend, backend_with, http_client, register_driver};
use chargekit_server::ChargerSeed;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CARD: &str = "04A2B3C4D5E6F7";
const SECOND_CHARGER: &str = "CKTEST-0002";

fn at(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap()
}

async fn register_token(http: &reqwest::Client, backend: &Backend, bearer: &str, body: Value) -> reqwest::Response {
    http.post(format!("{}/v1/tokens", backend.server.base_url())).bearer_auth(bearer).json(&body).send().await.unwrap()
}

async fn set_status(http: &reqwest::Client, backend: &Backend, bearer: &str, id_tag: &str, status: &str) -> reqwest::StatusCode {
    let url = format!("{}/v1/tokens/{id_tag}", backend.server.base_url());
    http.patch(url).bearer_auth(bearer).json(&json!({"status": status})).send().await.unwrap().status()
}

async fn authorize(charger: &mut RawCharger, id_tag: &str) -> String {
    let answer = charger.call("Authorize", json!({"idTag": id_tag})).await;
    answer["idTagInfo"]["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn authorize_answers_from_the_token_store() {
    let backend = backend().await;
    let http = http_client();
    let alice = register_driver(&http, &backend, "alice@example.com").await;
    let bob = register_driver(&http, &backend, "bob@example.com").await;
    let registered = register_token(&http, &backend, &alice, json!({"kind": "rfid", "uid": "04:a2:b3:c4:d5:e6:f7", "label": "blue card"})).await;
    assert_eq!(registered.status(), 201);
    let token: Value = registered.json().await.unwrap();
    assert_eq!((token["id_tag"].as_str(), token["kind"].as_str(), token["status"].as_str()), (Some(CARD), Some("rfid"), Some("active")));

    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    assert_eq!(authorize(&mut charger, CARD).await, "Accepted");
    assert_eq!(authorize(&mut charger, &CARD.to_lowercase()).await, "Accepted", "idTags are case-insensitive");
    assert_eq!(authorize(&mut charger, "DEADBEEF").await, "Invalid");

    // Someone else's card: not registrable, not blockable, and nothing tells whose it is.
    assert_eq!(register_token(&http, &backend, &bob, json!({"kind": "rfid", "uid": CARD})).await.status(), 409);
    assert_eq!(set_status(&http, &backend, &bob, CARD, "blocked").await, 404);
    assert_eq!(authorize(&mut charger, CARD).await, "Accepted");

    assert_eq!(set_status(&http, &backend, &alice, CARD, "blocked").await, 200);
    assert_eq!(authorize(&mut charger, CARD).await, "Blocked");
    assert_eq!(set_status(&http, &backend, &alice, CARD, "active").await, 200);
    assert_eq!(authorize(&mut charger, CARD).await, "Accepted");

    // A contract whose certificate runs out.
    let soon = OffsetDateTime::now_utc() + time::Duration::seconds(1);
    let contract = json!({"kind": "contract", "emaid": "DE-8AA-CA2B3C4D5", "expires_at": at(soon)});
    assert_eq!(register_token(&http, &backend, &alice, contract).await.status(), 201);
    assert_eq!(authorize(&mut charger, "DE8AACA2B3C4D5").await, "Accepted");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(authorize(&mut charger, "DE8AACA2B3C4D5").await, "Expired");

    // Bad input gets a clear refusal.
    for bad in [json!({"kind": "rfid", "uid": "not hex"}), json!({"kind": "rfid", "uid": "0102"}), json!({"kind": "contract", "emaid": "nope"})] {
        let response = register_token(&http, &backend, &alice, bad.clone()).await;
        assert_eq!(response.status(), 422, "{bad}");
        let error: Value = response.json().await.unwrap();
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_tapped_at_the_charger_starts_a_session_the_app_finds() {
    let backend = backend().await;
    let http = http_client();
    let alice = register_driver(&http, &backend, "alice@example.com").await;
    assert_eq!(register_token(&http, &backend, &alice, json!({"kind": "rfid", "uid": CARD})).await.status(), 201);
    let phone = app(&backend, "phone");
    phone.sign_in("alice@example.com".into(), "correct horse battery".into()).await.unwrap();
    assert!(phone.active_session().await.unwrap().is_none());

    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    assert_eq!(authorize(&mut charger, CARD).await, "Accepted");
    let start = OffsetDateTime::now_utc() - time::Duration::minutes(10);
    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 100_000, "timestamp": at(start)})).await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    let transaction_id = started["transactionId"].as_i64().unwrap();

    let live = phone.active_session().await.unwrap().expect("the app finds the session the card started");
    assert_eq!((live.state, live.auth_method, live.evse_id.as_str()), (SessionState::Charging, AuthMethod::Rfid, chargekit_tests::EVSE_ID));

    // Energy only, in kWh, per phase: the server sums the phases and derives the power.
    let sample = |minutes: i64, phase_kwh: &str| json!({
        "timestamp": at(start + time::Duration::minutes(minutes)),
        "sampledValue": [
            {"value": phase_kwh, "unit": "kWh", "measurand": "Energy.Active.Import.Register", "phase": "L1"},
            {"value": phase_kwh, "unit": "kWh", "measurand": "Energy.Active.Import.Register", "phase": "L2"},
            {"value": "231.5", "unit": "V", "measurand": "Voltage", "phase": "L1-N"},
            {"value": "30", "measurand": "SoC", "unit": "Percent", "vendorField": true}
        ]
    });
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample(1, "50.000")]})).await;
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample(7, "51.1")]})).await;
    let session = phone.session(live.id.clone()).await.unwrap();
    assert_eq!(session.energy_wh, 2_200, "2 × 51.1 kWh − 100 kWh");
    assert_eq!(session.power_w, 22_000, "2.2 kWh in 6 minutes");

    let stop = json!({"transactionId": transaction_id, "idTag": CARD, "meterStop": 102_500, "timestamp": at(start + time::Duration::minutes(9)), "reason": "Local"});
    charger.call("StopTransaction", stop).await;
    let done = phone.session(live.id.clone()).await.unwrap();
    assert_eq!((done.state, done.energy_wh, done.duration_seconds), (SessionState::Completed, 2_500, 540));
    assert!(phone.active_session().await.unwrap().is_none());
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn one_card_cannot_charge_at_two_chargers_at_once() {
    let backend = backend_with(|config| config.chargers.push(ChargerSeed::single(SECOND_CHARGER, "DE*CKT*E0002*1"))).await;
    let http = http_client();
    let alice = register_driver(&http, &backend, "alice@example.com").await;
    register_token(&http, &backend, &alice, json!({"kind": "rfid", "uid": CARD})).await;
    let mut first = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let mut second = RawCharger::connect(&backend.server.ocpp_url(), SECOND_CHARGER).await;
    let now = at(OffsetDateTime::now_utc());
    let started = first.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 0, "timestamp": now})).await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    assert_eq!(authorize(&mut second, CARD).await, "ConcurrentTx");
    let refused = second.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 0, "timestamp": now})).await;
    assert_eq!(refused["idTagInfo"]["status"], "ConcurrentTx");
    assert_eq!(authorize(&mut first, CARD).await, "Accepted", "tapping again where it charges (to stop) is fine");
    assert_eq!(sessions_of(&http, &backend, &alice).await.len(), 1);
    first.close().await;
    second.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plug_and_charge_authorizes_the_contract_through_data_transfer() {
    let backend = backend().await;
    let http = http_client();
    let alice = register_driver(&http, &backend, "alice@example.com").await;
    let contract = json!({"kind": "contract", "emaid": "DE-8AA-CA2B3C4D5-L"});
    let registered: Value = register_token(&http, &backend, &alice, contract).await.json().await.unwrap();
    let emaid = registered["id_tag"].as_str().unwrap().to_owned();
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;

    let transfer = |emaid: &str| json!({
        "vendorId": "org.openchargealliance.iso15118pnc",
        "messageId": "Authorize",
        "data": json!({"idToken": {"idToken": emaid, "type": "eMAID"}}).to_string()
    });
    let answer = charger.call("DataTransfer", transfer(&emaid)).await;
    assert_eq!(answer["status"], "Accepted");
    let data: Value = serde_json::from_str(answer["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["idTokenInfo"]["status"], "Accepted");
    let unknown: Value = serde_json::from_str(charger.call("DataTransfer", transfer("NL-XYZ-123456789")).await["data"].as_str().unwrap()).unwrap();
    assert_eq!(unknown["idTokenInfo"]["status"], "Invalid");
    let other_vendor = charger.call("DataTransfer", json!({"vendorId": "com.example", "messageId": "Hello"})).await;
    assert_eq!(other_vendor["status"], "UnknownVendorId");
    let other_message = charger.call("DataTransfer", json!({"vendorId": "org.openchargealliance.iso15118pnc", "messageId": "Get15118EVCertificate"})).await;
    assert_eq!(other_message["status"], "UnknownMessageId");

    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": emaid, "meterStart": 5, "timestamp": at(OffsetDateTime::now_utc())})).await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    let phone = app(&backend, "phone");
    phone.sign_in("alice@example.com".into(), "correct horse battery".into()).await.unwrap();
    let live = phone.active_session().await.unwrap().expect("the session the car started");
    assert_eq!(live.auth_method, AuthMethod::PlugAndCharge);
    charger.close().await;
    backend.server.shutdown().await;
}
