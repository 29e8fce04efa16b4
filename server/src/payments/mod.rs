//! Pay per session: a hold before the charger is asked to start, the final cost captured at
//! the end and the rest released, and the charger stopped when the running cost reaches the
//! hold.
//!
//! A driver pays from their prepaid wallet (a double-entry ledger, [`ledger`]) or with a card
//! through a [`PaymentProvider`] (Stripe's PaymentIntents, [`stripe`]). The hook points in the
//! session's life, called from `sessions.rs`:
//! - [`Payments::plan`] and [`Payments::hold_for_start`] before RemoteStartTransaction is sent:
//!   a refusal (not enough in the wallet, a declined card) is the driver's answer, and the
//!   charger never hears of the session;
//! - [`Payments::settle`] once the session is final: completed → capture its cost (at most the
//!   hold); failed, or never stored → release the hold or void the authorization. The wallet
//!   settles at once; a card settles in the background with retries under one idempotency
//!   key ([`settle`]), and a payment that cannot be settled ends `failed`, with the reason;
//! - [`Payments::hold_reached`] after each repricing: true once when the cost reached the hold.
//!
//! At start-up, [`Payments::resume`] settles what a previous run left held.

pub mod ledger;
mod methods;
pub mod provider;
mod settle;
pub mod stripe;
mod wallet;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chargekit_model::api::{ApiErrorCode, PaymentChoice, PaymentMethodKind, PaymentStatus, SessionPayment};
use chargekit_model::{Currency, Money, SessionStatus};
use time::OffsetDateTime;

use crate::AppState;
use crate::config::PaymentsConfig;
use crate::error::AppError;
use crate::store::{NewPayment, PaymentRow, PostError, SessionRow, StoreError};
use ledger::Ledger;
pub use provider::PaymentProvider;
use provider::ProviderError;

/// What the payments share for the server's lifetime.
pub struct PaymentsRuntime {
    provider: Option<Arc<dyn PaymentProvider>>,
    /// Sessions being settled in the background now, so a second trigger does not start a
    /// second worker (a second one would be harmless, only wasteful: keys and state guards
    /// make it a no-op).
    settling: Mutex<HashSet<String>>,
}

impl PaymentsRuntime {
    pub fn new(config: &PaymentsConfig) -> Result<Self, String> {
        if config.hold_minor <= 0 {
            return Err("payments.hold_minor must be more than zero".to_owned());
        }
        if config.capture_attempts == 0 {
            return Err("payments.capture_attempts must be at least 1".to_owned());
        }
        if config.max_top_up_minor <= 0 {
            return Err("payments.max_top_up_minor must be more than zero".to_owned());
        }
        let provider = config.card.as_ref().map(stripe::Stripe::shared).transpose()?;
        Ok(Self { provider, settling: Mutex::default() })
    }
}

/// How a start is paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    Wallet,
    Card { payment_method_id: String },
}

/// The payment service, borrowed from the app state.
pub struct Payments<'a> {
    state: &'a Arc<AppState>,
}

impl<'a> Payments<'a> {
    pub fn new(state: &'a Arc<AppState>) -> Self {
        Self { state }
    }

    fn config(&self) -> &PaymentsConfig {
        &self.state.config.payments
    }

    fn provider(&self) -> Result<&Arc<dyn PaymentProvider>, AppError> {
        self.state.money.payments.provider.as_ref().ok_or_else(|| {
            AppError::invalid("Card payments are not available on this service. Pay from your wallet instead.")
        })
    }

