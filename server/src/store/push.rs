//! Push: device tokens, the events derived once, the outbox of pushes and the deriver's cursor
//! (migration 0022; see `crate::push`).

use time::OffsetDateTime;

use super::sessions::SessionRow;
use super::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushTokenRow {
    pub id: i64,
    pub driver_id: String,
    pub provider: String,
    pub purpose: String,
    pub token: String,
    pub session_id: Option<String>,
    pub created_at: OffsetDateTime,
}

/// A device token being registered.
pub struct NewPushToken<'a> {
    pub driver_id: &'a str,
    pub sign_in: &'a str,
    pub provider: &'a str,
    pub purpose: &'a str,
    pub token: &'a str,
    pub session_id: Option<&'a str>,
}

/// A push due to be sent, with its device.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DuePush {
    pub push_id: i64,
    pub event_id: String,
    pub message: String,
    pub attempts: i64,
    #[sqlx(flatten)]
    pub token: PushTokenRow,
}

/// One push to queue for a device.
pub struct QueuedPush {
    pub token_id: i64,
    pub event_id: String,
    pub message: String,
}

/// The columns of a [`PushTokenRow`] of `push_tokens t`, as a macro so statements stay
/// `&'static str` (what sqlx accepts as audited SQL).
macro_rules! token_columns {
    () => {
        "t.id, t.driver_id, t.provider, t.purpose, t.token, t.session_id, t.created_at"
    };
}

impl Store {
    /// Registers a device token with a sign-in. The same device registering again (a new
    /// sign-in on it, another driver) takes the token over: one device, one recipient.
    pub async fn upsert_push_token(&self, new: &NewPushToken<'_>) -> Result<PushTokenRow, StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO push_tokens (driver_id, sign_in, provider, purpose, token, session_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (provider, token) DO UPDATE SET driver_id = excluded.driver_id, sign_in = excluded.sign_in,
                purpose = excluded.purpose, session_id = excluded.session_id, created_at = excluded.created_at",
        )
        .bind(new.driver_id)
        .bind(new.sign_in)
        .bind(new.provider)
        .bind(new.purpose)
        .bind(new.token)
        .bind(new.session_id)
        .bind(OffsetDateTime::now_utc())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query_as(concat!("SELECT ", token_columns!(), " FROM push_tokens t WHERE provider = ? AND token = ?"))
            .bind(new.provider)
            .bind(new.token)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn push_tokens_of(&self, driver_id: &str) -> Result<Vec<PushTokenRow>, StoreError> {
        sqlx::query_as(concat!("SELECT ", token_columns!(), " FROM push_tokens t WHERE driver_id = ? ORDER BY id"))
            .bind(driver_id)
            .fetch_all(&self.pool)
            .await
    }

    /// Removes one of the driver's tokens; false when the driver has no such token.
    pub async fn delete_push_token(&self, driver_id: &str, token: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM push_tokens WHERE driver_id = ? AND token = ?").bind(driver_id).bind(token).execute(&mut *self.write_connection().await?).await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// A token the provider says is gone: deleted with its queued pushes.
    pub async fn delete_push_token_by_id(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM push_tokens WHERE id = ?").bind(id).execute(&mut *self.write_connection().await?).await.map(|_| ())
    }

    /// Where the deriver stopped, or `None` before its first run.
    pub async fn push_cursor(&self) -> Result<Option<i64>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT change_seq FROM push_cursor WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(row.map(|(seq,)| seq))
    }

