//! The operator's side: sign-in, and OCPP commands sent to a charger (configuration,
//! triggers, availability, unlock, reset, cache, vendor data). The reports live in
//! `operator_reports` (when present); every endpoint here needs an operator token.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use chargekit_model::api::ApiError;
use chargekit_model::ocpp::commands::{self, *};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::AppState;
use super::no_store::NoStore;
use crate::auth::{AuthedOperator, OperatorSignIn, new_token};
use crate::error::AppError;
use crate::ocpp::log_safe;
use crate::ocpp::registry::CallFailure;
use crate::store::NewOperatorCommand;

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
    /// Who signed in, to show on the dashboard.
    pub username: String,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Signs an operator in. Failed attempts are limited per operator name and per client
/// address, as drivers' sign-ins are; past the limit the answer is 429 with `Retry-After`.
#[utoipa::path(post, path = "/v1/operator/sign-in", operation_id = "operator_sign_in", request_body = OperatorCredentials, security(()), tag = "operator",
    responses(
        (status = 200, body = OperatorToken, description = "Signed in",
            headers(("Cache-Control" = String, description = "no-store"), ("Pragma" = String, description = "no-cache"))),
        (status = 401, body = ApiError, description = "Wrong username or password"),
        (status = 429, body = ApiError, description = "Too many failed attempts; the Retry-After header says when to try again",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(credentials): Json<OperatorCredentials>,
) -> Result<NoStore<Json<OperatorToken>>, AppError> {
    // Reserved before the password is checked: parallel attempts cannot all pass the limit.
    let attempt = state
        .clients.accounts
        .reserve_operator_sign_in(&credentials.username, client.ip())
        .map_err(|wait| AppError::rate_limited("Too many sign-in attempts.", wait))?;
    let stored = state.store.operator_password_hash(&credentials.username).await?;
    if !state.clients.accounts.password_hashing.verify_of(credentials.password, stored).await? {
        return Err(AppError::unauthorized("Wrong username or password."));
    }
    attempt.succeeded();
    let (token, hash) = new_token();
    let expires_at = OffsetDateTime::now_utc() + OPERATOR_TOKEN_LIFETIME;
    state.store.insert_operator_token(&hash, &credentials.username, expires_at).await?;
    Ok(NoStore(Json(OperatorToken { token, username: credentials.username, expires_at })))
}

/// Ends the operator sign-in whose token is presented: it is refused from then on.
#[utoipa::path(post, path = "/v1/operator/sign-out", operation_id = "operator_sign_out", tag = "operator",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = ApiError, description = "No operator sign-in, or it has ended already"),
    ))]
pub async fn sign_out(State(state): State<Arc<AppState>>, sign_in: OperatorSignIn) -> Result<StatusCode, AppError> {
    state.store.delete_operator_token(&sign_in.token_sha256).await?;
    tracing::info!(operator = %log_safe::untrusted(&sign_in.username), "operator signed out");
    Ok(StatusCode::NO_CONTENT)
}

/// An OCPP 1.6 operation for a charger, with its payload as the specification shapes it.
/// Its `Debug` form is the one fit for the log: secrets redacted ([`ChargerCommand::for_log`]).
#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(tag = "action", content = "payload")]
pub enum ChargerCommand {
    ChangeConfiguration(ChangeConfigurationRequest),
    GetConfiguration(#[serde(default)] GetConfigurationRequest),
    TriggerMessage(TriggerMessageRequest),
    ChangeAvailability(ChangeAvailabilityRequest),
    UnlockConnector(UnlockConnectorRequest),
    Reset(ResetRequest),
    ClearCache(#[serde(default)] ClearCacheRequest),
    DataTransfer(DataTransferRequest),
}

impl ChargerCommand {
    /// The command as `{action, payload}` JSON with its secrets (a new `AuthorizationKey`)
    /// redacted, control characters escaped: what the log shows of it.
    pub fn for_log(&self) -> serde_json::Value {
        log_safe::payload(&serde_json::to_value(self).unwrap_or_default())
    }
}

impl std::fmt::Debug for ChargerCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.for_log())
    }
}

/// The charger's answer: `action` names the operation, `response` is the answer as the charger
/// sent it, read into the operation's response shape (a malformed answer is an error instead).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(tag = "action", content = "response")]
pub enum CommandResult {
    ChangeConfiguration(ChangeConfigurationResponse),
    GetConfiguration(GetConfigurationResponse),
    TriggerMessage(TriggerMessageResponse),
    ChangeAvailability(ChangeAvailabilityResponse),
    UnlockConnector(UnlockConnectorResponse),
    Reset(ResetResponse),
    ClearCache(ClearCacheResponse),
    DataTransfer(DataTransferResponse),
}

