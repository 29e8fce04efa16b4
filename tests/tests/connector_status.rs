//! A connector's status, typed from the charger's StatusNotification to the app: the driver API
//! sends the OCPP name, the core gives the app a typed status and what it means for the driver
//! (never a raw name to show), the operator's availability report and `/metrics` count it as
//! before, and a status the database holds that this version does not know reads as unknown.

use std::time::Duration;

use chargekit_core::{ConnectorAvailability, ConnectorStatus};
use chargekit_server::OperatorSeed;
use chargekit_tests::raw_charger::RawCharger;
use chargekit_tests::{Backend, CHARGER_ID, EVSE_ID, app, backend_with, http_client, register_driver};
use serde_json::{Value, json};

const OPERATOR: &str = "ops";
const OPERATOR_PASSWORD: &str = "a long operator password";
const METRICS_TOKEN: &str = "prometheus-scrape-token-0123456789";

async fn evse_json(http: &reqwest::Client, backend: &Backend, bearer: &str) -> Value {
    let url = format!("{}/v1/evses/{}", backend.server.base_url(), EVSE_ID.replace('*', ""));
    http.get(url).bearer_auth(bearer).send().await.unwrap().json().await.unwrap()
}

/// The `chargekit_connector_status` samples of connector 1 that read 1.
async fn metric_statuses(http: &reqwest::Client, backend: &Backend) -> Vec<String> {
    let text = http.get(format!("{}/metrics", backend.server.base_url())).bearer_auth(METRICS_TOKEN).send().await.unwrap().text().await.unwrap();
    let prefix = format!("chargekit_connector_status{{charger=\"{CHARGER_ID}\",connector=\"1\",status=\"");
    text.lines().filter_map(|l| l.strip_prefix(&prefix)).filter_map(|rest| rest.strip_suffix("\"} 1")).map(str::to_owned).collect()
}

