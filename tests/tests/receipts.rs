//! Receipts: signed by the backend at session end, CDR-shaped (periods, lines, VAT, totals,
//! the tariff as applied), carrying the charger's signed meter data; the core shows them as
//! genuine only when the signature and the meter data hold, and flags them otherwise.

use std::collections::BTreeMap;

use chargekit_core::receipts::{SignatureCheck, check};
use chargekit_core::{MemorySecureStore, ReceiptMeterData, ReceiptSignature, SessionState};
use chargekit_model::receipt::{Receipt, ReceiptKey, SignedReceipt};
use chargekit_server::ChargerSeed;
use chargekit_sim::{MeterKey, MeterSigner};
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, Recorder, api_token, app_at, backend_with, charger_with, http_client, register_driver};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const WAIT: Duration = Duration::from_secs(20);

/// A backend whose charger's meter key is `registered`, and a simulated charger signing with
/// `signing` (the same key, or another to play a mismatch).
async fn signed_setup(registered: &MeterSigner, signing: &MeterSigner) -> (Backend, chargekit_sim::ChargePoint) {
    let key = registered.public_key_hex();
    let backend = backend_with(|config| {
        config.chargers[0] = ChargerSeed { meter_public_key: Some(key), ..ChargerSeed::single(CHARGER_ID, EVSE_ID) };
    })
    .await;
    let pkcs8 = signing.pkcs8().to_vec();
    let charger = charger_with(&backend, |sim| sim.signed_meter_values = Some(MeterKey::Pkcs8(pkcs8))).await;
    (backend, charger)
}

async fn charge_once(backend: &Backend, email: &str) -> (std::sync::Arc<chargekit_core::ChargeKit>, String) {
    charge_once_with(backend, email, Arc::new(MemorySecureStore::new())).await
}

