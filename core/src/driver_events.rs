//! The events a driver is told about their sessions (charging started, finished, idle fees
//! coming…), decided by the shared rules of [`chargekit_model::driver_events`] from every
//! session state the core learns (live stream, command answers, history sync), and kept so
//! each is told once — across restarts too.
//!
//! Each event is stored (sealed with the cache key, table `DriverEvents`, by its stable id)
//! before it is announced; an id already stored is never announced again. An event is
//! *delivered* once a listener got it: events recorded while no listener was subscribed (the
//! app in the background, killed) are handed to the next listener first, then the live ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chargekit_model::Session;
use chargekit_model::driver_events::{DriverEvent, DriverEventKind, SessionContext, events_of};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::crypto::CacheKey;
use crate::error::CoreError;
use crate::store::{Store, Table, Write};

/// Events announced but not yet read by a slow listener; past that it re-reads the store.
const ANNOUNCED: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    event: DriverEvent,
    delivered: bool,
}

pub struct DriverEventLog {
    store: Arc<dyn Store>,
    key: Arc<CacheKey>,
    announced: broadcast::Sender<DriverEvent>,
    /// The payment hold of sessions the core has seen a payment of (for "hold reached").
    holds: Mutex<HashMap<Uuid, i64>>,
    /// One writer at a time, so two states of a session arriving together record an event once.
    writing: Mutex<()>,
}

impl DriverEventLog {
    pub fn new(store: Arc<dyn Store>, key: Arc<CacheKey>) -> Self {
        Self { store, key, announced: broadcast::Sender::new(ANNOUNCED), holds: Mutex::default(), writing: Mutex::new(()) }
    }

    /// Forgets every event (sign-out: the next driver must not see them).
    pub fn clear(&self) -> Result<(), CoreError> {
        self.holds.lock().expect("holds lock").clear();
        self.store.clear(&[Table::DriverEvents])
    }

    /// Remembers what a session's payment holds, for the "hold reached" event.
    pub fn note_hold(&self, session_id: Uuid, held_minor: i64) {
        self.holds.lock().expect("holds lock").insert(session_id, held_minor);
    }

    /// Records and announces the events `session` implies at `now` that were never recorded.
    /// Returns them.
    pub fn observe(&self, session: &Session, now: OffsetDateTime) -> Result<Vec<DriverEvent>, CoreError> {
        let hold_minor = self.holds.lock().expect("holds lock").get(&session.id).copied();
        self.record(events_of(session, SessionContext { hold_minor }, now))
    }

    /// Records the phone's own event: a stop kept while offline reached the backend.
    pub fn stop_delivered(&self, session: &Session) -> Result<Vec<DriverEvent>, CoreError> {
        self.record(vec![DriverEvent::new(session, DriverEventKind::StopDeliveredAfterOffline)])
    }

    /// Stores the events not stored yet (durably, in one batch), then announces them.
    fn record(&self, events: Vec<DriverEvent>) -> Result<Vec<DriverEvent>, CoreError> {
        let _one_writer = self.writing.lock().expect("event writer lock");
        let mut fresh = Vec::new();
        let mut writes = Vec::new();
        for event in events {
            if self.store.get(Table::DriverEvents, event.id.as_bytes())?.is_some() || fresh.iter().any(|e: &DriverEvent| e.id == event.id) {
                continue;
            }
            writes.push(Write::put(Table::DriverEvents, event.id.as_bytes(), self.seal(&Stored { event: event.clone(), delivered: false })?));
            fresh.push(event);
        }
        if !writes.is_empty() {
            self.store.apply(writes)?;
        }
        for event in &fresh {
            // No receiver: nobody listens now; the next listener reads it from the store.
            let _ = self.announced.send(event.clone());
        }
        Ok(fresh)
    }

    /// Announcements from now on (subscribe before reading [`Self::undelivered`], so none is
    /// missed in between).
    pub fn subscribe(&self) -> broadcast::Receiver<DriverEvent> {
        self.announced.subscribe()
    }

    /// Recorded events no listener got yet, in id order.
    pub fn undelivered(&self) -> Result<Vec<DriverEvent>, CoreError> {
        let mut events = Vec::new();
        for entry in self.store.scan(Table::DriverEvents) {
            let (id, sealed) = entry?;
            let stored = self.open(&String::from_utf8_lossy(&id), &sealed)?;
            if !stored.delivered {
                events.push(stored.event);
            }
        }
        Ok(events)
    }

    /// Marks an event as handed to a listener. Returns false when it was already (another
    /// listener, or a re-read after a lag), so it is not shown twice.
    pub fn mark_delivered(&self, event: &DriverEvent) -> Result<bool, CoreError> {
        let _one_writer = self.writing.lock().expect("event writer lock");
        let Some(sealed) = self.store.get(Table::DriverEvents, event.id.as_bytes())? else { return Ok(false) };
        let mut stored = self.open(&event.id, &sealed)?;
        if stored.delivered {
            return Ok(false);
        }
        stored.delivered = true;
        self.store.apply(vec![Write::put(Table::DriverEvents, event.id.as_bytes(), self.seal(&stored)?)])?;
        Ok(true)
    }

