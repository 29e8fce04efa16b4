//! Alerts and their webhook outbox (migration 0019), and the reads the alert rules evaluate.
//!
//! An alert is opened or resolved in one transaction with the outbox rows of its event, so an
//! event is delivered if and only if it happened, across crashes and restarts.

use time::OffsetDateTime;

use super::{Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlertRow {
    pub id: i64,
    pub rule: String,
    pub subject: String,
    pub charger_id: Option<String>,
    pub session_id: Option<String>,
    pub severity: String,
    pub summary: String,
    pub since: OffsetDateTime,
    pub opened_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
}

/// An alert to open.
pub struct NewAlert<'a> {
    pub rule: &'a str,
    pub subject: &'a str,
    pub charger_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub severity: &'a str,
    pub summary: &'a str,
    pub since: OffsetDateTime,
    pub at: OffsetDateTime,
}

/// A webhook delivery waiting (or being retried).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub url: String,
    pub body: String,
    pub attempts: i64,
}

/// A delivery's state, for the operator.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryState {
    pub alert_id: i64,
    pub event: String,
    pub url: String,
    pub attempts: i64,
    pub delivered_at: Option<OffsetDateTime>,
    pub abandoned_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

macro_rules! select_alerts {
    () => {
        "SELECT id, rule, subject, charger_id, session_id, severity, summary, since, opened_at, resolved_at FROM alerts"
    };
}

impl Store {
    pub async fn open_alerts(&self) -> Result<Vec<AlertRow>, StoreError> {
        sqlx::query_as(concat!(select_alerts!(), " WHERE resolved_at IS NULL ORDER BY id")).fetch_all(&self.pool).await
    }

    /// Alerts resolved, newest first.
    pub async fn resolved_alerts(&self, limit: u32) -> Result<Vec<AlertRow>, StoreError> {
        sqlx::query_as(concat!(select_alerts!(), " WHERE resolved_at IS NOT NULL ORDER BY id DESC LIMIT ?")).bind(limit).fetch_all(&self.pool).await
    }

