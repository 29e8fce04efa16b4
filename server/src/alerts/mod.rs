//! The server's own alerts: rules with thresholds from the config ([`AlertsConfig`]) evaluated
//! periodically and whenever a charger connects, disconnects or reports a status; alerts open and
//! resolve by themselves, are kept in the database (one open alert per rule and subject, so a
//! restart neither fires one again nor forgets it), are listed at `GET /v1/operator/alerts` and
//! on the dashboard, and are posted to the configured webhooks through a durable outbox
//! ([`webhooks`]).
//!
//! Nothing here is on a charger's path: a charger's message only wakes the engine (a
//! `Notify`), and the engine and the deliveries run in tasks of their own.

mod config;
pub mod rules;
pub mod webhooks;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

pub use config::{AlertsConfig, WebhookConfig};

use crate::AppState;
use crate::store::{AlertRow, NewAlert};
use rules::{AvailabilityCache, Rule};

/// The engine's wake-ups, shared with what reports events.
#[derive(Default)]
pub struct Alerts {
    changed: Notify,
    /// Wakes the webhook deliveries when an event was queued.
    pub(crate) queued: Notify,
}

impl Alerts {
    /// Something a rule reads changed (a connection, a status): evaluate soon.
    pub fn nudge(&self) {
        self.changed.notify_one();
    }
}

/// An alert, as the API lists it and the webhooks carry it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Alert {
    pub id: i64,
    /// The rule, named as the Prometheus alert of deploy/prometheus/chargekit-alerts.yml.
    pub rule: String,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    /// What it is about within its rule: a charger id, `charger/connector` or a session id.
    pub subject: String,
    pub charger_id: Option<String>,
    pub session_id: Option<String>,
    pub summary: String,
    /// When the condition began.
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub opened_at: OffsetDateTime,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub resolved_at: Option<OffsetDateTime>,
}

impl From<AlertRow> for Alert {
    fn from(r: AlertRow) -> Self {
        Self {
            id: r.id,
            rule: r.rule,
            severity: r.severity,
            subject: r.subject,
            charger_id: r.charger_id,
            session_id: r.session_id,
            summary: r.summary,
            since: r.since,
            opened_at: r.opened_at,
            resolved_at: r.resolved_at,
        }
    }
}

/// The JSON posted to a webhook: `{"type": "alert.opened" | "alert.resolved", "alert": {...}}`.
fn event_body(event: &str, alert: &AlertRow) -> String {
    serde_json::json!({ "type": event, "alert": Alert::from(alert.clone()) }).to_string()
}

/// Starts the engine and the webhook deliveries.
pub fn spawn(state: Arc<AppState>, shutdown: CancellationToken) -> Result<(), String> {
    webhooks::spawn(state.clone(), shutdown.clone())?;
    tokio::spawn(run(state, shutdown));
    Ok(())
}

async fn run(state: Arc<AppState>, shutdown: CancellationToken) {
    let started = OffsetDateTime::now_utc();
    let every = Duration::from_secs(state.config.alerts.evaluate_every_secs);
    let mut cache = AvailabilityCache::default();
    loop {
        let wait = match evaluate_once(&state, started, &mut cache).await {
            Ok(next_due) => next_due
                .map(|due| Duration::try_from(due - OffsetDateTime::now_utc()).unwrap_or(Duration::ZERO))
                .map_or(every, |until| until.min(every)),
            Err(e) => {
                tracing::error!(error = %e, "cannot evaluate the alert rules; trying again");
                every
            }
        };
        // At most one evaluation a second: a fleet's status reports must not keep it busy (a
        // change reported meanwhile is kept by the `Notify` and evaluated right after).
        tokio::select! {
            _ = tokio::time::sleep(MIN_GAP) => {}
            _ = shutdown.cancelled() => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(wait.saturating_sub(MIN_GAP)) => {}
            _ = state.alerts.changed.notified() => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

/// The shortest time between two evaluations.
const MIN_GAP: Duration = Duration::from_secs(1);

/// One evaluation: opens what ripened, resolves what no longer holds. Returns when the next
/// threshold falls due.
async fn evaluate_once(state: &AppState, started: OffsetDateTime, cache: &mut AvailabilityCache) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    let evaluation = rules::evaluate(state, now, started, cache).await?;
    let urls: Vec<String> = state.config.alerts.webhooks.iter().map(|w| w.url.clone()).collect();
    let open = state.store.open_alerts().await?;
    let holding: HashSet<(&str, &str)> = evaluation.conditions.iter().map(|c| (c.rule.name(), c.subject.as_str())).collect();
    let mut queued = false;
    for alert in &open {
        if !holding.contains(&(alert.rule.as_str(), alert.subject.as_str())) {
            if let Some(resolved) = state.store.resolve_alert(alert.id, now, &urls, |a| event_body("alert.resolved", a)).await? {
                tracing::info!(rule = %resolved.rule, subject = %resolved.subject, "alert resolved");
                queued = true;
            }
        }
    }
    let already: HashSet<(&str, &str)> = open.iter().map(|a| (a.rule.as_str(), a.subject.as_str())).collect();
    for condition in evaluation.conditions.iter().filter(|c| c.ripe && !already.contains(&(c.rule.name(), c.subject.as_str()))) {
        let new = NewAlert {
            rule: condition.rule.name(),
            subject: &condition.subject,
            charger_id: condition.charger_id.as_deref(),
            session_id: condition.session_id.as_deref(),
            severity: condition.rule.severity(),
            summary: &condition.summary,
            since: condition.since,
            at: now,
        };
        if let Some(opened) = state.store.open_alert(&new, &urls, |a| event_body("alert.opened", a)).await? {
            tracing::warn!(rule = %opened.rule, subject = %opened.subject, summary = %opened.summary, "alert opened");
            queued = true;
        }
    }
    if queued && !urls.is_empty() {
        state.alerts.queued.notify_one();
    }
    Ok(evaluation.next_due)
}

/// The rules' names, for the API's documentation and the consistency test.
pub fn rule_names() -> impl Iterator<Item = &'static str> {
    Rule::ALL.into_iter().map(Rule::name)
}