    /// Which method pays for a start: the one the driver chose, else their default, else the
    /// wallet — or none where the operator allows unpaid charging (a free or invoiced site).
    /// Nobody charges unpaid by default: a wallet short of the hold refuses the start (402).
    pub async fn plan(&self, driver_id: &str, choice: Option<&PaymentChoice>) -> Result<Option<Plan>, AppError> {
        let choice = match choice {
            Some(choice) => choice.clone(),
            None => match self.state.store.default_payment_method(driver_id).await? {
                Some(method) => methods::choice_of(&method),
                None if self.config().unpaid_charging => return Ok(None),
                None => PaymentChoice::Wallet,
            },
        };
        match choice {
            PaymentChoice::Wallet => Ok(Some(Plan::Wallet)),
            PaymentChoice::Card { payment_method_id } => {
                self.provider()?;
                self.state.store.card_of(driver_id, &payment_method_id).await?.ok_or_else(unknown_card)?;
                Ok(Some(Plan::Card { payment_method_id }))
            }
        }
    }

    /// Whether a start by card or Plug & Charge could be paid (checked at Authorize, before the
    /// hold is placed at StartTransaction): unpaid charging allowed, a default card, or a
    /// wallet holding the hold. `Some(reason)` when it could not.
    pub async fn cannot_pay(&self, driver_id: &str, currency: Currency) -> Result<Option<&'static str>, StoreError> {
        if self.config().unpaid_charging {
            return Ok(None);
        }
        if let Some(method) = self.state.store.default_payment_method(driver_id).await?
            && method.kind == "card"
        {
            return Ok(None);
        }
        let balance = self.state.store.wallet_balance(driver_id, currency).await?;
        Ok((balance < self.config().hold_minor).then_some("no way to pay: the wallet holds less than a session's hold"))
    }

    /// Places the hold for a session about to start, before the charger is asked: the wallet
    /// moves the hold to the holds account, a card is authorized for it. Either way the
    /// session's payment is stored `held` before this returns.
    pub async fn hold_for_start(&self, driver_id: &str, session_id: &str, plan: &Plan, currency: Currency) -> Result<(), AppError> {
        let amount = Money::new(self.config().hold_minor, currency);
        match plan {
            Plan::Wallet => match Ledger::new(&self.state.store).hold(driver_id, session_id, amount).await {
                Ok(_) => Ok(()),
                Err(PostError::InsufficientFunds { available_minor }) => Err(insufficient_funds(Money::new(available_minor, currency), amount)),
                Err(e) => Err(AppError::internal(e)),
            },
            Plan::Card { payment_method_id } => {
                let provider = self.provider()?;
                let key = format!("ck-hold-{session_id}");
                let authorization = provider.authorize(amount, payment_method_id, &key).await.map_err(card_refusal)?;
                let held_minor = match authorization.amount_minor {
                    held if held > 0 => held.min(amount.amount_minor),
                    _ => amount.amount_minor,
                };
                let payment = NewPayment {
                    session_id,
                    driver_id,
                    method: "card",
                    provider_payment_method_id: Some(payment_method_id),
                    currency,
                    held_minor,
                    provider_reference: Some(&authorization.reference),
                };
                if let Err(e) = self.state.store.insert_payment(&payment).await {
                    // Not recorded, so not started: give the hold back now.
                    let cancelled = provider.cancel(&authorization.reference, &format!("ck-void-{session_id}")).await;
                    tracing::error!(error = %e, ?cancelled, session = session_id, "could not record a card authorization");
                    return Err(AppError::internal(e));
                }
                Ok(())
            }
        }
    }

    /// Settles the session's payment if the session is over (or was never stored): the
    /// wallet at once, a card in the background. Never fails its caller: what cannot be done
    /// now is retried, and at worst left `held` for [`Payments::resume`].
    pub async fn settle(&self, session_id: &str) {
        settle::settle(self.state, session_id).await;
    }

    /// At start-up: settles payments a previous run left held for sessions that are over, or
    /// whose start never got as far as storing the session.
    pub async fn resume(&self) -> Result<(), StoreError> {
        for session_id in self.state.store.unsettled_payments(OffsetDateTime::now_utc()).await? {
            settle::settle(self.state, &session_id).await;
        }
        Ok(())
    }

    /// Whether the running cost of a charging session has reached its hold: `Some(note)` once
    /// (recorded, so every later call says `None`) — the caller asks the charger to stop.
    pub async fn hold_reached(&self, session: &SessionRow) -> Result<Option<String>, StoreError> {
        if session.status() != SessionStatus::Charging {
            return Ok(None);
        }
        let Some(payment) = self.state.store.payment(&session.id).await? else { return Ok(None) };
        if payment.status != "held" || payment.stop_requested_at.is_some() || session.cost.total_incl_vat_minor < payment.held_minor {
            return Ok(None);
        }
        let held = Currency::new(&payment.currency).map(|c| Money::new(payment.held_minor, c).to_string()).unwrap_or_default();
        let note = format!("Charging was stopped when the cost reached the {held} held for this session.");
        Ok(self.state.store.mark_stop_requested(&session.id, &note).await?.then_some(note))
    }

    /// The stop could not be sent: the next meter values try again.
    pub async fn stop_not_sent(&self, session_id: &str) {
        if let Err(e) = self.state.store.clear_stop_requested(session_id).await {
            tracing::error!(error = %e, session = session_id, "could not clear a stop request");
        }
    }

    /// The payment of one of the driver's sessions (the caller checked the session is theirs).
    pub async fn of_session(&self, session_id: &str) -> Result<SessionPayment, AppError> {
        let payment = self.state.store.payment(session_id).await?.ok_or_else(|| AppError::not_found("This session is not paid through the app."))?;
        view(&payment)
    }
}

