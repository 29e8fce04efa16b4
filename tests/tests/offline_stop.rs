//! A stop tapped with no network is kept, shown as pending, and delivered once when the
//! network returns — also after the app was closed in between.

use std::sync::Arc;
use std::time::Duration;

use chargekit_core::{ChargeKitError, CoreConfig, MemorySecureStore, SessionState};
use chargekit_tests::proxy::FaultProxy;
use chargekit_tests::{EVSE_ID, Recorder, app_at, backend, charger};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_without_network_is_pending_then_delivered_once() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let proxy = FaultProxy::start(backend.server.addr()).await;
    let app = app_at(&proxy.url(), &backend, "phone", Arc::new(MemorySecureStore::new()));
    app.sign_up("gil@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let _handle = app.observe_session(session.id.clone(), recorder.clone());
    // Energy flowing: the charger has its transaction id (it meters under it), not just the
    // server's record that it started.
    recorder.wait_for(WAIT, |u| u.iter().any(|s| s.state == SessionState::Charging && s.energy_wh > 0)).await;

    proxy.cut();
    let stopped = app.stop_session(session.id.clone()).await.expect("a stop with no network is accepted");
    assert!(stopped.stop_pending);
    assert_eq!(stopped.state, SessionState::Charging, "the charger has not been told yet");
    recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.stop_pending)).await;
    assert!(charger.transactions()[0].stopped_at.is_none());
    // Other calls fail clearly meanwhile.
    assert!(matches!(app.sync_history(10).await, Err(ChargeKitError::Network { .. })));

    proxy.restore();
    let seen = recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.state == SessionState::Completed && !s.stop_pending)).await;
    let first_pending = seen.iter().position(|s| s.stop_pending).expect("the stop showed as pending");
    for later in &seen[first_pending..] {
        assert!(later.stop_pending || later.state != SessionState::Charging, "back to plain charging after a pending stop: {seen:#?}");
    }
    assert!(seen.windows(2).all(|w| w[1].version >= w[0].version), "versions never go back");
    let transactions = charger.transactions();
    assert_eq!(transactions.len(), 1);
    assert_eq!(transactions[0].stop_reason.map(|r| r.as_str()), Some("Remote"));
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_stop_survives_closing_the_app() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let proxy = FaultProxy::start(backend.server.addr()).await;
    let secrets = Arc::new(MemorySecureStore::new()); // the platform keystore outlives the app
    let app = app_at(&proxy.url(), &backend, "phone", secrets.clone());
    app.sign_up("hal@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.session(session.id.clone()).await.unwrap().state != SessionState::Charging {
        assert!(tokio::time::Instant::now() < deadline, "charger never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    proxy.cut();
    assert!(app.stop_session(session.id.clone()).await.unwrap().stop_pending);
    drop(app);

    // The app comes back, still offline: it finds the session going on, from its cache.
    let config = CoreConfig { backend_url: proxy.url(), data_dir: backend.dir.path().join("phone").display().to_string() };
    let reopened = chargekit_tests::reopen_app(config, secrets).await;
    assert!(reopened.account().is_some(), "still signed in");
    let active = reopened.active_session().await.unwrap().expect("the session is found again after the restart");
    assert_eq!(active.id, session.id);
    assert!(active.stop_pending);

    // The network returns: the stored stop goes out by itself.
    proxy.restore();
    let recorder = Arc::new(Recorder::default());
    let _handle = reopened.observe_session(session.id.clone(), recorder.clone());
    recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.state == SessionState::Completed)).await;
    assert_eq!(charger.transactions().len(), 1);
    assert_eq!(reopened.active_session().await.unwrap(), None, "nothing is going on any more");
    charger.shutdown().await;
    backend.server.shutdown().await;
}

