//! Whether a token may charge: the one decision behind OCPP Authorize, a StartTransaction a
//! charger began on its own, and the Plug & Charge DataTransfer. Every decision is logged for
//! the operator.

use std::sync::Arc;

use chargekit_model::AuthMethod;
use chargekit_model::api::IdTokenKind;
use chargekit_model::ocpp::messages::{AuthorizationStatus, IdTagInfo};
use time::OffsetDateTime;

use crate::AppState;
use crate::store::{AuthAttempt, IdTokenRow, StoreError};

/// Where a token was shown.
pub struct AtCharger<'a> {
    pub charger_id: &'a str,
    /// Known once a transaction starts; Authorize does not name a connector.
    pub connector_id: Option<u32>,
}

pub struct Decision {
    pub status: AuthorizationStatus,
    /// The token, when it is known (also when refused: blocked, expired, busy).
    pub token: Option<IdTokenRow>,
    pub method: AuthMethod,
}

impl Decision {
    pub fn id_tag_info(&self) -> IdTagInfo {
        IdTagInfo { expiry_date: self.token.as_ref().and_then(|t| t.expires_at), ..IdTagInfo::with_status(self.status) }
    }
}

/// Decides on `id_tag` and records the attempt. `method` is how it was presented when the
/// caller knows (the Plug & Charge DataTransfer); otherwise the token's kind tells, and an
/// unknown token counts as a card.
pub async fn decide(state: &Arc<AppState>, id_tag: &str, at: AtCharger<'_>, method: Option<AuthMethod>) -> Result<Decision, StoreError> {
    let store = &state.store;
    let token = store.id_token(id_tag).await?;
    let method = method.or(token.as_ref().map(|t| method_of(t.kind()))).unwrap_or(AuthMethod::Rfid);
    let (status, reason) = match &token {
        None => (AuthorizationStatus::Invalid, Some("unknown token")),
        Some(t) if t.is_blocked() => (AuthorizationStatus::Blocked, Some("blocked by its owner")),
        Some(t) if t.expires_at.is_some_and(|end| end <= OffsetDateTime::now_utc()) => {
            (AuthorizationStatus::Expired, Some("validity ended"))
        }
        Some(t) => {
            let busy = store.active_session_of_tag_elsewhere(&t.id_tag, at.charger_id, at.connector_id).await?;
            match busy {
                Some(_) => (AuthorizationStatus::ConcurrentTx, Some("already charging elsewhere")),
                None => (AuthorizationStatus::Accepted, None),
            }
        }
    };
    store
        .record_auth_attempt(&AuthAttempt {
            method: method.as_str(),
            id_tag,
            charger_id: Some(at.charger_id),
            result: status_name(status),
            reason,
        })
        .await?;
    Ok(Decision { status, token, method })
}

pub fn method_of(kind: IdTokenKind) -> AuthMethod {
    match kind {
        IdTokenKind::App => AuthMethod::App,
        IdTokenKind::Rfid => AuthMethod::Rfid,
        IdTokenKind::Contract => AuthMethod::PlugAndCharge,
    }
}

/// The OCPP name of a status, as logged.
pub fn status_name(status: AuthorizationStatus) -> &'static str {
    match status {
        AuthorizationStatus::Accepted => "Accepted",
        AuthorizationStatus::Blocked => "Blocked",
        AuthorizationStatus::Expired => "Expired",
        AuthorizationStatus::Invalid => "Invalid",
        AuthorizationStatus::ConcurrentTx => "ConcurrentTx",
    }
}
