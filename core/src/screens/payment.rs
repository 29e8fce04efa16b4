//! The payment choice on the find-charger screen: the wallet (with what it holds in the
//! charger's currency) and the driver's cards, and which one is checked. The default is decided
//! here once: until the driver picks one, the start names no method (the backend then uses the
//! driver's default) and the default method is the one shown checked.

use chargekit_model::Currency;
use chargekit_model::api::{PaymentMethod, PaymentMethodKind, Wallet};
use serde::{Deserialize, Serialize};

use super::{MoneyAmount, money};
use crate::engine::Core;
use crate::ffi::Payment;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct PaymentChoiceScreen {
    /// Empty when they could not be loaded (the start then names no method: the backend decides).
    pub options: Vec<PaymentOptionScreen>,
    /// What the start names: `Default` until the driver picks one.
    pub selected: Payment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct PaymentOptionScreen {
    pub payment: Payment,
    pub method: PaymentOptionLabel,
    pub is_default: bool,
    /// Checked in the picker: the one picked, or the default while nothing is picked.
    pub selected: bool,
}

/// What a payment method is called by; the words are the shell's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum PaymentOptionLabel {
    /// The wallet, with what is available in the charger's currency, when known.
    Wallet { available: Option<MoneyAmount> },
    /// A card, e.g. brand "visa" and last4 "4242".
    Card { brand: Option<String>, last4: Option<String> },
}

/// The choice as loaded with a charger: nothing picked yet.
pub(crate) fn choice(methods: &[PaymentMethod], wallet: Option<&Wallet>, currency: Currency) -> PaymentChoiceScreen {
    let available = wallet
        .and_then(|w| w.balances.iter().find(|b| b.currency == currency))
        .map(|b| money(b.available_minor, b.currency));
    let options = methods
        .iter()
        .map(|m| {
            let (payment, method) = match m.kind {
                PaymentMethodKind::Wallet => (Payment::Wallet, PaymentOptionLabel::Wallet { available: available.clone() }),
                _ => (
                    Payment::Card { payment_method_id: m.id.clone() },
                    PaymentOptionLabel::Card { brand: m.brand.clone(), last4: m.last4.clone() },
                ),
            };
            PaymentOptionScreen { payment, method, is_default: m.is_default, selected: false }
        })
        .collect();
    select(PaymentChoiceScreen { options, selected: Payment::Default }, Payment::Default)
}

/// The choice at a charger billing in `currency`; empty when the methods cannot be loaded (the
/// start then names no method, and the backend decides).
pub(crate) async fn load(core: &Core, currency: &str) -> PaymentChoiceScreen {
    let loaded = async {
        let currency = Currency::new(currency).ok()?;
        let methods = core.payment_methods().await.ok()?;
        Some(choice(&methods, core.wallet().await.ok().as_ref(), currency))
    };
    loaded.await.unwrap_or_else(none)
}

/// No options (nothing found yet, or they could not be loaded): the start names no method.
pub(crate) fn none() -> PaymentChoiceScreen {
    PaymentChoiceScreen { options: Vec::new(), selected: Payment::Default }
}

/// The driver picked `chosen` (or `Default` again).
pub(crate) fn select(mut screen: PaymentChoiceScreen, chosen: Payment) -> PaymentChoiceScreen {
    for option in &mut screen.options {
        option.selected = option.payment == chosen || (chosen == Payment::Default && option.is_default);
    }
    screen.selected = chosen;
    screen
}

#[cfg(test)]
mod tests {
    use super::*;
    use chargekit_model::api::WalletBalance;

    fn method(id: &str, kind: PaymentMethodKind, is_default: bool) -> PaymentMethod {
        PaymentMethod { id: id.into(), kind, brand: Some("visa".into()), last4: Some("4242".into()), is_default }
    }

    #[test]
    fn the_default_is_checked_until_the_driver_picks() {
        let wallet = Wallet { balances: vec![WalletBalance { currency: Currency::EUR, available_minor: 2_000, held_minor: 0 }] };
        let methods = [method("wallet", PaymentMethodKind::Wallet, false), method("pm_1", PaymentMethodKind::Card, true)];
        let shown = choice(&methods, Some(&wallet), Currency::EUR);
        assert_eq!(shown.selected, Payment::Default);
        assert_eq!(shown.options.iter().map(|o| o.selected).collect::<Vec<_>>(), vec![false, true]);
        assert_eq!(
            shown.options[0].method,
            PaymentOptionLabel::Wallet { available: Some(MoneyAmount { minor: 2_000, currency: "EUR".into(), digits: 2 }) }
        );

        let picked = select(shown, Payment::Wallet);
        assert_eq!(picked.selected, Payment::Wallet);
        assert_eq!(picked.options.iter().map(|o| o.selected).collect::<Vec<_>>(), vec![true, false]);
    }

    #[test]
    fn a_wallet_without_the_chargers_currency_shows_no_amount() {
        let methods = [method("wallet", PaymentMethodKind::Wallet, true)];
        let shown = choice(&methods, None, Currency::new("CHF").unwrap());
        assert_eq!(shown.options[0].method, PaymentOptionLabel::Wallet { available: None });
        assert!(shown.options[0].selected);
    }
}
