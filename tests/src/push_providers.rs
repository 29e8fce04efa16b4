//! Local push services speaking the providers' wire formats, for the push tests: the server's
//! adapters talk to them over real sockets exactly as they would to Google and Apple.
//!
//! [`MockFcm`] is Firebase Cloud Messaging HTTP v1 with Google's OAuth2 token endpoint:
//! - `POST /token` takes `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` and an
//!   `assertion`: a JWT (RS256) verified with the service account's public key, whose `iss`,
//!   `scope` and `aud` must be the account's email, firebase.messaging and this endpoint; it
//!   answers `{"access_token", "expires_in", "token_type": "Bearer"}`;
//! - `POST /v1/projects/{project}/messages:send` needs `Authorization: Bearer <that token>`
//!   (else 401) and `{"message": {"token", "data": {string: string}}}` (else 400
//!   `INVALID_ARGUMENT`); a token made [`MockFcm::unregister`]ed answers 404 `NOT_FOUND` with
//!   the `FcmError` detail `UNREGISTERED`, as FCM does for an uninstalled app;
//!   [`MockFcm::fail_next`] answers 503 `UNAVAILABLE`.
//!
//! [`MockApns`] is APNs over HTTP/2 (cleartext, prior knowledge; a request over HTTP/1.1 is
//! refused): `POST /3/device/{token}` with `authorization: bearer <JWT>` (ES256, header `kid`,
//! claim `iss` = the team, verified with the key's public half; else 403
//! `InvalidProviderToken`), `apns-topic` (else 400 `MissingTopic`), `apns-push-type` `alert` or
//! `liveactivity` (the topic of the latter ending in `.push-type.liveactivity`, else 400
//! `TopicDisallowed`); a token made [`MockApns::unregister`]ed answers 410 `Unregistered`.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Version};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// A test-only RSA key standing in for a Firebase service account's.
pub const FCM_TEST_KEY: &str = include_str!("fcm_test_service_account_key.pem");
pub const FCM_PROJECT: &str = "chargekit-test";
pub const FCM_CLIENT_EMAIL: &str = "push@chargekit-test.iam.gserviceaccount.com";
pub const APNS_TEAM: &str = "TEAM123456";
pub const APNS_KEY_ID: &str = "KEY1234567";
pub const APNS_TOPIC: &str = "io.chargekit.test";

/// Recorded requests, with a notification for the tests that wait on them.
struct Journal<T> {
    entries: Mutex<Vec<T>>,
    changed: Notify,
}

impl<T: Clone> Journal<T> {
    fn new() -> Self {
        Self { entries: Mutex::new(Vec::new()), changed: Notify::new() }
    }

    fn push(&self, entry: T) {
        self.entries.lock().unwrap().push(entry);
        self.changed.notify_waiters();
    }

    fn all(&self) -> Vec<T> {
        self.entries.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the entries so far (at most `timeout`).
    async fn wait_for(&self, timeout: Duration, done: impl Fn(&[T]) -> bool) -> Vec<T>
    where
        T: std::fmt::Debug,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let changed = self.changed.notified();
            {
                let entries = self.entries.lock().unwrap();
                if done(&entries) {
                    return entries.clone();
                }
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                panic!("the push service never got there; it received: {:#?}", self.all());
            }
        }
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("PEM base64")
}

/// The header and claims of a JWT whose signature `verify` accepts over `header.claims`.
fn read_jwt(jwt: &str, verify: impl Fn(&[u8], &[u8]) -> bool) -> Option<(Value, Value)> {
    let mut parts = jwt.split('.');
    let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    if parts.next().is_some() || !verify(format!("{header}.{claims}").as_bytes(), &signature) {
        return None;
    }
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).ok().and_then(|b| serde_json::from_slice(&b).ok());
    Some((decode(header)?, decode(claims)?))
}

/// A message FCM accepted.
#[derive(Debug, Clone)]
pub struct FcmMessage {
    pub token: String,
    pub message: Value,
}

impl FcmMessage {
    pub fn data(&self, key: &str) -> &str {
        self.message["data"][key].as_str().unwrap_or_default()
    }
}

struct FcmState {
    public_key: Vec<u8>,
    token_uri: Mutex<String>,
    access_token: String,
    gone: Mutex<HashSet<String>>,
    failures_left: Mutex<u32>,
    accepted: Journal<FcmMessage>,
    /// Every answer to a send: (device token, status).
    answers: Journal<(String, u16)>,
    exchanges: Mutex<u32>,
}

pub struct MockFcm {
    addr: SocketAddr,
    state: Arc<FcmState>,
    task: JoinHandle<()>,
}

