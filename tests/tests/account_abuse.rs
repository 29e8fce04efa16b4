//! Accounts under abuse, as an attacker would try them: parallel sign-ins past the limit, a
//! flood of registrations, racing refreshes with one token, Unicode look-alike emails, huge
//! passwords, a sign-out with a made-up refresh token, and token responses a cache could keep.
//! Parallel requests are real parallel requests; the counts asserted are what the server must
//! answer, whatever the order they arrive in.

use chargekit_server::OperatorSeed;
use chargekit_tests::{Backend, backend, backend_with, http_client};
use futures_util::future::join_all;
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const OPERATOR: &str = "ops";
const OPERATOR_PASSWORD: &str = "operator password 1";
/// Failed sign-ins allowed per email (and per operator name) in the window.
const SIGN_IN_LIMIT: usize = 5;
/// The default `registrations_per_address`.
const REGISTRATIONS_PER_ADDRESS: usize = 20;

async fn post(http: &reqwest::Client, backend: &Backend, path: &str, body: Value) -> reqwest::Response {
    http.post(format!("{}{path}", backend.server.base_url())).json(&body).send().await.unwrap()
}

async fn sessions_status(http: &reqwest::Client, backend: &Backend, access: &str) -> u16 {
    http.get(format!("{}/v1/sessions", backend.server.base_url())).bearer_auth(access).send().await.unwrap().status().as_u16()
}

/// How many answers had each status, sorted by status.
fn count(statuses: &[u16]) -> Vec<(u16, usize)> {
    let mut counts: Vec<(u16, usize)> = Vec::new();
    for &status in statuses {
        match counts.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => counts.push((status, 1)),
        }
    }
    counts.sort();
    counts
}

fn assert_retry_after(response: &reqwest::Response) {
    let seconds: u64 = response.headers().get("retry-after").expect("Retry-After on a 429").to_str().unwrap().parse().unwrap();
    assert!(seconds > 0, "Retry-After is a wait in seconds: {seconds}");
}

