//! Receipts: a finished session's signed receipt, and the keys to check it with.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use chargekit_model::api::ApiError;
use chargekit_model::receipt::{ReceiptKey, SignedReceipt};

use crate::AppState;
use crate::auth::AuthedDriver;
use crate::error::AppError;

/// The signed receipt of one of the driver's sessions, once it is completed.
#[utoipa::path(get, path = "/v1/sessions/{id}/receipt", operation_id = "get_receipt", tag = "receipts", params(("id" = String, Path, description = "The session id")),
    responses(
        (status = 200, body = SignedReceipt, description = "The signed receipt"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "No such session, or it has not finished yet"),
    ))]
pub async fn get(AuthedDriver(driver): AuthedDriver, State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<SignedReceipt>, AppError> {
    let session = state.sessions().owned(&driver.id, &id).await?;
    let receipt = state.sessions().issue_receipt(&session).await?;
    receipt.map(Json).ok_or_else(|| AppError::not_found("There is no receipt for this session yet: it is issued when charging has ended."))
}

/// The keys receipts are signed with (Ed25519). Apps pin them.
#[utoipa::path(get, path = "/v1/receipts/keys", operation_id = "receipt_keys", tag = "receipts", security(()),
    responses(
        (status = 200, body = Vec<ReceiptKey>, description = "The public keys receipts are signed with"),
    ))]
pub async fn keys(State(state): State<Arc<AppState>>) -> Json<Vec<ReceiptKey>> {
    Json(vec![state.money.receipts.public_key()])
}
