//! What the operator has to decide: sessions held for review (readings that cannot be right)
//! and orphan transactions (stops no session could be billed for).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chargekit_model::Session;
use chargekit_model::api::ApiError;
use chargekit_model::SessionStatus;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::AuthedOperator;
use crate::error::AppError;
use crate::sessions::view;
use crate::store::OrphanRow;

/// Most orphans listed at once.
const ORPHANS_LISTED: u32 = 500;

/// A session held for review, with who and where.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HeldSession {
    pub charger_id: String,
    pub driver_id: String,
    /// The session as the driver sees it: `review_reason` says why it is held, `cost` is what
    /// billing it would charge (the plausible readings only).
    pub session: Session,
}

/// The operator's decision on a session held for review.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Charge what was priced (at most the hold) and issue the receipt.
    Bill,
    /// Charge nothing; the hold goes back.
    Void,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
}

/// A stop no session could be billed for, as the charger reported it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Orphan {
    pub id: i64,
    pub charger_id: String,
    pub transaction_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag: Option<String>,
    /// Why it was not billed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The StopTransaction as the charger sent it.
    #[schema(value_type = Object)]
    pub report: Value,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub received_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrphanResolution {
    /// What the operator did about it (billed by hand, written off, a charger fixed…).
    pub resolution: String,
}

/// Sessions held for review, newest first.
#[utoipa::path(get, path = "/v1/operator/sessions/held", operation_id = "held_sessions", tag = "operator",
    responses((status = 200, body = [HeldSession], description = "The held sessions"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)")))]
pub async fn held(AuthedOperator(_): AuthedOperator, State(state): State<Arc<AppState>>) -> Result<Json<Vec<HeldSession>>, AppError> {
    let mut rows = state.store.sessions_in_status(SessionStatus::UnderReview).await?;
    rows.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let held = rows
        .iter()
        .map(|row| HeldSession { charger_id: row.charger_id.clone(), driver_id: row.driver_id.clone(), session: view(row) })
        .collect();
    Ok(Json(held))
}

/// Bills or voids a session held for review.
#[utoipa::path(post, path = "/v1/operator/sessions/{session_id}/review", operation_id = "review_session", request_body = ReviewRequest, tag = "operator",
    params(("session_id" = String, Path, description = "The session")),
    responses((status = 200, body = Session, description = "The session, billed or voided"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 404, body = ApiError, description = "No such session"),
        (status = 409, body = ApiError, description = "The session is not held for review")))]
pub async fn review(
    AuthedOperator(operator): AuthedOperator,
    State(state): State<Arc<AppState>>,
    Path(session_id): Path<String>,
    Json(request): Json<ReviewRequest>,
) -> Result<Json<Session>, AppError> {
    let bill = matches!(request.decision, ReviewDecision::Bill);
    Ok(Json(state.sessions().resolve_review(&session_id, bill, &operator).await?))
}

/// Orphan transactions, newest first (open ones only with `?open=true`).
#[utoipa::path(get, path = "/v1/operator/orphans", operation_id = "list_orphans", tag = "operator",
    params(("open" = Option<bool>, Query, description = "Only those not resolved yet")),
    responses((status = 200, body = [Orphan], description = "The orphan transactions"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)")))]
pub async fn orphans(
    AuthedOperator(_): AuthedOperator,
    State(state): State<Arc<AppState>>,
    axum::extract::Query(query): axum::extract::Query<OrphanQuery>,
) -> Result<Json<Vec<Orphan>>, AppError> {
    let rows = state.store.orphans(query.open.unwrap_or(false), ORPHANS_LISTED).await?;
    Ok(Json(rows.into_iter().map(orphan).collect()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrphanQuery {
    open: Option<bool>,
}

/// Marks an orphan transaction resolved, with what was done.
#[utoipa::path(post, path = "/v1/operator/orphans/{orphan_id}/resolve", operation_id = "resolve_orphan", request_body = OrphanResolution, tag = "operator",
    params(("orphan_id" = i64, Path, description = "The orphan's id")),
    responses((status = 200, body = Orphan, description = "The orphan, resolved"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 404, body = ApiError, description = "No such orphan transaction"),
        (status = 409, body = ApiError, description = "Already resolved")))]
pub async fn resolve_orphan(
    AuthedOperator(operator): AuthedOperator,
    State(state): State<Arc<AppState>>,
    Path(orphan_id): Path<i64>,
    Json(request): Json<OrphanResolution>,
) -> Result<Json<Orphan>, AppError> {
    let resolution = request.resolution.trim();
    if resolution.is_empty() || resolution.chars().count() > 500 {
        return Err(AppError::invalid("Say in 1 to 500 characters what was done about this transaction (resolution)."));
    }
    let existing = state.store.orphan(orphan_id).await?.ok_or_else(|| AppError::not_found("No such orphan transaction."))?;
    if existing.resolved_at.is_some() || !state.store.resolve_orphan(orphan_id, &operator, resolution).await? {
        return Err(AppError::conflict("This orphan transaction is resolved already."));
    }
    let resolved = state.store.orphan(orphan_id).await?.ok_or_else(|| AppError::not_found("No such orphan transaction."))?;
    tracing::info!(%operator, orphan_id, "orphan transaction resolved");
    Ok(Json(orphan(resolved)))
}

fn orphan(row: OrphanRow) -> Orphan {
    Orphan {
        id: row.id,
        charger_id: row.charger_id,
        transaction_id: row.transaction_id,
        id_tag: row.id_tag,
        reason: row.reason,
        report: row.report.0,
        received_at: row.received_at,
        resolved_at: row.resolved_at,
        resolved_by: row.resolved_by,
        resolution: row.resolution,
    }
}
