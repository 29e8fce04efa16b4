//! Pay per session through the real server, over real sockets, on a real SQLite file: the
//! wallet (top-ups, a hold before the start, capture of the final cost, the rest released), a
//! card through a local provider that speaks Stripe's PaymentIntents wire format, refusals
//! that never reach the charger, failed starts, the stop at the hold, retries under
//! idempotency keys, and one driver never seeing another's money. After each journey the
//! ledger is read straight from the database: every transaction balances, no wallet is below
//! zero.

use std::time::Duration;

use chargekit_server::{ChargerSeed, ServerConfig};
use chargekit_sim::{PowerCurve, RemoteStartBehavior, StopReason};
use chargekit_tests::payment_provider::{DECLINED_CARD, Endpoint, INSUFFICIENT_FUNDS_CARD, MASTERCARD, MockProvider, VISA};
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, OFFLINE_CHARGER_ID, OFFLINE_EVSE_ID, backend_with, charger_with, http_client, register_driver};
use reqwest::StatusCode;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);
const HOLD: i64 = 5000;

/// A driver speaking to the driver API directly.
struct Driver {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Driver {
    async fn register(backend: &Backend, email: &str) -> Self {
        let http = http_client();
        let token = register_driver(&http, backend, email).await;
        Self { http, base: backend.server.base_url(), token }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let response = request.bearer_auth(&self.token).send().await.expect("the server answers");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base))).await
    }

    async fn post(&self, path: &str, body: Value, key: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.put(format!("{}{path}", self.base)).json(&body)).await
    }

    async fn top_up(&self, amount_minor: i64, key: &str) -> (StatusCode, Value) {
        self.post("/v1/wallet/top-ups", json!({"amount_minor": amount_minor, "currency": "EUR"}), Some(key)).await
    }

    async fn start(&self, payment: Option<Value>) -> (StatusCode, Value) {
        let mut body = json!({"evse_id": EVSE_ID});
        if let Some(payment) = payment {
            body["payment"] = payment;
        }
        self.post("/v1/sessions", body, None).await
    }

    async fn register_card(&self, payment_method_id: &str) -> (StatusCode, Value) {
        self.post("/v1/payment-methods", json!({"payment_method_id": payment_method_id, "brand": "visa", "last4": "4242"}), None).await
    }

    /// (available, held) in EUR.
    async fn wallet(&self) -> (i64, i64) {
        let (status, wallet) = self.get("/v1/wallet").await;
        assert_eq!(status, StatusCode::OK, "{wallet}");
        let eur = wallet["balances"].as_array().unwrap().iter().find(|b| b["currency"] == "EUR").cloned();
        eur.map_or((0, 0), |b| (b["available_minor"].as_i64().unwrap(), b["held_minor"].as_i64().unwrap()))
    }

    /// Polls a resource until `done` holds for it.
    async fn wait_for(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let (status, value) = self.get(path).await;
            if status == StatusCode::OK && done(&value) {
                return value;
            }
            assert!(tokio::time::Instant::now() < deadline, "{path} never got there; last: {status} {value}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_session(&self, id: &str, status: &str) -> Value {
        self.wait_for(&format!("/v1/sessions/{id}"), |s| s["status"] == status).await
    }

    async fn wait_charging_with_cost(&self, id: &str) -> Value {
        self.wait_for(&format!("/v1/sessions/{id}"), |s| s["status"] == "charging" && s["cost"]["total_incl_vat_minor"].as_i64() > Some(0)).await
    }

    async fn wait_payment(&self, id: &str, status: &str) -> Value {
        self.wait_for(&format!("/v1/sessions/{id}/payment"), |p| p["status"] == status).await
    }
}

fn cost_of(session: &Value) -> i64 {
    session["cost"]["total_incl_vat_minor"].as_i64().expect("a cost")
}

fn id_of(session: &Value) -> String {
    session["id"].as_str().expect("an id").to_owned()
}

/// The ledger's invariants, read from the server's SQLite file with SQL of the test's own.
#[derive(Debug, PartialEq, Eq)]
struct Audit {
    unbalanced_transactions: i64,
    balances_off_their_postings: i64,
    negative_wallets: i64,
    sum_of_all_balances: i64,
    revenue: i64,
    holds: i64,
}

