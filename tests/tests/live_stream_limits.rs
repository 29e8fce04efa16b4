//! A live stream (`GET /v1/sessions/{id}/live`) lives no longer than the sign-in that opened
//! it: signing out, a reused refresh token (which revokes the whole sign-in) and the expiry of
//! the access token it was opened with each end it, with a last `event: end` saying why.
//! Streams are capped per driver and in total: past a cap the answer is 429 with a
//! `{code, message}` body and `Retry-After`, and a closed stream frees its place.

use std::time::Duration;

use chargekit_server::ChargerSeed;
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, backend_with, charger, charger_with, http_client};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse battery";
const SECOND_CHARGER_ID: &str = "CKTEST-0002";
const SECOND_EVSE_ID: &str = "DE*CKT*E0002*1";

/// How long a test waits for something the server does on its own (end a stream, free its
/// place). Generous: the test fails only if it never happens.
const PATIENCE: Duration = Duration::from_secs(30);

/// A sign-in: its access and refresh tokens.
struct SignIn {
    access: String,
    refresh: String,
}

async fn auth(http: &reqwest::Client, backend: &Backend, path: &str, body: Value) -> SignIn {
    let response = http.post(format!("{}{path}", backend.server.base_url())).json(&body).send().await.unwrap();
    assert_eq!(response.status(), if path.ends_with("register") { 201 } else { 200 }, "{path}");
    let token: Value = response.json().await.unwrap();
    SignIn { access: token["token"].as_str().unwrap().to_owned(), refresh: token["refresh_token"].as_str().unwrap().to_owned() }
}

async fn register(http: &reqwest::Client, backend: &Backend, email: &str) -> SignIn {
    auth(http, backend, "/v1/auth/register", json!({"email": email, "password": PASSWORD})).await
}

async fn sign_in(http: &reqwest::Client, backend: &Backend, email: &str) -> SignIn {
    auth(http, backend, "/v1/auth/sign-in", json!({"email": email, "password": PASSWORD})).await
}

/// Starts a session at `evse_id` (the charger accepts it and charges on): its id.
async fn start_session(http: &reqwest::Client, backend: &Backend, access: &str, evse_id: &str) -> String {
    let url = format!("{}/v1/sessions", backend.server.base_url());
    let response = http.post(url).bearer_auth(access).json(&json!({"evse_id": evse_id})).send().await.unwrap();
    assert_eq!(response.status(), 201, "the session starts");
    let session: Value = response.json().await.unwrap();
    session["id"].as_str().unwrap().to_owned()
}

async fn open_live(http: &reqwest::Client, backend: &Backend, access: &str, session_id: &str) -> reqwest::Response {
    let url = format!("{}/v1/sessions/{session_id}/live", backend.server.base_url());
    http.get(url).bearer_auth(access).header("Accept", "text/event-stream").send().await.unwrap()
}

/// An open live stream, read event by event.
struct Live {
    response: reqwest::Response,
    buffer: String,
}

/// One Server-Sent Event: its `event:` name and its `data:`.
#[derive(Debug, Clone, PartialEq)]
struct Event {
    name: String,
    data: Value,
}

impl Live {
    async fn open(http: &reqwest::Client, backend: &Backend, access: &str, session_id: &str) -> Self {
        let response = open_live(http, backend, access, session_id).await;
        assert_eq!(response.status(), 200, "the live stream opens");
        Self { response, buffer: String::new() }
    }

    /// The next event (keep-alive comments skipped); `None` once the stream has ended. Panics
    /// if neither happens within [`PATIENCE`].
    async fn next(&mut self) -> Option<Event> {
        tokio::time::timeout(PATIENCE, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    if let Some(event) = parse(&block) {
                        return Some(event);
                    }
                    continue;
                }
                match self.response.chunk().await {
                    Ok(Some(chunk)) => self.buffer.push_str(std::str::from_utf8(&chunk).expect("UTF-8 events")),
                    Ok(None) | Err(_) => return None,
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no event and no end of the stream within {PATIENCE:?}"))
    }

    /// Reads to the end of the stream and returns the events of its last part. Panics if it
    /// has not ended within [`PATIENCE`].
    async fn until_end(&mut self) -> Vec<Event> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut events = Vec::new();
        loop {
            assert!(tokio::time::Instant::now() < deadline, "the stream still runs after {PATIENCE:?}, {} events on", events.len());
            match self.next().await {
                Some(event) => events.push(event),
                None => return events,
            }
        }
    }
}

fn parse(block: &str) -> Option<Event> {
    let mut name = None;
    let mut data = String::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = Some(value.trim().to_owned());
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push_str(value.trim());
        }
    }
    let name = name?;
    Some(Event { name, data: serde_json::from_str(&data).unwrap_or(Value::String(data)) })
}

