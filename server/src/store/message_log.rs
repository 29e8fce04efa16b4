//! The OCPP message log: every frame a charger sent or was sent, secrets already redacted by the
//! caller (`ocpp::message_log`), kept for the operator's session and charger pages.
//!
//! The log is written on the chargers' hot path without a commit of its own: a frame is handed
//! to the group writer (`group_commit.rs`) without waiting, and rides in the transaction of the
//! next batch of the chargers' writes, or, when no write comes within
//! [`super::group_commit::LOG_DELAY`], in one transaction for every frame that waited. A crash
//! loses at most that much of the log, never a charger's answer: the log is a record for
//! people, nothing is billed on it.

use super::{Store, StoreError};

/// One frame to keep.
#[derive(Debug, Clone)]
pub struct LoggedFrame {
    pub charger_id: String,
    /// From the charger (`in`) or to it (`out`).
    pub direction: Direction,
    /// 2 CALL, 3 CALLRESULT, 4 CALLERROR.
    pub message_type: u8,
    pub message_id: String,
    pub action: Option<String>,
    pub transaction_id: Option<i64>,
    /// JSON text, redacted.
    pub payload: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

/// A stored frame, as the operator API reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: i64,
    pub charger_id: String,
    pub direction: String,
    pub message_type: i64,
    pub message_id: String,
    pub action: Option<String>,
    pub transaction_id: Option<i64>,
    pub payload: String,
    pub at_ms: i64,
}

macro_rules! select_messages {
    () => {
        "SELECT id, charger_id, direction, message_type, message_id, action, transaction_id, payload, at_ms FROM ocpp_messages"
    };
}

impl Store {
    /// Queues a frame for the log; returns at once (see the module's comment).
    pub fn log_frame(&self, frame: LoggedFrame) {
        self.writer.log(frame);
    }

    /// A charger's frames, newest first, older than row `before` if given. Frames still waiting
    /// for the group writer are committed first, so the page shows what was sent until now.
    pub async fn charger_messages(&self, charger_id: &str, before: Option<i64>, limit: u32) -> Result<Vec<MessageRow>, StoreError> {
        self.writer.flush().await;
        sqlx::query_as(concat!(select_messages!(), " WHERE charger_id = ? AND id < ? ORDER BY id DESC LIMIT ?"))
            .bind(charger_id)
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
    }

    /// The frames of one transaction, oldest first, at most `limit`: those naming it (answers are
    /// logged under their CALL's transaction), and the CALL of each answer naming it that did not
    /// (the StartTransaction whose answer gave the id): the nearest earlier CALL with its message
    /// id, since chargers reuse message ids across reboots.
    pub async fn transaction_messages(&self, charger_id: &str, transaction_id: i64, limit: u32) -> Result<Vec<MessageRow>, StoreError> {
        self.writer.flush().await;
        sqlx::query_as(concat!(
            select_messages!(),
            " WHERE (transaction_id = ?2 AND charger_id = ?1) OR id IN (
                 SELECT (SELECT max(c.id) FROM ocpp_messages c
                         WHERE c.charger_id = a.charger_id AND c.message_id = a.message_id AND c.id < a.id AND c.message_type = 2)
                 FROM ocpp_messages a WHERE a.transaction_id = ?2 AND a.charger_id = ?1 AND a.message_type != 2)
             ORDER BY id LIMIT ?3"
        ))
        .bind(charger_id)
        .bind(transaction_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// The RemoteStartTransaction the server sent for a session started from the app, and the
    /// charger's answer: OCPP 1.6 gives the remote start no id the transaction names, so it is
    /// found as the session's start is correlated, by connector and idTag, sent in
    /// `[from_ms, to_ms]` (from the session's creation to its start timeout).
    pub async fn remote_start_messages(&self, charger_id: &str, connector_id: i64, id_tag: &str, from_ms: i64, to_ms: i64) -> Result<Vec<MessageRow>, StoreError> {
        self.writer.flush().await;
        sqlx::query_as(concat!(
            select_messages!(),
            " WHERE id IN (
                 SELECT r.id FROM (SELECT id, message_id FROM ocpp_messages
                     WHERE at_ms BETWEEN ?4 AND ?5 AND charger_id = ?1 AND direction = 'out' AND message_type = 2
                       AND action = 'RemoteStartTransaction' AND json_extract(payload, '$.idTag') = ?3
                       AND json_extract(payload, '$.connectorId') = ?2 ORDER BY id LIMIT 1) call
                 JOIN ocpp_messages r ON r.id = call.id OR r.id = (
                     SELECT min(a.id) FROM ocpp_messages a WHERE a.charger_id = ?1 AND a.message_id = call.message_id AND a.id > call.id AND a.message_type != 2))
             ORDER BY id"
        ))
        .bind(charger_id)
        .bind(connector_id)
        .bind(id_tag)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await
    }

