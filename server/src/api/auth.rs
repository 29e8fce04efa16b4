//! Registration and sign-in.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chargekit_model::api::{ApiError, AuthToken, Credentials};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::AppState;
use crate::auth::{hash_password, new_app_id_tag, new_token, verify_password_of};
use crate::error::AppError;
use crate::store::DriverRow;

const MIN_PASSWORD_CHARS: usize = 8;

/// Creates a driver account and signs it in.
#[utoipa::path(post, path = "/v1/auth/register", request_body = Credentials, security(()),
    responses((status = 201, body = AuthToken), (status = 409, body = ApiError), (status = 422, body = ApiError)))]
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
    Ok((StatusCode::CREATED, Json(issue_token(&state, &driver).await?)))
}

/// Signs a driver in with email and password.
#[utoipa::path(post, path = "/v1/auth/sign-in", request_body = Credentials, security(()),
    responses((status = 200, body = AuthToken), (status = 401, body = ApiError)))]
pub async fn sign_in(State(state): State<Arc<AppState>>, Json(credentials): Json<Credentials>) -> Result<Json<AuthToken>, AppError> {
    let wrong = || AppError::unauthorized("Wrong email or password.");
    let email = normalize_email(&credentials.email).map_err(|_| wrong())?;
    let driver = state.store.driver_by_email(&email).await?;
    // An unknown email costs the same work and gets the same answer as a wrong password.
    let matches = verify_password_of(credentials.password, driver.as_ref().map(|d| d.password_hash.clone())).await?;
    match driver {
        Some(driver) if matches => Ok(Json(issue_token(&state, &driver).await?)),
        _ => Err(wrong()),
    }
}

async fn issue_token(state: &AppState, driver: &DriverRow) -> Result<AuthToken, AppError> {
    let (token, hash) = new_token();
    let expires_at = OffsetDateTime::now_utc() + state.config.token_lifetime;
    state.store.insert_token(&hash, &driver.id, expires_at).await?;
    Ok(AuthToken { token, driver_id: driver.id.parse().map_err(AppError::internal)?, email: driver.email.clone() })
}

fn normalize_email(email: &str) -> Result<String, AppError> {
    let email = email.trim().to_lowercase();
    let plausible = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
        && !email.chars().any(char::is_whitespace);
    if plausible { Ok(email) } else { Err(AppError::invalid("Enter a valid email address.")) }
}
