//! OCMF, the Open Charge Metering Format of S.A.F.E. e.V.: the signed meter data that German
//! calibration law (Eichrecht) makes a charger hand over, so that a driver can check the
//! energy on the bill with the reference verifier ("Transparenzsoftware").
//!
//! A record is `OCMF|{payload}|{signature}`: two JSON objects. The meter signs the payload's
//! exact bytes, so [`OcmfRecord`] keeps them next to the parsed fields; serialising the parsed
//! payload again would not reproduce them (key order, spacing, how numbers are spelled).
//!
//! This module only reads and writes the format; checking a signature needs crypto and lives
//! in the core (`chargekit_core::eichrecht`). Nothing here panics on any input.
//!
//! How strict, and why: chargers in the field write `FV` and `CT` as numbers, `RV` as a JSON
//! number or as a padded string, and add vendor fields (`XV`, `UC`, …). All of that is read
//! and unknown fields are ignored. What verification and billing rely on (pagination,
//! transaction event, time and its status, reading value, meter status, signature) is read
//! strictly, with an error that says which field is wrong.

mod lenient;
mod reading;

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use reading::{MeterStatus, OcmfReading, OcmfTime, ReadingValue, TimeStatus, TransactionEvent};

/// What every OCMF record starts with.
pub const PREFIX: &str = "OCMF|";

/// `SA` when a record leaves it out (OCMF 1.0, section "Signature").
pub const DEFAULT_SIGNATURE_ALGORITHM: &str = "ECDSA-secp256r1-SHA256";

/// `SM` when a record leaves it out: a DER-encoded ECDSA signature.
pub const DEFAULT_SIGNATURE_MIME_TYPE: &str = "application/x-der";

/// Largest record accepted. Real ones are well under 4 KiB; the cap keeps a hostile input
/// from costing much before it is refused.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// Why a text is not a usable OCMF record. The messages are meant for an operator or a
/// curious driver: they name the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcmfError {
    #[error("This is not OCMF signed meter data (it does not start with \"OCMF|\").")]
    NotOcmf,
    /// Longer than [`MAX_RECORD_BYTES`].
    #[error("The signed meter data is too large ({0} bytes); real records are a few hundred.")]
    TooLarge(usize),
    #[error("The signed meter data has no signature section (expected OCMF|{{payload}}|{{signature}}).")]
    MissingSignature,
    #[error("The signed meter data (OCMF payload) is malformed: {0}")]
    Payload(String),
    #[error("The signature section of the signed meter data is malformed: {0}")]
    Signature(String),
    #[error("The signature is encoded as {0:?}; OCMF allows only \"hex\" and \"base64\".")]
    UnknownEncoding(String),
    #[error("The signature data is not valid {encoding}: {reason}")]
    SignatureData { encoding: &'static str, reason: String },
    #[error("The reading value {0:?} is not a decimal number.")]
    BadValue(String),
    #[error("The reading unit {0:?} is not an energy unit (Wh or kWh).")]
    NotEnergy(String),
    #[error("The reading value {0:?} is too large to compute with.")]
    ValueOutOfRange(String),
}

/// The two sections of a record, split but only the signature parsed: what a verifier needs
/// before it trusts the payload enough to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcmfEnvelope<'a> {
    /// The payload exactly as signed, `{` to `}`.
    pub payload: &'a str,
    /// The signature section as received.
    pub signature_text: &'a str,
    pub signature: OcmfSignature,
}

impl<'a> OcmfEnvelope<'a> {
    /// Splits `OCMF|{payload}|{signature}`. Whitespace around the whole record (left by XML
    /// or copy and paste) is dropped; whitespace inside is kept, because it is signed.
    ///
    /// The split is at the last `|`: the signature section holds only algorithm names,
    /// encodings and hex or base64, never a `|`, while free-text payload fields (`ID`, `TT`)
    /// may.
    pub fn split(text: &'a str) -> Result<Self, OcmfError> {
        let text = text.trim();
        if text.len() > MAX_RECORD_BYTES {
            return Err(OcmfError::TooLarge(text.len()));
        }
        let rest = text.strip_prefix(PREFIX).ok_or(OcmfError::NotOcmf)?;
        let (payload, signature_text) = rest.rsplit_once('|').ok_or(OcmfError::MissingSignature)?;
        let signature = serde_json::from_str(signature_text).map_err(|e| OcmfError::Signature(e.to_string()))?;
        Ok(Self { payload, signature_text, signature })
    }

    /// Reads the payload. Verify the signature first: until then it is untrusted input.
    pub fn parse_payload(&self) -> Result<OcmfPayload, OcmfError> {
        serde_json::from_str(self.payload).map_err(|e| OcmfError::Payload(e.to_string()))
    }
}