/// The stream's last event says why it ended.
fn assert_ended_because(events: &[Event], reason: &str) {
    let last = events.last().unwrap_or_else(|| panic!("an `end` event before the stream ends ({reason})"));
    assert_eq!((last.name.as_str(), &last.data), ("end", &json!({"reason": reason})), "{events:?}");
}

async fn sign_out(http: &reqwest::Client, backend: &Backend, sign_in: &SignIn) {
    let url = format!("{}/v1/auth/sign-out", backend.server.base_url());
    let response = http.post(url).bearer_auth(&sign_in.access).json(&json!({"refresh_token": sign_in.refresh})).send().await.unwrap();
    assert_eq!(response.status(), 204);
}

/// A session that waits for its charger: the charger (played by the test) accepts the remote
/// start and sends nothing more, so the session stays `starting` and the database is quiet
/// while the test changes a sign-in. Returns the session's id and the idTag it started with.
async fn waiting_session(http: &reqwest::Client, backend: &Backend, charger: &mut RawCharger, access: &str) -> (String, String) {
    let url = format!("{}/v1/sessions", backend.server.base_url());
    let start = tokio::spawn(http.post(url).bearer_auth(access).json(&json!({"evse_id": EVSE_ID})).send());
    let (id, action, payload) = charger.expect_call().await;
    assert_eq!(action, "RemoteStartTransaction");
    charger.send_frame(json!([3, id, {"status": "Accepted"}])).await;
    let response = start.await.unwrap().unwrap();
    assert_eq!(response.status(), 201, "the session starts");
    let session: Value = response.json().await.unwrap();
    (session["id"].as_str().unwrap().to_owned(), payload["idTag"].as_str().unwrap().to_owned())
}

async fn raw_charger(backend: &Backend) -> RawCharger {
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    // Reachable for the server's commands once it has answered a CALL.
    charger.call("Heartbeat", json!({})).await;
    charger
}

