//! `/metrics` in the Prometheus text exposition format (version 0.0.4).
//!
//! Counters are totals since the database began, read from the daily sums the reports use (a
//! scrape reads a few rows per charger and day, never the sessions), so they survive restarts
//! and Prometheus' `rate()`/`increase()` work over them as usual.
//!
//! Label cardinality is bounded by design. Never a label: session ids, id tags, driver ids,
//! free-text reasons, timestamps. Labels used and what bounds them:
//! - `charger`: configured chargers only (an unconfigured charge point cannot connect; rows
//!   for ids no longer configured are left out), so series grow with the fleet, not with use;
//! - `connector`: the configured connectors; `currency`: the tariffs' currencies;
//! - `method`, `outcome`, `result`, `status`, `error_code`: closed OCPP / ChargeKit enums (an
//!   error code outside OCPP 1.6's list is reported as `OtherError`);
//! - `reason`: a failure reason mapped onto a short fixed list (the JSON report has the text).
//!
//! Money is in integer minor units of the currency (`..._minor_units_total`); energy in
//! watt-hours, the unit meters count in (exact integers; joules would be ×3600).
//!
//! Access: an operator's bearer token, or the `metrics_token` of the configuration (what a
//! Prometheus server is given as its `authorization` credentials). Revenue is business data:
//! the endpoint is never open.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use chargekit_model::ocpp::messages::ChargePointStatus;
use chargekit_model::connector::UNKNOWN_STATUS;

use crate::AppState;
use crate::auth::{AuthedOperator, token_hash};
use crate::error::AppError;
use crate::store::WriteStats;
use crate::store::reports::{AttentionCounts, ChargerInfo, DailySessions};

const CONTENT_TYPE_V004: &str = "text/plain; version=0.0.4; charset=utf-8";

/// OCPP 1.6 `ChargePointErrorCode` values other than `NoError`.
const ERROR_CODES: [&str; 15] = [
    "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError",
    "LocalListConflict", "OtherError", "OverCurrentFailure", "PowerMeterFailure", "PowerSwitchFailure",
    "ReaderFailure", "ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal",
];

/// The `status` label values: OCPP 1.6 `ChargePointStatus` names, plus `Unknown` (no report
/// yet, or a stored status this server does not know; see
/// [`chargekit_model::ConnectorStatus::name`]).
fn status_labels() -> impl Iterator<Item = &'static str> {
    ChargePointStatus::ALL.into_iter().map(ChargePointStatus::as_str).chain([UNKNOWN_STATUS])
}

/// Upper bounds (seconds) of the time-to-start histogram; the daily sums keep these buckets.
const START_BUCKETS: [&str; 5] = ["5", "10", "30", "60", "120"];

/// Who may scrape: an operator, or whoever holds the configured metrics token.
pub struct MetricsAccess;

impl FromRequestParts<Arc<AppState>> for MetricsAccess {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        if let Some(expected) = &state.config.metrics_token {
            let given = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
            // Compared as digests, so the comparison's time says nothing about the token.
            if given.is_some_and(|g| token_hash(g.trim()) == token_hash(expected)) {
                return Ok(Self);
            }
        }
        AuthedOperator::from_request_parts(parts, state).await.map(|_| Self)
    }
}

/// The failure reasons of `sessions.rs`, as a fixed label set.
fn reason_label(reason: &str) -> &'static str {
    if reason.contains("refused to start") {
        "charger_refused"
    } else if reason.contains("did not answer") {
        "charger_no_answer"
    } else if reason.contains("did not start") {
        "start_timeout"
    } else if reason.starts_with("Cancelled") {
        "cancelled"
    } else {
        "other"
    }
}

fn error_code_label(code: &str) -> &str {
    if ERROR_CODES.contains(&code) { code } else { "OtherError" }
}

/// Adds to a running total, saturating: no figure the database holds may fail a scrape.
fn add(total: &mut i64, n: i64) {
    *total = total.saturating_add(n);
}

/// A label value, escaped as the text format requires.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Writes one metric family: HELP, TYPE, then its samples in order.
struct Family<'a> {
    out: &'a mut String,
}

