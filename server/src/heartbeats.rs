//! Heartbeat gaps: a charger that stays connected but says nothing for more than twice its
//! heartbeat interval (a half-open TCP connection, a hung controller) is not reachable, even
//! though no disconnection was seen.
//!
//! Beats are not stored one by one. The time of each charger's last message is kept in memory
//! (a lock and a map insert per message); only a silence longer than the limit writes a row,
//! when the charger speaks again. A silence that spans a reconnection is not a gap: the charger
//! was offline, which the connection history already tells.

use std::collections::HashMap;
use std::sync::Mutex;

use time::OffsetDateTime;

use crate::AppState;

#[derive(Default)]
pub struct Heartbeats {
    last_message: Mutex<HashMap<String, OffsetDateTime>>,
}

impl Heartbeats {
    /// Notes a message from `charger_id` at `now`; returns the start of the silence it ends if
    /// that silence was longer than `limit`.
    pub fn seen(&self, charger_id: &str, now: OffsetDateTime, limit: time::Duration) -> Option<OffsetDateTime> {
        // A poisoned lock only means another thread panicked mid-insert; the map is still usable.
        let mut last = self.last_message.lock().unwrap_or_else(|e| e.into_inner());
        let previous = last.insert(charger_id.to_owned(), now);
        previous.filter(|since| now - *since > limit)
    }

    /// When each charger last sent anything, for `/metrics`.
    pub fn last_messages(&self) -> HashMap<String, OffsetDateTime> {
        self.last_message.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Called for every CALL a charger sends. A failure to record is logged, never passed on: the
/// charger's message matters more than the statistic.
pub async fn on_message(state: &AppState, charger_id: &str) {
    let now = OffsetDateTime::now_utc();
    let limit = time::Duration::seconds(2 * i64::from(state.config.heartbeat_interval_secs.max(1)));
    let Some(since) = state.heartbeats.seen(charger_id, now, limit) else { return };
    let recorded = async {
        let reconnected = state.store.last_connected_at(charger_id).await?.is_some_and(|at| at > since);
        if !reconnected {
            state.store.record_heartbeat_gap(charger_id, since, now).await?;
            tracing::warn!(%charger_id, seconds = (now - since).whole_seconds(), "charger was silent longer than twice its heartbeat interval");
        }
        Ok::<_, sqlx::Error>(())
    };
    if let Err(e) = recorded.await {
        tracing::error!(error = %e, %charger_id, "cannot record a heartbeat gap");
    }
}

/// A Heartbeat: keeps the charger's last beat in the database (one write per interval).
pub async fn on_heartbeat(state: &AppState, charger_id: &str, at: OffsetDateTime) {
    if let Err(e) = state.store.record_heartbeat(charger_id, at).await {
        tracing::error!(error = %e, %charger_id, "cannot record a heartbeat");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_silences_over_the_limit_are_gaps() {
        let beats = Heartbeats::default();
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let limit = time::Duration::seconds(600);
        assert_eq!(beats.seen("A", t0, limit), None, "the first message opens nothing");
        assert_eq!(beats.seen("A", t0 + time::Duration::seconds(600), limit), None, "exactly the limit is fine");
        assert_eq!(beats.seen("B", t0 + time::Duration::seconds(5_000), limit), None, "chargers are apart");
        let late = t0 + time::Duration::seconds(1_201);
        assert_eq!(beats.seen("A", late, limit), Some(t0 + time::Duration::seconds(600)));
        assert_eq!(beats.last_messages()["A"], late);
    }
}
