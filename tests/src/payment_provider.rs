//! A local card provider speaking Stripe's PaymentIntents wire format, for the payment tests:
//! the server's Stripe adapter talks to it over a real socket exactly as it would to Stripe.
//!
//! What it checks and does, as Stripe documents it:
//! - `Authorization: Bearer <secret key>`, else 401;
//! - form-encoded bodies (`application/x-www-form-urlencoded`), parsed and kept for assertions;
//! - `POST /v1/payment_intents` needs `amount`, `currency` (lower case), `payment_method`,
//!   `capture_method=manual`, `confirm=true`, and answers an intent in `requires_capture`;
//!   Stripe's test payment methods `pm_card_chargeDeclined` and
//!   `pm_card_chargeDeclinedInsufficientFunds` are declined with 402 and a `card_error`;
//! - `POST /v1/payment_intents/{id}/capture` with `amount_to_capture` (at most what is
//!   capturable), `POST /v1/payment_intents/{id}/cancel`; other states answer 400
//!   `payment_intent_unexpected_state`;
//! - `Idempotency-Key`: the first answer under a key is saved and a retry gets it again (the
//!   same parameters) or a 400 `idempotency_error` (other parameters).
//!
//! Faults on demand: [`MockProvider::fail_next`] answers 500 before the request is executed
//! (nothing is saved under its key, so a retry executes it), and
//! [`MockProvider::lose_next_answers`] executes the request and saves its answer, then answers
//! 504 as a gateway would whose connection broke — the case idempotency keys exist for.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chargekit_server::CardProviderConfig;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

pub const SECRET_KEY: &str = "sk_test_chargekit_mock_4eC39HqLyjWDarjtT1zdp7dc";
pub const VISA: &str = "pm_card_visa";
pub const MASTERCARD: &str = "pm_card_mastercard";
pub const DECLINED_CARD: &str = "pm_card_chargeDeclined";
pub const INSUFFICIENT_FUNDS_CARD: &str = "pm_card_chargeDeclinedInsufficientFunds";

/// Which endpoint a request was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Create,
    Capture,
    Cancel,
}

/// A request as the provider received it, and what it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub endpoint: Endpoint,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub form: Vec<(String, String)>,
    pub status: u16,
    /// Answered from the idempotency store, not executed.
    pub replayed: bool,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub payment_method: String,
    pub status: String,
    pub amount_capturable: i64,
    pub amount_received: i64,
    /// How many times a capture was executed on it (a replay is not an execution).
    pub captures_executed: u32,
    pub cancels_executed: u32,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    FailBeforeExecuting,
    LoseAnswer,
}

#[derive(Default)]
struct Inner {
    intents: Vec<Intent>,
    /// Idempotency key → (path and parameters of the first request, its status and body).
    saved: HashMap<String, (String, u16, Value)>,
    requests: Vec<Recorded>,
    faults: HashMap<Endpoint, VecDeque<Fault>>,
}

type Shared = Arc<Mutex<Inner>>;

pub struct MockProvider {
    addr: SocketAddr,
    inner: Shared,
    task: JoinHandle<()>,
}

impl MockProvider {
    pub async fn start() -> Self {
        let inner = Shared::default();
        let app = Router::new()
            .route("/v1/payment_intents", post(create))
            .route("/v1/payment_intents/{id}/capture", post(capture))
            .route("/v1/payment_intents/{id}/cancel", post(cancel))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("mock provider binds");
        let addr = listener.local_addr().expect("an address");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("mock provider serves");
        });
        Self { addr, inner, task }
    }

    pub fn api_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's configuration for this provider.
    pub fn config(&self) -> CardProviderConfig {
        CardProviderConfig { api_base: self.api_base(), secret_key: SECRET_KEY.to_owned(), timeout: Duration::from_secs(5) }
    }

    /// The next `n` requests to `endpoint` fail with 500 before anything is executed.
    pub fn fail_next(&self, endpoint: Endpoint, n: usize) {
        self.push_faults(endpoint, Fault::FailBeforeExecuting, n);
    }

    /// The next `n` requests to `endpoint` are executed and their answers saved under their
    /// keys, but the caller gets a 504 instead.
    pub fn lose_next_answers(&self, endpoint: Endpoint, n: usize) {
        self.push_faults(endpoint, Fault::LoseAnswer, n);
    }

    fn push_faults(&self, endpoint: Endpoint, fault: Fault, n: usize) {
        let mut inner = self.inner.lock().unwrap();
        inner.faults.entry(endpoint).or_default().extend(std::iter::repeat_n(fault, n));
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.endpoint == endpoint).collect()
    }

    pub fn intents(&self) -> Vec<Intent> {
        self.inner.lock().unwrap().intents.clone()
    }

    pub fn intent(&self, id: &str) -> Option<Intent> {
        self.intents().into_iter().find(|i| i.id == id)
    }

}