/// Sessions wait for their charger's StartTransaction for longer than any of these tests runs.
async fn patient_backend() -> Backend {
    backend_with(|config| config.start_timeout = Duration::from_secs(600)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_live_streams_of_that_sign_in_only() {
    let backend = patient_backend().await;
    let mut charger = raw_charger(&backend).await;
    let http = http_client();
    let phone = register(&http, &backend, "sol@example.com").await;
    let tablet = sign_in(&http, &backend, "sol@example.com").await;
    let (session, id_tag) = waiting_session(&http, &backend, &mut charger, &phone.access).await;
    let mut on_phone = Live::open(&http, &backend, &phone.access, &session).await;
    let mut on_tablet = Live::open(&http, &backend, &tablet.access, &session).await;
    assert_eq!(on_phone.next().await.map(|e| e.name).as_deref(), Some("session"));
    assert_eq!(on_tablet.next().await.map(|e| e.name).as_deref(), Some("session"));

    sign_out(&http, &backend, &phone).await;
    assert_ended_because(&on_phone.until_end().await, "sign_in_revoked");
    assert_eq!(open_live(&http, &backend, &phone.access, &session).await.status(), 401, "no new stream with the signed-out token");

    // The tablet's sign-in is another one: its stream goes on with the session.
    let timestamp = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": id_tag, "meterStart": 1000, "timestamp": timestamp})).await;
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    let next = on_tablet.next().await.expect("the tablet's stream is still open");
    assert_eq!((next.name.as_str(), &next.data["status"]), ("session", &json!("charging")), "{next:?}");
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_ends_the_live_streams_of_the_revoked_sign_in() {
    let backend = patient_backend().await;
    let mut charger = raw_charger(&backend).await;
    let http = http_client();
    let first = register(&http, &backend, "ray@example.com").await;
    let refreshed = auth(&http, &backend, "/v1/auth/refresh", json!({"refresh_token": first.refresh})).await;
    let (session, _) = waiting_session(&http, &backend, &mut charger, &refreshed.access).await;
    let mut live = Live::open(&http, &backend, &refreshed.access, &session).await;
    assert_eq!(live.next().await.map(|e| e.name).as_deref(), Some("session"));

    // Someone presents the used refresh token again: the whole sign-in is revoked.
    let url = format!("{}/v1/auth/refresh", backend.server.base_url());
    let reused = http.post(url).json(&json!({"refresh_token": first.refresh})).send().await.unwrap();
    assert_eq!(reused.status(), 401);
    assert_ended_because(&live.until_end().await, "sign_in_revoked");
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_ends_when_its_access_token_expires() {
    let backend = backend_with(|config| config.access_token_lifetime = Duration::from_secs(4)).await;
    let charger = charger(&backend).await;
    let http = http_client();
    let driver = register(&http, &backend, "eli@example.com").await;
    let session = start_session(&http, &backend, &driver.access, EVSE_ID).await;
    // A fresh token for the stream, so that it is still valid when the stream opens.
    let fresh = sign_in(&http, &backend, "eli@example.com").await;
    let mut live = Live::open(&http, &backend, &fresh.access, &session).await;
    assert_eq!(live.next().await.map(|e| e.name).as_deref(), Some("session"));
    assert_ended_because(&live.until_end().await, "token_expired");
    // The app goes on with a new token (and Last-Event-ID), as after any interruption.
    let again = sign_in(&http, &backend, "eli@example.com").await;
    let mut resumed = Live::open(&http, &backend, &again.access, &session).await;
    assert_eq!(resumed.next().await.map(|e| e.name).as_deref(), Some("session"));
    charger.shutdown().await;
    backend.server.shutdown().await;
}

/// A 429 with the documented body and a `Retry-After`; returns the message.
async fn assert_refused_as_too_many(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 429);
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|seconds| seconds > 0), "Retry-After in seconds: {:?}", response.headers());
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "rate_limited", "{error}");
    error["message"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_are_capped_per_driver_and_in_total() {
    let backend = backend_with(|config| {
        config.max_live_streams_per_driver = 2;
        config.max_live_streams = 3;
        config.chargers.push(ChargerSeed::single(SECOND_CHARGER_ID, SECOND_EVSE_ID));
    })
    .await;
    let first_charger = charger(&backend).await;
    let second_charger = charger_with(&backend, |config| config.charge_point_id = SECOND_CHARGER_ID.to_owned()).await;
    let http = http_client();
    let ada = register(&http, &backend, "ada@example.com").await;
    let bo = register(&http, &backend, "bo@example.com").await;
    let ada_session = start_session(&http, &backend, &ada.access, EVSE_ID).await;
    let bo_session = start_session(&http, &backend, &bo.access, SECOND_EVSE_ID).await;

    // Ada's two streams are her share; a third is refused.
    let ada_first = Live::open(&http, &backend, &ada.access, &ada_session).await;
    let _ada_second = Live::open(&http, &backend, &ada.access, &ada_session).await;
    let message = assert_refused_as_too_many(open_live(&http, &backend, &ada.access, &ada_session).await).await;
    assert!(message.contains('2'), "the message gives the limit: {message}");

    // Bo has his own share, but the server's total (3) is reached with his first stream.
    let _bo_first = Live::open(&http, &backend, &bo.access, &bo_session).await;
    assert_refused_as_too_many(open_live(&http, &backend, &bo.access, &bo_session).await).await;

    // A stream closed by its client frees its place.
    drop(ada_first);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let _bo_second = loop {
        let response = open_live(&http, &backend, &bo.access, &bo_session).await;
        if response.status() == 200 {
            break response;
        }
        assert_eq!(response.status(), 429);
        assert!(tokio::time::Instant::now() < deadline, "the closed stream's place was never freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    first_charger.shutdown().await;
    second_charger.shutdown().await;
    backend.server.shutdown().await;
}

/// What the driver sees of it: the app's live screen goes on past its access token's lifetime
/// (the server ends the stream at expiry; the core refreshes and picks the session up again).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_live_screen_outlives_its_access_token() {
    use std::sync::Arc;
    use chargekit_core::SessionState;
    use chargekit_tests::{Recorder, app};

    let backend = backend_with(|config| config.access_token_lifetime = Duration::from_secs(2)).await;
    let _charger = charger(&backend).await;
    let app = app(&backend, "phone");
    app.sign_up("ivy@example.com".into(), PASSWORD.into()).await.unwrap();
    let started = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let _handle = app.observe_session(started.id.clone(), recorder.clone());
    recorder.wait_for(PATIENCE, |u| u.iter().any(|s| s.state == SessionState::Charging)).await;

    // Well past the first token's lifetime: the energy shown still grows.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let shown = recorder.updates().last().unwrap().energy_wh;
    recorder.wait_for(PATIENCE, move |u| u.last().is_some_and(|s| s.energy_wh > shown + 100)).await;
    app.stop_session(started.id.clone()).await.unwrap();
    let seen = recorder.wait_for(PATIENCE, |u| u.last().is_some_and(|s| s.is_final)).await;
    assert_eq!(seen.last().unwrap().state, SessionState::Completed, "{:?}", seen.last());
    backend.server.shutdown().await;
}
