//! OCPP-J frames: `[2, id, action, payload]`, `[3, id, payload]`, `[4, id, code, description, details]`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const CALL: u64 = 2;
const CALL_RESULT: u64 = 3;
const CALL_ERROR: u64 = 4;

/// The message id answered when a frame is too broken to carry one.
pub const UNKNOWN_MESSAGE_ID: &str = "-1";

/// OCPP 1.6J CALLERROR codes (spelling as in the specification, `Occurence` included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    NotImplemented,
    NotSupported,
    InternalError,
    ProtocolError,
    SecurityError,
    FormationViolation,
    PropertyConstraintViolation,
    OccurenceConstraintViolation,
    TypeConstraintViolation,
    GenericError,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Call { id: String, action: String, payload: Value },
    CallResult { id: String, payload: Value },
    CallError { id: String, code: String, description: String, details: Value },
}

/// A frame that cannot be accepted, with the CALLERROR that answers it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code:?}: {description}")]
pub struct FrameError {
    /// The message id to answer, [`UNKNOWN_MESSAGE_ID`] when none could be read.
    pub id: String,
    pub code: ErrorCode,
    pub description: String,
}

impl FrameError {
    pub fn new(id: impl Into<String>, code: ErrorCode, description: impl Into<String>) -> Self {
        Self { id: id.into(), code, description: description.into() }
    }

    /// The CALLERROR frame that answers this error.
    pub fn to_frame(&self) -> Frame {
        Frame::call_error(&self.id, self.code, &self.description)
    }
}

impl Frame {
    pub fn call(id: impl Into<String>, action: impl Into<String>, payload: &impl Serialize) -> Self {
        Self::Call { id: id.into(), action: action.into(), payload: to_value(payload) }
    }

    pub fn call_result(id: impl Into<String>, payload: &impl Serialize) -> Self {
        Self::CallResult { id: id.into(), payload: to_value(payload) }
    }

    pub fn call_error(id: impl Into<String>, code: ErrorCode, description: impl Into<String>) -> Self {
        let code = serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        Self::CallError { id: id.into(), code, description: description.into(), details: json!({}) }
    }

    pub fn id(&self) -> &str {
        match self {
            Self::Call { id, .. } | Self::CallResult { id, .. } | Self::CallError { id, .. } => id,
        }
    }

    /// Reads one WebSocket text message.
    pub fn parse(text: &str) -> Result<Self, FrameError> {
        let formation = |id: &str, why: &str| FrameError::new(id, ErrorCode::FormationViolation, why);
        let value: Value = serde_json::from_str(text)
            .map_err(|_| formation(UNKNOWN_MESSAGE_ID, "frame is not valid JSON"))?;
        let items = value
            .as_array()
            .ok_or_else(|| formation(UNKNOWN_MESSAGE_ID, "frame is not a JSON array"))?;
        let id = match items.get(1) {
            Some(Value::String(id)) if !id.is_empty() && id.len() <= 36 => id.clone(),
            _ => return Err(formation(UNKNOWN_MESSAGE_ID, "frame has no valid message id")),
        };
        let kind = items.first().and_then(Value::as_u64);
        match (kind, items.len()) {
            (Some(CALL), 4) => {
                let action = items[2]
                    .as_str()
                    .ok_or_else(|| formation(&id, "action is not a string"))?
                    .to_owned();
                if !items[3].is_object() {
                    return Err(formation(&id, "payload is not a JSON object"));
                }
                Ok(Self::Call { id, action, payload: items[3].clone() })
            }
            (Some(CALL_RESULT), 3) => Ok(Self::CallResult { id, payload: items[2].clone() }),
            (Some(CALL_ERROR), 5) => Ok(Self::CallError {
                id,
                code: items[2].as_str().unwrap_or_default().to_owned(),
                description: items[3].as_str().unwrap_or_default().to_owned(),
                details: items[4].clone(),
            }),
            (Some(CALL | CALL_RESULT | CALL_ERROR), _) => {
                Err(formation(&id, "frame has the wrong number of elements for its type"))
            }
            _ => Err(FrameError::new(id, ErrorCode::ProtocolError, "unknown message type")),
        }
    }