/// Dropping it stops serving.
impl Drop for MockProvider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn create(State(inner): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    handle(&inner, Endpoint::Create, "/v1/payment_intents".to_owned(), &headers, &body, execute_create)
}

async fn capture(State(inner): State<Shared>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let path = format!("/v1/payment_intents/{id}/capture");
    handle(&inner, Endpoint::Capture, path, &headers, &body, |inner, form| execute_capture(inner, &id, form))
}

async fn cancel(State(inner): State<Shared>, Path(id): Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    let path = format!("/v1/payment_intents/{id}/cancel");
    handle(&inner, Endpoint::Cancel, path, &headers, &body, |inner, _| execute_cancel(inner, &id))
}

/// Authentication, faults, idempotency and the record, around one endpoint's execution.
fn handle(
    inner: &Shared,
    endpoint: Endpoint,
    path: String,
    headers: &HeaderMap,
    body: &[u8],
    execute: impl FnOnce(&mut Inner, &[(String, String)]) -> (u16, Value),
) -> Response {
    let mut inner = inner.lock().unwrap();
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let record = |status: u16, replayed: bool, inner: &mut Inner| {
        inner.requests.push(Recorded { endpoint, path: path.clone(), idempotency_key: key.clone(), form: form.clone(), status, replayed });
    };
    let bearer_ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {SECRET_KEY}"));
    if !bearer_ok {
        record(401, false, &mut inner);
        return answer(401, error("invalid_request_error", None, "Invalid API Key provided."));
    }
    let form_encoded = headers.get("content-type").and_then(|v| v.to_str().ok()) == Some("application/x-www-form-urlencoded");
    if !form_encoded {
        record(400, false, &mut inner);
        return answer(400, error("invalid_request_error", None, "Bodies are application/x-www-form-urlencoded."));
    }
    let fault = inner.faults.get_mut(&endpoint).and_then(VecDeque::pop_front);
    if let Some(Fault::FailBeforeExecuting) = fault {
        record(500, false, &mut inner);
        return answer(500, error("api_error", None, "An unexpected error occurred (injected by the test)."));
    }
    let fingerprint = format!("{path}?{}", serde_json::to_string(&form).unwrap());
    if let Some(key) = &key
        && let Some((first, status, body)) = inner.saved.get(key).cloned()
    {
        if first != fingerprint {
            record(400, true, &mut inner);
            return answer(
                400,
                error("idempotency_error", None, "Keys for idempotent requests can only be used with the same parameters they were first used with."),
            );
        }
        record(status, true, &mut inner);
        return answer(status, body);
    }
    let (status, body) = execute(&mut inner, &form);
    if let Some(key) = &key {
        inner.saved.insert(key.clone(), (fingerprint, status, body.clone()));
    }
    if let Some(Fault::LoseAnswer) = fault {
        record(504, false, &mut inner);
        return (StatusCode::GATEWAY_TIMEOUT, "upstream connection reset").into_response();
    }
    record(status, false, &mut inner);
    answer(status, body)
}

