//! Operator monitoring end to end: sessions made through the real flows (app starts answered
//! by a raw OCPP charger, cards tapped at chargers, a refused start, a replayed offline session,
//! unknown and concurrent tokens, faults), then the reports read as an operator — JSON, CSV and
//! `/metrics` — checked against the sessions the drivers' own API returns, summed here.

use std::collections::BTreeMap;
use std::time::Duration;

use chargekit_server::{ChargerSeed, OperatorSeed};
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, backend_with, http_client, register_driver};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const OPERATOR: &str = "ops";
const OPERATOR_PASSWORD: &str = "a long operator password";
const METRICS_TOKEN: &str = "prometheus-scrape-token-0123456789";
const SECOND: &str = "CKTEST-0002";
const SECOND_EVSE: &str = "DE*CKT*E0002*1";
const CARD: &str = "04A2B3C4D5E6F7";

fn at(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

async fn monitored_backend(adjust: impl FnOnce(&mut chargekit_server::ServerConfig)) -> Backend {
    backend_with(|config| {
        config.operators.push(OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() });
        config.metrics_token = Some(METRICS_TOKEN.into());
        config.payments.free_top_ups = true;
        // The app sessions here run 20 minutes on the charger's clock from the moment they start.
        config.plausibility.max_clock_ahead_secs = 3600;
        config.chargers[0].site = Some("Depot".into());
        let mut second = ChargerSeed::single(SECOND, SECOND_EVSE);
        second.site = Some("Depot".into());
        config.chargers.push(second);
        adjust(config);
    })
    .await
}

async fn operator_token(http: &reqwest::Client, backend: &Backend) -> String {
    let body = json!({"username": OPERATOR, "password": OPERATOR_PASSWORD});
    let response = http.post(format!("{}/v1/operator/sign-in", backend.server.base_url())).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// The window every query uses: from two days ago to tomorrow, so that a test running across
/// midnight (UTC), or a charger clock a little ahead, still lands inside.
fn window() -> String {
    let today = OffsetDateTime::now_utc().date();
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    format!("from={}&to={}", day(today - time::Duration::days(2)), day(today + time::Duration::days(1)))
}

async fn report(http: &reqwest::Client, backend: &Backend, token: &str, path: &str) -> Value {
    let url = format!("{}/v1/operator/reports/{path}", backend.server.base_url());
    let response = http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}: {}", response.text().await.unwrap());
    response.json().await.unwrap()
}

async fn boot(charger: &mut RawCharger) {
    charger.call("BootNotification", json!({"chargePointVendor": "Test", "chargePointModel": "Raw"})).await;
    charger.call("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"})).await;
}

fn meter(at_time: OffsetDateTime, wh: i64, w: i64) -> Value {
    json!({"timestamp": at(at_time), "sampledValue": [
        {"value": wh.to_string(), "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
        {"value": w.to_string(), "unit": "W", "measurand": "Power.Active.Import"}
    ]})
}

/// A start from the app that the charger accepts (then charges `(wh, peak_w)`: `wh` at up to
/// `peak_w` for 20 minutes of its clock) or rejects. Returns the driver API's answer to the start.
async fn app_session(http: &reqwest::Client, backend: &Backend, bearer: &str, charger: &mut RawCharger, accept: bool, body: Value, (wh, peak_w): (i64, i64)) -> reqwest::StatusCode {
    let url = format!("{}/v1/sessions", backend.server.base_url());
    let start = tokio::spawn(http.post(url).bearer_auth(bearer).json(&body).send());
    let (id, action, payload) = charger.expect_call().await;
    assert_eq!(action, "RemoteStartTransaction");
    charger.send_frame(json!([3, id, {"status": if accept { "Accepted" } else { "Rejected" }}])).await;
    let status = start.await.unwrap().unwrap().status();
    if !accept {
        return status;
    }
    let t0 = OffsetDateTime::now_utc();
    let id_tag = payload["idTag"].as_str().unwrap();
    let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": id_tag, "meterStart": 10_000, "timestamp": at(t0)})).await;
    let transaction_id = started["transactionId"].as_i64().unwrap();
    charger.call("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": at(t0)})).await;
    let minute = time::Duration::minutes(1);
    let samples = [meter(t0 + 5 * minute, 10_000 + wh / 4, peak_w / 2), meter(t0 + 10 * minute, 10_000 + wh / 2, peak_w), meter(t0 + 15 * minute, 10_000 + wh * 3 / 4, peak_w / 3)];
    charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": samples})).await;
    let stop = t0 + 20 * minute;
    charger.call("StopTransaction", json!({"transactionId": transaction_id, "meterStop": 10_000 + wh, "timestamp": at(stop), "reason": "Remote"})).await;
    charger.call("StatusNotification", json!({"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": at(stop)})).await;
    status
}

