//! The driver's whole journey through the real core, server and simulated charger.

use std::sync::Arc;
use std::time::Duration;

use chargekit_core::{ChargeKitError, SessionState};
use chargekit_model::{SessionUsage, price};
use chargekit_server::default_tariff;
use chargekit_tests::{EVSE_ID, Recorder, app, backend, charger};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_start_live_stop_history_then_offline_history() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let app = app(&backend, "phone");
    app.sign_up("ada@example.com".into(), "correct horse battery".into()).await.unwrap();

    // QR → EVSE → start.
    let evse_id = app.evse_from_qr("https://qr.example/c?evseid=de*ckt*e0001*1".into()).unwrap();
    assert_eq!(evse_id, EVSE_ID);
    let evse = app.lookup_evse(evse_id.clone()).await.unwrap();
    assert!(evse.online);
    let started = app.start_session(evse_id, chargekit_core::Payment::Default).await.unwrap();
    assert_eq!(started.state, SessionState::Starting);

    // The listener gets the current state at once, then kWh and cost that increase.
    let recorder = Arc::new(Recorder::default());
    let handle = app.observe_session(started.id.clone(), recorder.clone());
    let seen = recorder
        .wait_for(WAIT, |u| {
            let charging: Vec<_> = u.iter().filter(|s| s.state == SessionState::Charging).collect();
            charging.len() >= 4 && charging.last().unwrap().cost_minor > 0
        })
        .await;
    assert_eq!(seen[0].id, started.id, "first update is the current state");
    let charging: Vec<_> = seen.iter().filter(|s| s.state == SessionState::Charging).collect();
    for pair in charging.windows(2) {
        assert!(pair[1].energy_wh >= pair[0].energy_wh, "energy never goes back");
        assert!(pair[1].cost_minor >= pair[0].cost_minor, "cost never goes back");
    }
    let first = charging.first().unwrap();
    let last = charging.last().unwrap();
    assert!(last.energy_wh > first.energy_wh && last.cost_minor > first.cost_minor, "kWh and cost increase");
    assert!(last.power_w > 0);

    // Stop, and the listener sees the completed session.
    app.stop_session(started.id.clone()).await.unwrap();
    let seen = recorder.wait_for(WAIT, |u| u.last().is_some_and(|s| s.is_final)).await;
    assert_eq!(seen.last().unwrap().state, SessionState::Completed);
    assert!(seen.windows(2).all(|w| w[0] != w[1]), "every update is a change: {seen:#?}");
    assert!(seen.iter().all(|s| !s.stop_pending), "a stop over a working network is never pending");
    assert!(handle.is_finished() || { tokio::time::sleep(Duration::from_millis(200)).await; handle.is_finished() });

    // History: kWh is the charger's meterStop − meterStart, the cost the tariff applied to it.
    let history = app.sync_history(10).await.unwrap();
    assert_eq!(history.len(), 1);
    let receipt = &history[0];
    let transaction = charger.transactions().into_iter().next().expect("one transaction");
    let energy = transaction.energy_wh().expect("transaction finished");
    assert_eq!(receipt.energy_wh, energy);
    let seconds = (transaction.stopped_at.unwrap() - transaction.started_at).whole_seconds();
    assert_eq!(receipt.duration_seconds, seconds);
    let expected = price(&default_tariff(), &SessionUsage { energy_wh: energy, charging_seconds: seconds, parking_seconds: 0 });
    assert_eq!(receipt.cost_minor, expected.total_incl_vat_minor);
    assert_eq!(receipt.cost_excl_vat_minor, expected.total_excl_vat_minor);
    assert_eq!(receipt.cost_lines.iter().map(|l| l.excl_vat_minor + l.vat_minor).sum::<i64>(), receipt.cost_minor);
    assert!(receipt.cost_minor > 0);
    // The last live cost the driver saw is the bill.
    assert_eq!(seen.last().unwrap().cost_minor, receipt.cost_minor);

    // The server goes away: history is still there, from the cache; the network call fails clearly.
    charger.shutdown().await;
    backend.server.shutdown().await;
    let offline = app.history(10, 0).unwrap();
    assert_eq!(offline, history);
    match app.sync_history(10).await {
        Err(ChargeKitError::Network { message }) => assert!(message.contains("connection"), "{message}"),
        other => panic!("expected a network error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_subscription_stops_its_updates() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let app = app(&backend, "phone");
    app.sign_up("bo@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();

    let cancelled = Arc::new(Recorder::default());
    let watching = Arc::new(Recorder::default());
    let handle = app.observe_session(session.id.clone(), cancelled.clone());
    let _keep = app.observe_session(session.id.clone(), watching.clone());
    cancelled.wait_for(WAIT, |u| !u.is_empty()).await;
    assert_eq!(app.active_observers(), 2);
    handle.cancel();
    assert!(handle.is_finished());
    let count_at_cancel = cancelled.updates().len();

    // The other subscriber keeps receiving; the cancelled one receives nothing more.
    watching.wait_for(WAIT, move |u| u.iter().filter(|s| s.state == SessionState::Charging).count() >= 3).await;
    assert_eq!(cancelled.updates().len(), count_at_cancel);
    assert_eq!(app.active_observers(), 1, "the cancelled subscription released its listener");

    app.stop_session(session.id.clone()).await.unwrap();
    let seen = watching.wait_for(WAIT, |u| u.last().is_some_and(|s| s.is_final)).await;
    assert_eq!(seen.last().unwrap().state, SessionState::Completed);
    assert!(!seen.last().unwrap().stop_pending);
    assert!(seen[..seen.len() - 1].iter().all(|s| !s.is_final));
    // A subscription ends by itself after the final state.
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.active_observers() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the finished subscription still runs");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    charger.shutdown().await;
    backend.server.shutdown().await;
}