impl<'a> Family<'a> {
    fn new(out: &'a mut String, name: &str, kind: &str, help: &str) -> Self {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        Self { out }
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

pub async fn metrics(_: MetricsAccess, State(state): State<Arc<AppState>>) -> Result<Response, AppError> {
    let body = render(&state).await?;
    Ok(([(CONTENT_TYPE, CONTENT_TYPE_V004)], body).into_response())
}

async fn render(state: &AppState) -> Result<String, AppError> {
    let store = &state.store;
    let chargers = store.chargers_for_reports().await?;
    let known: HashSet<&str> = chargers.iter().map(|c| c.id.as_str()).collect();
    let mut out = String::with_capacity(16 * 1024);
    let sessions: Vec<_> = store.session_totals().await?.into_iter().filter(|s| known.contains(s.charger_id.as_str())).collect();
    write_sessions_by_outcome(&mut out, &sessions);
    write_revenue(&mut out, &sessions);
    write_delivery(&mut out, &sessions);
    write_session_failures(&mut out, store.session_failures("", "~").await?, &known);
    write_active_sessions(&mut out, &store.active_sessions().await?, &chargers);
    write_connections(&mut out, state, &chargers);
    write_connector_statuses(&mut out, &store.connector_statuses().await?, &known);
    write_faults(&mut out, store.fault_totals().await?, &known);
    write_heartbeat_gaps(&mut out, &store.heartbeat_gap_totals().await?, &known);
    write_authentication(&mut out, store.auth_totals().await?, store.token_overlap_total().await?);
    write_attention(&mut out, &store.attention_counts().await?);
    write_store_writes(&mut out, store.write_stats());
    Ok(out)
}

/// Finished sessions by charger, method and outcome.
fn write_sessions_by_outcome(out: &mut String, sessions: &[DailySessions]) {
    let mut f = Family::new(out, "chargekit_sessions_total", "counter", "Finished sessions, by charger, how they were authorized and outcome.");
    let mut by_outcome: BTreeMap<(&str, &str, &str), i64> = BTreeMap::new();
    for s in sessions {
        add(by_outcome.entry((&s.charger_id, &s.auth_method, "completed")).or_default(), s.completed);
        add(by_outcome.entry((&s.charger_id, &s.auth_method, "failed")).or_default(), s.failed);
    }
    for ((charger, method, outcome), n) in &by_outcome {
        f.sample("chargekit_sessions_total", &[("charger", charger), ("method", method), ("outcome", outcome)], n);
    }
}

/// Revenue per charger and currency, summed over methods.
fn write_revenue(out: &mut String, sessions: &[DailySessions]) {
    let mut money: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
    for s in sessions {
        let m = money.entry((&s.charger_id, &s.currency)).or_default();
        add(&mut m.0, s.excl_vat_minor);
        add(&mut m.1, s.vat_minor);
    }
    let mut f = Family::new(out, "chargekit_revenue_excl_vat_minor_units_total", "counter", "Billed by completed sessions excluding VAT, in minor units of the currency.");
    for ((charger, currency), (excl, _)) in &money {
        f.sample("chargekit_revenue_excl_vat_minor_units_total", &[("charger", charger), ("currency", currency)], excl);
    }
    let mut f = Family::new(out, "chargekit_revenue_vat_minor_units_total", "counter", "VAT billed by completed sessions, in minor units of the currency.");
    for ((charger, currency), (_, vat)) in &money {
        f.sample("chargekit_revenue_vat_minor_units_total", &[("charger", charger), ("currency", currency)], vat);
    }
}

/// Energy, charging time and time to start per charger, summed over currencies and methods.
fn write_delivery(out: &mut String, sessions: &[DailySessions]) {
    let mut per_charger: BTreeMap<&str, DailySessions> = BTreeMap::new();
    for s in sessions {
        let c = per_charger.entry(&s.charger_id).or_default();
        add(&mut c.energy_wh, s.energy_wh);
        add(&mut c.charging_seconds, s.charging_seconds);
        add(&mut c.start_count, s.start_count);
        add(&mut c.start_ms_sum, s.start_ms_sum);
        add(&mut c.start_le_5s, s.start_le_5s);
        add(&mut c.start_le_10s, s.start_le_10s);
        add(&mut c.start_le_30s, s.start_le_30s);
        add(&mut c.start_le_60s, s.start_le_60s);
        add(&mut c.start_le_120s, s.start_le_120s);
    }
    // In joules, Prometheus's base unit (1 Wh = 3600 J): `promtool check metrics` refuses hours.
    let mut f = Family::new(out, "chargekit_energy_delivered_joules_total", "counter", "Energy delivered by completed sessions (meter stop - meter start), in joules (Wh x 3600).");
    for (charger, c) in &per_charger {
        f.sample("chargekit_energy_delivered_joules_total", &[("charger", charger)], c.energy_wh.saturating_mul(3600));
    }
    let mut f = Family::new(out, "chargekit_charging_seconds_total", "counter", "Time from start to stop of completed sessions, on the chargers' clocks.");
    for (charger, c) in &per_charger {
        f.sample("chargekit_charging_seconds_total", &[("charger", charger)], c.charging_seconds);
    }
    let name = "chargekit_session_start_duration_seconds";
    let mut f = Family::new(out, name, "histogram", "From a start asked for in the app to the charger's StartTransaction, completed sessions.");
    for (charger, c) in &per_charger {
        let buckets = [c.start_le_5s, c.start_le_10s, c.start_le_30s, c.start_le_60s, c.start_le_120s];
        for (le, n) in START_BUCKETS.iter().zip(buckets) {
            f.sample(&format!("{name}_bucket"), &[("charger", charger), ("le", le)], n);
        }
        f.sample(&format!("{name}_bucket"), &[("charger", charger), ("le", "+Inf")], c.start_count);
        f.sample(&format!("{name}_sum"), &[("charger", charger)], c.start_ms_sum as f64 / 1000.0);
        f.sample(&format!("{name}_count"), &[("charger", charger)], c.start_count);
    }
}

/// Sessions that never started, by charger and reason label.
fn write_session_failures(out: &mut String, rows: Vec<(String, String, i64)>, known: &HashSet<&str>) {
    let mut failures: BTreeMap<(String, &str), i64> = BTreeMap::new();
    for (charger, reason, n) in rows {
        if known.contains(charger.as_str()) {
            add(failures.entry((charger, reason_label(&reason))).or_default(), n);
        }
    }
    let mut f = Family::new(out, "chargekit_session_failures_total", "counter", "Sessions that never started, by charger and reason.");
    for ((charger, reason), n) in &failures {
        f.sample("chargekit_session_failures_total", &[("charger", charger), ("reason", reason)], n);
    }
}

/// Sessions running now and their power, for every configured charger (0 when idle).
fn write_active_sessions(out: &mut String, active: &[(String, i64, i64)], chargers: &[ChargerInfo]) {
    let mut f = Family::new(out, "chargekit_sessions_active", "gauge", "Sessions charging or stopping now.");
    for c in chargers {
        let (n, _) = active.iter().find(|(id, ..)| *id == c.id).map_or((0, 0), |(_, n, w)| (*n, *w));
        f.sample("chargekit_sessions_active", &[("charger", &c.id)], n);
    }
    let mut f = Family::new(out, "chargekit_charging_power_watts", "gauge", "Power the charger's running sessions last reported.");
    for c in chargers {
        let w = active.iter().find(|(id, ..)| *id == c.id).map_or(0, |(_, _, w)| *w);
        f.sample("chargekit_charging_power_watts", &[("charger", &c.id)], w);
    }
}

/// Whether each charger is connected, and when it last spoke (from memory, and the beats not
/// written yet beside those stored).
fn write_connections(out: &mut String, state: &AppState, chargers: &[ChargerInfo]) {
    let mut f = Family::new(out, "chargekit_charger_connected", "gauge", "1 while the charger holds an OCPP connection.");
    for c in chargers {
        f.sample("chargekit_charger_connected", &[("charger", &c.id)], u8::from(state.chargers.registry.is_online(&c.id)));
    }
    let last = state.chargers.heartbeats.last_messages();
    let mut f = Family::new(out, "chargekit_charger_last_message_timestamp_seconds", "gauge", "When the charger last sent a message (since this server started).");
    for c in chargers {
        if let Some(at) = last.get(&c.id) {
            f.sample("chargekit_charger_last_message_timestamp_seconds", &[("charger", &c.id)], at.unix_timestamp());
        }
    }
    let mut f = Family::new(out, "chargekit_charger_last_heartbeat_timestamp_seconds", "gauge", "When the charger last sent a Heartbeat (kept across restarts).");
    let unwritten = state.chargers.heartbeats.unwritten();
    for c in chargers {
        if let Some(at) = unwritten.get(&c.id).copied().max(c.last_seen_at) {
            f.sample("chargekit_charger_last_heartbeat_timestamp_seconds", &[("charger", &c.id)], at.unix_timestamp());
        }
    }
}

/// Each connector's last status, one sample per possible status (1 for the current one).
fn write_connector_statuses(out: &mut String, statuses: &[(String, i64, chargekit_model::ConnectorStatus)], known: &HashSet<&str>) {
    let mut f = Family::new(out, "chargekit_connector_status", "gauge", "1 for the connector's last reported OCPP status, 0 for the others.");
    for (charger, connector, status) in statuses.iter().filter(|(c, ..)| known.contains(c.as_str())) {
        let connector = connector.to_string();
        let current = status.name();
        for s in status_labels() {
            f.sample("chargekit_connector_status", &[("charger", charger), ("connector", &connector), ("status", s)], u8::from(s == current));
        }
    }
}

/// Faults by charger and OCPP error code.
fn write_faults(out: &mut String, rows: Vec<(String, String, i64)>, known: &HashSet<&str>) {
    let mut faults: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (charger, code, n) in rows {
        if known.contains(charger.as_str()) {
            add(faults.entry((charger, error_code_label(&code).to_owned())).or_default(), n);
        }
    }
    let mut f = Family::new(out, "chargekit_charger_faults_total", "counter", "Status reports with an OCPP error code other than NoError.");
    for ((charger, code), n) in &faults {
        f.sample("chargekit_charger_faults_total", &[("charger", charger), ("error_code", code)], n);
    }
}

/// Heartbeat gaps: how many, and how long in all.
fn write_heartbeat_gaps(out: &mut String, gaps: &[(String, i64, i64, i64)], known: &HashSet<&str>) {
    let gaps: Vec<_> = gaps.iter().filter(|(c, ..)| known.contains(c.as_str())).collect();
    let mut f = Family::new(out, "chargekit_heartbeat_gaps_total", "counter", "Silences longer than twice the heartbeat interval while connected.");
    for (charger, n, _, _) in &gaps {
        f.sample("chargekit_heartbeat_gaps_total", &[("charger", charger)], n);
    }
    let mut f = Family::new(out, "chargekit_heartbeat_gap_seconds_total", "counter", "Total length of those silences.");
    for (charger, _, seconds, _) in &gaps {
        f.sample("chargekit_heartbeat_gap_seconds_total", &[("charger", charger)], seconds);
    }
}

/// Authorization decisions by method and result, and tokens used at two chargers at once.
fn write_authentication(out: &mut String, attempts: Vec<(String, String, i64)>, concurrent_uses: i64) {
    let mut f = Family::new(out, "chargekit_auth_attempts_total", "counter", "Authorization decisions, by method and result: tokens shown at chargers (Authorize, charger-started transactions, Plug & Charge) with their OCPP status, and starts asked for in the app (Accepted when the charger started it, else Failed).");
    for (method, result, n) in attempts {
        f.sample("chargekit_auth_attempts_total", &[("method", &method), ("result", &result)], n);
    }
    let mut f = Family::new(out, "chargekit_token_concurrent_uses_total", "counter", "Pairs of sessions where one token charged at two chargers at once.");
    f.sample("chargekit_token_concurrent_uses_total", &[], concurrent_uses);
}

/// What waits for an operator: sessions held for review, captures retrying, failed payments.
fn write_attention(out: &mut String, attention: &AttentionCounts) {
    let mut f = Family::new(out, "chargekit_sessions_held_for_review", "gauge", "Sessions held for review (implausible readings), waiting for an operator.");
    f.sample("chargekit_sessions_held_for_review", &[], attention.held_for_review);
    let mut f = Family::new(out, "chargekit_payment_captures_retrying", "gauge", "Payments of finished sessions whose capture failed and is being retried.");
    f.sample("chargekit_payment_captures_retrying", &[], attention.captures_retrying);
    let mut f = Family::new(out, "chargekit_payments_failed", "gauge", "Payments given up as failed (the capture could not be done).");
    f.sample("chargekit_payments_failed", &[], attention.payments_failed);
}

/// What the database writes cost: commits so far, writes waiting for the lock.
fn write_store_writes(out: &mut String, writes: &WriteStats) {
    let mut f = Family::new(out, "chargekit_store_commits_total", "counter", "Database transactions committed (each one disk sync) since the server started.");
    f.sample("chargekit_store_commits_total", &[], writes.commits());
    let mut f = Family::new(out, "chargekit_store_writes_queued", "gauge", "Writes waiting for their transaction to begin (for the database's write lock).");
    f.sample("chargekit_store_writes_queued", &[], writes.queued());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bounded() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(error_code_label("GroundFailure"), "GroundFailure");
        assert_eq!(error_code_label("VendorSpecific42"), "OtherError");
        assert_eq!(reason_label("The charger refused to start."), "charger_refused");
        assert_eq!(reason_label("The charger did not answer the start request."), "charger_no_answer");
        assert_eq!(reason_label("The charger did not start charging. Check that the cable is plugged in and try again."), "start_timeout");
        assert_eq!(reason_label("Cancelled before charging started."), "cancelled");
        assert_eq!(reason_label("anything else a driver typed"), "other");
    }
}
