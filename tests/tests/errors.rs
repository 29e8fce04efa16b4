//! What a driver sees when something is wrong: typed errors with a readable message, quickly,
//! and nothing left behind.

use std::time::Duration;

use chargekit_core::{ChargeKitError, SessionState};
use chargekit_tests::{EVSE_ID, OFFLINE_EVSE_ID, app, backend, charger};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_evse_offline_charger_and_wrong_password() {
    let backend = backend().await;
    let app = app(&backend, "phone");

    // Not signed in yet.
    assert!(matches!(app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await, Err(ChargeKitError::Unauthorized { .. })));
    app.sign_up("cy@example.com".into(), "correct horse battery".into()).await.unwrap();

    // A QR code that carries no EVSE ID.
    match app.evse_from_qr("https://example.com/about".into()) {
        Err(ChargeKitError::InvalidInput { message }) => assert!(message.contains("EVSE ID"), "{message}"),
        other => panic!("expected InvalidInput, got {other:?}"),
    }

    // An EVSE ID no charger has.
    match app.start_session("DE*CKT*E4040*1".into(), chargekit_core::Payment::Default).await {
        Err(ChargeKitError::NotFound { message }) => assert!(message.contains("DE*CKT*E4040*1"), "{message}"),
        other => panic!("expected NotFound, got {other:?}"),
    }

    // A charger that is not connected: a clear error, in bounded time, and no session.
    let evse = app.lookup_evse(OFFLINE_EVSE_ID.into()).await.unwrap();
    assert!(!evse.online);
    let attempt = tokio::time::timeout(Duration::from_secs(5), app.start_session(OFFLINE_EVSE_ID.into(), chargekit_core::Payment::Default))
        .await
        .expect("the offline error comes within 5 s");
    match attempt {
        Err(ChargeKitError::ChargerOffline { message }) => assert!(message.contains("offline"), "{message}"),
        other => panic!("expected ChargerOffline, got {other:?}"),
    }
    assert!(app.sync_history(10).await.unwrap().is_empty(), "no session left behind");

    // A wrong password, and an unknown account, say the same thing.
    let other_phone = chargekit_tests::app(&backend, "other-phone");
    for (email, password) in [("cy@example.com", "wrong password!"), ("nobody@example.com", "correct horse battery")] {
        match other_phone.sign_in(email.into(), password.into()).await {
            Err(ChargeKitError::Unauthorized { message }) => assert_eq!(message, "Wrong email or password."),
            other => panic!("expected Unauthorized, got {other:?}"),
        }
    }
    assert!(other_phone.account().is_none());
    // Registering the same email twice is a conflict; a short password is refused.
    assert!(matches!(other_phone.sign_up("cy@example.com".into(), "another long one".into()).await, Err(ChargeKitError::Conflict { .. })));
    assert!(matches!(other_phone.sign_up("new@example.com".into(), "short".into()).await, Err(ChargeKitError::InvalidInput { .. })));
    // The right password works from the other phone.
    let account = other_phone.sign_in("CY@example.com ".into(), "correct horse battery".into()).await.unwrap();
    assert_eq!(account.email, "cy@example.com");

    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_connector_and_stopping_twice() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let first = app(&backend, "first");
    let second = app(&backend, "second");
    first.sign_up("di@example.com".into(), "correct horse battery".into()).await.unwrap();
    second.sign_up("ed@example.com".into(), "correct horse battery".into()).await.unwrap();

    let session = first.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    match second.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await {
        Err(ChargeKitError::Conflict { message }) => assert!(message.contains("in use"), "{message}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Another driver cannot see or stop the session: it does not exist for them.
    assert!(matches!(second.stop_session(session.id.clone()).await, Err(ChargeKitError::NotFound { .. })));
    assert!(matches!(second.session(session.id.clone()).await, Err(ChargeKitError::NotFound { .. })));

    // Wait for the charger to start, then stop twice: the second stop returns the session.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while first.session(session.id.clone()).await.unwrap().state != SessionState::Charging {
        assert!(tokio::time::Instant::now() < deadline, "charger never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stopping = first.stop_session(session.id.clone()).await.unwrap();
    assert!(matches!(stopping.state, SessionState::Stopping | SessionState::Completed));
    let again = first.stop_session(session.id.clone()).await.unwrap();
    assert_eq!(again.id, session.id);
    assert_eq!(charger.transactions().len(), 1, "one transaction at the charger");

    charger.shutdown().await;
    backend.server.shutdown().await;
}
