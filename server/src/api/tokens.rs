//! The driver's tokens: RFID cards and Plug & Charge contracts they register, list, block and
//! remove. A token another driver registered answers 409 without saying whose it is; a token
//! of someone else's answers 404 to block or remove, so existence does not leak.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chargekit_model::api::{ApiError, IdToken, IdTokenKind, IdTokenUpdate, NewIdToken};
use chargekit_model::{CardUid, Emaid};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::AuthedDriver;
use crate::error::AppError;
use crate::store::{IdTokenRow, kind_name, status_name};

const MAX_LABEL_LEN: usize = 64;

/// Registers an RFID card (by its UID, normalized to the idTag chargers send) or a Plug &
/// Charge contract (by its EMAID, check character verified when present). Registering one of
/// your own tokens again updates its label and validity.
#[utoipa::path(post, path = "/v1/tokens", operation_id = "register_token", tag = "tokens", request_body = NewIdToken,
    responses(
        (status = 201, body = IdToken, description = "The token, registered (or updated, when it was the driver's already)"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 409, body = ApiError, description = "Another driver registered it"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn register(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    Json(request): Json<NewIdToken>,
) -> Result<(StatusCode, Json<IdToken>), AppError> {
    let (id_tag, kind, expires_at, label) = match request {
        NewIdToken::Rfid { uid, label } => {
            let uid = CardUid::parse(&uid).map_err(|e| AppError::invalid(e.to_string()))?;
            (uid.as_id_tag().to_owned(), IdTokenKind::Rfid, None, label)
        }
        NewIdToken::Contract { emaid, expires_at, label } => {
            let emaid = Emaid::parse(&emaid).map_err(|e| AppError::invalid(e.to_string()))?;
            if expires_at.is_some_and(|end| end <= OffsetDateTime::now_utc()) {
                return Err(AppError::invalid("This contract has expired. Ask your mobility provider for a new one."));
            }
            (emaid.as_str().to_owned(), IdTokenKind::Contract, expires_at, label)
        }
    };
    if label.as_ref().is_some_and(|l| l.chars().count() > MAX_LABEL_LEN) {
        return Err(AppError::invalid(format!("A name of at most {MAX_LABEL_LEN} characters, please.")));
    }
    let row = IdTokenRow {
        id_tag,
        driver_id: driver.id.clone(),
        kind: kind_name(kind).to_owned(),
        status: status_name(chargekit_model::api::IdTokenStatus::Active).to_owned(),
        expires_at,
        label,
        created_at: OffsetDateTime::now_utc(),
    };
    let stored = state
        .store
        .upsert_id_token(&row)
        .await?
        .ok_or_else(|| AppError::conflict("This card or contract is already registered to another account."))?;
    Ok((StatusCode::CREATED, Json(stored.view())))
}

/// The driver's tokens, the app's own included.
#[utoipa::path(get, path = "/v1/tokens", operation_id = "list_tokens", tag = "tokens",
    responses(
        (status = 200, body = Vec<IdToken>, description = "The driver's tokens"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
    ))]
pub async fn list(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>) -> Result<Json<Vec<IdToken>>, AppError> {
    let rows = state.store.id_tokens_of(&driver.id).await?;
    Ok(Json(rows.iter().map(IdTokenRow::view).collect()))
}

/// Blocks a card or contract (refused at every charger from now on) or makes it active again.
#[utoipa::path(patch, path = "/v1/tokens/{id_tag}", operation_id = "update_token", tag = "tokens", request_body = IdTokenUpdate,
    params(("id_tag" = String, Path, description = "The token's idTag, as listed")),
    responses(
        (status = 200, body = IdToken, description = "The token, with its new status"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such card or contract of this driver"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn update(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    Path(id_tag): Path<String>,
    Json(update): Json<IdTokenUpdate>,
) -> Result<Json<IdToken>, AppError> {
    let row = state.store.set_id_token_status(&driver.id, &id_tag, status_name(update.status)).await?;
    row.map(|r| Json(r.view())).ok_or_else(|| AppError::not_found("No such card or contract."))
}

/// Removes a card or contract.
#[utoipa::path(delete, path = "/v1/tokens/{id_tag}", operation_id = "remove_token", tag = "tokens", params(("id_tag" = String, Path, description = "The token's idTag, as listed")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such card or contract of this driver"),
    ))]
pub async fn remove(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>, Path(id_tag): Path<String>) -> Result<StatusCode, AppError> {
    match state.store.delete_id_token(&driver.id, &id_tag).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(AppError::not_found("No such card or contract.")),
    }
}
