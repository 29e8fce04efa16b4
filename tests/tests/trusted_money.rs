//! Money you can trust: what a hostile charger, a buggy charger and two racing drivers must not
//! turn into a bill. Real server, real SQLite file, a raw OCPP charger (it sends exactly what
//! the test says) or the simulator.

use chargekit_server::{OperatorSeed, ServerConfig};
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, backend_with, charger, http_client, register_driver, sessions_of};
use reqwest::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const CARD: &str = "04A2B3C4D5E6F7";
const OPERATOR: &str = "ops";
const OPERATOR_PASSWORD: &str = "a long operator password";
const ENERGY: &str = "Energy.Active.Import.Register";

fn at(time: OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// A backend with an operator; `paid`: the default payments (no unpaid charging) with free
/// top-ups, else unpaid charging allowed as most suites have it.
async fn money_backend(paid: bool, adjust: impl FnOnce(&mut ServerConfig)) -> Backend {
    backend_with(|config| {
        config.operators.push(OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() });
        if paid {
            config.payments = chargekit_server::PaymentsConfig { free_top_ups: true, ..Default::default() };
        }
        // A 22 kW AC charger.
        config.chargers[0].evses[0].max_power_w = Some(22_000);
        adjust(config);
    })
    .await
}

struct Api<'a> {
    http: reqwest::Client,
    backend: &'a Backend,
}

impl<'a> Api<'a> {
    fn new(backend: &'a Backend) -> Self {
        Self { http: http_client(), backend }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.backend.server.base_url())
    }

    async fn get(&self, bearer: &str, path: &str) -> (StatusCode, Value) {
        let response = self.http.get(self.url(path)).bearer_auth(bearer).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, bearer: &str, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self.http.post(self.url(path)).bearer_auth(bearer).json(&body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn driver(&self, email: &str) -> String {
        register_driver(&self.http, self.backend, email).await
    }

    async fn operator(&self) -> String {
        let body = json!({"username": OPERATOR, "password": OPERATOR_PASSWORD});
        let (status, token) = self.post("", "/v1/operator/sign-in", body).await;
        assert_eq!(status, 200);
        token["token"].as_str().unwrap().to_owned()
    }

    async fn card(&self, driver: &str) {
        let (status, _) = self.post(driver, "/v1/tokens", json!({"kind": "rfid", "uid": CARD})).await;
        assert_eq!(status, 201);
    }

    async fn set_card(&self, driver: &str, status: &str) {
        let url = self.url(&format!("/v1/tokens/{CARD}"));
        let answer = self.http.patch(url).bearer_auth(driver).json(&json!({"status": status})).send().await.unwrap();
        assert_eq!(answer.status(), 200);
    }

    async fn top_up(&self, driver: &str, amount_minor: i64) {
        let response = self
            .http
            .post(self.url("/v1/wallet/top-ups"))
            .bearer_auth(driver)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"amount_minor": amount_minor, "currency": "EUR"}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "top-up: {}", response.status());
    }

    async fn sessions(&self, driver: &str) -> Vec<Value> {
        sessions_of(&self.http, self.backend, driver).await
    }

    /// The session's payment once it reached `status` (it settles in the background).
    async fn wait_payment(&self, driver: &str, session_id: &str, status: &str) -> Value {
        let path = format!("/v1/sessions/{session_id}/payment");
        for _ in 0..50 {
            let (_, payment) = self.get(driver, &path).await;
            if payment["status"] == status {
                return payment;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the payment never got {status}: {:?}", self.get(driver, &path).await);
    }

    /// The driver's only session, once `done` holds for it.
    async fn wait_session(&self, driver: &str, done: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..100 {
            if let [session] = self.sessions(driver).await.as_slice()
                && done(session)
            {
                return session.clone();
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("the session never got there: {:?}", self.sessions(driver).await);
    }
}

async fn raw(backend: &Backend) -> RawCharger {
    RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await
}

async fn start(charger: &mut RawCharger, id_tag: &str, meter_start: i64, timestamp: OffsetDateTime) -> Value {
    charger.call("StartTransaction", json!({"connectorId": 1, "idTag": id_tag, "meterStart": meter_start, "timestamp": at(timestamp)})).await
}

async fn meter(charger: &mut RawCharger, transaction_id: i64, wh: i64, timestamp: OffsetDateTime) {
    let value = json!({"timestamp": at(timestamp), "sampledValue": [{"value": wh.to_string(), "measurand": ENERGY, "unit": "Wh"}]});
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [value]})).await;
}