fn with_operator(config: &mut chargekit_server::ServerConfig) {
    config.operators = vec![OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() }];
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_sign_ins_check_no_more_passwords_than_the_limit() {
    let backend = backend().await;
    let http = http_client();
    assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": "vic@example.com", "password": PASSWORD})).await.status(), 201);

    let attempts = (0..30).map(|i| post(&http, &backend, "/v1/auth/sign-in", json!({"email": "vic@example.com", "password": format!("wrong {i:02}")})));
    let answers = join_all(attempts).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    // Only the first five reserved an attempt and had their password checked.
    assert_eq!(count(&statuses), vec![(401, SIGN_IN_LIMIT), (429, 30 - SIGN_IN_LIMIT)]);
    for limited in answers.iter().filter(|r| r.status() == 429) {
        assert_retry_after(limited);
    }
    let right = post(&http, &backend, "/v1/auth/sign-in", json!({"email": "vic@example.com", "password": PASSWORD})).await;
    assert_eq!(right.status(), 429, "past the limit even the right password waits");
    assert_retry_after(&right);
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_sign_in_is_limited_like_the_drivers() {
    let backend = backend_with(with_operator).await;
    let http = http_client();
    let attempts = (0..30).map(|i| post(&http, &backend, "/v1/operator/sign-in", json!({"username": OPERATOR, "password": format!("wrong password {i:02}")})));
    let answers = join_all(attempts).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(count(&statuses), vec![(401, SIGN_IN_LIMIT), (429, 30 - SIGN_IN_LIMIT)]);
    let right = post(&http, &backend, "/v1/operator/sign-in", json!({"username": OPERATOR, "password": OPERATOR_PASSWORD})).await;
    assert_eq!(right.status(), 429, "the operator name is locked for the window");
    assert_retry_after(&right);
    let error: Value = right.json().await.unwrap();
    assert_eq!(error["code"], "rate_limited");
    assert!(error["message"].as_str().unwrap().contains("Try again in"), "{error}");
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_registrations_is_limited_per_address_and_hashing_is_bounded() {
    let backend = backend().await;
    let http = http_client();
    let registrations =
        (0..100).map(|i| post(&http, &backend, "/v1/auth/register", json!({"email": format!("flood{i:03}@example.com"), "password": PASSWORD})));
    let answers = join_all(registrations).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(count(&statuses), vec![(201, REGISTRATIONS_PER_ADDRESS), (429, 100 - REGISTRATIONS_PER_ADDRESS)]);
    for limited in answers.into_iter().filter(|r| r.status() == 429) {
        assert_retry_after(&limited);
        let error: Value = limited.json().await.unwrap();
        assert_eq!(error["code"], "rate_limited");
        assert!(error["message"].as_str().unwrap().contains("registrations"), "{error}");
    }
    let hashing = backend.server.password_hashing();
    assert!(hashing.bound >= 1);
    assert!(hashing.peak >= 1, "the registrations were hashed: {hashing:?}");
    assert!(hashing.peak <= hashing.bound, "never more passwords hashed at once than the bound: {hashing:?}");
    backend.server.shutdown().await;
}

#[tokio::test]
async fn registration_limit_is_configured() {
    let backend = backend_with(|config| config.registrations_per_address = 2).await;
    let http = http_client();
    for email in ["one@example.com", "two@example.com"] {
        assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": email, "password": PASSWORD})).await.status(), 201);
    }
    let third = post(&http, &backend, "/v1/auth/register", json!({"email": "three@example.com", "password": PASSWORD})).await;
    assert_eq!(third.status(), 429);
    let wait: u64 = third.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(wait > 0 && wait <= 3600, "within the default registration_window_secs: {wait}");
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_refreshes_with_one_token_one_wins_and_nothing_is_issued_into_the_revoked_sign_in() {
    let backend = backend().await;
    let http = http_client();
    let first: Value = post(&http, &backend, "/v1/auth/register", json!({"email": "wen@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();

    let answers = join_all((0..10).map(|_| post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": refresh})))).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(count(&statuses), vec![(200, 1), (401, 9)], "one wins, the others were reuses; never a 500");
    let winner = answers.into_iter().find(|r| r.status() == 200).unwrap();
    let winner: Value = winner.json().await.unwrap();
    // The later ones reused a used token: reuse detection revoked the sign-in, the winner's
    // new pair with it.
    assert_eq!(sessions_status(&http, &backend, winner["token"].as_str().unwrap()).await, 401);
    assert_eq!(post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": winner["refresh_token"]})).await.status(), 401);
    assert_eq!(sessions_status(&http, &backend, first["token"].as_str().unwrap()).await, 401);
    backend.server.shutdown().await;
}

#[tokio::test]
async fn emails_are_unicode_normalized() {
    let backend = backend().await;
    let http = http_client();
    let composed = "jos\u{e9}@example.com";
    let decomposed = "jose\u{301}@example.com";
    assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": composed, "password": PASSWORD})).await.status(), 201);
    let again = post(&http, &backend, "/v1/auth/register", json!({"email": decomposed, "password": PASSWORD})).await;
    assert_eq!(again.status(), 409, "the same address, whichever way the é was typed");
    let signed_in = post(&http, &backend, "/v1/auth/sign-in", json!({"email": decomposed, "password": PASSWORD})).await;
    assert_eq!(signed_in.status(), 200);
    let signed_in: Value = signed_in.json().await.unwrap();
    assert_eq!(signed_in["email"], composed, "kept in NFC");
    backend.server.shutdown().await;
}

#[tokio::test]
async fn emails_with_control_or_invisible_characters_are_refused() {
    let backend = backend().await;
    let http = http_client();
    for email in ["ann\u{0}@example.com", "ann\u{7}@example.com", "an\u{200B}n@example.com", "\u{202E}ann@example.com", "ann@exam\u{FEFF}ple.com"] {
        let refused = post(&http, &backend, "/v1/auth/register", json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(refused.status(), 422, "{email:?}");
        let error: Value = refused.json().await.unwrap();
        assert_eq!(error["code"], "invalid_input");
        assert!(error["message"].as_str().unwrap().contains("email"), "names the field: {error}");
    }
    assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": "ann@example.com", "password": PASSWORD})).await.status(), 201);
    backend.server.shutdown().await;
}

#[tokio::test]
async fn passwords_have_an_upper_bound() {
    let backend = backend().await;
    let http = http_client();
    let too_long = "p".repeat(1025);
    for path in ["/v1/auth/register", "/v1/auth/sign-in"] {
        let refused = post(&http, &backend, path, json!({"email": "bo@example.com", "password": too_long})).await;
        assert_eq!(refused.status(), 422, "{path}");
        let error: Value = refused.json().await.unwrap();
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("password") && message.contains("at most 1024"), "{message}");
    }
    // Multi-byte characters count in bytes: 342 × 3 bytes is over the bound.
    let wide = "€".repeat(342);
    assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": "bo@example.com", "password": wide})).await.status(), 422);
    let longest = "p".repeat(1024);
    assert_eq!(post(&http, &backend, "/v1/auth/register", json!({"email": "bo@example.com", "password": longest})).await.status(), 201);
    assert_eq!(post(&http, &backend, "/v1/auth/sign-in", json!({"email": "bo@example.com", "password": longest})).await.status(), 200);
    backend.server.shutdown().await;
}

#[tokio::test]
async fn sign_out_with_an_unknown_refresh_token_ends_the_sign_in_it_was_called_with() {
    let backend = backend().await;
    let http = http_client();
    let auth: Value = post(&http, &backend, "/v1/auth/register", json!({"email": "kai@example.com", "password": PASSWORD})).await.json().await.unwrap();
    let access = auth["token"].as_str().unwrap();
    let other: Value = post(&http, &backend, "/v1/auth/sign-in", json!({"email": "kai@example.com", "password": PASSWORD})).await.json().await.unwrap();

    let sign_out = http
        .post(format!("{}/v1/auth/sign-out", backend.server.base_url()))
        .bearer_auth(access)
        .json(&json!({"refresh_token": "made-up"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sign_out.status(), 204);
    assert_eq!(sessions_status(&http, &backend, access).await, 401, "the access token used is signed out");
    assert_eq!(post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": auth["refresh_token"]})).await.status(), 401);
    assert_eq!(sessions_status(&http, &backend, other["token"].as_str().unwrap()).await, 200, "another sign-in goes on");
    backend.server.shutdown().await;
}

#[tokio::test]
async fn token_responses_are_not_cached() {
    let backend = backend_with(with_operator).await;
    let http = http_client();
    let registered = post(&http, &backend, "/v1/auth/register", json!({"email": "lee@example.com", "password": PASSWORD})).await;
    let signed_in = post(&http, &backend, "/v1/auth/sign-in", json!({"email": "lee@example.com", "password": PASSWORD})).await;
    let signed_in_headers = signed_in.headers().clone();
    let signed_in: Value = signed_in.json().await.unwrap();
    let refreshed = post(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": signed_in["refresh_token"]})).await;
    let operator = post(&http, &backend, "/v1/operator/sign-in", json!({"username": OPERATOR, "password": OPERATOR_PASSWORD})).await;
    let answers = [
        ("register", registered.status().as_u16(), registered.headers().clone()),
        ("sign-in", 200, signed_in_headers),
        ("refresh", refreshed.status().as_u16(), refreshed.headers().clone()),
        ("operator sign-in", operator.status().as_u16(), operator.headers().clone()),
    ];
    for (what, status, headers) in answers {
        assert!(status == 200 || status == 201, "{what}: {status}");
        assert_eq!(headers.get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{what}");
        assert_eq!(headers.get("pragma").map(|v| v.to_str().unwrap()), Some("no-cache"), "{what}");
    }
    backend.server.shutdown().await;
}
