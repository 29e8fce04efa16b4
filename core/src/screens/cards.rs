//! The cards & contracts screen: the driver's RFID cards and Plug & Charge contracts in two
//! lists (the app's own token is not the driver's to manage and is not listed), a card tapped
//! on the phone waiting to be added, the command under way and what the last one did.
//!
//! [`CardsScreen`]'s methods are the screen's rules (pure, tested here); [`CardsFlow`] runs the
//! commands against the backend, one at a time, and reloads the lists after each.

use std::sync::Arc;

use chargekit_model::CardUid;
use chargekit_model::api::{IdToken, IdTokenKind, IdTokenStatus};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::cell::ScreenCell;
use super::{ListStatus, reload};
use crate::engine::Core;
use crate::error::CoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct CardsScreen {
    pub status: ListStatus,
    pub cards: Vec<TokenRow>,
    pub contracts: Vec<TokenRow>,
    /// A card tapped on the phone, shown for the driver to add (with a name) or discard.
    pub pending_card: Option<PendingCard>,
    /// A command is under way: the buttons are disabled.
    pub busy: bool,
    /// What the last command did, for a banner.
    pub notice: Option<CardsNotice>,
}

/// A card or contract as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct TokenRow {
    /// What the charger sees: the card's UID or the contract's EMAID.
    pub id_tag: String,
    pub label: Option<String>,
    pub blocked: bool,
    /// A contract's end of validity (Unix seconds), shown as a date; a card has none.
    pub valid_until: Option<i64>,
}

/// A card tapped on the phone: `id_tag` is the core's reading of its UID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct PendingCard {
    pub id_tag: String,
    /// The UID as the reader gave it: what is registered when the driver adds the card.
    pub uid: Vec<u8>,
}

/// What the last command did; the words are the shell's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum CardsNotice {
    CardAdded { id_tag: String },
    /// The contract the core checked and registered; `valid_until` (Unix seconds) shown as a date.
    ContractAdded { emaid: String, issuer: String, valid_until: i64 },
    Blocked { id_tag: String },
    Unblocked { id_tag: String },
    Removed { id_tag: String },
    /// The core's sentence for the driver, e.g. why a contract was refused.
    Failed { message: String },
}

impl CardsScreen {
    pub(crate) fn loading() -> Self {
        Self { status: ListStatus::Loading, cards: Vec::new(), contracts: Vec::new(), pending_card: None, busy: false, notice: None }
    }

    /// A tag's UID and the core's reading of it: offered to add, or the reason it is no card.
    pub(crate) fn tapped(&mut self, uid: Vec<u8>, read: Result<String, String>) {
        match read {
            Ok(id_tag) => {
                self.pending_card = Some(PendingCard { id_tag, uid });
                self.notice = None;
            }
            Err(message) => self.notice = Some(CardsNotice::Failed { message }),
        }
    }

    /// A command starts: the buttons are disabled and the last notice goes.
    pub(crate) fn begin(&mut self) {
        self.busy = true;
        self.notice = None;
    }

    /// A command ended with `outcome` and the lists were reloaded: its notice is shown (its
    /// failure's sentence, if it failed), and a tapped card that was added is no longer offered.
    pub(crate) fn finish(&mut self, outcome: Result<CardsNotice, String>, tokens: Result<Vec<IdToken>, String>) {
        let notice = outcome.unwrap_or_else(|message| CardsNotice::Failed { message });
        if let CardsNotice::CardAdded { id_tag } = &notice
            && self.pending_card.as_ref().is_some_and(|p| &p.id_tag == id_tag)
        {
            self.pending_card = None;
        }
        self.reloaded(tokens, Some(notice));
        self.busy = false;
    }

    /// The lists reloaded; `notice` stays, else a failed reload's sentence is the notice.
    pub(crate) fn reloaded(&mut self, tokens: Result<Vec<IdToken>, String>, notice: Option<CardsNotice>) {
        let mut lists = (std::mem::take(&mut self.cards), std::mem::take(&mut self.contracts));
        let failed = reload(&mut self.status, &mut lists, tokens.map(rows));
        (self.cards, self.contracts) = lists;
        self.notice = notice.or(failed.map(|message| CardsNotice::Failed { message }));
    }
}

