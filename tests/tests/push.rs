//! Push end to end: the real server, a simulated charger, devices registered through the driver
//! API, and local FCM and APNs servers speaking those services' wire formats (OAuth2
//! service-account exchange and HTTP v1 for FCM; HTTP/2 with ES256 provider tokens for APNs).
//! The server derives the driver's events from the session's changes with the rules the
//! phones use and pushes each once: alerts to every device, Live Activity updates and the end
//! to the activity's token; a token the provider reports gone is deleted; a failed send is
//! retried; signing out removes the sign-in's devices.

use std::time::Duration;

use chargekit_model::{Currency, PriceComponent, Tariff, TariffDimension, TariffElement, TariffRestrictions};
use chargekit_server::{ApnsConfig, FcmConfig, ServerConfig};
use chargekit_tests::push_providers::{APNS_KEY_ID, APNS_TEAM, APNS_TOPIC, ApnsPush, FcmMessage, MockApns, MockFcm};
use chargekit_tests::{Backend, EVSE_ID, backend_with, charger, http_client};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);
/// The blocking fee begins this long into a session: its "soon" comes 600 s earlier, that is
/// a few seconds in — after the test has registered its Live Activity.
const BLOCKING_FEE_AFTER_SECS: i64 = 606;

/// 0.40/kWh, and 12.00/h once the session is past [`BLOCKING_FEE_AFTER_SECS`].
fn tariff_with_a_blocking_fee() -> Tariff {
    let component = |dimension, cents| PriceComponent { dimension, price: Decimal::new(cents, 2), vat: None, step_size: 1 };
    Tariff {
        id: "push-test".into(),
        currency: Currency::EUR,
        elements: vec![
            TariffElement {
                price_components: vec![component(TariffDimension::Time, 1200)],
                restrictions: Some(TariffRestrictions { min_duration: Some(BLOCKING_FEE_AFTER_SECS), ..Default::default() }),
            },
            TariffElement { price_components: vec![component(TariffDimension::Energy, 40)], restrictions: None },
        ],
        time_zone: None,
        min_price: None,
        max_price: None,
    }
}

struct Push {
    backend: Backend,
    fcm: MockFcm,
    apns: MockApns,
}

async fn start() -> Push {
    let (fcm, apns) = (MockFcm::start().await, MockApns::start().await);
    let keys = tempfile::tempdir().unwrap();
    let service_account = keys.path().join("firebase.json");
    std::fs::write(&service_account, fcm.service_account_json()).unwrap();
    let p8 = keys.path().join("AuthKey.p8");
    std::fs::write(&p8, &apns.key_pem).unwrap();
    let backend = backend_with(|config: &mut ServerConfig| {
        config.tariff = tariff_with_a_blocking_fee();
        config.push.fcm = Some(FcmConfig { service_account_file: service_account, api_base: fcm.api_base() });
        config.push.apns = Some(ApnsConfig {
            key_file: p8,
            key_id: APNS_KEY_ID.into(),
            team_id: APNS_TEAM.into(),
            topic: APNS_TOPIC.into(),
            api_base: apns.api_base(),
        });
        config.push.poll_interval = Duration::from_millis(50);
        config.push.retry_delay = Duration::from_millis(50);
    })
    .await;
    // The server read the keys at start.
    drop(keys);
    Push { backend, fcm, apns }
}

/// A driver's sign-in, speaking to the API directly.
struct SignIn {
    http: reqwest::Client,
    base: String,
    token: String,
    refresh_token: String,
}

impl SignIn {
    async fn register(backend: &Backend, email: &str) -> Self {
        let http = http_client();
        let base = backend.server.base_url();
        let body = json!({"email": email, "password": "correct horse battery"});
        let auth: Value = http.post(format!("{base}/v1/auth/register")).json(&body).send().await.unwrap().json().await.unwrap();
        Self::of(http, base, &auth)
    }

    async fn sign_in_again(&self, email: &str) -> Self {
        let body = json!({"email": email, "password": "correct horse battery"});
        let auth: Value = self.http.post(format!("{}/v1/auth/sign-in", self.base)).json(&body).send().await.unwrap().json().await.unwrap();
        Self::of(self.http.clone(), self.base.clone(), &auth)
    }

