//! The screens' states over the FFI ([`crate::screens`] decides them): the live session as a
//! stream, the receipt, the history and a found charger as one call each. The screens that
//! take commands are objects of their own ([`super::flows`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{ChargeKit, Result, TaskHandle};
use crate::screens::charger::{self, ChargerScreen};
use crate::screens::history::{self, HistoryScreen};
use crate::screens::live::{self, LiveSessionScreen};
use crate::screens::receipt::{self, ReceiptScreen};

/// Receives the live session screen: the current state at once, then every change.
#[uniffi::export(with_foreign)]
pub trait LiveSessionListener: Send + Sync {
    fn on_update(&self, screen: LiveSessionScreen);
}

#[uniffi::export]
impl ChargeKit {
    /// Follows a session for its live screen until it is final or the handle is cancelled.
    /// With `frames_per_second` above 0 (at most 60) the figures also move between the
    /// charger's samples (as `observe_session_smooth`). While a stop is being sent, `can_stop`
    /// is false: a double tap sends one stop.
    pub fn observe_live_session(&self, session_id: String, frames_per_second: u32, listener: Arc<dyn LiveSessionListener>) -> Arc<TaskHandle> {
        let frame = (frames_per_second > 0).then(|| Duration::from_millis(1000 / u64::from(frames_per_second.min(60))));
        let task = self.core.observe(&session_id, frame, move |snapshot| listener.on_update(live::screen(&snapshot)));
        Arc::new(TaskHandle { task: Mutex::new(Some(task)) })
    }

    /// The receipt screen of a session: its signed receipt checked by the core once it has
    /// completed (offline, the cached one), else the session's own figures, unchecked. Fails
    /// only when the session is neither reachable nor cached.
    pub async fn receipt_screen(&self, session_id: String) -> Result<ReceiptScreen> {
        self.run(|core| async move { receipt::load(&core, &session_id).await }).await
    }

    /// The history screen from the phone's cache, grouped by month in `time_zone` (the
    /// device's IANA id, e.g. `Europe/Amsterdam`). Never fails: a problem is its `message`.
    pub fn history_screen(&self, limit: u32, time_zone: String) -> HistoryScreen {
        history::cached(&self.core, limit as usize, &time_zone, None)
    }

    /// Brings the history up to date with the backend, then shows the cache; offline, the
    /// cached months with the reason as `message`.
    pub async fn refresh_history_screen(&self, limit: u32, time_zone: String) -> HistoryScreen {
        let refreshed = self.run(|core| async move { Ok(history::refresh(&core, limit as usize, &time_zone).await) }).await;
        refreshed.unwrap_or_else(|e| HistoryScreen { months: Vec::new(), message: Some(e.to_string()) })
    }

    /// Looks a charger up for the find-charger screen (the EVSE ID as scanned, tapped or typed).
    pub async fn charger_screen(&self, evse_id: String) -> Result<ChargerScreen> {
        self.run(|core| async move { core.evse(&evse_id).await.map(|info| charger::screen(&info)) }).await
    }
}
