//! Answers to the CALLs a charger sends. Each answer is sent only after what it acknowledges
//! is stored.

use std::sync::Arc;

use chargekit_model::ocpp::constraints;
use chargekit_model::ocpp::frame::decode_payload;
use chargekit_model::ocpp::messages::*;
use chargekit_model::ocpp::{ErrorCode, Frame, FrameError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;

use crate::AppState;
use crate::store::HandledMessage;
use crate::authorization::{self, AtCharger};
use crate::ocpp::{log_safe, plug_and_charge};
use chargekit_model::AuthMethod;
use chargekit_model::ocpp::commands::{self, DataTransferRequest, DataTransferResponse, DataTransferStatus};

/// Transaction messages a charger queues while offline and may send again: their answers are
/// kept by message id and payload, so a retransmission is answered the same and applied once.
const RETRANSMITTED: [&str; 3] = [action::START_TRANSACTION, action::METER_VALUES, action::STOP_TRANSACTION];

pub async fn handle_call(state: &Arc<AppState>, charger_id: &str, id: String, action: &str, payload: Value) -> Frame {
    // Any message shows the charger alive: silences over twice the heartbeat interval are gaps.
    crate::heartbeats::on_message(state, charger_id).await;
    // Charger data is untrusted: over-long strings and unknown enumeration values are refused
    // before anything of the message is applied or stored.
    if let Err(error) = constraints::check_call(&id, action, &payload) {
        tracing::warn!(?charger_id, action, error = %log_safe::untrusted(&error), "call refused");
        return error.to_frame();
    }
    // Read as UTC rather than refused (a refused queued stop would be retried forever); the
    // operator should still hear of a charger whose clock gives no offset.
    let offsetless = timestamps_without_offset(&payload);
    if !offsetless.is_empty() {
        tracing::warn!(?charger_id, message_id = ?id, action, fields = ?offsetless, "timestamps without a UTC offset, read as UTC");
    }
    if !RETRANSMITTED.contains(&action) {
        return handle_once(state, charger_id, id, action, payload).await;
    }
    let payload_sha256 = hex::encode(ring::digest::digest(&ring::digest::SHA256, payload.to_string().as_bytes()));
    match state.store.handled_message(charger_id, &id).await {
        Ok(Some(handled)) if handled.action == action && handled.payload_sha256 == payload_sha256 => {
            tracing::info!(?charger_id, message_id = ?id, action, "retransmitted message answered again, not applied");
            let payload = serde_json::from_str(&handled.response).unwrap_or_else(|_| serde_json::json!({}));
            return Frame::CallResult { id, payload };
        }
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %e, "cannot read the handled-message log");
            return FrameError::new(&id, ErrorCode::InternalError, "the central system could not store this message").to_frame();
        }
    }
    if action == action::METER_VALUES {
        // Its answer is known in advance ({}) and stored with the values, in one transaction.
        let handled = HandledMessage { action: action.to_owned(), payload_sha256, response: "{}".to_owned() };
        return answer(&id, payload, |req| async { state.sessions().on_meter_values(charger_id, req, Some((&id, &handled))).await })
            .await
            .unwrap_or_else(|error| error.to_frame());
    }
    let answer = handle_once(state, charger_id, id.clone(), action, payload).await;
    let handled = |response: &Value| HandledMessage { action: action.to_owned(), payload_sha256, response: response.to_string() };
    if let Frame::CallResult { payload, .. } = &answer
        && let Err(e) = state.store.record_handled_message(charger_id, &id, &handled(payload)).await
    {
        // Applied but not logged: a retransmission would be applied again, which the handlers
        // tolerate (a start by its natural key, meter values by time, a stop once final).
        tracing::error!(error = %e, "cannot log a handled message");
    }
    answer
}

async fn handle_once(state: &Arc<AppState>, charger_id: &str, id: String, action: &str, payload: Value) -> Frame {
    let outcome = match action {
        action::BOOT_NOTIFICATION => answer(&id, payload, |req| boot(state, charger_id, req)).await,
        action::HEARTBEAT => answer(&id, payload, |_: HeartbeatRequest| async {
            let now = OffsetDateTime::now_utc();
            state.chargers.heartbeats.beat(charger_id, now);
            state.clients.live.fleet.on_heartbeat(charger_id, now);
            Ok(HeartbeatResponse { current_time: now })
        })
        .await,
        action::STATUS_NOTIFICATION => answer(&id, payload, |req| status(state, charger_id, req)).await,
        action::AUTHORIZE => answer(&id, payload, |req| authorize(state, charger_id, req)).await,
        commands::action::DATA_TRANSFER => answer(&id, payload, |req| data_transfer(state, charger_id, req)).await,
        action::START_TRANSACTION => {
            answer(&id, payload, |req| async move { state.sessions().on_start_transaction(charger_id, req).await }).await
        }
        action::METER_VALUES => answer(&id, payload, |req| async move { state.sessions().on_meter_values(charger_id, req, None).await }).await,
        action::STOP_TRANSACTION => {
            answer(&id, payload, |req| async move { state.sessions().on_stop_transaction(charger_id, req).await }).await
        }
        action::FIRMWARE_STATUS_NOTIFICATION | action::DIAGNOSTICS_STATUS_NOTIFICATION => {
            answer(&id, payload, |req: StatusOnlyNotification| async move {
                tracing::info!(?charger_id, action, status = ?req.status, "charger status report");
                Ok(EmptyResponse {})
            })
            .await
        }
        _ if action::OCPP16.contains(&action) => {
            Err(FrameError::new(&id, ErrorCode::NotSupported, format!("the central system does not take {action} from a charger")))
        }
        _ => Err(FrameError::new(&id, ErrorCode::NotImplemented, format!("action {action} is not known"))),
    };
    outcome.unwrap_or_else(|error| {
        tracing::warn!(?charger_id, action, error = %log_safe::untrusted(&error), "call refused");
        error.to_frame()
    })
}

