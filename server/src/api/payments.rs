//! Pay per session: the driver's wallet, their payment methods, and a session's payment.
//! Everything here is the signed-in driver's own: another driver's session answers 404, and
//! their cards cannot be named (404) or registered again (409).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chargekit_model::api::{ApiError, IDEMPOTENCY_KEY_HEADER, NewCard, PaymentChoice, PaymentMethod, SessionPayment, TopUp, TopUpRequest, Wallet};

use crate::AppState;
use crate::auth::AuthedDriver;
use crate::error::AppError;

const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;

/// The driver's wallet: what is available and what is held for running sessions, per currency.
#[utoipa::path(get, path = "/v1/wallet", operation_id = "get_wallet", tag = "payments",
    responses(
        (status = 200, body = Wallet, description = "The balances, per currency"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
    ))]
pub async fn wallet(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>) -> Result<Json<Wallet>, AppError> {
    Ok(Json(state.payments().wallet(&driver.id).await?))
}

/// Tops the wallet up, paid by one of the driver's cards (or test money, where the server
/// allows it). The `Idempotency-Key` is required: a retry with it answers the first top-up and
/// is neither charged nor credited again.
#[utoipa::path(post, path = "/v1/wallet/top-ups", operation_id = "top_up_wallet", tag = "payments", request_body = TopUpRequest,
    params(("Idempotency-Key" = String, Header, description = "Unique per top-up; retries reuse it")),
    responses(
        (status = 201, body = TopUp, description = "The top-up, applied once"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 402, body = ApiError, description = "The card was declined"),
        (status = 404, body = ApiError, description = "No such card"),
        (status = 409, body = ApiError, description = "The key was used for another top-up"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn top_up(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Json(request): Json<TopUpRequest>,
) -> Result<(StatusCode, Json<TopUp>), AppError> {
    let key = required_idempotency_key(&headers)?;
    Ok((StatusCode::CREATED, Json(state.payments().top_up(&driver.id, &key, &request).await?)))
}

/// The driver's payment methods: the wallet (id `wallet`), then their cards.
#[utoipa::path(get, path = "/v1/payment-methods", operation_id = "list_payment_methods", tag = "payments",
    responses(
        (status = 200, body = Vec<PaymentMethod>, description = "The wallet and the registered cards"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
    ))]
pub async fn methods(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>) -> Result<Json<Vec<PaymentMethod>>, AppError> {
    Ok(Json(state.payments().methods(&driver.id).await?))
}

/// Registers a card by the payment-method id the card provider's SDK gave the app.
#[utoipa::path(post, path = "/v1/payment-methods", operation_id = "register_card", tag = "payments", request_body = NewCard,
    responses(
        (status = 201, body = PaymentMethod, description = "The card, registered"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 409, body = ApiError, description = "Another driver registered this card"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn register_card(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    Json(card): Json<NewCard>,
) -> Result<(StatusCode, Json<PaymentMethod>), AppError> {
    Ok((StatusCode::CREATED, Json(state.payments().register_card(&driver.id, &card).await?)))
}

/// Chooses what pays for a start that names no payment method.
#[utoipa::path(put, path = "/v1/payment-methods/default", operation_id = "set_default_payment_method", tag = "payments", request_body = PaymentChoice,
    responses(
        (status = 200, body = PaymentMethod, description = "The new default"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such card"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn set_default(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    Json(choice): Json<PaymentChoice>,
) -> Result<Json<PaymentMethod>, AppError> {
    Ok(Json(state.payments().set_default(&driver.id, &choice).await?))
}

/// How one of the driver's sessions is paid: held, captured (and how much), released, voided
/// or failed; and why charging stopped, if the server stopped it at the hold.
#[utoipa::path(get, path = "/v1/sessions/{id}/payment", operation_id = "session_payment", tag = "payments", params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, body = SessionPayment, description = "The session's payment"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such session of this driver"),
    ))]
pub async fn session_payment(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<SessionPayment>, AppError> {
    let session = state.sessions().owned(&driver.id, &id).await?;
    Ok(Json(state.payments().of_session(&session.id).await?))
}

fn required_idempotency_key(headers: &HeaderMap) -> Result<String, AppError> {
    let key = headers.get(IDEMPOTENCY_KEY_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or_default();
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(AppError::invalid(format!(
            "Send an {IDEMPOTENCY_KEY_HEADER} header (1 to {MAX_IDEMPOTENCY_KEY_LEN} characters) with every top-up, and the same one when you retry it."
        )));
    }
    Ok(key.to_owned())
}
