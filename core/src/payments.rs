//! Paying for sessions from the app: the wallet (balance, top-ups), the driver's payment
//! methods, the method a session is started with, and how a session was paid. Top-ups are
//! commands with an idempotency key: a retry after a dropped answer is applied once.

use std::time::Duration;

use chargekit_model::api::{NewCard, PaymentChoice, PaymentMethod, SessionPayment, TopUp, TopUpRequest, Wallet};
use chargekit_model::{Currency, EvseId, Session};

use crate::engine::Core;
use crate::error::CoreError;

/// Attempts of a top-up over a flaky network, with the same idempotency key.
const TOP_UP_ATTEMPTS: u32 = 3;
const TOP_UP_RETRY_DELAY: Duration = Duration::from_millis(500);

impl Core {
    /// Starts charging, paying with `payment` (absent: the driver's default method). A refused
    /// payment (too little in the wallet, a declined card) fails before the charger is asked.
    pub async fn start_paid_session(&self, evse_id: &str, payment: Option<PaymentChoice>) -> Result<Session, CoreError> {
        let evse_id = EvseId::parse(evse_id).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        self.start_session_paying(evse_id, payment).await
    }

    pub async fn wallet(&self) -> Result<Wallet, CoreError> {
        self.authed(|token| async move { self.client.wallet(&token).await }).await
    }

    /// Adds money to the wallet, paid with a registered card (or test money where the backend
    /// allows it).
    pub async fn top_up(&self, amount_minor: i64, currency: &str, payment_method_id: Option<String>) -> Result<TopUp, CoreError> {
        if amount_minor <= 0 {
            return Err(CoreError::InvalidInput("Choose an amount above zero.".into()));
        }
        let currency = Currency::new(currency).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let request = TopUpRequest { amount_minor, currency, payment_method_id };
        let key = uuid::Uuid::new_v4().to_string();
        let mut attempt = 1;
        loop {
            let outcome = self
                .authed(|token| {
                    let (request, key) = (request.clone(), key.clone());
                    async move { self.client.top_up(&token, &request, &key).await }
                })
                .await;
            match outcome {
                Err(CoreError::Network(_)) if attempt < TOP_UP_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(TOP_UP_RETRY_DELAY).await;
                }
                other => return other,
            }
        }
    }

    pub async fn payment_methods(&self) -> Result<Vec<PaymentMethod>, CoreError> {
        self.authed(|token| async move { self.client.payment_methods(&token).await }).await
    }

    /// Registers a card by the payment-method id the card provider's SDK gave the app.
    pub async fn add_card(&self, card: NewCard) -> Result<PaymentMethod, CoreError> {
        self.authed(|token| {
            let card = card.clone();
            async move { self.client.add_card(&token, &card).await }
        })
        .await
    }

    pub async fn set_default_payment(&self, choice: PaymentChoice) -> Result<PaymentMethod, CoreError> {
        self.authed(|token| {
            let choice = choice.clone();
            async move { self.client.set_default_payment(&token, &choice).await }
        })
        .await
    }

    /// How a session is paid: held, captured, released… The hold is remembered for the
    /// driver's "hold reached" event.
    pub async fn session_payment(&self, session_id: &str) -> Result<SessionPayment, CoreError> {
        let payment = self.authed(|token| async move { self.client.session_payment(&token, session_id).await }).await?;
        self.events.note_hold(payment.session_id, payment.held_minor);
        Ok(payment)
    }
}
