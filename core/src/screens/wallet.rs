//! The wallet screen: balances per currency (each with its own digits; what is held shown only
//! when something is), the payment methods with the default marked, and the top-ups offered in
//! the app's currency — its digits from ISO 4217 here, not from each platform's own table.
//!
//! [`WalletState`] is the screen with the command under way and its outcome; [`WalletFlow`]
//! runs the commands against the backend, one at a time, and reloads the wallet after each.

use std::sync::Arc;

use chargekit_model::Currency;
use chargekit_model::api::{PaymentChoice, PaymentMethod, PaymentMethodKind, Wallet};
use serde::{Deserialize, Serialize};

use chargekit_model::api::NewCard;
use tokio::sync::watch;

use super::cell::ScreenCell;
use super::payment::PaymentOptionLabel;
use super::{ListStatus, MoneyAmount, money, reload};
use crate::engine::Core;
use crate::error::CoreError;
use crate::ffi::Payment;

/// The wallet screen as shown: the wallet once loaded, the command under way, its failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct WalletState {
    pub status: ListStatus,
    pub wallet: WalletScreen,
    /// A command is under way: the buttons are disabled.
    pub busy: bool,
    /// The core's sentence when the last command (or a reload of a shown wallet) failed.
    pub message: Option<String>,
}

impl WalletState {
    pub(crate) fn loading() -> Self {
        Self { status: ListStatus::Loading, wallet: WalletScreen { balances: Vec::new(), methods: Vec::new(), top_ups: Vec::new() }, busy: false, message: None }
    }

    pub(crate) fn begin(&mut self) {
        self.busy = true;
        self.message = None;
    }

    /// A command ended (`failure`: its sentence) and the wallet was reloaded.
    pub(crate) fn finish(&mut self, failure: Option<String>, loaded: Result<WalletScreen, String>) {
        self.reloaded(loaded, failure);
        self.busy = false;
    }

    /// The wallet reloaded; `message` stays, else a failed reload's sentence is the message.
    pub(crate) fn reloaded(&mut self, loaded: Result<WalletScreen, String>, message: Option<String>) {
        let failed = reload(&mut self.status, &mut self.wallet, loaded);
        self.message = message.or(failed);
    }
}

/// What the driver asked for.
pub(crate) enum WalletCommand {
    /// Test money (no card), where the backend allows it, or paid by a card.
    TopUp { amount: MoneyAmount, payment_method_id: Option<String> },
    MakeDefault { payment: Payment },
    AddCard(NewCard),
}

/// The wallet screen against the backend, with top-ups offered in `currency`.
pub(crate) struct WalletFlow {
    core: Arc<Core>,
    currency: String,
    top_up_major: Vec<i64>,
    cell: ScreenCell<WalletState>,
}

impl WalletFlow {
    pub(crate) fn new(core: Arc<Core>, currency: String, top_up_major: Vec<i64>) -> Self {
        Self { core, currency, top_up_major, cell: ScreenCell::new(WalletState::loading()) }
    }

    pub(crate) fn state(&self) -> WalletState {
        self.cell.get()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<WalletState> {
        self.cell.subscribe()
    }

    /// Loads the wallet again; the message shown stays.
    pub(crate) async fn refresh(&self) {
        let _one_at_a_time = self.cell.command().await;
        let loaded = self.load().await;
        self.cell.update(|s| {
            let kept = s.message.take();
            s.reloaded(loaded, kept);
        });
    }

    pub(crate) fn dismiss_message(&self) {
        self.cell.update(|s| s.message = None);
    }

    pub(crate) async fn run(&self, command: WalletCommand) {
        let _one_at_a_time = self.cell.command().await;
        self.cell.update(WalletState::begin);
        let core = &self.core;
        let done = match command {
            WalletCommand::TopUp { amount, payment_method_id } => core.top_up(amount.minor, &amount.currency, payment_method_id).await.map(drop),
            // "Make default" on the wallet, or on a card.
            WalletCommand::MakeDefault { payment } => {
                let choice = match payment {
                    Payment::Card { payment_method_id } => PaymentChoice::Card { payment_method_id },
                    Payment::Wallet | Payment::Default => PaymentChoice::Wallet,
                };
                core.set_default_payment(choice).await.map(drop)
            }
            WalletCommand::AddCard(card) => core.add_card(card).await.map(drop),
        };
        let loaded = self.load().await;
        self.cell.update(|s| s.finish(done.err().map(|e| e.to_string()), loaded));
    }

    async fn load(&self) -> Result<WalletScreen, String> {
        let loaded = async {
            let (balances, methods) = (self.core.wallet().await?, self.core.payment_methods().await?);
            screen(&balances, &methods, &self.currency, &self.top_up_major)
        };
        loaded.await.map_err(|e| e.to_string())
    }
}

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

    #[test]
    fn a_failed_command_says_why_and_a_failed_reload_keeps_the_wallet_shown() {
        let wallet = Wallet { balances: vec![WalletBalance { currency: Currency::EUR, available_minor: 1_000, held_minor: 0 }] };
        let loaded = screen(&wallet, &[], "EUR", &[10]).unwrap();
        let mut state = WalletState::loading();
        state.reloaded(Err("No network.".into()), None);
        assert_eq!(state.status, ListStatus::Unavailable { message: "No network.".into() });

        state.reloaded(Ok(loaded.clone()), None);
        state.begin();
        assert!(state.busy && state.message.is_none());
        state.finish(Some("The card was declined.".into()), Err("No network.".into()));
        assert_eq!((state.status.clone(), &state.wallet, state.busy), (ListStatus::Loaded, &loaded, false));
        assert_eq!(state.message.as_deref(), Some("The card was declined."));

        state.begin();
        state.finish(None, Err("No network.".into()));
        assert_eq!(state.message.as_deref(), Some("No network."));
    }
}
