//! The driver's cards and contracts: an RFID card's UID is normalized to the idTag chargers
//! send before it is registered; a Plug & Charge contract certificate is checked here first —
//! its chain to the mobility operator's root, its dates, its EMAID — and only its EMAID and end
//! of validity go to the backend.

use chargekit_model::CardUid;
use chargekit_model::api::{IdToken, IdTokenStatus, IdTokenUpdate, NewIdToken};
use time::OffsetDateTime;

use crate::contract::{ContractCertificate, VerifiedContract};
use crate::engine::Core;
use crate::error::CoreError;

/// A name as the driver typed it: surrounding spaces dropped, a blank one is no name.
pub(crate) fn clean_label(label: Option<String>) -> Option<String> {
    label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty())
}

impl Core {
    /// Registers a card from the UID bytes the phone's NFC reader gave.
    pub async fn register_card(&self, uid: &[u8], label: Option<String>) -> Result<IdToken, CoreError> {
        let uid = CardUid::from_bytes(uid).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        self.register_card_uid(uid, label).await
    }

    /// Registers a card from its UID as printed on it or typed.
    pub async fn register_card_text(&self, uid: &str, label: Option<String>) -> Result<IdToken, CoreError> {
        let uid = CardUid::parse(uid).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        self.register_card_uid(uid, label).await
    }

    async fn register_card_uid(&self, uid: CardUid, label: Option<String>) -> Result<IdToken, CoreError> {
        let token = NewIdToken::Rfid { uid: uid.as_id_tag().to_owned(), label: clean_label(label) };
        self.authed(|bearer| {
            let token = token.clone();
            async move { self.client.register_token(&bearer, &token).await }
        })
        .await
    }

    /// Checks a contract certificate (PEM or DER, with its sub-CAs) against the mobility
    /// operator's root and registers its EMAID. Nothing is sent if the check fails.
    pub async fn register_contract(&self, certificate: &[u8], mo_root: &[u8], label: Option<String>) -> Result<(VerifiedContract, IdToken), CoreError> {
        let contract = ContractCertificate::parse(certificate)
            .and_then(|c| c.verify(mo_root, OffsetDateTime::now_utc()))
            .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        let token = NewIdToken::Contract { emaid: contract.emaid.as_str().to_owned(), expires_at: Some(contract.not_after), label: clean_label(label) };
        let registered = self
            .authed(|bearer| {
                let token = token.clone();
                async move { self.client.register_token(&bearer, &token).await }
            })
            .await?;
        Ok((contract, registered))
    }

    pub async fn tokens(&self) -> Result<Vec<IdToken>, CoreError> {
        self.authed(|bearer| async move { self.client.tokens(&bearer).await }).await
    }

    /// Blocks a lost card or contract at every charger, or makes it active again.
    pub async fn set_token_blocked(&self, id_tag: &str, blocked: bool) -> Result<IdToken, CoreError> {
        let update = IdTokenUpdate { status: if blocked { IdTokenStatus::Blocked } else { IdTokenStatus::Active } };
        self.authed(|bearer| {
            let update = update.clone();
            async move { self.client.update_token(&bearer, id_tag, &update).await }
        })
        .await
    }

    pub async fn remove_token(&self, id_tag: &str) -> Result<(), CoreError> {
        self.authed(|bearer| async move { self.client.remove_token(&bearer, id_tag).await }).await
    }
}

#[cfg(test)]
mod tests {
    use super::clean_label;

    #[test]
    fn labels_are_trimmed_and_a_blank_one_is_none() {
        assert_eq!(clean_label(Some("  Spare  ".into())), Some("Spare".into()));
        assert_eq!(clean_label(Some("   ".into())), None);
        assert_eq!(clean_label(None), None);
    }
}
