//! The server's alerts end to end: a real server on 127.0.0.1:0, raw OCPP chargers, and a local
//! webhook receiver that verifies each delivery's signature (Stripe's scheme: HMAC-SHA256 over
//! `<t>.<raw body>`). Thresholds are short through the config; the test waits for the webhook
//! events themselves, never for a time to pass (except where the condition is time itself: a
//! heartbeat gap).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chargekit_server::{AlertsConfig, OperatorSeed, RunningServer, ServerConfig, WebhookConfig};
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{CHARGER_ID, EVSE_ID, OFFLINE_CHARGER_ID, http_client};
use ring::hmac;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;

const SECRET: &str = "whsec_test_0123456789abcdef";
const OPERATOR: &str = "ops";
const OPERATOR_PASSWORD: &str = "a long operator password";
/// A bound against a hang, not a measure: events come within milliseconds to seconds.
const WAIT: Duration = Duration::from_secs(30);

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Delivery {
    delivery_id: String,
    event: Value,
    /// What the receiver answered.
    answered: u16,
    at: Instant,
}

/// A webhook receiver: verifies the signature of every POST (a bad one is a test failure),
/// answers 500 to the first `fail_next` of them, and hands each to the test.
struct Receiver {
    url: String,
    fail_next: Arc<AtomicUsize>,
    deliveries: mpsc::UnboundedReceiver<Delivery>,
    seen: Vec<Delivery>,
}

#[derive(Clone)]
struct ReceiverState {
    fail_next: Arc<AtomicUsize>,
    sent: mpsc::UnboundedSender<Delivery>,
    bad: Arc<Mutex<Vec<String>>>,
}

fn verify(headers: &HeaderMap, body: &str) -> Result<(), String> {
    let header = headers.get("chargekit-signature").and_then(|v| v.to_str().ok()).ok_or("no ChargeKit-Signature header")?;
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = Some(t.to_owned()),
            Some(("v1", v)) => signature = Some(hex::decode(v).map_err(|e| e.to_string())?),
            _ => {}
        }
    }
    let (timestamp, signature) = (timestamp.ok_or("no t=")?, signature.ok_or("no v1=")?);
    let age = OffsetDateTime::now_utc().unix_timestamp() - timestamp.parse::<i64>().map_err(|e| e.to_string())?;
    if !(-5..=300).contains(&age) {
        return Err(format!("a timestamp {age} s old"));
    }
    let key = hmac::Key::new(hmac::HMAC_SHA256, SECRET.as_bytes());
    hmac::verify(&key, format!("{timestamp}.{body}").as_bytes(), &signature).map_err(|_| format!("bad signature {header}"))
}

async fn hook(State(state): State<ReceiverState>, headers: HeaderMap, body: String) -> StatusCode {
    if let Err(why) = verify(&headers, &body) {
        state.bad.lock().unwrap().push(why);
        return StatusCode::BAD_REQUEST;
    }
    let fail = state.fail_next.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    let status = if fail { StatusCode::INTERNAL_SERVER_ERROR } else { StatusCode::OK };
    let delivery_id = headers.get("chargekit-delivery").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let event = serde_json::from_str(&body).unwrap_or(Value::Null);
    let _ = state.sent.send(Delivery { delivery_id, event, answered: status.as_u16(), at: Instant::now() });
    status
}

impl Receiver {
    async fn start() -> Self {
        let (sent, deliveries) = mpsc::unbounded_channel();
        let fail_next = Arc::new(AtomicUsize::new(0));
        let state = ReceiverState { fail_next: fail_next.clone(), sent, bad: Arc::default() };
        let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { url, fail_next, deliveries, seen: Vec::new() }
    }

