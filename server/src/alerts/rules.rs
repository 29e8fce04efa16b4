//! The alert rules: what each one reads and when its condition holds.
//!
//! Each rule yields the conditions that hold now, each with `ripe` set once its threshold has
//! passed. The engine opens an alert for a ripe condition and resolves an open alert once its
//! condition no longer holds at all: a charger offline 3 minutes after a restart keeps the alert
//! opened before the restart, and does not open one before the threshold.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};

use crate::AppState;
use crate::reports::availability::{self, Millis};

/// A rule, named as in deploy/prometheus/chargekit-alerts.yml.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    ChargerOffline,
    ConnectorFaulted,
    FailedStarts,
    HeartbeatGaps,
    AvailabilityBelowTarget,
    SessionsHeldForReview,
    CapturesFailing,
}

impl Rule {
    pub const ALL: [Rule; 7] = [
        Self::ChargerOffline,
        Self::ConnectorFaulted,
        Self::FailedStarts,
        Self::HeartbeatGaps,
        Self::AvailabilityBelowTarget,
        Self::SessionsHeldForReview,
        Self::CapturesFailing,
    ];

    /// The Prometheus alert's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::ChargerOffline => "ChargeKitChargerOffline",
            Self::ConnectorFaulted => "ChargeKitConnectorFaulted",
            Self::FailedStarts => "ChargeKitFailedStarts",
            Self::HeartbeatGaps => "ChargeKitHeartbeatGaps",
            Self::AvailabilityBelowTarget => "ChargeKitAvailabilityBelowTarget",
            Self::SessionsHeldForReview => "ChargeKitSessionsHeldForReview",
            Self::CapturesFailing => "ChargeKitCapturesFailing",
        }
    }

    /// The Prometheus alert's `severity` label.
    pub fn severity(self) -> &'static str {
        match self {
            Self::ConnectorFaulted => "critical",
            Self::HeartbeatGaps => "info",
            _ => "warning",
        }
    }
}

/// A condition that holds now.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub rule: Rule,
    /// What it is about within the rule: a charger id, `charger/connector`, a session id.
    pub subject: String,
    pub charger_id: Option<String>,
    pub session_id: Option<String>,
    pub summary: String,
    pub since: OffsetDateTime,
    /// Past its threshold: an alert opens.
    pub ripe: bool,
}

/// What an evaluation found, and when the next threshold falls due (the engine wakes then).
#[derive(Debug, Default)]
pub struct Evaluation {
    pub conditions: Vec<Condition>,
    pub next_due: Option<OffsetDateTime>,
}

impl Evaluation {
    /// Adds a condition that ripens `after` its start.
    fn timed(&mut self, rule: Rule, subject: String, charger_id: Option<&str>, summary: String, since: OffsetDateTime, after: u64, now: OffsetDateTime) {
        let since = since.min(now);
        let due = since + secs(after);
        let ripe = due <= now;
        if !ripe {
            self.next_due = Some(self.next_due.map_or(due, |next| next.min(due)));
        }
        self.conditions.push(Condition { rule, subject, charger_id: charger_id.map(str::to_owned), session_id: None, summary, since, ripe });
    }

    fn at_once(&mut self, rule: Rule, subject: String, charger_id: Option<&str>, summary: String, since: OffsetDateTime) {
        self.conditions.push(Condition { rule, subject, charger_id: charger_id.map(str::to_owned), session_id: None, summary, since, ripe: true });
    }
}

fn secs(n: u64) -> Duration {
    Duration::seconds(i64::try_from(n).unwrap_or(i64::MAX / 2))
}

/// Availability is costly (each charger's history): kept between evaluations.
#[derive(Default)]
pub struct AvailabilityCache {
    computed_at: Option<OffsetDateTime>,
    conditions: Vec<Condition>,
}

