//! The driver's events from the core, through the real server and a simulated charger: the
//! core tells "charging started" and "session finished" (with the energy and the total the
//! receipt has) once each, a listener that subscribes late gets what it missed, and a restart
//! of the app tells nothing again. The same ids as the server's pushes (see `push.rs`).

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use chargekit_core::{CoreConfig, DriverEvent, DriverEventKind, DriverEventListener, MemorySecureStore, SessionState};
use chargekit_tests::proxy::FaultProxy;
use chargekit_tests::{EVSE_ID, Recorder, app_at, backend, charger};

const WAIT: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Events {
    seen: Mutex<Vec<DriverEvent>>,
    changed: Condvar,
}

impl DriverEventListener for Events {
    fn on_driver_event(&self, event: DriverEvent) {
        self.seen.lock().unwrap().push(event);
        self.changed.notify_all();
    }
}

impl Events {
    async fn wait_for(self: &Arc<Self>, done: impl Fn(&[DriverEvent]) -> bool + Send + 'static) -> Vec<DriverEvent> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let guard = this.seen.lock().unwrap();
            let (guard, waited) = this.changed.wait_timeout_while(guard, WAIT, |e| !done(e)).unwrap();
            assert!(!waited.timed_out(), "events never got there: {:#?}", *guard);
            guard.clone()
        })
        .await
        .unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_tells_each_event_of_a_session_once_across_restarts() {
    let backend = backend().await;
    let _charger = charger(&backend).await;
    let proxy = FaultProxy::start(backend.server.addr()).await;
    let secrets = Arc::new(MemorySecureStore::new()); // the platform keystore outlives the app
    let phone = app_at(&proxy.url(), &backend, "phone", secrets.clone());
    phone.sign_up("events@example.com".into(), "correct horse battery".into()).await.unwrap();
    let session = phone.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let live = Arc::new(Recorder::default());
    let _live = phone.observe_session(session.id.clone(), live.clone());
    live.wait_for(WAIT, |u| u.iter().any(|s| s.state == SessionState::Charging && s.energy_wh > 0)).await;

    // Subscribed after charging began: the start comes first, as a missed event.
    let events = Arc::new(Events::default());
    let subscription = phone.observe_driver_events(events.clone());
    let seen = events.wait_for(|e| !e.is_empty()).await;
    assert_eq!(seen[0].kind, DriverEventKind::ChargingStarted);
    assert_eq!((seen[0].id.clone(), seen[0].evse_id.as_str()), (format!("{}/charging_started", session.id), EVSE_ID));

    // A stop tapped offline is delivered when the network returns, and the driver is told.
    proxy.cut();
    assert!(phone.stop_session(session.id.clone()).await.unwrap().stop_pending);
    proxy.restore();
    let done = live.wait_for(WAIT, |u| u.last().is_some_and(|s| s.is_final)).await.last().cloned().unwrap();
    let seen = events.wait_for(|e| e.iter().any(|e| matches!(e.kind, DriverEventKind::SessionFinished { .. }))).await;
    let kinds: Vec<_> = seen.iter().map(|e| std::mem::discriminant(&e.kind)).collect();
    assert!(kinds.contains(&std::mem::discriminant(&DriverEventKind::StopDeliveredAfterOffline)), "{seen:#?}");
    let finished = seen.iter().find(|e| matches!(e.kind, DriverEventKind::SessionFinished { .. })).unwrap();
    let DriverEventKind::SessionFinished { energy_wh, total, receipt_ready } = &finished.kind else { unreachable!() };
    assert_eq!((*energy_wh, total.minor, total.currency.as_str(), *receipt_ready), (done.energy_wh, done.cost_minor, "EUR", true));
    assert_eq!(seen.len(), 3, "each once: {seen:#?}");
    subscription.cancel();
    drop(phone);

    // The app restarts on its data: the finished session is read again, nothing is told again;
    // the next session's start is.
    let config = CoreConfig { backend_url: proxy.url(), data_dir: backend.dir.path().join("phone").display().to_string() };
    let reopened = chargekit_tests::reopen_app(config, secrets).await;
    let later = Arc::new(Events::default());
    let _later = reopened.observe_driver_events(later.clone());
    reopened.session(session.id.clone()).await.unwrap();
    reopened.sync_history(10).await.unwrap();
    let next = reopened.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let next_live = Arc::new(Recorder::default());
    let _next_live = reopened.observe_session(next.id.clone(), next_live.clone());
    let told = later.wait_for(|e| !e.is_empty()).await;
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(told[0].id, format!("{}/charging_started", next.id));
}