async fn audit(backend: &Backend) -> Audit {
    use sqlx::sqlite::SqliteConnectOptions;
    let options = SqliteConnectOptions::new().filename(backend.dir.path().join("server.db")).read_only(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("the server's database opens");
    let scalar = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.expect(sql) }
    };
    let audit = Audit {
        unbalanced_transactions: scalar(
            "SELECT COUNT(*) FROM (SELECT t.id FROM ledger_transactions t LEFT JOIN ledger_postings p ON p.transaction_id = t.id
             GROUP BY t.id HAVING COALESCE(SUM(p.amount_minor), 0) != 0 OR COUNT(p.transaction_id) < 2)",
        )
        .await,
        balances_off_their_postings: scalar(
            "SELECT COUNT(*) FROM ledger_accounts a
             WHERE a.balance_minor != (SELECT COALESCE(SUM(amount_minor), 0) FROM ledger_postings p WHERE p.account_id = a.id)",
        )
        .await,
        negative_wallets: scalar("SELECT COUNT(*) FROM ledger_accounts WHERE kind = 'wallet' AND balance_minor < 0").await,
        sum_of_all_balances: scalar("SELECT COALESCE(SUM(balance_minor), 0) FROM ledger_accounts").await,
        revenue: scalar("SELECT COALESCE(SUM(balance_minor), 0) FROM ledger_accounts WHERE kind = 'revenue'").await,
        holds: scalar("SELECT COALESCE(SUM(balance_minor), 0) FROM ledger_accounts WHERE kind = 'holds'").await,
    };
    pool.close().await;
    audit
}

async fn assert_ledger_sound(backend: &Backend, revenue: i64) {
    let audit = audit(backend).await;
    assert_eq!(
        audit,
        Audit { unbalanced_transactions: 0, balances_off_their_postings: 0, negative_wallets: 0, sum_of_all_balances: 0, revenue, holds: 0 },
        "the ledger balances, no wallet is negative, nothing is left held"
    );
}

fn wallet_backend(config: &mut ServerConfig) {
    config.payments.free_top_ups = true;
    config.payments.hold_minor = HOLD;
    config.payments.capture_retry_delay = Duration::from_millis(50);
}

/// A backend with test-money wallets and `provider` as its card provider.
async fn card_backend(provider: &MockProvider) -> Backend {
    backend_with(|c| {
        wallet_backend(c);
        c.payments.card = Some(provider.config());
    })
    .await
}

/// A raw charger that is connected and being served (a Heartbeat went through).
async fn raw_charger(backend: &Backend) -> RawCharger {
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    charger.call("Heartbeat", json!({})).await;
    charger
}