    fn seal(&self, stored: &Stored) -> Result<Vec<u8>, CoreError> {
        let json = serde_json::to_vec(stored).map_err(|e| CoreError::Internal(e.to_string()))?;
        self.key.seal(&record_name(&stored.event.id), &json)
    }

    fn open(&self, id: &str, sealed: &[u8]) -> Result<Stored, CoreError> {
        let json = self.key.open(&record_name(id), sealed)?;
        serde_json::from_slice(&json).map_err(|e| CoreError::Storage(format!("a stored driver event is unreadable: {e}")))
    }
}

/// The associated data binding a sealed event to its record.
fn record_name(id: &str) -> Vec<u8> {
    format!("driver_events/{id}").into_bytes()
}

/// Hands events to `deliver`: first those no listener got, then each new one, each once,
/// until the returned future is dropped. `deliver` runs on the blocking pool, one event at a
/// time in order: a slow listener holds up only its own events, and one that panics loses
/// that event, not the subscription.
pub async fn follow(log: Arc<DriverEventLog>, deliver: Arc<dyn Fn(DriverEvent) + Send + Sync>) {
    let mut announced = log.subscribe();
    let mut reread = true;
    loop {
        if reread {
            reread = false;
            match log.undelivered() {
                Ok(events) => {
                    for event in events {
                        hand_over(&log, event, &deliver).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the stored driver events"),
            }
        }
        match announced.recv().await {
            Ok(event) => hand_over(&log, event, &deliver).await,
            Err(broadcast::error::RecvError::Lagged(_)) => reread = true,
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

async fn hand_over(log: &DriverEventLog, event: DriverEvent, deliver: &Arc<dyn Fn(DriverEvent) + Send + Sync>) {
    match log.mark_delivered(&event) {
        Ok(true) => {
            let deliver = deliver.clone();
            if tokio::task::spawn_blocking(move || deliver(event)).await.is_err() {
                tracing::warn!("a driver event listener panicked");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, id = %event.id, "cannot mark a driver event delivered; not shown now"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecureStore;
    use crate::store::SledStore;
    use chargekit_model::{MeterSample, SessionStatus};
    use time::macros::datetime;

    fn open(dir: &std::path::Path, secrets: &MemorySecureStore) -> DriverEventLog {
        let (key, _) = CacheKey::from_store(secrets).unwrap();
        DriverEventLog::new(Arc::new(SledStore::open(dir).unwrap()), Arc::new(key))
    }

    fn states() -> Vec<Session> {
        let start = datetime!(2026-03-02 09:00 UTC);
        let samples: Vec<MeterSample> = (0..5).map(|k| MeterSample::charging(start + time::Duration::minutes(k * 10), k * 2000).with_power_w(11_000)).collect();
        crate::test_support::server_states(&crate::test_support::tariff(), &samples, start + time::Duration::minutes(45))
    }

    fn kinds(events: &[DriverEvent]) -> Vec<&'static str> {
        events.iter().map(|e| e.kind.name()).collect()
    }

    #[test]
    fn each_event_is_recorded_once_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecureStore::new();
        let states = states();
        let done = states.last().unwrap();
        let now = done.stopped_at.unwrap();
        {
            let log = open(dir.path(), &secrets);
            let mut told = Vec::new();
            for state in &states {
                told.extend(log.observe(state, now).unwrap());
                told.extend(log.observe(state, now).unwrap());
            }
            assert_eq!(kinds(&told), vec!["charging_started", "session_finished"]);
        }
        let log = open(dir.path(), &secrets);
        assert!(log.observe(done, now).unwrap().is_empty(), "not told again after a restart");
        assert_eq!(done.status, SessionStatus::Completed);
        assert!(log.stop_delivered(done).unwrap().len() == 1 && log.stop_delivered(done).unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_listener_gets_what_was_missed_then_the_new_ones_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecureStore::new();
        let states = states();
        let now = states.last().unwrap().stopped_at.unwrap();
        let log = Arc::new(open(dir.path(), &secrets));
        log.observe(&states[1], now).unwrap();
        let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
        let listener = tokio::spawn(follow(log.clone(), Arc::new(move |e| sender.send(e).unwrap())));
        assert_eq!(received.recv().await.unwrap().kind.name(), "charging_started", "recorded while nobody listened");
        log.observe(states.last().unwrap(), now).unwrap();
        assert_eq!(received.recv().await.unwrap().kind.name(), "session_finished");
        listener.abort();
        let (sender, mut again) = tokio::sync::mpsc::unbounded_channel();
        let listener = tokio::spawn(follow(log.clone(), Arc::new(move |e| sender.send(e).unwrap())));
        log.stop_delivered(&states[2]).unwrap();
        assert_eq!(again.recv().await.unwrap().kind.name(), "stop_delivered_after_offline", "nothing delivered before comes again");
        listener.abort();
    }

    #[test]
    fn sign_out_forgets_every_event() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), &MemorySecureStore::new());
        let states = states();
        log.observe(&states[1], states[1].started_at.unwrap()).unwrap();
        assert_eq!(log.undelivered().unwrap().len(), 1);
        log.clear().unwrap();
        assert!(log.undelivered().unwrap().is_empty());
        assert_eq!(kinds(&log.observe(&states[1], states[1].started_at.unwrap()).unwrap()), vec!["charging_started"], "a new sign-in starts afresh");
    }
}
