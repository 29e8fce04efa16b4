//! Heartbeat gaps: a charger that stays connected but says nothing for more than twice its
//! heartbeat interval (a half-open TCP connection, a hung controller) is not reachable, even
//! though no disconnection was seen.
//!
//! Beats are not stored one by one. The time of each charger's last message is kept in memory
//! (a lock and a map insert per message); only a silence longer than the limit writes a row,
//! when the charger speaks again. A silence that spans a reconnection is not a gap: the charger
//! was offline, which the connection history already tells.
//!
//! A Heartbeat's time is kept in the database too (after a crash, the connections left open
//! are closed at the last beat), but not with a durable write per beat: beats wait in memory
//! and are written together every [`WRITE_EVERY`] in one transaction, and at shutdown. A crash
//! loses at most that much of the beats, which only dates an after-crash disconnection up to
//! that much earlier; a beat is a sign of life, not a record anything is billed on.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::store::Store;

/// How often the beats received since the last write are written, together.
pub const WRITE_EVERY: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct Heartbeats {
    last_message: Mutex<HashMap<String, OffsetDateTime>>,
    /// Each charger's newest Heartbeat not written to the database yet.
    unwritten: Mutex<HashMap<String, OffsetDateTime>>,
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

    /// Notes a Heartbeat, to be written with the next batch.
    pub fn beat(&self, charger_id: &str, at: OffsetDateTime) {
        keep_newest(&mut self.unwritten.lock().unwrap_or_else(|e| e.into_inner()), [(charger_id.to_owned(), at)]);
    }

    /// The beats not written yet (newer than the database's), for `/metrics`.
    pub fn unwritten(&self) -> HashMap<String, OffsetDateTime> {
        self.unwritten.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Writes the beats received since the last write, in one transaction. A failed write puts
    /// them back for the next one (unless a newer beat arrived meanwhile).
    pub async fn write(&self, store: &Store) {
        let beats = std::mem::take(&mut *self.unwritten.lock().unwrap_or_else(|e| e.into_inner()));
        if beats.is_empty() {
            return;
        }
        if let Err(e) = store.record_heartbeats(&beats).await {
            tracing::warn!(error = %e, chargers = beats.len(), "cannot write the chargers' last heartbeats; trying again with the next batch");
            keep_newest(&mut self.unwritten.lock().unwrap_or_else(|e| e.into_inner()), beats);
        }
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
    let Some(since) = state.chargers.heartbeats.seen(charger_id, now, limit) else { return };
    let recorded = async {
        let reconnected = state.store.last_connected_at(charger_id).await?.is_some_and(|at| at > since);
        if !reconnected {
            state.store.record_heartbeat_gap(charger_id, since, now).await?;
            state.alerts.nudge();
            tracing::warn!(%charger_id, seconds = (now - since).whole_seconds(), "charger was silent longer than twice its heartbeat interval");
        }
        Ok::<_, sqlx::Error>(())
    };
    if let Err(e) = recorded.await {
        tracing::error!(error = %e, %charger_id, "cannot record a heartbeat gap");
    }
}

fn keep_newest(beats: &mut HashMap<String, OffsetDateTime>, more: impl IntoIterator<Item = (String, OffsetDateTime)>) {
    for (charger_id, at) in more {
        let newest = beats.entry(charger_id).or_insert(at);
        *newest = (*newest).max(at);
    }
}

/// Writes the beats every [`WRITE_EVERY`] until shutdown (where [`crate::RunningServer::shutdown`]
/// writes the last ones, once the chargers are gone).
pub fn spawn_writer(state: std::sync::Arc<AppState>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(WRITE_EVERY) => state.chargers.heartbeats.write(&state.store).await,
                _ = shutdown.cancelled() => return,
            }
        }
    });
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

    #[tokio::test]
    async fn beats_wait_in_memory_and_are_written_together() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        let evse = chargekit_model::EvseId::parse("DE*CKT*E0001*1").unwrap();
        let tariff = chargekit_model::Tariff::per_kwh_and_hour("t", chargekit_model::Currency::EUR, rust_decimal::Decimal::ONE, rust_decimal::Decimal::ONE, None);
        store.upsert_tariff(&tariff).await.unwrap();
        let seed = crate::store::SeedEvse { charger_id: "A", connector_id: 1, evse_id: &evse, tariff_id: "t" };
        store.upsert_charger_evse(&seed).await.unwrap();
        let last_beat = |store: Store| async move { store.chargers_for_reports().await.unwrap().into_iter().find(|c| c.id == "A").unwrap().last_seen_at };

        let t0 = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let beats = Heartbeats::default();
        beats.beat("A", t0 + time::Duration::seconds(10));
        beats.beat("A", t0);
        assert_eq!(beats.unwritten()["A"], t0 + time::Duration::seconds(10), "the newest beat is kept");
        assert_eq!(last_beat(store.clone()).await, None, "a beat alone writes nothing");
        beats.write(&store).await;
        assert_eq!(last_beat(store.clone()).await, Some(t0 + time::Duration::seconds(10)));
        assert!(beats.unwritten().is_empty(), "written beats are not written again");
    }
}