    /// Waits for a delivery the receiver accepted of `kind` (`alert.opened`, `alert.resolved`)
    /// for `rule` and `subject`; returns its alert.
    async fn accepted(&mut self, kind: &str, rule: &str, subject: &str) -> Value {
        let found = self.next(|d| d.answered == 200 && d.event["type"] == kind && d.event["alert"]["rule"] == rule && d.event["alert"]["subject"] == subject).await;
        found.event["alert"].clone()
    }

    async fn next(&mut self, wanted: impl Fn(&Delivery) -> bool) -> Delivery {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let delivery = tokio::time::timeout_at(deadline, self.deliveries.recv())
                .await
                .unwrap_or_else(|_| panic!("no such webhook delivery within {WAIT:?}; seen: {:#?}", self.seen))
                .expect("receiver running");
            self.seen.push(delivery.clone());
            if wanted(&delivery) {
                return delivery;
            }
        }
    }
}

fn config(dir: &std::path::Path, receiver: &Receiver, adjust: impl FnOnce(&mut AlertsConfig)) -> ServerConfig {
    let mut alerts = AlertsConfig {
        charger_offline_after_secs: 1,
        webhooks: vec![WebhookConfig { url: receiver.url.clone(), secret: SECRET.into() }],
        webhook_retry_delay_ms: 200,
        ..AlertsConfig::default()
    };
    adjust(&mut alerts);
    ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: dir.join("server.db"),
        chargers: vec![
            chargekit_server::ChargerSeed::single(CHARGER_ID, EVSE_ID),
            chargekit_server::ChargerSeed::single(OFFLINE_CHARGER_ID, chargekit_tests::OFFLINE_EVSE_ID),
        ],
        charger_call_timeout: Duration::from_secs(5),
        operators: vec![OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() }],
        payments: chargekit_server::PaymentsConfig { unpaid_charging: true, ..Default::default() },
        alerts,
        ..ServerConfig::default()
    }
}

async fn operator_get(server: &RunningServer, path: &str) -> Value {
    let token = operator_token(server).await;
    let response = http_client().get(format!("{}{path}", server.base_url())).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {path}");
    response.json().await.unwrap()
}

async fn booted(server: &RunningServer) -> RawCharger {
    let mut charger = RawCharger::connect(&server.ocpp_url(), CHARGER_ID).await;
    charger.call("BootNotification", json!({"chargePointVendor": "Test", "chargePointModel": "Raw"})).await;
    charger
}

fn at(t: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(t.as_str().expect("a time"), &Rfc3339).expect("RFC 3339")
}