/// One OCMF record: the payload as signed, the same parsed, and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcmfRecord {
    payload_text: String,
    signature_text: String,
    pub payload: OcmfPayload,
    pub signature: OcmfSignature,
}

impl OcmfRecord {
    /// Parses a whole record. See [`OcmfEnvelope::split`] for what is accepted.
    pub fn parse(text: &str) -> Result<Self, OcmfError> {
        let envelope = OcmfEnvelope::split(text)?;
        let payload = envelope.parse_payload()?;
        // The signature section is kept as received too, so the record can be passed on
        // (to a receipt, to the reference verifier) exactly as the charger sent it.
        Ok(Self {
            payload_text: envelope.payload.to_owned(),
            signature_text: envelope.signature_text.to_owned(),
            payload,
            signature: envelope.signature,
        })
    }

    /// Builds a record from a payload already serialised and its signature (what a signing
    /// meter does). The payload text is taken as the signed bytes; it must parse.
    pub fn from_parts(payload_text: String, signature: OcmfSignature) -> Result<Self, OcmfError> {
        let payload = serde_json::from_str(&payload_text).map_err(|e| OcmfError::Payload(e.to_string()))?;
        let signature_text = serde_json::to_string(&signature).map_err(|e| OcmfError::Signature(e.to_string()))?;
        Ok(Self { payload_text, signature_text, payload, signature })
    }

    /// The exact bytes the signature covers.
    pub fn payload_text(&self) -> &str {
        &self.payload_text
    }

    /// The record as received: `OCMF|{payload}|{signature}`.
    pub fn to_text(&self) -> String {
        format!("{PREFIX}{}|{}", self.payload_text, self.signature_text)
    }
}

impl fmt::Display for OcmfRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}{}|{}", self.payload_text, self.signature_text)
    }
}

impl FromStr for OcmfRecord {
    type Err = OcmfError;
    fn from_str(text: &str) -> Result<Self, OcmfError> {
        Self::parse(text)
    }
}

/// In JSON (a receipt, an API message) a record travels as its text, the only form a
/// verifier can check.
impl Serialize for OcmfRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OcmfRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The signed payload. Field names on the wire are the OCMF two-letter codes.
///
/// The `Deserialize` implementation reads numbers exactly (through `serde_json`'s raw
/// values), so it works with `serde_json::from_str`/`from_slice`, not from a
/// `serde_json::Value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcmfPayload {
    /// `FV`: format version, e.g. `1.0`.
    #[serde(rename = "FV", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub format_version: Option<String>,
    /// `GI`: gateway (charger) identification, e.g. its vendor and model.
    #[serde(rename = "GI", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub gateway_identification: Option<String>,
    /// `GS`: gateway serial number.
    #[serde(rename = "GS", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub gateway_serial: Option<String>,
    /// `GV`: gateway firmware version.
    #[serde(rename = "GV", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub gateway_version: Option<String>,
    /// `PG`: pagination, `T` (transaction) or `F` (fiscal) and a counter.
    #[serde(rename = "PG")]
    pub pagination: Pagination,
    /// `MV`: meter vendor.
    #[serde(rename = "MV", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub meter_vendor: Option<String>,
    /// `MM`: meter model.
    #[serde(rename = "MM", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub meter_model: Option<String>,
    /// `MS`: meter serial number. Required by OCMF, yet some chargers (KEBA) leave it out.
    #[serde(rename = "MS", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub meter_serial: Option<String>,
    /// `MF`: meter firmware version.
    #[serde(rename = "MF", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub meter_firmware: Option<String>,
    /// `IS`: whether the user was identified.
    #[serde(rename = "IS", default, skip_serializing_if = "Option::is_none")]
    pub identification_status: Option<bool>,
    /// `IL`: identification level (`NONE`, `HEARSAY`, `TRUSTED`, `VERIFIED`, `CERTIFIED`, …).
    #[serde(rename = "IL", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub identification_level: Option<String>,
    /// `IF`: identification flags (`RFID_PLAIN`, `OCPP_RS_TLS`, …).
    #[serde(rename = "IF", default, skip_serializing_if = "Vec::is_empty")]
    pub identification_flags: Vec<String>,
    /// `IT`: identification type (`ISO14443`, `EMAID`, `CENTRAL`, …).
    #[serde(rename = "IT", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub identification_type: Option<String>,
    /// `ID`: identification data (an RFID UID, an EMAID, an OCPP idTag).
    #[serde(rename = "ID", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub identification_data: Option<String>,
    /// `TT`: tariff text.
    #[serde(rename = "TT", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub tariff_text: Option<String>,
    /// `CT`: charge point identification type (`EVSEID`, `CBIDC`).
    #[serde(rename = "CT", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub charge_point_id_type: Option<String>,
    /// `CI`: charge point identification.
    #[serde(rename = "CI", default, deserialize_with = "lenient::text", skip_serializing_if = "Option::is_none")]
    pub charge_point_id: Option<String>,
    /// `RD`: the readings.
    #[serde(rename = "RD")]
    pub readings: Vec<OcmfReading>,
}

