//! The driver API's device push tokens: an app registers the token its platform gave it (FCM
//! on Android, APNs on iOS, and an iOS Live Activity's own token) with the sign-in it is
//! made with; signing out (or a revoked sign-in) removes them (database triggers, see
//! migration 0022), and so does the app with `DELETE`.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use chargekit_model::api::ApiError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::AuthedSignIn;
use crate::error::AppError;
use crate::store::{NewPushToken, PushTokenRow};

/// Device tokens are a few hundred characters (APNs: 64 hex digits; FCM: about 160).
const MAX_TOKEN_LEN: usize = 4096;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/v1/push-tokens", post(register).get(list)).route("/v1/push-tokens/{token}", delete(remove))
}

/// Which push service a token is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushProviderKind {
    /// Firebase Cloud Messaging (Android).
    Fcm,
    /// Apple Push Notification service (iOS).
    Apns,
}

/// What the pushes to a token are for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PushPurpose {
    /// Notifications of the driver's events (charging started, finished, idle fees…).
    #[default]
    Alert,
    /// An iOS Live Activity's push token (`Activity.pushToken`): updates of one session and its
    /// end. APNs only; `session_id` names the session.
    LiveActivity,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPushTokenRequest {
    pub provider: PushProviderKind,
    /// The token as the platform gave it (APNs: its bytes in hex).
    pub token: String,
    #[serde(default)]
    pub purpose: PushPurpose,
    /// The session a Live Activity follows (with `purpose: live_activity` only).
    #[serde(default)]
    pub session_id: Option<uuid::Uuid>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PushToken {
    pub provider: PushProviderKind,
    pub token: String,
    pub purpose: PushPurpose,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

/// Registers this device's push token with the sign-in of the request. A token registered
/// before (by this or another sign-in) is taken over: a device gets the pushes of whoever
/// signed in on it last.
#[utoipa::path(post, path = "/v1/push-tokens", operation_id = "register_push_token", tag = "push", request_body = NewPushTokenRequest,
    responses(
        (status = 201, body = PushToken, description = "The token, registered with this sign-in"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 422, body = ApiError, description = "The request is invalid, or the server does not send through that provider; the message says which"),
    ))]
pub async fn register(
    sign_in: AuthedSignIn,
    State(state): State<Arc<AppState>>,
    Json(request): Json<NewPushTokenRequest>,
) -> Result<(StatusCode, Json<PushToken>), AppError> {
    let token = request.token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN || !token.chars().all(|c| c.is_ascii_graphic()) || token.contains('/') {
        return Err(AppError::invalid(format!("token: the platform's push token, 1 to {MAX_TOKEN_LEN} printable characters without '/'.")));
    }
    let push = &state.config.push;
    let configured = match request.provider {
        PushProviderKind::Fcm => push.fcm.is_some(),
        PushProviderKind::Apns => push.apns.is_some(),
    };
    if !configured {
        return Err(AppError::invalid(format!("provider: this server does not send push through {}.", provider_name(request.provider))));
    }
    match (request.purpose, request.provider, request.session_id) {
        (PushPurpose::LiveActivity, PushProviderKind::Apns, Some(_)) | (PushPurpose::Alert, _, None) => {}
        (PushPurpose::LiveActivity, PushProviderKind::Fcm, _) => return Err(AppError::invalid("purpose: Live Activities are APNs only.")),
        (PushPurpose::LiveActivity, _, None) => return Err(AppError::invalid("session_id: a Live Activity token follows one session; name it.")),
        (PushPurpose::Alert, _, Some(_)) => return Err(AppError::invalid("session_id: only a Live Activity token follows a session.")),
    }
    let session_id = request.session_id.map(|id| id.to_string());
    if let Some(id) = &session_id {
        let own = state.store.session(id).await?.is_some_and(|s| s.driver_id == sign_in.driver.id);
        if !own {
            return Err(AppError::not_found("No such session."));
        }
    }
    let sign_in_key = sign_in.sign_in_key();
    let row = state
        .store
        .upsert_push_token(&NewPushToken {
            driver_id: &sign_in.driver.id,
            sign_in: &sign_in_key,
            provider: provider_name(request.provider),
            purpose: purpose_name(request.purpose),
            token,
            session_id: session_id.as_deref(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view(&row))))
}

/// The push tokens registered for the driver, by every sign-in.
#[utoipa::path(get, path = "/v1/push-tokens", operation_id = "list_push_tokens", tag = "push",
    responses(
        (status = 200, body = Vec<PushToken>, description = "The driver's device tokens"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
    ))]
pub async fn list(sign_in: AuthedSignIn, State(state): State<Arc<AppState>>) -> Result<Json<Vec<PushToken>>, AppError> {
    Ok(Json(state.store.push_tokens_of(&sign_in.driver.id).await?.iter().map(view).collect()))
}

/// Stops pushes to a device (the driver turned notifications off, say).
#[utoipa::path(delete, path = "/v1/push-tokens/{token}", operation_id = "remove_push_token", tag = "push",
    params(("token" = String, Path, description = "The device token")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
        (status = 404, body = ApiError, description = "The driver has no such device token"),
    ))]
pub async fn remove(sign_in: AuthedSignIn, State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Result<StatusCode, AppError> {
    if state.store.delete_push_token(&sign_in.driver.id, &token).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::not_found("No such push token."))
    }
}

fn provider_name(provider: PushProviderKind) -> &'static str {
    match provider {
        PushProviderKind::Fcm => "fcm",
        PushProviderKind::Apns => "apns",
    }
}

fn purpose_name(purpose: PushPurpose) -> &'static str {
    match purpose {
        PushPurpose::Alert => "alert",
        PushPurpose::LiveActivity => "live_activity",
    }
}

fn view(row: &PushTokenRow) -> PushToken {
    PushToken {
        provider: if row.provider == "apns" { PushProviderKind::Apns } else { PushProviderKind::Fcm },
        token: row.token.clone(),
        purpose: if row.purpose == "live_activity" { PushPurpose::LiveActivity } else { PushPurpose::Alert },
        session_id: row.session_id.clone(),
        created_at: row.created_at,
    }
}
