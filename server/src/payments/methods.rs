//! The driver's payment methods: the wallet (always there) and the cards they registered, one
//! of them the default a start without a payment method uses.

use chargekit_model::api::{NewCard, PaymentChoice, PaymentMethod, PaymentMethodKind};

use super::{Payments, unknown_card};
use crate::error::AppError;
use crate::store::PaymentMethodRow;

/// The id the API gives the wallet; a card's is the provider's payment-method id.
pub const WALLET_ID: &str = "wallet";
const MAX_PROVIDER_ID_LEN: usize = 255;
const MAX_BRAND_LEN: usize = 32;

pub fn choice_of(row: &PaymentMethodRow) -> PaymentChoice {
    match &row.provider_payment_method_id {
        Some(id) if row.kind == "card" => PaymentChoice::Card { payment_method_id: id.clone() },
        _ => PaymentChoice::Wallet,
    }
}

fn view(row: &PaymentMethodRow) -> PaymentMethod {
    match choice_of(row) {
        PaymentChoice::Wallet => PaymentMethod { id: WALLET_ID.to_owned(), kind: PaymentMethodKind::Wallet, brand: None, last4: None, is_default: row.is_default },
        PaymentChoice::Card { payment_method_id } => PaymentMethod {
            id: payment_method_id,
            kind: PaymentMethodKind::Card,
            brand: row.brand.clone(),
            last4: row.last4.clone(),
            is_default: row.is_default,
        },
    }
}

impl Payments<'_> {
    /// The wallet first, then the cards in the order they were registered.
    pub async fn methods(&self, driver_id: &str) -> Result<Vec<PaymentMethod>, AppError> {
        let rows = self.state.store.payment_methods_of(driver_id).await?;
        let mut methods: Vec<PaymentMethod> = rows.iter().map(view).collect();
        if !methods.iter().any(|m| m.kind == PaymentMethodKind::Wallet) {
            // Its row is written the first time it is made the default.
            methods.insert(0, PaymentMethod { id: WALLET_ID.to_owned(), kind: PaymentMethodKind::Wallet, brand: None, last4: None, is_default: false });
        }
        Ok(methods)
    }

    /// Registers a card by the payment-method id the provider's SDK gave the app. The brand
    /// and last four digits are for display only; the provider checks the card when it is
    /// first authorized.
    pub async fn register_card(&self, driver_id: &str, card: &NewCard) -> Result<PaymentMethod, AppError> {
        self.provider()?;
        let id = card.payment_method_id.trim();
        if id.is_empty() || id.len() > MAX_PROVIDER_ID_LEN || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(AppError::invalid("That is not a card's payment-method id (letters, digits, '_' and '-', up to 255)."));
        }
        let brand = card.brand.as_deref().map(str::trim).filter(|b| !b.is_empty());
        if brand.is_some_and(|b| b.chars().count() > MAX_BRAND_LEN) {
            return Err(AppError::invalid(format!("A card brand of at most {MAX_BRAND_LEN} characters, please.")));
        }
        let last4 = card.last4.as_deref().map(str::trim);
        if last4.is_some_and(|l| l.len() != 4 || !l.chars().all(|c| c.is_ascii_digit())) {
            return Err(AppError::invalid("last4 is the card's last four digits."));
        }
        let row = self
            .state
            .store
            .upsert_card(driver_id, id, brand, last4)
            .await?
            .ok_or_else(|| AppError::conflict("This card is registered to another account."))?;
        Ok(view(&row))
    }

    /// Makes the wallet or one of the driver's cards their default.
    pub async fn set_default(&self, driver_id: &str, choice: &PaymentChoice) -> Result<PaymentMethod, AppError> {
        let card = match choice {
            PaymentChoice::Wallet => None,
            PaymentChoice::Card { payment_method_id } => Some(payment_method_id.as_str()),
        };
        if !self.state.store.set_default_payment_method(driver_id, card).await? {
            return Err(unknown_card());
        }
        let default = self.state.store.default_payment_method(driver_id).await?.ok_or_else(|| AppError::internal("the new default vanished"))?;
        Ok(view(&default))
    }
}
