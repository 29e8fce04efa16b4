//! OCPP 1.6J message payloads used by ChargeKit, named and shaped as in the specification.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Date-times in OCPP messages. OCPP 1.6J asks for RFC 3339 with an offset; real chargers also
/// send local-looking times without one (`2026-11-30T10:00:00`, `…10:00:00.123`). Refusing
/// those would block a queued StopTransaction forever (the charger retries the same message),
/// so they are read as UTC; [`timestamps_without_offset`] names them so the central system can
/// warn the operator. Written back always with an offset (RFC 3339).
pub mod charger_time {
    use serde::de::{Error, Unexpected};
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    const WITHOUT_OFFSET: &[time::format_description::BorrowedFormatItem<'static>] =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");

    /// The date-time `text` says, and whether it gave its offset.
    pub fn parse(text: &str) -> Option<(OffsetDateTime, bool)> {
        use time::format_description::well_known::Rfc3339;
        if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
            return Some((at, true));
        }
        time::PrimitiveDateTime::parse(text, WITHOUT_OFFSET).ok().map(|at| (at.assume_utc(), false))
    }

    pub fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::serialize(at, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        parse(&text)
            .map(|(at, _)| at)
            .ok_or_else(|| D::Error::invalid_value(Unexpected::Str(&text), &"an RFC 3339 date-time"))
    }

    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};
        use time::OffsetDateTime;

        pub fn serialize<S: Serializer>(at: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
            time::serde::rfc3339::option::serialize(at, s)
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
            #[derive(Deserialize)]
            struct At(#[serde(with = "super")] OffsetDateTime);
            Ok(Option::<At>::deserialize(d)?.map(|At(at)| at))
        }
    }
}

/// The names OCPP 1.6 gives its date-time fields.
const TIMESTAMP_FIELDS: [&str; 3] = ["timestamp", "expiryDate", "currentTime"];

