//! Registration, sign-in (rate-limited), token refresh (rotating, with reuse detection) and
//! sign-out.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use chargekit_model::api::{ApiError, AuthToken, Credentials, RefreshRequest};
use time::OffsetDateTime;
use uuid::Uuid;

use super::credentials::{MIN_PASSWORD_CHARS, check_password_length, normalize_email};
use super::no_store::NoStore;
use crate::AppState;
use crate::auth::{AuthedSignIn, new_app_id_tag, new_token, sign_in_key, token_hash};
use crate::error::AppError;
use crate::store::{DriverRow, NewTokens, RefreshOutcome};

/// Creates a driver account and signs it in. Registrations are limited per client address
/// (`registrations_per_address` in `registration_window_secs`); past the limit the answer is
/// 429 with `Retry-After`.
#[utoipa::path(post, path = "/v1/auth/register", operation_id = "register", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 201, body = AuthToken, description = "The account was created and is signed in",
            headers(("Cache-Control" = String, description = "no-store"), ("Pragma" = String, description = "no-cache"))),
        (status = 409, body = ApiError, description = "An account with this email exists already"),
        (status = 422, body = ApiError, description = "The request is invalid; the message names the field"),
        (status = 429, body = ApiError, description = "Too many registrations from this address; the Retry-After header says when to try again",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn register(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(credentials): Json<Credentials>,
) -> Result<NoStore<(StatusCode, Json<AuthToken>)>, AppError> {
    let email = normalize_email(&credentials.email)?;
    if credentials.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(format!("Choose a password of at least {MIN_PASSWORD_CHARS} characters.")));
    }
    check_password_length(&credentials.password)?;
    state
        .clients.accounts
        .reserve_registration(client.ip())
        .map_err(|wait| AppError::rate_limited("Too many registrations from your address.", wait))?;
    let driver = DriverRow {
        id: Uuid::new_v4().to_string(),
        email,
        password_hash: state.clients.accounts.password_hashing.hash(credentials.password).await?,
        app_id_tag: new_app_id_tag(),
    };
    if !state.store.insert_driver(&driver).await? {
        return Err(AppError::conflict("An account with this email exists already. Sign in instead."));
    }
    let token = issue_tokens(&state, &driver, &Uuid::new_v4().to_string()).await?;
    Ok(NoStore((StatusCode::CREATED, Json(token))))
}

/// Signs a driver in with email and password. Attempts are limited per email and per client
/// address (a successful one does not count); past the limit the answer is 429 with
/// `Retry-After`, before any password is checked.
#[utoipa::path(post, path = "/v1/auth/sign-in", operation_id = "sign_in", tag = "auth", request_body = Credentials, security(()),
    responses(
        (status = 200, body = AuthToken, description = "Signed in",
            headers(("Cache-Control" = String, description = "no-store"), ("Pragma" = String, description = "no-cache"))),
        (status = 401, body = ApiError, description = "Wrong email or password"),
        (status = 422, body = ApiError, description = "The password is longer than any account can have"),
        (status = 429, body = ApiError, description = "Too many failed attempts; the Retry-After header says when to try again",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ))]
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Json(credentials): Json<Credentials>,
) -> Result<NoStore<Json<AuthToken>>, AppError> {
    let wrong = || AppError::unauthorized("Wrong email or password.");
    check_password_length(&credentials.password)?;
    let email = normalize_email(&credentials.email).map_err(|_| wrong())?;
    // Reserved before the password is checked: parallel attempts cannot all pass the limit.
    let attempt = state
        .clients.accounts
        .reserve_sign_in(&email, client.ip())
        .map_err(|wait| AppError::rate_limited("Too many sign-in attempts.", wait))?;
    let driver = state.store.driver_by_email(&email).await?;
    // An unknown email costs the same work and gets the same answer as a wrong password.
    let stored = driver.as_ref().map(|d| d.password_hash.clone());
    let matches = state.clients.accounts.password_hashing.verify_of(credentials.password, stored).await?;
    match driver {
        Some(driver) if matches => {
            attempt.succeeded();
            Ok(NoStore(Json(issue_tokens(&state, &driver, &Uuid::new_v4().to_string()).await?)))
        }
        // The reservation stays: it was a failed attempt.
        _ => Err(wrong()),
    }
}

