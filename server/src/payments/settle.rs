//! Settling a session's payment once the session is over: capture the final cost (at most the
//! hold) and release the rest, or release the whole hold when the session never started.
//!
//! Every attempt uses the same idempotency key — `capture:{session}` / `release:{session}` in
//! the ledger, `ck-capture-{session}` / `ck-void-{session}` at the card provider — so an attempt
//! whose answer was lost and is made again is applied once. Transient failures are retried
//! with a doubling delay, up to `payments.capture_attempts`; then, or on a refusal no retry
//! can fix, the payment is marked `failed` with the reason, for the operator. A shutdown in
//! between leaves it `held`; the next start settles it ([`super::Payments::resume`]).

use std::sync::Arc;
use std::time::Duration;

use chargekit_model::{Currency, Money, SessionStatus};

use super::ledger::Ledger;
use super::provider::ProviderError;
use crate::AppState;
use crate::store::{PaymentClose, PaymentRow, PostError, SessionRow};

/// The longest pause between two attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(300);

/// What to do with a held payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Take `amount_minor` (1 to the hold) and release the rest; `uncollected_minor` is the
    /// cost beyond the hold.
    Capture { amount_minor: i64, uncollected_minor: i64 },
    /// Give the whole hold back.
    Release,
}

/// The settlement a payment holding `held_minor` is due, given its session's status and cost
/// (`None`: the session was never stored), or `None` while the session goes on.
pub fn due(session: Option<(SessionStatus, i64)>, held_minor: i64) -> Option<Settlement> {
    let Some((status, cost)) = session else { return Some(Settlement::Release) };
    match status {
        SessionStatus::Failed => Some(Settlement::Release),
        SessionStatus::Completed if cost <= 0 => Some(Settlement::Release),
        SessionStatus::Completed => {
            let amount_minor = cost.min(held_minor);
            Some(Settlement::Capture { amount_minor, uncollected_minor: cost - amount_minor })
        }
        // A session held for review stays held until the operator decides.
        SessionStatus::Starting | SessionStatus::Charging | SessionStatus::Stopping | SessionStatus::UnderReview => None,
    }
}

fn due_for(session: Option<&SessionRow>, payment: &PaymentRow) -> Option<Settlement> {
    due(session.map(|s| (s.status(), s.cost.total_incl_vat_minor)), payment.held_minor)
}

enum AttemptError {
    /// Worth another try with the same key.
    Transient(String),
    /// No retry will fix it.
    Permanent(String),
}

/// Settles now what can be settled now (the wallet); hands the rest (a card, or a wallet
/// whose database write failed) to a background worker.
pub async fn settle(state: &Arc<AppState>, session_id: &str) {
    let Some((payment, settlement)) = pending(state, session_id).await else { return };
    if payment.method == "wallet" {
        match attempt(state, &payment, settlement).await {
            Ok(()) => return,
            Err(AttemptError::Transient(reason) | AttemptError::Permanent(reason)) => {
                tracing::warn!(%reason, session = session_id, "wallet settlement failed; retrying in the background");
            }
        }
    }
    spawn_worker(state.clone(), session_id.to_owned());
}

/// The payment, if it is held and its session is over.
async fn pending(state: &AppState, session_id: &str) -> Option<(PaymentRow, Settlement)> {
    let read = async {
        let Some(payment) = state.store.payment(session_id).await? else { return Ok(None) };
        if payment.status != "held" {
            return Ok(None);
        }
        let session = state.store.session(session_id).await?;
        Ok::<_, sqlx::Error>(due_for(session.as_ref(), &payment).map(|s| (payment, s)))
    };
    read.await.unwrap_or_else(|e| {
        tracing::error!(error = %e, session = session_id, "cannot read a payment to settle; it is settled at the next start");
        None
    })
}

fn spawn_worker(state: Arc<AppState>, session_id: String) {
    if !state.money.payments.settling.lock().expect("settling lock").insert(session_id.clone()) {
        return; // a worker runs for it already
    }
    tokio::spawn(async move {
        retry(&state, &session_id).await;
        state.money.payments.settling.lock().expect("settling lock").remove(&session_id);
    });
}

