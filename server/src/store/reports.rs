//! The SQL of the operator reports and metrics. Sessions and authorization attempts are read from
//! the tables the triggers of migration 0005 keep (one typed row per finished session, daily
//! sums), never by parsing session JSON per report; status and connection history through the
//! indexes on their instants. Days are UTC dates as `YYYY-MM-DD` text, which sorts by date.

use chargekit_model::ConnectorStatus;
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::reports::availability::{Breakdown, History, Millis, State};
use numbers::{OptionalSaturatingInt, SaturatingInt, split_sum};

#[path = "report_numbers.rs"]
mod numbers;

/// Unix milliseconds of an SQLite time value, as an SQL expression (julianday parses RFC 3339
/// with any offset; 2440587.5 is the Julian day of the Unix epoch).
macro_rules! unix_ms {
    ($column:literal) => {
        concat!("CAST(round((julianday(", $column, ") - 2440587.5) * 86400000.0) AS INTEGER)")
    };
}

fn julian_day(ms: Millis) -> f64 {
    ms as f64 / 86_400_000.0 + 2_440_587.5
}

/// One day of finished sessions at one charger, in one currency, by one authorization method.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct DailySessions {
    pub day: String,
    pub charger_id: String,
    pub currency: String,
    pub auth_method: String,
    #[sqlx(try_from = "SaturatingInt")]
    pub completed: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub failed: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub energy_wh: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub excl_vat_minor: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub vat_minor: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub incl_vat_minor: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub charging_seconds: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub timed_sessions: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub avg_power_w_sum: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub peak_sessions: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub peak_power_w_sum: i64,
    #[sqlx(try_from = "OptionalSaturatingInt")]
    pub peak_power_w_max: Option<i64>,
    #[sqlx(try_from = "SaturatingInt")]
    pub start_count: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub start_ms_sum: i64,
    #[sqlx(try_from = "OptionalSaturatingInt")]
    pub start_ms_max: Option<i64>,
    #[sqlx(try_from = "SaturatingInt")]
    pub start_le_5s: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub start_le_10s: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub start_le_30s: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub start_le_60s: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub start_le_120s: i64,
}

/// A configured charger: its site and connectors.
#[derive(Debug, Clone)]
pub struct ChargerInfo {
    pub id: String,
    pub site: Option<String>,
    pub connectors: Vec<u32>,
    pub last_seen_at: Option<OffsetDateTime>,
}

