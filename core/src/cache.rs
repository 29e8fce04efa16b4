//! The offline cache of the driver's sessions (sled). History is read from here, so it works
//! with no network; every write is flushed before it counts as done, so a killed app keeps it.
//!
//! Layout: tree `sessions` maps a session id to its JSON, sealed with the cache key
//! ([`CacheKey`]); tree `sessions_by_time` maps `(u64::MAX - created_at in ns, big endian) ++ id`
//! to the id, so iterating it in key order lists the newest session first; tree `sync` keeps
//! each driver's history sync cursor.

use std::path::Path;
use std::sync::Arc;

use chargekit_model::Session;
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use crate::crypto::CacheKey;
use crate::error::CoreError;

/// A phone-sized page cache instead of sled's 1 GiB default.
const CACHE_CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

pub struct SessionCache {
    db: sled::Db,
    sessions: sled::Tree,
    by_time: sled::Tree,
    /// Sync cursors by driver id: how far the history was brought up to date.
    sync: sled::Tree,
    key: Arc<CacheKey>,
}

/// Opens the core's sled database in `dir` (the session cache and the outbox share it).
pub fn open_db(dir: &Path) -> Result<sled::Db, CoreError> {
    Ok(sled::Config::new().path(dir.join("cache")).cache_capacity(CACHE_CAPACITY_BYTES).open()?)
}

impl SessionCache {
    pub fn new(db: sled::Db, key: Arc<CacheKey>) -> Result<Self, CoreError> {
        Ok(Self {
            sessions: db.open_tree("sessions")?,
            by_time: db.open_tree("sessions_by_time")?,
            sync: db.open_tree("sync")?,
            db,
            key,
        })
    }

    /// Where the driver's last history sync ended (0: never synced).
    pub fn sync_cursor(&self, driver_id: &str) -> Result<i64, CoreError> {
        Ok(self.sync.get(driver_id.as_bytes())?.and_then(|v| <[u8; 8]>::try_from(v.as_ref()).ok()).map_or(0, i64::from_be_bytes))
    }

    /// Records a sync's progress; the sessions it brought must already be stored.
    pub fn set_sync_cursor(&self, driver_id: &str, cursor: i64) -> Result<(), CoreError> {
        self.sync.insert(driver_id.as_bytes(), &cursor.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// Forgets every cached session (their key is gone; the backend still has them).
    pub fn clear(&self) -> Result<(), CoreError> {
        self.sessions.clear()?;
        self.by_time.clear()?;
        self.sync.clear()?;
        self.db.flush()?;
        Ok(())
    }

    /// Stores a session unless the cache already has the same or a newer version of it.
    /// Durable when this returns.
    pub fn put(&self, session: &Session) -> Result<(), CoreError> {
        self.put_many(std::slice::from_ref(session)).map(|_| ())
    }

    /// Stores sessions (a sync page, say) in one transaction and one flush, skipping those the
    /// cache has in the same or a newer version. Returns the sessions that were newer.
    /// Durable when this returns.
    pub fn put_many<'a>(&self, sessions: &'a [Session]) -> Result<Vec<&'a Session>, CoreError> {
        let mut newer = Vec::with_capacity(sessions.len());
        let mut records = Vec::with_capacity(sessions.len());
        for session in sessions {
            let id = session.id.to_string();
            if self.get(&id)?.is_some_and(|cached| cached.version >= session.version) {
                continue;
            }
            let json = serde_json::to_vec(session).map_err(|e| CoreError::Internal(e.to_string()))?;
            records.push((self.key.seal(&record_name(&id), &json)?, time_key(session), id));
            newer.push(session);
        }
        if records.is_empty() {
            return Ok(newer);
        }
        (&self.sessions, &self.by_time)
            .transaction(|(tree, index)| {
                for (sealed, index_key, id) in &records {
                    tree.insert(id.as_bytes(), sealed.as_slice())?;
                    index.insert(index_key.as_slice(), id.as_bytes())?;
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e| CoreError::Storage(format!("{e:?}")))?;
        self.db.flush()?;
        Ok(newer)
    }

    pub fn get(&self, id: &str) -> Result<Option<Session>, CoreError> {
        self.sessions.get(id.as_bytes())?.map(|sealed| self.decode(id, &sealed)).transpose()
    }

    /// Up to `limit` sessions after skipping `offset`, newest first.
    pub fn newest(&self, limit: usize, offset: usize) -> Result<Vec<Session>, CoreError> {
        self.iter_newest().skip(offset).take(limit).collect()
    }

    /// Every cached session, newest first, read (and decrypted) one at a time.
    pub fn iter_newest(&self) -> impl Iterator<Item = Result<Session, CoreError>> + '_ {
        self.by_time.iter().filter_map(move |entry| {
            let read = || -> Result<Option<Session>, CoreError> {
                let (_, id) = entry?;
                match self.sessions.get(&id)? {
                    Some(sealed) => self.decode(&String::from_utf8_lossy(&id), &sealed).map(Some),
                    None => Ok(None), // an index entry whose session is being rewritten
                }
            };
            read().transpose()
        })
    }

    fn decode(&self, id: &str, sealed: &[u8]) -> Result<Session, CoreError> {
        let json = self.key.open(&record_name(id), sealed)?;
        serde_json::from_slice(&json).map_err(|e| CoreError::Storage(format!("a cached session is unreadable: {e}")))
    }
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
    use crate::secrets::MemorySecureStore;
    use chargekit_model::{Currency, EvseId, SessionStatus, SessionUsage, price};
    use time::OffsetDateTime;

    fn open(dir: &Path, secrets: &MemorySecureStore) -> SessionCache {
        let (key, _) = CacheKey::from_store(secrets).unwrap();
        SessionCache::new(open_db(dir).unwrap(), Arc::new(key)).unwrap()
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
            cost: price(&tariff, &SessionUsage { energy_wh: 1000, charging_seconds: 60, parking_seconds: 0 }),
            tariff,
            failure_reason: None,
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