fn view(payment: &PaymentRow) -> Result<SessionPayment, AppError> {
    let status = match payment.status.as_str() {
        "held" => PaymentStatus::Held,
        "captured" => PaymentStatus::Captured,
        "released" => PaymentStatus::Released,
        "voided" => PaymentStatus::Voided,
        _ => PaymentStatus::Failed,
    };
    Ok(SessionPayment {
        session_id: payment.session_id.parse().map_err(AppError::internal)?,
        method: if payment.method == "card" { PaymentMethodKind::Card } else { PaymentMethodKind::Wallet },
        payment_method_id: payment.provider_payment_method_id.clone(),
        status,
        currency: Currency::new(&payment.currency).map_err(AppError::internal)?,
        held_minor: payment.held_minor,
        captured_minor: payment.captured_minor,
        uncollected_minor: payment.uncollected_minor,
        note: payment.note.clone(),
        failure_reason: payment.failure_reason.clone().filter(|_| payment.status == "failed"),
    })
}

/// 402: the payment, not the request, is what failed.
fn payment_required(message: impl Into<String>) -> AppError {
    AppError::new(StatusCode::PAYMENT_REQUIRED, ApiErrorCode::PaymentRefused, message)
}

fn insufficient_funds(available: Money, needed: Money) -> AppError {
    let missing = Money::new(needed.amount_minor - available.amount_minor, needed.currency);
    payment_required(format!(
        "Your wallet has {available}, and charging here holds {needed} until the session ends (you pay only what it costs; \
         the rest comes back). Top up at least {missing}, or pay by card."
    ))
}

/// A card the provider would not authorize (or charge): the provider's message is written for
/// the card holder.
fn card_refusal(error: ProviderError) -> AppError {
    match error {
        ProviderError::Declined { message, .. } => payment_required(format!("Your card was not accepted: {message} Try another card or your wallet.")),
        ProviderError::Transient(cause) => {
            tracing::warn!(%cause, "card provider unavailable");
            AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ApiErrorCode::Internal,
                "Card payments are not answering right now. Try again in a moment, or pay from your wallet.",
            )
        }
        ProviderError::Rejected(cause) => {
            tracing::error!(%cause, "card provider refused a request");
            payment_required("This card cannot be used. Register it again, or use another card or your wallet.")
        }
    }
}

fn unknown_card() -> AppError {
    AppError::not_found("No such card. Register it under payment methods first.")
}
