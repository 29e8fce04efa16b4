//! Signed meter values (OCMF): where the signed begin and end travel, and that they verify
//! with the public key the charge point reports. (The core's own verifier checks the same
//! records in core/tests/eichrecht.rs; the simulator does not depend on the core.)

use std::time::Duration;

use chargekit_model::ocmf::{OcmfRecord, TransactionEvent, decode_hex};
use chargekit_sim::{MeterKey, connect};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use serde_json::{Value, json};

use crate::central::{Central, Options, Session};
use crate::quick_config;

/// The OCMF record of a `SignedData` MeterValue, checking how OCPP carries it.
fn signed_record(meter_value: &Value, context: &str) -> OcmfRecord {
    let values = meter_value["sampledValue"].as_array().expect("sampledValue");
    assert_eq!(values.len(), 1, "{meter_value}");
    let value = &values[0];
    assert_eq!(value["format"], "SignedData", "{meter_value}");
    assert_eq!(value["context"], context, "{meter_value}");
    assert_eq!(value["measurand"], "Energy.Active.Import.Register", "{meter_value}");
    assert!(meter_value["timestamp"].is_string(), "{meter_value}");
    OcmfRecord::parse(value["value"].as_str().expect("a string value")).expect("an OCMF record")
}

/// Verifies with the charge point's published key (DER SubjectPublicKeyInfo in hex).
fn verifies(record: &OcmfRecord, public_key_hex: &str) -> bool {
    let spki = decode_hex(public_key_hex).expect("hex");
    // A P-256 SubjectPublicKeyInfo is 26 bytes of header and the 65-byte point.
    let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &spki[26..]);
    let signature = decode_hex(&record.signature.data).expect("hex signature");
    key.verify(record.payload_text().as_bytes(), &signature).is_ok()
}

async fn remote_start(session: &mut Session, id_tag: &str) -> i64 {
    let status = session.call_status("RemoteStartTransaction", json!({"connectorId": 1, "idTag": id_tag})).await;
    assert_eq!(status, "Accepted");
    let start = session.wait_for_call("StartTransaction").await;
    start["meterStart"].as_i64().expect("meterStart")
}

#[tokio::test]
async fn signs_the_begin_in_the_first_meter_values_and_the_end_in_stop_transaction() {
    let mut central = Central::start(Options::default()).await;
    let mut config = quick_config(&central, "CP-SIGN");
    config.signed_meter_values = Some(MeterKey::Generate);
    let charge_point = connect(config).await.expect("connects");
    let public_key = charge_point.meter_public_key().expect("a signing charge point publishes its key");
    assert!(public_key.starts_with("3059301306072A8648CE3D020106082A8648CE3D030107034200"), "{public_key}");
    let mut session = central.accept().await;
    session.expect_boot(1).await;

    let meter_start = remote_start(&mut session, "TAG-S").await;
    let first = session.wait_for_call("MeterValues").await;
    let meter_values = first["meterValue"].as_array().expect("meterValue");
    assert_eq!(meter_values.len(), 2, "signed begin, then the periodic sample: {first}");
    let begin = signed_record(&meter_values[0], "Transaction.Begin");
    assert_eq!(meter_values[1]["sampledValue"][0]["context"], "Sample.Periodic");
    let reading = &begin.payload.readings[0];
    assert_eq!(reading.transaction, Some(TransactionEvent::Begin));
    assert_eq!(reading.value_wh().unwrap(), meter_start.into());
    assert_eq!(begin.payload.identification_data.as_deref(), Some("TAG-S"));
    assert_eq!(begin.payload.meter_serial.as_deref(), Some("CP-SIGN-1"));
    assert!(verifies(&begin, &public_key));

    // Later samples are unsigned.
    let second = session.wait_for_call("MeterValues").await;
    assert_eq!(second["meterValue"].as_array().map(Vec::len), Some(1), "{second}");

    let transaction_id = first["transactionId"].clone();
    let status = session.call_status("RemoteStopTransaction", json!({"transactionId": transaction_id})).await;
    assert_eq!(status, "Accepted");
    let stop = session.wait_for_call("StopTransaction").await;
    let data = stop["transactionData"].as_array().expect("transactionData");
    assert_eq!(data.len(), 1, "only the end; the begin went out already: {stop}");
    let end = signed_record(&data[0], "Transaction.End");
    assert_eq!(end.payload.readings[0].transaction, Some(TransactionEvent::End));
    assert_eq!(end.payload.readings[0].value_wh().unwrap(), stop["meterStop"].as_i64().expect("meterStop").into());
    assert!(end.payload.pagination.counter > begin.payload.pagination.counter);
    assert!(verifies(&end, &public_key));
    assert!(!verifies(&end, &charge_point_key_of_another()));
}

fn charge_point_key_of_another() -> String {
    chargekit_sim::MeterSigner::new(&MeterKey::Generate, "OTHER").expect("a key").public_key_hex()
}

#[tokio::test]
async fn a_transaction_stopped_before_any_meter_values_carries_both_in_stop_transaction() {
    let mut central = Central::start(Options::default()).await;
    let mut config = quick_config(&central, "CP-SHORT");
    config.meter_interval = Duration::from_secs(3600);
    let signer = chargekit_sim::MeterSigner::new(&MeterKey::Generate, "CP-SHORT").expect("a key");
    config.signed_meter_values = Some(MeterKey::Pkcs8(signer.pkcs8().to_vec()));
    let charge_point = connect(config).await.expect("connects");
    assert_eq!(charge_point.meter_public_key(), Some(signer.public_key_hex()), "the key passed in is used");
    let mut session = central.accept().await;
    session.expect_boot(1).await;

    remote_start(&mut session, "TAG-Q").await;
    session.wait_for_status(1, "Charging").await;
    let status = session.call_status("RemoteStopTransaction", json!({"transactionId": crate::central::FIRST_TRANSACTION_ID})).await;
    assert_eq!(status, "Accepted");
    let stop = session.wait_for_call("StopTransaction").await;
    let data = stop["transactionData"].as_array().expect("transactionData");
    assert_eq!(data.len(), 2, "{stop}");
    let (begin, end) = (signed_record(&data[0], "Transaction.Begin"), signed_record(&data[1], "Transaction.End"));
    assert!(verifies(&begin, &signer.public_key_hex()) && verifies(&end, &signer.public_key_hex()));
}

#[tokio::test]
async fn unsigned_by_default() {
    let mut central = Central::start(Options::default()).await;
    let charge_point = connect(quick_config(&central, "CP-PLAIN")).await.expect("connects");
    assert_eq!(charge_point.meter_public_key(), None);
    let mut session = central.accept().await;
    session.expect_boot(1).await;
    remote_start(&mut session, "TAG-P").await;
    let first = session.wait_for_call("MeterValues").await;
    assert_eq!(first["meterValue"].as_array().map(Vec::len), Some(1), "{first}");
    let status = session.call_status("RemoteStopTransaction", json!({"transactionId": first["transactionId"].clone()})).await;
    assert_eq!(status, "Accepted");
    let stop = session.wait_for_call("StopTransaction").await;
    assert!(stop.get("transactionData").is_none(), "{stop}");
}