async fn retry(state: &Arc<AppState>, session_id: &str) {
    let config = &state.config.payments;
    let mut delay = config.capture_retry_delay;
    while let Some((payment, settlement)) = pending(state, session_id).await {
        let reason = match attempt(state, &payment, settlement).await {
            Ok(()) => return,
            Err(AttemptError::Permanent(reason)) => {
                fail(state, session_id, &reason).await;
                return;
            }
            Err(AttemptError::Transient(reason)) => reason,
        };
        let attempts = match state.store.record_payment_attempt(session_id, &reason).await {
            Ok(attempts) => attempts,
            Err(e) => {
                tracing::error!(error = %e, session = session_id, "cannot count a payment attempt; settled at the next start");
                return;
            }
        };
        tracing::warn!(%reason, attempts, session = session_id, "payment settlement failed");
        if attempts >= i64::from(config.capture_attempts) {
            fail(state, session_id, &format!("Gave up after {attempts} attempts: {reason}")).await;
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = state.shutdown.cancelled() => return,
        }
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

async fn fail(state: &AppState, session_id: &str, reason: &str) {
    tracing::error!(%reason, session = session_id, "payment could not be settled; marked failed for the operator");
    let close = PaymentClose { session_id, status: "failed", captured_minor: 0, uncollected_minor: 0, failure_reason: Some(reason) };
    if let Err(e) = state.store.close_payment(&close).await {
        tracing::error!(error = %e, session = session_id, "cannot mark a payment failed; settled at the next start");
    }
}

/// One try at a settlement.
async fn attempt(state: &AppState, payment: &PaymentRow, settlement: Settlement) -> Result<(), AttemptError> {
    let currency = Currency::new(&payment.currency).map_err(|e| AttemptError::Permanent(e.to_string()))?;
    match payment.method.as_str() {
        "wallet" => {
            let ledger = Ledger::new(&state.store);
            let posted = match settlement {
                Settlement::Capture { amount_minor, uncollected_minor } => ledger.capture(payment, amount_minor, uncollected_minor).await,
                Settlement::Release => ledger.release(payment).await,
            };
            match posted {
                // NotHeld: settled meanwhile by another path, which is what was wanted.
                Ok(_) | Err(PostError::NotHeld) => Ok(()),
                Err(PostError::Store(e)) => Err(AttemptError::Transient(e.to_string())),
                Err(e) => Err(AttemptError::Permanent(e.to_string())),
            }
        }
        _ => {
            let provider = state.money.payments.provider.as_ref().ok_or_else(|| {
                AttemptError::Permanent("no card provider is configured any more to settle this card payment".to_owned())
            })?;
            let reference = payment.provider_reference.as_deref().ok_or_else(|| AttemptError::Permanent("no authorization reference".to_owned()))?;
            let session_id = &payment.session_id;
            let close = match settlement {
                Settlement::Capture { amount_minor, uncollected_minor } => {
                    let key = format!("ck-capture-{session_id}");
                    let captured = provider.capture(reference, Money::new(amount_minor, currency), &key).await.map_err(attempt_error)?;
                    PaymentClose {
                        session_id,
                        status: "captured",
                        // What the provider says it took, within what the row allows.
                        captured_minor: captured.amount_minor.clamp(0, payment.held_minor),
                        uncollected_minor,
                        failure_reason: None,
                    }
                }
                Settlement::Release => {
                    provider.cancel(reference, &format!("ck-void-{session_id}")).await.map_err(attempt_error)?;
                    PaymentClose { session_id, status: "voided", captured_minor: 0, uncollected_minor: 0, failure_reason: None }
                }
            };
            // Done at the provider: if this write fails, the retry asks again with the same key
            // and gets the same answer.
            state.store.close_payment(&close).await.map(|_| ()).map_err(|e| AttemptError::Transient(e.to_string()))
        }
    }
}

fn attempt_error(error: ProviderError) -> AttemptError {
    if error.is_transient() { AttemptError::Transient(error.to_string()) } else { AttemptError::Permanent(error.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_cost_is_captured_up_to_the_hold() {
        let completed = |cost| Some((SessionStatus::Completed, cost));
        assert_eq!(due(completed(1234), 5000), Some(Settlement::Capture { amount_minor: 1234, uncollected_minor: 0 }));
        assert_eq!(due(completed(5000), 5000), Some(Settlement::Capture { amount_minor: 5000, uncollected_minor: 0 }));
        assert_eq!(due(completed(5017), 5000), Some(Settlement::Capture { amount_minor: 5000, uncollected_minor: 17 }));
        assert_eq!(due(completed(0), 5000), Some(Settlement::Release), "nothing to capture");
        assert_eq!(due(Some((SessionStatus::Failed, 0)), 5000), Some(Settlement::Release));
        assert_eq!(due(None, 5000), Some(Settlement::Release), "a start that never stored its session");
        for going_on in [SessionStatus::Starting, SessionStatus::Charging, SessionStatus::Stopping] {
            assert_eq!(due(Some((going_on, 100)), 5000), None);
        }
    }
}
