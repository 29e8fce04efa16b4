//! The cards & contracts screen: the driver's RFID cards and Plug & Charge contracts, in two
//! lists; the app's own token is not the driver's to manage and is not listed.

use crate::ffi::{TokenInfo, TokenKind};

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CardsScreen {
    pub cards: Vec<TokenInfo>,
    pub contracts: Vec<TokenInfo>,
}

pub(crate) fn screen(tokens: Vec<TokenInfo>) -> CardsScreen {
    let (cards, rest): (Vec<_>, Vec<_>) = tokens.into_iter().partition(|t| t.kind == TokenKind::Rfid);
    CardsScreen { cards, contracts: rest.into_iter().filter(|t| t.kind == TokenKind::Contract).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: &str, kind: TokenKind) -> TokenInfo {
        TokenInfo { id_tag: id.into(), kind, blocked: false, expires_at: None, label: None }
    }

    #[test]
    fn cards_and_contracts_apart_and_the_apps_own_token_hidden() {
        let shown = screen(vec![token("APP", TokenKind::App), token("04A1", TokenKind::Rfid), token("DE8AA", TokenKind::Contract)]);
        assert_eq!(shown.cards.iter().map(|t| t.id_tag.as_str()).collect::<Vec<_>>(), ["04A1"]);
        assert_eq!(shown.contracts.iter().map(|t| t.id_tag.as_str()).collect::<Vec<_>>(), ["DE8AA"]);
    }
}