#[tokio::test]
async fn an_offline_charger_opens_an_alert_past_the_threshold_and_its_return_resolves_it_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    let server = chargekit_server::start(config(dir.path(), &receiver, |_| {})).await.unwrap();

    let charger = booted(&server).await;
    charger.close().await;
    let opened = receiver.accepted("alert.opened", "ChargeKitChargerOffline", CHARGER_ID).await;
    assert_eq!(opened["charger_id"], CHARGER_ID);
    assert_eq!(opened["severity"], "warning");
    assert!(at(&opened["opened_at"]) - at(&opened["since"]) >= time::Duration::seconds(1), "opened past the threshold only: {opened}");

    let charger = booted(&server).await;
    let resolved = receiver.accepted("alert.resolved", "ChargeKitChargerOffline", CHARGER_ID).await;
    assert_eq!(resolved["id"], opened["id"]);
    assert!(resolved["resolved_at"].is_string());

    let listed = operator_get(&server, "/v1/operator/alerts").await;
    let entry = listed["recent"].as_array().unwrap().iter().find(|a| a["id"] == opened["id"]).expect("the resolved alert is listed").clone();
    let states: Vec<(&str, &str)> = entry["deliveries"].as_array().unwrap().iter().map(|d| (d["event"].as_str().unwrap(), d["state"].as_str().unwrap())).collect();
    assert_eq!(states, vec![("alert.opened", "delivered"), ("alert.resolved", "delivered")]);
    assert!(listed["open"].as_array().unwrap().iter().any(|a| a["subject"] == OFFLINE_CHARGER_ID), "the never-connected charger is open: {listed}");
    let documented: Value = http_client().get(format!("{}/openapi.json", server.base_url())).send().await.unwrap().json().await.unwrap();
    assert!(documented["paths"]["/v1/operator/alerts"]["get"].is_object(), "the alerts are in /openapi.json");

    // Offline again, then a restart: the open alert is neither fired again nor forgotten.
    charger.close().await;
    let second = receiver.accepted("alert.opened", "ChargeKitChargerOffline", CHARGER_ID).await;
    server.shutdown().await;
    let before_restart = receiver.seen.len();
    let server = chargekit_server::start(config(dir.path(), &receiver, |_| {})).await.unwrap();
    let charger = booted(&server).await;
    let resolved = receiver.accepted("alert.resolved", "ChargeKitChargerOffline", CHARGER_ID).await;
    assert_eq!(resolved["id"], second["id"], "the alert open before the restart is the one resolved");
    let refired: Vec<_> = receiver.seen[before_restart..].iter().filter(|d| d.event["type"] == "alert.opened").collect();
    assert!(refired.is_empty(), "nothing opened again after the restart: {refired:#?}");
    charger.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_exponential_backoff_until_it_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    receiver.fail_next.store(2, Ordering::SeqCst);
    // Only the never-connected charger: its alert is the first and only event.
    let mut config = config(dir.path(), &receiver, |_| {});
    config.chargers.retain(|c| c.charge_point_id == OFFLINE_CHARGER_ID);
    let server = chargekit_server::start(config).await.unwrap();
    let is_it = |d: &Delivery| d.event["alert"]["subject"] == OFFLINE_CHARGER_ID;
    let first = receiver.next(is_it).await;
    let second = receiver.next(is_it).await;
    let third = receiver.next(is_it).await;
    assert_eq!((first.answered, second.answered, third.answered), (500, 500, 200));
    assert!(first.delivery_id == second.delivery_id && second.delivery_id == third.delivery_id, "one delivery, tried again");
    // Retries are never sooner than the backoff: 200 ms, then 400 ms.
    assert!(second.at - first.at >= Duration::from_millis(200), "{:?}", second.at - first.at);
    assert!(third.at - second.at >= Duration::from_millis(400), "{:?}", third.at - second.at);

    let listed = operator_get(&server, "/v1/operator/alerts").await;
    let alert = listed["open"].as_array().unwrap().iter().find(|a| a["subject"] == OFFLINE_CHARGER_ID).unwrap().clone();
    assert_eq!(alert["deliveries"][0]["attempts"], 3);
    assert_eq!(alert["deliveries"][0]["state"], "delivered");
    server.shutdown().await;
}

#[tokio::test]
async fn a_faulted_connector_opens_an_alert_and_its_recovery_resolves_it() {
    let summary = fault_and_recover(1, "GroundFailure").await;
    assert!(summary.starts_with(&format!("Connector 1 of {CHARGER_ID} is faulted")), "{summary}");
}

/// Connector 0 is the charger itself (OCPP 1.6, StatusNotification): a whole charger reporting
/// Faulted is the fault an operator most needs to hear of, and it has no EVSE row.
#[tokio::test]
async fn a_charger_reporting_itself_faulted_opens_an_alert_and_its_recovery_resolves_it() {
    let summary = fault_and_recover(0, "PowerMeterFailure").await;
    assert!(summary.starts_with(&format!("Charger {CHARGER_ID} is faulted")), "{summary}");
}

