//! The operator's charger page: what the charger booted as, whether it is connected, each
//! connector's status now, its status and connection history over a window, its figures
//! (availability, sessions, faults, heartbeat gaps), and the commands operators sent it — the
//! audit log, also for all chargers at once.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use chargekit_model::api::ApiError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::AuthedOperator;
use crate::error::AppError;
use crate::reports::{GroupBy, PerformanceRow, Reports, Window};
use crate::store::OperatorCommandRow;

/// Status and connection events on one page at most; the newest are kept.
const MAX_EVENTS: u32 = 1_000;
const DEFAULT_AUDIT: u32 = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChargerParams {
    /// First day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Entries, newest first: 1 to 1,000; default 100.
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectorNow {
    pub connector_id: i64,
    pub evse_id: String,
    /// The last OCPP status the charger reported.
    pub status: String,
    pub error_code: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StatusEvent {
    pub connector_id: i64,
    pub status: String,
    pub error_code: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionEvent {
    /// `connected` or `disconnected`.
    pub event: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A command an operator sent a charger: who, what (secrets redacted), and what came back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub operator: String,
    pub charger_id: String,
    pub action: String,
    pub payload: serde_json::Value,
    /// `answered`, `offline`, `timeout`, `call_error` or `bad_response`.
    pub outcome: String,
    /// The charger's answer when it answered (JSON), else what went wrong.
    pub answer: Option<serde_json::Value>,
}

impl From<OperatorCommandRow> for AuditEntry {
    fn from(r: OperatorCommandRow) -> Self {
        let json = |text: &str| serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_owned()));
        Self {
            id: r.id,
            at: r.at,
            operator: r.operator,
            charger_id: r.charger_id,
            action: r.action,
            payload: json(&r.payload),
            outcome: r.outcome,
            answer: r.answer.as_deref().map(json),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChargerDetail {
    pub charger_id: String,
    pub site: Option<String>,
    /// From its last BootNotification.
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_boot_at: Option<OffsetDateTime>,
    pub security_profile: i64,
    /// Holds an OCPP connection to this server now.
    pub connected: bool,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_heartbeat_at: Option<OffsetDateTime>,
    pub connectors: Vec<ConnectorNow>,
    pub from: String,
    pub to: String,
    /// The charger's row of the performance report over the window.
    pub performance: Option<PerformanceRow>,
    /// Oldest first; at most the newest 1,000 of the window.
    pub status_events: Vec<StatusEvent>,
    pub connection_events: Vec<ConnectionEvent>,
    /// The newest commands sent to it, newest first.
    pub commands: Vec<AuditEntry>,
}

/// One charger's page.
#[utoipa::path(get, path = "/v1/operator/chargers/{charger_id}", operation_id = "operator_charger", tag = "operator",
    params(("charger_id" = String, Path, description = "The charge point id"), ChargerParams),
    responses((status = 200, body = ChargerDetail, description = "The charger"), (status = 401, body = ApiError, description = "No operator token"),
        (status = 404, body = ApiError, description = "No such charger is configured"), (status = 422, body = ApiError, description = "An invalid window")))]
pub async fn detail(
    _: AuthedOperator,
    State(state): State<Arc<AppState>>,
    Path(charger_id): Path<String>,
    Query(p): Query<ChargerParams>,
) -> Result<Json<ChargerDetail>, AppError> {
    let window = Window::parse(p.from.as_deref(), p.to.as_deref(), OffsetDateTime::now_utc().date()).map_err(AppError::invalid)?;
    let store = &state.store;
    let charger = store.charger_overview(&charger_id).await?.ok_or_else(|| AppError::not_found(format!("No charger {charger_id} is configured.")))?;
    let (from, end) = (window.from_key(), window.end_key());
    let connectors = store
        .connectors_now(&charger_id)
        .await?
        .into_iter()
        .map(|c| ConnectorNow { connector_id: c.connector_id, evse_id: c.evse_id, status: c.status, error_code: c.error_code, since: c.since })
        .collect();
    let status_events = store
        .status_events(&charger_id, &from, &end, MAX_EVENTS)
        .await?
        .into_iter()
        .map(|e| StatusEvent { connector_id: e.connector_id, status: e.status, error_code: e.error_code, at: e.at })
        .collect();
    let connection_events =
        store.connection_events(&charger_id, &from, &end, MAX_EVENTS).await?.into_iter().map(|e| ConnectionEvent { event: e.event, at: e.at }).collect();
    let performance = Reports::new(store.clone())
        .performance(window, GroupBy::Charger)
        .await?
        .rows
        .into_iter()
        .find(|r| r.charger_id.as_deref() == Some(charger_id.as_str()));
    // A beat not written to the database yet is the newest.
    let last_heartbeat_at = state.chargers.heartbeats.unwritten().get(&charger_id).copied().or(charger.last_seen_at);
    let commands = store.operator_commands(Some(&charger_id), DEFAULT_AUDIT).await?.into_iter().map(AuditEntry::from).collect();
    Ok(Json(ChargerDetail {
        connected: state.chargers.registry.is_online(&charger_id),
        charger_id: charger.id,
        site: charger.site,
        vendor: charger.vendor,
        model: charger.model,
        firmware_version: charger.firmware_version,
        last_boot_at: charger.last_boot_at,
        security_profile: charger.security_profile,
        last_heartbeat_at,
        connectors,
        from,
        to: window.to_key(),
        performance,
        status_events,
        connection_events,
        commands,
    }))
}

/// The audit log: every command operators sent, newest first.
#[utoipa::path(get, path = "/v1/operator/audit", operation_id = "operator_audit", tag = "operator", params(AuditParams),
    responses((status = 200, body = Vec<AuditEntry>, description = "Commands, newest first"), (status = 401, body = ApiError, description = "No operator token")))]
pub async fn audit(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<AuditParams>) -> Result<Json<Vec<AuditEntry>>, AppError> {
    let limit = p.limit.unwrap_or(DEFAULT_AUDIT).clamp(1, 1_000);
    Ok(Json(state.store.operator_commands(None, limit).await?.into_iter().map(AuditEntry::from).collect()))
}
