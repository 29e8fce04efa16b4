//! Cards and contracts over the FFI: register (a card from its UID bytes or text, a contract
//! from its certificate and the mobility operator's root), list, block, remove. Logic lives in
//! [`crate::tokens`].

use chargekit_model::api::{IdToken, IdTokenKind, IdTokenStatus};

use super::{ChargeKit, Result};
use crate::ffi::identify::ContractInfo;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TokenKind {
    /// The tag the app uses itself.
    App,
    Rfid,
    /// A Plug & Charge contract (its EMAID).
    Contract,
}

/// One of the driver's tokens as the settings screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TokenInfo {
    /// What the charger sees: the card's UID or the contract's EMAID.
    pub id_tag: String,
    pub kind: TokenKind,
    pub blocked: bool,
    /// Unix seconds; a contract's end of validity.
    pub expires_at: Option<i64>,
    pub label: Option<String>,
}

#[uniffi::export]
impl ChargeKit {
    /// Registers the RFID card whose UID the phone's NFC reader gave (4, 7, 8 or 10 bytes).
    pub async fn register_card(&self, uid: Vec<u8>, label: Option<String>) -> Result<TokenInfo> {
        self.run(|core| async move { core.register_card(&uid, label).await.map(token_info) }).await
    }

    /// Registers a card by the UID printed on it (`04:A2:2B:1A`, any case or separators).
    pub async fn register_card_text(&self, uid: String, label: Option<String>) -> Result<TokenInfo> {
        self.run(|core| async move { core.register_card_text(&uid, label).await.map(token_info) }).await
    }

    /// Checks a Plug & Charge contract certificate (PEM or DER, with its sub-CAs) against the
    /// mobility operator's root, then registers its EMAID. Returns what was checked.
    pub async fn register_contract(&self, certificate: Vec<u8>, mo_root: Vec<u8>, label: Option<String>) -> Result<ContractInfo> {
        self.run(|core| async move {
            let (contract, _) = core.register_contract(&certificate, &mo_root, label).await?;
            Ok(crate::ffi::identify::contract_info(contract))
        })
        .await
    }

    pub async fn tokens(&self) -> Result<Vec<TokenInfo>> {
        self.run(|core| async move { core.tokens().await.map(|tokens| tokens.into_iter().map(token_info).collect()) }).await
    }

    /// Blocks a lost card or contract at every charger, or makes it active again.
    pub async fn set_token_blocked(&self, id_tag: String, blocked: bool) -> Result<TokenInfo> {
        self.run(|core| async move { core.set_token_blocked(&id_tag, blocked).await.map(token_info) }).await
    }

    pub async fn remove_token(&self, id_tag: String) -> Result<()> {
        self.run(|core| async move { core.remove_token(&id_tag).await }).await
    }
}

fn token_info(token: IdToken) -> TokenInfo {
    TokenInfo {
        id_tag: token.id_tag,
        kind: match token.kind {
            IdTokenKind::App => TokenKind::App,
            IdTokenKind::Rfid => TokenKind::Rfid,
            IdTokenKind::Contract => TokenKind::Contract,
        },
        blocked: token.status == IdTokenStatus::Blocked,
        expires_at: token.expires_at.map(|t| t.unix_timestamp()),
        label: token.label,
    }
}