    /// Deletes up to `chunk` frames older than `before_ms`; returns how many. Called in a loop
    /// with pauses, so that the write lock is never held long (see the warmer's lesson in
    /// docs/benchmarks.md).
    pub async fn prune_messages(&self, before_ms: i64, chunk: u32) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM ocpp_messages WHERE id IN (SELECT id FROM ocpp_messages WHERE at_ms < ? ORDER BY at_ms LIMIT ?)")
            .bind(before_ms)
            .bind(chunk)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }
}

/// Inserts frames in one statement (a JSON array of rows): a batch of thousands of frames is one
/// statement, not thousands.
pub(super) async fn insert_frames(tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>, frames: &[LoggedFrame]) -> Result<(), StoreError> {
    if frames.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = frames
        .iter()
        .map(|f| {
            serde_json::json!([f.charger_id, f.direction.as_str(), f.message_type, f.message_id, f.action, f.transaction_id, f.payload, f.at_ms])
        })
        .collect();
    sqlx::query(
        "INSERT INTO ocpp_messages (charger_id, direction, message_type, message_id, action, transaction_id, payload, at_ms)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
                json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]')
         FROM json_each(?) ORDER BY key",
    )
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::HandledMessage;

    fn frame(i: i64) -> LoggedFrame {
        LoggedFrame {
            charger_id: "CP-1".into(),
            direction: if i % 2 == 0 { Direction::In } else { Direction::Out },
            message_type: 2,
            message_id: format!("m{i}"),
            action: Some("Heartbeat".into()),
            transaction_id: None,
            payload: "{}".into(),
            at_ms: i,
        }
    }

    #[tokio::test]
    async fn logged_frames_ride_in_the_next_batch_without_a_commit_of_their_own() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        let before = store.write_stats().commits();
        for i in 0..100 {
            store.log_frame(frame(i));
        }
        let handled = HandledMessage { action: "MeterValues".into(), payload_sha256: "00".into(), response: "{}".into() };
        store.record_handled_message("CP-1", "h1", &handled).await.unwrap();
        assert_eq!(store.write_stats().commits() - before, 1, "100 frames and a write: one commit");
        let logged = store.charger_messages("CP-1", None, 500).await.unwrap();
        assert_eq!(store.write_stats().commits() - before, 1, "nothing was left waiting to commit");
        let ids: Vec<&str> = logged.iter().rev().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids, (0..100).map(|i| format!("m{i}")).collect::<Vec<_>>(), "every frame, in the order logged");
        assert_eq!(logged[0].direction, "out");

        assert_eq!(store.prune_messages(50, 20).await.unwrap(), 20, "a chunk at a time");
        assert_eq!(store.prune_messages(50, 1_000).await.unwrap(), 30);
        assert_eq!(store.charger_messages("CP-1", None, 500).await.unwrap().len(), 50, "the newer frames are kept");
    }

    #[tokio::test]
    async fn frames_with_no_write_to_ride_with_are_committed_by_a_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        store.log_frame(frame(1));
        assert_eq!(store.charger_messages("CP-1", None, 10).await.unwrap().len(), 1);
    }
}
