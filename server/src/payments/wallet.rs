//! The driver's wallet: balances per currency and top-ups.
//!
//! A top-up is applied once per `Idempotency-Key`: a retry (same key, same amount and
//! currency) answers the first top-up; the same key for another amount is refused. A top-up
//! is paid by a registered card — authorized and captured at once at the provider, under keys
//! derived from the driver's key, so a retry after a lost answer is not charged twice — or,
//! where the operator turned on `payments.free_top_ups`, is test money.

use chargekit_model::api::{TopUp, TopUpRequest, Wallet, WalletBalance};
use chargekit_model::{Currency, Money};

use super::ledger::{Ledger, top_up_key};
use super::{Payments, card_refusal, unknown_card};
use crate::error::AppError;
use crate::store::{LedgerTransactionRow, PostError};

/// The ledger reference of a top-up that is test money.
const TEST_MONEY: &str = "test-money";

impl Payments<'_> {
    pub async fn wallet(&self, driver_id: &str) -> Result<Wallet, AppError> {
        let rows = self.state.store.wallet_balances(driver_id).await?;
        let balances = rows
            .into_iter()
            .map(|row| {
                Ok(WalletBalance {
                    currency: Currency::new(&row.currency).map_err(AppError::internal)?,
                    available_minor: row.available_minor,
                    held_minor: row.held_minor,
                })
            })
            .collect::<Result<_, AppError>>()?;
        Ok(Wallet { balances })
    }

    pub async fn top_up(&self, driver_id: &str, key: &str, request: &TopUpRequest) -> Result<TopUp, AppError> {
        let max = self.config().max_top_up_minor;
        if !(1..=max).contains(&request.amount_minor) {
            let max = Money::new(max, request.currency);
            return Err(AppError::invalid(format!("Top up between one minor unit and {max} at a time.")));
        }
        let amount = Money::new(request.amount_minor, request.currency);
        let store = &self.state.store;
        // A retry is answered before anything is charged again.
        if let Some(first) = store.ledger_transaction(&top_up_key(driver_id, key)).await? {
            return replayed(first, amount);
        }
        let reference = match &request.payment_method_id {
            None if self.config().free_top_ups => TEST_MONEY.to_owned(),
            None => return Err(AppError::invalid("Top-ups are paid by card: name one of your cards (payment_method_id).")),
            Some(card) => {
                let provider = self.provider()?;
                store.card_of(driver_id, card).await?.ok_or_else(unknown_card)?;
                let keys = format!("ck-top-up-{driver_id}-{key}");
                let authorization = provider.authorize(amount, card, &format!("{keys}-authorize")).await.map_err(card_refusal)?;
                provider.capture(&authorization.reference, amount, &format!("{keys}-capture")).await.map_err(card_refusal)?;
                authorization.reference
            }
        };
        match Ledger::new(store).top_up(driver_id, key, amount, &reference).await {
            Ok(posted) => view(posted.row()),
            Err(PostError::KeyReused) => Err(key_reused()),
            Err(e) => Err(AppError::internal(e)),
        }
    }
}

fn replayed(first: LedgerTransactionRow, asked: Money) -> Result<TopUp, AppError> {
    if first.kind != "top_up" || first.amount_minor != asked.amount_minor || first.currency != asked.currency.code() {
        return Err(key_reused());
    }
    view(&first)
}

fn view(row: &LedgerTransactionRow) -> Result<TopUp, AppError> {
    let id = row.idempotency_key.splitn(3, ':').nth(2).unwrap_or_default().to_owned();
    Ok(TopUp {
        id,
        amount_minor: row.amount_minor,
        currency: Currency::new(&row.currency).map_err(AppError::internal)?,
        created_at: row.created_at,
    })
}

fn key_reused() -> AppError {
    AppError::conflict("This Idempotency-Key was used for another top-up. Use a new key for a new top-up.")
}
