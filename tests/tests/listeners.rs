//! The listener contract under bad listeners: a slow one and a panicking one do not hold up
//! the others or the core, and keep receiving (the slow one the newest state, not a backlog).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chargekit_core::{SessionInfo, SessionListener, SessionState};
use chargekit_tests::{EVSE_ID, Recorder, app, backend, charger};

struct Slow {
    seen: Mutex<Vec<SessionInfo>>,
}

impl SessionListener for Slow {
    fn on_update(&self, session: SessionInfo) {
        std::thread::sleep(Duration::from_millis(500));
        self.seen.lock().unwrap().push(session);
    }
}

struct Panicking {
    calls: AtomicUsize,
}

impl SessionListener for Panicking {
    fn on_update(&self, _: SessionInfo) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        panic!("a listener with a bug");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_panicking_listeners_hold_nobody_up() {
    let backend = backend().await;
    let charger = charger(&backend).await; // meter values every 200 ms
    let app = app(&backend, "phone");
    app.sign_up("lee@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();

    let slow = Arc::new(Slow { seen: Mutex::new(Vec::new()) });
    let panicking = Arc::new(Panicking { calls: AtomicUsize::new(0) });
    let healthy = Arc::new(Recorder::default());
    let _slow = app.observe_session(session.id.clone(), slow.clone());
    let _panicking = app.observe_session(session.id.clone(), panicking.clone());
    let started = Instant::now();
    let _healthy = app.observe_session(session.id.clone(), healthy.clone());

    // The healthy listener sees every 200 ms sample while the slow one sleeps 500 ms a call.
    healthy.wait_for(Duration::from_secs(10), |u| u.iter().filter(|s| s.state == SessionState::Charging).count() >= 8).await;
    let elapsed = started.elapsed();
    let slow_calls = slow.seen.lock().unwrap().len();
    assert!(slow_calls as u128 <= elapsed.as_millis() / 500 + 1, "the slow listener got a backlog: {slow_calls} in {elapsed:?}");
    assert!(panicking.calls.load(Ordering::SeqCst) >= 2, "the panicking listener was dropped after its first panic");
    // Commands still answer while the bad listeners are busy.
    let info = tokio::time::timeout(Duration::from_secs(2), app.session(session.id.clone())).await.expect("the core answers").unwrap();
    assert_eq!(info.state, SessionState::Charging);

    // The slow listener skipped states but still ends on the final one.
    app.stop_session(session.id.clone()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !slow.seen.lock().unwrap().last().is_some_and(|s| s.is_final) {
        assert!(Instant::now() < deadline, "the slow listener never got the final state");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let slow_seen = slow.seen.lock().unwrap().clone();
    assert!(slow_seen.windows(2).all(|w| w[1].version > w[0].version), "newest states only, in order");
    charger.shutdown().await;
    backend.server.shutdown().await;
}
