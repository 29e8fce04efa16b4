//! Operator monitoring: revenue, charger performance and authentication, computed from what the
//! server stores — finished sessions (their final cost is the receipt), connector status and
//! connection history, heartbeat gaps and the authorization log.
//!
//! The SQL lives in `store::reports`; this module and its children shape the figures, as plain
//! functions over plain rows where they can (tested without a database). Reports cover whole UTC
//! days, both ends included. [`Reports`] is the public entry point: the operator API, `/metrics`,
//! and `chargekit report` (which opens the database file directly) all go through it.

pub mod availability;
pub mod bounds;
mod authentication;
pub mod csv;
mod performance;
mod revenue;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::store::Store;
use crate::store::reports::{AuthLogRow, ChargerInfo};
use availability::{Breakdown, DAY_MS, Millis};

pub use authentication::{ConcurrentUse, DayCount, MethodCount, OutcomeCount, UnknownToken};
pub use performance::{AvailabilityFigures, FaultCount, HeartbeatGaps, PerformanceRow, ReasonCount, TimeToStart};
pub use revenue::{PaymentState, PeriodSpan, RevenueFigures, RevenueRow};

/// The longest window a report covers (about ten years).
pub const MAX_DAYS: i64 = 3_660;
/// Unknown tokens and concurrent uses listed at most.
const LIST_LIMIT: u32 = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    #[default]
    Day,
    /// ISO weeks, Monday to Sunday.
    Week,
    Month,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    Charger,
    Site,
    /// One row for all chargers.
    Total,
}

/// The days a report covers: UTC dates, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: Date,
    pub to: Date,
}

impl Window {
    /// From optional `YYYY-MM-DD` bounds; without them, the 30 days ending `today`.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Self, String> {
        let day = |s: &str, name: &str| parse_day(s).ok_or_else(|| format!("{name} must be a date as YYYY-MM-DD, not \"{s}\""));
        let to = to.map(|s| day(s, "to")).transpose()?.unwrap_or(today);
        let from = from.map(|s| day(s, "from")).transpose()?.unwrap_or(to - time::Duration::days(29));
        if from > to {
            return Err(format!("from ({}) is after to ({})", day_key(from), day_key(to)));
        }
        if (to - from).whole_days() >= MAX_DAYS {
            return Err(format!("a report covers at most {MAX_DAYS} days"));
        }
        Ok(Self { from, to })
    }

    /// [`Window::parse`] with today's UTC date.
    pub fn parse_today(from: Option<&str>, to: Option<&str>) -> Result<Self, String> {
        Self::parse(from, to, OffsetDateTime::now_utc().date())
    }

    pub fn from_key(&self) -> String {
        day_key(self.from)
    }

    pub fn to_key(&self) -> String {
        day_key(self.to)
    }

    /// The day after the last: the exclusive upper bound of day keys.
    pub fn end_key(&self) -> String {
        day_key(self.to.next_day().unwrap_or(self.to))
    }

    pub fn start_ms(&self) -> Millis {
        day_start_ms(self.from)
    }

    pub fn end_ms(&self) -> Millis {
        day_start_ms(self.to) + DAY_MS
    }
}

/// `YYYY-MM-DD`.
pub fn day_key(day: Date) -> String {
    format!("{:04}-{:02}-{:02}", day.year(), u8::from(day.month()), day.day())
}

