//! Operators: their own sign-in, closed to drivers (and drivers' endpoints closed to them),
//! and OCPP commands relayed to a charger with the charger's answer, or a clear error.

use chargekit_server::OperatorSeed;
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, OFFLINE_CHARGER_ID, backend_with, http_client, register_driver};
use serde_json::{Value, json};

const OPERATOR: &str = "ops";
const OPERATOR_PASSWORD: &str = "a long operator password";

async fn operator_backend() -> Backend {
    backend_with(|config| config.operators.push(OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() })).await
}

async fn operator_token(http: &reqwest::Client, backend: &Backend) -> String {
    let body = json!({"username": OPERATOR, "password": OPERATOR_PASSWORD});
    let response = http.post(format!("{}/v1/operator/sign-in", backend.server.base_url())).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let token: Value = response.json().await.unwrap();
    token["token"].as_str().unwrap().to_owned()
}

fn command_url(backend: &Backend, charger_id: &str) -> String {
    format!("{}/v1/operator/chargers/{charger_id}/commands", backend.server.base_url())
}

#[tokio::test]
async fn operators_and_drivers_each_have_their_own_door() {
    let backend = operator_backend().await;
    let http = http_client();
    let wrong = json!({"username": OPERATOR, "password": "not the password"});
    let refused = http.post(format!("{}/v1/operator/sign-in", backend.server.base_url())).json(&wrong).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let nobody = json!({"username": "nobody", "password": OPERATOR_PASSWORD});
    assert_eq!(http.post(format!("{}/v1/operator/sign-in", backend.server.base_url())).json(&nobody).send().await.unwrap().status(), 401);

    let driver = register_driver(&http, &backend, "dana@example.com").await;
    let operator = operator_token(&http, &backend).await;
    let command = json!({"action": "ClearCache", "payload": {}});
    let as_driver = http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&driver).json(&command).send().await.unwrap();
    assert_eq!(as_driver.status(), 401, "a driver's token opens no operator endpoint");
    let as_operator = http.get(format!("{}/v1/sessions", backend.server.base_url())).bearer_auth(&operator).send().await.unwrap();
    assert_eq!(as_operator.status(), 401, "an operator's token opens no driver endpoint");
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_reach_the_charger_and_its_answers_come_back() {
    let backend = operator_backend().await;
    let http = http_client();
    let operator = operator_token(&http, &backend).await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    // The server registers a connection just after the handshake; once it answers a CALL, the
    // charger is reachable for commands (a real charger boots first, the same way).
    charger.call("Heartbeat", json!({})).await;

    let cases = [
        (json!({"action": "GetConfiguration", "payload": {"key": ["MeterValueSampleInterval"]}}),
         json!({"configurationKey": [{"key": "MeterValueSampleInterval", "readonly": false, "value": "60"}]})),
        (json!({"action": "ChangeConfiguration", "payload": {"key": "MeterValueSampleInterval", "value": "10"}}), json!({"status": "Accepted"})),
        (json!({"action": "TriggerMessage", "payload": {"requestedMessage": "StatusNotification", "connectorId": 1}}), json!({"status": "Accepted"})),
        (json!({"action": "ChangeAvailability", "payload": {"connectorId": 0, "type": "Inoperative"}}), json!({"status": "Scheduled"})),
        (json!({"action": "UnlockConnector", "payload": {"connectorId": 1}}), json!({"status": "Unlocked"})),
        (json!({"action": "Reset", "payload": {"type": "Soft"}}), json!({"status": "Accepted"})),
        (json!({"action": "ClearCache", "payload": {}}), json!({"status": "Accepted"})),
        (json!({"action": "DataTransfer", "payload": {"vendorId": "com.example", "messageId": "Ping", "data": "{}"}}), json!({"status": "Accepted", "data": "pong"})),
    ];
    for (command, answer) in cases {
        let request = tokio::spawn(http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&operator).json(&command).send());
        let (id, action, payload) = charger.expect_call().await;
        assert_eq!(action, command["action"].as_str().unwrap());
        assert_eq!(payload, command["payload"], "sent as the operator gave it");
        charger.send_frame(json!([3, id, answer])).await;
        let response = request.await.unwrap().unwrap();
        assert_eq!(response.status(), 200, "{action}");
        let result: Value = response.json().await.unwrap();
        assert_eq!((result["action"].as_str(), &result["response"]), (Some(action.as_str()), &answer));
    }

    // The charger refuses with a CALLERROR, or answers nonsense: 502 with a sentence.
    for bad_answer in [json!([4, "ID", "NotSupported", "no reset here", {}]), json!([3, "ID", {"status": "Maybe"}])] {
        let command = json!({"action": "Reset", "payload": {"type": "Hard"}});
        let request = tokio::spawn(http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&operator).json(&command).send());
        let (id, _, _) = charger.expect_call().await;
        let mut frame = bad_answer.clone();
        frame[1] = json!(id);
        charger.send_frame(frame).await;
        let response = request.await.unwrap().unwrap();
        assert_eq!(response.status(), 502);
        let error: Value = response.json().await.unwrap();
        assert!(error["message"].as_str().unwrap().contains(CHARGER_ID), "{error}");
    }

    // Bad commands never reach a charger.
    let invalid = http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&operator).json(&json!({"action": "Reset", "payload": {"type": "Gentle"}})).send().await.unwrap();
    assert_eq!(invalid.status(), 422);
    let unknown = http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&operator).json(&json!({"action": "SelfDestruct", "payload": {}})).send().await.unwrap();
    assert_eq!(unknown.status(), 422);
    let offline = http.post(command_url(&backend, OFFLINE_CHARGER_ID)).bearer_auth(&operator).json(&json!({"action": "ClearCache", "payload": {}})).send().await.unwrap();
    assert_eq!(offline.status(), 503);
    let missing = http.post(command_url(&backend, "NO-SUCH-CHARGER")).bearer_auth(&operator).json(&json!({"action": "ClearCache", "payload": {}})).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_answers_an_operators_commands() {
    let backend = operator_backend().await;
    let charger = chargekit_tests::charger(&backend).await;
    let http = http_client();
    let operator = operator_token(&http, &backend).await;
    let send = |command: Value| {
        let request = http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&operator).json(&command).send();
        async move {
            let response = request.await.unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()["response"].clone()
        }
    };
    let interval = send(json!({"action": "GetConfiguration", "payload": {"key": ["MeterValueSampleInterval", "NoSuchKey"]}})).await;
    assert_eq!(interval["configurationKey"][0]["key"], "MeterValueSampleInterval");
    assert_eq!(interval["unknownKey"], json!(["NoSuchKey"]));
    let changed = send(json!({"action": "ChangeConfiguration", "payload": {"key": "MeterValueSampleInterval", "value": "30"}})).await;
    assert_eq!(changed["status"], "Accepted");
    let interval = send(json!({"action": "GetConfiguration", "payload": {"key": ["MeterValueSampleInterval"]}})).await;
    assert_eq!(interval["configurationKey"][0]["value"], "30");
    assert_eq!(send(json!({"action": "ChangeConfiguration", "payload": {"key": "NumberOfConnectors", "value": "9"}})).await["status"], "Rejected");
    assert_eq!(send(json!({"action": "ChangeConfiguration", "payload": {"key": "Nope", "value": "1"}})).await["status"], "NotSupported");
    assert_eq!(send(json!({"action": "UnlockConnector", "payload": {"connectorId": 1}})).await["status"], "Unlocked");
    assert_eq!(send(json!({"action": "Reset", "payload": {"type": "Soft"}})).await["status"], "Accepted");
    assert_eq!(send(json!({"action": "ClearCache", "payload": {}})).await["status"], "Accepted");
    assert_eq!(send(json!({"action": "DataTransfer", "payload": {"vendorId": "com.example"}})).await["status"], "UnknownVendorId");
    assert_eq!(send(json!({"action": "TriggerMessage", "payload": {"requestedMessage": "Heartbeat"}})).await["status"], "Accepted");

    // Taken out of service: the drivers' app sees the EVSE unavailable.
    let driver = register_driver(&http, &backend, "eve@example.com").await;
    assert_eq!(send(json!({"action": "ChangeAvailability", "payload": {"connectorId": 1, "type": "Inoperative"}})).await["status"], "Accepted");
    let evse_url = format!("{}/v1/evses/{}", backend.server.base_url(), chargekit_tests::EVSE_ID);
    let mut status = Value::Null;
    for _ in 0..50 {
        let evse: Value = http.get(&evse_url).bearer_auth(&driver).send().await.unwrap().json().await.unwrap();
        status = evse["status"].clone();
        if status == "Unavailable" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "Unavailable");
    charger.shutdown().await;
    backend.server.shutdown().await;
}

