//! The card provider, behind a trait: authorize (a hold on the card) before the charger starts,
//! capture the final amount at the end, cancel when the session never started or cost nothing.
//!
//! Every call carries an idempotency key the caller derives from the session (or the driver's
//! top-up key), so a call retried after a timeout or a lost answer is applied once by the
//! provider. The futures are boxed so the server can hold any provider as
//! `Arc<dyn PaymentProvider>` (an `async fn` in a trait is not object-safe).

use futures_util::future::BoxFuture;

use chargekit_model::Money;

/// A hold the provider placed on a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The provider's reference to capture or cancel it with (Stripe: the PaymentIntent id).
    pub reference: String,
    /// What the provider can capture (the amount asked, unless it says otherwise).
    pub amount_minor: i64,
}

/// A capture the provider made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    pub amount_minor: i64,
}

/// Why a provider call did not succeed, sorted by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The card was declined; `message` can be shown to the driver (the provider writes it for
    /// that purpose).
    #[error("card declined ({code}): {message}")]
    Declined { code: String, message: String },
    /// The provider or the way to it failed in a way a retry with the same idempotency key may
    /// fix: a network error, a timeout, 429, 5xx, a concurrent request with the same key.
    #[error("card provider unavailable: {0}")]
    Transient(String),
    /// The provider refused the request and will refuse it again (a bad key, an unknown
    /// payment method, a PaymentIntent in the wrong state).
    #[error("card provider refused the request: {0}")]
    Rejected(String),
}

impl ProviderError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

pub type ProviderResult<T> = Result<T, ProviderError>;

pub trait PaymentProvider: Send + Sync {
    /// Places a hold of `amount` on the card `payment_method` (the provider's id for it).
    fn authorize<'a>(&'a self, amount: Money, payment_method: &'a str, idempotency_key: &'a str) -> BoxFuture<'a, ProviderResult<Authorization>>;

    /// Takes `amount` (at most what was authorized) and releases the rest of the hold.
    fn capture<'a>(&'a self, authorization: &'a str, amount: Money, idempotency_key: &'a str) -> BoxFuture<'a, ProviderResult<Captured>>;

    /// Releases the whole hold.
    fn cancel<'a>(&'a self, authorization: &'a str, idempotency_key: &'a str) -> BoxFuture<'a, ProviderResult<()>>;
}