async fn status(charger: &mut RawCharger, status: &str, error_code: &str) {
    charger.call("StatusNotification", json!({"connectorId": 1, "errorCode": error_code, "status": status})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_are_typed_from_the_charger_to_the_app_and_counted_as_before() {
    let backend = backend_with(|config| {
        config.operators.push(OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() });
        config.metrics_token = Some(METRICS_TOKEN.into());
    })
    .await;
    let http = http_client();
    let bearer = register_driver(&http, &backend, "status@example.com").await;
    let app = app(&backend, "phone");
    app.sign_in("status@example.com".into(), "correct horse battery".into()).await.unwrap();
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    charger.call("BootNotification", json!({"chargePointVendor": "Test", "chargePointModel": "Raw"})).await;

    // Before any report: unknown, and a start is still offered (the backend refuses a busy one).
    let evse = app.lookup_evse(EVSE_ID.into()).await.unwrap();
    assert_eq!((evse.status, evse.availability, evse.can_start), (ConnectorStatus::Unknown, ConnectorAvailability::Unknown, true));
    assert_eq!(evse_json(&http, &backend, &bearer).await["status"], "Unknown");
    assert_eq!(metric_statuses(&http, &backend).await, ["Unknown"]);

    let cases = [
        ("Available", "NoError", ConnectorStatus::Available, ConnectorAvailability::Available, true),
        ("Preparing", "NoError", ConnectorStatus::Preparing, ConnectorAvailability::Available, true),
        ("SuspendedEVSE", "NoError", ConnectorStatus::SuspendedEvse, ConnectorAvailability::Charging, false),
        ("Finishing", "NoError", ConnectorStatus::Finishing, ConnectorAvailability::Occupied, false),
        ("Faulted", "GroundFailure", ConnectorStatus::Faulted, ConnectorAvailability::Faulted, false),
    ];
    for (name, error_code, typed, availability, can_start) in cases {
        status(&mut charger, name, error_code).await;
        let evse = app.lookup_evse(EVSE_ID.into()).await.unwrap();
        assert_eq!((evse.status, evse.availability, evse.can_start), (typed, availability, can_start), "after {name}");
        assert_eq!(evse_json(&http, &backend, &bearer).await["status"], name, "the driver API sends the OCPP name");
        assert_eq!(metric_statuses(&http, &backend).await, [name], "/metrics labels are the OCPP names");
        // Long enough for each state to show in the availability report.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // The report counts as it always did: Available, Preparing and Finishing as available,
    // SuspendedEVSE as charging, Faulted as faulted.
    let operator = operator_token(&http, &backend).await;
    let figures = availability(&http, &backend, &operator).await;
    let ms = |k: &str| figures[k].as_i64().unwrap_or_else(|| panic!("{k} in {figures:#}"));
    assert!(ms("available_ms") >= 900 && ms("available_ms") < 3_000, "{figures:#}");
    assert!(ms("charging_ms") >= 300 && ms("charging_ms") < 1_500, "{figures:#}");
    assert!(ms("faulted_ms") >= 300, "{figures:#}");
    assert_eq!(ms("unavailable_ms"), 0, "{figures:#}");

    // Offline: the app is told so, whatever the charger said last.
    charger.close().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let evse = app.lookup_evse(EVSE_ID.into()).await.unwrap();
        if !evse.online {
            assert_eq!((evse.status, evse.availability, evse.can_start), (ConnectorStatus::Faulted, ConnectorAvailability::Offline, false));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "still online");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    backend.server.shutdown().await;
}

/// A status an older or newer server wrote, that this one does not know: read as unknown
/// everywhere, kept as it is in the database, and no error anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_status_this_version_does_not_know_reads_as_unknown() {
    let backend = backend_with(|config| {
        config.operators.push(OperatorSeed { username: OPERATOR.into(), password: OPERATOR_PASSWORD.into() });
        config.metrics_token = Some(METRICS_TOKEN.into());
    })
    .await;
    let http = http_client();
    let bearer = register_driver(&http, &backend, "unknown@example.com").await;
    let app = app(&backend, "phone");
    app.sign_in("unknown@example.com".into(), "correct horse battery".into()).await.unwrap();
    let mut charger = RawCharger::connect(&backend.server.ocpp_url(), CHARGER_ID).await;
    charger.call("BootNotification", json!({"chargePointVendor": "Test", "chargePointModel": "Raw"})).await;
    status(&mut charger, "Available", "NoError").await;

    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", backend.dir.path().join("server.db").display())).await.unwrap();
    sqlx::query("UPDATE evses SET status = 'Occupied' WHERE charger_id = ?").bind(CHARGER_ID).execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO connector_status_events (charger_id, connector_id, status, error_code, at) VALUES (?, 1, 'Occupied', 'NoError', ?)")
        .bind(CHARGER_ID)
        .bind(time::OffsetDateTime::now_utc())
        .execute(&pool)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let evse = app.lookup_evse(EVSE_ID.into()).await.unwrap();
    assert_eq!((evse.status, evse.availability, evse.can_start), (ConnectorStatus::Unknown, ConnectorAvailability::Unknown, true));
    assert_eq!(evse_json(&http, &backend, &bearer).await["status"], "Unknown", "never the raw text");
    assert_eq!(metric_statuses(&http, &backend).await, ["Unknown"]);
    let operator = operator_token(&http, &backend).await;
    let figures = availability(&http, &backend, &operator).await;
    assert!(figures["unknown_ms"].as_i64().unwrap() >= 300, "{figures:#}");
    let stored: String = sqlx::query_scalar("SELECT status FROM evses WHERE charger_id = ?").bind(CHARGER_ID).fetch_one(&pool).await.unwrap();
    assert_eq!(stored, "Occupied", "kept as it was");

    // The next report from the charger replaces it.
    status(&mut charger, "Charging", "NoError").await;
    let evse = app.lookup_evse(EVSE_ID.into()).await.unwrap();
    assert_eq!((evse.status, evse.availability), (ConnectorStatus::Charging, ConnectorAvailability::Charging));
    pool.close().await;
    charger.close().await;
    backend.server.shutdown().await;
}

async fn operator_token(http: &reqwest::Client, backend: &Backend) -> String {
    let body = json!({"username": OPERATOR, "password": OPERATOR_PASSWORD});
    let response = http.post(format!("{}/v1/operator/sign-in", backend.server.base_url())).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

/// The charger's availability figures of today (UTC).
async fn availability(http: &reqwest::Client, backend: &Backend, token: &str) -> Value {
    let today = time::OffsetDateTime::now_utc().date();
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let url = format!("{}/v1/operator/reports/performance?from={}&to={}", backend.server.base_url(), day(today), day(today + time::Duration::days(1)));
    let response = http.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let report: Value = response.json().await.unwrap();
    report["rows"].as_array().unwrap().iter().find(|r| r["charger_id"] == CHARGER_ID).expect("the charger's row")["availability"].clone()
}
