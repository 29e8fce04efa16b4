//! Sessions. Updates are optimistic: a row is written back only if its `version` is still the
//! one that was read, so concurrent writers (a driver's stop, a charger's meter values) never
//! overwrite each other; the loser reads again and retries.

use chargekit_model::ocpp::messages::SampledValue;
use chargekit_model::{AuthMethod, Cost, SessionStatus, Tariff};
use sqlx::types::Json;
use time::OffsetDateTime;

use super::group_commit::{Write, Written};
use super::{HandledMessage, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: String,
    pub driver_id: String,
    pub evse_id: String,
    pub charger_id: String,
    pub connector_id: i64,
    pub id_tag: String,
    pub status: SessionStatus,
    pub transaction_id: Option<i64>,
    pub tariff: Json<Tariff>,
    pub meter_start_wh: Option<i64>,
    pub meter_last_wh: Option<i64>,
    pub meter_stop_wh: Option<i64>,
    pub power_w: i64,
    /// Of the time since the start, how much the bill counts as parked (see `billing.rs`).
    pub parking_seconds: i64,
    pub started_at: Option<OffsetDateTime>,
    pub last_meter_at: Option<OffsetDateTime>,
    pub stopped_at: Option<OffsetDateTime>,
    pub cost: Json<Cost>,
    pub failure_reason: Option<String>,
    pub stop_reason: Option<String>,
    /// Why the session is held for the operator's review (see `plausibility.rs`).
    pub review_reason: Option<String>,
    pub auth_method: AuthMethod,
    pub version: i64,
    pub created_at: OffsetDateTime,
}

impl SessionRow {
    pub fn status(&self) -> SessionStatus {
        self.status
    }

    pub fn set_status(&mut self, status: SessionStatus) {
        self.status = status;
    }

    pub fn auth_method(&self) -> AuthMethod {
        self.auth_method
    }
}

/// A session a charger started on its own (a card or a car identified the driver), already
/// charging when the server hears of it — possibly long ago, replayed after being offline.
pub struct StartedSession<'a> {
    pub id: &'a str,
    pub driver_id: &'a str,
    pub evse_id: &'a str,
    pub charger_id: &'a str,
    pub connector_id: u32,
    pub id_tag: &'a str,
    pub auth_method: AuthMethod,
    pub transaction_id: i64,
    pub meter_start_wh: i64,
    pub started_at: OffsetDateTime,
    pub tariff: &'a Tariff,
    pub cost: &'a Cost,
    /// Where the session sits in the driver's history: when it started, as the charger says
    /// (a replay lands at its own time), or the server's clock when that cannot be right.
    pub created_at: OffsetDateTime,
    /// Set when the start itself cannot be right (its timestamp, say).
    pub review_reason: Option<&'a str>,
}

/// What inserting a session from the app came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Yes,
    /// The driver already used the idempotency key.
    KeyUsed,
    /// Another unfinished session holds the connector: the database allows one.
    ConnectorBusy,
}

/// A session about to be started from the app.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub driver_id: &'a str,
    pub evse_id: &'a str,
    pub charger_id: &'a str,
    pub connector_id: u32,
    pub id_tag: &'a str,
    pub idempotency_key: Option<&'a str>,
    /// What the start asked for, kept with its idempotency key (see [`start_request`]).
    pub start_request: &'a str,
    pub tariff: &'a Tariff,
    pub cost: &'a Cost,
}

/// `SELECT <all columns> FROM sessions WHERE <condition>`, as a macro so each statement stays a
/// `&'static str` (what sqlx accepts as audited SQL).
macro_rules! select_sessions {
    ($where:literal) => {
        concat!(
            "SELECT id, driver_id, evse_id, charger_id, connector_id, id_tag, status, transaction_id,
                tariff, meter_start_wh, meter_last_wh, meter_stop_wh, power_w, parking_seconds, started_at, last_meter_at,
                stopped_at, cost, failure_reason, stop_reason, review_reason, auth_method, version, created_at, change_seq
             FROM sessions WHERE ",
            $where
        )
    };
}

