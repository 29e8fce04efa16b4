//! Incremental history sync by cursor, and what signing out leaves on the phone (nothing).

use chargekit_core::ChargeKitError;
use chargekit_sim::RemoteStartBehavior;
use chargekit_tests::{EVSE_ID, api_token, app, backend, charger_with, http_client};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_fetches_only_changes_and_sign_out_forgets_the_history() {
    let backend = backend().await;
    // Every start is refused, which leaves a failed session each time: quick to make.
    let charger = charger_with(&backend, |c| c.remote_start = RemoteStartBehavior::Reject).await;
    let phone = app(&backend, "phone");
    phone.sign_up("mo@example.com".into(), "correct horse battery".into()).await.unwrap();
    for _ in 0..2 {
        assert!(matches!(phone.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await, Err(ChargeKitError::ChargerRefused { .. })));
    }
    assert_eq!(phone.sync_history(10).await.unwrap().len(), 2);

    // The changes endpoint: everything after 0, nothing after the returned cursor.
    let http = http_client();
    let base = backend.server.base_url();
    let token = api_token(&http, &backend, "mo@example.com", "correct horse battery").await;
    let changes = |after: i64| {
        let request = http.get(format!("{base}/v1/sessions/changes?after={after}&limit=1")).bearer_auth(token.clone()).send();
        async move { request.await.unwrap().json::<Value>().await.unwrap() }
    };
    let first = changes(0).await;
    assert_eq!(first["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(first["more"], true, "limit 1 of 2 sessions");
    let mut cursor = first["cursor"].as_i64().unwrap();
    loop {
        let page = changes(cursor).await;
        cursor = page["cursor"].as_i64().unwrap();
        if page["more"] == false {
            break;
        }
    }
    let settled = changes(cursor).await;
    assert!(settled["sessions"].as_array().unwrap().is_empty());
    assert_eq!(settled["cursor"].as_i64().unwrap(), cursor, "the cursor stays when nothing changed");

    // A new session changes the history: the next sync brings exactly it.
    assert!(phone.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.is_err());
    assert_eq!(changes(cursor).await["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(phone.sync_history(10).await.unwrap().len(), 3);

    // Signing out forgets the history on the phone; another driver here sees none of it.
    phone.sign_out().unwrap();
    assert!(phone.history(10, 0).unwrap().is_empty());
    phone.sign_up("ni@example.com".into(), "correct horse battery".into()).await.unwrap();
    assert!(phone.sync_history(10).await.unwrap().is_empty());
    phone.sign_out().unwrap();
    // The first driver signs in again: a full sync (the cursor went with the history) brings all back.
    phone.sign_in("mo@example.com".into(), "correct horse battery".into()).await.unwrap();
    assert_eq!(phone.sync_history(10).await.unwrap().len(), 3);

    charger.shutdown().await;
    backend.server.shutdown().await;
}
