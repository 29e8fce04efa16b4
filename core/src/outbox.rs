//! Stops that must reach the backend even when the phone is offline at the tap. A stop is
//! persisted (and flushed) before the tap is acknowledged, then delivered — at once, or later
//! with backoff and jitter, also after an app restart. Each stop keeps one idempotency key
//! across its retries, and the server applies a stop once.
//!
//! A stop counts as *pending* for the driver only once an attempt to send it failed: a stop
//! on its way over a working network is not news.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::crypto::CacheKey;
use crate::error::CoreError;
use crate::store::{Store, Table, Write};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingStop {
    pub session_id: String,
    pub idempotency_key: String,
    /// Attempts that failed for want of a network.
    #[serde(default)]
    pub failed_attempts: u32,
}

pub struct Outbox {
    store: Arc<dyn Store>,
    key: Arc<CacheKey>,
}

impl Outbox {
    pub fn new(store: Arc<dyn Store>, key: Arc<CacheKey>) -> Self {
        Self { store, key }
    }

    /// Forgets queued stops that can no longer be read (their key is gone).
    pub fn clear(&self) -> Result<(), CoreError> {
        self.store.clear(&[Table::OutboxStops])
    }

    /// Queues a stop, keeping the key of one already queued for the session (a second tap is
    /// the same command). Durable when this returns.
    pub fn queue_stop(&self, session_id: &str) -> Result<PendingStop, CoreError> {
        if let Some(existing) = self.stop(session_id)? {
            return Ok(existing);
        }
        let stop = PendingStop {
            session_id: session_id.to_owned(),
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            failed_attempts: 0,
        };
        self.write(&stop)?;
        Ok(stop)
    }

    /// Records that an attempt failed because the backend could not be reached.
    pub fn attempt_failed(&self, session_id: &str) -> Result<(), CoreError> {
        match self.stop(session_id)? {
            Some(mut stop) => {
                stop.failed_attempts = stop.failed_attempts.saturating_add(1);
                self.write(&stop)
            }
            None => Ok(()),
        }
    }

    fn write(&self, stop: &PendingStop) -> Result<(), CoreError> {
        let json = serde_json::to_vec(stop).map_err(|e| CoreError::Internal(e.to_string()))?;
        let sealed = self.key.seal(&record_name(&stop.session_id), &json)?;
        self.store.apply(vec![Write::put(Table::OutboxStops, stop.session_id.as_bytes(), sealed)])
    }

    fn decode(&self, session_id: &str, sealed: &[u8]) -> Result<PendingStop, CoreError> {
        let json = self.key.open(&record_name(session_id), sealed)?;
        serde_json::from_slice(&json).map_err(|e| CoreError::Storage(e.to_string()))
    }

    pub fn stop(&self, session_id: &str) -> Result<Option<PendingStop>, CoreError> {
        self.store.get(Table::OutboxStops, session_id.as_bytes())?.map(|sealed| self.decode(session_id, &sealed)).transpose()
    }

    /// Whether the session has a stop that could not be sent yet.
    pub fn is_stop_pending(&self, session_id: &str) -> bool {
        self.stop(session_id).ok().flatten().is_some_and(|stop| stop.failed_attempts > 0)
    }

    pub fn pending_stops(&self) -> Result<Vec<PendingStop>, CoreError> {
        self.store
            .scan(Table::OutboxStops)
            .map(|entry| {
                let (id, sealed) = entry?;
                self.decode(&String::from_utf8_lossy(&id), &sealed)
            })
            .collect()
    }

    /// Removes a stop once the backend answered it (either way).
    pub fn done(&self, session_id: &str) -> Result<(), CoreError> {
        self.store.apply(vec![Write::delete(Table::OutboxStops, session_id.as_bytes())])
    }
}

/// The associated data binding a sealed stop to its record.
fn record_name(session_id: &str) -> Vec<u8> {
    format!("outbox_stops/{session_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecureStore;

    fn open(dir: &std::path::Path, secrets: &MemorySecureStore) -> Outbox {
        let (key, _) = CacheKey::from_store(secrets).unwrap();
        Outbox::new(Arc::new(crate::store::SledStore::open(dir).unwrap()), Arc::new(key))
    }

    #[test]
    fn a_queued_stop_survives_reopen_and_keeps_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecureStore::new();
        let first = {
            let outbox = open(dir.path(), &secrets);
            let first = outbox.queue_stop("s1").unwrap();
            assert_eq!(outbox.queue_stop("s1").unwrap(), first, "a second tap is the same command");
            first
        };
        let outbox = open(dir.path(), &secrets);
        assert!(!outbox.is_stop_pending("s1"), "not pending before an attempt failed");
        outbox.attempt_failed("s1").unwrap();
        assert!(outbox.is_stop_pending("s1"));
        let stored = outbox.pending_stops().unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!((stored[0].idempotency_key.as_str(), stored[0].failed_attempts), (first.idempotency_key.as_str(), 1));
        outbox.done("s1").unwrap();
        assert!(!outbox.is_stop_pending("s1"));
        assert!(outbox.pending_stops().unwrap().is_empty());
    }
}