/// Sums of authorization attempts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthCount {
    pub day: String,
    pub method: String,
    pub result: String,
    pub reason: String,
    #[sqlx(try_from = "SaturatingInt")]
    pub attempts: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnknownTokenRow {
    pub id_tag: String,
    pub attempts: i64,
    pub chargers: i64,
    pub first_at: String,
    pub last_at: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OverlapRow {
    pub id_tag: String,
    pub first_session_id: String,
    pub first_charger_id: String,
    pub second_session_id: String,
    pub second_charger_id: String,
    pub overlap_from: String,
}

/// See [`Store::attention_counts`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttentionCounts {
    pub held_for_review: i64,
    pub captures_retrying: i64,
    pub payments_failed: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthLogRow {
    pub id: i64,
    pub at: String,
    pub method: String,
    pub id_tag: String,
    pub charger_id: Option<String>,
    pub result: String,
    pub reason: Option<String>,
}

/// Completed sessions by currency and payment state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PaymentStateRow {
    pub currency: String,
    pub state: String,
    #[sqlx(try_from = "SaturatingInt")]
    pub sessions: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub excl_vat_minor: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub vat_minor: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub incl_vat_minor: i64,
    /// What the payments actually took (a capture may fall short of the cost: see
    /// `payments.uncollected_minor`).
    #[sqlx(try_from = "SaturatingInt")]
    pub collected_minor: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CachedDay {
    pub day: String,
    #[sqlx(try_from = "SaturatingInt")]
    pub available_ms: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub charging_ms: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub faulted_ms: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub unavailable_ms: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub offline_ms: i64,
    #[sqlx(try_from = "SaturatingInt")]
    pub unknown_ms: i64,
}

/// A charger's availability for days that are over, computed from its history.
/// About how many cached days one transaction writes; see [`Store::cache_availability`].
pub const CACHE_ROWS_PER_TRANSACTION: usize = 1_000;

/// The pause between two of those transactions. Writers waiting get the lock in between anyway
/// (every writer takes its turn, `write_gate.rs`); the pause keeps background work from taking
/// every other turn while chargers are metering.
const WRITERS_TURN: std::time::Duration = std::time::Duration::from_millis(150);

#[derive(Debug, Clone)]
pub struct ComputedDays {
    pub charger_id: String,
    /// The charger's history generation read before computing.
    pub generation: i64,
    pub connectors: usize,
    pub days: Vec<(String, Breakdown)>,
}

impl CachedDay {
    pub fn breakdown(&self) -> Breakdown {
        Breakdown {
            available_ms: self.available_ms,
            charging_ms: self.charging_ms,
            faulted_ms: self.faulted_ms,
            unavailable_ms: self.unavailable_ms,
            offline_ms: self.offline_ms,
            unknown_ms: self.unknown_ms,
        }
    }
}

impl Store {
    /// Daily session sums for days in `[from, to)`.
    pub async fn session_daily(&self, from: &str, to: &str) -> Result<Vec<DailySessions>, StoreError> {
        sqlx::query_as("SELECT * FROM session_daily WHERE day >= ? AND day < ? ORDER BY day, charger_id, currency, auth_method")
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await
    }

    /// Daily session sums of every day, per charger, currency and method (for the metrics).
    pub async fn session_totals(&self) -> Result<Vec<DailySessions>, StoreError> {
        sqlx::query_as(
            concat!(
                "SELECT '' AS day, charger_id, currency, auth_method, ",
                split_sum!("completed"), " AS completed, ", split_sum!("failed"), " AS failed, ",
                split_sum!("energy_wh"), " AS energy_wh, ", split_sum!("excl_vat_minor"), " AS excl_vat_minor, ",
                split_sum!("vat_minor"), " AS vat_minor, ", split_sum!("incl_vat_minor"), " AS incl_vat_minor, ",
                split_sum!("charging_seconds"), " AS charging_seconds, ", split_sum!("timed_sessions"), " AS timed_sessions, ",
                split_sum!("avg_power_w_sum"), " AS avg_power_w_sum, ", split_sum!("peak_sessions"), " AS peak_sessions, ",
                split_sum!("peak_power_w_sum"), " AS peak_power_w_sum, max(peak_power_w_max) AS peak_power_w_max, ",
                split_sum!("start_count"), " AS start_count, ", split_sum!("start_ms_sum"), " AS start_ms_sum, ",
                "max(start_ms_max) AS start_ms_max, ", split_sum!("start_le_5s"), " AS start_le_5s, ",
                split_sum!("start_le_10s"), " AS start_le_10s, ", split_sum!("start_le_30s"), " AS start_le_30s, ",
                split_sum!("start_le_60s"), " AS start_le_60s, ", split_sum!("start_le_120s"), " AS start_le_120s
             FROM session_daily GROUP BY charger_id, currency, auth_method ORDER BY charger_id, currency, auth_method"
            ),
        )
        .fetch_all(&self.pool)
        .await
    }

    /// Failed sessions per charger and reason for days in `[from, to)`; every day if `from` is
    /// empty and `to` is `"~"`.
    pub async fn session_failures(&self, from: &str, to: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows: Vec<(String, String, SaturatingInt)> = sqlx::query_as(concat!(
            "SELECT charger_id, reason, ", split_sum!("sessions"), " FROM session_failures_daily WHERE day >= ? AND day < ?
             GROUP BY charger_id, reason ORDER BY charger_id, total(sessions) DESC, reason"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(charger, reason, n)| (charger, reason, n.0)).collect())
    }

    /// Every configured charger with its site and connectors.
    pub async fn chargers_for_reports(&self) -> Result<Vec<ChargerInfo>, StoreError> {
        let chargers: Vec<(String, Option<String>, Option<OffsetDateTime>)> =
            sqlx::query_as("SELECT id, site, last_seen_at FROM chargers ORDER BY id").fetch_all(&self.pool).await?;
        let connectors: Vec<(String, i64)> =
            sqlx::query_as("SELECT charger_id, connector_id FROM evses ORDER BY charger_id, connector_id").fetch_all(&self.pool).await?;
        Ok(chargers
            .into_iter()
            .map(|(id, site, last_seen_at)| {
                let connectors = connectors
                    .iter()
                    .filter(|(charger, c)| *charger == id && *c > 0)
                    .filter_map(|(_, c)| u32::try_from(*c).ok())
                    .collect();
                ChargerInfo { id, site, connectors, last_seen_at }
            })
            .collect())
    }

    pub async fn set_charger_site(&self, charger_id: &str, site: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE chargers SET site = ? WHERE id = ?").bind(site).bind(charger_id).execute(&mut *self.write_connection().await?).await?;
        Ok(())
    }

    /// Status reports with an error code (not `NoError`) in `[from, to)`, per charger and code.
    pub async fn faults(&self, from: Millis, to: Millis) -> Result<Vec<(String, String, i64)>, StoreError> {
        sqlx::query_as(
            "SELECT charger_id, error_code, count(*) FROM connector_status_events
             WHERE error_code IS NOT NULL AND error_code <> 'NoError' AND julianday(at) >= ? AND julianday(at) < ?
             GROUP BY charger_id, error_code ORDER BY charger_id, count(*) DESC, error_code",
        )
        .bind(julian_day(from))
        .bind(julian_day(to))
        .fetch_all(&self.pool)
        .await
    }

    /// Faults of all time per charger and code (for the metrics).
    pub async fn fault_totals(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        self.faults(Millis::MIN / 4, Millis::MAX / 4).await
    }

    /// Heartbeat gaps that ended in `[from, to)`: per charger, how many, their total and longest
    /// length in seconds.
    /// Each gap counts for at most [`MAX_DURATION_SECONDS`](crate::reports::bounds::MAX_DURATION_SECONDS).
    pub async fn heartbeat_gaps(&self, from: &str, to: &str) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
        let rows: Vec<(String, i64, SaturatingInt, SaturatingInt)> = sqlx::query_as(concat!(
            "SELECT charger_id, count(*), ", split_sum!("min(max(CAST(seconds AS INTEGER), 0), 315576000)"), ",
                 max(min(max(CAST(seconds AS INTEGER), 0), 315576000)) FROM heartbeat_gaps
             WHERE until >= ? AND until < ? GROUP BY charger_id ORDER BY charger_id"
        ))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(charger, n, total, longest)| (charger, n, total.0, longest.0)).collect())
    }

    /// Authorization attempts per day, charger, method, result and reason, days in `[from, to)`.
    pub async fn auth_counts(&self, from: &str, to: &str) -> Result<Vec<AuthCount>, StoreError> {
        sqlx::query_as(
            concat!(
                "SELECT day, method, result, reason, ", split_sum!("attempts"), " AS attempts FROM auth_daily WHERE day >= ? AND day < ?
                 GROUP BY day, method, result, reason ORDER BY day, method, result, reason"
            ),
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
    }

    /// Authorization attempts of all time per method and result.
    pub async fn auth_totals(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows: Vec<(String, String, SaturatingInt)> =
            sqlx::query_as(concat!("SELECT method, result, ", split_sum!("attempts"), " FROM auth_daily GROUP BY method, result ORDER BY method, result"))
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(method, result, n)| (method, result, n.0)).collect())
    }

    /// Tokens nobody registered, most tried first (at most `limit`), tried in `[from, to)`.
    pub async fn unknown_tokens(&self, from: &str, to: &str, limit: u32) -> Result<Vec<UnknownTokenRow>, StoreError> {
        sqlx::query_as(
            "SELECT id_tag, count(*) AS attempts, count(DISTINCT charger_id) AS chargers, min(at) AS first_at, max(at) AS last_at
             FROM auth_attempts WHERE result <> 'Accepted' AND at >= ? AND at < ? AND result = 'Invalid' AND reason = 'unknown token'
             GROUP BY id_tag ORDER BY attempts DESC, id_tag LIMIT ?",
        )
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Tokens seen charging at two chargers at once, overlaps beginning on days in `[from, to)`.
    pub async fn token_overlaps(&self, from: &str, to: &str, limit: u32) -> Result<Vec<OverlapRow>, StoreError> {
        sqlx::query_as(
            "SELECT id_tag, first_session_id, first_charger_id, second_session_id, second_charger_id, overlap_from
             FROM token_overlaps WHERE day >= ? AND day < ? ORDER BY day DESC, overlap_from DESC LIMIT ?",
        )
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// What an operator has to look at now: sessions held for review, payments of finished
    /// sessions whose capture has failed and is being retried, and payments given up as failed.
    pub async fn attention_counts(&self) -> Result<AttentionCounts, StoreError> {
        let (held_for_review,): (i64,) = sqlx::query_as("SELECT count(*) FROM sessions WHERE status = 'under_review'").fetch_one(&self.pool).await?;
        let (captures_retrying, payments_failed): (i64, i64) = sqlx::query_as(
            "SELECT coalesce(sum(p.status = 'held' AND p.attempts > 0 AND s.status IN ('completed', 'failed')), 0), coalesce(sum(p.status = 'failed'), 0)
             FROM payments p LEFT JOIN sessions s ON s.id = p.session_id",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(AttentionCounts { held_for_review, captures_retrying, payments_failed })
    }

    pub async fn token_overlap_total(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM token_overlaps").fetch_one(&self.pool).await?;
        Ok(n)
    }

    /// The authorization log, newest first, in `[from, to)`, before the entry `before` if given.
    pub async fn auth_log(&self, from: &str, to: &str, before: Option<i64>, limit: u32) -> Result<Vec<AuthLogRow>, StoreError> {
        sqlx::query_as(
            "SELECT id, at, method, id_tag, charger_id, result, reason FROM auth_attempts
             WHERE id < ? AND at >= ? AND at < ? ORDER BY id DESC LIMIT ?",
        )
        .bind(before.unwrap_or(i64::MAX))
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
    }

    /// Sessions charging or stopping now, per charger: how many, and their last reported power
    /// (each session's at most [`MAX_POWER_W`](crate::reports::bounds::MAX_POWER_W): the charger says it).
    pub async fn active_sessions(&self) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let rows: Vec<(String, i64, SaturatingInt)> = sqlx::query_as(concat!(
            "SELECT charger_id, count(*), ", split_sum!("min(max(CAST(power_w AS INTEGER), 0), 1000000000)"), "
             FROM sessions WHERE status IN ('charging', 'stopping') GROUP BY charger_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(charger, n, watts)| (charger, n, watts.0)).collect())
    }

    /// Each connector's last reported status.
    pub async fn connector_statuses(&self) -> Result<Vec<(String, i64, ConnectorStatus)>, StoreError> {
        sqlx::query_as("SELECT charger_id, connector_id, status FROM evses ORDER BY charger_id, connector_id")
            .fetch_all(&self.pool)
            .await
    }

    /// Heartbeat gaps of all time per charger: count and total seconds.
    pub async fn heartbeat_gap_totals(&self) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
        self.heartbeat_gaps("", "~").await
    }

    /// Completed sessions of days in `[from, to)` by currency and payment state (kept by the
    /// triggers of migration 0009 from pay per session's `payments`).
    pub async fn payment_states(&self, from: &str, to: &str) -> Result<Vec<PaymentStateRow>, StoreError> {
        sqlx::query_as(
            concat!(
                "SELECT currency, state, ", split_sum!("sessions"), " AS sessions, ", split_sum!("excl_vat_minor"), " AS excl_vat_minor, ",
                split_sum!("vat_minor"), " AS vat_minor, ", split_sum!("incl_vat_minor"), " AS incl_vat_minor, ",
                split_sum!("collected_minor"), " AS collected_minor
                 FROM payment_daily WHERE day >= ? AND day < ? GROUP BY currency, state HAVING total(sessions) > 0 ORDER BY currency, state"
            ),
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
    }

    // --- availability ---

    pub async fn availability_generation(&self, charger_id: &str) -> Result<i64, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as("SELECT generation FROM availability_generations WHERE charger_id = ?")
            .bind(charger_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map_or(0, |(g,)| g))
    }

    /// Cached availability of a charger's days in `[from, to)`.
    pub async fn cached_availability(&self, charger_id: &str, from: &str, to: &str) -> Result<Vec<CachedDay>, StoreError> {
        sqlx::query_as(
            "SELECT day, available_ms, charging_ms, faulted_ms, unavailable_ms, offline_ms, unknown_ms
             FROM availability_daily WHERE charger_id = ? AND day >= ? AND day < ? ORDER BY day",
        )
        .bind(charger_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await
    }

    /// Stores computed days, except those of a charger whose history changed since its
    /// `generation` was read (they may be stale). Returns the chargers left out.
    ///
    /// In transactions of about [`CACHE_ROWS_PER_TRANSACTION`] rows (a charger's days always in
    /// one, with the check of its generation), not one for everything: warming a year for
    /// thousands of chargers is millions of rows, and one transaction of them held SQLite's
    /// write lock for seconds while every charger's MeterValues waited (the "stall a minute
    /// after start" of issue #17), some past the busy timeout.
    pub async fn cache_availability(&self, computed: &[ComputedDays]) -> Result<Vec<String>, StoreError> {
        let mut stale = Vec::new();
        let mut rest = computed;
        while !rest.is_empty() {
            let mut take = 0;
            let mut rows = 0;
            while take < rest.len() && (take == 0 || rows + rest[take].days.len() <= CACHE_ROWS_PER_TRANSACTION) {
                rows += rest[take].days.len();
                take += 1;
            }
            let (chunk, after) = rest.split_at(take);
            stale.extend(self.cache_availability_at_once(chunk).await?);
            rest = after;
            // Writers waiting for the lock (the chargers' group writer) are ahead of the next
            // chunk in the write gate. Before the gate they waited in SQLite's busy handler, and
            // a mere yield let the next chunk take the lock back first, over and over, until a
            // charger batch's begin ran out of its busy timeout (docs/benchmarks.md); the pause
            // stays so the warmer takes at most a turn every 150 ms.
            if !rest.is_empty() {
                tokio::time::sleep(WRITERS_TURN).await;
            }
        }
        Ok(stale)
    }

    async fn cache_availability_at_once(&self, computed: &[ComputedDays]) -> Result<Vec<String>, StoreError> {
        let mut stale = Vec::new();
        let mut tx = self.begin_write().await?;
        for c in computed {
            let row: Option<(i64,)> = sqlx::query_as("SELECT generation FROM availability_generations WHERE charger_id = ?")
                .bind(&c.charger_id)
                .fetch_optional(&mut *tx)
                .await?;
            if row.map_or(0, |(g,)| g) != c.generation {
                stale.push(c.charger_id.clone());
                continue;
            }
            for (day, b) in &c.days {
                sqlx::query(
                    "INSERT OR REPLACE INTO availability_daily (charger_id, day, connectors, available_ms, charging_ms,
                         faulted_ms, unavailable_ms, offline_ms, unknown_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(&c.charger_id)
                .bind(day)
                .bind(c.connectors as i64)
                .bind(b.available_ms)
                .bind(b.charging_ms)
                .bind(b.faulted_ms)
                .bind(b.unavailable_ms)
                .bind(b.offline_ms)
                .bind(b.unknown_ms)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(stale)
    }

    /// What is needed to know a charger's states over `[from, to)`: every status and connection
    /// event inside, and the last of each before `from` (the state the window starts in).
    pub async fn availability_history(&self, charger_id: &str, connectors: &[u32], from: Millis, to: Millis) -> Result<History, StoreError> {
        let (from_jd, to_jd) = (julian_day(from), julian_day(to));
        let connection: Vec<(i64, String)> = sqlx::query_as(concat!(
            "SELECT * FROM (SELECT ", unix_ms!("at"), ", event FROM charger_connection_events
                 WHERE charger_id = ?1 AND julianday(at) < ?2 ORDER BY julianday(at) DESC, rowid DESC LIMIT 1)
             UNION ALL
             SELECT * FROM (SELECT ", unix_ms!("at"), ", event FROM charger_connection_events
                 WHERE charger_id = ?1 AND julianday(at) >= ?2 AND julianday(at) < ?3 ORDER BY julianday(at), rowid)"
        ))
        .bind(charger_id)
        .bind(from_jd)
        .bind(to_jd)
        .fetch_all(&self.pool)
        .await?;
        let mut history = History {
            connection: connection.into_iter().map(|(at, event)| (at, event == "connected")).collect(),
            ..History::default()
        };
        history.charger = self.status_history(charger_id, 0, from_jd, to_jd).await?;
        for &connector in connectors {
            history.connectors.push(self.status_history(charger_id, connector, from_jd, to_jd).await?);
        }
        Ok(history)
    }

    /// When the charger first connected, if ever (unix ms).
    pub async fn first_connection_ms(&self, charger_id: &str) -> Result<Option<Millis>, StoreError> {
        let row: Option<(i64,)> = sqlx::query_as(concat!(
            "SELECT ", unix_ms!("at"), " FROM charger_connection_events WHERE charger_id = ? AND julianday(at) IS NOT NULL ORDER BY julianday(at) LIMIT 1"
        ))
        .bind(charger_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(ms,)| ms))
    }

    async fn status_history(&self, charger_id: &str, connector_id: u32, from_jd: f64, to_jd: f64) -> Result<Vec<(Millis, State)>, StoreError> {
        let rows: Vec<(i64, ConnectorStatus)> = sqlx::query_as(concat!(
            "SELECT * FROM (SELECT ", unix_ms!("at"), ", status FROM connector_status_events
                 WHERE charger_id = ?1 AND connector_id = ?2 AND julianday(at) < ?3 ORDER BY julianday(at) DESC, rowid DESC LIMIT 1)
             UNION ALL
             SELECT * FROM (SELECT ", unix_ms!("at"), ", status FROM connector_status_events
                 WHERE charger_id = ?1 AND connector_id = ?2 AND julianday(at) >= ?3 AND julianday(at) < ?4 ORDER BY julianday(at), rowid)"
        ))
        .bind(charger_id)
        .bind(connector_id)
        .bind(from_jd)
        .bind(to_jd)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(at, status)| (at, status.availability(true))).collect())
    }

    // --- heartbeats ---

    /// Each charger's last Heartbeat, written together: one transaction (one fsync) for all.
    /// One statement for every charger's last beat: a statement per charger held SQLite's
    /// write lock for about two seconds a minute at 10,000 chargers, and the chargers'
    /// MeterValues waited behind it (docs/benchmarks.md). Times are stored as RFC 3339, the
    /// text sqlx writes for an `OffsetDateTime`.
    pub async fn record_heartbeats(&self, beats: &std::collections::HashMap<String, OffsetDateTime>) -> Result<(), StoreError> {
        let rows: Vec<(&str, String)> = beats
            .iter()
            .map(|(charger_id, at)| Ok((charger_id.as_str(), at.format(&time::format_description::well_known::Rfc3339)?)))
            .collect::<Result<_, time::error::Format>>()
            .map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let rows = serde_json::to_string(&rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        sqlx::query(
            "UPDATE chargers SET last_seen_at = json_extract(beat.value, '$[1]')
             FROM json_each(?) AS beat WHERE chargers.id = json_extract(beat.value, '$[0]')",
        )
        .bind(rows)
        .execute(&mut *self.write_connection().await?)
        .await?;
        Ok(())
    }

    pub async fn record_heartbeat_gap(&self, charger_id: &str, since: OffsetDateTime, until: OffsetDateTime) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO heartbeat_gaps (charger_id, since, until, seconds) VALUES (?, ?, ?, ?)")
            .bind(charger_id)
            .bind(since)
            .bind(until)
            .bind((until - since).whole_seconds())
            .execute(&mut *self.write_connection().await?)
            .await?;
        Ok(())
    }

    /// When the charger last connected, if ever.
    pub async fn last_connected_at(&self, charger_id: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        let row: Option<(OffsetDateTime,)> = sqlx::query_as(
            "SELECT at FROM charger_connection_events WHERE charger_id = ? AND event = 'connected' ORDER BY at DESC, rowid DESC LIMIT 1",
        )
        .bind(charger_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(at,)| at))
    }
}

#[cfg(test)]
#[path = "reports_tests.rs"]
mod tests;
