//! The app between a phone network and the backend, through a fault-injecting proxy: live
//! updates keep coming when event streams are blocked (polling), the stream is picked up again
//! when it is allowed back, and a slow network delays but loses nothing.

use std::sync::Arc;
use std::time::Duration;

use chargekit_core::{MemorySecureStore, SessionInfo, SessionState};
use chargekit_tests::proxy::FaultProxy;
use chargekit_tests::{EVSE_ID, Recorder, app_at, backend, charger};

const WAIT: Duration = Duration::from_secs(30);

/// Distinct energy readings while charging: each one is a fresh state from the backend.
fn charging_readings(updates: &[SessionInfo]) -> usize {
    let mut energies: Vec<_> = updates.iter().filter(|u| u.state == SessionState::Charging).map(|u| u.energy_wh).collect();
    energies.dedup();
    energies.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_updates_are_polled_while_event_streams_are_blocked_and_streamed_again_after() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let proxy = FaultProxy::start(backend.server.addr()).await;
    proxy.block_event_streams(true);
    let app = app_at(&proxy.url(), &backend, "phone", Arc::new(MemorySecureStore::new()));
    app.sign_up("ines@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let _handle = app.observe_session(session.id.clone(), recorder.clone());

    let seen = recorder.wait_for(WAIT, |u| charging_readings(u) >= 3).await;
    assert!(proxy.streams_refused() >= 1, "the app asked for a stream and was refused");
    assert_eq!(proxy.streams_passed(), 0, "no stream got through");
    assert!(seen.windows(2).all(|w| w[1].energy_wh >= w[0].energy_wh), "polled energy never goes back: {seen:#?}");

    // Streams allowed again: the core's next retry (backoff at most 15 s) gets one.
    proxy.block_event_streams(false);
    let before = recorder.updates().len();
    for _ in 0..200 {
        if proxy.streams_passed() > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(proxy.streams_passed() >= 1, "the live stream was opened again");
    recorder.wait_for(WAIT, move |u| charging_readings(&u[before..]) >= 3).await;

    // Blocked mid-stream: the open stream is dropped, and polling takes over again.
    proxy.block_event_streams(true);
    let before = recorder.updates().len();
    recorder.wait_for(WAIT, move |u| charging_readings(&u[before..]) >= 2).await;

    app.stop_session(session.id.clone()).await.unwrap();
    let seen = recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.state == SessionState::Completed)).await;
    let completed = seen.last().unwrap();
    assert_eq!(charger.transactions()[0].energy_wh(), Some(completed.energy_wh), "the bill's energy is the charger's");
    charger.shutdown().await;
    backend.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_network_delays_updates_but_loses_nothing() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let proxy = FaultProxy::start(backend.server.addr()).await;
    proxy.set_delay(Duration::from_millis(300));
    let app = app_at(&proxy.url(), &backend, "phone", Arc::new(MemorySecureStore::new()));
    app.sign_up("jo@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let recorder = Arc::new(Recorder::default());
    let _handle = app.observe_session(session.id.clone(), recorder.clone());
    let seen = recorder.wait_for(WAIT, |u| charging_readings(u) >= 3).await;
    assert!(seen.windows(2).all(|w| w[1].version > w[0].version), "updates arrive in order: {seen:#?}");
    assert!(proxy.streams_passed() >= 1);

    let stopped = app.stop_session(session.id.clone()).await.unwrap();
    assert!(!stopped.stop_pending, "a slow answer is not a failed one");
    let seen = recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.state == SessionState::Completed)).await;
    let history = app.sync_history(10).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].energy_wh, seen.last().unwrap().energy_wh);
    assert_eq!(charger.transactions().len(), 1, "one start and one stop reached the charger");
    assert_eq!(charger.transactions()[0].energy_wh(), Some(history[0].energy_wh));
    charger.shutdown().await;
    backend.server.shutdown().await;
}
