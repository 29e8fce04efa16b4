//! What chargers reported, kept as reported: answers to transaction messages (so a
//! retransmission gets the same answer), meter values per session, transactions no driver owns,
//! and the connector status and connection history the operator's availability is computed from.

use chargekit_model::ocpp::messages::SampledValue;
use time::OffsetDateTime;

use super::group_commit::Write;
use super::{Store, StoreError};

/// A transaction message already answered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HandledMessage {
    pub action: String,
    pub payload_sha256: String,
    pub response: String,
}

impl Store {
    pub async fn handled_message(&self, charger_id: &str, message_id: &str) -> Result<Option<HandledMessage>, StoreError> {
        sqlx::query_as("SELECT action, payload_sha256, response FROM ocpp_handled WHERE charger_id = ? AND message_id = ?")
            .bind(charger_id)
            .bind(message_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Forgets the answers to messages handled before `before`: a charger retransmits what it
    /// queued within hours or days, and without pruning the log would grow by every
    /// MeterValues of every charger, forever.
    pub async fn prune_handled_messages(&self, before: OffsetDateTime) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM ocpp_handled WHERE handled_at < ?").bind(before).execute(&mut *self.write_connection().await?).await?;
        Ok(result.rows_affected())
    }

    /// Keeps the answer to a message, committed with the other chargers' writes of the moment.
    pub async fn record_handled_message(&self, charger_id: &str, message_id: &str, handled: &HandledMessage) -> Result<(), StoreError> {
        let write = Write::Handled { charger_id: charger_id.to_owned(), message_id: message_id.to_owned(), handled: handled.clone() };
        self.group_write(write).await.map(|_| ())
    }

    /// Keeps MeterValues (their sampled values as JSON) of a session, in one transaction (shared
    /// with the other chargers' writes of the moment).
    pub async fn insert_meter_values(&self, session_id: &str, values: &[(OffsetDateTime, Vec<SampledValue>)]) -> Result<(), StoreError> {
        let write = Write::MeterValues { session_id: session_id.to_owned(), values: values.to_vec() };
        self.group_write(write).await.map(|_| ())
    }

    /// A session's meter values stored after row `after` (0: all), in the order they were
    /// stored, as `(row, at, sampled values)`. Values that no longer parse are skipped.
    pub async fn meter_values_after(&self, session_id: &str, after: i64) -> Result<Vec<(i64, OffsetDateTime, Vec<SampledValue>)>, StoreError> {
        let rows: Vec<(i64, OffsetDateTime, sqlx::types::Json<serde_json::Value>)> =
            sqlx::query_as("SELECT rowid, at, sampled_values FROM meter_values WHERE session_id = ? AND rowid > ? ORDER BY rowid")
                .bind(session_id)
                .bind(after)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().filter_map(|(row, at, values)| Some((row, at, serde_json::from_value(values.0).ok()?))).collect())
    }


    /// After a crash, the chargers the server had connected have no `disconnected` event: each
    /// gets one, dated at its last heartbeat (or when it connected, if it never beat since), so
    /// the time the server was down counts as offline. Returns how many were closed.
    pub async fn close_connections_left_open(&self) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "INSERT INTO charger_connection_events (charger_id, event, at)
             SELECT e.charger_id, 'disconnected', MAX(e.at, COALESCE(c.last_seen_at, e.at))
             FROM charger_connection_events e JOIN chargers c ON c.id = e.charger_id
             WHERE e.rowid = (SELECT MAX(rowid) FROM charger_connection_events WHERE charger_id = e.charger_id)
               AND e.event = 'connected'",
        )
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(result.rows_affected())
    }

    /// A charger connected or disconnected, committed with the other chargers' writes of the
    /// moment.
    pub async fn record_connection(&self, charger_id: &str, connected: bool) -> Result<(), StoreError> {
        let write = Write::Connection { charger_id: charger_id.to_owned(), connected, at: OffsetDateTime::now_utc() };
        self.group_write(write).await.map(|_| ())
    }
}

pub(super) async fn insert_handled(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    charger_id: &str,
    message_id: &str,
    handled: &HandledMessage,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO ocpp_handled (charger_id, message_id, action, payload_sha256, response, handled_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (charger_id, message_id) DO UPDATE SET action = excluded.action,
             payload_sha256 = excluded.payload_sha256, response = excluded.response, handled_at = excluded.handled_at",
    )
    .bind(charger_id)
    .bind(message_id)
    .bind(&handled.action)
    .bind(&handled.payload_sha256)
    .bind(&handled.response)
    .bind(OffsetDateTime::now_utc())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(super) async fn insert_meter_values(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    session_id: &str,
    values: &[(OffsetDateTime, Vec<SampledValue>)],
) -> Result<(), StoreError> {
    for (at, sampled) in values {
        sqlx::query("INSERT INTO meter_values (session_id, at, sampled_values) VALUES (?, ?, ?)")
            .bind(session_id)
            .bind(at)
            .bind(sqlx::types::Json(sampled))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn old_answers_are_pruned_and_recent_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).await.unwrap();
        let handled = HandledMessage { action: "MeterValues".into(), payload_sha256: "00".into(), response: "{}".into() };
        store.record_handled_message("CP-1", "m1", &handled).await.unwrap();
        assert_eq!(store.prune_handled_messages(OffsetDateTime::now_utc() - time::Duration::days(1)).await.unwrap(), 0, "recent: kept");
        assert!(store.handled_message("CP-1", "m1").await.unwrap().is_some());
        assert_eq!(store.prune_handled_messages(OffsetDateTime::now_utc() + time::Duration::seconds(1)).await.unwrap(), 1);
        assert!(store.handled_message("CP-1", "m1").await.unwrap().is_none());
    }
}
