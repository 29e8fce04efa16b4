//! The offline cache of the driver's sessions (sled). History is read from here, so it works
//! with no network; every write is flushed before it counts as done, so a killed app keeps it.
//!
//! Layout: tree `sessions` maps a session id to its JSON; tree `sessions_by_time` maps
//! `(u64::MAX - created_at in ns, big endian) ++ id` to the id, so iterating it in key order
//! lists the newest session first.

use std::path::Path;

use chargekit_model::Session;
use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use crate::error::CoreError;

/// A phone-sized page cache instead of sled's 1 GiB default.
const CACHE_CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

pub struct SessionCache {
    db: sled::Db,
    sessions: sled::Tree,
    by_time: sled::Tree,
}

/// Opens the core's sled database in `dir` (the session cache and the outbox share it).
pub fn open_db(dir: &Path) -> Result<sled::Db, CoreError> {
    Ok(sled::Config::new().path(dir.join("cache")).cache_capacity(CACHE_CAPACITY_BYTES).open()?)
}

impl SessionCache {
    pub fn new(db: sled::Db) -> Result<Self, CoreError> {
        Ok(Self { sessions: db.open_tree("sessions")?, by_time: db.open_tree("sessions_by_time")?, db })
    }

    #[cfg(test)]
    fn open(dir: &Path) -> Result<Self, CoreError> {
        Self::new(open_db(dir)?)
    }

    /// Stores a session unless the cache already has the same or a newer version of it.
    pub fn put(&self, session: &Session) -> Result<(), CoreError> {
        if self.get(&session.id.to_string())?.is_some_and(|cached| cached.version >= session.version) {
            return Ok(());
        }
        let id = session.id.to_string();
        let json = serde_json::to_vec(session).map_err(|e| CoreError::Internal(e.to_string()))?;
        let index_key = time_key(session);
        (&self.sessions, &self.by_time)
            .transaction(|(sessions, by_time)| {
                sessions.insert(id.as_bytes(), json.as_slice())?;
                by_time.insert(index_key.as_slice(), id.as_bytes())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e| CoreError::Storage(format!("{e:?}")))?;
        self.db.flush()?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Option<Session>, CoreError> {
        self.sessions.get(id.as_bytes())?.map(|bytes| decode(&bytes)).transpose()
    }

    /// Up to `limit` sessions after skipping `offset`, newest first.
    pub fn newest(&self, limit: usize, offset: usize) -> Result<Vec<Session>, CoreError> {
        let mut page = Vec::with_capacity(limit.min(256));
        for entry in self.by_time.iter().skip(offset).take(limit) {
            let (_, id) = entry?;
            if let Some(bytes) = self.sessions.get(&id)? {
                page.push(decode(&bytes)?);
            }
        }
        Ok(page)
    }
}

fn time_key(session: &Session) -> Vec<u8> {
    let nanos = u64::try_from(session.created_at.unix_timestamp_nanos()).unwrap_or(0);
    let mut key = (u64::MAX - nanos).to_be_bytes().to_vec();
    key.extend_from_slice(session.id.as_bytes());
    key
}

fn decode(bytes: &[u8]) -> Result<Session, CoreError> {
    serde_json::from_slice(bytes).map_err(|e| CoreError::Storage(format!("a cached session is unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chargekit_model::{Currency, EvseId, SessionStatus, SessionUsage, price};
    use time::OffsetDateTime;

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
        let (old, new) = (session(60, 1), session(1, 1));
        {
            let cache = SessionCache::open(dir.path()).unwrap();
            cache.put(&old).unwrap();
            cache.put(&new).unwrap();
        }
        let cache = SessionCache::open(dir.path()).unwrap();
        let ids: Vec<_> = cache.newest(10, 0).unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, vec![new.id, old.id]);
        assert_eq!(cache.newest(10, 1).unwrap()[0].id, old.id);
        assert_eq!(cache.get(&old.id.to_string()).unwrap().unwrap().cost.currency, Currency::EUR);
    }

    #[test]
    fn keeps_the_newest_version() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SessionCache::open(dir.path()).unwrap();
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
}