async fn stop(charger: &mut RawCharger, transaction_id: i64, meter_stop: i64, timestamp: OffsetDateTime, id_tag: Option<&str>) -> Value {
    let mut body = json!({"transactionId": transaction_id, "meterStop": meter_stop, "timestamp": at(timestamp)});
    if let Some(tag) = id_tag {
        body["idTag"] = json!(tag);
    }
    charger.call("StopTransaction", body).await
}

fn status_of(answer: &Value) -> &str {
    answer["idTagInfo"]["status"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn a_charger_cannot_bill_a_driver_with_their_app_tag() {
    let backend = money_backend(false, |_| {}).await;
    let api = Api::new(&backend);
    let alice = api.driver("alice@example.com").await;
    let (_, tokens) = api.get(&alice, "/v1/tokens").await;
    let app_tag = tokens.as_array().unwrap().iter().find(|t| t["kind"] == "app").expect("the driver's app tag")["id_tag"].as_str().unwrap().to_owned();

    let mut charger = raw(&backend).await;
    let authorized = charger.call("Authorize", json!({"idTag": app_tag})).await;
    assert_eq!(status_of(&authorized), "Invalid", "no remote start waits for it");
    let started = start(&mut charger, &app_tag, 0, now()).await;
    assert_eq!(status_of(&started), "Invalid");
    let transaction_id = started["transactionId"].as_i64().unwrap();
    let stopped = stop(&mut charger, transaction_id, 30_000, now(), Some(&app_tag)).await;
    assert_eq!(status_of(&stopped), "Invalid", "an app tag stopping a transaction that is not its own");
    assert!(api.sessions(&alice).await.is_empty(), "nothing in the driver's account");

    let operator = api.operator().await;
    let (_, orphans) = api.get(&operator, "/v1/operator/orphans").await;
    let [orphan] = orphans.as_array().unwrap().as_slice() else { panic!("one orphan: {orphans}") };
    assert_eq!(orphan["transaction_id"].as_i64(), Some(transaction_id));
    assert!(orphan["reason"].as_str().unwrap().contains("app idTag"), "{orphan}");
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn refused_starts_are_billed_only_if_the_tag_is_valid_by_the_stop() {
    let backend = money_backend(false, |_| {}).await;
    let api = Api::new(&backend);
    let alice = api.driver("alice@example.com").await;
    api.card(&alice).await;
    api.set_card(&alice, "blocked").await;
    let operator = api.operator().await;
    let mut charger = raw(&backend).await;

    // Blocked at the start and still blocked at the stop: an orphan, not a bill.
    assert_eq!(status_of(&charger.call("Authorize", json!({"idTag": CARD})).await), "Blocked");
    let refused = start(&mut charger, CARD, 1_000, now()).await;
    assert_eq!(status_of(&refused), "Blocked");
    let tx = refused["transactionId"].as_i64().unwrap();
    let stopped = stop(&mut charger, tx, 21_000, now(), Some(CARD)).await;
    assert_eq!(status_of(&stopped), "Blocked", "the stopping tag's real status");
    assert!(api.sessions(&alice).await.is_empty(), "a refused start is not billed");
    let (_, orphans) = api.get(&operator, "/v1/operator/orphans?open=true").await;
    let [orphan] = orphans.as_array().unwrap().as_slice() else { panic!("one orphan: {orphans}") };
    assert!(orphan["reason"].as_str().unwrap().contains("refused (Blocked)"), "{orphan}");

    // The operator resolves it, once.
    let id = orphan["id"].as_i64().unwrap();
    let path = format!("/v1/operator/orphans/{id}/resolve");
    let (status, resolved) = api.post(&operator, &path, json!({"resolution": "written off: a blocked card"})).await;
    assert_eq!((status, resolved["resolved_by"].as_str()), (StatusCode::OK, Some(OPERATOR)));
    assert_eq!(api.post(&operator, &path, json!({"resolution": "again"})).await.0, StatusCode::CONFLICT);
    assert_eq!(api.post(&operator, &path, json!({"resolution": ""})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.post(&alice, &path, json!({"resolution": "me"})).await.0, StatusCode::UNAUTHORIZED, "drivers resolve nothing");
    let (_, open) = api.get(&operator, "/v1/operator/orphans?open=true").await;
    assert_eq!(open, json!([]));

    // Refused while blocked, unblocked before the stop: valid now, so billed from the refused
    // start's own reading.
    let refused = start(&mut charger, CARD, 50_000, now() - time::Duration::minutes(10)).await;
    assert_eq!(status_of(&refused), "Blocked");
    api.set_card(&alice, "active").await;
    let tx = refused["transactionId"].as_i64().unwrap();
    assert_eq!(status_of(&stop(&mut charger, tx, 52_000, now(), None).await), "<none>", "no idTag, no idTagInfo");
    let session = api.wait_session(&alice, |s| s["status"] == "completed").await;
    assert_eq!(session["energy_wh"].as_i64(), Some(2_000));
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn stop_transaction_answers_the_stopping_tags_status() {
    let backend = money_backend(false, |_| {}).await;
    let api = Api::new(&backend);
    let alice = api.driver("alice@example.com").await;
    api.card(&alice).await;
    let mut charger = raw(&backend).await;

    let started = start(&mut charger, CARD, 0, now()).await;
    assert_eq!(status_of(&started), "Accepted");
    let stopped = stop(&mut charger, started["transactionId"].as_i64().unwrap(), 1_000, now(), Some("DEADBEEF")).await;
    assert_eq!(status_of(&stopped), "Invalid", "an unknown tag stopped it");

    let started = start(&mut charger, CARD, 1_000, now()).await;
    let stopped = stop(&mut charger, started["transactionId"].as_i64().unwrap(), 2_000, now(), None).await;
    assert!(stopped.get("idTagInfo").is_none(), "no idTag, no idTagInfo: {stopped}");

    let started = start(&mut charger, CARD, 2_000, now()).await;
    api.set_card(&alice, "blocked").await;
    let stopped = stop(&mut charger, started["transactionId"].as_i64().unwrap(), 3_000, now(), Some(CARD)).await;
    assert_eq!(status_of(&stopped), "Blocked");
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn a_register_that_leaps_is_held_for_review_and_never_captured() {
    let backend = money_backend(true, |_| {}).await;
    let api = Api::new(&backend);
    let alice = api.driver("alice@example.com").await;
    api.card(&alice).await;
    api.top_up(&alice, 5_000).await;
    let operator = api.operator().await;
    let mut charger = raw(&backend).await;

    let begin = now() - time::Duration::minutes(30);
    let started = start(&mut charger, CARD, 100_000, begin).await;
    assert_eq!(status_of(&started), "Accepted", "paid from the wallet, the driver's default");
    let tx = started["transactionId"].as_i64().unwrap();
    // 22 kW for 20 minutes: 7.3 kWh; then +10 MWh in 10 s.
    meter(&mut charger, tx, 107_000, begin + time::Duration::minutes(20)).await;
    meter(&mut charger, tx, 10_107_000, begin + time::Duration::minutes(20) + time::Duration::seconds(10)).await;
    let live = api.wait_session(&alice, |s| s["review_reason"].is_string()).await;
    assert_eq!(live["energy_wh"].as_i64(), Some(7_000), "the leap is not applied: {live}");
    stop(&mut charger, tx, 10_108_000, begin + time::Duration::minutes(30), Some(CARD)).await;

    let held = api.wait_session(&alice, |s| s["status"] == "under_review").await;
    assert_eq!(held["energy_wh"].as_i64(), Some(7_000), "billed to the last plausible reading: {held}");
    let cost = held["cost"]["total_incl_vat_minor"].as_i64().unwrap();
    assert!(cost > 0 && cost < 5_000, "a plausible cost, not a huge number: {held}");
    assert!(held["review_reason"].as_str().unwrap().contains("22 kW"), "{held}");
    let id = held["id"].as_str().unwrap();
    let (_, payment) = api.get(&alice, &format!("/v1/sessions/{id}/payment")).await;
    assert_eq!(payment["status"], "held", "nothing captured before the operator decides: {payment}");
    assert_eq!(api.get(&alice, &format!("/v1/sessions/{id}/receipt")).await.0, StatusCode::NOT_FOUND);

    let (_, listed) = api.get(&operator, "/v1/operator/sessions/held").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["session"]["id"].as_str(), Some(id));
    let path = format!("/v1/operator/sessions/{id}/review");
    let (status, billed) = api.post(&operator, &path, json!({"decision": "bill"})).await;
    assert_eq!((status, billed["status"].as_str()), (StatusCode::OK, Some("completed")), "{billed}");
    assert_eq!(api.post(&operator, &path, json!({"decision": "void"})).await.0, StatusCode::CONFLICT);
    let payment = api.wait_payment(&alice, id, "captured").await;
    assert_eq!(payment["captured_minor"].as_i64(), Some(cost), "the plausible part: {payment}");
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn clocks_far_off_are_held_for_review_and_can_be_voided() {
    let backend = money_backend(true, |_| {}).await;
    let api = Api::new(&backend);
    let operator = api.operator().await;
    let mut charger = raw(&backend).await;
    let year = |y: i32| OffsetDateTime::new_utc(time::Date::from_calendar_date(y, time::Month::January, 1).unwrap(), time::Time::MIDNIGHT);

    // A clock that jumped back (a start in 2000), and a session from 1970 to 9999.
    for (email, begin, end) in [("a@example.com", year(2000), now()), ("b@example.com", year(1970), year(9999))] {
        let driver = api.driver(email).await;
        let (status, _) = api.post(&driver, "/v1/tokens", json!({"kind": "rfid", "uid": CARD})).await;
        assert_eq!(status, 201);
        api.top_up(&driver, 5_000).await;
        let started = start(&mut charger, CARD, 0, begin).await;
        assert_eq!(status_of(&started), "Accepted");
        let tx = started["transactionId"].as_i64().unwrap();
        meter(&mut charger, tx, 5_000, now()).await;
        stop(&mut charger, tx, 6_000, end, Some(CARD)).await;
        let held = api.wait_session(&driver, |s| s["status"] == "under_review").await;
        assert!(held["cost"]["total_incl_vat_minor"].as_i64().unwrap() < 100, "no years of time billed: {held}");
        let id = held["id"].as_str().unwrap();
        let (status, voided) = api.post(&operator, &format!("/v1/operator/sessions/{id}/review"), json!({"decision": "void"})).await;
        assert_eq!((status, voided["status"].as_str()), (StatusCode::OK, Some("failed")), "{voided}");
        let payment = api.wait_payment(&driver, id, "released").await;
        assert_eq!(payment["captured_minor"].as_i64(), Some(0), "a voided session pays nothing: {payment}");
        let (status, _) = api.http.delete(api.url(&format!("/v1/tokens/{CARD}"))).bearer_auth(&driver).send().await.map(|r| (r.status(), ())).unwrap();
        assert!(status.is_success());
    }
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn two_drivers_one_connector_exactly_one_wins() {
    let backend = money_backend(false, |_| {}).await;
    let _charger = charger(&backend).await;
    let api = Api::new(&backend);
    let alice = api.driver("alice@example.com").await;
    let bob = api.driver("bob@example.com").await;
    for round in 0..8 {
        let body = json!({"evse_id": EVSE_ID});
        let (a, b) = tokio::join!(api.post(&alice, "/v1/sessions", body.clone()), api.post(&bob, "/v1/sessions", body));
        let mut statuses = [a.0.as_u16(), b.0.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [201, 409], "round {round}: exactly one start wins ({a:?} / {b:?})");
        let loser = if a.0 == StatusCode::CREATED { &b.1 } else { &a.1 };
        assert_eq!(loser["code"], "conflict", "the other is told the charger is in use: {loser}");
        let (winner, session) = if a.0 == StatusCode::CREATED { (&alice, a.1) } else { (&bob, b.1) };
        let id = session["id"].as_str().unwrap().to_owned();
        // The charger's StartTransaction is matched to the winner's session.
        let charging = wait_status(&api, winner, &id, "charging").await;
        assert_eq!(charging["id"].as_str(), Some(id.as_str()));
        // The simulator refuses a stop that reaches it before it took in its own StartTransaction
        // answer; a driver taps again.
        let mut stopped = api.post(winner, &format!("/v1/sessions/{id}/stop"), json!({})).await;
        for _ in 0..20 {
            if stopped.0 == StatusCode::OK || stopped.1["code"] != "charger_rejected" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            stopped = api.post(winner, &format!("/v1/sessions/{id}/stop"), json!({})).await;
        }
        assert_eq!(stopped.0, StatusCode::OK, "{}", stopped.1);
        wait_status(&api, winner, &id, "completed").await;
        // The simulated charger takes a moment to be free again after a stop.
        for _ in 0..100 {
            let (_, evse) = api.get(winner, &format!("/v1/evses/{EVSE_ID}")).await;
            if evse["status"] == "Available" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
    for driver in [&alice, &bob] {
        for session in api.sessions(driver).await {
            assert_eq!(session["status"], "completed", "no lost or unpaid session: {session}");
        }
    }
    backend.server.shutdown().await;
}

async fn wait_status(api: &Api<'_>, driver: &str, id: &str, status: &str) -> Value {
    // Up to 30 s: on a loaded machine the simulator's start took longer than 10 s once.
    for _ in 0..300 {
        let (_, session) = api.get(driver, &format!("/v1/sessions/{id}")).await;
        if session["status"] == status {
            return session;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("session {id} never reached {status}");
}

#[tokio::test]
async fn charging_without_paying_is_refused_unless_the_site_allows_it() {
    let backend = money_backend(true, |_| {}).await;
    let _charger = charger(&backend).await;
    let api = Api::new(&backend);
    let alice = api.driver("alice@example.com").await;

    // No payment choice, no default method, an empty wallet: refused before the charger is asked.
    let (status, error) = api.post(&alice, "/v1/sessions", json!({"evse_id": EVSE_ID})).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{error}");
    assert_eq!(error["code"], "payment_refused");
    assert!(error["message"].as_str().unwrap().contains("Top up"), "{error}");
    assert!(api.sessions(&alice).await.is_empty());

    // A card at the charger with an empty wallet: no way to pay, no start.
    api.card(&alice).await;
    let mut second = RawCharger::connect(&backend.server.ocpp_url(), chargekit_tests::OFFLINE_CHARGER_ID).await;
    assert_eq!(status_of(&second.call("Authorize", json!({"idTag": CARD})).await), "Invalid");
    let refused = second
        .call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 0, "timestamp": at(now())}))
        .await;
    assert_eq!(status_of(&refused), "Invalid");

    // With money in the wallet, the same start is paid from it: the hold is placed.
    api.top_up(&alice, 5_000).await;
    let (status, session) = api.post(&alice, "/v1/sessions", json!({"evse_id": EVSE_ID})).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let (_, payment) = api.get(&alice, &format!("/v1/sessions/{}/payment", session["id"].as_str().unwrap())).await;
    assert_eq!((payment["method"].as_str(), payment["status"].as_str()), (Some("wallet"), Some("held")), "{payment}");
    second.close().await;
    backend.server.shutdown().await;

    // A free site allows it.
    let free = money_backend(false, |_| {}).await;
    let _charger = charger(&free).await;
    let api = Api::new(&free);
    let bob = api.driver("bob@example.com").await;
    let (status, session) = api.post(&bob, "/v1/sessions", json!({"evse_id": EVSE_ID})).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    assert_eq!(api.get(&bob, &format!("/v1/sessions/{}/payment", session["id"].as_str().unwrap())).await.0, StatusCode::NOT_FOUND);
    free.server.shutdown().await;
}

#[tokio::test]
async fn a_meter_stop_of_i64_max_is_answered_and_billed_to_the_last_plausible_reading() {
    let backend = money_backend(false, |_| {}).await;
    let api = Api::new(&backend);
    let alice = api.driver("alice@example.com").await;
    api.card(&alice).await;
    let mut charger = raw(&backend).await;
    let begin = now() - time::Duration::minutes(10);
    let started = start(&mut charger, CARD, 1_000, begin).await;
    let tx = started["transactionId"].as_i64().unwrap();
    // Three phases near i64::MAX as well: their sum must not overflow.
    let huge = (i64::MAX / 2).to_string();
    let phases: Vec<Value> = ["L1-N", "L2-N", "L3-N"].iter().map(|p| json!({"value": huge, "measurand": "Power.Active.Import", "unit": "W", "phase": p})).collect();
    let value = json!({"timestamp": at(begin + time::Duration::minutes(5)), "sampledValue": phases});
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": tx, "meterValue": [value]})).await;
    let answer = stop(&mut charger, tx, i64::MAX, now(), Some(CARD)).await;
    assert_eq!(status_of(&answer), "Accepted");
    let held = api.wait_session(&alice, |s| s["status"] == "under_review").await;
    assert_eq!(held["energy_wh"].as_i64(), Some(0), "{held}");
    assert!(held["cost"]["total_incl_vat_minor"].as_i64().unwrap() < 1_000, "{held}");
    charger.close().await;
    backend.server.shutdown().await;
}