/// Decodes the payload, runs the handler, and wraps its answer in a CALLRESULT. A storage
/// failure becomes an `InternalError` CALLERROR, so the charger keeps the message and retries.
async fn answer<Req, Res, F, Fut>(id: &str, payload: Value, handler: F) -> Result<Frame, FrameError>
where
    Req: DeserializeOwned,
    Res: Serialize,
    F: FnOnce(Req) -> Fut,
    Fut: Future<Output = Result<Res, sqlx::Error>>,
{
    let request = decode_payload::<Req>(id, payload)?;
    match handler(request).await {
        Ok(response) => Ok(Frame::call_result(id, &response)),
        Err(e) => {
            tracing::error!(error = %e, "storage failure while handling a charger message");
            Err(FrameError::new(id, ErrorCode::InternalError, "the central system could not store this message"))
        }
    }
}

async fn boot(state: &AppState, charger_id: &str, req: BootNotificationRequest) -> Result<BootNotificationResponse, sqlx::Error> {
    state.store.record_boot(charger_id, &req.charge_point_vendor, &req.charge_point_model, req.firmware_version.as_deref()).await?;
    state.clients.live.fleet.on_boot(charger_id, &req.charge_point_vendor, &req.charge_point_model, req.firmware_version.as_deref());
    Ok(BootNotificationResponse {
        status: RegistrationStatus::Accepted,
        current_time: OffsetDateTime::now_utc(),
        interval: state.config.heartbeat_interval_secs,
    })
}

/// Keeps the connector's current status and its history (the operator's availability figures
/// come from it), dated by the charger's clock when it gives one.
async fn status(state: &AppState, charger_id: &str, req: StatusNotificationRequest) -> Result<StatusNotificationResponse, sqlx::Error> {
    let at = req.timestamp.unwrap_or_else(OffsetDateTime::now_utc);
    state.store.record_status_notification(charger_id, req.connector_id, req.status, &req.error_code, at).await?;
    state.clients.live.fleet.on_status(charger_id, req.connector_id, &req.status.into(), &req.error_code, at);
    state.alerts.nudge();
    Ok(StatusNotificationResponse {})
}

async fn authorize(state: &Arc<AppState>, charger_id: &str, req: AuthorizeRequest) -> Result<AuthorizeResponse, sqlx::Error> {
    let decision = authorization::decide(state, &req.id_tag, AtCharger { charger_id, connector_id: None }, None).await?;
    Ok(AuthorizeResponse { id_tag_info: decision.id_tag_info() })
}

/// DataTransfer from a charger, routed by vendor: the one ChargeKit understands is the Plug &
/// Charge authorization of OCA's "Using ISO 15118 Plug & Charge with OCPP 1.6" (vendor
/// `org.openchargealliance.iso15118pnc`, message `Authorize`, data a JSON string carrying the
/// car's `idToken` of type `eMAID`).
async fn data_transfer(state: &Arc<AppState>, charger_id: &str, req: DataTransferRequest) -> Result<DataTransferResponse, sqlx::Error> {
    let unknown = |status| Ok(DataTransferResponse { status, data: None });
    if req.vendor_id != plug_and_charge::VENDOR_ID {
        return unknown(DataTransferStatus::UnknownVendorId);
    }
    if req.message_id.as_deref() != Some(plug_and_charge::AUTHORIZE) {
        return unknown(DataTransferStatus::UnknownMessageId);
    }
    let Some(emaid) = req.data.as_deref().and_then(plug_and_charge::emaid_of_authorize) else {
        return unknown(DataTransferStatus::Rejected);
    };
    let at = AtCharger { charger_id, connector_id: None };
    let decision = authorization::decide(state, &emaid, at, Some(AuthMethod::PlugAndCharge)).await?;
    Ok(DataTransferResponse { status: DataTransferStatus::Accepted, data: Some(plug_and_charge::authorize_answer(decision.status)) })
}
