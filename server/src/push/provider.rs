//! What a push provider is asked to deliver, and what it can answer.

use chargekit_model::driver_events::DriverEvent;
use chargekit_model::{Session, SessionStatus};
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// One push as queued in the outbox (its JSON): the event, and the session's figures at the
/// time for a Live Activity's content state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMessage {
    pub event: DriverEvent,
    pub live: LiveFigures,
}

/// What a Live Activity shows (its `content-state`): kinds and numbers, no sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveFigures {
    pub status: SessionStatus,
    pub energy_wh: i64,
    pub power_w: i64,
    pub duration_seconds: i64,
    pub cost_minor: i64,
    pub currency: String,
    /// Unix seconds of the session's state.
    pub at: i64,
}

impl LiveFigures {
    pub fn of(session: &Session, at: time::OffsetDateTime) -> Self {
        Self {
            status: session.status,
            energy_wh: session.energy_wh,
            power_w: session.power_w,
            duration_seconds: session.duration_seconds,
            cost_minor: session.cost.total_incl_vat_minor,
            currency: session.cost.currency.to_string(),
            at: at.unix_timestamp(),
        }
    }
}

/// Where a push goes: the provider's device token, and whether it is a Live Activity's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device<'a> {
    pub token: &'a str,
    pub live_activity: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The provider says the token is no longer valid: delete it.
    #[error("the device token is gone: {0}")]
    Gone(String),
    /// Worth another try later (network, 429, 5xx, an expired provider token).
    #[error("{0}")]
    Transient(String),
    /// No retry will fix this push (a payload the provider refuses).
    #[error("{0}")]
    Permanent(String),
}

/// A push service: Firebase Cloud Messaging, APNs, or a test's.
pub trait PushProvider: Send + Sync {
    fn send<'a>(&'a self, device: Device<'a>, message: &'a PushMessage) -> BoxFuture<'a, Result<(), PushError>>;
}

/// Classifies an HTTP status that is not a success and not a "gone" answer.
pub fn transient_or_permanent(status: reqwest::StatusCode, body: &str) -> PushError {
    let text = format!("HTTP {status}: {}", body.chars().take(300).collect::<String>());
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS || status == reqwest::StatusCode::REQUEST_TIMEOUT {
        PushError::Transient(text)
    } else {
        PushError::Permanent(text)
    }
}

/// A request that never got an answer.
pub fn network(error: reqwest::Error) -> PushError {
    PushError::Transient(format!("no answer: {error}"))
}