/// Nothing reaches the charger for a while: no RemoteStartTransaction, no CALL at all.
async fn assert_charger_not_asked(charger: &mut RawCharger) {
    let call = tokio::time::timeout(Duration::from_millis(800), charger.expect_call()).await;
    assert!(call.is_err(), "the charger was sent {:?}", call.ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wallet_top_up_hold_capture_of_the_final_cost_and_the_rest_released() {
    let backend = backend_with(wallet_backend).await;
    let charger = charger_with(&backend, |_| {}).await;
    let ada = Driver::register(&backend, "ada@example.com").await;

    let (status, top_up) = ada.top_up(8000, "first-top-up").await;
    assert_eq!(status, StatusCode::CREATED, "{top_up}");
    assert_eq!((top_up["id"].as_str(), top_up["amount_minor"].as_i64(), top_up["currency"].as_str()), (Some("first-top-up"), Some(8000), Some("EUR")));
    assert_eq!(ada.wallet().await, (8000, 0));

    let (status, session) = ada.start(Some(json!({"type": "wallet"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = id_of(&session);
    assert_eq!(ada.wallet().await, (8000 - HOLD, HOLD), "the hold is placed before the start");
    let (_, payment) = ada.get(&format!("/v1/sessions/{id}/payment")).await;
    assert_eq!((payment["method"].as_str(), payment["status"].as_str(), payment["held_minor"].as_i64()), (Some("wallet"), Some("held"), Some(HOLD)));

    ada.wait_charging_with_cost(&id).await;
    let (status, _) = ada.post(&format!("/v1/sessions/{id}/stop"), json!({}), None).await;
    assert_eq!(status, StatusCode::OK);
    let done = ada.wait_session(&id, "completed").await;
    let cost = cost_of(&done);
    assert!(cost > 0 && cost < HOLD, "{cost}");

    let payment = ada.wait_payment(&id, "captured").await;
    assert_eq!(payment["captured_minor"].as_i64(), Some(cost), "the final cost is captured: {payment}");
    assert_eq!(payment["uncollected_minor"].as_i64(), Some(0));
    assert!(payment.get("note").is_none(), "the driver stopped it, not the hold");
    assert_eq!(ada.wallet().await, (8000 - cost, 0), "the rest of the hold came back");
    assert_ledger_sound(&backend, cost).await;

    // The API describes itself.
    let (_, openapi) = ada.get("/openapi.json").await;
    for path in ["/v1/wallet", "/v1/wallet/top-ups", "/v1/payment-methods", "/v1/payment-methods/default", "/v1/sessions/{id}/payment"] {
        assert!(openapi["paths"].get(path).is_some(), "{path} is documented");
    }
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_funds_refuse_the_start_before_the_charger_is_asked() {
    let backend = backend_with(wallet_backend).await;
    let mut charger = raw_charger(&backend).await;
    let bo = Driver::register(&backend, "bo@example.com").await;
    assert_eq!(bo.top_up(1000, "a").await.0, StatusCode::CREATED);

    let (status, error) = bo.start(Some(json!({"type": "wallet"}))).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(message.contains("Your wallet has 10.00 EUR") && message.contains("50.00 EUR") && message.contains("Top up at least 40.00 EUR"), "{message}");
    assert_charger_not_asked(&mut charger).await;
    let (_, sessions) = bo.get("/v1/sessions").await;
    assert_eq!(sessions["sessions"], json!([]), "no session was created");
    assert_eq!(bo.wallet().await, (1000, 0));

    // The wallet as the default method refuses the same way.
    assert_eq!(bo.put("/v1/payment-methods/default", json!({"type": "wallet"})).await.0, StatusCode::OK);
    assert_eq!(bo.start(None).await.0, StatusCode::PAYMENT_REQUIRED);
    assert_charger_not_asked(&mut charger).await;

    // With enough money, the same start does reach the charger; it refuses, and the hold
    // comes back.
    assert_eq!(bo.top_up(4000, "b").await.0, StatusCode::CREATED);
    let start = tokio::spawn({
        let bo = Driver { http: bo.http.clone(), base: bo.base.clone(), token: bo.token.clone() };
        async move { bo.start(None).await }
    });
    let (message_id, action, payload) = charger.expect_call().await;
    assert_eq!(action, "RemoteStartTransaction");
    assert_eq!(payload["connectorId"], 1);
    assert_eq!(bo.wallet().await, (0, HOLD), "held while the charger is asked");
    charger.send_frame(json!([3, message_id, {"status": "Rejected"}])).await;
    let (status, _) = start.await.unwrap();
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, sessions) = bo.get("/v1/sessions").await;
    let failed = id_of(&sessions["sessions"][0]);
    assert_eq!(bo.wait_payment(&failed, "released").await["captured_minor"], 0);
    assert_eq!(bo.wallet().await, (5000, 0));
    assert_ledger_sound(&backend, 0).await;
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_is_authorized_before_the_start_and_captured_at_the_end() {
    let provider = MockProvider::start().await;
    let backend = card_backend(&provider).await;
    let charger = charger_with(&backend, |_| {}).await;
    let cy = Driver::register(&backend, "cy@example.com").await;

    let (status, card) = cy.register_card(VISA).await;
    assert_eq!(status, StatusCode::CREATED, "{card}");
    assert_eq!(card, json!({"id": VISA, "kind": "card", "brand": "visa", "last4": "4242", "is_default": false}));
    let (status, default) = cy.put("/v1/payment-methods/default", json!({"type": "card", "payment_method_id": VISA})).await;
    assert_eq!((status, default["is_default"].as_bool()), (StatusCode::OK, Some(true)));
    let (_, methods) = cy.get("/v1/payment-methods").await;
    assert_eq!(methods.as_array().unwrap().iter().map(|m| (m["id"].as_str().unwrap(), m["is_default"].as_bool().unwrap())).collect::<Vec<_>>(), [("wallet", false), (VISA, true)]);

    // No payment named: the default card pays.
    let (status, session) = cy.start(None).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = id_of(&session);
    let authorize = &provider.requests_to(Endpoint::Create)[0];
    assert_eq!(authorize.status, 200);
    for (name, value) in [("amount", "5000"), ("currency", "eur"), ("payment_method", VISA), ("capture_method", "manual"), ("confirm", "true")] {
        assert_eq!(authorize.param(name), Some(value), "{name}");
    }
    assert!(authorize.idempotency_key.as_deref().is_some_and(|k| k.contains(&id)), "{authorize:?}");
    let intent = provider.intents()[0].clone();
    assert_eq!((intent.status.as_str(), intent.amount_capturable), ("requires_capture", HOLD));
    assert_eq!(cy.wallet().await, (0, 0), "the wallet is not touched");

    cy.wait_charging_with_cost(&id).await;
    cy.post(&format!("/v1/sessions/{id}/stop"), json!({}), None).await;
    let cost = cost_of(&cy.wait_session(&id, "completed").await);
    let payment = cy.wait_payment(&id, "captured").await;
    assert_eq!((payment["method"].as_str(), payment["payment_method_id"].as_str()), (Some("card"), Some(VISA)));
    assert_eq!((payment["held_minor"].as_i64(), payment["captured_minor"].as_i64()), (Some(HOLD), Some(cost)));
    let captures = provider.requests_to(Endpoint::Capture);
    assert_eq!(captures.len(), 1);
    assert_eq!(captures[0].param("amount_to_capture"), Some(cost.to_string().as_str()));
    assert_eq!(captures[0].path, format!("/v1/payment_intents/{}/capture", intent.id));
    let intent = provider.intent(&intent.id).unwrap();
    assert_eq!((intent.status.as_str(), intent.amount_received, intent.captures_executed), ("succeeded", cost, 1));
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_answers_402_and_the_charger_is_never_asked() {
    let provider = MockProvider::start().await;
    let backend = backend_with(|c| c.payments.card = Some(provider.config())).await;
    let mut charger = raw_charger(&backend).await;
    let di = Driver::register(&backend, "di@example.com").await;

    for (card, words) in [(DECLINED_CARD, "Your card was declined."), (INSUFFICIENT_FUNDS_CARD, "insufficient funds")] {
        assert_eq!(di.register_card(card).await.0, StatusCode::CREATED);
        let (status, error) = di.start(Some(json!({"type": "card", "payment_method_id": card}))).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{error}");
        assert!(error["message"].as_str().unwrap().contains(words), "{error}");
        assert_charger_not_asked(&mut charger).await;
    }
    let declines = provider.requests_to(Endpoint::Create);
    assert_eq!(declines.iter().map(|r| r.status).collect::<Vec<_>>(), [402, 402]);
    let (_, sessions) = di.get("/v1/sessions").await;
    assert_eq!(sessions["sessions"], json!([]));

    // A card nobody registered is not sent to the provider at all.
    let (status, _) = di.start(Some(json!({"type": "card", "payment_method_id": MASTERCARD}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(provider.requests().len(), 2);
    assert_charger_not_asked(&mut charger).await;
    charger.close().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_card_provider_card_payments_are_refused_clearly() {
    let backend = backend_with(wallet_backend).await;
    let mut charger = raw_charger(&backend).await;
    let ed = Driver::register(&backend, "ed@example.com").await;
    let (status, error) = ed.register_card(VISA).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["message"].as_str().unwrap().contains("Card payments are not available"), "{error}");
    let (status, _) = ed.start(Some(json!({"type": "card", "payment_method_id": VISA}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_charger_not_asked(&mut charger).await;
    charger.close().await;
    // And without free top-ups a top-up must name a card.
    let strict = backend_with(|_| {}).await;
    let fay = Driver::register(&strict, "fay@example.com").await;
    let (status, error) = fay.top_up(1000, "x").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    let (status, _) = fay.post("/v1/wallet/top-ups", json!({"amount_minor": 1000, "currency": "EUR"}), None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a top-up needs an Idempotency-Key");
    backend.server.shutdown().await;
    strict.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_start_releases_the_wallet_hold_and_voids_the_card() {
    let provider = MockProvider::start().await;
    let backend = card_backend(&provider).await;
    let charger = charger_with(&backend, |c| c.remote_start = RemoteStartBehavior::Reject).await;
    let gus = Driver::register(&backend, "gus@example.com").await;
    gus.top_up(6000, "t").await;
    gus.register_card(VISA).await;

    let (status, _) = gus.start(Some(json!({"type": "wallet"}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = gus.start(Some(json!({"type": "card", "payment_method_id": VISA}))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, sessions) = gus.get("/v1/sessions").await;
    let [card_session, wallet_session] = [0, 1].map(|i| id_of(&sessions["sessions"][i]));

    assert_eq!(gus.wait_payment(&wallet_session, "released").await["held_minor"], HOLD);
    assert_eq!(gus.wallet().await, (6000, 0));
    let voided = gus.wait_payment(&card_session, "voided").await;
    assert_eq!(voided["captured_minor"], 0);
    let intent = provider.intents()[0].clone();
    assert_eq!((intent.status.as_str(), intent.cancels_executed, intent.captures_executed), ("canceled", 1, 0));
    assert!(charger.transactions().is_empty());
    assert_ledger_sound(&backend, 0).await;
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_the_charger_never_makes_releases_the_hold_in_bounded_time() {
    let backend = backend_with(|c| {
        wallet_backend(c);
        c.start_timeout = Duration::from_millis(500);
    })
    .await;
    let charger = charger_with(&backend, |c| c.remote_start = RemoteStartBehavior::AcceptButNeverStart).await;
    let hal = Driver::register(&backend, "hal@example.com").await;
    hal.top_up(5000, "t").await;
    let (status, session) = hal.start(Some(json!({"type": "wallet"}))).await;
    assert_eq!((status, session["status"].as_str()), (StatusCode::CREATED, Some("starting")));
    let id = id_of(&session);
    assert_eq!(hal.wallet().await, (0, HOLD));
    hal.wait_session(&id, "failed").await;
    hal.wait_payment(&id, "released").await;
    assert_eq!(hal.wallet().await, (5000, 0));
    assert_ledger_sound(&backend, 0).await;
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charging_stops_when_the_running_cost_reaches_the_hold() {
    // 1.00 EUR held; at 150 kW and 10 EUR/kWh the cost gets there within seconds.
    let backend = backend_with(|c| {
        wallet_backend(c);
        c.payments.hold_minor = 100;
        c.tariff = chargekit_model::Tariff::per_kwh_and_hour(
            "expensive",
            chargekit_model::Currency::EUR,
            rust_decimal::Decimal::from(10),
            rust_decimal::Decimal::new(120, 2),
            Some(rust_decimal::Decimal::from(19)),
        );
    })
    .await;
    let charger = charger_with(&backend, |c| c.car.curve = PowerCurve::constant(150_000)).await;
    let ivy = Driver::register(&backend, "ivy@example.com").await;
    ivy.top_up(1000, "t").await;

    let (status, session) = ivy.start(Some(json!({"type": "wallet"}))).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let id = id_of(&session);
    // Nobody presses stop: the server does, at the hold.
    let done = ivy.wait_session(&id, "completed").await;
    let cost = cost_of(&done);
    assert!(cost >= 100, "it ran until the hold: {cost}");
    let transaction = charger.transactions().into_iter().next().expect("a transaction");
    assert_eq!(transaction.stop_reason, Some(StopReason::Remote), "the server sent RemoteStopTransaction");

    let payment = ivy.wait_payment(&id, "captured").await;
    let captured = payment["captured_minor"].as_i64().unwrap();
    assert_eq!(captured, cost.min(100), "{payment}");
    assert!(captured <= payment["held_minor"].as_i64().unwrap());
    assert_eq!(payment["uncollected_minor"].as_i64(), Some(cost - captured), "what ran on after the stop was asked is recorded");
    assert!(payment["note"].as_str().unwrap().contains("reached the 1.00 EUR held"), "{payment}");
    assert_eq!(ivy.wallet().await, (1000 - captured, 0));
    assert_ledger_sound(&backend, captured).await;
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_top_up_is_applied_once() {
    let provider = MockProvider::start().await;
    let backend = card_backend(&provider).await;
    let jo = Driver::register(&backend, "jo@example.com").await;

    let first = jo.top_up(2500, "retry-me").await;
    let again = jo.top_up(2500, "retry-me").await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(again, first, "the retry answers the first top-up");
    assert_eq!(jo.wallet().await, (2500, 0), "credited once");
    let (status, error) = jo.top_up(9999, "retry-me").await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");

    // Paid by card, and the provider's answer is lost on the way back: the driver's retry
    // with the same key finds the provider's first answer; one authorization, one capture.
    jo.register_card(VISA).await;
    provider.lose_next_answers(Endpoint::Capture, 1);
    let by_card = json!({"amount_minor": 3000, "currency": "EUR", "payment_method_id": VISA});
    let (status, _) = jo.post("/v1/wallet/top-ups", by_card.clone(), Some("card-top-up")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "the answer was lost: the driver is told to retry");
    assert_eq!(jo.wallet().await, (2500, 0), "nothing credited without a confirmed payment");
    let (status, top_up) = jo.post("/v1/wallet/top-ups", by_card.clone(), Some("card-top-up")).await;
    assert_eq!(status, StatusCode::CREATED, "{top_up}");
    let (status, _) = jo.post("/v1/wallet/top-ups", by_card, Some("card-top-up")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(jo.wallet().await, (5500, 0));
    let intents = provider.intents();
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!((intents[0].amount_received, intents[0].captures_executed), (3000, 1));
    let keys: Vec<_> = provider.requests_to(Endpoint::Capture).into_iter().map(|r| (r.idempotency_key.unwrap(), r.replayed)).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(keys[0].0, keys[1].0, "the retry reused the key");
    assert!(!keys[0].1 && keys[1].1, "the second was answered from the provider's idempotency store");
    assert_ledger_sound(&backend, 0).await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_that_fails_transiently_is_retried_under_one_key_and_applied_once() {
    let provider = MockProvider::start().await;
    let backend = card_backend(&provider).await;
    let charger = charger_with(&backend, |_| {}).await;
    let kim = Driver::register(&backend, "kim@example.com").await;
    kim.register_card(VISA).await;

    let (_, session) = kim.start(Some(json!({"type": "card", "payment_method_id": VISA}))).await;
    let id = id_of(&session);
    kim.wait_charging_with_cost(&id).await;
    // Two 500s before Stripe runs it, then one applied whose answer is lost.
    provider.fail_next(Endpoint::Capture, 2);
    provider.lose_next_answers(Endpoint::Capture, 1);
    kim.post(&format!("/v1/sessions/{id}/stop"), json!({}), None).await;
    let cost = cost_of(&kim.wait_session(&id, "completed").await);
    let payment = kim.wait_payment(&id, "captured").await;
    assert_eq!(payment["captured_minor"].as_i64(), Some(cost));

    let captures = provider.requests_to(Endpoint::Capture);
    assert_eq!(captures.iter().map(|r| (r.status, r.replayed)).collect::<Vec<_>>(), [(500, false), (500, false), (504, false), (200, true)]);
    assert!(captures.iter().all(|r| r.idempotency_key == captures[0].idempotency_key), "one key for every attempt");
    let intent = provider.intents()[0].clone();
    assert_eq!((intent.captures_executed, intent.amount_received), (1, cost), "captured once");
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_that_keeps_failing_ends_failed_with_its_reason() {
    let provider = MockProvider::start().await;
    let backend = backend_with(|c| {
        wallet_backend(c);
        c.payments.card = Some(provider.config());
        c.payments.capture_attempts = 3;
    })
    .await;
    let charger = charger_with(&backend, |_| {}).await;
    let lu = Driver::register(&backend, "lu@example.com").await;
    lu.register_card(VISA).await;
    let (_, session) = lu.start(Some(json!({"type": "card", "payment_method_id": VISA}))).await;
    let id = id_of(&session);
    lu.wait_charging_with_cost(&id).await;
    provider.fail_next(Endpoint::Capture, 100);
    lu.post(&format!("/v1/sessions/{id}/stop"), json!({}), None).await;
    lu.wait_session(&id, "completed").await;

    let failed = lu.wait_payment(&id, "failed").await;
    let reason = failed["failure_reason"].as_str().unwrap();
    assert!(reason.contains("Gave up after 3 attempts") && reason.contains("500"), "{reason}");
    assert_eq!(provider.requests_to(Endpoint::Capture).len(), 3);
    assert_eq!(provider.intents()[0].status, "requires_capture", "still authorized at the provider, for the operator to follow up");
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_capture_still_pending_at_shutdown_is_made_after_the_restart() {
    let provider = MockProvider::start().await;
    let configure = |c: &mut ServerConfig| {
        wallet_backend(c);
        c.payments.card = Some(provider.config());
        // The retry would come long after the shutdown.
        c.payments.capture_retry_delay = Duration::from_secs(600);
    };
    let backend = backend_with(configure).await;
    let charger = charger_with(&backend, |_| {}).await;
    let mo = Driver::register(&backend, "mo@example.com").await;
    mo.register_card(VISA).await;
    let (_, session) = mo.start(Some(json!({"type": "card", "payment_method_id": VISA}))).await;
    let id = id_of(&session);
    mo.wait_charging_with_cost(&id).await;
    provider.fail_next(Endpoint::Capture, 1);
    mo.post(&format!("/v1/sessions/{id}/stop"), json!({}), None).await;
    let cost = cost_of(&mo.wait_session(&id, "completed").await);
    let deadline = tokio::time::Instant::now() + WAIT;
    while provider.requests_to(Endpoint::Capture).is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no capture was tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mo.get(&format!("/v1/sessions/{id}/payment")).await.1["status"], "held", "the first capture failed");
    charger.shutdown().await;
    let Backend { server, dir } = backend;
    server.shutdown().await;

    // The same database, a new process: the capture is made at start-up, under the same key.
    let mut config = ServerConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database: dir.path().join("server.db"),
        chargers: vec![ChargerSeed::single(CHARGER_ID, EVSE_ID), ChargerSeed::single(OFFLINE_CHARGER_ID, OFFLINE_EVSE_ID)],
        ..ServerConfig::default()
    };
    configure(&mut config);
    let backend = Backend { server: chargekit_server::start(config).await.expect("the server starts again"), dir };
    let mo = Driver { base: backend.server.base_url(), ..mo };
    let payment = mo.wait_payment(&id, "captured").await;
    assert_eq!(payment["captured_minor"].as_i64(), Some(cost));
    let captures = provider.requests_to(Endpoint::Capture);
    assert_eq!(captures.iter().map(|r| r.status).collect::<Vec<_>>(), [500, 200]);
    assert_eq!(captures[0].idempotency_key, captures[1].idempotency_key);
    assert_eq!(provider.intents()[0].captures_executed, 1);
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drivers_never_see_or_use_each_others_wallet_or_cards() {
    let provider = MockProvider::start().await;
    let backend = card_backend(&provider).await;
    let charger = charger_with(&backend, |_| {}).await;
    let ann = Driver::register(&backend, "ann@example.com").await;
    let ben = Driver::register(&backend, "ben@example.com").await;

    ann.top_up(7000, "same-key").await;
    assert_eq!(ann.register_card(VISA).await.0, StatusCode::CREATED);
    assert_eq!(ann.put("/v1/payment-methods/default", json!({"type": "card", "payment_method_id": VISA})).await.0, StatusCode::OK);

    // Ben's view is his own; Ann's card cannot be named, made his default or registered again.
    assert_eq!(ben.get("/v1/wallet").await.1, json!({"balances": []}));
    assert_eq!(ben.get("/v1/payment-methods").await.1, json!([{"id": "wallet", "kind": "wallet", "is_default": false}]));
    assert_eq!(ben.put("/v1/payment-methods/default", json!({"type": "card", "payment_method_id": VISA})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ben.start(Some(json!({"type": "card", "payment_method_id": VISA}))).await.0, StatusCode::NOT_FOUND);
    let paid_with_anns_card = json!({"amount_minor": 1000, "currency": "EUR", "payment_method_id": VISA});
    assert_eq!(ben.post("/v1/wallet/top-ups", paid_with_anns_card, Some("k")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ben.register_card(VISA).await.0, StatusCode::CONFLICT);
    assert!(provider.requests().is_empty(), "none of that reached the provider");
    // Idempotency keys are per driver: Ben's "same-key" is his own top-up.
    assert_eq!(ben.top_up(300, "same-key").await.0, StatusCode::CREATED);
    assert_eq!((ann.wallet().await, ben.wallet().await), ((7000, 0), (300, 0)));

    let (_, session) = ann.start(Some(json!({"type": "wallet"}))).await;
    let id = id_of(&session);
    assert_eq!(ben.get(&format!("/v1/sessions/{id}/payment")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ann.get(&format!("/v1/sessions/{id}/payment")).await.0, StatusCode::OK);
    assert_eq!(ben.get("/v1/wallet").await.1["balances"][0]["held_minor"], 0);
    ann.wait_charging_with_cost(&id).await;
    ann.post(&format!("/v1/sessions/{id}/stop"), json!({}), None).await;
    let cost = cost_of(&ann.wait_session(&id, "completed").await);
    ann.wait_payment(&id, "captured").await;
    assert_eq!((ann.wallet().await, ben.wallet().await), ((7000 - cost, 0), (300, 0)));
    assert_ledger_sound(&backend, cost).await;
    charger.shutdown().await;
    backend.server.shutdown().await;
}
