//! The core's errors. Inside the core they carry what went wrong; at the FFI edge they become
//! [`crate::ChargeKitError`], a small enum whose message is a sentence for the driver.

use chargekit_model::api::{ApiError, ApiErrorCode};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// The backend could not be reached, or the connection broke.
    #[error("{0}")]
    Network(String),
    /// The backend answered with an error.
    #[error("{}", .0.message)]
    Api(ApiError),
    /// Input refused before anything was sent (an unreadable QR code, say).
    #[error("{0}")]
    InvalidInput(String),
    #[error("Please sign in first.")]
    NotSignedIn,
    /// The offline cache failed.
    #[error("The history on this phone could not be read or written: {0}")]
    Storage(String),
    /// The platform's secure store cannot answer now (a locked phone): nothing is lost, the
    /// same call works once it answers again. The cause is logged, not shown.
    #[error("The phone's secure storage can't be read right now (is the phone locked?). Nothing was lost: try again once it is unlocked.")]
    SecureStoreUnavailable,
    #[error("{0}")]
    Internal(String),
}

impl CoreError {
    pub fn network(cause: impl std::fmt::Display) -> Self {
        tracing::debug!(%cause, "network failure");
        Self::Network("Can't reach ChargeKit right now. Check your connection and try again.".into())
    }

    pub fn secure_store_unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::info!(%cause, "the secure store is unavailable");
        Self::SecureStoreUnavailable
    }

    pub fn api(code: ApiErrorCode, message: impl Into<String>) -> Self {
        Self::Api(ApiError { code, message: message.into() })
    }
}

impl From<sled::Error> for CoreError {
    fn from(e: sled::Error) -> Self {
        Self::Storage(e.to_string())
    }
}
