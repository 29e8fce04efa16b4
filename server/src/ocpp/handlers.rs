//! Answers to the CALLs a charger sends. Each answer is sent only after what it acknowledges
//! is stored.

use std::sync::Arc;

use chargekit_model::ocpp::frame::decode_payload;
use chargekit_model::ocpp::messages::*;
use chargekit_model::ocpp::{ErrorCode, Frame, FrameError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;

use crate::AppState;

pub async fn handle_call(state: &Arc<AppState>, charger_id: &str, id: String, action: &str, payload: Value) -> Frame {
    let outcome = match action {
        action::BOOT_NOTIFICATION => answer(&id, payload, |req| boot(state, charger_id, req)).await,
        action::HEARTBEAT => answer(&id, payload, |_: HeartbeatRequest| async {
            Ok(HeartbeatResponse { current_time: OffsetDateTime::now_utc() })
        })
        .await,
        action::STATUS_NOTIFICATION => answer(&id, payload, |req| status(state, charger_id, req)).await,
        action::AUTHORIZE => answer(&id, payload, |req| authorize(state, req)).await,
        action::START_TRANSACTION => {
            answer(&id, payload, |req| async move { state.sessions().on_start_transaction(charger_id, req).await }).await
        }
        action::METER_VALUES => answer(&id, payload, |req| async move { state.sessions().on_meter_values(charger_id, req).await }).await,
        action::STOP_TRANSACTION => {
            answer(&id, payload, |req| async move { state.sessions().on_stop_transaction(charger_id, req).await }).await
        }
        _ => Err(FrameError::new(&id, ErrorCode::NotImplemented, format!("action {action} is not supported"))),
    };
    outcome.unwrap_or_else(|error| {
        tracing::warn!(%charger_id, action, %error, "call refused");
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
    state.store.record_boot(charger_id, &req.charge_point_vendor, &req.charge_point_model).await?;
    Ok(BootNotificationResponse {
        status: RegistrationStatus::Accepted,
        current_time: OffsetDateTime::now_utc(),
        interval: state.config.heartbeat_interval_secs,
    })
}

async fn status(state: &AppState, charger_id: &str, req: StatusNotificationRequest) -> Result<StatusNotificationResponse, sqlx::Error> {
    if req.connector_id > 0 {
        state.store.set_connector_status(charger_id, req.connector_id, req.status.as_str()).await?;
    }
    Ok(StatusNotificationResponse {})
}

async fn authorize(state: &AppState, req: AuthorizeRequest) -> Result<AuthorizeResponse, sqlx::Error> {
    let known = state.store.driver_by_id_tag(&req.id_tag).await?.is_some();
    let status = if known { AuthorizationStatus::Accepted } else { AuthorizationStatus::Invalid };
    Ok(AuthorizeResponse { id_tag_info: IdTagInfo::with_status(status) })
}
