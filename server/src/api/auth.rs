//! Registration, sign-in (rate-limited), token refresh (rotating, with reuse detection) and
//! sign-out.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use chargekit_model::api::{ApiError, ApiErrorCode, AuthToken, Credentials, RefreshRequest};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{AuthedDriver, hash_password, new_app_id_tag, new_token, token_hash, verify_password_of};
use crate::error::AppError;
use crate::store::{DriverRow, RefreshOutcome};

const MIN_PASSWORD_CHARS: usize = 8;

/// Creates a driver account and signs it in.
#[utoipa::path(post, path = "/v1/auth/register", operation_id = "register", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 201, body = AuthToken, description = "The account was created and is signed in"),
        (status = 409, body = ApiError, description = "An account with this email exists already"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
    ))]
pub async fn register(State(state): State<Arc<AppState>>, Json(credentials): Json<Credentials>) -> Result<(StatusCode, Json<AuthToken>), AppError> {
    let email = normalize_email(&credentials.email)?;
    if credentials.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters.")));
    }
    let driver = DriverRow {
        id: Uuid::new_v4().to_string(),
        email,
        password_hash: hash_password(credentials.password).await?,
        app_id_tag: new_app_id_tag(),
    };
    if !state.store.insert_driver(&driver).await? {
        return Err(AppError::conflict("An account with this email exists already. Sign in instead."));
    }
    Ok((StatusCode::CREATED, Json(issue_tokens(&state, &driver, &Uuid::new_v4().to_string()).await?)))
}

/// Signs a driver in with email and password. Failed attempts are limited per email and per
/// client address; past the limit the answer is 429 with `Retry-After`.
#[utoipa::path(post, path = "/v1/auth/sign-in", operation_id = "sign_in", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 200, body = AuthToken, description = "Signed in"),
        (status = 401, body = ApiError, description = "Wrong email or password"),
        (status = 429, body = ApiError, description = "Too many failed attempts; the Retry-After header says when to try again"),
    ))]
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(credentials): Json<Credentials>,
) -> Result<Json<AuthToken>, AppError> {
    let wrong = || AppError::unauthorized("Wrong email or password.");
    let email = normalize_email(&credentials.email).map_err(|_| wrong())?;
    let keys = [format!("email:{email}"), format!("ip:{}", client.ip())];
    for (key, limiter) in keys.iter().zip([&state.sign_in_by_email, &state.sign_in_by_address]) {
        if let Err(wait) = limiter.check(key) {
            return Err(too_many_attempts(wait));
        }
    }
    let driver = state.store.driver_by_email(&email).await?;
    // An unknown email costs the same work and gets the same answer as a wrong password.
    let matches = verify_password_of(credentials.password, driver.as_ref().map(|d| d.password_hash.clone())).await?;
    match driver {
        Some(driver) if matches => {
            state.sign_in_by_email.clear(&keys[0]);
            Ok(Json(issue_tokens(&state, &driver, &Uuid::new_v4().to_string()).await?))
        }
        _ => {
            state.sign_in_by_email.record_failure(&keys[0]);
            state.sign_in_by_address.record_failure(&keys[1]);
            Err(wrong())
        }
    }
}

/// Exchanges a refresh token for a new access and refresh token. Each refresh token works
/// once: presenting a used one again revokes the whole sign-in.
#[utoipa::path(post, path = "/v1/auth/refresh", operation_id = "refresh", tag = "auth", request_body = RefreshRequest, security(()),
    responses(
        (status = 200, body = AuthToken, description = "A new access and refresh token"),
        (status = 401, body = ApiError, description = "The refresh token is unknown, expired or was used already: sign in again"),
    ))]
pub async fn refresh(State(state): State<Arc<AppState>>, Json(request): Json<RefreshRequest>) -> Result<Json<AuthToken>, AppError> {
    let expired = || AppError::unauthorized("Your sign-in has expired. Please sign in again.");
    match state.store.use_refresh_token(&token_hash(request.refresh_token.trim())).await? {
        RefreshOutcome::Valid { driver_id, family_id } => {
            let driver = state.store.driver(&driver_id).await?.ok_or_else(expired)?;
            Ok(Json(issue_tokens(&state, &driver, &family_id).await?))
        }
        RefreshOutcome::Reused { family_id } => {
            tracing::warn!(%family_id, "a used refresh token was presented again; the sign-in is revoked");
            state.live_streams.revoke_sign_in(&family_id);
            Err(expired())
        }
        RefreshOutcome::Unknown => Err(expired()),
    }
}

/// Signs this sign-in out on the server: its refresh and access tokens stop working.
#[utoipa::path(post, path = "/v1/auth/sign-out", operation_id = "sign_out", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out: the refresh and access tokens of this sign-in stop working"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
    ))]
pub async fn sign_out(
    AuthedDriver(driver): AuthedDriver,
    State(state): State<Arc<AppState>>,
    Json(request): Json<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    if let Some(family) = state.store.refresh_family_of(&token_hash(request.refresh_token.trim()), &driver.id).await? {
        state.store.revoke_family(&family).await?;
        state.live_streams.revoke_sign_in(&family);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A new access and refresh token in the sign-in family `family_id`.
async fn issue_tokens(state: &AppState, driver: &DriverRow, family_id: &str) -> Result<AuthToken, AppError> {
    let now = OffsetDateTime::now_utc();
    let (token, hash) = new_token();
    let expires_at = now + state.config.access_token_lifetime;
    state.store.insert_token(&hash, &driver.id, family_id, expires_at).await?;
    let (refresh_token, refresh_hash) = new_token();
    state.store.insert_refresh_token(&refresh_hash, &driver.id, family_id, now + state.config.token_lifetime).await?;
    Ok(AuthToken {
        token,
        refresh_token,
        expires_at: Some(expires_at),
        driver_id: driver.id.parse().map_err(AppError::internal)?,
        email: driver.email.clone(),
    })
}

fn too_many_attempts(wait: std::time::Duration) -> AppError {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    let mut error = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        ApiErrorCode::RateLimited,
        format!("Too many sign-in attempts. Try again in {minutes} minute{}.", if minutes == 1 { "" } else { "s" }),
    );
    error.retry_after = Some(wait.as_secs().max(1));
    error
}

fn normalize_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if plausible { Ok(email) } else { Err(AppError::invalid("Enter a valid email address.")) }
}