fn execute_create(inner: &mut Inner, form: &[(String, String)]) -> (u16, Value) {
    let param = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    for (name, expected) in [("capture_method", Some("manual")), ("confirm", Some("true")), ("payment_method", None), ("currency", None), ("amount", None)] {
        match (param(name), expected) {
            (None, _) => return (400, error("invalid_request_error", Some("parameter_missing"), &format!("Missing required param: {name}."))),
            (Some(value), Some(expected)) if value != expected => {
                return (400, error("invalid_request_error", Some("parameter_invalid"), &format!("This test provider expects {name}={expected}.")));
            }
            _ => {}
        }
    }
    let Some(amount) = param("amount").and_then(|a| a.parse::<i64>().ok()).filter(|a| *a > 0) else {
        return (400, error("invalid_request_error", Some("parameter_invalid_integer"), "Invalid integer: amount."));
    };
    let currency = param("currency").unwrap_or_default();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_lowercase()) {
        return (400, error("invalid_request_error", Some("parameter_invalid"), "Invalid currency: use a lower-case ISO code."));
    }
    let payment_method = param("payment_method").unwrap_or_default().to_owned();
    match payment_method.as_str() {
        DECLINED_CARD => return (402, card_error("generic_decline", "Your card was declined.")),
        INSUFFICIENT_FUNDS_CARD => return (402, card_error("insufficient_funds", "Your card has insufficient funds.")),
        _ => {}
    }
    let intent = Intent {
        id: format!("pi_mock{:06}", inner.intents.len() + 1),
        amount,
        currency: currency.to_owned(),
        payment_method,
        status: "requires_capture".to_owned(),
        amount_capturable: amount,
        amount_received: 0,
        captures_executed: 0,
        cancels_executed: 0,
    };
    let body = intent_json(&intent);
    inner.intents.push(intent);
    (200, body)
}

fn execute_capture(inner: &mut Inner, id: &str, form: &[(String, String)]) -> (u16, Value) {
    let Some(intent) = inner.intents.iter_mut().find(|i| i.id == id) else { return missing(id) };
    if intent.status != "requires_capture" {
        return unexpected_state(intent, "captured");
    }
    let requested = form.iter().find(|(k, _)| k == "amount_to_capture").map(|(_, v)| v.parse::<i64>());
    let amount = match requested {
        None => intent.amount_capturable,
        Some(Ok(amount)) if (1..=intent.amount_capturable).contains(&amount) => amount,
        Some(_) => {
            return (400, error("invalid_request_error", Some("amount_too_large"), "amount_to_capture must be at most the amount capturable."));
        }
    };
    intent.status = "succeeded".to_owned();
    intent.amount_received = amount;
    intent.amount_capturable = 0;
    intent.captures_executed += 1;
    (200, intent_json(intent))
}

fn execute_cancel(inner: &mut Inner, id: &str) -> (u16, Value) {
    let Some(intent) = inner.intents.iter_mut().find(|i| i.id == id) else { return missing(id) };
    if !matches!(intent.status.as_str(), "requires_capture" | "requires_payment_method" | "requires_confirmation" | "requires_action") {
        return unexpected_state(intent, "canceled");
    }
    intent.status = "canceled".to_owned();
    intent.amount_capturable = 0;
    intent.cancels_executed += 1;
    (200, intent_json(intent))
}

fn intent_json(intent: &Intent) -> Value {
    json!({
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount,
        "amount_capturable": intent.amount_capturable,
        "amount_received": intent.amount_received,
        "capture_method": "manual",
        "currency": intent.currency,
        "payment_method": intent.payment_method,
        "status": intent.status,
        "livemode": false,
    })
}

fn error(kind: &str, code: Option<&str>, message: &str) -> Value {
    json!({"error": {"type": kind, "code": code, "message": message}})
}

fn card_error(decline_code: &str, message: &str) -> Value {
    json!({"error": {"type": "card_error", "code": "card_declined", "decline_code": decline_code, "message": message}})
}

fn missing(id: &str) -> (u16, Value) {
    (404, error("invalid_request_error", Some("resource_missing"), &format!("No such payment_intent: '{id}'")))
}

fn unexpected_state(intent: &Intent, done: &str) -> (u16, Value) {
    let message = format!("This PaymentIntent could not be {done} because it has a status of {}.", intent.status);
    (400, error("invalid_request_error", Some("payment_intent_unexpected_state"), &message))
}

fn answer(status: u16, body: Value) -> Response {
    (StatusCode::from_u16(status).expect("a status"), axum::Json(body)).into_response()
}