pub fn parse_day(text: &str) -> Option<Date> {
    Date::parse(text, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

fn day_start_ms(day: Date) -> Millis {
    (day.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as Millis
}

fn unix_ms(at: OffsetDateTime) -> Millis {
    (at.unix_timestamp_nanos() / 1_000_000) as Millis
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevenueReport {
    pub from: String,
    pub to: String,
    pub period: Period,
    pub group_by: GroupBy,
    /// Every period the window touches, in order, with or without revenue: the time axis of a
    /// chart (`rows` has only the periods with completed sessions).
    pub periods: Vec<PeriodSpan>,
    /// Completed sessions per period, group and currency, in period order.
    pub rows: Vec<RevenueRow>,
    /// Per currency over the whole window: equal to the sum of the receipts.
    pub totals: Vec<RevenueFigures>,
    /// Completed sessions by payment state, per currency.
    pub payment_states: Vec<PaymentState>,
    /// Where the payment states come from.
    pub payment_source: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PerformanceReport {
    pub from: String,
    pub to: String,
    pub group_by: GroupBy,
    pub rows: Vec<PerformanceRow>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuthenticationReport {
    pub from: String,
    pub to: String,
    /// Attempts by method: tokens shown at chargers, and starts asked for in the app.
    pub by_method: Vec<MethodCount>,
    /// Attempts by method, result and reason.
    pub by_outcome: Vec<OutcomeCount>,
    pub by_day: Vec<DayCount>,
    /// Tokens no driver registered, most tried first.
    pub unknown_tokens: Vec<UnknownToken>,
    /// Attempts refused because the token was charging elsewhere (OCPP ConcurrentTx).
    pub concurrent_refusals: i64,
    /// Tokens that did charge at two chargers at once (cloned cards, offline replays).
    pub concurrent_uses: Vec<ConcurrentUse>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuthorizationLog {
    pub from: String,
    pub to: String,
    /// Newest first.
    pub entries: Vec<AuthLogEntry>,
    /// Pass as `before` for the next (older) page; none on the last page.
    pub next_before: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuthLogEntry {
    pub id: i64,
    pub at: String,
    pub method: String,
    pub id_tag: String,
    pub charger_id: Option<String>,
    pub result: String,
    pub reason: Option<String>,
}

impl From<AuthLogRow> for AuthLogEntry {
    fn from(r: AuthLogRow) -> Self {
        Self { id: r.id, at: r.at, method: r.method, id_tag: r.id_tag, charger_id: r.charger_id, result: r.result, reason: r.reason }
    }
}

use crate::store::reports::ComputedDays;

/// The reports over one database.
#[derive(Clone)]
pub struct Reports {
    store: Store,
}

impl Reports {
    /// Opens a ChargeKit database file (bringing its schema up to date), as `chargekit report`
    /// does. A running server may use the file at the same time (SQLite WAL).
    pub async fn open(path: &Path) -> Result<Self, sqlx::Error> {
        if !path.exists() {
            return Err(sqlx::Error::Configuration(format!("no database at {}", path.display()).into()));
        }
        Ok(Self { store: Store::open(path).await? })
    }

    /// Opens a database file, creating it with the server's schema if missing (for tools that
    /// build one, such as the reports benchmark).
    pub async fn open_or_create(path: &Path) -> Result<Self, sqlx::Error> {
        Ok(Self { store: Store::open(path).await? })
    }

    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn close(self) {
        self.store.close().await;
    }

    pub async fn revenue(&self, window: Window, period: Period, group_by: GroupBy) -> Result<RevenueReport, sqlx::Error> {
        let (from, end) = (window.from_key(), window.end_key());
        let days = self.store.session_daily(&from, &end).await?;
        let chargers = self.store.chargers_for_reports().await?;
        let sites: HashMap<&str, Option<String>> = chargers.iter().map(|c| (c.id.as_str(), c.site.clone())).collect();
        let rows = revenue::rows(&days, period, group_by, |id| sites.get(id).cloned().flatten());
        let totals = revenue::totals(&days);
        let payment_states = self.store.payment_states(&from, &end).await?.into_iter().map(PaymentState::from).collect();
        let payment_source = "pay per session: each completed session's payment; unpaid: no payment recorded (not paid through the app)".to_owned();
        let periods = revenue::periods(window.from, window.to, period);
        Ok(RevenueReport { from, to: window.to_key(), period, group_by, periods, rows, totals, payment_states, payment_source })
    }

    pub async fn performance(&self, window: Window, group_by: GroupBy) -> Result<PerformanceReport, sqlx::Error> {
        self.performance_at(window, group_by, OffsetDateTime::now_utc()).await
    }

    pub(crate) async fn performance_at(&self, window: Window, group_by: GroupBy, now: OffsetDateTime) -> Result<PerformanceReport, sqlx::Error> {
        let (from, end) = (window.from_key(), window.end_key());
        let days = self.store.session_daily(&from, &end).await?;
        let failures = self.store.session_failures(&from, &end).await?;
        let faults = self.store.faults(window.start_ms(), window.end_ms()).await?;
        let gaps = self.store.heartbeat_gaps(&from, &end).await?;
        let mut chargers = Vec::new();
        let mut to_cache = Vec::new();
        let mut pending_rows = 0;
        for charger in self.store.chargers_for_reports().await? {
            let (availability, computed) = self.availability(&charger, window, now).await?;
            if let Some(computed) = computed {
                pending_rows += computed.days.len();
                to_cache.push(computed);
            }
            // Written as it goes, not all at the end: a year of thousands of chargers is
            // millions of days, too many to hold in memory or write in one transaction.
            if pending_rows >= crate::store::reports::CACHE_ROWS_PER_TRANSACTION {
                self.cache(&mut to_cache).await?;
                pending_rows = 0;
            }
            let id = charger.id.as_str();
            chargers.push(performance::ChargerInputs {
                failures: failures.iter().filter(|(c, _, _)| c == id).map(|(_, r, n)| (r.clone(), *n)).collect(),
                faults: faults.iter().filter(|(c, _, _)| c == id).map(|(_, code, n)| (code.clone(), *n)).collect(),
                gaps: gaps.iter().find(|(c, ..)| c == id).map_or((0, 0, None), |(_, n, total, longest)| (*n, *total, Some(*longest))),
                availability,
                charger_id: charger.id,
                site: charger.site,
            });
        }
        self.cache(&mut to_cache).await?;
        let rows = performance::rows(&days, &chargers, group_by);
        Ok(PerformanceReport { from, to: window.to_key(), group_by, rows })
    }

    /// Stores the days computed so far (in transactions of bounded size) and forgets them.
    async fn cache(&self, to_cache: &mut Vec<ComputedDays>) -> Result<(), sqlx::Error> {
        if to_cache.is_empty() {
            return Ok(());
        }
        let stale = self.store.cache_availability(to_cache).await?;
        if !stale.is_empty() {
            tracing::debug!(?stale, "availability changed while computed; those chargers' days not cached this time");
        }
        to_cache.clear();
        Ok(())
    }

    pub async fn authentication(&self, window: Window) -> Result<AuthenticationReport, sqlx::Error> {
        let (from, end) = (window.from_key(), window.end_key());
        let figures = authentication::figures(&self.store.auth_counts(&from, &end).await?);
        let unknown_tokens = self.store.unknown_tokens(&from, &end, LIST_LIMIT).await?.into_iter().map(Into::into).collect();
        let concurrent_uses = self.store.token_overlaps(&from, &end, LIST_LIMIT).await?.into_iter().map(Into::into).collect();
        Ok(AuthenticationReport {
            from,
            to: window.to_key(),
            by_method: figures.by_method,
            by_outcome: figures.by_outcome,
            by_day: figures.by_day,
            unknown_tokens,
            concurrent_refusals: figures.concurrent_refusals,
            concurrent_uses,
        })
    }

    pub async fn authorization_log(&self, window: Window, before: Option<i64>, limit: u32) -> Result<AuthorizationLog, sqlx::Error> {
        let limit = limit.clamp(1, 1_000);
        let rows = self.store.auth_log(&window.from_key(), &window.end_key(), before, limit).await?;
        let next_before = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.id)).flatten();
        Ok(AuthorizationLog {
            from: window.from_key(),
            to: window.to_key(),
            entries: rows.into_iter().map(Into::into).collect(),
            next_before,
        })
    }

    /// A charger's connector time over the window, up to `now`. Days that are over come from the
    /// daily cache when present; the others are computed from the history in one pass (and the
    /// complete ones cached). Time before the charger's first connection is not observed (a new
    /// charger's availability counts from its installation); a charger that never connected has
    /// nothing observed.
    /// Also returns the days computed that are over, to be cached (with the generation read
    /// before computing them).
    async fn availability(&self, charger: &ChargerInfo, window: Window, now: OffsetDateTime) -> Result<(Breakdown, Option<ComputedDays>), sqlx::Error> {
        let store = &self.store;
        let today = now.date();
        let now_ms = unix_ms(now);
        let mut total = Breakdown::default();
        if window.start_ms() >= now_ms {
            return Ok((total, None));
        }
        let cached = store.cached_availability(&charger.id, &window.from_key(), &window.end_key()).await?;
        let cached_days: HashSet<&str> = cached.iter().map(|c| c.day.as_str()).collect();
        for day in &cached {
            total.merge(&day.breakdown());
        }
        let mut missing: Vec<Date> = Vec::new();
        let mut day = window.from;
        while day <= window.to && day <= today {
            if !cached_days.contains(day_key(day).as_str()) {
                missing.push(day);
            }
            day = match day.next_day() {
                Some(next) => next,
                None => break,
            };
        }
        let (Some(&first), Some(&last)) = (missing.first(), missing.last()) else { return Ok((total, None)) };
        let generation = store.availability_generation(&charger.id).await?;
        let range_end = (day_start_ms(last) + DAY_MS).min(now_ms);
        let observed_from = store.first_connection_ms(&charger.id).await?;
        let mut days: Vec<Date> = Vec::new();
        let mut cuts: Vec<Millis> = Vec::new();
        let mut d = first;
        while d <= last {
            days.push(d);
            cuts.push(day_start_ms(d));
            d = match d.next_day() {
                Some(next) => next,
                None => break,
            };
        }
        cuts.push(range_end);
        // Nothing is observed before the first connection (never connected: nothing at all).
        let clipped: Vec<Millis> = cuts.iter().map(|&c| observed_from.map_or(range_end, |first| c.max(first).min(range_end))).collect();
        let history = store.availability_history(&charger.id, &charger.connectors, clipped[0], range_end).await?;
        let slices = availability::slices(&history, &clipped);
        let mut to_cache = Vec::new();
        for (day, slice) in days.iter().zip(&slices) {
            let key = day_key(*day);
            if cached_days.contains(key.as_str()) {
                continue;
            }
            total.merge(slice);
            if *day < today {
                to_cache.push((key, *slice));
            }
        }
        let computed = (!to_cache.is_empty()).then(|| ComputedDays { charger_id: charger.id.clone(), generation, connectors: charger.connectors.len(), days: to_cache });
        Ok((total, computed))
    }
}

/// How far back the availability cache is kept warm.
const WARM_DAYS: i64 = 400;

/// Fills the availability cache in the background: at start for the last [`WARM_DAYS`] days,
/// then every hour (a day that ended is computed once, soon after midnight UTC), so that a
/// report finds days that are over already computed and only reads today's events. A failure
/// is logged and tried again next time.
pub(crate) fn spawn_availability_warmer(store: Store, shutdown: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        let reports = Reports::new(store);
        loop {
            let today = OffsetDateTime::now_utc().date();
            let window = Window { from: today - time::Duration::days(WARM_DAYS), to: today - time::Duration::days(1) };
            let began = std::time::Instant::now();
            let next = match reports.performance(window, GroupBy::Total).await {
                Ok(_) => {
                    tracing::debug!(elapsed = ?began.elapsed(), "availability cache warm");
                    std::time::Duration::from_secs(3600)
                }
                // Busy (thousands of chargers connecting at once, say): try again soon.
                Err(e) => {
                    tracing::warn!(error = %e, "cannot warm the availability cache yet; trying again in a minute");
                    std::time::Duration::from_secs(60)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(next) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn windows_default_to_30_days_and_refuse_nonsense() {
        let today = date!(2026 - 11 - 24);
        let w = Window::parse(None, None, today).unwrap();
        assert_eq!((w.from_key(), w.to_key(), w.end_key()), ("2026-10-26".into(), "2026-11-24".into(), "2026-11-25".into()));
        assert_eq!(w.end_ms() - w.start_ms(), 30 * DAY_MS);
        assert!(Window::parse(Some("2026-11-25"), Some("2026-11-24"), today).unwrap_err().contains("after"));
        assert!(Window::parse(Some("24.11.2026"), None, today).unwrap_err().contains("YYYY-MM-DD"));
        assert!(Window::parse(Some("2000-01-01"), Some("2026-01-01"), today).is_err());
    }
}
