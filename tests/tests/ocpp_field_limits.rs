//! What a charger sends is bounded as the OCPP 1.6 JSON schemas bound it: strings to their
//! CiString lengths, enumerations to their values. A violation gets the CALLERROR
//! `PropertyConstraintViolation` naming the field, and nothing of the message is stored; a
//! message over the server's size limit closes the connection with 1009 (message too big).

use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, backend};
use serde_json::{Value, json};

/// Sends a CALL and returns the CALLERROR's code and description (panics on a CALLRESULT).
async fn refusal(charger: &mut RawCharger, id: &str, action: &str, payload: Value) -> (String, String) {
    charger.send_frame(json!([2, id, action, payload])).await;
    let answer = charger.next_answer().await;
    assert_eq!(answer[0], 4, "{action} {payload} accepted: {answer}");
    assert_eq!(answer[1], id);
    (answer[2].as_str().unwrap().to_owned(), answer[3].as_str().unwrap().to_owned())
}

async fn assert_refused(charger: &mut RawCharger, action: &str, payload: Value, field: &str) {
    // OCPP-J message ids are at most 36 characters.
    let id: String = format!("bad-{field}").chars().rev().take(36).collect::<String>().chars().rev().collect();
    let (code, description) = refusal(charger, &id, action, payload).await;
    assert_eq!(code, "PropertyConstraintViolation", "{action}.{field}: {description}");
    assert!(description.contains(field), "the description names {field}: {description}");
}

fn long(n: usize) -> String {
    "X".repeat(n)
}

async fn count(backend: &Backend, sql: &'static str) -> i64 {
    use sqlx::sqlite::SqliteConnectOptions;
    let options = SqliteConnectOptions::new().filename(backend.dir.path().join("server.db")).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("the server's database opens");
    sqlx::query_scalar(sql).fetch_one(&pool).await.expect(sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_field_a_charger_sends_is_bounded_as_the_schemas_say() {
    let backend = backend().await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let boot = |field: &str, value: String| {
        let mut payload = json!({"chargePointVendor": "Vendor", "chargePointModel": "Model"});
        payload[field] = json!(value);
        payload
    };
    for (field, max) in [
        ("chargePointVendor", 20),
        ("chargePointModel", 20),
        ("chargePointSerialNumber", 25),
        ("chargeBoxSerialNumber", 25),
        ("firmwareVersion", 50),
        ("iccid", 20),
        ("imsi", 20),
        ("meterType", 25),
        ("meterSerialNumber", 25),
    ] {
        assert_refused(&mut charger, "BootNotification", boot(field, long(max + 1)), field).await;
        // Exactly at the limit is fine.
        assert_eq!(charger.call("BootNotification", boot(field, long(max))).await["status"], "Accepted");
    }
    // Lengths count characters, not bytes.
    assert_eq!(charger.call("Authorize", json!({"idTag": "Ä".repeat(20)})).await["idTagInfo"]["status"], "Invalid");

    // idTag is a CiString20 wherever it appears; a 250 kB one is refused, not stored.
    assert_refused(&mut charger, "Authorize", json!({"idTag": long(21)}), "idTag").await;
    let start = json!({"connectorId": 1, "idTag": long(250_000), "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"});
    assert_refused(&mut charger, "StartTransaction", start, "idTag").await;
    let stop = |extra: Value| {
        let mut payload = json!({"transactionId": 1, "meterStop": 10, "timestamp": "2026-01-01T01:00:00Z"});
        payload.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        payload
    };
    assert_refused(&mut charger, "StopTransaction", stop(json!({"idTag": long(21)})), "idTag").await;
    assert_refused(&mut charger, "StopTransaction", stop(json!({"reason": "Bored"})), "reason").await;
    let data = json!([{"timestamp": "2026-01-01T00:30:00Z", "sampledValue": [{"value": "5", "unit": "Parsec"}]}]);
    assert_refused(&mut charger, "StopTransaction", stop(json!({"transactionData": data})), "transactionData[0].sampledValue[0].unit").await;

    let status = |extra: Value| {
        let mut payload = json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"});
        payload.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        payload
    };
    assert_refused(&mut charger, "StatusNotification", status(json!({"info": long(51)})), "info").await;
    assert_refused(&mut charger, "StatusNotification", status(json!({"vendorId": long(256)})), "vendorId").await;
    assert_refused(&mut charger, "StatusNotification", status(json!({"vendorErrorCode": long(51)})), "vendorErrorCode").await;
    assert_refused(&mut charger, "StatusNotification", status(json!({"errorCode": "Grumpy"})), "errorCode").await;

    assert_refused(&mut charger, "DataTransfer", json!({"vendorId": long(256)}), "vendorId").await;
    assert_refused(&mut charger, "DataTransfer", json!({"vendorId": "v", "messageId": long(51)}), "messageId").await;

    let meter = |sampled: Value| json!({"connectorId": 1, "meterValue": [{"timestamp": "2026-01-01T00:30:00Z", "sampledValue": [{"value": "1"}, sampled]}]});
    for (field, bad) in [("context", "Whenever"), ("format", "Hex"), ("measurand", "Mood"), ("phase", "L4"), ("location", "Moon"), ("unit", "Parsec")] {
        let mut sampled = json!({"value": "5"});
        sampled[field] = json!(bad);
        assert_refused(&mut charger, "MeterValues", meter(sampled), &format!("meterValue[0].sampledValue[1].{field}")).await;
    }
    assert_refused(&mut charger, "FirmwareStatusNotification", json!({"status": "Flying"}), "status").await;
    assert_refused(&mut charger, "DiagnosticsStatusNotification", json!({"status": "Installed"}), "status").await;

    // The other kinds of violation keep their codes.
    let (code, _) = refusal(&mut charger, "t1", "Authorize", json!({"idTag": 12})).await;
    assert_eq!(code, "TypeConstraintViolation");
    let (code, _) = refusal(&mut charger, "o1", "Authorize", json!({})).await;
    assert_eq!(code, "OccurenceConstraintViolation");

    // Nothing of the refused messages was stored, and the charger is still served.
    assert_eq!(count(&backend, "SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(count(&backend, "SELECT COUNT(*) FROM connector_status_events").await, 0);
    assert!(charger.call("Heartbeat", json!({})).await["currentTime"].is_string());
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_closes_with_1009() {
    let backend = backend().await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let huge = json!([2, "huge", "DataTransfer", {"vendorId": "v", "data": long(300 * 1024)}]);
    charger.send_text(huge.to_string()).await;
    let (code, reason) = charger.expect_close().await;
    assert_eq!(code, 1009, "message too big: {reason}");
    backend.server.shutdown().await;
}
