//! Driver authentication: Argon2id password hashes (computed off the async threads) and
//! opaque random bearer tokens stored as SHA-256.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
use tokio::sync::Semaphore;

use crate::AppState;
use crate::error::AppError;
use crate::store::DriverRow;

/// Hashes a password on a blocking thread, unbounded: for the start-up (operators from the
/// config, one after the other). Requests go through [`PasswordHashing`].
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_now(&password)).await.map_err(AppError::internal)?
}

fn hash_now(password: &str) -> Result<String, AppError> {
    Argon2::default().hash_password(password.as_bytes()).map(|hash| hash.to_string()).map_err(AppError::internal)
}

fn verify_now(password: &str, stored: &str) -> Result<bool, AppError> {
    let parsed = PasswordHash::new(stored).map_err(AppError::internal)?;
    Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Bounds the password hashing and verifying running at once, to about the core count. Each
/// Argon2 run takes 19 MiB and a core for a while: unbounded, a hundred parallel registrations
/// took the server's memory past a gigabyte and every other request waited for a core. A
/// request waits here (holding only its password) for a permit; the permit goes to the blocking
/// thread with the work, so a client that gives up does not free it before the work ends.
pub struct PasswordHashing {
    permits: Arc<Semaphore>,
    bound: usize,
    gauge: Arc<Gauge>,
}

/// Password work running now and at most so far, against the bound
/// (see [`crate::RunningServer::password_hashing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordHashingLoad {
    pub bound: usize,
    pub running: usize,
    pub peak: usize,
}

#[derive(Default)]
struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl PasswordHashing {
    pub fn new(bound: usize) -> Self {
        let bound = bound.max(1);
        Self { permits: Arc::new(Semaphore::new(bound)), bound, gauge: Arc::default() }
    }

    /// As many at once as the machine has cores.
    pub fn for_this_machine() -> Self {
        Self::new(std::thread::available_parallelism().map_or(1, usize::from))
    }

    pub fn load(&self) -> PasswordHashingLoad {
        PasswordHashingLoad {
            bound: self.bound,
            running: self.gauge.running.load(Ordering::SeqCst),
            peak: self.gauge.peak.load(Ordering::SeqCst),
        }
    }

    /// Runs `work` on a blocking thread once a permit is free.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> Result<T, AppError> + Send + 'static) -> Result<T, AppError> {
        let permit = self.permits.clone().acquire_owned().await.map_err(AppError::internal)?;
        let gauge = self.gauge.clone();
        tokio::task::spawn_blocking(move || {
            let running = gauge.running.fetch_add(1, Ordering::SeqCst) + 1;
            gauge.peak.fetch_max(running, Ordering::SeqCst);
            let result = work();
            gauge.running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            result
        })
        .await
        .map_err(AppError::internal)?
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_now(&password)).await
    }

    /// Whether `password` matches the stored PHC string.
    pub async fn verify(&self, password: String, stored: String) -> Result<bool, AppError> {
        self.run(move || verify_now(&password, &stored)).await
    }

    /// Checks a password against the stored hash of an account that may not exist: without
    /// an account, a hash of a random password is checked instead, so that the answer takes as
    /// long and does not tell which emails have accounts.
    pub async fn verify_of(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let exists = stored.is_some();
        let stored = match stored {
            Some(hash) => hash,
            None => match DUMMY.get() {
                Some(hash) => hash.clone(),
                None => {
                    let hash = self.hash(URL_SAFE_NO_PAD.encode(random_bytes::<16>())).await?;
                    DUMMY.get_or_init(|| hash).clone()
                }
            },
        };
        Ok(self.verify(password, stored).await? && exists)
    }
}

impl crate::RunningServer {
    /// The server's password hashing: how many run now, the most that ever ran at once, and
    /// the bound (about the core count). For tests and diagnostics.
    pub fn password_hashing(&self) -> PasswordHashingLoad {
        self.state.clients.accounts.password_hashing.load()
    }
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

/// The sign-in a request was made with: its driver, the access token used, its sign-in family
/// and expiry. Sign-out ends that sign-in whatever refresh token it is sent; a live stream ends
/// with it or with the token.
pub struct AuthedSignIn {
    pub driver: DriverRow,
    pub token_sha256: String,
    /// The sign-in family: a sign-out or a reused refresh token revokes it (none for a token
    /// issued before sign-ins had families).
    pub family_id: Option<String>,
    /// When the access token used stops working.
    pub expires_at: time::OffsetDateTime,
}

impl AuthedSignIn {
    /// The key the sign-in's live streams are kept under: its family, or for a token from
    /// before families, the token alone (it is a sign-in of its own).
    pub fn sign_in_key(&self) -> String {
        sign_in_key(self.family_id.as_deref(), &self.token_sha256)
    }

    /// Whether the access token still works (a sign-out since the request began revokes it).
    pub async fn still_valid(&self, state: &AppState) -> Result<bool, AppError> {
        Ok(state.store.sign_in_by_token(&self.token_sha256).await?.is_some())
    }
}

/// See [`AuthedSignIn::sign_in_key`].
pub fn sign_in_key(family_id: Option<&str>, token_sha256: &str) -> String {
    match family_id {
        Some(family) => family.to_owned(),
        None => format!("token:{token_sha256}"),
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
        Ok(Self { driver, token_sha256, family_id, expires_at })
    }
}

/// The signed-in operator of a request (their username). Driver tokens are not operator
/// tokens: they live in another table.
pub struct AuthedOperator(pub String);

/// The operator's own sign-in, for ending it: the bearer token's hash and its operator.
pub struct OperatorSignIn {
    pub username: String,
    pub token_sha256: String,
}

impl FromRequestParts<Arc<AppState>> for OperatorSignIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, AppError> {
        let token = bearer(parts).ok_or_else(|| AppError::unauthorized("Operators sign in at /v1/operator/sign-in."))?;
        let token_sha256 = token_hash(token);
        let username = state.store.operator_by_token(&token_sha256).await?.ok_or_else(|| AppError::unauthorized("Operator sign-in required."))?;
        Ok(Self { username, token_sha256 })
    }
}

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
        let hashing = PasswordHashing::new(2);
        let hash = hashing.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hashing.verify("correct horse".into(), hash.clone()).await.unwrap());
        assert!(!hashing.verify("wrong horse".into(), hash).await.unwrap());
        assert!(!hashing.verify_of("correct horse".into(), None).await.unwrap(), "no account, no match");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_work_runs_at_once_than_the_bound() {
        let hashing = Arc::new(PasswordHashing::new(2));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let hashing = hashing.clone();
                tokio::spawn(async move {
                    hashing.run(|| {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        Ok(())
                    })
                    .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let load = hashing.load();
        assert!(load.peak >= 1 && load.peak <= 2, "{load:?}");
        assert_eq!(load.running, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_that_gives_up_keeps_the_permit_until_its_work_ends() {
        let hashing = Arc::new(PasswordHashing::new(1));
        let (started, started_rx) = std::sync::mpsc::channel();
        let (finish, finish_rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let hashing = hashing.clone();
            tokio::spawn(async move {
                hashing.run(move || {
                    started.send(()).unwrap();
                    finish_rx.recv().unwrap();
                    Ok(())
                })
                .await
            })
        };
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap()).await.unwrap();
        first.abort();
        let _ = first.await;
        assert_eq!(hashing.permits.available_permits(), 0, "the work still runs, and holds the permit");
        finish.send(()).unwrap();
        hashing.run(|| Ok(())).await.unwrap();
        assert_eq!(hashing.load().peak, 1);
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
