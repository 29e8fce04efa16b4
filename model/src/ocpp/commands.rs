//! OCPP 1.6J operations the central system sends to manage a charger (configuration, triggers,
//! availability, unlock, reset, cache), and DataTransfer in both directions. Named and shaped
//! as in the specification; unknown fields are ignored.

use serde::{Deserialize, Serialize};

/// Action names of these operations.
pub mod action {
    pub const CHANGE_AVAILABILITY: &str = "ChangeAvailability";
    pub const CHANGE_CONFIGURATION: &str = "ChangeConfiguration";
    pub const CLEAR_CACHE: &str = "ClearCache";
    pub const DATA_TRANSFER: &str = "DataTransfer";
    pub const GET_CONFIGURATION: &str = "GetConfiguration";
    pub const RESET: &str = "Reset";
    pub const TRIGGER_MESSAGE: &str = "TriggerMessage";
    pub const UNLOCK_CONNECTOR: &str = "UnlockConnector";

    /// Every operation an operator may send through the server.
    pub const OPERATOR_COMMANDS: [&str; 8] =
        [CHANGE_AVAILABILITY, CHANGE_CONFIGURATION, CLEAR_CACHE, DATA_TRANSFER, GET_CONFIGURATION, RESET, TRIGGER_MESSAGE, UNLOCK_CONNECTOR];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangeConfigurationRequest {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConfigurationStatus {
    Accepted,
    Rejected,
    RebootRequired,
    NotSupported,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeConfigurationResponse {
    pub status: ConfigurationStatus,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GetConfigurationRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct KeyValue {
    pub key: String,
    pub readonly: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct GetConfigurationResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration_key: Option<Vec<KeyValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown_key: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TriggerMessageRequest {
    /// BootNotification, DiagnosticsStatusNotification, FirmwareStatusNotification, Heartbeat,
    /// MeterValues or StatusNotification.
    pub requested_message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TriggerMessageStatus {
    Accepted,
    Rejected,
    NotImplemented,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggerMessageResponse {
    pub status: TriggerMessageStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AvailabilityType {
    Inoperative,
    Operative,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ChangeAvailabilityRequest {
    /// 0: the whole charger.
    pub connector_id: u32,
    #[serde(rename = "type")]
    pub kind: AvailabilityType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AvailabilityStatus {
    Accepted,
    Rejected,
    Scheduled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeAvailabilityResponse {
    pub status: AvailabilityStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct UnlockConnectorRequest {
    pub connector_id: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum UnlockStatus {
    Unlocked,
    UnlockFailed,
    NotSupported,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnlockConnectorResponse {
    pub status: UnlockStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ResetType {
    Hard,
    Soft,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetRequest {
    #[serde(rename = "type")]
    pub kind: ResetType,
}

/// The answer of Reset and ClearCache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AcceptedOrRejected {
    Accepted,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetResponse {
    pub status: AcceptedOrRejected,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClearCacheRequest {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClearCacheResponse {
    pub status: AcceptedOrRejected,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataTransferRequest {
    pub vendor_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Free text; by convention a JSON document serialized as a string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DataTransferStatus {
    Accepted,
    Rejected,
    UnknownMessageId,
    UnknownVendorId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DataTransferResponse {
    pub status: DataTransferStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn writes_spec_names() {
        let availability = ChangeAvailabilityRequest { connector_id: 0, kind: AvailabilityType::Inoperative };
        assert_eq!(serde_json::to_value(&availability).unwrap(), json!({"connectorId": 0, "type": "Inoperative"}));
        let trigger = TriggerMessageRequest { requested_message: "StatusNotification".into(), connector_id: Some(1) };
        assert_eq!(serde_json::to_value(&trigger).unwrap(), json!({"requestedMessage": "StatusNotification", "connectorId": 1}));
        assert_eq!(serde_json::to_value(ResetRequest { kind: ResetType::Soft }).unwrap(), json!({"type": "Soft"}));
        assert_eq!(serde_json::to_value(GetConfigurationRequest::default()).unwrap(), json!({}));
        let transfer = DataTransferRequest { vendor_id: "org.example".into(), message_id: None, data: Some("{}".into()) };
        assert_eq!(serde_json::to_value(&transfer).unwrap(), json!({"vendorId": "org.example", "data": "{}"}));
    }

    #[test]
    fn reads_answers_with_vendor_fields() {
        let config: GetConfigurationResponse = serde_json::from_value(json!({
            "configurationKey": [{"key": "MeterValueSampleInterval", "readonly": false, "value": "60", "vendorX": 1}],
            "unknownKey": ["Nope"]
        }))
        .unwrap();
        assert_eq!(config.configuration_key.unwrap()[0].value.as_deref(), Some("60"));
        let unlock: UnlockConnectorResponse = serde_json::from_value(json!({"status": "UnlockFailed"})).unwrap();
        assert_eq!(unlock.status, UnlockStatus::UnlockFailed);
    }
}