/// Cards and contracts apart, the app's own token left out.
fn rows(tokens: Vec<IdToken>) -> (Vec<TokenRow>, Vec<TokenRow>) {
    let (mut cards, mut contracts) = (Vec::new(), Vec::new());
    for token in tokens {
        let row = |valid_until| TokenRow { id_tag: token.id_tag.clone(), label: token.label.clone(), blocked: token.status == IdTokenStatus::Blocked, valid_until };
        match token.kind {
            IdTokenKind::Rfid => cards.push(row(None)),
            IdTokenKind::Contract => contracts.push(row(token.expires_at.map(|t| t.unix_timestamp()))),
            IdTokenKind::App => {}
        }
    }
    (cards, contracts)
}

/// What the driver asked for.
pub(crate) enum CardsCommand {
    AddTappedCard { label: Option<String> },
    AddTypedCard { uid: String, label: Option<String> },
    AddContract { certificate: Vec<u8>, mo_root: Vec<u8>, label: Option<String> },
    SetBlocked { id_tag: String, blocked: bool },
    Remove { id_tag: String },
}

/// The cards & contracts screen against the backend.
pub(crate) struct CardsFlow {
    core: Arc<Core>,
    cell: ScreenCell<CardsScreen>,
}

impl CardsFlow {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core, cell: ScreenCell::new(CardsScreen::loading()) }
    }

    pub(crate) fn screen(&self) -> CardsScreen {
        self.cell.get()
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<CardsScreen> {
        self.cell.subscribe()
    }

    /// Loads the lists again; the notice shown stays.
    pub(crate) async fn refresh(&self) {
        let _one_at_a_time = self.cell.command().await;
        let tokens = self.tokens().await;
        self.cell.update(|s| {
            let kept = s.notice.take();
            s.reloaded(tokens, kept);
        });
    }

    /// The UID of a tag the phone's NFC reader saw.
    pub(crate) fn card_tapped(&self, uid: Vec<u8>) {
        let read = CardUid::from_bytes(&uid).map(String::from).map_err(|e| e.to_string());
        self.cell.update(|s| s.tapped(uid, read));
    }

    pub(crate) fn discard_tapped_card(&self) {
        self.cell.update(|s| s.pending_card = None);
    }

    pub(crate) fn dismiss_notice(&self) {
        self.cell.update(|s| s.notice = None);
    }

    pub(crate) async fn run(&self, command: CardsCommand) {
        let _one_at_a_time = self.cell.command().await;
        let pending = self.cell.update(|s| {
            s.begin();
            s.pending_card.clone()
        });
        let outcome = self.execute(command, pending).await.map_err(|e| e.to_string());
        let tokens = self.tokens().await;
        self.cell.update(|s| s.finish(outcome, tokens));
    }

    /// Which notice follows which command.
    async fn execute(&self, command: CardsCommand, pending: Option<PendingCard>) -> Result<CardsNotice, CoreError> {
        let core = &self.core;
        Ok(match command {
            CardsCommand::AddTappedCard { label } => {
                let card = pending.ok_or_else(|| CoreError::InvalidInput("Hold a card to the phone first.".into()))?;
                CardsNotice::CardAdded { id_tag: core.register_card(&card.uid, label).await?.id_tag }
            }
            CardsCommand::AddTypedCard { uid, label } => CardsNotice::CardAdded { id_tag: core.register_card_text(&uid, label).await?.id_tag },
            CardsCommand::AddContract { certificate, mo_root, label } => {
                let (contract, _) = core.register_contract(&certificate, &mo_root, label).await?;
                CardsNotice::ContractAdded { emaid: contract.emaid.to_string(), issuer: contract.issuer_cn, valid_until: contract.not_after.unix_timestamp() }
            }
            CardsCommand::SetBlocked { id_tag, blocked } => {
                let token = core.set_token_blocked(&id_tag, blocked).await?;
                match token.status {
                    IdTokenStatus::Blocked => CardsNotice::Blocked { id_tag: token.id_tag },
                    _ => CardsNotice::Unblocked { id_tag: token.id_tag },
                }
            }
            CardsCommand::Remove { id_tag } => {
                core.remove_token(&id_tag).await?;
                CardsNotice::Removed { id_tag }
            }
        })
    }

    async fn tokens(&self) -> Result<Vec<IdToken>, String> {
        self.core.tokens().await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) fn token(id: &str, kind: IdTokenKind, blocked: bool) -> IdToken {
        IdToken {
            id_tag: id.into(),
            kind,
            status: if blocked { IdTokenStatus::Blocked } else { IdTokenStatus::Active },
            expires_at: Some(datetime!(2027-03-05 12:00 UTC)),
            label: Some(format!("{id} label")),
            created_at: datetime!(2026-01-01 00:00 UTC),
        }
    }

    fn tokens() -> Vec<IdToken> {
        vec![token("APP", IdTokenKind::App, false), token("04A1", IdTokenKind::Rfid, true), token("DE8AA", IdTokenKind::Contract, false)]
    }

    fn loaded() -> CardsScreen {
        let mut screen = CardsScreen::loading();
        screen.reloaded(Ok(tokens()), None);
        screen
    }

    #[test]
    fn cards_and_contracts_apart_the_apps_own_token_hidden_and_only_a_contract_has_a_validity() {
        let shown = loaded();
        assert_eq!(shown.status, ListStatus::Loaded);
        assert_eq!(shown.cards, vec![TokenRow { id_tag: "04A1".into(), label: Some("04A1 label".into()), blocked: true, valid_until: None }]);
        assert_eq!(shown.contracts.iter().map(|t| (t.id_tag.as_str(), t.valid_until)).collect::<Vec<_>>(), [("DE8AA", Some(1_804_248_000))]);
    }

    #[test]
    fn a_list_that_cannot_be_loaded_is_unavailable_and_a_shown_list_is_kept_with_the_reason() {
        let mut first = CardsScreen::loading();
        first.reloaded(Err("No network.".into()), None);
        assert_eq!(first.status, ListStatus::Unavailable { message: "No network.".into() });

        let mut shown = loaded();
        shown.reloaded(Err("No network.".into()), None);
        assert_eq!((shown.status.clone(), shown.cards.len()), (ListStatus::Loaded, 1));
        assert_eq!(shown.notice, Some(CardsNotice::Failed { message: "No network.".into() }));

        // A command's own notice wins over the reload's failure.
        shown.begin();
        shown.finish(Ok(CardsNotice::Removed { id_tag: "04A1".into() }), Err("No network.".into()));
        assert_eq!((shown.notice, shown.busy), (Some(CardsNotice::Removed { id_tag: "04A1".into() }), false));
    }

    #[test]
    fn a_tapped_card_is_offered_until_added_and_a_failure_keeps_it() {
        let mut screen = loaded();
        screen.tapped(vec![1, 2], Err("A card UID has 4, 7, 8 or 10 bytes.".into()));
        assert!(matches!(screen.notice, Some(CardsNotice::Failed { .. })) && screen.pending_card.is_none());

        screen.tapped(vec![4, 1, 2, 3], Ok("04010203".into()));
        assert_eq!((screen.pending_card.as_ref().map(|p| p.id_tag.as_str()), &screen.notice), (Some("04010203"), &None));
        screen.begin();
        assert!(screen.busy);
        screen.finish(Err("Please sign in first.".into()), Ok(tokens()));
        assert!(screen.pending_card.is_some(), "a failed add keeps the card offered");
        assert_eq!(screen.notice, Some(CardsNotice::Failed { message: "Please sign in first.".into() }));

        screen.begin();
        screen.finish(Ok(CardsNotice::CardAdded { id_tag: "04010203".into() }), Ok(tokens()));
        assert_eq!((screen.pending_card, screen.busy), (None, false));
        assert_eq!(screen.notice, Some(CardsNotice::CardAdded { id_tag: "04010203".into() }));
    }
}
