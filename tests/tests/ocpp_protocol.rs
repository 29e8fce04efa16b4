//! The OCPP endpoint with a raw WebSocket client: subprotocol negotiation, unknown chargers,
//! malformed frames. Also the driver API's idempotency and its OpenAPI document.

use std::time::Duration;

use chargekit_tests::raw_charger::{exchange, open};
use chargekit_tests::{CHARGER_ID, EVSE_ID, backend};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

#[tokio::test]
async fn malformed_frames_get_callerrors_and_the_charger_stays_connected() {
    let backend = backend().await;
    let url = format!("{}/{CHARGER_ID}", backend.server.ocpp_url());
    let (mut socket, agreed) = open(&url, Some("ocpp1.6")).await.unwrap();
    assert_eq!(agreed.as_deref(), Some("ocpp1.6"));

    let answer = exchange(&mut socket, "this is not json").await;
    assert_eq!(answer, json!([4, "-1", "FormationViolation", "frame is not valid JSON", {}]));
    let answer = exchange(&mut socket, r#"[2, "m1", "Heartbeat", []]"#).await;
    assert_eq!((answer[0].clone(), answer[1].clone(), answer[2].clone()), (json!(4), json!("m1"), json!("FormationViolation")));
    let answer = exchange(&mut socket, r#"[2, "m2", "FlyToTheMoon", {}]"#).await;
    assert_eq!(answer[2], "NotImplemented");
    let answer = exchange(&mut socket, r#"[2, "m3", "StartTransaction", {"connectorId": 1}]"#).await;
    assert_eq!(answer[2], "OccurenceConstraintViolation");
    let answer = exchange(&mut socket, r#"[2, "m4", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}]"#).await;
    assert_eq!(answer[2], "TypeConstraintViolation");

    let answer = exchange(&mut socket, r#"[2, "m6", "ClearCache", {}]"#).await;
    assert_eq!(answer[2], "NotSupported", "an OCPP 1.6 action, but one the central system sends, not takes");
    let answer = exchange(&mut socket, r#"[2, "m7", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Resting"}]"#).await;
    assert_eq!(answer[2], "PropertyConstraintViolation");
    let answer = exchange(&mut socket, r#"[2, "m8", "FirmwareStatusNotification", {"status": "Installed"}]"#).await;
    assert_eq!(answer, json!([3, "m8", {}]));

    // Still connected: a well-formed call gets its CALLRESULT.
    let answer = exchange(&mut socket, r#"[2, "m5", "Heartbeat", {}]"#).await;
    assert_eq!((answer[0].clone(), answer[1].clone()), (json!(3), json!("m5")));
    assert!(answer[2]["currentTime"].is_string());
    backend.server.shutdown().await;
}

#[tokio::test]
async fn charger_without_the_subprotocol_is_closed_and_unknown_chargers_are_refused() {
    let backend = backend().await;
    let url = format!("{}/{CHARGER_ID}", backend.server.ocpp_url());
    let (mut socket, agreed) = open(&url, None).await.unwrap();
    assert_eq!(agreed, None, "no subprotocol agreed");
    let next = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("closed promptly");
    match next {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1002),
        other => panic!("expected a close frame, got {other:?}"),
    }

    let unknown = format!("{}/NOT-A-CHARGER", backend.server.ocpp_url());
    match open(&unknown, Some("ocpp1.6")).await {
        Err(WsError::Http(response)) => assert_eq!(response.status(), 401),
        other => panic!("expected HTTP 401, got {:?}", other.map(|(_, p)| p)),
    }
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_start_with_the_same_idempotency_key_starts_once() {
    let backend = backend().await;
    let charger = chargekit_tests::charger(&backend).await;
    let http = chargekit_tests::http_client();
    let base = backend.server.base_url();
    let auth: Value = http
        .post(format!("{base}/v1/auth/register"))
        .json(&json!({"email": "fy@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = auth["token"].as_str().unwrap().to_owned();
    let start = |key: &str| {
        http.post(format!("{base}/v1/sessions"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&json!({"evse_id": "deckte00011"}))
            .send()
    };
    let first = start("retry-me").await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again: Value = start("retry-me").await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], again["id"], "the retry returns the same session");
    assert_eq!(first["evse_id"], EVSE_ID);
    // The same ID typed with its stars is the same request.
    let typed = http.post(format!("{base}/v1/sessions")).bearer_auth(&token).header("Idempotency-Key", "retry-me").json(&json!({"evse_id": EVSE_ID})).send().await.unwrap();
    assert_eq!(typed.json::<Value>().await.unwrap()["id"], first["id"]);

    // The same key with another request is no retry: refused, naming the key.
    for other in [json!({"evse_id": "DE*CKT*E0099*1"}), json!({"evse_id": EVSE_ID, "payment": {"type": "wallet"}})] {
        let reused = http.post(format!("{base}/v1/sessions")).bearer_auth(&token).header("Idempotency-Key", "retry-me").json(&other).send().await.unwrap();
        assert_eq!(reused.status(), 409, "{other}");
        let error: Value = reused.json().await.unwrap();
        assert_eq!(error["code"], "conflict");
        assert!(error["message"].as_str().unwrap().contains("Idempotency-Key"), "{error}");
    }

    // A new key is a new attempt: the connector is busy now.
    let other = start("another-key").await.unwrap();
    assert_eq!(other.status(), 409);
    assert_eq!(other.json::<Value>().await.unwrap()["code"], "conflict");
    let page: Value = http.get(format!("{base}/v1/sessions")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["sessions"].as_array().unwrap().len(), 1);

    // Bad keys are refused before anything happens.
    let empty = start(" ").await.unwrap();
    assert_eq!(empty.status(), 422);
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn errors_have_the_api_shape_and_the_openapi_document_lists_every_endpoint() {
    let backend = backend().await;
    let http = chargekit_tests::http_client();
    let base = backend.server.base_url();

    let anonymous = http.get(format!("{base}/v1/sessions")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.json::<Value>().await.unwrap()["code"], "unauthorized");
    let forged = http.get(format!("{base}/v1/sessions")).bearer_auth("forged").send().await.unwrap();
    assert_eq!(forged.status(), 401);

    let doc: Value = http.get(format!("{base}/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in ["/v1/auth/register", "/v1/auth/sign-in", "/v1/evses/{evse_id}", "/v1/sessions", "/v1/sessions/{id}", "/v1/sessions/{id}/stop", "/v1/sessions/{id}/live"] {
        assert!(doc["paths"][path].is_object(), "{path} missing from the OpenAPI document");
    }
    assert!(doc["components"]["schemas"]["Session"].is_object());
    backend.server.shutdown().await;
}
