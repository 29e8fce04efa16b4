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
        // A driver's app idTag is only ever sent by the server, with a remote start: a charger
        // presenting it otherwise (no start waiting there, or the window over) cannot bill them.
        Some(t) if t.kind() == IdTokenKind::App && !remote_start_waits(state, t, &at).await? => {
            (AuthorizationStatus::Invalid, Some("app tag without a remote start"))
        }
        Some(t) => {
            let busy = store.active_session_of_tag_elsewhere(&t.id_tag, at.charger_id, at.connector_id).await?;
            if busy.is_some() {
                (AuthorizationStatus::ConcurrentTx, Some("already charging elsewhere"))
            } else if t.kind() == IdTokenKind::App {
                (AuthorizationStatus::Accepted, None) // paid by the remote start's payment
            } else {
                // A card or a car is charged to the driver's default method: no way to pay, no start.
                match state.payments().cannot_pay(&t.driver_id, state.config.tariff.currency).await? {
                    Some(why) => (AuthorizationStatus::Invalid, Some(why)),
                    None => (AuthorizationStatus::Accepted, None),
                }
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

async fn remote_start_waits(state: &AppState, token: &IdTokenRow, at: &AtCharger<'_>) -> Result<bool, StoreError> {
    let window = time::Duration::try_from(state.config.start_timeout).unwrap_or(time::Duration::MINUTE);
    let since = OffsetDateTime::now_utc() - window;
    Ok(state.store.waiting_remote_start(&token.id_tag, at.charger_id, at.connector_id, since).await?.is_some())
}

/// Whether a token may pay for a transaction the server did not authorize when it started
/// (its start was refused, or never seen): known, not blocked, not expired, and not an app
/// idTag (those are valid only with their remote start). `Err` says why not.
pub async fn valid_now(state: &AppState, id_tag: &str) -> Result<Result<IdTokenRow, String>, StoreError> {
    let Some(token) = state.store.id_token(id_tag).await? else { return Ok(Err(format!("the idTag {id_tag} is unknown"))) };
    let refusal = match token_status(&token) {
        AuthorizationStatus::Accepted if token.kind() == IdTokenKind::App => Some("is an app idTag, valid only with its remote start"),
        AuthorizationStatus::Accepted => None,
        AuthorizationStatus::Blocked => Some("is blocked"),
        AuthorizationStatus::Expired => Some("has expired"),
        _ => Some("is not valid"),
    };
    Ok(match refusal {
        Some(why) => Err(format!("the idTag {id_tag} {why}")),
        None => Ok(token),
    })
}

/// A token's own standing (blocked, expired, else accepted), with no regard to where it is
/// used: what a StopTransaction's `idTagInfo` reports.
pub fn token_status(token: &IdTokenRow) -> AuthorizationStatus {
    if token.is_blocked() {
        AuthorizationStatus::Blocked
    } else if token.expires_at.is_some_and(|end| end <= OffsetDateTime::now_utc()) {
        AuthorizationStatus::Expired
    } else {
        AuthorizationStatus::Accepted
    }
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