    fn of(http: reqwest::Client, base: String, auth: &Value) -> Self {
        let token = auth["token"].as_str().expect("a token").to_owned();
        let refresh_token = auth["refresh_token"].as_str().expect("a refresh token").to_owned();
        Self { http, base, token, refresh_token }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.bearer_auth(&self.token).send().await.expect("the server answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let key = uuid::Uuid::new_v4().to_string();
        self.send(self.http.post(format!("{}{path}", self.base)).header("Idempotency-Key", key).json(&body)).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    async fn register_device(&self, body: Value) -> Value {
        let (status, token) = self.post("/v1/push-tokens", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{body} → {token}");
        token
    }

    async fn devices(&self) -> Vec<String> {
        let (status, tokens) = self.get("/v1/push-tokens").await;
        assert_eq!(status, StatusCode::OK, "{tokens}");
        tokens.as_array().unwrap().iter().map(|t| t["token"].as_str().unwrap().to_owned()).collect()
    }

    /// Polls the driver's devices until `done` holds for them.
    async fn wait_devices(&self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let devices = self.devices().await;
            if done(&devices) {
                return devices;
            }
            assert!(tokio::time::Instant::now() < deadline, "the devices never got there: {devices:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn wait_session(&self, id: &str, status: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (_, session) = self.get(&format!("/v1/sessions/{id}")).await;
            if session["status"] == status {
                return session;
            }
            assert!(tokio::time::Instant::now() < deadline, "session never {status}: {session}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn sign_out(&self) {
        let response = self
            .http
            .post(format!("{}/v1/auth/sign-out", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"refresh_token": self.refresh_token}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "sign-out: {}", response.status());
    }
}

fn of_kind<'a>(messages: &'a [FcmMessage], device: &str, kind: &str) -> Vec<&'a FcmMessage> {
    messages.iter().filter(|m| m.token == device && m.data("kind") == kind).collect()
}

fn live_activity<'a>(pushes: &'a [ApnsPush], device: &str) -> Vec<&'a ApnsPush> {
    pushes.iter().filter(|p| p.device == device).collect()
}

#[tokio::test]
async fn a_session_s_events_reach_every_device_once_with_a_live_activity_and_gone_tokens_are_deleted() {
    let push = start().await;
    let driver = SignIn::register(&push.backend, "push@example.com").await;
    let _charger = charger(&push.backend).await;

    const ANDROID: &str = "fcm-device-android-1";
    const UNINSTALLED: &str = "fcm-device-uninstalled";
    const IPHONE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    const OLD_IPHONE: &str = "ffeeddccbbaa00998877665544332211ffeeddccbbaa00998877665544332211";
    const ACTIVITY: &str = "80f1e2d3c4b5a6978877665544332211008f1e2d3c4b5a697887766554433221";
    push.fcm.unregister(UNINSTALLED);
    push.apns.unregister(OLD_IPHONE);
    // The first send fails (503): the sender retries it.
    push.fcm.fail_next(1);
    for (provider, token) in [("fcm", ANDROID), ("fcm", UNINSTALLED), ("apns", IPHONE), ("apns", OLD_IPHONE)] {
        driver.register_device(json!({"provider": provider, "token": token})).await;
    }

    let (status, session) = driver.post("/v1/sessions", json!({"evse_id": EVSE_ID})).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = session["id"].as_str().unwrap().to_owned();
    let started_id = format!("{id}/charging_started");

    // Charging started, to every device that is still there.
    let messages = push.fcm.wait_accepted(WAIT, |m| !of_kind(m, ANDROID, "charging_started").is_empty()).await;
    let started = of_kind(&messages, ANDROID, "charging_started")[0];
    assert_eq!(started.data("event_id"), started_id);
    assert_eq!(started.data("session_id"), id);
    assert_eq!(started.data("evse_id"), EVSE_ID);
    assert_eq!(started.message["android"]["priority"], "high");
    let event: Value = serde_json::from_str(started.data("event")).expect("the typed event as JSON");
    assert_eq!(event["kind"]["type"], "charging_started");
    let alerts = push.apns.wait_accepted(WAIT, |p| p.iter().any(|p| p.device == IPHONE)).await;
    let alert = alerts.iter().find(|p| p.device == IPHONE).unwrap();
    assert_eq!((alert.push_type.as_str(), alert.topic.as_str()), ("alert", APNS_TOPIC));
    assert_eq!(alert.body["aps"]["alert"]["loc-key"], "push.charging_started.body", "words chosen by the app, in its language");
    assert_eq!(alert.body["aps"]["alert"]["loc-args"], json!([EVSE_ID]));
    assert_eq!(alert.body["event"]["id"], started_id);

    // The providers said two tokens are gone: the server deleted them.
    push.fcm.wait_answers(WAIT, |a| a.iter().any(|(t, s)| t == UNINSTALLED && *s == 404)).await;
    push.apns.wait_answers(WAIT, |a| a.iter().any(|(t, s)| t == OLD_IPHONE && *s == 410)).await;
    let left = driver.wait_devices(|d| d.len() == 2).await;
    assert_eq!(left, vec![ANDROID.to_owned(), IPHONE.to_owned()]);

    // The iPhone starts a Live Activity for the session and registers its push token.
    let activity = driver.register_device(json!({"provider": "apns", "token": ACTIVITY, "purpose": "live_activity", "session_id": id})).await;
    assert_eq!(activity["purpose"], "live_activity");
    let updates = push.apns.wait_accepted(WAIT, |p| !live_activity(p, ACTIVITY).is_empty()).await;
    let update = live_activity(&updates, ACTIVITY)[0];
    assert_eq!((update.push_type.as_str(), update.topic.as_str()), ("liveactivity", format!("{APNS_TOPIC}.push-type.liveactivity").as_str()));
    assert_eq!(update.body["aps"]["event"], "update");
    let state = &update.body["aps"]["content-state"];
    assert_eq!(state["event"], "idle_fee_soon", "the blocking fee is coming: {state}");
    assert_eq!(state["status"], "charging");
    assert!(state["energy_wh"].as_i64().unwrap() > 0, "{state}");
    assert!(update.body["aps"]["timestamp"].as_i64().is_some());
    let soon = push.fcm.wait_accepted(WAIT, |m| !of_kind(m, ANDROID, "idle_fee_soon").is_empty()).await;
    let soon: Value = serde_json::from_str(of_kind(&soon, ANDROID, "idle_fee_soon")[0].data("event")).unwrap();
    assert_eq!(soon["kind"]["fee"], "time");
    assert_eq!(soon["kind"]["price_per_hour"], "12.00");

    // The driver stops: finished, with the energy and the total, and the activity ends.
    let (status, _) = driver.post(&format!("/v1/sessions/{id}/stop"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let done = driver.wait_session(&id, "completed").await;
    let messages = push.fcm.wait_accepted(WAIT, |m| !of_kind(m, ANDROID, "session_finished").is_empty()).await;
    let finished: Value = serde_json::from_str(of_kind(&messages, ANDROID, "session_finished")[0].data("event")).unwrap();
    assert_eq!(finished["kind"]["energy_wh"], done["energy_wh"]);
    assert_eq!(finished["kind"]["total"]["amount_minor"], done["cost"]["total_incl_vat_minor"]);
    assert_eq!(finished["kind"]["receipt_ready"], true);
    let pushes = push.apns.wait_accepted(WAIT, |p| live_activity(p, ACTIVITY).iter().any(|p| p.body["aps"]["event"] == "end")).await;
    let end = live_activity(&pushes, ACTIVITY).into_iter().find(|p| p.body["aps"]["event"] == "end").unwrap();
    assert_eq!(end.body["aps"]["content-state"]["status"], "completed");
    assert!(end.body["aps"]["dismissal-date"].as_i64().is_some());
    // An ended activity's token has nothing more to receive.
    driver.wait_devices(|d| !d.iter().any(|t| t == ACTIVITY)).await;

    // Each event once per device, the retried one included.
    push.apns.wait_accepted(WAIT, |p| p.iter().any(|p| p.device == IPHONE && p.body["event"]["kind"]["type"] == "session_finished")).await;
    let messages = push.fcm.accepted();
    for kind in ["charging_started", "idle_fee_soon", "session_finished"] {
        assert_eq!(of_kind(&messages, ANDROID, kind).len(), 1, "{kind} once: {messages:#?}");
    }
    let mut ids: Vec<&str> = messages.iter().filter(|m| m.token == ANDROID).map(|m| m.data("event_id")).collect();
    let all = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all, "no event pushed twice");
    let alerts: Vec<_> = push.apns.accepted().into_iter().filter(|p| p.device == IPHONE).collect();
    assert_eq!(alerts.len(), all, "the iPhone got what the Android phone got");
    assert_eq!(push.fcm.exchanges(), 1, "one OAuth2 exchange, the access token reused");
}

#[tokio::test]
async fn devices_are_per_sign_in_and_go_with_it_and_bad_registrations_say_why() {
    let push = start().await;
    let phone = SignIn::register(&push.backend, "two-phones@example.com").await;
    let tablet = phone.sign_in_again("two-phones@example.com").await;
    phone.register_device(json!({"provider": "fcm", "token": "fcm-phone"})).await;
    tablet.register_device(json!({"provider": "apns", "token": "apns-tablet"})).await;
    assert_eq!(phone.devices().await, vec!["fcm-phone".to_owned(), "apns-tablet".to_owned()]);

    tablet.sign_out().await;
    assert_eq!(phone.devices().await, vec!["fcm-phone".to_owned()], "the tablet's sign-out removed its device only");

    for (body, field) in [
        (json!({"provider": "webpush", "token": "x"}), "provider"),
        (json!({"provider": "fcm", "token": ""}), "token"),
        (json!({"provider": "fcm", "token": "t", "purpose": "live_activity", "session_id": uuid::Uuid::new_v4()}), "purpose"),
        (json!({"provider": "apns", "token": "t", "purpose": "live_activity"}), "session_id"),
        (json!({"provider": "fcm", "token": "t", "colour": "red"}), "colour"),
    ] {
        let (status, error) = phone.post("/v1/push-tokens", body.clone()).await;
        assert!(status.is_client_error(), "{body} → {status}");
        assert!(error["message"].as_str().unwrap_or_default().contains(field), "{body} → {error}");
    }
    let (status, _) = phone.post("/v1/push-tokens", json!({"provider": "apns", "token": "t", "purpose": "live_activity", "session_id": uuid::Uuid::new_v4()})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not this driver's session");

    let (status, _) = phone.send(phone.http.delete(format!("{}/v1/push-tokens/fcm-phone", phone.base))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = phone.send(phone.http.delete(format!("{}/v1/push-tokens/fcm-phone", phone.base))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(phone.devices().await.is_empty());

    let (_, doc) = phone.get("/openapi.json").await;
    for path in ["/v1/push-tokens", "/v1/push-tokens/{token}"] {
        assert!(doc["paths"][path].is_object(), "{path} is described");
    }
}