/// Sends an OCPP command to a connected charger and returns its answer.
#[utoipa::path(post, path = "/v1/operator/chargers/{charger_id}/commands", operation_id = "send_charger_command", request_body = ChargerCommand, tag = "operator",
    params(("charger_id" = String, Path, description = "The charge point id")),
    responses((status = 200, body = CommandResult, description = "The charger's answer"), (status = 401, body = ApiError, description = "No operator token, or an expired one (a driver token is refused too)"), (status = 404, body = ApiError, description = "No such charger is configured"), (status = 422, body = ApiError, description = "The command is invalid; the message names the field"),
        (status = 502, body = ApiError, description = "The charger answered with a CALLERROR"),
        (status = 503, body = ApiError, description = "The charger is offline"), (status = 504, body = ApiError, description = "The charger did not answer in time")))]
pub async fn command(
    AuthedOperator(operator): AuthedOperator,
    State(state): State<Arc<AppState>>,
    Path(charger_id): Path<String>,
    Json(command): Json<ChargerCommand>,
) -> Result<Json<CommandResult>, AppError> {
    if state.store.charger_security(&charger_id).await?.is_none() {
        return Err(AppError::not_found(format!("No charger {charger_id} is configured.")));
    }
    tracing::info!(?operator, ?charger_id, command = %command.for_log(), "operator command");
    let answer = send(&state, &charger_id, &command).await;
    audit(&state, &operator, &charger_id, &command, &answer).await;
    Ok(Json(answer.map_err(|failure| command_failure(&failure, &charger_id))?))
}

async fn send(state: &AppState, charger_id: &str, command: &ChargerCommand) -> Result<CommandResult, CallFailure> {
    let link = state.chargers.registry.get(charger_id).ok_or(CallFailure::Offline)?;
    let timeout = state.config.charger_call_timeout;
    use commands::action as a;
    // Each answer is read into its typed shape (a charger's malformed answer is an error).
    match command {
        ChargerCommand::ChangeConfiguration(r) => link.call(a::CHANGE_CONFIGURATION, r, timeout).await.map(CommandResult::ChangeConfiguration),
        ChargerCommand::GetConfiguration(r) => link.call(a::GET_CONFIGURATION, r, timeout).await.map(CommandResult::GetConfiguration),
        ChargerCommand::TriggerMessage(r) => link.call(a::TRIGGER_MESSAGE, r, timeout).await.map(CommandResult::TriggerMessage),
        ChargerCommand::ChangeAvailability(r) => link.call(a::CHANGE_AVAILABILITY, r, timeout).await.map(CommandResult::ChangeAvailability),
        ChargerCommand::UnlockConnector(r) => link.call(a::UNLOCK_CONNECTOR, r, timeout).await.map(CommandResult::UnlockConnector),
        ChargerCommand::Reset(r) => link.call(a::RESET, r, timeout).await.map(CommandResult::Reset),
        ChargerCommand::ClearCache(r) => link.call(a::CLEAR_CACHE, r, timeout).await.map(CommandResult::ClearCache),
        ChargerCommand::DataTransfer(r) => link.call(a::DATA_TRANSFER, r, timeout).await.map(CommandResult::DataTransfer),
    }
}

/// Writes who sent what, and what came back, into the audit log. The command has been sent
/// whatever happens here: a failure to write is logged, not turned into a failed command.
async fn audit(state: &AppState, operator: &str, charger_id: &str, command: &ChargerCommand, answer: &Result<CommandResult, CallFailure>) {
    let logged = command.for_log();
    let action = logged["action"].as_str().unwrap_or_default().to_owned();
    let payload = logged.get("payload").cloned().unwrap_or_default().to_string();
    let (outcome, answer) = match answer {
        Ok(result) => ("answered", serde_json::to_value(result).ok().and_then(|v| v.get("response").map(|r| log_safe::payload(r).to_string()))),
        Err(CallFailure::Offline) => ("offline", None),
        Err(CallFailure::Timeout) => ("timeout", None),
        Err(CallFailure::CallError { code, description }) => ("call_error", Some(format!("{code} {description}"))),
        Err(CallFailure::BadResponse(why)) => ("bad_response", Some(why.clone())),
    };
    let entry = NewOperatorCommand { operator, charger_id, action: &action, payload: &payload, outcome, answer: answer.as_deref() };
    if let Err(e) = state.store.record_operator_command(&entry).await {
        tracing::error!(error = %e, %charger_id, "could not write the operator command to the audit log");
    }
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
