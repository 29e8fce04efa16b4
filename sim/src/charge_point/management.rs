//! What a charge point does for its operator: configuration keys (GetConfiguration,
//! ChangeConfiguration — `MeterValueSampleInterval` changes how often the next transactions
//! meter), TriggerMessage, ChangeAvailability, UnlockConnector, Reset, ClearCache and
//! DataTransfer, answered as OCPP 1.6 specifies.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chargekit_model::ocpp::Frame;
use chargekit_model::ocpp::commands::*;
use chargekit_model::ocpp::frame::decode_payload;
use chargekit_model::ocpp::messages::{BootNotificationResponse, ChargePointStatus, HeartbeatRequest, HeartbeatResponse, action as core_action};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::task::JoinSet;

use super::{Shared, lock};
use crate::config::SimConfig;
use crate::connection::IncomingCall;

/// The charge point's configuration keys (the OCPP 1.6 "Core" profile ones it knows).
pub(super) struct Configuration {
    keys: std::sync::Mutex<BTreeMap<&'static str, Key>>,
    /// `MeterValueSampleInterval`, read when a transaction starts.
    meter_interval_ms: AtomicU64,
}

struct Key {
    value: String,
    readonly: bool,
}

impl Configuration {
    pub(super) fn new(config: &SimConfig) -> Self {
        let interval = config.meter_interval;
        let keys = BTreeMap::from([
            ("AuthorizeRemoteTxRequests", Key { value: "false".into(), readonly: true }),
            ("HeartbeatInterval", Key { value: "300".into(), readonly: false }),
            ("MeterValueSampleInterval", Key { value: interval.as_secs().max(1).to_string(), readonly: false }),
            ("MeterValuesSampledData", Key { value: "Energy.Active.Import.Register,Power.Active.Import".into(), readonly: true }),
            ("NumberOfConnectors", Key { value: config.connectors.to_string(), readonly: true }),
            ("StopTransactionOnInvalidId", Key { value: "true".into(), readonly: true }),
        ]);
        Self { keys: std::sync::Mutex::new(keys), meter_interval_ms: AtomicU64::new(interval.as_millis().try_into().unwrap_or(u64::MAX)) }
    }

    pub(super) fn meter_interval(&self) -> Duration {
        Duration::from_millis(self.meter_interval_ms.load(Ordering::SeqCst))
    }

