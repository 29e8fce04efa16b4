//! Driver authentication: Argon2id password hashes (computed off the async threads) and
//! opaque random bearer tokens stored as SHA-256.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};

use crate::AppState;
use crate::error::AppError;
use crate::store::DriverRow;

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string())
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

/// Whether `password` matches the stored PHC string.
pub async fn verify_password(password: String, stored: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored).map_err(AppError::internal)?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(AppError::internal)?
}

/// Checks a password against the stored hash of an account that may not exist: without an
/// account, a hash of a random password is checked instead, so that the answer takes as long
/// and does not tell which emails have accounts.
pub async fn verify_password_of(password: String, stored: Option<String>) -> Result<bool, AppError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let exists = stored.is_some();
    let stored = match stored {
        Some(hash) => hash,
        None => match DUMMY.get() {
            Some(hash) => hash.clone(),
            None => {
                let hash = hash_password(URL_SAFE_NO_PAD.encode(random_bytes::<16>())).await?;
                DUMMY.get_or_init(|| hash).clone()
            }
        },
    };
    Ok(verify_password(password, stored).await? && exists)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The system RNG failing is not something a server can recover from.
    SystemRandom::new().fill(&mut bytes).expect("system random number generator");
    bytes
}

/// A new bearer token; returns the token to hand out and the hash to store.
pub fn new_token() -> (String, String) {
    let token = URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(digest(&SHA256, token.as_bytes()))
}

/// An OCPP idTag for a driver's app sessions: 20 characters, the maximum of OCPP's CiString20.
pub fn new_app_id_tag() -> String {
    format!("CK{}", hex::encode_upper(random_bytes::<9>()))
}

/// The signed-in driver of a request (from `Authorization: Bearer <token>`).
pub struct AuthedDriver(pub DriverRow);

impl FromRequestParts<Arc<AppState>> for AuthedDriver {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("Please sign in."))?;
        state
            .store
            .driver_by_token(&token_hash(token))
            .await?
            .map(AuthedDriver)
            .ok_or_else(|| AppError::unauthorized("Your sign-in has expired. Please sign in again."))
    }
}

/// The signed-in driver of a request with the sign-in its access token belongs to: for what
/// must end with the sign-in or the token (a live stream).
pub struct AuthedSignIn {
    pub driver: DriverRow,
    /// The sign-in family: a sign-out or a reused refresh token revokes it.
    pub family_id: String,
    /// When the access token used stops working.
    pub expires_at: time::OffsetDateTime,
    token_sha256: String,
}

impl AuthedSignIn {
    /// Whether the access token still works (a sign-out since the request began revokes it).
    pub async fn still_valid(&self, state: &AppState) -> Result<bool, AppError> {
        Ok(state.store.sign_in_by_token(&self.token_sha256).await?.is_some())
    }
}

impl FromRequestParts<Arc<AppState>> for AuthedSignIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("Please sign in."))?;
        let token_sha256 = token_hash(token);
        let (driver, family_id, expires_at) = state
            .store
            .sign_in_by_token(&token_sha256)
            .await?
            .ok_or_else(|| AppError::unauthorized("Your sign-in has expired. Please sign in again."))?;
        // A token from before sign-ins had families is a sign-in of its own.
        let family_id = family_id.unwrap_or_else(|| format!("token:{token_sha256}"));
        Ok(Self { driver, family_id, expires_at, token_sha256 })
    }
}

/// The signed-in operator of a request (their username). Driver tokens are not operator
/// tokens: they live in another table.
pub struct AuthedOperator(pub String);

impl FromRequestParts<Arc<AppState>> for AuthedOperator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("Operators sign in at /v1/operator/sign-in."))?;
        state
            .store
            .operator_by_token(&token_hash(token))
            .await?
            .map(AuthedOperator)
            .ok_or_else(|| AppError::unauthorized("Operator sign-in required."))
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("wrong horse".into(), hash).await.unwrap());
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, hash_a) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_a, token_hash(&a));
        assert_eq!(hash_a.len(), 64);
        let tag = new_app_id_tag();
        assert_eq!(tag.len(), 20);
        assert!(tag.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
