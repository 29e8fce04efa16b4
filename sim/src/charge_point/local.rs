//! Starting and stopping at the charge point itself, as a driver or a car does: a card tapped
//! on the reader (Authorize with its UID, then StartTransaction), a car identifying itself with
//! its contract (ISO 15118 Plug & Charge: the OCA's DataTransfer `Authorize` with the EMAID,
//! then StartTransaction), and a tap to stop.

use chargekit_model::ocpp::commands::{DataTransferRequest, DataTransferResponse, DataTransferStatus, action as commands};
use chargekit_model::ocpp::messages::{AuthorizationStatus, AuthorizeRequest, AuthorizeResponse, action};
use serde_json::json;

use super::{ChargePoint, Session, lock};
use crate::error::SimError;
use crate::events::StopReason;

/// A transaction to start on a connector, handed to the behaviour task (which owns the
/// transaction tasks).
pub(super) struct LocalStart {
    pub connector_id: u32,
    pub id_tag: String,
    pub stop: tokio::sync::watch::Receiver<Option<StopReason>>,
}

impl ChargePoint {
    /// A card tapped on the reader: Authorize with `id_tag` (the card's UID); when the central
    /// system accepts it, a transaction starts on the connector. Returns its verdict.
    pub async fn tap_card(&self, connector_id: u32, id_tag: &str) -> Result<AuthorizationStatus, SimError> {
        let request = AuthorizeRequest { id_tag: id_tag.to_owned() };
        let answer: AuthorizeResponse = self.shared.call(action::AUTHORIZE, &request).await.ok_or(SimError::NoAnswer(action::AUTHORIZE))?;
        let status = answer.id_tag_info.status;
        if status == AuthorizationStatus::Accepted {
            self.start_locally(connector_id, id_tag)?;
        }
        Ok(status)
    }

    /// A car plugged in that identifies itself with its contract (`emaid`): the Plug & Charge
    /// authorization through DataTransfer; when accepted, a transaction starts with the EMAID
    /// as its idTag. Returns the central system's verdict.
    pub async fn plug_in_with_contract(&self, connector_id: u32, emaid: &str) -> Result<AuthorizationStatus, SimError> {
        let request = DataTransferRequest {
            vendor_id: "org.openchargealliance.iso15118pnc".into(),
            message_id: Some("Authorize".into()),
            data: Some(json!({"idToken": {"idToken": emaid, "type": "eMAID"}}).to_string()),
        };
        let answer: DataTransferResponse =
            self.shared.call(commands::DATA_TRANSFER, &request).await.ok_or(SimError::NoAnswer(commands::DATA_TRANSFER))?;
        let status = match (answer.status, answer.data) {
            (DataTransferStatus::Accepted, Some(data)) => serde_json::from_str::<serde_json::Value>(&data)
                .ok()
                .and_then(|v| serde_json::from_value::<AuthorizationStatus>(v["idTokenInfo"]["status"].clone()).ok())
                .unwrap_or(AuthorizationStatus::Invalid),
            _ => AuthorizationStatus::Invalid,
        };
        if status == AuthorizationStatus::Accepted {
            self.start_locally(connector_id, emaid)?;
        }
        Ok(status)
    }

    /// The driver taps their card again (or ends the session on the charger's screen).
    pub fn stop_locally(&self, connector_id: u32) -> bool {
        let state = lock(&self.shared.state);
        let Some(session) = state.connector(connector_id).and_then(|c| c.session.as_ref()) else { return false };
        session.stop.send_if_modified(|reason| reason.replace(StopReason::Local).is_none())
    }

    fn start_locally(&self, connector_id: u32, id_tag: &str) -> Result<(), SimError> {
        let stop = {
            let mut state = lock(&self.shared.state);
            let connector = state.connector_mut(connector_id).ok_or(SimError::NoSuchConnector(connector_id))?;
            if connector.session.is_some() {
                return Err(SimError::ConnectorBusy(connector_id));
            }
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(None);
            connector.session = Some(Session { transaction_id: None, stop: stop_tx });
            stop_rx
        };
        self.local
            .send(LocalStart { connector_id, id_tag: id_tag.to_owned(), stop })
            .map_err(|_| SimError::NoAnswer("StartTransaction"))
    }
}
