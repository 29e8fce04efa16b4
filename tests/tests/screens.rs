//! The screens' states from the core against the real server: the live screen's Stop is not
//! offered while a stop is being sent (a double tap sends one), the receipt and the history
//! screens of a finished session agree with the live screen's last frame, and the charger
//! screen says what can be done.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chargekit_core::{ConnectorAvailability, LiveSessionListener, LiveSessionScreen, ReceiptVerdict, SessionPhase};
use chargekit_tests::{EVSE_ID, app, backend, charger};

#[derive(Default)]
struct Frames(Mutex<Vec<LiveSessionScreen>>);

impl LiveSessionListener for Frames {
    fn on_update(&self, screen: LiveSessionScreen) {
        self.0.lock().unwrap().push(screen);
    }
}

impl Frames {
    async fn wait_for(&self, what: &str, done: impl Fn(&[LiveSessionScreen]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(&self.0.lock().unwrap()) {
            assert!(Instant::now() < deadline, "never saw {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_double_tap_on_stop_sends_one_stop_and_the_screens_agree() {
    let backend = backend().await;
    let charger = charger(&backend).await;
    let app = app(&backend, "phone");
    app.sign_up("screens@example.com".into(), "correct horse battery".into()).await.unwrap();

    let found = app.charger_screen("deckte0001*1".into()).await.unwrap();
    assert_eq!((found.availability, found.can_start), (ConnectorAvailability::Available, true));

    let session = app.start_session(EVSE_ID.into(), chargekit_core::Payment::Default).await.unwrap();
    let frames = Arc::new(Frames::default());
    let _handle = app.observe_live_session(session.id.clone(), 0, frames.clone());
    frames
        .wait_for("charging with a cost", |f| f.last().is_some_and(|s| s.phase == SessionPhase::Charging && s.can_stop && s.cost.minor > 0))
        .await;

    // Two taps at once: both answer, and meanwhile the screen offers no Stop.
    let (first, second) = tokio::join!(app.stop_session(session.id.clone()), app.stop_session(session.id.clone()));
    first.unwrap();
    second.unwrap();
    frames.wait_for("the final frame", |f| f.last().is_some_and(|s| s.finished)).await;
    let seen = frames.0.lock().unwrap().clone();
    let stop_tapped = seen.iter().position(|s| !s.can_stop).expect("a frame without Stop");
    assert!(seen[stop_tapped..].iter().all(|s| !s.can_stop), "Stop came back after it was tapped: {seen:#?}");
    assert!(
        seen.iter().any(|s| s.phase == SessionPhase::Charging && !s.can_stop),
        "while the stop was on its way the running session offered Stop: {seen:#?}"
    );
    let last = seen.last().unwrap().clone();
    assert_eq!(last.phase, SessionPhase::Completed);

    let receipt = app.receipt_screen(session.id.clone()).await.unwrap();
    assert_eq!(receipt.verdict, ReceiptVerdict::Verified);
    assert!(!receipt.warning);
    assert_eq!((receipt.total.clone(), receipt.energy), (last.cost.clone(), last.energy));
    assert_eq!(receipt.lines.len(), 2);

    let history = app.refresh_history_screen(10, "Europe/Amsterdam".into()).await;
    assert_eq!(history.message, None);
    let month = &history.months[0];
    assert_eq!(month.sessions[0].session_id, session.id);
    assert_eq!(month.spent, vec![last.cost.clone()]);
    assert!(app.history_screen(10, "Not/AZone".into()).message.is_some());

    charger.shutdown().await;
    let offline = async {
        loop {
            let screen = app.charger_screen(EVSE_ID.into()).await.unwrap();
            if screen.availability == ConnectorAvailability::Offline {
                return screen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let offline = tokio::time::timeout(Duration::from_secs(10), offline).await.expect("the charger reads offline");
    assert!(!offline.can_start);
    backend.server.shutdown().await;
}
