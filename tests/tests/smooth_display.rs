//! The smoothed live display through the FFI facade: energy and cost move between the
//! charger's meter samples (energy never backwards, the cost as the engine prices it), and the
//! final state is exactly the bill.

use std::sync::Arc;
use std::time::Duration;

use chargekit_core::SessionState;
use chargekit_tests::{EVSE_ID, Recorder, app, backend, charger_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn energy_and_cost_move_between_samples_and_end_on_the_bill() {
    let backend = backend().await;
    let charger = charger_with(&backend, |c| c.meter_interval = Duration::from_secs(1)).await;
    let app = app(&backend, "phone");
    app.sign_up("kim@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();

    let recorder = Arc::new(Recorder::default());
    let _handle = app.observe_session_smooth(session.id.clone(), 20, recorder.clone());
    let charging = |u: &[chargekit_core::SessionInfo]| u.iter().filter(|s| s.state == SessionState::Charging).map(|s| s.version).collect::<std::collections::BTreeSet<_>>().len();
    recorder.wait_for(Duration::from_secs(20), move |u| charging(u) >= 4).await;
    app.stop_session(session.id.clone()).await.unwrap();
    let seen = recorder.wait_for(Duration::from_secs(20), |u| u.last().is_some_and(|s| s.is_final)).await;

    // Between two meter samples (same version), the display moved on by itself.
    let moved_between_samples = seen.windows(2).any(|w| {
        w[0].version == w[1].version && w[0].state == SessionState::Charging && w[1].energy_wh > w[0].energy_wh
    });
    assert!(moved_between_samples, "no frame between samples moved: {seen:#?}");
    let versions = seen.iter().map(|s| s.version).collect::<std::collections::BTreeSet<_>>().len();
    assert!(seen.len() > versions, "more frames ({}) than states ({versions})", seen.len());

    // Energy never backwards while it goes on (the final state is the bill, shown exactly).
    // The cost is the engine's: under this tariff (steps of 1) it never goes back while one
    // sample is extrapolated; at a new sample it is the server's figure, which may be below
    // the frame before if the charger delivered less than its last power promised.
    let (last, going_on) = seen.split_last().unwrap();
    for pair in going_on.windows(2) {
        assert!(pair[1].energy_wh >= pair[0].energy_wh, "energy went back: {pair:#?}");
        if pair[0].version == pair[1].version {
            assert!(pair[1].cost_minor >= pair[0].cost_minor, "cost went back within one sample: {pair:#?}");
        }
    }
    let bill = app.session(session.id.clone()).await.unwrap();
    assert_eq!(last.state, SessionState::Completed);
    assert_eq!((last.energy_wh, last.cost_minor), (bill.energy_wh, bill.cost_minor));
    assert_eq!(charger.transactions()[0].energy_wh(), Some(bill.energy_wh));

    charger.shutdown().await;
    backend.server.shutdown().await;
}
