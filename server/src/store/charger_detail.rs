//! One charger as the operator's charger page shows it: what it booted as, its connectors now,
//! its status and connection history, and the commands operators sent it (the audit log).

use time::OffsetDateTime;

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChargerOverviewRow {
    pub id: String,
    pub site: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    pub last_boot_at: Option<OffsetDateTime>,
    pub last_seen_at: Option<OffsetDateTime>,
    pub security_profile: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectorNowRow {
    pub connector_id: i64,
    pub evse_id: String,
    pub status: String,
    /// From the last StatusNotification (none before the first).
    pub error_code: Option<String>,
    pub since: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusEventRow {
    pub connector_id: i64,
    pub status: String,
    pub error_code: Option<String>,
    pub at: OffsetDateTime,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionEventRow {
    pub event: String,
    pub at: OffsetDateTime,
}

/// A command an operator sent, as the audit log keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OperatorCommandRow {
    pub id: i64,
    pub at: OffsetDateTime,
    pub operator: String,
    pub charger_id: String,
    pub action: String,
    pub payload: String,
    pub outcome: String,
    pub answer: Option<String>,
}

/// What to write into the audit log.
pub struct NewOperatorCommand<'a> {
    pub operator: &'a str,
    pub charger_id: &'a str,
    pub action: &'a str,
    pub payload: &'a str,
    pub outcome: &'a str,
    pub answer: Option<&'a str>,
}

impl Store {
    pub async fn charger_overview(&self, charger_id: &str) -> Result<Option<ChargerOverviewRow>, StoreError> {
        sqlx::query_as("SELECT id, site, vendor, model, firmware_version, last_boot_at, last_seen_at, security_profile FROM chargers WHERE id = ?")
            .bind(charger_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Each connector's status now, with the error code and time of its last status report.
    pub async fn connectors_now(&self, charger_id: &str) -> Result<Vec<ConnectorNowRow>, StoreError> {
        sqlx::query_as(
            "SELECT e.connector_id, e.evse_id, e.status, last.error_code, last.at AS since
             FROM evses e
             LEFT JOIN (SELECT connector_id, error_code, at, max(julianday(at)) FROM connector_status_events WHERE charger_id = ?1 GROUP BY connector_id) last
                    ON last.connector_id = e.connector_id
             WHERE e.charger_id = ?1 ORDER BY e.connector_id",
        )
        .bind(charger_id)
        .fetch_all(&self.pool)
        .await
    }

    /// Status reports in `[from, to)` (day keys), oldest first, at most `limit` (the newest).
    pub async fn status_events(&self, charger_id: &str, from: &str, to: &str, limit: u32) -> Result<Vec<StatusEventRow>, StoreError> {
        let mut rows: Vec<StatusEventRow> = sqlx::query_as(
            "SELECT connector_id, status, error_code, at FROM connector_status_events
             WHERE charger_id = ? AND at >= ? AND at < ? ORDER BY julianday(at) DESC, rowid DESC LIMIT ?",
        )
        .bind(charger_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows)
    }

    /// Connections and disconnections in `[from, to)` (day keys), oldest first, at most `limit`.
    pub async fn connection_events(&self, charger_id: &str, from: &str, to: &str, limit: u32) -> Result<Vec<ConnectionEventRow>, StoreError> {
        let mut rows: Vec<ConnectionEventRow> = sqlx::query_as(
            "SELECT event, at FROM charger_connection_events WHERE charger_id = ? AND at >= ? AND at < ? ORDER BY julianday(at) DESC, rowid DESC LIMIT ?",
        )
        .bind(charger_id)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.reverse();
        Ok(rows)
    }

    pub async fn record_operator_command(&self, command: &NewOperatorCommand<'_>) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO operator_commands (at, operator, charger_id, action, payload, outcome, answer) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(OffsetDateTime::now_utc())
            .bind(command.operator)
            .bind(command.charger_id)
            .bind(command.action)
            .bind(command.payload)
            .bind(command.outcome)
            .bind(command.answer)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// The audit log, newest first: of one charger, or of all.
    pub async fn operator_commands(&self, charger_id: Option<&str>, limit: u32) -> Result<Vec<OperatorCommandRow>, StoreError> {
        sqlx::query_as(
            "SELECT id, at, operator, charger_id, action, payload, outcome, answer FROM operator_commands
             WHERE ?1 IS NULL OR charger_id = ?1 ORDER BY id DESC LIMIT ?2",
        )
        .bind(charger_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }
}