/// The signature section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OcmfSignature {
    /// `SA`: signature algorithm, e.g. `ECDSA-secp256r1-SHA256`; see [`Self::algorithm`].
    #[serde(rename = "SA", default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// `SE`: encoding of `SD`, `hex` (the default) or `base64`.
    #[serde(rename = "SE", default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// `SM`: MIME type of the decoded signature; `application/x-der` when absent.
    #[serde(rename = "SM", default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// `SD`: the signature, encoded as `SE` says.
    #[serde(rename = "SD")]
    pub data: String,
}

/// How `SD` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureEncoding {
    Hex,
    Base64,
}

impl OcmfSignature {
    /// `SA`, or the OCMF default when the record leaves it out.
    pub fn algorithm(&self) -> &str {
        self.algorithm.as_deref().unwrap_or(DEFAULT_SIGNATURE_ALGORITHM)
    }

    /// `SM`, or the OCMF default when the record leaves it out.
    pub fn mime_type(&self) -> &str {
        self.mime_type.as_deref().unwrap_or(DEFAULT_SIGNATURE_MIME_TYPE)
    }

    /// `SE`, hex when absent.
    pub fn encoding(&self) -> Result<SignatureEncoding, OcmfError> {
        match self.encoding.as_deref() {
            None => Ok(SignatureEncoding::Hex),
            Some(e) if e.eq_ignore_ascii_case("hex") => Ok(SignatureEncoding::Hex),
            Some(e) if e.eq_ignore_ascii_case("base64") => Ok(SignatureEncoding::Base64),
            Some(other) => Err(OcmfError::UnknownEncoding(other.to_owned())),
        }
    }

    /// The signature's bytes, `SD` decoded.
    pub fn bytes(&self) -> Result<Vec<u8>, OcmfError> {
        match self.encoding()? {
            SignatureEncoding::Hex => {
                decode_hex(&self.data).map_err(|reason| OcmfError::SignatureData { encoding: "hex", reason })
            }
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD
                .decode(self.data.trim())
                .map_err(|e| OcmfError::SignatureData { encoding: "base64", reason: e.to_string() }),
        }
    }
}

/// Decodes hex (either case). Whitespace between the digits is allowed, as public keys are
/// often printed in groups (`3059 3013 …`).
pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("an odd number of hex digits ({})", digits.len()));
    }
    let value = |d: u8| match d {
        b'0'..=b'9' => Ok(d - b'0'),
        b'a'..=b'f' => Ok(d - b'a' + 10),
        b'A'..=b'F' => Ok(d - b'A' + 10),
        _ => Err(format!("{:?} is not a hex digit", char::from(d))),
    };
    digits.chunks_exact(2).map(|pair| Ok(value(pair[0])? << 4 | value(pair[1])?)).collect()
}

/// Encodes bytes as upper-case hex, the spelling OCMF examples use.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// `PG`: which kind of record, and its place in the meter's sequence. The counter grows by
/// one with every record the meter signs, so a gap or a repeat shows a missing or replayed
/// record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pagination {
    pub kind: PaginationKind,
    pub counter: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaginationKind {
    /// `T`: a transaction record.
    Transaction,
    /// `F`: a fiscal record, read outside of transactions.
    Fiscal,
}

impl Pagination {
    pub fn transaction(counter: u64) -> Self {
        Self { kind: PaginationKind::Transaction, counter }
    }
}

impl fmt::Display for Pagination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self.kind {
            PaginationKind::Transaction => 'T',
            PaginationKind::Fiscal => 'F',
        };
        write!(f, "{letter}{}", self.counter)
    }
}

impl FromStr for Pagination {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let kind = match text.chars().next() {
            Some('T') => PaginationKind::Transaction,
            Some('F') => PaginationKind::Fiscal,
            _ => return Err(format!("pagination {text:?} does not start with T or F")),
        };
        let digits = &text[1..];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("pagination {text:?} is not T or F followed by a number"));
        }
        let counter = digits.parse().map_err(|_| format!("pagination {text:?} is out of range"))?;
        Ok(Self { kind, counter })
    }
}

impl Serialize for Pagination {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pagination {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
