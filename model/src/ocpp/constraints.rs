//! The limits the official OCPP 1.6 JSON schemas put on the CALLs a charger sends: the length
//! of every CiString field and the values of every enumeration kept as a string.
//!
//! One table per action, transcribed from the schemas, checked against the raw payload before
//! it is decoded, so that no over-long or unknown value reaches the store. A violation is the
//! CALLERROR `PropertyConstraintViolation` naming the field (OCPP-J §4.2.3: "syntactically
//! correct but at least one field contains an invalid value"). Types and required fields are
//! left to the decoder, which answers `TypeConstraintViolation` and
//! `OccurenceConstraintViolation` ([`super::frame::decode_payload`]). Lengths count characters
//! (Unicode scalar values), as JSON Schema's `maxLength` does.

use serde_json::Value;

use super::frame::{ErrorCode, FrameError};
use super::messages::action;

/// What a field's value must satisfy.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// `CiString{n}Type`: at most n characters.
    MaxLength(usize),
    /// An enumeration: its schema name and its values.
    OneOf(&'static str, &'static [&'static str]),
}

/// A field by its path in the payload: names joined by `.`, a trailing `[]` for each element of
/// an array (`meterValue[].sampledValue[].unit`).
type Constraint = (&'static str, Rule);

const ID_TOKEN: Rule = Rule::MaxLength(20);

const READING_CONTEXT: Rule = Rule::OneOf(
    "ReadingContext",
    &["Interruption.Begin", "Interruption.End", "Sample.Clock", "Sample.Periodic", "Transaction.Begin", "Transaction.End", "Trigger", "Other"],
);
const VALUE_FORMAT: Rule = Rule::OneOf("ValueFormat", &["Raw", "SignedData"]);
const MEASURAND: Rule = Rule::OneOf(
    "Measurand",
    &[
        "Energy.Active.Export.Register", "Energy.Active.Import.Register", "Energy.Reactive.Export.Register",
        "Energy.Reactive.Import.Register", "Energy.Active.Export.Interval", "Energy.Active.Import.Interval",
        "Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval", "Power.Active.Export", "Power.Active.Import",
        "Power.Offered", "Power.Reactive.Export", "Power.Reactive.Import", "Power.Factor", "Current.Import", "Current.Export",
        "Current.Offered", "Voltage", "Frequency", "Temperature", "SoC", "RPM",
    ],
);
const PHASE: Rule = Rule::OneOf("Phase", &["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"]);
const LOCATION: Rule = Rule::OneOf("Location", &["Cable", "EV", "Inlet", "Outlet", "Body"]);
/// As in MeterValues.json. StopTransaction.json's copy lacks `Hertz`; one list for both, so a
/// frequency reading is not refused in one message and taken in the other. `Celcius` (sic) is
/// in the schemas next to `Celsius`.
const UNIT_OF_MEASURE: Rule = Rule::OneOf(
    "UnitOfMeasure",
    &["Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var", "kvar", "A", "V", "K", "Celcius", "Celsius", "Fahrenheit", "Percent", "Hertz"],
);

/// The enumerations of one sampled value, under the path of its list.
macro_rules! sampled_value {
    ($list:literal) => {
        [
            (concat!($list, "[].sampledValue[].context"), READING_CONTEXT),
            (concat!($list, "[].sampledValue[].format"), VALUE_FORMAT),
            (concat!($list, "[].sampledValue[].measurand"), MEASURAND),
            (concat!($list, "[].sampledValue[].phase"), PHASE),
            (concat!($list, "[].sampledValue[].location"), LOCATION),
            (concat!($list, "[].sampledValue[].unit"), UNIT_OF_MEASURE),
        ]
    };
}

const AUTHORIZE: &[Constraint] = &[("idTag", ID_TOKEN)];
const BOOT_NOTIFICATION: &[Constraint] = &[
    ("chargePointVendor", Rule::MaxLength(20)),
    ("chargePointModel", Rule::MaxLength(20)),
    ("chargePointSerialNumber", Rule::MaxLength(25)),
    ("chargeBoxSerialNumber", Rule::MaxLength(25)),
    ("firmwareVersion", Rule::MaxLength(50)),
    ("iccid", Rule::MaxLength(20)),
    ("imsi", Rule::MaxLength(20)),
    ("meterType", Rule::MaxLength(25)),
    ("meterSerialNumber", Rule::MaxLength(25)),
];
const DATA_TRANSFER: &[Constraint] = &[("vendorId", Rule::MaxLength(255)), ("messageId", Rule::MaxLength(50))];
const DIAGNOSTICS_STATUS_NOTIFICATION: &[Constraint] =
    &[("status", Rule::OneOf("DiagnosticsStatus", &["Idle", "Uploaded", "UploadFailed", "Uploading"]))];
const FIRMWARE_STATUS_NOTIFICATION: &[Constraint] = &[(
    "status",
    Rule::OneOf("FirmwareStatus", &["Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed", "Installing", "Installed"]),
)];
const METER_VALUES: &[Constraint] = &sampled_value!("meterValue");
const START_TRANSACTION: &[Constraint] = &[("idTag", ID_TOKEN)];
const STATUS_NOTIFICATION: &[Constraint] = &[
    (
        "errorCode",
        Rule::OneOf(
            "ChargePointErrorCode",
            &[
                "ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError",
                "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure", "PowerMeterFailure", "PowerSwitchFailure",
                "ReaderFailure", "ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal",
            ],
        ),
    ),
    ("info", Rule::MaxLength(50)),
    (
        "status",
        Rule::OneOf(
            "ChargePointStatus",
            &["Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved", "Unavailable", "Faulted"],
        ),
    ),
    ("vendorId", Rule::MaxLength(255)),
    ("vendorErrorCode", Rule::MaxLength(50)),
];
const STOP_TRANSACTION: &[Constraint] = {
    const SAMPLED: [Constraint; 6] = sampled_value!("transactionData");
    &[
        ("idTag", ID_TOKEN),
        (
            "reason",
            Rule::OneOf(
                "Reason",
                &["EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot", "Remote", "SoftReset", "UnlockCommand", "DeAuthorized"],
            ),
        ),
        SAMPLED[0],
        SAMPLED[1],
        SAMPLED[2],
        SAMPLED[3],
        SAMPLED[4],
        SAMPLED[5],
    ]
};

/// The constraints of a CALL a charger sends; none for actions without string fields
/// (Heartbeat) or that a charger does not send.
fn constraints(action: &str) -> &'static [Constraint] {
    match action {
        action::AUTHORIZE => AUTHORIZE,
        action::BOOT_NOTIFICATION => BOOT_NOTIFICATION,
        super::commands::action::DATA_TRANSFER => DATA_TRANSFER,
        action::DIAGNOSTICS_STATUS_NOTIFICATION => DIAGNOSTICS_STATUS_NOTIFICATION,
        action::FIRMWARE_STATUS_NOTIFICATION => FIRMWARE_STATUS_NOTIFICATION,
        action::METER_VALUES => METER_VALUES,
        action::START_TRANSACTION => START_TRANSACTION,
        action::STATUS_NOTIFICATION => STATUS_NOTIFICATION,
        action::STOP_TRANSACTION => STOP_TRANSACTION,
        _ => &[],
    }
}

/// Checks a CALL's payload against its action's constraints: the first violation becomes a
/// `PropertyConstraintViolation` CALLERROR for message `id`, naming the field.
pub fn check_call(id: &str, action: &str, payload: &Value) -> Result<(), FrameError> {
    for (path, rule) in constraints(action) {
        let segments: Vec<&str> = path.split('.').collect();
        check(payload, &segments, String::new(), *rule)
            .map_err(|why| FrameError::new(id, ErrorCode::PropertyConstraintViolation, why))?;
    }
    Ok(())
}

/// Follows `segments` into `value` (every element of an array segment) and checks the strings
/// found at the end. Absent fields and values of the wrong type are the decoder's to refuse.
fn check(value: &Value, segments: &[&str], shown: String, rule: Rule) -> Result<(), String> {
    let Some((segment, rest)) = segments.split_first() else {
        return match value {
            Value::String(text) => check_value(&shown, text, rule),
            _ => Ok(()),
        };
    };
    let (name, each) = match segment.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (*segment, false),
    };
    let Some(field) = value.get(name) else { return Ok(()) };
    let shown = if shown.is_empty() { name.to_owned() } else { format!("{shown}.{name}") };
    match (each, field) {
        (true, Value::Array(items)) => {
            for (index, item) in items.iter().enumerate() {
                check(item, rest, format!("{shown}[{index}]"), rule)?;
            }
            Ok(())
        }
        (true, _) => Ok(()),
        (false, field) => check(field, rest, shown, rule),
    }
}