/// Where a payload carries a date-time without an offset (read as UTC by [`charger_time`]),
/// as paths like `meterValue[0].timestamp`: what a warning to the operator names.
pub fn timestamps_without_offset(payload: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(fields) => {
                for (name, value) in fields {
                    let here = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                    match value.as_str() {
                        Some(text) if TIMESTAMP_FIELDS.contains(&name.as_str()) => {
                            if charger_time::parse(text).is_some_and(|(_, with_offset)| !with_offset) {
                                found.push(here);
                            }
                        }
                        _ => walk(value, &here, found),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                for (n, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{n}]"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(payload, "", &mut found);
    found
}

/// Action names, as they appear in CALL frames.
pub mod action {
    pub const AUTHORIZE: &str = "Authorize";
    pub const BOOT_NOTIFICATION: &str = "BootNotification";
    pub const HEARTBEAT: &str = "Heartbeat";
    pub const METER_VALUES: &str = "MeterValues";
    pub const REMOTE_START_TRANSACTION: &str = "RemoteStartTransaction";
    pub const REMOTE_STOP_TRANSACTION: &str = "RemoteStopTransaction";
    pub const START_TRANSACTION: &str = "StartTransaction";
    pub const STATUS_NOTIFICATION: &str = "StatusNotification";
    pub const STOP_TRANSACTION: &str = "StopTransaction";
    pub const DIAGNOSTICS_STATUS_NOTIFICATION: &str = "DiagnosticsStatusNotification";
    pub const FIRMWARE_STATUS_NOTIFICATION: &str = "FirmwareStatusNotification";

    /// Every action of OCPP 1.6J, in both directions: a charger sending one the central system
    /// does not take from chargers gets `NotSupported`, anything else `NotImplemented`.
    pub const OCPP16: [&str; 28] = [
        "Authorize", "BootNotification", "CancelReservation", "ChangeAvailability", "ChangeConfiguration",
        "ClearCache", "ClearChargingProfile", "DataTransfer", "DiagnosticsStatusNotification",
        "FirmwareStatusNotification", "GetCompositeSchedule", "GetConfiguration", "GetDiagnostics",
        "GetLocalListVersion", "Heartbeat", "MeterValues", "RemoteStartTransaction", "RemoteStopTransaction",
        "ReserveNow", "Reset", "SendLocalList", "SetChargingProfile", "StartTransaction", "StatusNotification",
        "StopTransaction", "TriggerMessage", "UnlockConnector", "UpdateFirmware",
    ];
}

/// `FirmwareStatusNotification` and `DiagnosticsStatusNotification` carry just a status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusOnlyNotification {
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EmptyResponse {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationRequest {
    pub charge_point_vendor: String,
    pub charge_point_model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_point_serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter_serial_number: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegistrationStatus {
    Accepted,
    Pending,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationResponse {
    pub status: RegistrationStatus,
    #[serde(with = "charger_time")]
    pub current_time: OffsetDateTime,
    /// Heartbeat interval in seconds.
    pub interval: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HeartbeatRequest {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatResponse {
    #[serde(with = "charger_time")]
    pub current_time: OffsetDateTime,
}

/// Connector status (OCPP 1.6 `ChargePointStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChargePointStatus {
    Available,
    Preparing,
    Charging,
    SuspendedEVSE,
    SuspendedEV,
    Finishing,
    Reserved,
    Unavailable,
    Faulted,
}

impl ChargePointStatus {
    pub const ALL: [ChargePointStatus; 9] = [
        Self::Available,
        Self::Preparing,
        Self::Charging,
        Self::SuspendedEVSE,
        Self::SuspendedEV,
        Self::Finishing,
        Self::Reserved,
        Self::Unavailable,
        Self::Faulted,
    ];

    /// The status of an OCPP name, spelled exactly as the schema spells it.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "Available",
            Self::Preparing => "Preparing",
            Self::Charging => "Charging",
            Self::SuspendedEVSE => "SuspendedEVSE",
            Self::SuspendedEV => "SuspendedEV",
            Self::Finishing => "Finishing",
            Self::Reserved => "Reserved",
            Self::Unavailable => "Unavailable",
            Self::Faulted => "Faulted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusNotificationRequest {
    pub connector_id: u32,
    pub error_code: String,
    pub status: ChargePointStatus,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "charger_time::option")]
    pub timestamp: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_error_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatusNotificationResponse {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuthorizationStatus {
    Accepted,
    Blocked,
    Expired,
    Invalid,
    ConcurrentTx,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdTagInfo {
    pub status: AuthorizationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "charger_time::option")]
    pub expiry_date: Option<OffsetDateTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id_tag: Option<String>,
}

impl IdTagInfo {
    pub fn with_status(status: AuthorizationStatus) -> Self {
        Self { status, expiry_date: None, parent_id_tag: None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeRequest {
    pub id_tag: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeResponse {
    pub id_tag_info: IdTagInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransactionRequest {
    pub connector_id: u32,
    pub id_tag: String,
    /// Meter register at start, in Wh.
    pub meter_start: i64,
    #[serde(with = "charger_time")]
    pub timestamp: OffsetDateTime,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransactionResponse {
    pub id_tag_info: IdTagInfo,
    pub transaction_id: i64,
}

/// One sampled value. OCPP 1.6 sends the value as a string, with an optional unit and
/// multiplier-free units (`Wh`, `kWh`, `W`, `kW`, …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampledValue {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `Raw` or `SignedData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Absent means `Energy.Active.Import.Register`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

pub const MEASURAND_ENERGY_IMPORT: &str = "Energy.Active.Import.Register";
pub const MEASURAND_POWER_IMPORT: &str = "Power.Active.Import";
/// Current drawn by the EV, A (per phase, or in total).
pub const MEASURAND_CURRENT_IMPORT: &str = "Current.Import";
/// The most current the charger offers the EV, A.
pub const MEASURAND_CURRENT_OFFERED: &str = "Current.Offered";

impl SampledValue {
    pub fn measurand(&self) -> &str {
        self.measurand.as_deref().unwrap_or(MEASURAND_ENERGY_IMPORT)
    }

    /// The value scaled to the base unit (Wh for energy, W for power) and rounded to a whole
    /// one, if it is a number in a unit we know. The default unit of energy is Wh, of power W.
    /// Decimal, not binary floating point: "12.345" kWh is exactly 12,345 Wh.
    pub fn in_base_unit(&self) -> Option<i64> {
        let factor = match self.unit.as_deref() {
            None | Some("Wh") | Some("W") | Some("varh") | Some("var") => 1,
            Some("kWh") | Some("kW") | Some("kvarh") | Some("kvar") => 1000,
            _ => return None,
        };
        self.scaled(factor)
    }

    /// A current in mA, rounded to a whole one, if the unit is `A` (or absent) and the value a
    /// number.
    pub fn in_milliamperes(&self) -> Option<i64> {
        matches!(self.unit.as_deref(), None | Some("A")).then(|| self.scaled(1000)).flatten()
    }

    /// The value × `factor`, rounded half away from zero to a whole number.
    fn scaled(&self, factor: i64) -> Option<i64> {
        use rust_decimal::prelude::ToPrimitive;
        let text = self.value.trim();
        let number = rust_decimal::Decimal::from_str_exact(text).or_else(|_| rust_decimal::Decimal::from_scientific(text)).ok()?;
        let scaled = number.checked_mul(rust_decimal::Decimal::from(factor))?;
        scaled.round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero).to_i64()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValue {
    #[serde(with = "charger_time")]
    pub timestamp: OffsetDateTime,
    pub sampled_value: Vec<SampledValue>,
}

impl MeterValue {
    /// A measurand's value in its base unit (Wh, W): the total if the charger sent one, else
    /// the sum of its lines (see [`total_of`]). Signed values are not read here: they are kept
    /// as they came.
    pub fn total(&self, measurand: &str) -> Option<i64> {
        total_of(&self.sampled_value, measurand)
    }
}

/// The OCPP 1.6 `Phase` values that measure one line, each line under its two names: `L1` and
/// `L1-N` (line to neutral) are the same line. Line to line (`L1-L2`, …) and neutral (`N`) values
/// are not one line's share of a total, so they are never summed.
const LINES: [[&str; 2]; 3] = [["L1", "L1-N"], ["L2", "L2-N"], ["L3", "L3-N"]];

/// [`MeterValue::total`] over sampled values alone: a value without a phase (the total) if one
/// reads, else the sum over lines of each line's first value that reads, under either of its
/// names (a charger sending both `L1` and `L1-N` is not counted twice).
pub fn total_of(values: &[SampledValue], measurand: &str) -> Option<i64> {
    total_with(values, measurand, SampledValue::in_base_unit)
}

/// The current the EV draws, mA, summed over lines as [`total_of`] sums them (OCPI
/// `min_current`/`max_current` are "the sum of the current over all phases"): `Current.Import`,
/// or, if the MeterValue has none, `Current.Offered` (what the charger lets the EV draw: an
/// upper bound, the best reading left). Unit `A` (the default for currents); a negative value
/// is no reading.
pub fn current_ma_of(values: &[SampledValue]) -> Option<i64> {
    [MEASURAND_CURRENT_IMPORT, MEASURAND_CURRENT_OFFERED]
        .into_iter()
        .find_map(|measurand| total_with(values, measurand, SampledValue::in_milliamperes))
        .filter(|ma| *ma >= 0)
}

/// [`total_of`] for any reading of a sampled value.
fn total_with(values: &[SampledValue], measurand: &str, read: impl Fn(&SampledValue) -> Option<i64>) -> Option<i64> {
    let values: Vec<_> =
        values.iter().filter(|v| v.measurand() == measurand && v.format.as_deref() != Some("SignedData")).collect();
    if let Some(total) = values.iter().filter(|v| v.phase.is_none()).find_map(|v| read(v)) {
        return Some(total);
    }
    let on_line = |names: &[&str; 2]| {
        values.iter().filter(|v| v.phase.as_deref().is_some_and(|p| names.contains(&p))).find_map(|v| read(v))
    };
    let per_line: Vec<i64> = LINES.iter().filter_map(on_line).collect();
    // Saturating: three absurd phases must not overflow the sum (the reading is refused later).
    (!per_line.is_empty()).then(|| per_line.iter().fold(0_i64, |sum, v| sum.saturating_add(*v)))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValuesRequest {
    pub connector_id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<i64>,
    pub meter_value: Vec<MeterValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct MeterValuesResponse {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopTransactionRequest {
    /// Meter register at stop, in Wh.
    pub meter_stop: i64,
    #[serde(with = "charger_time")]
    pub timestamp: OffsetDateTime,
    pub transaction_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transaction_data: Vec<MeterValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct StopTransactionResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStartTransactionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<u32>,
    pub id_tag: String,
}

/// `RemoteStartStopStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RemoteStartStopStatus {
    Accepted,
    Rejected,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteStartStopResponse {
    pub status: RemoteStartStopStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStopTransactionRequest {
    pub transaction_id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_real_world_meter_values_payload() {
        let payload = json!({
            "connectorId": 1, "transactionId": 7, "vendorX": true,
            "meterValue": [{ "timestamp": "2026-11-24T10:00:00.123Z", "sampledValue": [
                { "value": "12.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register", "context": "Sample.Periodic" },
                { "value": "11000", "measurand": "Power.Active.Import", "unit": "W" },
                { "value": "123" }
            ]}]
        });
        let req: MeterValuesRequest = serde_json::from_value(payload).unwrap();
        let values = &req.meter_value[0].sampled_value;
        assert_eq!(values[0].in_base_unit(), Some(12_500));
        assert_eq!(values[1].measurand(), MEASURAND_POWER_IMPORT);
        assert_eq!(values[2].measurand(), MEASURAND_ENERGY_IMPORT);
        assert_eq!(values[2].in_base_unit(), Some(123));
    }

    #[test]
    fn units_are_normalized_exactly() {
        let value = |value: &str, unit: Option<&str>| SampledValue {
            value: value.into(),
            unit: unit.map(Into::into),
            context: None,
            format: None,
            measurand: None,
            phase: None,
            location: None,
        };
        assert_eq!(value("12.3456", Some("kWh")).in_base_unit(), Some(12_346));
        assert_eq!(value("0.0005", Some("kWh")).in_base_unit(), Some(1), "half a Wh rounds away from zero");
        assert_eq!(value("12345.4", Some("Wh")).in_base_unit(), Some(12_345));
        assert_eq!(value("1.2E3", Some("W")).in_base_unit(), Some(1_200));
        assert_eq!(value("7.4", Some("kW")).in_base_unit(), Some(7_400));
        for garbage in ["", "abc", "NaN", "inf", "1e400"] {
            assert_eq!(value(garbage, Some("Wh")).in_base_unit(), None, "{garbage:?}");
        }
        assert_eq!(value("5", Some("Celsius")).in_base_unit(), None, "not an energy or power unit");
    }

    fn phase(measurand: &str, phase: Option<&str>, value: &str) -> SampledValue {
        SampledValue {
            value: value.into(),
            unit: None,
            context: None,
            format: None,
            measurand: Some(measurand.into()),
            phase: phase.map(Into::into),
            location: None,
        }
    }

    #[test]
    fn line_to_neutral_phases_are_summed_like_lines() {
        let p = |ph, v| phase(MEASURAND_POWER_IMPORT, Some(ph), v);
        let per_line_to_neutral = [p("L1-N", "3680"), p("L2-N", "3600"), p("L3-N", "3700")];
        assert_eq!(total_of(&per_line_to_neutral, MEASURAND_POWER_IMPORT), Some(10_980));
        // Line to line and neutral are never summed.
        let with_others = [p("L1-N", "3680"), p("L1-L2", "6370"), p("L2-L3", "6370"), p("L3-L1", "6370"), p("N", "5")];
        assert_eq!(total_of(&with_others, MEASURAND_POWER_IMPORT), Some(3_680));
        assert_eq!(total_of(&[p("L1-L2", "6370")], MEASURAND_POWER_IMPORT), None);
        // A line reported both ways counts once (the first that reads).
        let both = [p("L1", "3680"), p("L1-N", "3680"), p("L2-N", "3600"), p("L2", "3600"), p("L3", "x"), p("L3-N", "3700")];
        assert_eq!(total_of(&both, MEASURAND_POWER_IMPORT), Some(10_980));
        // A total, if sent, wins over phases.
        let total = [phase(MEASURAND_POWER_IMPORT, None, "11000"), p("L1-N", "3680")];
        assert_eq!(total_of(&total, MEASURAND_POWER_IMPORT), Some(11_000));
    }

    #[test]
    fn current_is_read_in_milliamperes_summed_over_lines_with_offered_as_fallback() {
        let a = |measurand: &str, ph: Option<&str>, v: &str| SampledValue { unit: Some("A".into()), ..phase(measurand, ph, v) };
        let import = [a(MEASURAND_CURRENT_IMPORT, Some("L1"), "14.333"), a(MEASURAND_CURRENT_IMPORT, Some("L2-N"), "14.333"),
            a(MEASURAND_CURRENT_IMPORT, Some("L3"), "14.3335"), a(MEASURAND_CURRENT_IMPORT, Some("N"), "1")];
        assert_eq!(current_ma_of(&import), Some(43_000));
        let both = [a(MEASURAND_CURRENT_OFFERED, None, "32"), a(MEASURAND_CURRENT_IMPORT, None, "16")];
        assert_eq!(current_ma_of(&both), Some(16_000), "what the EV draws, not what it may");
        assert_eq!(current_ma_of(&[a(MEASURAND_CURRENT_OFFERED, None, "32")]), Some(32_000), "offered only: the fallback");
        assert_eq!(current_ma_of(&[phase(MEASURAND_CURRENT_IMPORT, None, "6.5")]), Some(6_500), "A is the default unit");
        assert_eq!(current_ma_of(&[SampledValue { unit: Some("W".into()), ..phase(MEASURAND_CURRENT_IMPORT, None, "6") }]), None);
        assert_eq!(current_ma_of(&[a(MEASURAND_CURRENT_IMPORT, None, "-3")]), None, "a negative current is no reading");
        assert_eq!(current_ma_of(&[phase(MEASURAND_POWER_IMPORT, None, "7000")]), None);
    }

    #[test]
    fn timestamps_without_an_offset_are_read_as_utc() {
        for (text, expected) in [
            ("2026-11-30T10:00:00", time::macros::datetime!(2026-11-30 10:00 UTC)),
            ("2026-11-30T10:00:00.123", time::macros::datetime!(2026-11-30 10:00:00.123 UTC)),
            ("2026-11-30T10:00:00Z", time::macros::datetime!(2026-11-30 10:00 UTC)),
            ("2026-11-30T11:00:00+01:00", time::macros::datetime!(2026-11-30 11:00 +1)),
        ] {
            let start: StartTransactionRequest =
                serde_json::from_value(json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": text})).unwrap();
            assert_eq!(start.timestamp, expected, "{text}");
            let stop: StopTransactionRequest = serde_json::from_value(json!({"transactionId": 1, "meterStop": 0, "timestamp": text,
                "transactionData": [{"timestamp": text, "sampledValue": []}]})).unwrap();
            assert_eq!((stop.timestamp, stop.transaction_data[0].timestamp), (expected, expected), "{text}");
            let status: StatusNotificationRequest = serde_json::from_value(json!({"connectorId": 1, "errorCode": "NoError",
                "status": "Available", "timestamp": text})).unwrap();
            assert_eq!(status.timestamp, Some(expected), "{text}");
        }
        for garbage in ["2026-11-30", "10:00:00", "2026-11-30 10:00:00", "2026-13-30T10:00:00", "yesterday"] {
            let start = serde_json::from_value::<StartTransactionRequest>(
                json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": garbage}));
            assert!(start.is_err(), "{garbage:?} is not a date-time");
        }
        // Written back with an offset, always.
        let out = serde_json::to_value(MeterValue { timestamp: time::macros::datetime!(2026-11-30 10:00 UTC), sampled_value: vec![] }).unwrap();
        assert_eq!(out["timestamp"], "2026-11-30T10:00:00Z");
    }

    #[test]
    fn payloads_name_their_timestamps_without_an_offset() {
        let payload = json!({"connectorId": 1, "meterValue": [
            {"timestamp": "2026-11-30T10:00:00", "sampledValue": [{"value": "2026-11-30T10:00:00"}]},
            {"timestamp": "2026-11-30T10:00:00Z", "sampledValue": []}]});
        assert_eq!(timestamps_without_offset(&payload), ["meterValue[0].timestamp"]);
        assert!(timestamps_without_offset(&json!({"timestamp": "2026-11-30T10:00:00+01:00"})).is_empty());
    }

    #[test]
    fn writes_spec_names() {
        let req = RemoteStartTransactionRequest { connector_id: Some(1), id_tag: "ABC".into() };
        assert_eq!(serde_json::to_value(&req).unwrap(), json!({"connectorId": 1, "idTag": "ABC"}));
        let res = StopTransactionResponse { id_tag_info: Some(IdTagInfo::with_status(AuthorizationStatus::Accepted)) };
        assert_eq!(serde_json::to_value(&res).unwrap(), json!({"idTagInfo": {"status": "Accepted"}}));
    }
}