    /// The newest session change sequence number.
    pub async fn newest_change_seq(&self) -> Result<i64, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT value FROM counters WHERE name = 'change_seq'").fetch_optional(&self.pool).await?;
        Ok(row.map_or(0, |(seq,)| seq))
    }

    /// Changes after `after` of sessions whose driver has a device registered, in order, at
    /// most `limit`; with where the next read starts (past changes of other drivers too).
    pub async fn session_changes_for_push(&self, after: i64, limit: u32) -> Result<(Vec<SessionRow>, i64), StoreError> {
        #[derive(sqlx::FromRow)]
        struct Changed {
            #[sqlx(flatten)]
            row: SessionRow,
            change_seq: i64,
        }
        // One read transaction: the counter and the rows are of the same moment.
        let mut tx = self.pool.begin().await?;
        let (newest,): (i64,) = sqlx::query_as("SELECT COALESCE((SELECT value FROM counters WHERE name = 'change_seq'), 0)").fetch_one(&mut *tx).await?;
        let rows: Vec<Changed> = sqlx::query_as(select_sessions!(
            "change_seq > ? AND change_seq <= ? AND driver_id IN (SELECT driver_id FROM push_tokens) ORDER BY change_seq LIMIT ?"
        ))
        .bind(after)
        .bind(newest)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let next = if rows.len() as u64 >= u64::from(limit) { rows.last().map_or(newest, |c| c.change_seq) } else { newest };
        Ok((rows.into_iter().map(|c| c.row).collect(), next))
    }

    /// Every token a session's pushes go to: the driver's alert tokens and the Live Activity
    /// tokens following this session.
    pub async fn push_tokens_for_session(&self, driver_id: &str, session_id: &str) -> Result<Vec<PushTokenRow>, StoreError> {
        sqlx::query_as(concat!("SELECT ", token_columns!(), " FROM push_tokens t WHERE driver_id = ? AND (purpose = 'alert' OR session_id = ?) ORDER BY id"))
        .bind(driver_id)
        .bind(session_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Records the events not derived before and queues their pushes, in one transaction,
    /// with the cursor moved to `cursor`. Returns how many pushes were queued.
    pub async fn queue_pushes(&self, events: &[(String, String, Vec<QueuedPush>)], cursor: i64, now_ms: i64) -> Result<usize, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut queued = 0;
        for (event_id, session_id, pushes) in events {
            let new = sqlx::query("INSERT OR IGNORE INTO push_events (event_id, session_id, created_at) VALUES (?, ?, ?)")
                .bind(event_id)
                .bind(session_id)
                .bind(OffsetDateTime::now_utc())
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            if !new {
                continue;
            }
            for push in pushes {
                queued += sqlx::query("INSERT OR IGNORE INTO push_outbox (token_id, event_id, message, next_attempt_ms) VALUES (?, ?, ?, ?)")
                    .bind(push.token_id)
                    .bind(&push.event_id)
                    .bind(&push.message)
                    .bind(now_ms)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected() as usize;
            }
        }
        sqlx::query("INSERT INTO push_cursor (id, change_seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET change_seq = excluded.change_seq")
            .bind(cursor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Pushes due at `now_ms`, oldest first.
    pub async fn due_pushes(&self, now_ms: i64, limit: u32) -> Result<Vec<DuePush>, StoreError> {
        sqlx::query_as(concat!("SELECT o.id AS push_id, o.event_id, o.message, o.attempts, ", token_columns!(), "
             FROM push_outbox o JOIN push_tokens t ON t.id = o.token_id
             WHERE o.next_attempt_ms <= ? ORDER BY o.next_attempt_ms, o.id LIMIT ?"))
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// When the next queued push is due, if any.
    pub async fn next_push_due_ms(&self) -> Result<Option<i64>, StoreError> {
        let (due,): (Option<i64>,) = sqlx::query_as("SELECT MIN(next_attempt_ms) FROM push_outbox").fetch_one(&self.pool).await?;
        Ok(due)
    }

    pub async fn delete_push(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM push_outbox WHERE id = ?").bind(id).execute(&mut *self.write_connection().await?).await.map(|_| ())
    }

    pub async fn retry_push_later(&self, id: i64, next_attempt_ms: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE push_outbox SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE id = ?")
            .bind(next_attempt_ms)
            .bind(error)
            .bind(id)
            .execute(&mut *self.write_connection().await?)
            .await
            .map(|_| ())
    }
}