/// Who sent what, and what came back: every command is in the audit log, the charger's own and
/// the whole one, with secrets redacted; the charger page shows its boot, connectors and history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_audited_and_the_charger_page_shows_the_charger() {
    let backend = operator_backend().await;
    let http = http_client();
    let base = backend.server.base_url();
    let operator = operator_token(&http, &backend).await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let boot = json!({"chargePointVendor": "Acme", "chargePointModel": "Fast 150", "firmwareVersion": "4.2.1"});
    charger.call("BootNotification", boot).await;
    charger.call("StatusNotification", json!({"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"})).await;
    charger.call("Heartbeat", json!({})).await;

    let secret = json!({"action": "ChangeConfiguration", "payload": {"key": "AuthorizationKey", "value": "0123456789abcdef0123"}});
    let request = tokio::spawn(http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&operator).json(&secret).send());
    let (id, _, _) = charger.expect_call().await;
    charger.send_frame(json!([3, id, {"status": "Accepted"}])).await;
    assert_eq!(request.await.unwrap().unwrap().status(), 200);
    let request = tokio::spawn(http.post(command_url(&backend, CHARGER_ID)).bearer_auth(&operator).json(&json!({"action": "Reset", "payload": {"type": "Hard"}})).send());
    let (id, _, _) = charger.expect_call().await;
    charger.send_frame(json!([4, id, "NotSupported", "no reset here", {}])).await;
    assert_eq!(request.await.unwrap().unwrap().status(), 502);
    let offline = http.post(command_url(&backend, OFFLINE_CHARGER_ID)).bearer_auth(&operator).json(&json!({"action": "ClearCache", "payload": {}})).send().await.unwrap();
    assert_eq!(offline.status(), 503);

    let audit: Value = http.get(format!("{base}/v1/operator/audit")).bearer_auth(&operator).send().await.unwrap().json().await.unwrap();
    let entries: Vec<(&str, &str, &str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["operator"].as_str().unwrap(), e["charger_id"].as_str().unwrap(), e["action"].as_str().unwrap(), e["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(entries, [
        (OPERATOR, OFFLINE_CHARGER_ID, "ClearCache", "offline"),
        (OPERATOR, CHARGER_ID, "Reset", "call_error"),
        (OPERATOR, CHARGER_ID, "ChangeConfiguration", "answered"),
    ], "newest first");
    assert!(!audit.to_string().contains("0123456789abcdef0123"), "the new key is never kept: {audit}");
    assert_eq!(audit[2]["answer"], json!({"status": "Accepted"}));
    assert_eq!(audit[1]["answer"], "NotSupported no reset here");

    let page: Value = http.get(format!("{base}/v1/operator/chargers/{CHARGER_ID}")).bearer_auth(&operator).send().await.unwrap().json().await.unwrap();
    assert_eq!((page["vendor"].as_str(), page["model"].as_str(), page["firmware_version"].as_str()), (Some("Acme"), Some("Fast 150"), Some("4.2.1")));
    assert_eq!(page["connected"], true);
    assert!(page["last_heartbeat_at"].is_string(), "the beat shows before it is written: {page}");
    assert_eq!((page["connectors"][0]["status"].as_str(), page["connectors"][0]["error_code"].as_str()), (Some("Faulted"), Some("GroundFailure")));
    let statuses: Vec<&str> = page["status_events"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.last(), Some(&"Faulted"));
    assert_eq!(page["connection_events"].as_array().unwrap().last().unwrap()["event"], "connected");
    assert_eq!(page["performance"]["faults"], json!([{"error_code": "GroundFailure", "reports": 1}]));
    assert_eq!(page["commands"].as_array().unwrap().len(), 2, "its own commands only");
    let missing = http.get(format!("{base}/v1/operator/chargers/NO-SUCH-CHARGER")).bearer_auth(&operator).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    charger.close().await;
    backend.server.shutdown().await;
}