/// Sums of the completed sessions of these drivers, per currency, from the driver API:
/// (sessions, energy, excl. VAT, VAT, incl. VAT).
async fn receipts(http: &reqwest::Client, backend: &Backend, drivers: &[&str]) -> BTreeMap<String, [i64; 5]> {
    let mut sums: BTreeMap<String, [i64; 5]> = BTreeMap::new();
    for bearer in drivers {
        let url = format!("{}/v1/sessions?limit=100", backend.server.base_url());
        let page: Value = http.get(url).bearer_auth(bearer).send().await.unwrap().json().await.unwrap();
        for s in page["sessions"].as_array().unwrap().iter().filter(|s| s["status"] == "completed") {
            let cost = &s["cost"];
            let entry = sums.entry(cost["currency"].as_str().unwrap().to_owned()).or_default();
            entry[0] += 1;
            entry[1] += s["energy_wh"].as_i64().unwrap();
            entry[2] += cost["total_excl_vat_minor"].as_i64().unwrap();
            entry[3] += cost["total_vat_minor"].as_i64().unwrap();
            entry[4] += cost["total_incl_vat_minor"].as_i64().unwrap();
        }
    }
    sums
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_add_up_to_the_receipts_and_tell_what_happened() {
    let backend = monitored_backend(|_| {}).await;
    let http = http_client();
    let base = backend.server.base_url();
    let alice = register_driver(&http, &backend, "alice@example.com").await;
    let bob = register_driver(&http, &backend, "bob@example.com").await;
    let card = json!({"kind": "rfid", "uid": CARD});
    assert_eq!(http.post(format!("{base}/v1/tokens")).bearer_auth(&alice).json(&card).send().await.unwrap().status(), 201);
    let mut first = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let mut second = RawCharger::connect(&backend.server.ocpp_url(), SECOND).await;
    boot(&mut first).await;
    boot(&mut second).await;

    // Bob pays from his wallet; Alice's app starts are not paid through the app; one is refused.
    let top_up = json!({"amount_minor": 10_000, "currency": "EUR"});
    let topped = http.post(format!("{base}/v1/wallet/top-ups")).bearer_auth(&bob).header("Idempotency-Key", "t1").json(&top_up).send().await.unwrap();
    assert!(topped.status().is_success(), "top-up: {}", topped.status());
    let paid = json!({"evse_id": EVSE_ID, "payment": {"type": "wallet"}});
    assert!(app_session(&http, &backend, &bob, &mut first, true, paid, (12_000, 22_000)).await.is_success());
    assert!(app_session(&http, &backend, &alice, &mut first, true, json!({"evse_id": EVSE_ID}), (30_000, 50_000)).await.is_success());
    assert_eq!(app_session(&http, &backend, &alice, &mut first, false, json!({"evse_id": EVSE_ID}), (0, 0)).await, 409);

    // Alice's card at the second charger, started 40 minutes ago on its clock.
    let t0 = OffsetDateTime::now_utc() - time::Duration::minutes(40);
    assert_eq!(second.call("Authorize", json!({"idTag": CARD})).await["idTagInfo"]["status"], "Accepted");
    let started = second.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 500, "timestamp": at(t0)})).await;
    let card_tx = started["transactionId"].as_i64().unwrap();
    second.call("MeterValues", json!({"connectorId": 1, "transactionId": card_tx, "meterValue": [meter(t0 + time::Duration::minutes(10), 4_000, 21_000)]})).await;
    // While it charges: the card at the other charger is refused; an unknown card too.
    assert_eq!(first.call("Authorize", json!({"idTag": CARD})).await["idTagInfo"]["status"], "ConcurrentTx");
    assert_eq!(second.call("Authorize", json!({"idTag": "DEADBEEF01"})).await["idTagInfo"]["status"], "Invalid");
    assert_eq!(first.call("Authorize", json!({"idTag": "DEADBEEF01"})).await["idTagInfo"]["status"], "Invalid");
    second.call("StopTransaction", json!({"transactionId": card_tx, "idTag": CARD, "meterStop": 7_500, "timestamp": at(t0 + time::Duration::minutes(30)), "reason": "Local"})).await;
    // The second charger faults, then recovers.
    for (status, code) in [("Faulted", "GroundFailure"), ("Available", "NoError")] {
        second.call("StatusNotification", json!({"connectorId": 1, "errorCode": code, "status": status})).await;
    }
    // The first charger replays a card session it ran offline, overlapping the one above: the
    // live check could not refuse it, the report shows it.
    let replayed = json!({"transactionId": 90_001, "idTag": CARD, "meterStop": 2_000, "timestamp": at(t0 + time::Duration::minutes(25)), "reason": "Local",
        "transactionData": [{"timestamp": at(t0 + time::Duration::minutes(5)), "sampledValue": [{"value": "1000", "unit": "Wh", "context": "Transaction.Begin"}]}]});
    first.call("StopTransaction", replayed).await;

    let operator = operator_token(&http, &backend).await;
    let w = window();

    // Revenue equals the receipts, summed independently from the drivers' sessions.
    let expected = receipts(&http, &backend, &[&alice, &bob]).await;
    assert_eq!(expected["EUR"][0], 4, "two app sessions, a card session, a replayed one");
    let revenue = report(&http, &backend, &operator, &format!("revenue?{w}&group_by=total")).await;
    let totals = &revenue["totals"][0];
    let got = ["sessions", "energy_wh", "total_excl_vat_minor", "total_vat_minor", "total_incl_vat_minor"].map(|k| totals[k].as_i64().unwrap());
    assert_eq!((totals["currency"].as_str().unwrap(), got), ("EUR", expected["EUR"]));
    for (group, period) in [("charger", "day"), ("site", "week"), ("total", "month")] {
        let r = report(&http, &backend, &operator, &format!("revenue?{w}&group_by={group}&period={period}")).await;
        let sum: i64 = r["rows"].as_array().unwrap().iter().map(|row| row["total_incl_vat_minor"].as_i64().unwrap()).sum();
        assert_eq!(sum, expected["EUR"][4], "rows by {group} per {period} add up");
    }
    let by_charger = report(&http, &backend, &operator, &format!("revenue?{w}&group_by=charger")).await;
    assert!(by_charger["rows"].as_array().unwrap().iter().all(|r| r["site"] == "Depot"));
    // Payment state: Bob's wallet session captured, the others unpaid.
    let states: BTreeMap<String, i64> =
        revenue["payment_states"].as_array().unwrap().iter().map(|p| (p["state"].as_str().unwrap().to_owned(), p["sessions"].as_i64().unwrap())).collect();
    assert_eq!(states, BTreeMap::from([("captured".to_owned(), 1), ("unpaid".to_owned(), 3)]), "{}", revenue["payment_states"]);

    // CSV: the same rows.
    let csv = http.get(format!("{base}/v1/operator/reports/revenue.csv?{w}&group_by=total")).bearer_auth(&operator).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let incl = header.iter().position(|h| *h == "total_incl_vat_minor").unwrap();
    let csv_sum: i64 = lines.map(|l| l.split(',').nth(incl).unwrap().parse::<i64>().unwrap()).sum();
    assert_eq!(csv_sum, expected["EUR"][4]);

    // Performance per charger.
    let performance = report(&http, &backend, &operator, &format!("performance?{w}")).await;
    let row = |id: &str| performance["rows"].as_array().unwrap().iter().find(|r| r["charger_id"] == id).unwrap().clone();
    let a = row(CHARGER_ID);
    assert_eq!((a["sessions_completed"].as_i64(), a["sessions_failed"].as_i64()), (Some(3), Some(1)));
    assert_eq!(a["success_rate"].as_f64(), Some(0.75));
    assert_eq!(a["failure_reasons"][0]["reason"], "The charger refused to start.");
    assert_eq!(a["peak_power_w"], 50_000, "the highest power a session reported");
    assert_eq!(a["time_to_start"]["sessions"], 2, "app starts only");
    assert!(a["time_to_start"]["avg_ms"].as_i64().unwrap() < 60_000);
    assert_eq!(a["energy_wh"], 12_000 + 30_000 + 1_000);
    let b = row(SECOND);
    assert_eq!(b["faults"], json!([{"error_code": "GroundFailure", "reports": 1}]));
    for r in performance["rows"].as_array().unwrap() {
        let av = &r["availability"];
        let parts: i64 = ["available_ms", "charging_ms", "faulted_ms", "unavailable_ms", "offline_ms", "unknown_ms"].iter().map(|k| av[k].as_i64().unwrap()).sum();
        assert_eq!(parts, av["observed_ms"].as_i64().unwrap(), "{}", r["charger_id"]);
    }
    assert!(a["availability"]["observed_ms"].as_i64().unwrap() > 0, "observed since it connected");
    let by_site = report(&http, &backend, &operator, &format!("performance?{w}&group_by=site")).await;
    let depot = by_site["rows"].as_array().unwrap().iter().find(|r| r["site"] == "Depot").unwrap();
    assert_eq!((depot["chargers"].as_i64(), depot["sessions_completed"].as_i64()), (Some(2), Some(4)));

    // Authentication.
    let auth = report(&http, &backend, &operator, &format!("authentication?{w}")).await;
    let method = |m: &str| auth["by_method"].as_array().unwrap().iter().find(|r| r["method"] == m).unwrap().clone();
    assert_eq!((method("app")["accepted"].as_i64(), method("app")["refused"].as_i64()), (Some(2), Some(1)));
    // Card: Authorize accepted, its StartTransaction accepted, ConcurrentTx, two unknown (counted as cards).
    assert_eq!((method("rfid")["accepted"].as_i64(), method("rfid")["refused"].as_i64()), (Some(2), Some(3)));
    assert_eq!(auth["unknown_tokens"], json!([{
        "id_tag": "DEADBEEF01", "attempts": 2, "chargers": 2,
        "first_at": auth["unknown_tokens"][0]["first_at"], "last_at": auth["unknown_tokens"][0]["last_at"]
    }]));
    assert_eq!(auth["concurrent_refusals"], 1);
    let uses = auth["concurrent_uses"].as_array().unwrap();
    assert_eq!(uses.len(), 1, "{uses:?}");
    assert_eq!((uses[0]["id_tag"].as_str(), uses[0]["first_charger_id"].as_str(), uses[0]["second_charger_id"].as_str()), (Some(CARD), Some(SECOND), Some(CHARGER_ID)));
    let log = report(&http, &backend, &operator, &format!("authorization-log?{w}&limit=2")).await;
    assert_eq!(log["entries"].as_array().unwrap().len(), 2);
    let older = report(&http, &backend, &operator, &format!("authorization-log?{w}&before={}", log["next_before"])).await;
    // Every decision is in the log: the five on tokens shown at chargers and the three app starts
    // the figures count (the log was empty of app starts while the figures counted them).
    let entries: Vec<&Value> = log["entries"].as_array().unwrap().iter().chain(older["entries"].as_array().unwrap()).collect();
    assert_eq!(entries.len(), 8, "newest first, in two pages: {entries:?}");
    assert!(older["entries"][0]["id"].as_i64() < log["entries"][1]["id"].as_i64());
    let app: Vec<(&str, Option<&str>)> = entries.iter().filter(|e| e["method"] == "app").map(|e| (e["result"].as_str().unwrap(), e["reason"].as_str())).collect();
    assert_eq!(app.iter().filter(|(result, _)| *result == "Accepted").count(), 2, "{app:?}");
    assert!(app.contains(&("Failed", Some("The charger refused to start."))), "{app:?}");

    // Metrics: the same figures, for the scrape token or an operator, never for anyone else.
    let metrics = |auth: Option<&str>| {
        let mut request = http.get(format!("{base}/metrics"));
        if let Some(token) = auth {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(metrics(None).await.unwrap().status(), 401);
    assert_eq!(metrics(Some(&alice)).await.unwrap().status(), 401);
    assert_eq!(metrics(Some(&operator)).await.unwrap().status(), 200);
    let scraped = metrics(Some(METRICS_TOKEN)).await.unwrap();
    assert_eq!(scraped.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let text = scraped.text().await.unwrap();
    let sample = |name: &str| -> i64 {
        text.lines().filter(|l| l.starts_with(name) && (l.as_bytes()[name.len()] == b'{' || l.as_bytes()[name.len()] == b' '))
            .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap() as i64).sum()
    };
    assert_eq!(sample("chargekit_revenue_excl_vat_minor_units_total") + sample("chargekit_revenue_vat_minor_units_total"), expected["EUR"][4]);
    assert_eq!(sample("chargekit_energy_delivered_joules_total"), expected["EUR"][1] * 3600);
    assert!(text.contains(&format!("chargekit_sessions_total{{charger=\"{CHARGER_ID}\",method=\"app\",outcome=\"failed\"}} 1")), "{text}");
    assert!(text.contains(&format!("chargekit_session_failures_total{{charger=\"{CHARGER_ID}\",reason=\"charger_refused\"}} 1")));
    assert!(text.contains(&format!("chargekit_charger_faults_total{{charger=\"{SECOND}\",error_code=\"GroundFailure\"}} 1")));
    assert!(text.contains(&format!("chargekit_charger_connected{{charger=\"{SECOND}\"}} 1")));
    assert!(text.contains("chargekit_auth_attempts_total{method=\"rfid\",result=\"ConcurrentTx\"} 1"));
    assert_eq!(sample("chargekit_token_concurrent_uses_total"), 1);
    assert!(!text.contains(CARD) && !text.contains("DEADBEEF"), "no id tag is ever a label");
    first.close().await;
    second.close().await;
    backend.server.shutdown().await;
}

#[tokio::test]
async fn reports_are_for_operators_only_and_say_what_is_wrong() {
    let backend = monitored_backend(|_| {}).await;
    let http = http_client();
    let base = backend.server.base_url();
    let driver = register_driver(&http, &backend, "dana@example.com").await;
    let operator = operator_token(&http, &backend).await;
    for path in ["revenue", "revenue.csv", "performance", "performance.csv", "authentication", "authentication.csv", "authorization-log", "authorization-log.csv"] {
        let url = format!("{base}/v1/operator/reports/{path}");
        assert_eq!(http.get(&url).send().await.unwrap().status(), 401, "{path} without a token");
        assert_eq!(http.get(&url).bearer_auth(&driver).send().await.unwrap().status(), 401, "{path} with a driver's token");
        assert_eq!(http.get(&url).bearer_auth(&operator).send().await.unwrap().status(), 200, "{path}");
    }
    for (query, says) in [("from=2026-13-01", "YYYY-MM-DD"), ("from=2026-03-02&to=2026-03-01", "after"), ("period=year", "period"), ("group_by=driver", "group_by")] {
        let response = http.get(format!("{base}/v1/operator/reports/revenue?{query}")).bearer_auth(&operator).send().await.unwrap();
        assert_eq!(response.status(), 422, "{query}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], "invalid_input");
        assert!(error["message"].as_str().unwrap().contains(says), "{query}: {error}");
    }
    // The reports are in the OpenAPI document, under the operator tag.
    let doc: Value = http.get(format!("{base}/openapi.json")).send().await.unwrap().json().await.unwrap();
    for path in ["/v1/operator/reports/revenue", "/v1/operator/reports/performance", "/v1/operator/reports/authentication", "/v1/operator/reports/authorization-log", "/metrics"] {
        assert_eq!(doc["paths"][path]["get"]["tags"], json!(["operator"]), "{path}");
    }
    // The dashboard is served from the binary, locked to its own origin.
    let page = http.get(format!("{base}/dashboard/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
    assert!(page.text().await.unwrap().contains("app.js"));
    assert_eq!(http.get(format!("{base}/dashboard/app.js")).send().await.unwrap().status(), 200);
    backend.server.shutdown().await;
}

#[tokio::test]
async fn a_silent_charger_leaves_a_heartbeat_gap_and_a_reconnection_does_not() {
    // Heartbeats every second: more than 2 s of silence is a gap.
    let backend = monitored_backend(|config| config.heartbeat_interval_secs = 1).await;
    let http = http_client();
    let operator = operator_token(&http, &backend).await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    boot(&mut charger).await;
    charger.call("Heartbeat", json!({})).await;
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    charger.call("Heartbeat", json!({})).await;
    // Offline for a while, then back: that is offline time, not a silent connection.
    charger.close().await;
    tokio::time::sleep(Duration::from_millis(2_600)).await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    charger.call("Heartbeat", json!({})).await;

    let performance = report(&http, &backend, &operator, &format!("performance?{}", window())).await;
    let row = performance["rows"].as_array().unwrap().iter().find(|r| r["charger_id"] == CHARGER_ID).unwrap();
    assert_eq!(row["heartbeat_gaps"]["gaps"], 1, "{}", row["heartbeat_gaps"]);
    let seconds = row["heartbeat_gaps"]["longest_seconds"].as_i64().unwrap();
    assert!((2..10).contains(&seconds), "{seconds}");
    assert!(row["availability"]["offline_ms"].as_i64().unwrap() >= 2_000, "the reconnection shows as offline time");
    let text = http.get(format!("{}/metrics", backend.server.base_url())).bearer_auth(METRICS_TOKEN).send().await.unwrap().text().await.unwrap();
    assert!(text.contains(&format!("chargekit_heartbeat_gaps_total{{charger=\"{CHARGER_ID}\"}} 1")), "{text}");
    assert!(text.contains(&format!("chargekit_charger_last_heartbeat_timestamp_seconds{{charger=\"{CHARGER_ID}\"}}")));
    charger.close().await;
    backend.server.shutdown().await;
}

/// Every report, its CSV twin and `/metrics` answer 200 for an operator.
async fn every_report_answers(http: &reqwest::Client, backend: &Backend, token: &str, w: &str) {
    let base = backend.server.base_url();
    for report in ["revenue", "performance", "authentication", "authorization-log"] {
        for format in ["", ".csv"] {
            for query in ["", "&group_by=site&period=week", "&group_by=total&period=month"] {
                let url = format!("{base}/v1/operator/reports/{report}{format}?{w}{query}");
                let response = http.get(&url).bearer_auth(token).send().await.unwrap();
                assert_eq!(response.status(), 200, "{report}{format}{query}: {}", response.text().await.unwrap());
            }
        }
    }
    let metrics = http.get(format!("{base}/metrics")).bearer_auth(METRICS_TOKEN).send().await.unwrap();
    assert_eq!(metrics.status(), 200, "/metrics: {}", metrics.text().await.unwrap());
}

/// The second charger's figures in the revenue and performance reports and `/metrics`:
/// (sessions, energy, excl. VAT, VAT, incl. VAT).
async fn second_chargers_figures(http: &reqwest::Client, backend: &Backend, token: &str, w: &str) -> ([i64; 5], i64, i64) {
    let revenue = report(http, backend, token, &format!("revenue?{w}&group_by=charger&period=month")).await;
    let rows: Vec<&Value> = revenue["rows"].as_array().unwrap().iter().filter(|r| r["charger_id"] == SECOND).collect();
    assert_eq!(rows.len(), 1, "{}", revenue["rows"]);
    let figures = ["sessions", "energy_wh", "total_excl_vat_minor", "total_vat_minor", "total_incl_vat_minor"].map(|k| rows[0][k].as_i64().unwrap());
    let performance = report(http, backend, token, &format!("performance?{w}")).await;
    let row = performance["rows"].as_array().unwrap().iter().find(|r| r["charger_id"] == SECOND).unwrap().clone();
    let text = http.get(format!("{}/metrics", backend.server.base_url())).bearer_auth(METRICS_TOKEN).send().await.unwrap().text().await.unwrap();
    let energy_line = format!("chargekit_energy_delivered_joules_total{{charger=\"{SECOND}\"}} ");
    let metered_joules: i64 = text.lines().find_map(|l| l.strip_prefix(&energy_line)).unwrap_or_else(|| panic!("{text}")).parse().unwrap();
    (figures, row["energy_wh"].as_i64().unwrap(), metered_joules / 3600)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_charger_s_extreme_readings_break_no_report() {
    let mut config = None;
    let backend = monitored_backend(|c| config = Some(c.clone())).await;
    let config = config.unwrap();
    let http = http_client();
    let base = backend.server.base_url();
    let alice = register_driver(&http, &backend, "alice@example.com").await;
    let bob = register_driver(&http, &backend, "bob@example.com").await;
    let bobs_card = "04B0B0B0B0B0B0";
    for (driver, uid) in [(&alice, CARD), (&bob, bobs_card)] {
        let card = json!({"kind": "rfid", "uid": uid});
        assert_eq!(http.post(format!("{base}/v1/tokens")).bearer_auth(driver).json(&card).send().await.unwrap().status(), 201);
    }
    let mut hostile = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    let mut honest = RawCharger::connect(&backend.server.ocpp_url(), SECOND).await;
    boot(&mut hostile).await;
    boot(&mut honest).await;

    // Bob charges normally at the second charger: the figures that must stay right.
    let t0 = OffsetDateTime::now_utc() - time::Duration::minutes(30);
    let started = honest.call("StartTransaction", json!({"connectorId": 1, "idTag": bobs_card, "meterStart": 500, "timestamp": at(t0)})).await;
    let tx = started["transactionId"].as_i64().unwrap();
    honest.call("StopTransaction", json!({"transactionId": tx, "meterStop": 7_500, "timestamp": at(t0 + time::Duration::minutes(20)), "reason": "Local"})).await;

    // The first charger: meterStart 0, meterStop i64::MAX.
    let now = OffsetDateTime::now_utc();
    let started = hostile.call("StartTransaction", json!({"connectorId": 1, "idTag": CARD, "meterStart": 0, "timestamp": at(now - time::Duration::minutes(5))})).await;
    let tx = started["transactionId"].as_i64().unwrap();
    hostile.call("StopTransaction", json!({"transactionId": tx, "meterStop": HUGE_READING, "timestamp": at(now), "reason": "Local"})).await;
    // Then an app start the charger dates 2000-01-01 (time to start and charging time from a
    // clock 26 years off), at a power no charger has, stopped at i64::MAX again.
    let start = tokio::spawn(http.post(format!("{base}/v1/sessions")).bearer_auth(&alice).json(&json!({"evse_id": EVSE_ID})).send());
    let (id, action, payload) = hostile.expect_call().await;
    assert_eq!(action, "RemoteStartTransaction");
    hostile.send_frame(json!([3, id, {"status": "Accepted"}])).await;
    assert!(start.await.unwrap().unwrap().status().is_success());
    let id_tag = payload["idTag"].as_str().unwrap();
    let started = hostile.call("StartTransaction", json!({"connectorId": 1, "idTag": id_tag, "meterStart": 0, "timestamp": "2000-01-01T00:00:00Z"})).await;
    let tx = started["transactionId"].as_i64().unwrap();
    let huge_power = json!({"timestamp": at(now), "sampledValue": [
        {"value": "3000000000000000000", "unit": "W", "measurand": "Power.Active.Import", "phase": "L1"},
        {"value": "3000000000000000000", "unit": "W", "measurand": "Power.Active.Import", "phase": "L2"},
        {"value": "3000000000000000", "unit": "kW", "measurand": "Power.Active.Import", "phase": "L3"}
    ]});
    hostile.call("MeterValues", json!({"connectorId": 1, "transactionId": tx, "meterValue": [huge_power]})).await;
    hostile.call("StopTransaction", json!({"transactionId": tx, "meterStop": HUGE_READING, "timestamp": at(OffsetDateTime::now_utc()), "reason": "Remote"})).await;
    // A card session replayed from 1970 to 9999 with a negative start reading.
    let replayed = json!({"transactionId": 90_002, "idTag": CARD, "meterStop": HUGE_READING, "timestamp": "9999-12-31T23:59:59Z", "reason": "Local",
        "transactionData": [{"timestamp": "1970-01-01T00:00:00Z", "sampledValue": [{"value": "-5", "unit": "Wh", "context": "Transaction.Begin"}]}]});
    hostile.call("StopTransaction", replayed).await;

    // What the charger could not send (the pricing of a reading of i64::MAX is not this test's
    // concern): a row as an older version could have stored it, written beside the server.
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(backend.dir.path().join("server.db"));
    let db = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let cost = json!({"currency": "EUR", "items": [], "total_excl_vat_minor": i64::MAX, "total_vat_minor": i64::MAX, "total_incl_vat_minor": i64::MIN});
    let rewritten = sqlx::query("UPDATE sessions SET meter_start_wh = ?, meter_stop_wh = ?, cost = ?, power_w = ? WHERE charger_id = ?")
        .bind(i64::MIN)
        .bind(i64::MAX)
        .bind(cost.to_string())
        .bind(i64::MAX)
        .bind(CHARGER_ID)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(rewritten.rows_affected(), 3, "the first charger's three sessions");
    db.close().await;

    let operator = operator_token(&http, &backend).await;
    let w = window();
    let expected = receipts(&http, &backend, &[&bob]).await["EUR"];
    assert_eq!((expected[0], expected[1]), (1, 7_000));
    every_report_answers(&http, &backend, &operator, &w).await;
    assert_eq!(second_chargers_figures(&http, &backend, &operator, &w).await, (expected, 7_000, 7_000));
    hostile.close().await;
    honest.close().await;

    // The same after a restart on the same database.
    backend.server.shutdown().await;
    let backend = Backend { server: chargekit_server::start(config).await.expect("server restarts"), dir: backend.dir };
    let operator = operator_token(&http, &backend).await;
    every_report_answers(&http, &backend, &operator, &w).await;
    assert_eq!(second_chargers_figures(&http, &backend, &operator, &w).await, (expected, 7_000, 7_000));
    backend.server.shutdown().await;
}
const HUGE_READING: i64 = i64::MAX / 2;

/// An operator finds sessions by charger, state, method, driver email or token, a page at a
/// time, and opens one: its meter curve is the samples the charger sent, its cost the driver's,
/// its payment and receipt as they are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_find_sessions_and_open_one() {
    let backend = monitored_backend(|_| {}).await;
    let http = http_client();
    let base = backend.server.base_url();
    let alice = register_driver(&http, &backend, "alice@example.com").await;
    let bob = register_driver(&http, &backend, "bob@example.com").await;
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    boot(&mut charger).await;
    let top_up = json!({"amount_minor": 10_000, "currency": "EUR"});
    let topped = http.post(format!("{base}/v1/wallet/top-ups")).bearer_auth(&alice).header("Idempotency-Key", "t1").json(&top_up).send().await.unwrap();
    assert!(topped.status().is_success());
    let paid = json!({"evse_id": EVSE_ID, "payment": {"type": "wallet"}});
    assert!(app_session(&http, &backend, &alice, &mut charger, true, paid, (12_000, 22_000)).await.is_success());
    assert_eq!(app_session(&http, &backend, &bob, &mut charger, false, json!({"evse_id": EVSE_ID}), (0, 0)).await, 409);
    let alices = chargekit_tests::sessions_of(&http, &backend, &alice).await;
    let alice_session = alices[0].clone();
    let bob_session = chargekit_tests::sessions_of(&http, &backend, &bob).await[0].clone();
    let alice_tag = {
        let tokens: Value = http.get(format!("{base}/v1/tokens")).bearer_auth(&alice).send().await.unwrap().json().await.unwrap();
        tokens.as_array().unwrap().iter().find(|t| t["kind"] == "app").unwrap()["id_tag"].as_str().unwrap().to_owned()
    };

    let operator = operator_token(&http, &backend).await;
    let w = window();
    let search = |query: String| {
        let (http, operator) = (http.clone(), operator.clone());
        let url = format!("{base}/v1/operator/sessions?{w}&{query}");
        async move { http.get(url).bearer_auth(&operator).send().await.unwrap() }
    };
    let ids = |page: &Value| page["sessions"].as_array().unwrap().iter().map(|s| s["session"]["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let (a, b) = (alice_session["id"].as_str().unwrap().to_owned(), bob_session["id"].as_str().unwrap().to_owned());

    let all: Value = search(String::new()).await.json().await.unwrap();
    assert_eq!(ids(&all), [b.clone(), a.clone()], "newest first");
    assert_eq!(all["sessions"][0]["driver_email"], "bob@example.com");
    for (query, expected) in [
        ("status=failed".to_owned(), vec![b.clone()]),
        ("status=completed&method=app".to_owned(), vec![a.clone()]),
        ("driver=ALICE@example.com".to_owned(), vec![a.clone()]),
        (format!("token={}", alice_tag.to_lowercase()), vec![a.clone()]),
        (format!("charger={CHARGER_ID}"), vec![b.clone(), a.clone()]),
        (format!("charger={SECOND}"), vec![]),
        ("method=rfid".to_owned(), vec![]),
    ] {
        let page: Value = search(query.clone()).await.json().await.unwrap();
        assert_eq!(ids(&page), expected, "{query}");
    }
    // A page at a time.
    let first: Value = search("limit=1".into()).await.json().await.unwrap();
    assert_eq!(ids(&first), [b.clone()]);
    let rest: Value = search(format!("limit=1&after={}", first["next_after"].as_str().unwrap())).await.json().await.unwrap();
    assert_eq!(ids(&rest), [a.clone()]);
    // Bad input is named; a driver is no operator.
    let bad = search("status=finished".into()).await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("status must be one of"));
    let as_driver = http.get(format!("{base}/v1/operator/sessions")).bearer_auth(&alice).send().await.unwrap();
    assert_eq!(as_driver.status(), 401);

    // Alice's session in full.
    let detail: Value = http.get(format!("{base}/v1/operator/sessions/{a}")).bearer_auth(&operator).send().await.unwrap().json().await.unwrap();
    let curve: Vec<(i64, i64)> = detail["samples"].as_array().unwrap().iter().map(|p| (p["energy_wh"].as_i64().unwrap(), p["power_w"].as_i64().unwrap())).collect();
    assert_eq!(curve, [(13_000, 11_000), (16_000, 22_000), (19_000, 7_333)], "the samples app_session sent");
    assert_eq!(detail["session"]["cost"], alice_session["cost"], "the priced lines are the driver's bill");
    assert_eq!(detail["payment"]["method"], "wallet");
    assert_eq!(detail["payment"]["status"], "captured");
    assert_eq!(detail["payment"]["captured_minor"], alice_session["cost"]["total_incl_vat_minor"]);
    assert_eq!(detail["receipt_issued"], true);
    assert_eq!(detail["id_tag"].as_str().unwrap(), alice_tag);
    assert!(detail["transaction_id"].is_i64());
    assert_eq!(detail["meter_start_wh"], 10_000);
    let bobs: Value = http.get(format!("{base}/v1/operator/sessions/{b}")).bearer_auth(&operator).send().await.unwrap().json().await.unwrap();
    assert_eq!((bobs["samples"].as_array().unwrap().len(), bobs["receipt_issued"].as_bool()), (0, Some(false)));
    assert_eq!(bobs["session"]["failure_reason"], "The charger refused to start.");
    let missing = http.get(format!("{base}/v1/operator/sessions/no-such-session")).bearer_auth(&operator).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    backend.server.shutdown().await;
}