/// Exchanges a refresh token for a new access and refresh token. Each refresh token works
/// once: presenting a used one again revokes the whole sign-in. Parallel refreshes with one
/// token: one gets the new pair, the others are reuses (401), and the sign-in is revoked.
#[utoipa::path(post, path = "/v1/auth/refresh", operation_id = "refresh", tag = "auth", request_body = RefreshRequest, security(()),
    responses(
        (status = 200, body = AuthToken, description = "A new access and refresh token",
            headers(("Cache-Control" = String, description = "no-store"), ("Pragma" = String, description = "no-cache"))),
        (status = 401, body = ApiError, description = "The refresh token is unknown, expired or was used already: sign in again"),
    ))]
pub async fn refresh(State(state): State<Arc<AppState>>, Json(request): Json<RefreshRequest>) -> Result<NoStore<Json<AuthToken>>, AppError> {
    let expired = || AppError::unauthorized("Your sign-in has expired. Please sign in again.");
    let pair = new_pair(&state);
    match state.store.refresh_sign_in(&token_hash(request.refresh_token.trim()), &pair.stored).await? {
        RefreshOutcome::Refreshed { driver } => Ok(NoStore(Json(pair.answer(&driver)?))),
        RefreshOutcome::Reused { family_id } => {
            tracing::warn!(%family_id, "a used refresh token was presented again; the sign-in is revoked");
            // The refresh's transaction revoked the family's tokens already (so that no
            // parallel refresh issues into it); this ends the rest of the sign-in.
            end_sign_in(&state, &family_id).await?;
            Err(expired())
        }
        RefreshOutcome::Unknown => Err(expired()),
    }
}

/// Signs this sign-in out on the server: its refresh and access tokens stop working. The
/// sign-in ended is the one of the access token used, whatever refresh token is sent; a
/// refresh token of another of the driver's sign-ins ends that one too.
#[utoipa::path(post, path = "/v1/auth/sign-out", operation_id = "sign_out", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 204, description = "Signed out: the refresh and access tokens of this sign-in stop working"),
        (status = 401, body = ApiError, description = "No token, or an expired or revoked one: sign in again"),
    ))]
pub async fn sign_out(
    AuthedSignIn { driver, token_sha256, family_id, .. }: AuthedSignIn,
    State(state): State<Arc<AppState>>,
    Json(request): Json<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    let sent = state.store.refresh_family_of(&token_hash(request.refresh_token.trim()), &driver.id).await?;
    match &family_id {
        Some(family) => end_sign_in(&state, family).await?,
        // An access token from before sign-ins had families: it alone is the sign-in.
        None => {
            state.store.delete_access_token(&token_sha256).await?;
            state.clients.live_streams.revoke_sign_in(&sign_in_key(None, &token_sha256));
        }
    }
    if let Some(other) = sent.filter(|sent| Some(sent) != family_id.as_ref()) {
        end_sign_in(&state, &other).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Ends a sign-in: its refresh tokens are revoked, its access tokens deleted. The one place a
/// sign-in family is ended (sign-out, and a reused refresh token).
async fn end_sign_in(state: &AppState, family_id: &str) -> Result<(), AppError> {
    state.store.revoke_family(family_id).await?;
    state.clients.live_streams.revoke_sign_in(family_id);
    Ok(())
}

/// A new access and refresh token, not stored yet.
struct Pair {
    token: String,
    refresh_token: String,
    stored: NewTokens,
}

fn new_pair(state: &AppState) -> Pair {
    let now = OffsetDateTime::now_utc();
    let (token, access_sha256) = new_token();
    let (refresh_token, refresh_sha256) = new_token();
    let stored = NewTokens {
        access_sha256,
        access_expires_at: now + state.config.access_token_lifetime,
        refresh_sha256,
        refresh_expires_at: now + state.config.token_lifetime,
    };
    Pair { token, refresh_token, stored }
}

impl Pair {
    fn answer(self, driver: &DriverRow) -> Result<AuthToken, AppError> {
        Ok(AuthToken {
            token: self.token,
            refresh_token: self.refresh_token,
            expires_at: Some(self.stored.access_expires_at),
            driver_id: driver.id.parse().map_err(AppError::internal)?,
            email: driver.email.clone(),
        })
    }
}

/// A new access and refresh token in the sign-in family `family_id`.
async fn issue_tokens(state: &AppState, driver: &DriverRow, family_id: &str) -> Result<AuthToken, AppError> {
    let pair = new_pair(state);
    state.store.insert_sign_in(&driver.id, family_id, &pair.stored).await?;
    pair.answer(driver)
}