    fn get(&self, request: &GetConfigurationRequest) -> GetConfigurationResponse {
        let keys = lock(&self.keys);
        let entry = |(name, key): (&&'static str, &Key)| KeyValue { key: (*name).to_owned(), readonly: key.readonly, value: Some(key.value.clone()) };
        match &request.key {
            None => GetConfigurationResponse { configuration_key: Some(keys.iter().map(entry).collect()), unknown_key: None },
            Some(wanted) => {
                let (known, unknown): (Vec<_>, Vec<_>) = wanted.iter().partition(|name| keys.contains_key(name.as_str()));
                GetConfigurationResponse {
                    configuration_key: Some(known.iter().filter_map(|name| keys.get_key_value(name.as_str())).map(entry).collect()),
                    unknown_key: (!unknown.is_empty()).then(|| unknown.into_iter().cloned().collect()),
                }
            }
        }
    }

    fn change(&self, request: &ChangeConfigurationRequest) -> ConfigurationStatus {
        let mut keys = lock(&self.keys);
        let Some(key) = keys.get_mut(request.key.as_str()) else { return ConfigurationStatus::NotSupported };
        if key.readonly {
            return ConfigurationStatus::Rejected;
        }
        match request.key.as_str() {
            "MeterValueSampleInterval" | "HeartbeatInterval" => {
                let Ok(seconds) = request.value.trim().parse::<u64>() else { return ConfigurationStatus::Rejected };
                if seconds == 0 {
                    return ConfigurationStatus::Rejected;
                }
                if request.key == "MeterValueSampleInterval" {
                    self.meter_interval_ms.store(seconds * 1000, Ordering::SeqCst);
                }
                key.value = seconds.to_string();
                ConfigurationStatus::Accepted
            }
            _ => ConfigurationStatus::Rejected,
        }
    }
}

impl Shared {
    /// Answers a management CALL; `false` when `call` is not one (the caller answers it).
    pub(super) fn on_management_call(self: &Arc<Self>, call: &IncomingCall, tasks: &mut JoinSet<()>) -> bool {
        let id = call.id.as_str();
        let payload = call.payload.clone();
        match call.action.as_str() {
            action::GET_CONFIGURATION => self.answer(id, payload, |r: GetConfigurationRequest| self.configuration.get(&r)),
            action::CHANGE_CONFIGURATION => {
                self.answer(id, payload, |r: ChangeConfigurationRequest| ChangeConfigurationResponse { status: self.configuration.change(&r) })
            }
            action::CLEAR_CACHE => self.answer(id, payload, |_: ClearCacheRequest| ClearCacheResponse { status: AcceptedOrRejected::Accepted }),
            // A simulator has no firmware to restart: a reset is accepted and its effect left out.
            action::RESET => self.answer(id, payload, |_: ResetRequest| ResetResponse { status: AcceptedOrRejected::Accepted }),
            action::DATA_TRANSFER => {
                self.answer(id, payload, |_: DataTransferRequest| DataTransferResponse { status: DataTransferStatus::UnknownVendorId, data: None })
            }
            action::UNLOCK_CONNECTOR => self.answer(id, payload, |r: UnlockConnectorRequest| {
                let state = lock(&self.state);
                let status = match state.connector(r.connector_id) {
                    None => UnlockStatus::NotSupported,
                    // The cable of a running transaction stays locked; stop it first.
                    Some(c) if c.session.is_some() => UnlockStatus::UnlockFailed,
                    Some(_) => UnlockStatus::Unlocked,
                };
                UnlockConnectorResponse { status }
            }),
            action::CHANGE_AVAILABILITY => {
                let Ok(request) = decode_payload::<ChangeAvailabilityRequest>(id, payload) else {
                    self.reply(Frame::call_error(id, chargekit_model::ocpp::ErrorCode::FormationViolation, "not a ChangeAvailability"));
                    return true;
                };
                let busy = lock(&self.state).connectors.iter().any(|c| c.session.is_some());
                let status = if busy { AvailabilityStatus::Scheduled } else { AvailabilityStatus::Accepted };
                self.reply(Frame::call_result(id, &ChangeAvailabilityResponse { status }));
                if !busy {
                    let to = if request.kind == AvailabilityType::Inoperative { ChargePointStatus::Unavailable } else { ChargePointStatus::Available };
                    let this = self.clone();
                    tasks.spawn(async move { this.report_status(request.connector_id, to).await });
                }
            }
            action::TRIGGER_MESSAGE => {
                let Ok(request) = decode_payload::<TriggerMessageRequest>(id, payload) else {
                    self.reply(Frame::call_error(id, chargekit_model::ocpp::ErrorCode::FormationViolation, "not a TriggerMessage"));
                    return true;
                };
                let known = matches!(request.requested_message.as_str(), "StatusNotification" | "Heartbeat" | "BootNotification");
                let status = if known { TriggerMessageStatus::Accepted } else { TriggerMessageStatus::NotImplemented };
                // The answer first: the triggered message follows it, as the specification asks.
                self.reply(Frame::call_result(id, &TriggerMessageResponse { status }));
                if known {
                    let this = self.clone();
                    tasks.spawn(async move { this.send_triggered(&request).await });
                }
            }
            _ => return false,
        }
        true
    }

    fn answer<Req: DeserializeOwned, Res: Serialize>(&self, id: &str, payload: serde_json::Value, handle: impl FnOnce(Req) -> Res) {
        match decode_payload::<Req>(id, payload) {
            Ok(request) => self.reply(Frame::call_result(id, &handle(request))),
            Err(error) => self.reply(error.to_frame()),
        }
    }

    async fn send_triggered(&self, request: &TriggerMessageRequest) {
        match request.requested_message.as_str() {
            "Heartbeat" => {
                let _: Option<HeartbeatResponse> = self.call(core_action::HEARTBEAT, &HeartbeatRequest {}).await;
            }
            "BootNotification" => {
                let _: Option<BootNotificationResponse> = self.call(core_action::BOOT_NOTIFICATION, &self.boot_request()).await;
            }
            _ => {
                let connectors: Vec<u32> = match request.connector_id {
                    Some(id) => vec![id],
                    None => (0..=self.config.connectors).collect(),
                };
                for connector_id in connectors {
                    let status = self.current_status(connector_id);
                    self.report_status(connector_id, status).await;
                }
            }
        }
    }
}
