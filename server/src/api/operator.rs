//! The operator's side: sign-in, and OCPP commands sent to a charger (configuration,
//! triggers, availability, unlock, reset, cache, vendor data). The reports live in
//! `operator_reports` (when present); every endpoint here needs an operator token.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chargekit_model::api::ApiError;
use chargekit_model::ocpp::commands::{self, *};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::{AuthedOperator, new_token, verify_password_of};
use crate::error::AppError;
use crate::ocpp::registry::CallFailure;

/// How long an operator's sign-in lasts.
const OPERATOR_TOKEN_LIFETIME: time::Duration = time::Duration::hours(12);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OperatorCredentials {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OperatorToken {
    pub token: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Signs an operator in.
#[utoipa::path(post, path = "/v1/operator/sign-in", request_body = OperatorCredentials, security(()), tag = "operator",
    responses((status = 200, body = OperatorToken), (status = 401, body = ApiError)))]
pub async fn sign_in(State(state): State<Arc<AppState>>, Json(credentials): Json<OperatorCredentials>) -> Result<Json<OperatorToken>, AppError> {
    let stored = state.store.operator_password_hash(&credentials.username).await?;
    if !verify_password_of(credentials.password, stored).await? {
        return Err(AppError::unauthorized("Wrong username or password."));
    }
    let (token, hash) = new_token();
    let expires_at = OffsetDateTime::now_utc() + OPERATOR_TOKEN_LIFETIME;
    state.store.insert_operator_token(&hash, &credentials.username, expires_at).await?;
    Ok(Json(OperatorToken { token, expires_at }))
}

/// An OCPP 1.6 operation for a charger, with its payload as the specification shapes it.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", content = "payload")]
pub enum ChargerCommand {
    #[schema(value_type = Object)]
    ChangeConfiguration(ChangeConfigurationRequest),
    #[schema(value_type = Object)]
    GetConfiguration(#[serde(default)] GetConfigurationRequest),
    #[schema(value_type = Object)]
    TriggerMessage(TriggerMessageRequest),
    #[schema(value_type = Object)]
    ChangeAvailability(ChangeAvailabilityRequest),
    #[schema(value_type = Object)]
    UnlockConnector(UnlockConnectorRequest),
    #[schema(value_type = Object)]
    Reset(ResetRequest),
    #[schema(value_type = Object)]
    ClearCache(#[serde(default)] ClearCacheRequest),
    #[schema(value_type = Object)]
    DataTransfer(DataTransferRequest),
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommandResult {
    pub action: String,
    /// The charger's answer, as it sent it (checked against the operation's response shape).
    #[schema(value_type = Object)]
    pub response: Value,
}

/// Sends an OCPP command to a connected charger and returns its answer.
#[utoipa::path(post, path = "/v1/operator/chargers/{charger_id}/commands", request_body = ChargerCommand, tag = "operator",
    params(("charger_id" = String, Path, description = "The charge point id")),
    responses((status = 200, body = CommandResult), (status = 404, body = ApiError), (status = 422, body = ApiError),
        (status = 502, body = ApiError, description = "The charger answered with a CALLERROR"),
        (status = 503, body = ApiError, description = "The charger is offline"), (status = 504, body = ApiError)))]
pub async fn command(
    AuthedOperator(operator): AuthedOperator,
    State(state): State<Arc<AppState>>,
    Path(charger_id): Path<String>,
    Json(command): Json<ChargerCommand>,
) -> Result<Json<CommandResult>, AppError> {
    if state.store.charger_security(&charger_id).await?.is_none() {
        return Err(AppError::not_found(format!("No charger {charger_id} is configured.")));
    }
    let link = state.chargers.get(&charger_id).ok_or_else(|| AppError::charger_offline(&charger_id))?;
    let timeout = state.config.charger_call_timeout;
    tracing::info!(%operator, %charger_id, ?command, "operator command");
    use commands::action as a;
    // Each answer is read into its typed shape (a charger's malformed answer is an error), then
    // passed on as JSON.
    let (action, response) = match &command {
        ChargerCommand::ChangeConfiguration(r) => (a::CHANGE_CONFIGURATION, typed::<_, ChangeConfigurationResponse>(&link, a::CHANGE_CONFIGURATION, r, timeout).await),
        ChargerCommand::GetConfiguration(r) => (a::GET_CONFIGURATION, typed::<_, GetConfigurationResponse>(&link, a::GET_CONFIGURATION, r, timeout).await),
        ChargerCommand::TriggerMessage(r) => (a::TRIGGER_MESSAGE, typed::<_, TriggerMessageResponse>(&link, a::TRIGGER_MESSAGE, r, timeout).await),
        ChargerCommand::ChangeAvailability(r) => (a::CHANGE_AVAILABILITY, typed::<_, ChangeAvailabilityResponse>(&link, a::CHANGE_AVAILABILITY, r, timeout).await),
        ChargerCommand::UnlockConnector(r) => (a::UNLOCK_CONNECTOR, typed::<_, UnlockConnectorResponse>(&link, a::UNLOCK_CONNECTOR, r, timeout).await),
        ChargerCommand::Reset(r) => (a::RESET, typed::<_, ResetResponse>(&link, a::RESET, r, timeout).await),
        ChargerCommand::ClearCache(r) => (a::CLEAR_CACHE, typed::<_, ClearCacheResponse>(&link, a::CLEAR_CACHE, r, timeout).await),
        ChargerCommand::DataTransfer(r) => (a::DATA_TRANSFER, typed::<_, DataTransferResponse>(&link, a::DATA_TRANSFER, r, timeout).await),
    };
    let response = response.map_err(|failure| command_failure(&failure, &charger_id))?;
    Ok(Json(CommandResult { action: action.to_owned(), response }))
}

async fn typed<Req: Serialize, Res: Serialize + serde::de::DeserializeOwned>(
    link: &crate::ocpp::registry::ChargerLink,
    action: &str,
    request: &Req,
    timeout: std::time::Duration,
) -> Result<Value, CallFailure> {
    let answer: Res = link.call(action, request, timeout).await?;
    serde_json::to_value(answer).map_err(|e| CallFailure::BadResponse(e.to_string()))
}

fn command_failure(failure: &CallFailure, charger_id: &str) -> AppError {
    use chargekit_model::api::ApiErrorCode;
    match failure {
        CallFailure::Offline => AppError::charger_offline(charger_id),
        CallFailure::Timeout => AppError::charger_timeout(format!("The charger {charger_id} did not answer in time.")),
        CallFailure::CallError { code, description } => AppError::new(
            StatusCode::BAD_GATEWAY,
            ApiErrorCode::ChargerRejected,
            format!("The charger {charger_id} answered with an error: {code} {description}"),
        ),
        CallFailure::BadResponse(why) => AppError::new(
            StatusCode::BAD_GATEWAY,
            ApiErrorCode::ChargerRejected,
            format!("The charger {charger_id} answered with something that does not fit the operation: {why}"),
        ),
    }
}