    /// Opens an alert and queues its `alert.opened` event for each webhook (`body` makes the
    /// event's JSON from the stored alert). Returns the alert, or `None` if one was open already.
    pub async fn open_alert(&self, new: &NewAlert<'_>, urls: &[String], body: impl Fn(&AlertRow) -> String) -> Result<Option<AlertRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let inserted: Option<AlertRow> = sqlx::query_as(
            "INSERT INTO alerts (rule, subject, charger_id, session_id, severity, summary, since, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (rule, subject) WHERE resolved_at IS NULL DO NOTHING
             RETURNING id, rule, subject, charger_id, session_id, severity, summary, since, opened_at, resolved_at",
        )
        .bind(new.rule)
        .bind(new.subject)
        .bind(new.charger_id)
        .bind(new.session_id)
        .bind(new.severity)
        .bind(new.summary)
        .bind(new.since)
        .bind(new.at)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(alert) = &inserted {
            queue_deliveries(tx.transaction(), alert, "alert.opened", urls, &body(alert), new.at).await?;
        }
        tx.commit().await?;
        Ok(inserted)
    }

    /// Resolves an open alert and queues its `alert.resolved` event. Returns the alert, or
    /// `None` if it was not open.
    pub async fn resolve_alert(&self, id: i64, at: OffsetDateTime, urls: &[String], body: impl Fn(&AlertRow) -> String) -> Result<Option<AlertRow>, StoreError> {
        let mut tx = self.begin_write().await?;
        let resolved: Option<AlertRow> = sqlx::query_as(
            "UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL
             RETURNING id, rule, subject, charger_id, session_id, severity, summary, since, opened_at, resolved_at",
        )
        .bind(at)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(alert) = &resolved {
            queue_deliveries(tx.transaction(), alert, "alert.resolved", urls, &body(alert), at).await?;
        }
        tx.commit().await?;
        Ok(resolved)
    }

    /// Deliveries due at `now`, oldest first.
    pub async fn due_deliveries(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<DeliveryRow>, StoreError> {
        sqlx::query_as(
            "SELECT id, url, body, attempts FROM webhook_deliveries
             WHERE delivered_at IS NULL AND abandoned_at IS NULL AND julianday(next_attempt_at) <= julianday(?) ORDER BY id LIMIT ?",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// When the next delivery waiting is due, if any.
    pub async fn next_delivery_at(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let row: Option<(OffsetDateTime,)> = sqlx::query_as(
            "SELECT next_attempt_at FROM webhook_deliveries WHERE delivered_at IS NULL AND abandoned_at IS NULL ORDER BY julianday(next_attempt_at) LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(at,)| at))
    }

    pub async fn delivery_succeeded(&self, id: i64, at: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("UPDATE webhook_deliveries SET attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// A failed attempt: tried again at `retry_at`, or given up (`None`).
    pub async fn delivery_failed(&self, id: i64, error: &str, retry_at: Option<OffsetDateTime>, now: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, last_error = ?,
                 next_attempt_at = coalesce(?, next_attempt_at), abandoned_at = CASE WHEN ? IS NULL THEN ? END WHERE id = ?",
        )
        .bind(error)
        .bind(retry_at)
        .bind(retry_at)
        .bind(now)
        .bind(id)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(())
    }

    /// The deliveries of these alerts, oldest first.
    pub async fn deliveries_of(&self, alert_ids: &[i64]) -> Result<Vec<DeliveryState>, StoreError> {
        sqlx::query_as(
            "SELECT alert_id, event, url, attempts, delivered_at, abandoned_at, last_error FROM webhook_deliveries
             WHERE alert_id IN (SELECT value FROM json_each(?)) ORDER BY id",
        )
        .bind(serde_json::to_string(alert_ids).unwrap_or_else(|_| "[]".to_owned()))
        .fetch_all(&self.pool)
        .await
    }

    // --- what the rules read ---
    //
    // Times the server wrote (UTC, in sqlx's one text form) are compared as text, so that the
    // indexes on them serve: these run at every evaluation, over tables that only grow.

    /// Each charger's last connection event: `(charger, connected, at)`. One index seek per
    /// charger, whatever the length of the history.
    pub async fn last_connection_events(&self) -> Result<Vec<(String, bool, OffsetDateTime)>, StoreError> {
        let rows: Vec<(String, String, OffsetDateTime)> = sqlx::query_as(
            "SELECT c.id, e.event, e.at FROM chargers c JOIN charger_connection_events e ON e.rowid = (
                 SELECT rowid FROM charger_connection_events WHERE charger_id = c.id ORDER BY at DESC, rowid DESC LIMIT 1)",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(charger, event, at)| (charger, event == "connected", at)).collect())
    }

    /// Connectors (0: the charger itself) whose status is Faulted now, with the first report of this fault (the
    /// Faulted reports since the last other status): `(charger, connector, error code, since)`.
    pub async fn faulted_connectors(&self) -> Result<Vec<(String, i64, Option<String>, OffsetDateTime)>, StoreError> {
        sqlx::query_as(
            "SELECT e.charger_id, e.connector_id, f.error_code, f.at FROM evses e
             JOIN connector_status_events f ON f.rowid = (
                 SELECT min(c.rowid) FROM connector_status_events c
                 WHERE c.charger_id = e.charger_id AND c.connector_id = e.connector_id AND c.status = 'Faulted'
                   AND c.rowid > coalesce((SELECT max(o.rowid) FROM connector_status_events o
                        WHERE o.charger_id = e.charger_id AND o.connector_id = e.connector_id AND o.status != 'Faulted'), 0))
             WHERE e.status = 'Faulted'
             UNION ALL
             -- Connector 0, the charger itself, has no EVSE row: its status is its newest event.
             SELECT ch.id, 0, f.error_code, f.at FROM chargers ch
             JOIN connector_status_events e ON e.rowid = (
                 SELECT max(l.rowid) FROM connector_status_events l WHERE l.charger_id = ch.id AND l.connector_id = 0)
             JOIN connector_status_events f ON f.rowid = (
                 SELECT min(c.rowid) FROM connector_status_events c
                 WHERE c.charger_id = ch.id AND c.connector_id = 0 AND c.status = 'Faulted'
                   AND c.rowid > coalesce((SELECT max(o.rowid) FROM connector_status_events o
                        WHERE o.charger_id = ch.id AND o.connector_id = 0 AND o.status != 'Faulted'), 0))
             WHERE e.status = 'Faulted'
             ORDER BY 1, 2",
        )
        .fetch_all(&self.pool)
        .await
    }

    /// Sessions created since `since` that got past starting, per charger newest first:
    /// `(charger, failed, created_at)`. Read newest first by the creation index, grouped here
    /// (grouped in SQL, SQLite would scan every session by charger).
    pub async fn recent_start_outcomes(&self, since: OffsetDateTime) -> Result<Vec<(String, bool, OffsetDateTime)>, StoreError> {
        let mut outcomes: Vec<(String, bool, OffsetDateTime)> = sqlx::query_as(
            "SELECT charger_id, status = 'failed', created_at FROM sessions
             WHERE created_at >= ? AND status != 'starting' ORDER BY created_at DESC, rowid DESC",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        // Stable: each charger's sessions stay newest first.
        outcomes.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(outcomes)
    }

    /// Heartbeat gaps that ended since `since`: `(charger, gaps, first gap's start)`.
    pub async fn recent_heartbeat_gaps(&self, since: OffsetDateTime) -> Result<Vec<(String, i64, OffsetDateTime)>, StoreError> {
        sqlx::query_as(
            "SELECT charger_id, count(*), min(since) FROM heartbeat_gaps WHERE until >= ? GROUP BY charger_id ORDER BY charger_id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await
    }

    /// Sessions held for review: `(session, charger, reason, since)`.
    pub async fn sessions_held(&self) -> Result<Vec<(String, String, Option<String>, OffsetDateTime)>, StoreError> {
        sqlx::query_as(
            "SELECT id, charger_id, review_reason, coalesce(stopped_at, last_meter_at, created_at) FROM sessions WHERE status = 'under_review' ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
    }

    /// Payments of finished sessions whose capture failed and is being retried (what
    /// `chargekit_payment_captures_retrying` counts): `(session, charger, attempts, last failure,
    /// the session's end)`.
    pub async fn captures_retrying(&self) -> Result<Vec<(String, String, i64, Option<String>, OffsetDateTime)>, StoreError> {
        sqlx::query_as(
            "SELECT p.session_id, s.charger_id, p.attempts, p.failure_reason, coalesce(s.stopped_at, p.updated_at)
             FROM payments p JOIN sessions s ON s.id = p.session_id
             WHERE p.status = 'held' AND p.attempts > 0 AND s.status IN ('completed', 'failed') ORDER BY p.session_id",
        )
        .fetch_all(&self.pool)
        .await
    }
}

async fn queue_deliveries(
    tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
    alert: &AlertRow,
    event: &str,
    urls: &[String],
    body: &str,
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    for url in urls {
        sqlx::query("INSERT INTO webhook_deliveries (alert_id, event, url, body, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(alert.id)
            .bind(event)
            .bind(url)
            .bind(body)
            .bind(at)
            .bind(at)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
