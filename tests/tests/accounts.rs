//! Driver accounts: short-lived access tokens with rotating refresh tokens (reusing one revokes
//! the whole sign-in), server-side sign-out, rate-limited sign-in that does not tell which
//! emails exist, and the app core refreshing its token without the driver noticing.

use std::sync::Arc;
use std::time::Duration;

use chargekit_core::{ChargeKitError, MemorySecureStore, SecureStore};
use chargekit_tests::{Backend, EVSE_ID, app_at, backend, backend_with, http_client};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";

async fn post(http: &reqwest::Client, backend: &Backend, path: &str, body: Value) -> reqwest::Response {
    http.post(format!("{}{path}", backend.server.base_url())).json(&body).send().await.unwrap()
}

async fn sessions_status(http: &reqwest::Client, backend: &Backend, access: &str) -> u16 {
    http.get(format!("{}/v1/sessions", backend.server.base_url())).bearer_auth(access).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn refresh_tokens_rotate_and_a_reused_one_revokes_the_sign_in() {
    let backend = backend().await;
    let http = http_client();
    let first: Value = post(&http, &backend, "/v1/auth/register", json!({"email": "rui@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let (access, refresh) = (first["token"].as_str().unwrap(), first["refresh_token"].as_str().unwrap());
    assert!(first["expires_at"].is_string());
    assert_eq!(sessions_status(&http, &backend, access).await, 200);

    let second = post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    let (access2, refresh2) = (second["token"].as_str().unwrap(), second["refresh_token"].as_str().unwrap());
    assert_ne!(refresh2, refresh, "rotated");
    assert_eq!(sessions_status(&http, &backend, access2).await, 200);

    // The first refresh token again: someone has a copy. Everything of this sign-in stops.
    let reused = post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(reused.status(), 401);
    assert_eq!(sessions_status(&http, &backend, access2).await, 401, "the family's access tokens are revoked");
    assert_eq!(sessions_status(&http, &backend, access).await, 401);
    assert_eq!(post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": refresh2})).await.status(), 401);
    assert_eq!(post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": "made-up"})).await.status(), 401);

    // Another sign-in of the same driver is untouched, until it signs out.
    let other: Value = post(&http, &backend, "/v1/auth/sign-in", json!({"email": "rui@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let other_access = other["token"].as_str().unwrap();
    assert_eq!(sessions_status(&http, &backend, other_access).await, 200);
    let sign_out = http
        .post(format!("{}/v1/auth/sign-out", backend.server.base_url()))
        .bearer_auth(other_access)
        .json(&json!({"refresh_token": other["refresh_token"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_out.status(), 204);
    assert_eq!(sessions_status(&http, &backend, other_access).await, 401);
    assert_eq!(post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": other["refresh_token"]})).await.status(), 401);
    backend.server.shutdown().await;
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_email_and_does_not_tell_who_exists() {
    let backend = backend().await;
    let http = http_client();
    assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": "sam@example.com", "password": PASSWORD})).await.status(), 201);

    let wrong_password: Value = post(&http, &backend, "/v1/auth/sign-in", json!({"email": "sam@example.com", "password": "nope nope"})).await.json().await.unwrap();
    let unknown_email: Value = post(&http, &backend, "/v1/auth/sign-in", json!({"email": "nobody@example.com", "password": "nope nope"})).await.json().await.unwrap();
    assert_eq!(wrong_password, unknown_email, "the same answer either way");

    for _ in 0..4 {
        assert_eq!(post(&http, &backend, "/v1/auth/sign-in", json!({"email": "sam@example.com", "password": "nope nope"})).await.status(), 401);
    }
    let limited = post(&http, &backend, "/v1/auth/sign-in", json!({"email": "Sam@Example.com", "password": PASSWORD})).await;
    assert_eq!(limited.status(), 429, "even the right password waits, whatever the email's case");
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0 && retry_after <= 15 * 60);
    let error: Value = limited.json().await.unwrap();
    assert_eq!(error["code"], "rate_limited");
    assert!(error["message"].as_str().unwrap().contains("Try again in"));
    assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": "tia@example.com", "password": PASSWORD})).await.status(), 201);
    assert_eq!(post(&http, &backend, "/v1/auth/sign-in", json!({"email": "tia@example.com", "password": PASSWORD})).await.status(), 200, "other emails are not affected");
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_refreshes_an_expired_access_token_without_the_driver_noticing() {
    let backend = backend_with(|config| config.access_token_lifetime = Duration::from_secs(1)).await;
    let secrets = Arc::new(MemorySecureStore::new());
    let app = app_at(&backend.server.base_url(), &backend, "phone", secrets.clone());
    app.sign_up("uma@example.com".into(), PASSWORD.into()).await.unwrap();
    let stored = || -> Value { serde_json::from_slice(&secrets.get("chargekit.auth_token".into()).expect("tokens in the secure store")).unwrap() };
    let before = stored();
    assert!(!before["refresh_token"].as_str().unwrap().is_empty());

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // Several requests at once hit the expired token; one refresh serves them all.
    let (a, b, c) = tokio::join!(app.lookup_evse(EVSE_ID.into()), app.sync_history(10), app.lookup_evse(EVSE_ID.into()));
    assert!(a.is_ok() && b.is_ok() && c.is_ok(), "{a:?} {b:?} {c:?}");
    let after = stored();
    assert_ne!(after["token"], before["token"], "a new access token, kept in the secure store");
    assert_ne!(after["refresh_token"], before["refresh_token"]);

    // The sign-in is revoked elsewhere (the old refresh token reused): the app is signed out.
    let http = http_client();
    assert_eq!(post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": before["refresh_token"]})).await.status(), 401);
    match app.lookup_evse(EVSE_ID.into()).await {
        Err(ChargeKitError::Unauthorized { message }) => assert!(message.contains("sign in"), "{message}"),
        other => panic!("expected to be signed out, got {other:?}"),
    }
    assert!(app.account().is_none());
    assert!(secrets.get("chargekit.auth_token".into()).is_err(), "nothing left in the secure store");
    backend.server.shutdown().await;
}