fn check_value(field: &str, text: &str, rule: Rule) -> Result<(), String> {
    match rule {
        Rule::MaxLength(max) => {
            let length = text.chars().count();
            if length > max {
                return Err(format!("{field} is {length} characters long; OCPP 1.6 allows at most {max} (CiString{max}Type)"));
            }
        }
        Rule::OneOf(name, values) => {
            if !values.contains(&text) {
                // The value itself is the charger's: quoted short, it cannot flood the log.
                let shown: String = text.chars().take(40).collect();
                return Err(format!("{field} \"{shown}\" is not a {name} value of OCPP 1.6"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violation(action: &str, payload: Value) -> String {
        let error = check_call("m1", action, &payload).expect_err("a violation");
        assert_eq!((error.id.as_str(), error.code), ("m1", ErrorCode::PropertyConstraintViolation));
        error.description
    }

    #[test]
    fn strings_are_bounded_in_characters() {
        assert!(check_call("m1", "Authorize", &json!({"idTag": "€".repeat(20)})).is_ok(), "20 characters, 60 bytes");
        let why = violation("Authorize", json!({"idTag": "x".repeat(21)}));
        assert!(why.starts_with("idTag is 21 characters long") && why.contains("CiString20Type"), "{why}");
    }

    #[test]
    fn enumerations_inside_lists_are_named_by_their_place() {
        let meter = json!({"connectorId": 1, "meterValue": [
            {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "1", "unit": "kWh"}]},
            {"timestamp": "2026-01-01T00:01:00Z", "sampledValue": [{"value": "1"}, {"value": "2", "phase": "L4"}]},
        ]});
        let why = violation("MeterValues", meter);
        assert!(why.starts_with("meterValue[1].sampledValue[1].phase \"L4\" is not a Phase value"), "{why}");
        let long_value = "y".repeat(1000);
        let why = violation("StopTransaction", json!({"reason": long_value}));
        assert!(why.len() < 120, "the charger's value is not echoed in full: {why}");
    }

    #[test]
    fn the_same_field_follows_its_actions_schema() {
        assert!(check_call("m1", "FirmwareStatusNotification", &json!({"status": "Installed"})).is_ok());
        violation("DiagnosticsStatusNotification", json!({"status": "Installed"}));
    }

    #[test]
    fn absent_fields_and_wrong_types_are_left_to_the_decoder() {
        for payload in [json!({}), json!({"idTag": 5}), json!({"meterValue": "none"}), json!({"meterValue": [{"sampledValue": [7]}]})] {
            for action in ["Authorize", "MeterValues", "StopTransaction", "Heartbeat", "Unknown"] {
                assert!(check_call("m1", action, &payload).is_ok(), "{action} {payload}");
            }
        }
    }
}
