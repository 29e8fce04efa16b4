//! Readings (`RD`): one value of one meter register, at one time, in one transaction state.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::OcmfError;
use super::lenient::{self, Scalar};

/// One reading of `RD`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcmfReading {
    /// `TM`: when, and how far the meter's clock can be trusted.
    #[serde(rename = "TM", default, skip_serializing_if = "Option::is_none")]
    pub time: Option<OcmfTime>,
    /// `TX`: where in the transaction this reading was taken.
    #[serde(rename = "TX", default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<TransactionEvent>,
    /// `RV`: the value, exactly as the meter wrote it.
    #[serde(rename = "RV")]
    pub value: ReadingValue,
    /// `RI`: which register, as an OBIS code (`1-b:1.8.0` is imported active energy).
    #[serde(rename = "RI", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub register: Option<String>,
    /// `RU`: the unit (`kWh`, `Wh`, `mOhm`, `uOhm`).
    #[serde(rename = "RU", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `RT`: `AC` or `DC`.
    #[serde(rename = "RT", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub current_type: Option<String>,
    /// `CL`: cumulated loss since the transaction began, for DC cable loss compensation.
    #[serde(rename = "CL", default, skip_serializing_if = "Option::is_none")]
    pub cumulated_loss: Option<ReadingValue>,
    /// `EF`: error flags, empty or letters (`E` energy, `t` time).
    #[serde(rename = "EF", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub error_flags: Option<String>,
    /// `ST`: the meter's status when it took the reading.
    #[serde(rename = "ST", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<MeterStatus>,
}

impl OcmfReading {
    /// The value in Wh, exactly, if the unit is an energy unit (`Wh` or `kWh`).
    pub fn value_wh(&self) -> Result<Decimal, OcmfError> {
        let value = self.value.to_decimal()?;
        let factor = match self.unit.as_deref() {
            Some("Wh") => Decimal::ONE,
            Some("kWh") => Decimal::ONE_THOUSAND,
            other => return Err(OcmfError::NotEnergy(other.unwrap_or_default().to_owned())),
        };
        value.checked_mul(factor).ok_or_else(|| OcmfError::ValueOutOfRange(self.value.as_str().to_owned()))
    }
}

/// `TX`. OCMF spells each with one letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransactionEvent {
    /// `B`: the transaction begins.
    #[serde(rename = "B")]
    Begin,
    /// `C`: charging, an intermediate reading.
    #[serde(rename = "C")]
    Charging,
    /// `X`: an exception, an intermediate reading.
    #[serde(rename = "X")]
    Exception,
    /// `E`: the transaction ends.
    #[serde(rename = "E")]
    End,
    /// `L`: ended locally (at the charger).
    #[serde(rename = "L")]
    EndLocal,
    /// `R`: ended remotely (by the backend).
    #[serde(rename = "R")]
    EndRemote,
    /// `A`: ended by an abort.
    #[serde(rename = "A")]
    EndAbort,
    /// `P`: ended by a power failure.
    #[serde(rename = "P")]
    EndPowerFailure,
    /// `S`: suspended.
    #[serde(rename = "S")]
    Suspended,
    /// `T`: the tariff changed.
    #[serde(rename = "T")]
    TariffChange,
}

impl TransactionEvent {
    /// Whether the transaction ends here: `E`, or one of the terminations OCMF lists with a
    /// reason (`L`, `R`, `A`, `P`).
    pub fn is_end(self) -> bool {
        matches!(self, Self::End | Self::EndLocal | Self::EndRemote | Self::EndAbort | Self::EndPowerFailure)
    }

    /// The OCMF letter.
    pub fn letter(self) -> char {
        match self {
            Self::Begin => 'B',
            Self::Charging => 'C',
            Self::Exception => 'X',
            Self::End => 'E',
            Self::EndLocal => 'L',
            Self::EndRemote => 'R',
            Self::EndAbort => 'A',
            Self::EndPowerFailure => 'P',
            Self::Suspended => 'S',
            Self::TariffChange => 'T',
        }
    }
}

/// `ST`: the meter's status. Only [`MeterStatus::Ok`] readings are fit for billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MeterStatus {
    #[serde(rename = "N")]
    NotPresent,
    #[serde(rename = "G")]
    Ok,
    #[serde(rename = "T")]
    Timeout,
    #[serde(rename = "D")]
    Disconnected,
    #[serde(rename = "R")]
    NotFound,
    #[serde(rename = "M")]
    Manipulated,
    #[serde(rename = "X")]
    Exchanged,
    #[serde(rename = "I")]
    Incompatible,
    #[serde(rename = "O")]
    OutOfRange,
    #[serde(rename = "S")]
    Substitute,
    #[serde(rename = "E")]
    SystemError,
    #[serde(rename = "F")]
    ReadError,
}

impl fmt::Display for MeterStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotPresent => "meter not present",
            Self::Ok => "OK",
            Self::Timeout => "timeout",
            Self::Disconnected => "disconnected",
            Self::NotFound => "meter not found",
            Self::Manipulated => "manipulated",
            Self::Exchanged => "meter exchanged",
            Self::Incompatible => "incompatible meter",
            Self::OutOfRange => "out of range",
            Self::Substitute => "substitute value",
            Self::SystemError => "system error",
            Self::ReadError => "read error",
        })
    }
}