impl MockFcm {
    pub async fn start() -> Self {
        let key = ring::signature::RsaKeyPair::from_pkcs8(&pem_der(FCM_TEST_KEY)).expect("the test RSA key");
        let state = Arc::new(FcmState {
            public_key: ring::signature::KeyPair::public_key(&key).as_ref().to_vec(),
            token_uri: Mutex::default(),
            access_token: format!("ya29.mock-{}", uuid::Uuid::new_v4().simple()),
            gone: Mutex::default(),
            failures_left: Mutex::new(0),
            accepted: Journal::new(),
            answers: Journal::new(),
            exchanges: Mutex::new(0),
        });
        let app = Router::new().route("/token", post(fcm_token)).route("/v1/projects/{project}/messages:send", post(fcm_send)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        *state.token_uri.lock().unwrap() = format!("http://{addr}/token");
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state, task }
    }

    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A service-account key file, as the Firebase console gives it, pointing at this server.
    pub fn service_account_json(&self) -> String {
        json!({
            "type": "service_account",
            "project_id": FCM_PROJECT,
            "private_key_id": "0123456789abcdef",
            "private_key": FCM_TEST_KEY,
            "client_email": FCM_CLIENT_EMAIL,
            "client_id": "1234567890",
            "token_uri": *self.state.token_uri.lock().unwrap(),
        })
        .to_string()
    }

    /// The app behind `token` was uninstalled: FCM answers 404 UNREGISTERED from now on.
    pub fn unregister(&self, token: &str) {
        self.state.gone.lock().unwrap().insert(token.to_owned());
    }

    /// The next `n` sends answer 503.
    pub fn fail_next(&self, n: u32) {
        *self.state.failures_left.lock().unwrap() = n;
    }

    pub fn accepted(&self) -> Vec<FcmMessage> {
        self.state.accepted.all()
    }

    pub async fn wait_accepted(&self, timeout: Duration, done: impl Fn(&[FcmMessage]) -> bool) -> Vec<FcmMessage> {
        self.state.accepted.wait_for(timeout, done).await
    }

    pub async fn wait_answers(&self, timeout: Duration, done: impl Fn(&[(String, u16)]) -> bool) -> Vec<(String, u16)> {
        self.state.answers.wait_for(timeout, done).await
    }

    /// OAuth2 token exchanges made.
    pub fn exchanges(&self) -> u32 {
        *self.state.exchanges.lock().unwrap()
    }
}

impl Drop for MockFcm {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn google_error(status: StatusCode, name: &str, message: &str, fcm_code: Option<&str>) -> Response {
    let mut error = json!({"error": {"code": status.as_u16(), "message": message, "status": name}});
    if let Some(code) = fcm_code {
        error["error"]["details"] = json!([{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}]);
    }
    (status, axum::Json(error)).into_response()
}

async fn fcm_token(State(state): State<Arc<FcmState>>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    if field("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "unsupported_grant_type"}))).into_response();
    }
    let public_key = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, state.public_key.clone());
    let Some((header, claims)) = read_jwt(&field("assertion"), |input, sig| public_key.verify(input, sig).is_ok()) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}))).into_response();
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let valid = header["alg"] == "RS256"
        && claims["iss"] == FCM_CLIENT_EMAIL
        && claims["scope"].as_str().is_some_and(|s| s.split(' ').any(|s| s == "https://www.googleapis.com/auth/firebase.messaging"))
        && claims["aud"] == *state.token_uri.lock().unwrap()
        && claims["iat"].as_i64().is_some_and(|iat| (iat - now).abs() < 300)
        && claims["exp"].as_i64().is_some_and(|exp| exp > now && exp - claims["iat"].as_i64().unwrap_or(0) <= 3600);
    if !valid {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": "invalid_grant", "error_description": format!("bad claims {claims}")}))).into_response();
    }
    *state.exchanges.lock().unwrap() += 1;
    axum::Json(json!({"access_token": state.access_token, "expires_in": 3599, "token_type": "Bearer"})).into_response()
}

async fn fcm_send(State(state): State<Arc<FcmState>>, Path(project): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {}", state.access_token)) {
        return google_error(StatusCode::UNAUTHORIZED, "UNAUTHENTICATED", "Request had invalid authentication credentials.", None);
    }
    if project != FCM_PROJECT {
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Requested entity was not found.", None);
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return google_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "Invalid JSON payload received.", Some("INVALID_ARGUMENT"));
    };
    let message = &request["message"];
    let token = message["token"].as_str().unwrap_or_default().to_owned();
    let data_ok = message["data"].as_object().is_some_and(|data| data.values().all(Value::is_string));
    let answer = |status: StatusCode| state.answers.push((token.clone(), status.as_u16()));
    if token.is_empty() || !data_ok {
        answer(StatusCode::BAD_REQUEST);
        return google_error(StatusCode::BAD_REQUEST, "INVALID_ARGUMENT", "data values must be strings", Some("INVALID_ARGUMENT"));
    }
    {
        let mut failures = state.failures_left.lock().unwrap();
        if *failures > 0 {
            *failures -= 1;
            drop(failures);
            answer(StatusCode::SERVICE_UNAVAILABLE);
            return google_error(StatusCode::SERVICE_UNAVAILABLE, "UNAVAILABLE", "The service is currently unavailable.", Some("UNAVAILABLE"));
        }
    }
    if state.gone.lock().unwrap().contains(&token) {
        answer(StatusCode::NOT_FOUND);
        return google_error(StatusCode::NOT_FOUND, "NOT_FOUND", "Requested entity was not found.", Some("UNREGISTERED"));
    }
    answer(StatusCode::OK);
    state.accepted.push(FcmMessage { token, message: message.clone() });
    axum::Json(json!({"name": format!("projects/{FCM_PROJECT}/messages/{}", uuid::Uuid::new_v4())})).into_response()
}

