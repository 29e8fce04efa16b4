//! The operator's sessions: a search (by charger, day, state, how it was authorized, driver
//! email or token) and one session in full — its power and energy curve from the meter
//! samples, the priced lines, the payment and its state, and the receipt.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use chargekit_model::api::ApiError;
use chargekit_model::ocpp::messages::{MEASURAND_ENERGY_IMPORT, MEASURAND_POWER_IMPORT, total_of};
use chargekit_model::{AuthMethod, Session, SessionStatus};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::credentials::stored_form;
use crate::AppState;
use crate::auth::AuthedOperator;
use crate::error::AppError;
use crate::reports::Window;
use crate::sessions::view;
use crate::store::{SessionRow, SessionSearch};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 200;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SessionQuery {
    /// First day the session was created, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// A charge point id.
    pub charger: Option<String>,
    /// `starting`, `charging`, `stopping`, `completed`, `failed` or `under_review`.
    pub status: Option<String>,
    /// `app`, `rfid` or `plug_and_charge`.
    pub method: Option<String>,
    /// The driver's email.
    pub driver: Option<String>,
    /// An id tag (the app's tag, a card's UID or a contract's EMAID), any case.
    pub token: Option<String>,
    /// The `next_after` of the previous page.
    pub after: Option<String>,
    /// Sessions per page, 1 to 200; default 50.
    pub limit: Option<u32>,
}

/// A session with where and who: the operator's view.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperatorSession {
    pub charger_id: String,
    pub connector_id: i64,
    pub id_tag: String,
    pub driver_email: Option<String>,
    pub session: Session,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperatorSessionPage {
    pub from: String,
    pub to: String,
    /// Newest first.
    pub sessions: Vec<OperatorSession>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_after: Option<String>,
}

/// One meter sample as the charger reported it: its energy register and power, phases summed and
/// units converted (`total_of`), each absent when the sample had none (billing carries the last
/// register forward and reads 0 W as parking: `model::meter::sample_of`).
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MeterPoint {
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The energy register, Wh (absent when the sample had none).
    pub energy_wh: Option<i64>,
    /// The power drawn, W (absent when the sample had none).
    pub power_w: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperatorPayment {
    /// `wallet` or `card`.
    pub method: String,
    /// `held`, `captured`, `released`, `voided` or `failed`.
    pub status: String,
    pub currency: String,
    pub held_minor: i64,
    pub captured_minor: i64,
    pub uncollected_minor: i64,
    /// Capture or void attempts so far.
    pub attempts: i64,
    pub failure_reason: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperatorSessionDetail {
    #[serde(flatten)]
    pub summary: OperatorSession,
    pub transaction_id: Option<i64>,
    pub stop_reason: Option<String>,
    /// The energy register at the start, Wh: a sample's energy less this is the energy so far.
    pub meter_start_wh: Option<i64>,
    /// Every meter sample, in the charger's time order.
    pub samples: Vec<MeterPoint>,
    pub payment: Option<OperatorPayment>,
    /// Whether the signed receipt was issued (the driver fetches it at `/v1/sessions/{id}/receipt`).
    pub receipt_issued: bool,
}

/// Finds sessions, newest first.
#[utoipa::path(get, path = "/v1/operator/sessions", operation_id = "search_sessions", tag = "operator", params(SessionQuery),
    responses((status = 200, body = OperatorSessionPage, description = "Sessions, newest first"), (status = 401, body = ApiError, description = "No operator token"),
        (status = 422, body = ApiError, description = "An unknown status or method, or an invalid window")))]
pub async fn search(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(q): Query<SessionQuery>) -> Result<Json<OperatorSessionPage>, AppError> {
    let window = Window::parse(q.from.as_deref(), q.to.as_deref(), OffsetDateTime::now_utc().date()).map_err(AppError::invalid)?;
    let status = q.status.as_deref().map(|s| SessionStatus::from_name(s).ok_or_else(|| one_of("status", s, SessionStatus::ALL.map(|s| s.as_str())))).transpose()?;
    let method = q.method.as_deref().map(|m| AuthMethod::from_name(m).ok_or_else(|| one_of("method", m, AuthMethod::ALL.map(|m| m.as_str())))).transpose()?;
    let email = q.driver.as_deref().map(|e| stored_form(e.trim()));
    let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let rows = state
        .store
        .search_sessions(&SessionSearch {
            from_key: window.from_key(),
            end_key: window.end_key(),
            charger_id: q.charger.as_deref(),
            status: status.map(SessionStatus::as_str),
            auth_method: method.map(AuthMethod::as_str),
            driver_email: email.as_deref(),
            id_tag: q.token.as_deref(),
            after_session: q.after.as_deref(),
            limit,
        })
        .await?;
    let next_after = (rows.len() == limit as usize).then(|| rows.last().map(|r| r.id.clone())).flatten();
    let sessions = with_emails(&state, &rows).await?;
    Ok(Json(OperatorSessionPage { from: window.from_key(), to: window.to_key(), sessions, next_after }))
}

/// One session in full.
#[utoipa::path(get, path = "/v1/operator/sessions/{session_id}", operation_id = "operator_session", tag = "operator",
    params(("session_id" = String, Path, description = "The session")),
    responses((status = 200, body = OperatorSessionDetail, description = "The session in full"), (status = 401, body = ApiError, description = "No operator token"),
        (status = 404, body = ApiError, description = "No such session")))]
pub async fn detail(_: AuthedOperator, State(state): State<Arc<AppState>>, Path(session_id): Path<String>) -> Result<Json<OperatorSessionDetail>, AppError> {
    let store = &state.store;
    let row = store.session(&session_id).await?.ok_or_else(|| AppError::not_found("No such session."))?;
    let mut samples: Vec<MeterPoint> = store
        .meter_values_after(&row.id, 0)
        .await?
        .into_iter()
        .map(|(_, at, values)| MeterPoint { at, energy_wh: total_of(&values, MEASURAND_ENERGY_IMPORT), power_w: total_of(&values, MEASURAND_POWER_IMPORT) })
        .collect();
    samples.sort_by_key(|p| p.at);
    let payment = store.payment(&row.id).await?.map(|p| OperatorPayment {
        method: p.method,
        status: p.status,
        currency: p.currency,
        held_minor: p.held_minor,
        captured_minor: p.captured_minor,
        uncollected_minor: p.uncollected_minor,
        attempts: p.attempts,
        failure_reason: p.failure_reason,
    });
    let receipt_issued = store.receipt(&row.id).await?.is_some();
    let summary = with_emails(&state, std::slice::from_ref(&row)).await?.pop().expect("one row in, one out");
    Ok(Json(OperatorSessionDetail { summary, transaction_id: row.transaction_id, stop_reason: row.stop_reason.clone(), meter_start_wh: row.meter_start_wh, samples, payment, receipt_issued }))
}

async fn with_emails(state: &AppState, rows: &[SessionRow]) -> Result<Vec<OperatorSession>, AppError> {
    let ids: Vec<&str> = rows.iter().map(|r| r.driver_id.as_str()).collect();
    let emails = state.store.driver_emails(&ids).await?;
    Ok(rows
        .iter()
        .map(|row| OperatorSession {
            charger_id: row.charger_id.clone(),
            connector_id: row.connector_id,
            id_tag: row.id_tag.clone(),
            driver_email: emails.get(&row.driver_id).cloned(),
            session: view(row),
        })
        .collect())
}

fn one_of<const N: usize>(name: &str, value: &str, allowed: [&str; N]) -> AppError {
    AppError::invalid(format!("{name} must be one of {}, not \"{value}\"", allowed.join(", ")))
}
