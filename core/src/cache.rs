//! The offline cache of the driver's sessions. History is read from here, so it works with no
//! network; every write is durable before it counts as done, so a killed app keeps it.
//!
//! Sessions are sealed with the cache key ([`CacheKey`]) before they reach the [`Store`]:
//! table `Sessions` maps a session id to its sealed JSON; `SessionsByTime` maps
//! `(u64::MAX - created_at in ns, big endian) ++ id` to the id, so reading it in key order lists
//! the newest session first; `SyncCursors` keeps each driver's history sync cursor.

use std::sync::Arc;

use chargekit_model::Session;
use chargekit_model::receipt::SignedReceipt;

use crate::crypto::CacheKey;
use crate::error::CoreError;
use crate::store::{Store, Table, Write};

pub struct SessionCache {
    store: Arc<dyn Store>,
    key: Arc<CacheKey>,
}

impl SessionCache {
    pub fn new(store: Arc<dyn Store>, key: Arc<CacheKey>) -> Self {
        Self { store, key }
    }

    /// Where the driver's last history sync ended (0: never synced).
    pub fn sync_cursor(&self, driver_id: &str) -> Result<i64, CoreError> {
        let stored = self.store.get(Table::SyncCursors, driver_id.as_bytes())?;
        Ok(stored.and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok()).map_or(0, i64::from_be_bytes))
    }

    /// Records a sync's progress; the sessions it brought must already be stored.
    pub fn set_sync_cursor(&self, driver_id: &str, cursor: i64) -> Result<(), CoreError> {
        self.store.apply(vec![Write::put(Table::SyncCursors, driver_id.as_bytes(), cursor.to_be_bytes())])
    }

    /// Forgets every cached session and receipt (their key is gone; the backend still has them).
    pub fn clear(&self) -> Result<(), CoreError> {
        self.store.clear(&[Table::Sessions, Table::SessionsByTime, Table::SyncCursors, Table::Receipts])
    }

    /// Keeps a receipt as the backend sent it (checked again whenever it is read).
    pub fn put_receipt(&self, session_id: &str, receipt: &SignedReceipt) -> Result<(), CoreError> {
        let json = serde_json::to_vec(receipt).map_err(|e| CoreError::Internal(e.to_string()))?;
        let sealed = self.key.seal(&receipt_record(session_id), &json)?;
        self.store.apply(vec![Write::put(Table::Receipts, session_id.as_bytes(), sealed)])
    }

    pub fn receipt(&self, session_id: &str) -> Result<Option<SignedReceipt>, CoreError> {
        let Some(sealed) = self.store.get(Table::Receipts, session_id.as_bytes())? else { return Ok(None) };
        let json = self.key.open(&receipt_record(session_id), &sealed)?;
        serde_json::from_slice(&json).map(Some).map_err(|e| CoreError::Storage(format!("a cached receipt is unreadable: {e}")))
    }

    /// Stores a session unless the cache already has the same or a newer version of it.
    /// Durable when this returns.
    pub fn put(&self, session: &Session) -> Result<(), CoreError> {
        self.put_many(std::slice::from_ref(session)).map(|_| ())
    }

    /// Stores sessions (a sync page, say) in one atomic, durable batch, skipping those the
    /// cache has in the same or a newer version. Returns the sessions that were newer.
    pub fn put_many<'a>(&self, sessions: &'a [Session]) -> Result<Vec<&'a Session>, CoreError> {
        let mut newer = Vec::with_capacity(sessions.len());
        let mut writes = Vec::with_capacity(sessions.len() * 2);
        for session in sessions {
            let id = session.id.to_string();
            if self.get(&id)?.is_some_and(|cached| cached.version >= session.version) {
                continue;
            }
            let json = serde_json::to_vec(session).map_err(|e| CoreError::Internal(e.to_string()))?;
            writes.push(Write::put(Table::Sessions, id.as_bytes(), self.key.seal(&record_name(&id), &json)?));
            writes.push(Write::put(Table::SessionsByTime, time_key(session), id.into_bytes()));
            newer.push(session);
        }
        if !writes.is_empty() {
            self.store.apply(writes)?;
        }
        Ok(newer)
    }

    pub fn get(&self, id: &str) -> Result<Option<Session>, CoreError> {
        self.store.get(Table::Sessions, id.as_bytes())?.map(|sealed| self.decode(id, &sealed)).transpose()
    }

    /// Up to `limit` sessions after skipping `offset`, newest first.
    pub fn newest(&self, limit: usize, offset: usize) -> Result<Vec<Session>, CoreError> {
        self.iter_newest().skip(offset).take(limit).collect()
    }

    /// Every cached session, newest first, read (and decrypted) one at a time.
    pub fn iter_newest(&self) -> impl Iterator<Item = Result<Session, CoreError>> + '_ {
        self.store.scan(Table::SessionsByTime).filter_map(move |entry| {
            let read = || -> Result<Option<Session>, CoreError> {
                let (_, id) = entry?;
                let id = String::from_utf8_lossy(&id);
                self.get(&id)
            };
            read().transpose()
        })
    }

    fn decode(&self, id: &str, sealed: &[u8]) -> Result<Session, CoreError> {
        let json = self.key.open(&record_name(id), sealed)?;
        serde_json::from_slice(&json).map_err(|e| CoreError::Storage(format!("a cached session is unreadable: {e}")))
    }
}

/// The associated data binding a sealed receipt to its record.
fn receipt_record(session_id: &str) -> Vec<u8> {
    format!("receipts/{session_id}").into_bytes()
}

