//! The wallet screen: balances per currency (each with its own digits; what is held shown only
//! when something is), the payment methods with the default marked, and the top-ups offered in
//! the app's currency — its digits from ISO 4217 here, not from each platform's own table.

use chargekit_model::Currency;
use chargekit_model::api::{PaymentMethod, PaymentMethodKind, Wallet};
use serde::{Deserialize, Serialize};

use super::payment::PaymentOptionLabel;
use super::{MoneyAmount, money};
use crate::error::CoreError;
use crate::ffi::Payment;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct WalletScreen {
    /// One per currency the wallet has held money in.
    pub balances: Vec<WalletBalanceScreen>,
    /// The wallet and the driver's cards.
    pub methods: Vec<WalletMethodScreen>,
    /// The amounts offered for a top-up.
    pub top_ups: Vec<MoneyAmount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct WalletBalanceScreen {
    /// What can be spent now.
    pub available: MoneyAmount,
    /// Reserved for a session going on now; absent when nothing is.
    pub held: Option<MoneyAmount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct WalletMethodScreen {
    /// What "make default" names: the wallet or the card.
    pub payment: Payment,
    pub method: PaymentOptionLabel,
    pub is_default: bool,
}

/// The screen from the wallet and the methods, with top-ups of `top_up_major` (major units of
/// `currency`, the market the app serves).
pub(crate) fn screen(wallet: &Wallet, methods: &[PaymentMethod], currency: &str, top_up_major: &[i64]) -> Result<WalletScreen, CoreError> {
    let currency = Currency::new(currency).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
    let scale = 10i64.pow(currency.minor_digits());
    let top_ups = top_up_major
        .iter()
        .map(|major| major.checked_mul(scale).map(|minor| money(minor, currency)))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| CoreError::InvalidInput("A top-up amount is too large.".into()))?;
    Ok(WalletScreen {
        balances: wallet
            .balances
            .iter()
            .map(|b| WalletBalanceScreen {
                available: money(b.available_minor, b.currency),
                held: (b.held_minor != 0).then(|| money(b.held_minor, b.currency)),
            })
            .collect(),
        methods: methods
            .iter()
            .map(|m| {
                let (payment, method) = match m.kind {
                    PaymentMethodKind::Wallet => (Payment::Wallet, PaymentOptionLabel::Wallet { available: None }),
                    _ => (
                        Payment::Card { payment_method_id: m.id.clone() },
                        PaymentOptionLabel::Card { brand: m.brand.clone(), last4: m.last4.clone() },
                    ),
                };
                WalletMethodScreen { payment, method, is_default: m.is_default }
            })
            .collect(),
        top_ups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chargekit_model::api::WalletBalance;

    #[test]
    fn balances_methods_and_top_ups_with_the_currencys_digits() {
        let wallet = Wallet {
            balances: vec![
                WalletBalance { currency: Currency::EUR, available_minor: 1_000, held_minor: 0 },
                WalletBalance { currency: Currency::new("JPY").unwrap(), available_minor: 500, held_minor: 300 },
            ],
        };
        let methods = [PaymentMethod { id: "wallet".into(), kind: PaymentMethodKind::Wallet, brand: None, last4: None, is_default: true }];
        let shown = screen(&wallet, &methods, "JPY", &[10, 20]).unwrap();
        assert_eq!(shown.balances[0].held, None);
        assert_eq!(shown.balances[1].held, Some(MoneyAmount { minor: 300, currency: "JPY".into(), digits: 0 }));
        assert_eq!(shown.top_ups.iter().map(|m| (m.minor, m.digits)).collect::<Vec<_>>(), vec![(10, 0), (20, 0)]);
        assert_eq!(screen(&wallet, &methods, "EUR", &[10]).unwrap().top_ups[0].minor, 1_000);
        assert_eq!(shown.methods[0], WalletMethodScreen { payment: Payment::Wallet, method: PaymentOptionLabel::Wallet { available: None }, is_default: true });
        assert!(screen(&wallet, &methods, "EURO", &[10]).is_err());
    }
}
