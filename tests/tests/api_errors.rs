//! Every error of the driver API is `{"code", "message"}` JSON, also when the request is
//! refused before any handler runs; request bodies refuse fields they do not know.

use chargekit_tests::{EVSE_ID, backend, charger, http_client, register_driver, sessions_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    assert!(content_type.starts_with("application/json"), "{status}: content type {content_type:?}");
    let body: Value = response.json().await.unwrap();
    assert!(body["code"].is_string(), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.len() > 10 && message.ends_with('.'), "a sentence: {body}");
    (status, body)
}

#[tokio::test]
async fn rejections_are_json_and_name_the_field() {
    let backend = backend().await;
    let _charger = charger(&backend).await;
    let http = http_client();
    let base = backend.server.base_url();
    let token = register_driver(&http, &backend, "dev@example.com").await;
    let post = |body: &'static str| http.post(format!("{base}/v1/sessions")).bearer_auth(&token).header("content-type", "application/json").body(body).send();

    let (status, error) = error_of(post("{}").await.unwrap()).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_input")));
    assert!(error["message"].as_str().unwrap().contains("evse_id"), "names the missing field: {error}");

    // A misspelt field starts nothing.
    let misspelt = r#"{"evse_id": "DE*CKT*E0001*1", "payment_method": "wallet"}"#;
    let (status, error) = error_of(post(misspelt).await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["message"].as_str().unwrap().contains("payment_method"), "names the unknown field: {error}");
    assert!(sessions_of(&http, &backend, &token).await.is_empty(), "nothing started");

    let (status, _) = error_of(post("not json").await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let plain = http.post(format!("{base}/v1/sessions")).bearer_auth(&token).body(json!({"evse_id": EVSE_ID}).to_string()).send().await.unwrap();
    assert_eq!(error_of(plain).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let query = http.get(format!("{base}/v1/sessions?limit=lots")).bearer_auth(&token).send().await.unwrap();
    let (status, error) = error_of(query).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error["message"].as_str().unwrap().contains("limit"), "{error}");

    let (status, error) = error_of(http.get(format!("{base}/v1/no-such-thing")).send().await.unwrap()).await;
    assert_eq!((status, error["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let wrong_method = http.delete(format!("{base}/v1/sessions")).bearer_auth(&token).send().await.unwrap();
    assert!(wrong_method.headers().contains_key("allow"));
    assert_eq!(error_of(wrong_method).await.0, StatusCode::METHOD_NOT_ALLOWED);

    // Other request bodies refuse unknown fields too.
    let sign_in = json!({"email": "dev@example.com", "password": "correct horse battery", "remember": true});
    let (status, error) = error_of(http.post(format!("{base}/v1/auth/sign-in")).json(&sign_in).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["message"].as_str().unwrap().contains("remember"), "{error}");
    backend.server.shutdown().await;
}