/// The associated data binding a sealed session to its record.
fn record_name(id: &str) -> Vec<u8> {
    format!("sessions/{id}").into_bytes()
}

fn time_key(session: &Session) -> Vec<u8> {
    let nanos = u64::try_from(session.created_at.unix_timestamp_nanos()).unwrap_or(0);
    let mut key = (u64::MAX - nanos).to_be_bytes().to_vec();
    key.extend_from_slice(session.id.as_bytes());
    key
}


#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use crate::secrets::MemorySecureStore;
    use crate::store::SledStore;
    use chargekit_model::{Currency, EvseId, SessionStatus, SessionUsage, price};
    use time::OffsetDateTime;

    fn open(dir: &Path, secrets: &MemorySecureStore) -> SessionCache {
        let (key, _) = CacheKey::from_store(secrets).unwrap();
        SessionCache::new(Arc::new(SledStore::open(dir).unwrap()), Arc::new(key))
    }

    fn session(minutes_ago: i64, version: i64) -> Session {
        let tariff = crate::test_support::tariff();
        Session {
            id: uuid::Uuid::new_v4(),
            evse_id: EvseId::parse("DE*CKT*E1").unwrap(),
            status: SessionStatus::Completed,
            created_at: OffsetDateTime::now_utc() - time::Duration::minutes(minutes_ago),
            started_at: None,
            stopped_at: None,
            energy_wh: 1000,
            power_w: 0,
            duration_seconds: 60,
            parking_seconds: 0,
            cost: price(&tariff, &SessionUsage { energy_wh: 1000, charging_seconds: 60, parking_seconds: 0 }),
            tariff,
            failure_reason: None,
            review_reason: None,
            auth_method: Default::default(),
            version,
        }
    }

    #[test]
    fn lists_newest_first_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecureStore::new();
        let (old, new) = (session(60, 1), session(1, 1));
        {
            let cache = open(dir.path(), &secrets);
            cache.put(&old).unwrap();
            cache.put(&new).unwrap();
        }
        let cache = open(dir.path(), &secrets);
        let ids: Vec<_> = cache.newest(10, 0).unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![new.id, old.id]);
        assert_eq!(cache.newest(10, 1).unwrap()[0].id, old.id);
        assert_eq!(cache.get(&old.id.to_string()).unwrap().unwrap().cost.currency, Currency::EUR);
    }

    #[test]
    fn a_batch_is_stored_at_once_and_skips_what_is_older() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path(), &MemorySecureStore::new());
        let kept = session(5, 9);
        cache.put(&kept).unwrap();
        let mut stale = kept.clone();
        stale.version = 1;
        let batch: Vec<_> = (0..50).map(|i| session(i, 1)).chain([stale]).collect();
        let stored = cache.put_many(&batch).unwrap();
        assert_eq!(stored.len(), 50, "the stale copy was skipped");
        assert_eq!(cache.newest(100, 0).unwrap().len(), 51);
        assert_eq!(cache.get(&kept.id.to_string()).unwrap().unwrap().version, 9);
    }

    #[test]
    fn works_on_any_store() {
        let (key, _) = CacheKey::from_store(&MemorySecureStore::new()).unwrap();
        let cache = SessionCache::new(Arc::new(crate::store::MemoryStore::default()), Arc::new(key));
        let (old, new) = (session(60, 1), session(1, 1));
        cache.put_many(&[old.clone(), new.clone()]).unwrap();
        cache.set_sync_cursor("driver", 42).unwrap();
        let ids: Vec<_> = cache.newest(10, 0).unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![new.id, old.id]);
        assert_eq!(cache.sync_cursor("driver").unwrap(), 42);
        cache.clear().unwrap();
        assert!(cache.newest(10, 0).unwrap().is_empty());
        assert_eq!(cache.sync_cursor("driver").unwrap(), 0);
    }

    #[test]
    fn keeps_the_newest_version() {
        let dir = tempfile::tempdir().unwrap();
        let cache = open(dir.path(), &MemorySecureStore::new());
        let mut s = session(5, 3);
        cache.put(&s).unwrap();
        s.version = 2;
        s.energy_wh = 1;
        cache.put(&s).unwrap();
        assert_eq!(cache.get(&s.id.to_string()).unwrap().unwrap().energy_wh, 1000);
        s.version = 4;
        cache.put(&s).unwrap();
        assert_eq!(cache.get(&s.id.to_string()).unwrap().unwrap().energy_wh, 1);
        assert_eq!(cache.newest(10, 0).unwrap().len(), 1);
    }

    #[test]
    fn nothing_readable_lands_on_disk_and_another_key_reads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = MemorySecureStore::new();
        let session = session(1, 1);
        {
            let cache = open(dir.path(), &secrets);
            cache.put(&session).unwrap();
        }
        let mut on_disk = Vec::new();
        for entry in walk(dir.path()) {
            on_disk.extend(std::fs::read(entry).unwrap());
        }
        assert!(!on_disk.is_empty());
        for needle in [session.evse_id.as_str().as_bytes(), b"energy_wh".as_slice(), b"EUR".as_slice()] {
            assert!(!on_disk.windows(needle.len()).any(|w| w == needle), "{} found on disk", String::from_utf8_lossy(needle));
        }
        let stranger = open(dir.path(), &MemorySecureStore::new());
        assert!(matches!(stranger.get(&session.id.to_string()), Err(CoreError::Storage(_))));
    }

    fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .flat_map(|e| {
                let path = e.unwrap().path();
                if path.is_dir() { walk(&path) } else { vec![path] }
            })
            .collect()
    }
}