    pub fn to_text(&self) -> String {
        let value = match self {
            Self::Call { id, action, payload } => json!([CALL, id, action, payload]),
            Self::CallResult { id, payload } => json!([CALL_RESULT, id, payload]),
            Self::CallError { id, code, description, details } => {
                json!([CALL_ERROR, id, code, description, details])
            }
        };
        value.to_string()
    }
}

/// Reads a CALL payload into its message type; a payload that does not fit gets the CALLERROR
/// code OCPP-J prescribes for the kind of mismatch.
pub fn decode_payload<T: DeserializeOwned>(id: &str, payload: Value) -> Result<T, FrameError> {
    serde_json::from_value(payload).map_err(|e| {
        let text = e.to_string();
        let code = if text.starts_with("missing field") {
            ErrorCode::OccurenceConstraintViolation
        } else if text.starts_with("invalid type") {
            ErrorCode::TypeConstraintViolation
        } else if text.starts_with("unknown variant") || text.starts_with("invalid value") || text.starts_with("invalid length") {
            // Well-formed, of the right type, but not an allowed value (an unknown status, a
            // negative connector id): OCPP-J's "syntactically correct but invalid value".
            ErrorCode::PropertyConstraintViolation
        } else {
            ErrorCode::FormationViolation
        };
        FrameError::new(id, code, text)
    })
}

fn to_value(payload: &impl Serialize) -> Value {
    // Our message types are plain structs of strings and numbers; they always serialize.
    serde_json::to_value(payload).expect("OCPP payload serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocpp::messages::BootNotificationRequest;

    #[test]
    fn round_trips_each_kind() {
        for frame in [
            Frame::call("1", "Heartbeat", &json!({})),
            Frame::call_result("2", &json!({"currentTime": "2026-01-01T00:00:00Z"})),
            Frame::call_error("3", ErrorCode::NotImplemented, "no"),
        ] {
            assert_eq!(Frame::parse(&frame.to_text()).unwrap(), frame);
        }
        assert_eq!(Frame::call_error("3", ErrorCode::NotImplemented, "no").to_text(), r#"[4,"3","NotImplemented","no",{}]"#);
    }

    #[test]
    fn malformed_frames_get_the_right_error() {
        let err = |t: &str| Frame::parse(t).unwrap_err();
        assert_eq!(err("not json").id, UNKNOWN_MESSAGE_ID);
        assert_eq!(err("not json").code, ErrorCode::FormationViolation);
        assert_eq!(err("{}").code, ErrorCode::FormationViolation);
        assert_eq!(err("[2]").id, UNKNOWN_MESSAGE_ID);
        let e = err(r#"[2,"abc","Heartbeat"]"#);
        assert_eq!((e.id.as_str(), e.code), ("abc", ErrorCode::FormationViolation));
        assert_eq!(err(r#"[2,"abc","Heartbeat",[]]"#).code, ErrorCode::FormationViolation);
        assert_eq!(err(r#"[7,"abc",{}]"#).code, ErrorCode::ProtocolError);
        assert_eq!(err(r#"[2,"","Heartbeat",{}]"#).id, UNKNOWN_MESSAGE_ID);
    }

    #[test]
    fn payload_errors_are_classified() {
        let missing = decode_payload::<BootNotificationRequest>("1", json!({"chargePointVendor": "x"})).unwrap_err();
        assert_eq!(missing.code, ErrorCode::OccurenceConstraintViolation);
        let wrong_type = decode_payload::<BootNotificationRequest>("1", json!({"chargePointVendor": 1, "chargePointModel": "m"})).unwrap_err();
        assert_eq!(wrong_type.code, ErrorCode::TypeConstraintViolation);
        // Vendor fields are ignored.
        let ok = decode_payload::<BootNotificationRequest>("1", json!({"chargePointVendor": "v", "chargePointModel": "m", "x-vendor": 1}));
        assert!(ok.is_ok());
    }
}
