//! A charger that was offline replays what it queued: transactions with old timestamps are
//! applied in order, a stop for a transaction the server never saw start still makes a
//! complete session, and a retransmitted message is answered again but applied once.

use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{sessions_of, Backend, CHARGER_ID, EVSE_ID, backend, http_client, register_driver};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CARD: &str = "04A2B3C4D5E6F7";

fn at(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap()
}

/// A driver with the card registered; returns their bearer token.
async fn driver_with_card(http: &reqwest::Client, backend: &Backend) -> String {
    let bearer = register_driver(http, backend, "olga@example.com").await;
    let url = format!("{}/v1/tokens", backend.server.base_url());
    let response = http.post(url).bearer_auth(&bearer).json(&json!({"kind": "rfid", "uid": CARD})).send().await.unwrap();
    assert_eq!(response.status(), 201);
    bearer
}

fn energy(timestamp: OffsetDateTime, wh: i64, context: &str) -> Value {
    json!({"timestamp": at(timestamp), "sampledValue": [{"value": wh.to_string(), "unit": "Wh", "context": context}]})
}

#[tokio::test]
async fn a_replayed_transaction_with_old_timestamps_is_applied_in_order() {
    let backend = backend().await;
    let http = http_client();
    let bearer = driver_with_card(&http, &backend).await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let start = (OffsetDateTime::now_utc() - time::Duration::hours(2)).replace_nanosecond(0).unwrap();
    let minutes = |m: i64| start + time::Duration::minutes(m);

    let started = charger.call_with_id("q-1", "StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 10_000, "timestamp": at(start)})).await;
    let transaction_id = started["transactionId"].as_i64().unwrap();
    // Retransmitted with the same message id, and again with a new one: one transaction.
    let again = charger.call_with_id("q-1", "StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 10_000, "timestamp": at(start)})).await;
    assert_eq!(again, started, "the same answer to the same message");
    let renamed = charger.call_with_id("q-1b", "StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 10_000, "timestamp": at(start)})).await;
    assert_eq!(renamed["transactionId"], json!(transaction_id), "the same start under a new message id");

    // Samples queued out of order in one message, then an older one that must not move the session back.
    let samples = json!([energy(minutes(20), 14_000, "Sample.Periodic"), energy(minutes(10), 12_000, "Sample.Periodic")]);
    charger.call_with_id("q-2", "MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": samples})).await;
    charger.call_with_id("q-3", "MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [energy(minutes(5), 11_000, "Sample.Periodic")]})).await;
    let sessions = sessions_of(&http, &backend, &bearer).await;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["energy_wh"], json!(4_000));

    let stop = json!({"transactionId": transaction_id, "idTag": CARD, "meterStop": 16_000, "timestamp": at(minutes(30)), "reason": "EVDisconnected",
        "transactionData": [energy(minutes(30), 16_000, "Transaction.End")]});
    let stopped = charger.call_with_id("q-4", "StopTransaction", stop.clone()).await;
    assert_eq!(charger.call_with_id("q-4", "StopTransaction", stop).await, stopped);

    let sessions = sessions_of(&http, &backend, &bearer).await;
    assert_eq!(sessions.len(), 1);
    let session = &sessions[0];
    assert_eq!((session["status"].as_str(), session["energy_wh"].as_i64(), session["duration_seconds"].as_i64()), (Some("completed"), Some(6_000), Some(1_800)));
    assert_eq!(session["started_at"], json!(at(start)), "the charger's clock, two hours ago");
    assert_eq!(session["stopped_at"], json!(at(minutes(30))));
    assert_eq!(session["auth_method"], "rfid");
    assert!(session["cost"]["total_incl_vat_minor"].as_i64().unwrap() > 0);
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn a_stop_for_a_transaction_never_seen_starting_makes_a_complete_session() {
    let backend = backend().await;
    let http = http_client();
    let bearer = driver_with_card(&http, &backend).await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let begin = (OffsetDateTime::now_utc() - time::Duration::hours(5)).replace_nanosecond(0).unwrap();
    let end = begin + time::Duration::minutes(45);
    let stop = json!({
        "transactionId": 987_654, "idTag": CARD, "meterStop": 58_250, "timestamp": at(end), "reason": "Local",
        "transactionData": [energy(begin, 40_000, "Transaction.Begin"), energy(begin + time::Duration::minutes(20), 49_000, "Sample.Periodic"), energy(end, 58_250, "Transaction.End")]
    });
    let answer = charger.call("StopTransaction", stop.clone()).await;
    assert_eq!(answer["idTagInfo"]["status"], "Accepted");
    // Replayed again after another reconnect, under a new message id: still one session.
    charger.call("StopTransaction", stop).await;

    let sessions = sessions_of(&http, &backend, &bearer).await;
    assert_eq!(sessions.len(), 1, "{sessions:#?}");
    let session = &sessions[0];
    assert_eq!(session["status"], "completed");
    assert_eq!(session["evse_id"], EVSE_ID);
    assert_eq!(session["energy_wh"], json!(18_250), "meterStop − the Transaction.Begin reading");
    assert_eq!(session["duration_seconds"], json!(45 * 60));
    assert_eq!(session["started_at"], json!(at(begin)));

    // An unknown card's offline transaction is acknowledged (a CALLRESULT: the charger may
    // forget it), its idTag answered as what it is, and attributed to nobody.
    let stranger = json!({"transactionId": 5, "idTag": "0BADCAFE", "meterStop": 100, "timestamp": at(end)});
    assert_eq!(charger.call("StopTransaction", stranger).await["idTagInfo"]["status"], "Invalid");
    assert_eq!(sessions_of(&http, &backend, &bearer).await.len(), 1);
    charger.close().await;
    backend.server.shutdown().await;
}
