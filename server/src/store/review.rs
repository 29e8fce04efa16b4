//! What the operator has to look at: sessions held for review, the readings that put them
//! there, StartTransactions the server refused, and orphan transactions (stops no session can
//! be billed for).

use chargekit_model::ocpp::messages::SampledValue;
use sqlx::types::Json;
use time::OffsetDateTime;

use super::{Store, StoreError};

/// A StartTransaction the server refused, remembered for the StopTransaction that follows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefusedTransaction {
    pub charger_id: String,
    pub transaction_id: i64,
    pub connector_id: i64,
    pub id_tag: String,
    pub status: String,
    pub meter_start_wh: i64,
    pub started_at: OffsetDateTime,
}

/// A transaction kept for the operator instead of billed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrphanRow {
    pub id: i64,
    pub charger_id: String,
    pub transaction_id: i64,
    pub id_tag: Option<String>,
    pub reason: Option<String>,
    pub report: Json<serde_json::Value>,
    pub received_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
}

impl Store {
    pub async fn insert_refused_transaction(&self, refused: &RefusedTransaction) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO refused_transactions (charger_id, transaction_id, connector_id, id_tag, status, meter_start_wh, started_at, refused_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&refused.charger_id)
        .bind(refused.transaction_id)
        .bind(refused.connector_id)
        .bind(&refused.id_tag)
        .bind(&refused.status)
        .bind(refused.meter_start_wh)
        .bind(refused.started_at)
        .bind(OffsetDateTime::now_utc())
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(())
    }

    pub async fn refused_transaction(&self, charger_id: &str, transaction_id: i64) -> Result<Option<RefusedTransaction>, StoreError> {
        sqlx::query_as(
            "SELECT charger_id, transaction_id, connector_id, id_tag, status, meter_start_wh, started_at
             FROM refused_transactions WHERE charger_id = ? AND transaction_id = ?",
        )
        .bind(charger_id)
        .bind(transaction_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Keeps readings that cannot be right with their session, as sent, with why.
    pub async fn insert_implausible_readings(&self, session_id: &str, readings: &[(OffsetDateTime, Vec<SampledValue>)], reason: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        for (at, values) in readings {
            sqlx::query("INSERT INTO implausible_readings (session_id, at, sampled_values, reason, received_at) VALUES (?, ?, ?, ?, ?)")
                .bind(session_id)
                .bind(at)
                .bind(Json(values))
                .bind(reason)
                .bind(OffsetDateTime::now_utc())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    pub async fn insert_orphan_transaction(
        &self,
        charger_id: &str,
        transaction_id: i64,
        id_tag: Option<&str>,
        reason: &str,
        report: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO orphan_transactions (charger_id, transaction_id, id_tag, reason, report, received_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(charger_id)
            .bind(transaction_id)
            .bind(id_tag)
            .bind(reason)
            .bind(Json(report))
            .bind(OffsetDateTime::now_utc())
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// Orphan transactions, newest first; `open_only` leaves out the resolved ones.
    pub async fn orphans(&self, open_only: bool, limit: u32) -> Result<Vec<OrphanRow>, StoreError> {
        sqlx::query_as(
            "SELECT rowid AS id, charger_id, transaction_id, id_tag, reason, report, received_at, resolved_at, resolved_by, resolution
             FROM orphan_transactions WHERE (? = 0 OR resolved_at IS NULL) ORDER BY rowid DESC LIMIT ?",
        )
        .bind(open_only)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Marks an open orphan resolved; `false` if there is no such open orphan.
    pub async fn resolve_orphan(&self, id: i64, operator: &str, resolution: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE orphan_transactions SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE rowid = ? AND resolved_at IS NULL")
            .bind(OffsetDateTime::now_utc())
            .bind(operator)
            .bind(resolution)
            .bind(id)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn orphan(&self, id: i64) -> Result<Option<OrphanRow>, StoreError> {
        sqlx::query_as(
            "SELECT rowid AS id, charger_id, transaction_id, id_tag, reason, report, received_at, resolved_at, resolved_by, resolution
             FROM orphan_transactions WHERE rowid = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }
}
