//! The operator's reports as JSON and CSV: revenue, charger performance, authentication and the
//! authorization log. Every endpoint needs an operator token; a driver's token is refused.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chargekit_model::api::ApiError;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::AuthedOperator;
use crate::error::AppError;
use crate::reports::{
    AuthenticationReport, AuthorizationLog, GroupBy, PerformanceReport, Period, Reports, RevenueReport, Window, csv,
};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included, `YYYY-MM-DD` (UTC); default: today.
    pub to: Option<String>,
    /// `day` (default), `week` (ISO, from Monday) or `month`; revenue only.
    pub period: Option<String>,
    /// `charger` (default), `site` or `total`.
    pub group_by: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// First day, `YYYY-MM-DD` (UTC); default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, included; default: today.
    pub to: Option<String>,
    /// Entries older than this id (the `next_before` of the previous page).
    pub before: Option<i64>,
    /// Entries per page, 1 to 1,000; default 100.
    pub limit: Option<u32>,
}

fn window(from: &Option<String>, to: &Option<String>) -> Result<Window, AppError> {
    Window::parse(from.as_deref(), to.as_deref(), OffsetDateTime::now_utc().date()).map_err(AppError::invalid)
}

fn period(p: &ReportParams) -> Result<Period, AppError> {
    match p.period.as_deref() {
        None | Some("day") => Ok(Period::Day),
        Some("week") => Ok(Period::Week),
        Some("month") => Ok(Period::Month),
        Some(other) => Err(AppError::invalid(format!("period must be day, week or month, not \"{other}\""))),
    }
}

fn group_by(p: &ReportParams) -> Result<GroupBy, AppError> {
    match p.group_by.as_deref() {
        None | Some("charger") => Ok(GroupBy::Charger),
        Some("site") => Ok(GroupBy::Site),
        Some("total") => Ok(GroupBy::Total),
        Some(other) => Err(AppError::invalid(format!("group_by must be charger, site or total, not \"{other}\""))),
    }
}

fn reports(state: &AppState) -> Reports {
    Reports::new(state.store.clone())
}

fn csv_file(name: &str, window: &Window, body: String) -> Response {
    let disposition = format!("attachment; filename=\"chargekit-{name}-{}-{}.csv\"", window.from_key(), window.to_key());
    ([(CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (CONTENT_DISPOSITION, disposition)], body).into_response()
}

async fn revenue_of(state: &AppState, p: &ReportParams) -> Result<(Window, RevenueReport), AppError> {
    let w = window(&p.from, &p.to)?;
    Ok((w, reports(state).revenue(w, period(p)?, group_by(p)?).await?))
}

/// Revenue of completed sessions per period, charger or site, and currency, with the payment
/// state. Totals equal the sum of the receipts.
#[utoipa::path(get, path = "/v1/operator/reports/revenue", operation_id = "revenue_report", tag = "operator", params(ReportParams),
    responses((status = 200, body = RevenueReport, description = "The report"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn revenue(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<ReportParams>) -> Result<Json<RevenueReport>, AppError> {
    Ok(Json(revenue_of(&state, &p).await?.1))
}

/// The revenue rows as CSV.
#[utoipa::path(get, path = "/v1/operator/reports/revenue.csv", operation_id = "revenue_report_csv", tag = "operator", params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String, description = "The report as CSV"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn revenue_csv(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<ReportParams>) -> Result<Response, AppError> {
    let (w, report) = revenue_of(&state, &p).await?;
    Ok(csv_file("revenue", &w, csv::revenue(&report)))
}

async fn performance_of(state: &AppState, p: &ReportParams) -> Result<(Window, PerformanceReport), AppError> {
    let w = window(&p.from, &p.to)?;
    Ok((w, reports(state).performance(w, group_by(p)?).await?))
}

/// Charger performance per charger or site: energy, power, time to start, success rate and
/// failure reasons, availability, faults, heartbeat gaps.
#[utoipa::path(get, path = "/v1/operator/reports/performance", operation_id = "performance_report", tag = "operator", params(ReportParams),
    responses((status = 200, body = PerformanceReport, description = "The report"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn performance(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<ReportParams>) -> Result<Json<PerformanceReport>, AppError> {
    Ok(Json(performance_of(&state, &p).await?.1))
}

/// The performance rows as CSV.
#[utoipa::path(get, path = "/v1/operator/reports/performance.csv", operation_id = "performance_report_csv", tag = "operator", params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String, description = "The report as CSV"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn performance_csv(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<ReportParams>) -> Result<Response, AppError> {
    let (w, report) = performance_of(&state, &p).await?;
    Ok(csv_file("performance", &w, csv::performance(&report)))
}

/// Authentication: attempts by method, results and reasons, unknown tokens, tokens used at two
/// chargers at once.
#[utoipa::path(get, path = "/v1/operator/reports/authentication", operation_id = "authentication_report", tag = "operator", params(ReportParams),
    responses((status = 200, body = AuthenticationReport, description = "The report"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn authentication(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<ReportParams>) -> Result<Json<AuthenticationReport>, AppError> {
    let w = window(&p.from, &p.to)?;
    Ok(Json(reports(&state).authentication(w).await?))
}

/// Attempts by method, result and reason as CSV.
#[utoipa::path(get, path = "/v1/operator/reports/authentication.csv", operation_id = "authentication_report_csv", tag = "operator", params(ReportParams),
    responses((status = 200, content_type = "text/csv", body = String, description = "The report as CSV"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn authentication_csv(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<ReportParams>) -> Result<Response, AppError> {
    let w = window(&p.from, &p.to)?;
    let report = reports(&state).authentication(w).await?;
    Ok(csv_file("authentication", &w, csv::authentication(&report)))
}

async fn log_of(state: &AppState, p: &LogParams) -> Result<(Window, AuthorizationLog), AppError> {
    let w = window(&p.from, &p.to)?;
    Ok((w, reports(state).authorization_log(w, p.before, p.limit.unwrap_or(100)).await?))
}

/// Every authorization decision, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/operator/reports/authorization-log", operation_id = "authorization_log", tag = "operator", params(LogParams),
    responses((status = 200, body = AuthorizationLog, description = "The report"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn authorization_log(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<LogParams>) -> Result<Json<AuthorizationLog>, AppError> {
    Ok(Json(log_of(&state, &p).await?.1))
}

/// A page of the authorization log as CSV.
#[utoipa::path(get, path = "/v1/operator/reports/authorization-log.csv", operation_id = "authorization_log_csv", tag = "operator", params(LogParams),
    responses((status = 200, content_type = "text/csv", body = String, description = "The report as CSV"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 422, body = ApiError, description = "The request is invalid; the message names the field")))]
pub async fn authorization_log_csv(_: AuthedOperator, State(state): State<Arc<AppState>>, Query(p): Query<LogParams>) -> Result<Response, AppError> {
    let (w, log) = log_of(&state, &p).await?;
    Ok(csv_file("authorization-log", &w, csv::authorization_log(&log)))
}

/// Prometheus metrics (text format 0.0.4) for an operator or the configured metrics token.
#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operator",
    responses((status = 200, content_type = "text/plain", body = String, description = "The metrics in Prometheus text format"), (status = 401, body = ApiError, description = "No operator token or metrics token")))]
#[allow(dead_code)] // documents the route; the handler is crate::metrics::metrics
pub async fn metrics_doc() {}
