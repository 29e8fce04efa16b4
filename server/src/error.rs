//! The driver API's error responses: an HTTP status, a machine-readable code and a sentence
//! for the driver. Internal failures are logged here and never shown in detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chargekit_model::api::{ApiError, ApiErrorCode};

#[derive(Debug, Clone)]
pub struct AppError {
    pub status: StatusCode,
    pub code: ApiErrorCode,
    pub message: String,
    /// Seconds for a `Retry-After` header (rate limiting).
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(status: StatusCode, code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ApiErrorCode::Unauthorized, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ApiErrorCode::NotFound, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, ApiErrorCode::InvalidInput, message)
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ApiErrorCode::Conflict, message)
    }
    pub fn charger_offline(evse_id: &str) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ApiErrorCode::ChargerOffline,
            format!("The charger {evse_id} is offline right now. Try another charger or try again later."),
        )
    }
    pub fn charger_rejected(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ApiErrorCode::ChargerRejected, message)
    }
    pub fn charger_timeout(message: impl Into<String>) -> Self {
        Self::new(StatusCode::GATEWAY_TIMEOUT, ApiErrorCode::ChargerTimeout, message)
    }
    /// 429 with `Retry-After`: "`too_many`. Try again in N minutes." (`too_many` is a
    /// sentence such as "Too many sign-in attempts.").
    pub fn rate_limited(too_many: &str, wait: std::time::Duration) -> Self {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let plural = if minutes == 1 { "" } else { "s" };
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, ApiErrorCode::RateLimited, format!("{too_many} Try again in {minutes} minute{plural}."));
        error.retry_after = Some(wait.as_secs().max(1));
        error
    }
    /// Logs the cause and answers a generic 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ApiErrorCode::Internal,
            "Something went wrong on our side. Please try again.",
        )
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(ApiError { code: self.code, message: self.message })).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        response
    }
}