/// A booted charger reports `connector` Faulted with `error_code`, then Available: the
/// critical `ChargeKitConnectorFaulted` alert for `<charger>/<connector>` opens naming the error
/// code and resolves. Returns the opened alert's summary.
async fn fault_and_recover(connector: u32, error_code: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    let server = chargekit_server::start(config(dir.path(), &receiver, |a| a.connector_faulted_after_secs = 1)).await.unwrap();
    let mut charger = booted(&server).await;
    charger.call("StatusNotification", json!({"connectorId": connector, "errorCode": error_code, "status": "Faulted"})).await;
    let subject = format!("{CHARGER_ID}/{connector}");
    let opened = receiver.accepted("alert.opened", "ChargeKitConnectorFaulted", &subject).await;
    assert_eq!(opened["severity"], "critical");
    let summary = opened["summary"].as_str().unwrap().to_owned();
    assert!(summary.contains(error_code), "{opened}");
    charger.call("StatusNotification", json!({"connectorId": connector, "errorCode": "NoError", "status": "Available"})).await;
    let resolved = receiver.accepted("alert.resolved", "ChargeKitConnectorFaulted", &subject).await;
    assert_eq!(resolved["id"], opened["id"]);
    charger.close().await;
    server.shutdown().await;
    summary
}

/// Starts a session from the app; the charger answers the remote start with `answer`. Returns
/// the RemoteStartTransaction's idTag.
async fn app_start(server: &RunningServer, charger: &mut RawCharger, bearer: &str, answer: &str) -> String {
    app_start_paying(server, charger, bearer, answer, None).await
}

