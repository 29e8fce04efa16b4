//! The OCPP message log for operators: a charger's frames (paged, newest first) and the frames
//! of one session's transaction. Payloads are as stored: secrets redacted.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use chargekit_model::api::ApiError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::AuthedOperator;
use crate::error::AppError;
use crate::store::MessageRow;
use chargekit_model::AuthMethod;

const DEFAULT_PAGE: u32 = 100;
const MAX_PAGE: u32 = 500;
/// A transaction's frames listed at most (a week of MeterValues every 10 s is 60,000: the start
/// and the newest are what an operator reads; the charger's log pages through the rest).
const MAX_TRANSACTION_FRAMES: u32 = 2_000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessageParams {
    /// The `next_before` of the previous page.
    pub before: Option<i64>,
    /// Frames per page, 1 to 500; default 100.
    pub limit: Option<u32>,
}

/// One OCPP frame.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OcppMessage {
    pub id: i64,
    pub charger_id: String,
    /// `in` (from the charger) or `out` (to it).
    pub direction: String,
    /// `call`, `result` or `error`.
    pub kind: String,
    pub message_id: String,
    /// The CALL's action; for an answer, the action it answers when known.
    pub action: Option<String>,
    pub transaction_id: Option<i64>,
    /// The payload (secrets redacted); for an error, `{errorCode, errorDescription, errorDetails}`.
    pub payload: serde_json::Value,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl From<MessageRow> for OcppMessage {
    fn from(r: MessageRow) -> Self {
        let kind = match r.message_type {
            2 => "call",
            3 => "result",
            _ => "error",
        };
        Self {
            id: r.id,
            charger_id: r.charger_id,
            direction: r.direction,
            kind: kind.to_owned(),
            message_id: r.message_id,
            action: r.action,
            transaction_id: r.transaction_id,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::String(r.payload)),
            at: OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.at_ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OcppMessagePage {
    pub messages: Vec<OcppMessage>,
    /// Pass as `before` for older frames; absent on the last page.
    pub next_before: Option<i64>,
}

/// A charger's OCPP messages, newest first.
#[utoipa::path(get, path = "/v1/operator/chargers/{charger_id}/messages", operation_id = "operator_charger_messages", tag = "operator",
    params(("charger_id" = String, Path, description = "The charge point id"), MessageParams),
    responses((status = 200, body = OcppMessagePage, description = "Frames, newest first"), (status = 401, body = ApiError, description = "No operator token"),
        (status = 404, body = ApiError, description = "No such charger is configured")))]
pub async fn charger(
    _: AuthedOperator,
    State(state): State<Arc<AppState>>,
    Path(charger_id): Path<String>,
    Query(p): Query<MessageParams>,
) -> Result<Json<OcppMessagePage>, AppError> {
    if state.store.charger_overview(&charger_id).await?.is_none() {
        return Err(AppError::not_found(format!("No charger {charger_id} is configured.")));
    }
    let limit = p.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let rows = state.store.charger_messages(&charger_id, p.before, limit).await?;
    let next_before = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.id)).flatten();
    Ok(Json(OcppMessagePage { messages: rows.into_iter().map(OcppMessage::from).collect(), next_before }))
}

/// The OCPP messages of a session, oldest first: the remote start of a session started from the
/// app, then its transaction's.
#[utoipa::path(get, path = "/v1/operator/sessions/{session_id}/messages", operation_id = "operator_session_messages", tag = "operator",
    params(("session_id" = String, Path, description = "The session")),
    responses((status = 200, body = OcppMessagePage, description = "The transaction's frames, oldest first"), (status = 401, body = ApiError, description = "No operator token"),
        (status = 404, body = ApiError, description = "No such session")))]
pub async fn session(_: AuthedOperator, State(state): State<Arc<AppState>>, Path(session_id): Path<String>) -> Result<Json<OcppMessagePage>, AppError> {
    let row = state.store.session(&session_id).await?.ok_or_else(|| AppError::not_found("No such session."))?;
    let created_ms = (row.created_at.unix_timestamp_nanos() / 1_000_000) as i64;
    let timeout_ms = i64::try_from(state.config.start_timeout.as_millis()).unwrap_or(i64::MAX / 2);
    let mut messages = if row.auth_method == AuthMethod::App {
        state.store.remote_start_messages(&row.charger_id, row.connector_id, &row.id_tag, created_ms, created_ms.saturating_add(timeout_ms)).await?
    } else {
        Vec::new()
    };
    if let Some(transaction) = row.transaction_id {
        messages.extend(state.store.transaction_messages(&row.charger_id, transaction, MAX_TRANSACTION_FRAMES).await?);
    }
    messages.sort_by_key(|m| m.id);
    messages.dedup_by_key(|m| m.id);
    Ok(Json(OcppMessagePage { messages: messages.into_iter().map(OcppMessage::from).collect(), next_before: None }))
}
