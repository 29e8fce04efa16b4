//! Group commit: MeterValues that arrive together share one transaction (one disk sync), and
//! each is answered only once it is committed.
//!
//! The test holds the database's write lock itself, so that the messages of many chargers are
//! certainly waiting together (the server counts the writes waiting), then lets go and counts
//! the server's commits (SQLite's commit hook): one batch, not one per message.

use chargekit_server::ChargerSeed;
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, backend_with, http_client, register_driver};
use serde_json::{Value, json};
use sqlx::Connection;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const METRICS_TOKEN: &str = "prometheus-scrape-token-0123456789";
/// Fewer than the server's pool of 4 connections: a server that takes a connection per waiting
/// write (one transaction per message) can have them all waiting too, and then differs only in
/// what is measured here, the commits.
const CHARGERS: usize = 3;

fn charger_id(i: usize) -> String {
    format!("CKGROUP-{i:02}")
}

fn card(i: usize) -> String {
    format!("04A2B3C4D5E6{i:02}")
}

async fn metric(http: &reqwest::Client, backend: &Backend, name: &str) -> Option<i64> {
    let text = http.get(format!("{}/metrics", backend.server.base_url())).bearer_auth(METRICS_TOKEN).send().await.unwrap().text().await.unwrap();
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meter_values_that_arrive_together_share_one_commit() {
    let backend = backend_with(|config| {
        config.metrics_token = Some(METRICS_TOKEN.into());
        config.payments = chargekit_server::PaymentsConfig { unpaid_charging: true, ..Default::default() };
        config.chargers = (0..CHARGERS).map(|i| ChargerSeed::single(&charger_id(i), &format!("DE*CKT*E{:04}*1", 2000 + i))).collect();
    })
    .await;
    let http = http_client();
    let bearer = register_driver(&http, &backend, "kim@example.com").await;
    for i in 0..CHARGERS {
        let added = http.post(format!("{}/v1/tokens", backend.server.base_url())).bearer_auth(&bearer).json(&json!({"kind": "rfid", "uid": card(i)})).send().await.unwrap();
        assert_eq!(added.status(), 201);
    }
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::minutes(30);
    let at = |minutes: i64| (start + time::Duration::minutes(minutes)).format(&Rfc3339).unwrap();
    let mut chargers = Vec::new();
    for i in 0..CHARGERS {
        let mut charger = RawCharger::connect(&backend.server.ocpp_url(), &charger_id(i)).await;
        let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": card(i), "meterStart": 0, "timestamp": at(0)})).await;
        assert_eq!(started["idTagInfo"]["status"], "Accepted");
        chargers.push((charger, started["transactionId"].as_i64().unwrap()));
    }

    // Hold the write lock: every charger's MeterValues must wait for it.
    let database = backend.dir.path().join("server.db");
    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display())).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE").execute(&mut lock).await.unwrap();
    for (i, (charger, transaction_id)) in chargers.iter_mut().enumerate() {
        let wh = 1_000 + i64::try_from(i).unwrap();
        let sample = json!({"timestamp": at(1), "sampledValue": [{"value": wh.to_string(), "unit": "Wh"}]});
        charger.send_only("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample]})).await;
    }
    let expected = i64::try_from(CHARGERS).unwrap();
    let stats = backend.server.write_stats();
    // A server that needs a connection per waiting write never has them all waiting at once.
    let mut most = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while stats.queued() < expected {
        most = most.max(stats.queued());
        assert!(std::time::Instant::now() < deadline, "at most {most} of {CHARGERS} MeterValues' writes ever waited together");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    let commits_before = stats.commits();
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();

    for (charger, _) in &mut chargers {
        let answer: Value = charger.next_answer().await;
        assert_eq!(answer[0], json!(3), "MeterValues answered: {answer}");
    }
    let commits = stats.commits() - commits_before;
    assert_eq!(commits, 1, "{CHARGERS} MeterValues waiting together cost {commits} commits, not one batch");
    let shown = metric(&http, &backend, "chargekit_store_commits_total").await.expect("/metrics shows chargekit_store_commits_total");
    assert!(u64::try_from(shown).unwrap() >= commits_before + commits);

    // Each answered MeterValues is stored, and moved its session.
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM meter_values").fetch_one(&mut lock).await.unwrap();
    assert_eq!(stored, expected);
    let moved: Vec<(String, i64)> = sqlx::query_as("SELECT charger_id, meter_last_wh FROM sessions ORDER BY charger_id").fetch_all(&mut lock).await.unwrap();
    let wanted: Vec<(String, i64)> = (0..CHARGERS).map(|i| (charger_id(i), 1_000 + i64::try_from(i).unwrap())).collect();
    assert_eq!(moved, wanted);
    for (charger, _) in chargers {
        charger.close().await;
    }
    backend.server.shutdown().await;
}

/// BootNotifications (a fleet coming online after an outage) go through the same group: a
/// write outside it lost the write lock to the writer's back-to-back batches, and
/// BootNotifications took seconds during a ramp.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boot_notifications_that_arrive_together_share_one_commit() {
    let backend = backend_with(|config| {
        config.chargers = (0..CHARGERS).map(|i| ChargerSeed::single(&charger_id(i), &format!("DE*CKT*E{:04}*1", 2000 + i))).collect();
    })
    .await;
    let stats = backend.server.write_stats();
    let expected = i64::try_from(CHARGERS).unwrap();
    let database = backend.dir.path().join("server.db");
    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite://{}", database.display())).await.unwrap();
    let wait_for_all = || async {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while stats.queued() < expected {
            assert!(std::time::Instant::now() < deadline, "at most {} of {CHARGERS} writes ever waited together", stats.queued());
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    };

    // (Connections are recorded one at a time, in order, so they do not wait together.)
    let mut chargers = Vec::new();
    for i in 0..CHARGERS {
        chargers.push(RawCharger::connect(&backend.server.ocpp_url(), &charger_id(i)).await);
    }
    // Their connections are written first: one still on its way when the lock is taken would
    // hold the writer's turn, and the boots would queue behind it one by one.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (written,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM charger_connection_events WHERE event = 'connected'").fetch_one(&mut lock).await.unwrap();
        if written >= expected && stats.queued() == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{written} of {CHARGERS} connections written");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    sqlx::query("BEGIN IMMEDIATE").execute(&mut lock).await.unwrap();
    for charger in &mut chargers {
        charger.send_only("BootNotification", json!({"chargePointVendor": "Test", "chargePointModel": "Raw"})).await;
    }
    wait_for_all().await;
    let before = stats.commits();
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    for charger in &mut chargers {
        assert_eq!(charger.next_answer().await[2]["status"], "Accepted");
    }
    assert_eq!(stats.commits() - before, 1, "{CHARGERS} BootNotifications waiting together, one commit");
    for charger in chargers {
        charger.close().await;
    }
    backend.server.shutdown().await;
}

/// Chargers metering back to back keep the group writer taking the write lock batch after
/// batch. A write outside the group (a StartTransaction's) that waited in SQLite's busy handler,
/// which sleeps up to 100 ms between its tries, kept finding the lock taken again: it once
/// waited past 5 s behind 7 metering chargers. Writers now take the lock in the order they
/// asked for it, so the start waits a few batches at most: counted here in MeterValues answered
/// to each metering charger while the start waited, not in time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_transaction_gets_the_write_lock_in_its_turn_behind_chargers_metering_back_to_back() {
    const METERING: usize = 8;
    let starter = METERING;
    let backend = backend_with(|config| {
        config.payments = chargekit_server::PaymentsConfig { unpaid_charging: true, ..Default::default() };
        config.chargers = (0..=METERING).map(|i| ChargerSeed::single(&charger_id(i), &format!("DE*CKT*E{:04}*1", 2000 + i))).collect();
    })
    .await;
    let http = http_client();
    let bearer = register_driver(&http, &backend, "kim@example.com").await;
    for i in 0..=METERING {
        let added = http.post(format!("{}/v1/tokens", backend.server.base_url())).bearer_auth(&bearer).json(&json!({"kind": "rfid", "uid": card(i)})).send().await.unwrap();
        assert_eq!(added.status(), 201);
    }
    let start = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::minutes(30);
    let at = move |seconds: i64| (start + time::Duration::seconds(seconds)).format(&Rfc3339).unwrap();

    let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut answered = Vec::new();
    let mut metering = Vec::new();
    for i in 0..METERING {
        let mut charger = RawCharger::connect(&backend.server.ocpp_url(), &charger_id(i)).await;
        let started = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": card(i), "meterStart": 0, "timestamp": at(0)})).await;
        assert_eq!(started["idTagInfo"]["status"], "Accepted");
        let transaction_id = started["transactionId"].as_i64().unwrap();
        let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        answered.push(count.clone());
        let running = running.clone();
        let at = at.clone();
        metering.push(tokio::spawn(async move {
            let mut n: i64 = 0;
            while running.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let sample = json!({"timestamp": at(n.min(1_700)), "sampledValue": [{"value": (n * 10).to_string(), "unit": "Wh"}]});
                charger.call("MeterValues", json!({"connectorId": 1, "transactionId": transaction_id, "meterValue": [sample]})).await;
                count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            charger.close().await;
        }));
    }
    let counts = || answered.iter().map(|c| c.load(std::sync::atomic::Ordering::Relaxed)).collect::<Vec<_>>();
    // Every charger is metering before the start is sent.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while counts().iter().any(|&n| n < 5) {
        assert!(std::time::Instant::now() < deadline, "the chargers did not all get metering: {:?}", counts());
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), &charger_id(starter)).await;
    let before = counts();
    let started = tokio::spawn(async move {
        let answer = charger.call("StartTransaction", json!({"connectorId": 1, "idTag": card(starter), "meterStart": 0, "timestamp": at(0)})).await;
        charger.close().await;
        answer
    })
    .await;
    let during: Vec<u64> = counts().iter().zip(&before).map(|(after, before)| after - before).collect();
    running.store(false, std::sync::atomic::Ordering::Relaxed);
    for task in metering {
        task.await.unwrap();
    }
    // Each of the start's writes waits for the batch holding the lock, and each batch answers a
    // charger once. Its three writes (the transaction id, the authorization log, the session)
    // and a batch between each: a handful of answers, where the busy handler took hundreds.
    let most = *during.iter().max().unwrap();
    assert!(most <= 12, "while the StartTransaction waited, the metering chargers were answered {during:?} times");
    let started = started.expect("the StartTransaction is answered (not refused with an error)");
    assert_eq!(started["idTagInfo"]["status"], "Accepted");
    backend.server.shutdown().await;
}