async fn app_start_paying(server: &RunningServer, charger: &mut RawCharger, bearer: &str, answer: &str, payment: Option<Value>) -> String {
    let url = format!("{}/v1/sessions", server.base_url());
    let mut body = json!({"evse_id": EVSE_ID});
    if let Some(payment) = payment {
        body["payment"] = payment;
    }
    let request = http_client().post(url).bearer_auth(bearer).json(&body).send();
    let asked = tokio::spawn(request);
    let (id, action, payload) = charger.expect_call().await;
    assert_eq!(action, "RemoteStartTransaction");
    charger.send_frame(json!([3, id, {"status": answer}])).await;
    let answered = asked.await.unwrap().unwrap();
    assert_eq!(answered.status().is_success(), answer == "Accepted", "{}", answered.status());
    payload["idTag"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn starts_failing_in_a_row_open_an_alert() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    let server = chargekit_server::start(config(dir.path(), &receiver, |a| a.failed_starts_in_a_row = 2)).await.unwrap();
    let mut charger = booted(&server).await;
    let bearer = register_driver_at(&http_client(), &server, "kim@example.com").await;
    app_start(&server, &mut charger, &bearer, "Rejected").await;
    app_start(&server, &mut charger, &bearer, "Rejected").await;
    let opened = receiver.accepted("alert.opened", "ChargeKitFailedStarts", CHARGER_ID).await;
    assert!(opened["summary"].as_str().unwrap().starts_with("2 starts in a row failed"), "{opened}");
    charger.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_heartbeat_gap_opens_an_alert() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    let mut config = config(dir.path(), &receiver, |_| {});
    config.heartbeat_interval_secs = 1;
    let server = chargekit_server::start(config).await.unwrap();
    let mut charger = booted(&server).await;
    charger.call("Heartbeat", json!({})).await;
    // The condition is a silence: longer than twice the 1 s interval.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    charger.call("Heartbeat", json!({})).await;
    let opened = receiver.accepted("alert.opened", "ChargeKitHeartbeatGaps", CHARGER_ID).await;
    assert_eq!(opened["severity"], "info");
    charger.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn availability_under_the_target_opens_an_alert() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    let server = chargekit_server::start(config(dir.path(), &receiver, |a| {
        a.availability_min_observed_secs = 0;
        a.availability_every_secs = 0;
    }))
    .await
    .unwrap();
    let mut charger = booted(&server).await;
    charger.call("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Unavailable"})).await;
    let opened = receiver.accepted("alert.opened", "ChargeKitAvailabilityBelowTarget", CHARGER_ID).await;
    assert!(opened["summary"].as_str().unwrap().contains("under the 95 % target"), "{opened}");
    charger.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_session_held_for_review_opens_an_alert() {
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    let server = chargekit_server::start(config(dir.path(), &receiver, |_| {})).await.unwrap();
    let (mut charger, transaction, session) = charging(&server, "lee@example.com").await;
    let begin = OffsetDateTime::now_utc() - time::Duration::minutes(30);
    meter(&mut charger, transaction, 1_000, begin + time::Duration::minutes(1)).await;
    // 10 MWh in 10 s: no charger delivers that.
    meter(&mut charger, transaction, 10_001_000, begin + time::Duration::minutes(1) + time::Duration::seconds(10)).await;
    let stop = json!({"transactionId": transaction, "meterStop": 10_002_000, "timestamp": stamp(begin + time::Duration::minutes(2)), "reason": "Local"});
    charger.call("StopTransaction", stop).await;
    let opened = receiver.accepted("alert.opened", "ChargeKitSessionsHeldForReview", &session).await;
    assert_eq!(opened["session_id"], session.as_str());
    assert_eq!(opened["charger_id"], CHARGER_ID);
    charger.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_capture_that_keeps_failing_opens_an_alert() {
    use chargekit_tests::payment_provider::{Endpoint, MockProvider, VISA};
    let provider = MockProvider::start().await;
    let dir = tempfile::tempdir().unwrap();
    let mut receiver = Receiver::start().await;
    // Payments are not events the engine is woken by: it finds this one on its periodic round.
    let mut config = config(dir.path(), &receiver, |a| {
        a.captures_failing_after_secs = 0;
        a.evaluate_every_secs = 1;
    });
    config.payments.card = Some(provider.config());
    // The retry comes long after the test.
    config.payments.capture_retry_delay = Duration::from_secs(600);
    let server = chargekit_server::start(config).await.unwrap();
    let (mut charger, transaction, session) = charging_paid(&server, "ana@example.com", Some(VISA)).await;
    let begin = OffsetDateTime::now_utc() - time::Duration::minutes(30);
    meter(&mut charger, transaction, 3_000, begin + time::Duration::minutes(10)).await;
    provider.fail_next(Endpoint::Capture, 1);
    let stop = json!({"transactionId": transaction, "meterStop": 4_000, "timestamp": stamp(begin + time::Duration::minutes(20)), "reason": "Local"});
    charger.call("StopTransaction", stop).await;
    let opened = receiver.accepted("alert.opened", "ChargeKitCapturesFailing", &session).await;
    assert_eq!(opened["session_id"], session.as_str());
    assert!(opened["summary"].as_str().unwrap().contains("failed 1 times"), "{opened}");
    assert_eq!(provider.requests_to(Endpoint::Capture).len(), 1, "the capture was tried once and failed");
    charger.close().await;
    server.shutdown().await;
}

#[tokio::test]
async fn the_message_log_holds_a_transactions_messages_and_pages_a_chargers_log_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start().await;
    let server = chargekit_server::start(config(dir.path(), &receiver, |_| {})).await.unwrap();
    let (mut charger, transaction, session) = charging(&server, "max@example.com").await;
    let http = http_client();
    let begin = OffsetDateTime::now_utc() - time::Duration::minutes(10);
    meter(&mut charger, transaction, 2_000, begin + time::Duration::minutes(5)).await;
    let stop = json!({"transactionId": transaction, "meterStop": 3_000, "timestamp": stamp(begin + time::Duration::minutes(9)), "reason": "Local"});
    charger.call("StopTransaction", stop).await;

    // An operator changes the charger's password: the log keeps the command, not the password.
    let password = "0123456789abcdef0123";
    let command = json!({"action": "ChangeConfiguration", "payload": {"key": "AuthorizationKey", "value": password}});
    let operator = operator_token(&server).await;
    let url = format!("{}/v1/operator/chargers/{CHARGER_ID}/commands", server.base_url());
    let sent = tokio::spawn(http.post(url).bearer_auth(&operator).json(&command).send());
    let (id, action, _) = charger.expect_call().await;
    assert_eq!(action, "ChangeConfiguration");
    charger.send_frame(json!([3, id, {"status": "Accepted"}])).await;
    assert_eq!(sent.await.unwrap().unwrap().status(), 200);

    let page = operator_get(&server, &format!("/v1/operator/sessions/{session}/messages")).await;
    let exchange: Vec<(&str, &str, &str)> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["direction"].as_str().unwrap(), m["kind"].as_str().unwrap(), m["action"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(
        exchange,
        vec![
            ("out", "call", "RemoteStartTransaction"),
            ("in", "result", "RemoteStartTransaction"),
            ("in", "call", "StartTransaction"),
            ("out", "result", "StartTransaction"),
            ("in", "call", "MeterValues"),
            ("out", "result", "MeterValues"),
            ("in", "call", "StopTransaction"),
            ("out", "result", "StopTransaction"),
        ],
        "the transaction's messages, both directions: {page}"
    );
    assert_eq!(page["messages"][3]["payload"]["transactionId"], transaction);
    assert_eq!(page["messages"][4]["payload"]["meterValue"][0]["sampledValue"][0]["value"], "2000");

    // The charger's log, newest first, in pages.
    let first = operator_get(&server, &format!("/v1/operator/chargers/{CHARGER_ID}/messages?limit=4")).await;
    let newest: Vec<(&str, &str)> = first["messages"].as_array().unwrap().iter().map(|m| (m["action"].as_str().unwrap_or("?"), m["kind"].as_str().unwrap())).collect();
    assert_eq!(newest, vec![("ChangeConfiguration", "result"), ("ChangeConfiguration", "call"), ("StopTransaction", "result"), ("StopTransaction", "call")]);
    let change = &first["messages"][1];
    assert_eq!((change["direction"].as_str(), change["payload"]["value"].as_str()), (Some("out"), Some("[redacted]")));
    let everything = operator_get(&server, &format!("/v1/operator/chargers/{CHARGER_ID}/messages?limit=500")).await.to_string();
    assert!(!everything.contains(password), "the password is in no logged frame");
    let before = first["next_before"].as_i64().expect("more pages");
    let second = operator_get(&server, &format!("/v1/operator/chargers/{CHARGER_ID}/messages?limit=4&before={before}")).await;
    let ids: Vec<i64> = first["messages"].as_array().unwrap().iter().chain(second["messages"].as_array().unwrap()).map(|m| m["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "pages continue, newest first: {ids:?}");
    assert_eq!((second["messages"][0]["action"].as_str(), second["messages"][0]["kind"].as_str()), (Some("MeterValues"), Some("result")));
    charger.close().await;
    server.shutdown().await;
}

async fn register_driver_at(http: &reqwest::Client, server: &RunningServer, email: &str) -> String {
    let body = json!({"email": email, "password": "correct horse battery"});
    let response = http.post(format!("{}/v1/auth/register", server.base_url())).json(&body).send().await.unwrap();
    assert!(response.status().is_success());
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn operator_token(server: &RunningServer) -> String {
    let body = json!({"username": OPERATOR, "password": OPERATOR_PASSWORD});
    let signed: Value = http_client().post(format!("{}/v1/operator/sign-in", server.base_url())).json(&body).send().await.unwrap().json().await.unwrap();
    signed["token"].as_str().unwrap().to_owned()
}

fn stamp(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0).unwrap().format(&Rfc3339).unwrap()
}

/// A booted charger charging a session a new driver started from the app (30 minutes ago by its
/// clock): the charger, the transaction and the session.
async fn charging(server: &RunningServer, email: &str) -> (RawCharger, i64, String) {
    charging_paid(server, email, None).await
}

/// The same, paid by a card the driver registers first (`Some(card)`).
async fn charging_paid(server: &RunningServer, email: &str, card: Option<&str>) -> (RawCharger, i64, String) {
    let mut charger = booted(server).await;
    let http = http_client();
    let bearer = register_driver_at(&http, server, email).await;
    let payment = match card {
        Some(card) => {
            let registered = json!({"payment_method_id": card, "brand": "visa", "last4": "4242"});
            let response = http.post(format!("{}/v1/payment-methods", server.base_url())).bearer_auth(&bearer).json(&registered).send().await.unwrap();
            assert!(response.status().is_success(), "card registered: {}", response.status());
            Some(json!({"type": "card", "payment_method_id": card}))
        }
        None => None,
    };
    let id_tag = app_start_paying(server, &mut charger, &bearer, "Accepted", payment).await;
    let begin = OffsetDateTime::now_utc() - time::Duration::minutes(30);
    let answer = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": id_tag, "meterStart": 0, "timestamp": stamp(begin)})).await;
    let transaction = answer["transactionId"].as_i64().unwrap();
    let page: Value = http.get(format!("{}/v1/sessions", server.base_url())).bearer_auth(&bearer).send().await.unwrap().json().await.unwrap();
    let session = page["sessions"][0]["id"].as_str().unwrap().to_owned();
    (charger, transaction, session)
}

async fn meter(charger: &mut RawCharger, transaction: i64, wh: i64, at: OffsetDateTime) {
    let sample = json!({"timestamp": stamp(at), "sampledValue": [{"value": wh.to_string(), "unit": "Wh", "measurand": "Energy.Active.Import.Register"}]});
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction, "meterValue": [sample]})).await;
}