impl Store {
    /// Inserts a session in `starting`, unless the driver already used the idempotency key or
    /// the connector is taken (the unique index on unfinished sessions per connector decides
    /// between two drivers starting at the same moment: exactly one wins).
    pub async fn insert_session(&self, new: &NewSession<'_>) -> Result<Inserted, StoreError> {
        let mut tx = self.begin_write().await?;
        let change_seq = next_change_seq(tx.transaction()).await?;
        let result = sqlx::query(
            "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status,
                 idempotency_key, tariff, cost, created_at, change_seq, start_request)
             VALUES (?, ?, ?, ?, ?, ?, 'starting', ?, ?, ?, ?, ?, ?)
             ON CONFLICT (driver_id, idempotency_key) DO NOTHING",
        )
        .bind(new.id)
        .bind(new.driver_id)
        .bind(new.evse_id)
        .bind(new.charger_id)
        .bind(new.connector_id)
        .bind(new.id_tag)
        .bind(new.idempotency_key)
        .bind(Json(new.tariff))
        .bind(Json(new.cost))
        .bind(OffsetDateTime::now_utc())
        .bind(change_seq)
        .bind(new.start_request)
        .execute(&mut *tx)
        .await;
        let result = match result {
            Ok(result) => result,
            Err(e) if is_unique_violation(&e) => return Ok(Inserted::ConnectorBusy),
            Err(e) => return Err(e),
        };
        if result.rows_affected() == 0 {
            return Ok(Inserted::KeyUsed);
        }
        tx.commit().await?;
        Ok(Inserted::Yes)
    }

    /// Inserts a session a charger started (see [`StartedSession`]), charging, dated when the
    /// charger says it started.
    pub async fn insert_started_session(&self, new: &StartedSession<'_>) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let change_seq = next_change_seq(tx.transaction()).await?;
        sqlx::query(
            "INSERT INTO sessions (id, driver_id, evse_id, charger_id, connector_id, id_tag, status, transaction_id,
                 tariff, cost, meter_start_wh, meter_last_wh, started_at, last_meter_at, auth_method, created_at, change_seq, review_reason)
             VALUES (?, ?, ?, ?, ?, ?, 'charging', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(new.id)
        .bind(new.driver_id)
        .bind(new.evse_id)
        .bind(new.charger_id)
        .bind(new.connector_id)
        .bind(new.id_tag)
        .bind(new.transaction_id)
        .bind(Json(new.tariff))
        .bind(Json(new.cost))
        .bind(new.meter_start_wh)
        .bind(new.meter_start_wh)
        .bind(new.started_at)
        .bind(new.started_at)
        .bind(new.auth_method.as_str())
        .bind(new.created_at)
        .bind(change_seq)
        .bind(new.review_reason)
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// The session a charger started on a connector at that time with that meter reading: a
    /// StartTransaction retransmitted under a new message id finds its first copy here.
    pub async fn session_by_start(&self, charger_id: &str, connector_id: u32, started_at: OffsetDateTime, meter_start_wh: i64) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!(
            "charger_id = ? AND connector_id = ? AND started_at = ? AND meter_start_wh = ? AND transaction_id IS NOT NULL LIMIT 1"
        ))
        .bind(charger_id)
        .bind(connector_id)
        .bind(started_at)
        .bind(meter_start_wh)
        .fetch_optional(&self.pool)
        .await
    }

    /// The unfinished session of a token anywhere but this connector (this charger, when no
    /// connector is named): OCPP's ConcurrentTx.
    pub async fn active_session_of_tag_elsewhere(&self, id_tag: &str, charger_id: &str, connector_id: Option<u32>) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!(
            "id_tag = ? AND status IN ('charging', 'stopping')
             AND NOT (charger_id = ? AND (? IS NULL OR connector_id = ?)) LIMIT 1"
        ))
        .bind(id_tag)
        .bind(charger_id)
        .bind(connector_id)
        .bind(connector_id)
        .fetch_optional(&self.pool)
        .await
    }

    /// A remote start waiting for its StartTransaction on this charger (on `connector_id`, when
    /// named) with this app idTag, asked for after `since`.
    pub async fn waiting_remote_start(&self, id_tag: &str, charger_id: &str, connector_id: Option<u32>, since: OffsetDateTime) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!(
            "id_tag = ? AND status = 'starting' AND charger_id = ? AND (? IS NULL OR connector_id = ?) AND created_at >= ? LIMIT 1"
        ))
        .bind(id_tag)
        .bind(charger_id)
        .bind(connector_id)
        .bind(connector_id)
        .bind(since)
        .fetch_optional(&self.pool)
        .await
    }

    /// The driver's sessions that changed after `after` (a change sequence number), in the
    /// order they changed: the page of an incremental sync.
    pub async fn sessions_changed(&self, driver_id: &str, after: i64, limit: u32) -> Result<Vec<(SessionRow, i64)>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Changed {
            #[sqlx(flatten)]
            row: SessionRow,
            change_seq: i64,
        }
        let rows: Vec<Changed> = sqlx::query_as(select_sessions!(
            "driver_id = ? AND change_seq > ? ORDER BY change_seq LIMIT ?"
        ))
        .bind(driver_id)
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|c| (c.row, c.change_seq)).collect())
    }

    pub async fn session(&self, id: &str) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!("id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Every session in a status (the few still starting, after a restart).
    pub async fn sessions_in_status(&self, status: SessionStatus) -> Result<Vec<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!("status = ?")).bind(status.as_str()).fetch_all(&self.pool).await
    }

    /// What the start with this idempotency key asked for (`None` for starts stored before it
    /// was kept).
    pub async fn start_request_of(&self, session_id: &str) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT start_request FROM sessions WHERE id = ?").bind(session_id).fetch_one(&self.pool).await
    }

    pub async fn session_by_idempotency_key(&self, driver_id: &str, key: &str) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!("driver_id = ? AND idempotency_key = ?"))
            .bind(driver_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
    }

    /// A driver's sessions, newest first.
    pub async fn sessions_of(&self, driver_id: &str, limit: u32, offset: u32) -> Result<Vec<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!("driver_id = ? ORDER BY created_at DESC, id LIMIT ? OFFSET ?"))
        .bind(driver_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
    }

    /// The session that is not finished yet on a connector, if any.
    pub async fn active_session_on(&self, charger_id: &str, connector_id: u32) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!(
            "charger_id = ? AND connector_id = ? AND status IN ('starting', 'charging', 'stopping')
             ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(charger_id)
        .bind(connector_id)
        .fetch_optional(&self.pool)
        .await
    }

    pub async fn session_by_transaction(&self, charger_id: &str, transaction_id: i64) -> Result<Option<SessionRow>, StoreError> {
        sqlx::query_as(select_sessions!("charger_id = ? AND transaction_id = ?"))
            .bind(charger_id)
            .bind(transaction_id)
            .fetch_optional(&self.pool)
            .await
    }

    /// Whether some session already has this transaction id (they are unique server-wide).
    pub async fn transaction_id_taken(&self, transaction_id: i64) -> Result<bool, StoreError> {
        let found: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM sessions WHERE transaction_id = ?")
            .bind(transaction_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    /// A fresh OCPP transaction id, skipping any a charger chose itself for a transaction it
    /// started offline (see `Sessions::on_stop_transaction`).
    pub async fn next_transaction_id(&self) -> Result<i64, StoreError> {
        loop {
            let (value,): (i64,) =
                sqlx::query_as("UPDATE counters SET value = value + 1 WHERE name = 'transaction_id' RETURNING value")
                    .fetch_one(&mut *self.write_connection().await?)
                    .await?;
            if !self.transaction_id_taken(value).await? {
                return Ok(value);
            }
        }
    }

    /// Writes back a changed session if nobody changed it since it was read — storing in the
    /// same transaction the meter values that changed it and the answer to the message that
    /// brought them, and committing with the other chargers' writes queued at the same time
    /// (group commit: one disk sync for them all, the hot path of a busy server). Returns the
    /// stored row (with its new version), or `None` if the caller must read again and retry.
    pub async fn save_session_with(
        &self,
        row: &SessionRow,
        meter_values: &[(OffsetDateTime, Vec<SampledValue>)],
        handled: Option<(&str, &str, &HandledMessage)>,
    ) -> Result<Option<SessionRow>, StoreError> {
        let write = Write::SaveSession {
            row: row.clone(),
            meter_values: meter_values.to_vec(),
            handled: handled.map(|(charger, message, h)| (charger.to_owned(), message.to_owned(), h.clone())),
        };
        match self.group_write(write).await? {
            Written::Session(saved) => Ok(saved),
            Written::Done => Err(StoreError::Protocol("a session write answered without its row".to_owned())),
        }
    }
}

/// [`Store::save_session_with`] inside `tx`: `None` (and nothing written, once the caller rolls
/// back) if the row's version is no longer the one read.
pub(super) async fn save_session_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    row: &SessionRow,
    meter_values: &[(OffsetDateTime, Vec<SampledValue>)],
    handled: Option<(&str, &str, &HandledMessage)>,
) -> Result<Option<SessionRow>, StoreError> {
    super::ocpp_log::insert_meter_values(tx, &row.id, meter_values).await?;
    if let Some((charger_id, message_id, handled)) = handled {
        super::ocpp_log::insert_handled(tx, charger_id, message_id, handled).await?;
    }
    let change_seq = next_change_seq(tx).await?;
    let result = sqlx::query(
        "UPDATE sessions SET status = ?, transaction_id = ?, meter_start_wh = ?, meter_last_wh = ?,
             meter_stop_wh = ?, power_w = ?, parking_seconds = ?, started_at = ?, last_meter_at = ?, stopped_at = ?,
             cost = ?, failure_reason = ?, stop_reason = ?, review_reason = ?, version = version + 1, change_seq = ?
         WHERE id = ? AND version = ?",
    )
    .bind(row.status)
    .bind(row.transaction_id)
    .bind(row.meter_start_wh)
    .bind(row.meter_last_wh)
    .bind(row.meter_stop_wh)
    .bind(row.power_w)
    .bind(row.parking_seconds)
    .bind(row.started_at)
    .bind(row.last_meter_at)
    .bind(row.stopped_at)
    .bind(&row.cost)
    .bind(&row.failure_reason)
    .bind(&row.stop_reason)
    .bind(&row.review_reason)
    .bind(change_seq)
    .bind(&row.id)
    .bind(row.version)
    .execute(&mut **tx)
    .await?;
    if result.rows_affected() == 0 {
        return Ok(None); // rolling back gives the sequence number back
    }
    // The row as stored: the same values under the next version (no read back needed).
    Ok(Some(SessionRow { version: row.version + 1, ..row.clone() }))
}

/// The next change sequence number, inside the writing transaction.
async fn next_change_seq(tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>) -> Result<i64, StoreError> {
    let (value,): (i64,) = sqlx::query_as("UPDATE counters SET value = value + 1 WHERE name = 'change_seq' RETURNING value")
        .fetch_one(&mut **tx)
        .await?;
    Ok(value)
}

/// A UNIQUE constraint failed: here, the one unfinished session per connector.
pub fn is_unique_violation(error: &StoreError) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}