/// Evaluates every rule at `now`. `started` is when this server started: a charger never seen
/// connected counts as offline from then.
pub async fn evaluate(state: &AppState, now: OffsetDateTime, started: OffsetDateTime, cache: &mut AvailabilityCache) -> Result<Evaluation, sqlx::Error> {
    let config = &state.config.alerts;
    let store = &state.store;
    let mut out = Evaluation::default();

    let last_events: HashMap<String, (bool, OffsetDateTime)> =
        store.last_connection_events().await?.into_iter().map(|(charger, connected, at)| (charger, (connected, at))).collect();
    for charger in &state.config.chargers {
        let id = charger.charge_point_id.as_str();
        if state.chargers.registry.is_online(id) {
            continue;
        }
        let (since, seen) = match last_events.get(id) {
            Some((false, at)) => (*at, true),
            Some((true, _)) | None => (started, last_events.contains_key(id)),
        };
        let summary = if seen { format!("Charger {id} is offline") } else { format!("Charger {id} has never connected") };
        out.timed(Rule::ChargerOffline, id.to_owned(), Some(id), summary, since, config.charger_offline_after_secs, now);
    }

    for (charger, connector, error_code, since) in store.faulted_connectors().await? {
        let code = error_code.as_deref().unwrap_or("no error code");
        let summary = if connector == 0 { format!("Charger {charger} is faulted ({code})") } else { format!("Connector {connector} of {charger} is faulted ({code})") };
        out.timed(Rule::ConnectorFaulted, format!("{charger}/{connector}"), Some(&charger), summary, since, config.connector_faulted_after_secs, now);
    }

    let window_start = now - secs(config.failed_starts_window_secs);
    let outcomes = store.recent_start_outcomes(window_start).await?;
    for (charger, in_a_row, since) in failures_in_a_row(&outcomes) {
        if in_a_row >= config.failed_starts_in_a_row as usize {
            out.at_once(Rule::FailedStarts, charger.to_owned(), Some(charger), format!("{in_a_row} starts in a row failed at {charger}"), since);
        }
    }

    for (charger, gaps, since) in store.recent_heartbeat_gaps(now - secs(config.heartbeat_gaps_window_secs)).await? {
        let summary = format!("{charger} went silent while connected ({gaps} heartbeat gaps)");
        out.at_once(Rule::HeartbeatGaps, charger.clone(), Some(&charger), summary, since);
    }

    let availability_due = cache.computed_at.is_none_or(|at| now - at >= secs(config.availability_every_secs));
    if availability_due {
        cache.conditions = availability_below_target(state, now).await?;
        cache.computed_at = Some(now);
    }
    out.conditions.extend(cache.conditions.iter().cloned());

    for (session, charger, reason, since) in store.sessions_held().await? {
        let summary = format!("Session {session} at {charger} is held for review: {}", reason.as_deref().unwrap_or("implausible readings"));
        out.conditions.push(Condition {
            rule: Rule::SessionsHeldForReview,
            subject: session.clone(),
            charger_id: Some(charger),
            session_id: Some(session),
            summary,
            since,
            ripe: true,
        });
    }

    for (session, charger, attempts, failure, since) in store.captures_retrying().await? {
        let summary = format!("The payment capture of session {session} failed {attempts} times: {}", failure.as_deref().unwrap_or("no reason given"));
        out.timed(Rule::CapturesFailing, session.clone(), Some(&charger), summary, since, config.captures_failing_after_secs, now);
        if let Some(last) = out.conditions.last_mut() {
            last.session_id = Some(session);
        }
    }
    Ok(out)
}