/// The defaults are those of the Prometheus rules we ship, under the same names.
#[test]
fn the_default_thresholds_and_names_are_those_of_the_prometheus_rules() {
    let rules = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/prometheus/chargekit-alerts.yml")).unwrap();
    let defaults = AlertsConfig::default();
    let names: Vec<&str> = rules.lines().filter_map(|l| l.trim().strip_prefix("- alert: ")).collect();
    for name in [
        "ChargeKitChargerOffline",
        "ChargeKitConnectorFaulted",
        "ChargeKitFailedStarts",
        "ChargeKitHeartbeatGaps",
        "ChargeKitAvailabilityBelowTarget",
        "ChargeKitSessionsHeldForReview",
        "ChargeKitCapturesFailing",
    ] {
        assert!(names.contains(&name), "{name} is a Prometheus alert: {names:?}");
    }
    let rule = |name: &str| {
        let start = rules.find(&format!("- alert: {name}")).unwrap();
        let rest = &rules[start + 1..];
        rest[..rest.find("- alert:").unwrap_or(rest.len())].to_owned()
    };
    assert!(rule("ChargeKitChargerOffline").contains(&format!("for: {}m", defaults.charger_offline_after_secs / 60)));
    assert!(rule("ChargeKitConnectorFaulted").contains(&format!("for: {}m", defaults.connector_faulted_after_secs / 60)));
    assert!(rule("ChargeKitCapturesFailing").contains(&format!("for: {}m", defaults.captures_failing_after_secs / 60)));
    assert!(rule("ChargeKitFailedStarts").contains(&format!(">= {}", defaults.failed_starts_in_a_row)));
    assert!(rule("ChargeKitFailedStarts").contains(&format!("[{}h]", defaults.failed_starts_window_secs / 3600)));
    assert!(rule("ChargeKitHeartbeatGaps").contains(&format!("[{}h]", defaults.heartbeat_gaps_window_secs / 3600)));
    let availability = rule("ChargeKitAvailabilityBelowTarget");
    assert!(availability.contains(&format!("< 0.{}", defaults.availability_target_percent)), "{availability}");
    assert!(availability.contains(&format!("[{}d:{}m]", defaults.availability_window_secs / 86_400, defaults.availability_every_secs / 60)));
}
