//! Paying from the app over the FFI: the method a session starts with, the wallet and its
//! top-ups, cards, and how a session was paid. Logic lives in [`crate::payments`].

use chargekit_model::api::{NewCard, PaymentChoice, PaymentMethod, PaymentMethodKind, PaymentStatus as ApiPaymentStatus, SessionPayment};

use super::{ChargeKit, Result};

/// How to pay for a session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Enum)]
pub enum Payment {
    /// The driver's default method (or unpaid, if they have none).
    Default,
    Wallet,
    Card { payment_method_id: String },
}

impl Payment {
    /// What a start names: no method for `Default` (the backend then uses the driver's default).
    pub(crate) fn choice(self) -> Option<PaymentChoice> {
        match self {
            Payment::Default => None,
            Payment::Wallet => Some(PaymentChoice::Wallet),
            Payment::Card { payment_method_id } => Some(PaymentChoice::Card { payment_method_id }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct WalletBalanceInfo {
    pub currency: String,
    pub currency_digits: u32,
    pub available_minor: i64,
    /// Reserved for sessions going on now.
    pub held_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaymentMethodInfo {
    /// `wallet`, or the card provider's payment-method id.
    pub id: String,
    pub is_wallet: bool,
    pub brand: Option<String>,
    pub last4: Option<String>,
    pub is_default: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PaymentState {
    Held,
    Captured,
    Released,
    Voided,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionPaymentInfo {
    pub is_wallet: bool,
    pub state: PaymentState,
    pub currency: String,
    pub currency_digits: u32,
    pub held_minor: i64,
    pub captured_minor: i64,
    /// Why charging ended early (the cost reached the amount held), if it did.
    pub note: Option<String>,
    pub failure_reason: Option<String>,
}

#[uniffi::export]
impl ChargeKit {
    pub async fn wallet(&self) -> Result<Vec<WalletBalanceInfo>> {
        self.run(|core| async move {
            let wallet = core.wallet().await?;
            Ok(wallet
                .balances
                .into_iter()
                .map(|b| WalletBalanceInfo {
                    currency: b.currency.to_string(),
                    currency_digits: b.currency.minor_digits(),
                    available_minor: b.available_minor,
                    held_minor: b.held_minor,
                })
                .collect())
        })
        .await
    }

    /// Adds money to the wallet; `payment_method_id` is the card that pays (none: test money,
    /// where the backend allows it). Safe to call again after a network error.
    pub async fn top_up(&self, amount_minor: i64, currency: String, payment_method_id: Option<String>) -> Result<()> {
        self.run(|core| async move { core.top_up(amount_minor, &currency, payment_method_id).await.map(|_| ()) }).await
    }

    pub async fn payment_methods(&self) -> Result<Vec<PaymentMethodInfo>> {
        self.run(|core| async move { core.payment_methods().await.map(|methods| methods.into_iter().map(method_info).collect()) }).await
    }

    /// Registers a card by the payment-method id the card provider's SDK gave the app.
    pub async fn add_card(&self, payment_method_id: String, brand: Option<String>, last4: Option<String>) -> Result<PaymentMethodInfo> {
        self.run(|core| async move { core.add_card(NewCard { payment_method_id, brand, last4 }).await.map(method_info) }).await
    }

    /// Makes the wallet (`payment_method_id` = None) or a card the default.
    pub async fn set_default_payment(&self, payment_method_id: Option<String>) -> Result<PaymentMethodInfo> {
        let choice = match payment_method_id {
            None => PaymentChoice::Wallet,
            Some(payment_method_id) => PaymentChoice::Card { payment_method_id },
        };
        self.run(|core| async move { core.set_default_payment(choice).await.map(method_info) }).await
    }

    /// How a session was (or is being) paid.
    pub async fn session_payment(&self, session_id: String) -> Result<SessionPaymentInfo> {
        self.run(|core| async move { core.session_payment(&session_id).await.map(payment_info) }).await
    }
}

fn method_info(method: PaymentMethod) -> PaymentMethodInfo {
    PaymentMethodInfo {
        id: method.id,
        is_wallet: method.kind == PaymentMethodKind::Wallet,
        brand: method.brand,
        last4: method.last4,
        is_default: method.is_default,
    }
}

fn payment_info(payment: SessionPayment) -> SessionPaymentInfo {
    SessionPaymentInfo {
        is_wallet: payment.method == PaymentMethodKind::Wallet,
        state: match payment.status {
            ApiPaymentStatus::Held => PaymentState::Held,
            ApiPaymentStatus::Captured => PaymentState::Captured,
            ApiPaymentStatus::Released => PaymentState::Released,
            ApiPaymentStatus::Voided => PaymentState::Voided,
            ApiPaymentStatus::Failed => PaymentState::Failed,
        },
        currency: payment.currency.to_string(),
        currency_digits: payment.currency.minor_digits(),
        held_minor: payment.held_minor,
        captured_minor: payment.captured_minor,
        note: payment.note,
        failure_reason: payment.failure_reason,
    }
}