/// `TM`: `2021-10-07T15:29:55,000+0200 S`, an ISO 8601 time with milliseconds after a comma,
/// an offset without colon, a space and the time status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OcmfTime {
    pub at: OffsetDateTime,
    pub status: TimeStatus,
}

/// How far the meter's clock could be trusted when it stamped a reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeStatus {
    /// `U`: unknown, the clock was never set.
    Unknown,
    /// `I`: informative, set but not synchronised.
    Informative,
    /// `S`: synchronised.
    Synchronized,
    /// `R`: relative, measured from the transaction's begin by the meter.
    Relative,
}

const TIME_FORMAT: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second],[subsecond digits:3][offset_hour sign:mandatory][offset_minute]"
);

impl OcmfTime {
    pub fn new(at: OffsetDateTime, status: TimeStatus) -> Self {
        Self { at, status }
    }
}

impl TimeStatus {
    fn letter(self) -> char {
        match self {
            Self::Unknown => 'U',
            Self::Informative => 'I',
            Self::Synchronized => 'S',
            Self::Relative => 'R',
        }
    }
}

impl fmt::Display for OcmfTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Formatting fails only for years beyond four digits, which parsing never yields.
        let at = self.at.format(TIME_FORMAT).map_err(|_| fmt::Error)?;
        write!(f, "{at} {}", self.status.letter())
    }
}

impl FromStr for OcmfTime {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let (at, status) = text
            .rsplit_once(' ')
            .ok_or_else(|| format!("time {text:?} has no time status (a space and U, I, S or R at the end)"))?;
        let status = match status {
            "U" => TimeStatus::Unknown,
            "I" => TimeStatus::Informative,
            "S" => TimeStatus::Synchronized,
            "R" => TimeStatus::Relative,
            other => return Err(format!("time status {other:?} is not U, I, S or R")),
        };
        let at = OffsetDateTime::parse(at, TIME_FORMAT)
            .map_err(|e| format!("time {at:?} is not like 2021-10-07T15:29:55,000+0200: {e}"))?;
        Ok(Self { at, status })
    }
}

impl Serialize for OcmfTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OcmfTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(D::Error::custom)
    }
}

/// `RV` (and `CL`): a decimal number exactly as the meter wrote it, as a JSON number or, on
/// some meters, a string padded with spaces (`"       9.038"`). Never a float: the value on
/// the bill must be the meter's to the last digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadingValue {
    /// The decimal, without the padding.
    text: String,
    /// Written as a JSON string rather than a number; kept so the value serialises back the
    /// way it came.
    quoted: bool,
}

impl ReadingValue {
    /// A value from its decimal text (`1234.56`, `-0.5`), written as a JSON number.
    pub fn number(text: &str) -> Result<Self, OcmfError> {
        check_decimal(text)?;
        let text = text.trim_matches(' ');
        // Also a JSON number (no leading zeros), so it serialises as one.
        RawValue::from_string(text.to_owned()).map_err(|_| OcmfError::BadValue(text.to_owned()))?;
        Ok(Self { text: text.to_owned(), quoted: false })
    }

    /// A register of whole Wh written in kWh with three decimals (`1000123` → `1000.123`), as
    /// most meters display it.
    pub fn kwh_from_wh(wh: i64) -> Self {
        let sign = if wh < 0 { "-" } else { "" };
        let abs = wh.unsigned_abs();
        Self { text: format!("{sign}{}.{:03}", abs / 1000, abs % 1000), quoted: false }
    }

    /// The decimal as written, without padding.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The exact value.
    pub fn to_decimal(&self) -> Result<Decimal, OcmfError> {
        // The syntax was checked on the way in; what can still fail is the size (more than
        // 28 significant digits).
        Decimal::from_str(&self.text).map_err(|_| OcmfError::ValueOutOfRange(self.text.clone()))
    }
}

impl fmt::Display for ReadingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Accepts `-`, digits, and optionally `.` and more digits, with spaces around: what meters
/// write. JSON's exponent form is refused; no meter uses it and it hides the digits.
fn check_decimal(text: &str) -> Result<(), OcmfError> {
    let bad = || OcmfError::BadValue(text.to_owned());
    let body = text.trim_matches(' ');
    let body = body.strip_prefix('-').unwrap_or(body);
    let (whole, fraction) = match body.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (body, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || fraction.is_some_and(|f| !digits(f)) {
        return Err(bad());
    }
    Ok(())
}

impl Serialize for ReadingValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.quoted {
            return serializer.serialize_str(&self.text);
        }
        // A raw value, so the number keeps its digits (`62500.1270` stays as it is).
        let raw = RawValue::from_string(self.text.clone()).map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ReadingValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (text, quoted) = match lenient::scalar(deserializer)? {
            Some(Scalar::Number(text)) => (text, false),
            Some(Scalar::Text(text)) => (text, true),
            None => return Err(D::Error::custom("a reading value is null")),
        };
        check_decimal(&text).map_err(D::Error::custom)?;
        Ok(Self { text: text.trim_matches(' ').to_owned(), quoted })
    }
}