/// A push APNs accepted.
#[derive(Debug, Clone)]
pub struct ApnsPush {
    pub device: String,
    pub push_type: String,
    pub topic: String,
    pub body: Value,
}

struct ApnsState {
    public_key: Vec<u8>,
    gone: Mutex<HashSet<String>>,
    accepted: Journal<ApnsPush>,
    answers: Journal<(String, u16)>,
}

pub struct MockApns {
    addr: SocketAddr,
    state: Arc<ApnsState>,
    /// The `.p8` key (PKCS#8 PEM) the server signs its provider tokens with.
    pub key_pem: String,
    task: JoinHandle<()>,
}

impl MockApns {
    pub async fn start() -> Self {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("a P-256 key");
        let state = Arc::new(ApnsState {
            public_key: key.public_key_raw().to_vec(),
            gone: Mutex::default(),
            accepted: Journal::new(),
            answers: Journal::new(),
        });
        let app = Router::new().route("/3/device/{token}", post(apns_push)).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state, key_pem: key.serialize_pem(), task }
    }

    /// Cleartext HTTP/2 (prior knowledge): the server's adapter speaks h2 to an `http://` base.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn unregister(&self, token: &str) {
        self.state.gone.lock().unwrap().insert(token.to_owned());
    }

    pub fn accepted(&self) -> Vec<ApnsPush> {
        self.state.accepted.all()
    }

    pub async fn wait_accepted(&self, timeout: Duration, done: impl Fn(&[ApnsPush]) -> bool) -> Vec<ApnsPush> {
        self.state.accepted.wait_for(timeout, done).await
    }

    pub async fn wait_answers(&self, timeout: Duration, done: impl Fn(&[(String, u16)]) -> bool) -> Vec<(String, u16)> {
        self.state.answers.wait_for(timeout, done).await
    }
}

impl Drop for MockApns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn apns_error(status: StatusCode, reason: &str) -> Response {
    (status, axum::Json(json!({"reason": reason}))).into_response()
}

async fn apns_push(State(state): State<Arc<ApnsState>>, Path(device): Path<String>, version: Version, headers: HeaderMap, body: Bytes) -> Response {
    let answer = |status: StatusCode| state.answers.push((device.clone(), status.as_u16()));
    if version != Version::HTTP_2 {
        answer(StatusCode::BAD_REQUEST);
        return apns_error(StatusCode::BAD_REQUEST, "BadRequest: APNs speaks HTTP/2 only");
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let public_key = ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, state.public_key.clone());
    let jwt = header("authorization").strip_prefix("bearer ").unwrap_or_default().to_owned();
    let verified = read_jwt(&jwt, |input, sig| public_key.verify(input, sig).is_ok());
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token_ok = verified.is_some_and(|(h, c)| {
        h["alg"] == "ES256" && h["kid"] == APNS_KEY_ID && c["iss"] == APNS_TEAM && c["iat"].as_i64().is_some_and(|iat| (now - iat).abs() < 3600)
    });
    if !token_ok {
        answer(StatusCode::FORBIDDEN);
        return apns_error(StatusCode::FORBIDDEN, "InvalidProviderToken");
    }
    let (topic, push_type) = (header("apns-topic"), header("apns-push-type"));
    if topic.is_empty() {
        answer(StatusCode::BAD_REQUEST);
        return apns_error(StatusCode::BAD_REQUEST, "MissingTopic");
    }
    let topic_fits = match push_type.as_str() {
        "alert" => topic == APNS_TOPIC,
        "liveactivity" => topic == format!("{APNS_TOPIC}.push-type.liveactivity"),
        _ => false,
    };
    if !topic_fits {
        answer(StatusCode::BAD_REQUEST);
        return apns_error(StatusCode::BAD_REQUEST, "TopicDisallowed");
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        answer(StatusCode::BAD_REQUEST);
        return apns_error(StatusCode::BAD_REQUEST, "PayloadEmpty");
    };
    if !payload["aps"].is_object() {
        answer(StatusCode::BAD_REQUEST);
        return apns_error(StatusCode::BAD_REQUEST, "BadPayload");
    }
    if state.gone.lock().unwrap().contains(&device) {
        answer(StatusCode::GONE);
        return (StatusCode::GONE, axum::Json(json!({"reason": "Unregistered", "timestamp": now * 1000}))).into_response();
    }
    answer(StatusCode::OK);
    state.accepted.push(ApnsPush { device, push_type, topic, body: payload });
    let mut response = StatusCode::OK.into_response();
    response.headers_mut().insert("apns-id", uuid::Uuid::new_v4().to_string().parse().unwrap());
    response
}
