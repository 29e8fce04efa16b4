//! Chargers that refuse, or accept and never start: the driver gets a clear failure, the
//! session ends as failed, and failed sessions page like any other.

use std::time::Duration;

use chargekit_core::{ChargeKitError, HistoryQuery, SessionState};
use chargekit_sim::RemoteStartBehavior;
use chargekit_tests::{EVSE_ID, app, backend_with, charger_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusing_charger_gives_a_clear_error_and_failed_sessions_page() {
    let backend = backend_with(|_| {}).await;
    let charger = charger_with(&backend, |c| c.remote_start = RemoteStartBehavior::Reject).await;
    let app = app(&backend, "phone");
    app.sign_up("ivy@example.com".into(), "correct horse battery".into()).await.unwrap();

    for _ in 0..3 {
        match app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await {
            Err(ChargeKitError::ChargerRefused { message }) => assert!(message.contains("refused"), "{message}"),
            other => panic!("expected ChargerRefused, got {other:?}"),
        }
    }
    assert!(charger.transactions().is_empty());

    // Three failed sessions, newest first, in pages of two (through the driver API).
    let sessions = app.sync_history(10).await.unwrap();
    assert_eq!(sessions.len(), 3);
    assert!(sessions.iter().all(|s| s.state == SessionState::Failed && s.is_final && s.cost_minor == 0));
    assert!(sessions.windows(2).all(|w| w[0].created_at >= w[1].created_at));
    let http = chargekit_tests::http_client();
    let token = chargekit_tests::api_token(&http, &backend, "ivy@example.com", "correct horse battery").await;
    let page = |offset: u32| {
        let url = format!("{}/v1/sessions?limit=2&offset={offset}", backend.server.base_url());
        let request = http.get(url).bearer_auth(token.clone()).send();
        async move { request.await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let first = page(0).await;
    assert_eq!(first["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(first["next_offset"], 2);
    let second = page(2).await;
    assert_eq!(second["sessions"].as_array().unwrap().len(), 1);
    assert!(second.get("next_offset").is_none());
    let ids: Vec<_> = [&first, &second].iter().flat_map(|p| p["sessions"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_owned())).collect();
    assert_eq!(ids, sessions.iter().map(|s| s.id.clone()).collect::<Vec<_>>());

    // The cache filters by charger and by month, and pages, with no network needed.
    let query = |evse_id: Option<&str>, year: Option<i32>, month: Option<u8>| HistoryQuery { evse_id: evse_id.map(str::to_owned), year, month };
    let now = time::OffsetDateTime::now_utc();
    let this_month = (Some(now.year()), Some(u8::from(now.month())));
    assert_eq!(app.history_filtered(query(Some("DE*CKT*E0002*1"), None, None), 10, 0, "UTC".into()).unwrap().len(), 0, "another charger");
    assert_eq!(app.history_filtered(query(Some("DE*CKT*E0001*1"), None, None), 10, 0, "UTC".into()).unwrap().len(), 3);
    assert_eq!(app.history_filtered(query(Some("deckte00011"), None, None), 10, 0, "UTC".into()).unwrap().len(), 3, "typed without separators");
    assert_eq!(app.history_filtered(query(None, this_month.0, this_month.1), 2, 2, "UTC".into()).unwrap().len(), 1, "the third of three");
    assert_eq!(app.history_filtered(query(None, Some(2001), Some(1)), 10, 0, "UTC".into()).unwrap().len(), 0);
    assert!(matches!(app.history_filtered(query(None, Some(2026), None), 10, 0, "UTC".into()), Err(ChargeKitError::InvalidInput { .. })));
    assert!(matches!(app.history_filtered(query(None, Some(2026), Some(13)), 10, 0, "UTC".into()), Err(ChargeKitError::InvalidInput { .. })));

    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charger_that_accepts_but_never_starts_fails_the_session_in_bounded_time() {
    let backend = backend_with(|c| c.start_timeout = Duration::from_millis(500)).await;
    let charger = charger_with(&backend, |c| c.remote_start = RemoteStartBehavior::AcceptButNeverStart).await;
    let app = app(&backend, "phone");
    app.sign_up("jo@example.com".into(), "correct horse battery".into()).await.unwrap();

    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    assert_eq!(session.state, SessionState::Starting);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let failed = loop {
        let current = app.session(session.id.clone()).await.unwrap();
        if current.state != SessionState::Starting {
            break current;
        }
        assert!(tokio::time::Instant::now() < deadline, "the session never failed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed.state, SessionState::Failed);
    assert!(failed.failure_reason.as_deref().is_some_and(|r| r.contains("did not start")), "{failed:?}");

    // The connector is free again for the next try.
    match app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await {
        Ok(next) => assert_ne!(next.id, session.id),
        Err(e) => panic!("the connector stayed blocked: {e}"),
    }
    charger.shutdown().await;
    backend.server.shutdown().await;
}