/// Per charger (outcomes grouped by charger, newest first): how many of its newest starts failed
/// in a row, and when the oldest of those was asked for.
fn failures_in_a_row(outcomes: &[(String, bool, OffsetDateTime)]) -> Vec<(&str, usize, OffsetDateTime)> {
    let mut out: Vec<(&str, usize, OffsetDateTime)> = Vec::new();
    let mut broken: Option<&str> = None;
    for (charger, failed, at) in outcomes {
        let same = out.last().is_some_and(|(c, ..)| *c == charger.as_str());
        if !same {
            broken = None;
            out.push((charger, 0, *at));
        }
        if broken == Some(charger.as_str()) {
            continue;
        }
        let last = out.last_mut().expect("pushed above");
        if *failed {
            last.1 += 1;
            last.2 = *at;
        } else {
            broken = Some(charger);
        }
    }
    out.retain(|(_, n, _)| *n > 0);
    out
}

/// Chargers available (or in use) under the target share of the window, observed long enough.
/// A charger whose alert is open stays below target while its share is (ripe or not).
async fn availability_below_target(state: &AppState, now: OffsetDateTime) -> Result<Vec<Condition>, sqlx::Error> {
    let config = &state.config.alerts;
    let store = &state.store;
    let now_ms = unix_ms(now);
    let window_from = now_ms - i64::try_from(config.availability_window_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
    let mut out = Vec::new();
    for charger in store.chargers_for_reports().await? {
        if !state.config.chargers.iter().any(|c| c.charge_point_id == charger.id) {
            continue;
        }
        let Some(first) = store.first_connection_ms(&charger.id).await? else { continue };
        let from = window_from.max(first);
        if from >= now_ms {
            continue;
        }
        let history = store.availability_history(&charger.id, &charger.connectors, from, now_ms).await?;
        let day = availability::over(&history, from, now_ms);
        let usable = i128::from(day.available_ms) + i128::from(day.charging_ms);
        let total = i128::from(day.total_ms());
        if total == 0 || usable * 100 >= total * i128::from(config.availability_target_percent) {
            continue;
        }
        let observed_ms: Millis = now_ms - from;
        let permille = usable * 1000 / total;
        out.push(Condition {
            rule: Rule::AvailabilityBelowTarget,
            subject: charger.id.clone(),
            charger_id: Some(charger.id.clone()),
            session_id: None,
            summary: format!(
                "{} was available {}.{} % of the last {} h, under the {} % target",
                charger.id,
                permille / 10,
                permille % 10,
                observed_ms / 3_600_000,
                config.availability_target_percent
            ),
            since: OffsetDateTime::from_unix_timestamp_nanos(i128::from(from) * 1_000_000).unwrap_or(now),
            ripe: i128::from(observed_ms) >= i128::from(config.availability_min_observed_secs) * 1000,
        });
    }
    Ok(out)
}

fn unix_ms(at: OffsetDateTime) -> Millis {
    (at.unix_timestamp_nanos() / 1_000_000) as Millis
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_in_a_row_from_the_newest() {
        let t = |s| OffsetDateTime::UNIX_EPOCH + Duration::seconds(s);
        let outcomes = vec![
            ("A".to_owned(), true, t(30)),
            ("A".to_owned(), true, t(20)),
            ("A".to_owned(), false, t(10)),
            ("A".to_owned(), true, t(5)),
            ("B".to_owned(), false, t(40)),
            ("B".to_owned(), true, t(30)),
            ("C".to_owned(), true, t(1)),
        ];
        assert_eq!(failures_in_a_row(&outcomes), vec![("A", 2, t(20)), ("C", 1, t(1))], "a success ends the run; B's newest succeeded");
    }

    #[test]
    fn a_timed_condition_ripens_after_its_threshold_and_names_when() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::seconds(1_000);
        let mut e = Evaluation::default();
        e.timed(Rule::ChargerOffline, "A".into(), Some("A"), "a".into(), now - Duration::seconds(600), 600, now);
        e.timed(Rule::ChargerOffline, "B".into(), Some("B"), "b".into(), now - Duration::seconds(100), 600, now);
        assert!(e.conditions[0].ripe, "exactly the threshold");
        assert!(!e.conditions[1].ripe);
        assert_eq!(e.next_due, Some(now + Duration::seconds(500)));
    }
}