async fn charge_once_with(backend: &Backend, email: &str, secrets: Arc<MemorySecureStore>) -> (std::sync::Arc<chargekit_core::ChargeKit>, String) {
    let phone = app_at(&backend.server.base_url(), backend, email, secrets);
    phone.sign_up(email.into(), "correct horse battery".into()).await.unwrap();
    let session = phone.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let _handle = phone.observe_session(session.id.clone(), recorder.clone());
    recorder.wait_for(WAIT, |u| u.iter().filter(|s| s.state == SessionState::Charging).count() >= 3).await;
    phone.stop_session(session.id.clone()).await.unwrap();
    recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.state == SessionState::Completed)).await;
    (phone, session.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_session_has_a_genuine_receipt_with_verified_meter_data() {
    let meter = MeterSigner::new(&MeterKey::Generate, CHARGER_ID).unwrap();
    let (backend, charger) = signed_setup(&meter, &meter).await;
    let secrets = Arc::new(MemorySecureStore::new());
    let (phone, session_id) = charge_once_with(&backend, "vera@example.com", secrets.clone()).await;

    let receipt = phone.receipt(session_id.clone()).await.unwrap();
    assert_eq!(receipt.signature, ReceiptSignature::Genuine);
    match &receipt.meter_data {
        ReceiptMeterData::Verified { energy_wh, meter_serial } => {
            assert_eq!(*energy_wh, receipt.energy_wh, "the meter signed exactly the energy billed");
            assert!(meter_serial.is_some());
        }
        other => panic!("expected verified meter data, got {other:?}"),
    }
    // The receipt is the bill: its totals are the session's final cost, line by line.
    let session = phone.session(session_id.clone()).await.unwrap();
    assert_eq!((receipt.total_incl_vat_minor, receipt.total_excl_vat_minor, receipt.total_vat_minor), (session.cost_minor, session.cost_excl_vat_minor, session.vat_minor));
    assert_eq!(receipt.lines, session.cost_lines);
    assert_eq!(receipt.lines.iter().map(|l| l.excl_vat_minor).sum::<i64>(), receipt.total_excl_vat_minor);
    assert_eq!(receipt.energy_wh, session.energy_wh);
    assert_eq!(receipt.energy_wh, charger.transactions()[0].energy_wh().unwrap());
    assert!(!receipt.periods.is_empty());
    assert_eq!(receipt.periods.iter().map(|p| p.energy_wh).sum::<i64>(), receipt.energy_wh, "periods add up");

    // The app restarted with no network: the cached receipt, checked again with the pinned key.
    drop(phone);
    let offline = app_at("http://127.0.0.1:9", &backend, "vera@example.com", secrets);
    let cached = offline.receipt(session_id.clone()).await.unwrap();
    assert_eq!(cached, receipt);
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meter_data_signed_by_another_key_is_flagged() {
    let registered = MeterSigner::new(&MeterKey::Generate, CHARGER_ID).unwrap();
    let impostor = MeterSigner::new(&MeterKey::Generate, CHARGER_ID).unwrap();
    let (backend, charger) = signed_setup(&registered, &impostor).await;
    let (phone, session_id) = charge_once(&backend, "walt@example.com").await;
    let receipt = phone.receipt(session_id).await.unwrap();
    assert_eq!(receipt.signature, ReceiptSignature::Genuine, "the backend signed what it got");
    assert!(matches!(receipt.meter_data, ReceiptMeterData::Invalid { .. }), "{:?}", receipt.meter_data);
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_receipt_is_flagged_and_others_cannot_fetch_it() {
    let meter = MeterSigner::new(&MeterKey::Generate, CHARGER_ID).unwrap();
    let (backend, charger) = signed_setup(&meter, &meter).await;
    let (_phone, session_id) = charge_once(&backend, "xena@example.com").await;
    let http = http_client();
    let bearer = api_token(&http, &backend, "xena@example.com", "correct horse battery").await;
    let url = format!("{}/v1/sessions/{session_id}/receipt", backend.server.base_url());
    let signed: SignedReceipt = http.get(&url).bearer_auth(&bearer).send().await.unwrap().json().await.unwrap();
    let published: Vec<ReceiptKey> = http.get(format!("{}/v1/receipts/keys", backend.server.base_url())).send().await.unwrap().json().await.unwrap();
    let keys: BTreeMap<String, String> = published.iter().map(|k| (k.key_id.clone(), k.public_key.clone())).collect();
    assert_eq!(check(&signed, &keys).unwrap().signature, SignatureCheck::Genuine);

    // A cheaper total written into the receipt.
    let mut receipt: Receipt = serde_json::from_str(&signed.payload).unwrap();
    receipt.priced.cost.total_incl_vat_minor -= 1;
    let tampered = SignedReceipt { payload: serde_json::to_string(&receipt).unwrap(), ..signed.clone() };
    assert!(matches!(check(&tampered, &keys).unwrap().signature, SignatureCheck::Tampered { .. }));
    // A receipt re-signed by someone else's key under the backend's key id.
    let forger = ring::signature::Ed25519KeyPair::from_pkcs8(
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap().as_ref(),
    )
    .unwrap();
    use base64::Engine;
    let forged = SignedReceipt {
        signature: base64::engine::general_purpose::STANDARD.encode(forger.sign(tampered.payload.as_bytes()).as_ref()),
        ..tampered.clone()
    };
    assert!(matches!(check(&forged, &keys).unwrap().signature, SignatureCheck::Tampered { .. }));
    assert!(matches!(check(&SignedReceipt { key_id: "unknown".into(), ..signed.clone() }, &keys).unwrap().signature, SignatureCheck::UnknownKey { .. }));

    // Another driver: the receipt does not exist for them.
    let other = register_driver(&http, &backend, "yuri@example.com").await;
    assert_eq!(http.get(&url).bearer_auth(&other).send().await.unwrap().status(), 404);
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn parked_time_is_priced_as_parking() {
    let tariff: chargekit_model::Tariff = serde_json::from_value(json!({
        "id": "park", "currency": "EUR",
        "elements": [{"price_components": [
            {"type": "ENERGY", "price": "0.30", "vat": "19", "step_size": 1},
            {"type": "PARKING_TIME", "price": "6.00", "vat": "19", "step_size": 60}
        ]}]
    }))
    .unwrap();
    let backend = backend_with(|config| config.tariff = tariff).await;
    let http = http_client();
    let bearer = register_driver(&http, &backend, "zoe@example.com").await;
    let card = http.post(format!("{}/v1/tokens", backend.server.base_url())).bearer_auth(&bearer).json(&json!({"kind": "rfid", "uid": "04A2B3C4"})).send().await.unwrap();
    assert_eq!(card.status(), 201);
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(2);
    let at = |minutes: i64| (start + time::Duration::minutes(minutes)).format(&Rfc3339).unwrap();
    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": "04A2B3C4", "meterStart": 0, "timestamp": at(0)})).await;
    let transaction_id = started["transactionId"].as_i64().unwrap();
    let sample = |minutes: i64, wh: i64, w: i64| json!({"timestamp": at(minutes), "sampledValue": [
        {"value": wh.to_string(), "unit": "Wh"}, {"value": w.to_string(), "unit": "W", "measurand": "Power.Active.Import"}]});
    // 30 minutes charging at 20 kW, then full: 30 minutes parked drawing nothing.
    let values = json!([sample(0, 0, 20_000), sample(30, 10_000, 0)]);
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": values})).await;
    charger.call("StopTransaction", json!({"transactionId": transaction_id, "meterStop": 10_000, "timestamp": at(60)})).await;

    let sessions: serde_json::Value = http.get(format!("{}/v1/sessions", backend.server.base_url())).bearer_auth(&bearer).send().await.unwrap().json().await.unwrap();
    let session_id = sessions["sessions"][0]["id"].as_str().unwrap().to_owned();
    let signed: SignedReceipt = http.get(format!("{}/v1/sessions/{session_id}/receipt", backend.server.base_url())).bearer_auth(&bearer).send().await.unwrap().json().await.unwrap();
    let receipt: Receipt = serde_json::from_str(&signed.payload).unwrap();
    assert_eq!((receipt.priced.total_time_seconds, receipt.priced.total_parking_time_seconds), (1_800, 1_800));
    // 10 kWh × 0.30 = 3.00; 0.5 h × 6.00 = 3.00; net 6.00, VAT 19 % 1.14, total 7.14 EUR.
    assert_eq!((receipt.priced.cost.total_excl_vat_minor, receipt.priced.cost.total_vat_minor, receipt.priced.cost.total_incl_vat_minor), (600, 114, 714));
    assert_eq!(sessions["sessions"][0]["cost"]["total_incl_vat_minor"], json!(714), "the session's final cost is the receipt's");
    assert!(receipt.signed_meter_data.is_empty());
    charger.close().await;
    backend.server.shutdown().await;
}
