//! Eichrecht: checking the signed meter data (OCMF) a charger hands over with a session, so
//! the app can tell the driver whether the energy on the receipt is the meter's own.
//!
//! - [`verify_record`] checks one record's signature against the meter's public key
//!   ([`MeterPublicKey`]): P-256 and P-384 with ring; any other algorithm (secp256k1,
//!   brainpool, RSA, …) is reported as [`Verification::Unsupported`], never as invalid.
//! - [`check_signed_data`] does the same from text as it arrives (OCPP `SignedData`, an XML
//!   export) and says plainly when the text is not OCMF or the key is unusable.
//! - [`verify_transaction`] checks that the records of a transaction verify and belong
//!   together ([`check_pairing`]), and gives the energy between begin and end.
//!
//! The signature is checked over the payload's exact bytes before the payload is read, so a
//! changed record is reported as invalid however the change affects its parsing.

mod key;
mod pairing;
mod signature;

use std::borrow::Cow;

use base64::Engine as _;
use chargekit_model::ocmf::{self, OcmfEnvelope, OcmfRecord};

pub use key::{Curve, KeyError, MeterPublicKey};
pub use pairing::{PairingError, SignedTransaction, check_pairing};

/// The result of checking one signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The meter's key signed exactly this payload.
    Valid,
    /// Do not trust the values: the signature does not match, or the record contradicts the
    /// key. `reason` says which, in a sentence.
    Invalid { reason: String },
    /// The values may well be genuine, but this verifier cannot check `algorithm` (e.g.
    /// `ECDSA secp256k1`). Use the reference verifier (Transparenzsoftware) for these.
    Unsupported { algorithm: String },
}

impl Verification {
    pub fn is_valid(&self) -> bool {
        matches!(self, Self::Valid)
    }

    fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid { reason: reason.into() }
    }

    fn unsupported(algorithm: impl Into<String>) -> Self {
        Self::Unsupported { algorithm: algorithm.into() }
    }
}

/// Checks a record split into its sections, before its payload is trusted to be read.
pub fn verify_envelope(envelope: &OcmfEnvelope<'_>, key: &MeterPublicKey) -> Verification {
    signature::verify(envelope.payload.as_bytes(), &envelope.signature, key)
}

/// Checks one parsed record's signature.
pub fn verify_record(record: &OcmfRecord, key: &MeterPublicKey) -> Verification {
    signature::verify(record.payload_text().as_bytes(), &record.signature, key)
}

/// What to tell about signed meter data received as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterDataCheck {
    /// Signed by the meter's key; the record's values can be shown as verified.
    Verified(Box<OcmfRecord>),
    /// See [`Verification::Invalid`].
    Invalid { reason: String },
    /// See [`Verification::Unsupported`].
    Unsupported { algorithm: String },
    /// Not OCMF: another signed meter data format (EDL, SML, Alfen), or no data at all.
    NotOcmf { reason: String },
    /// The public key is missing or unreadable, so nothing can be checked.
    BadKey { reason: String },
}

/// Checks signed meter data against the meter's public key (DER SubjectPublicKeyInfo, hex
/// or base64), both as text. The data may be OCMF as it is, or hex or base64 of it.
pub fn check_signed_data(signed_data: &str, public_key: &str) -> MeterDataCheck {
    let text = match decode_signed_data(signed_data) {
        Ok(text) => text,
        Err(reason) => return MeterDataCheck::NotOcmf { reason },
    };
    let key = match MeterPublicKey::parse(public_key) {
        Ok(key) => key,
        Err(error) => return MeterDataCheck::BadKey { reason: error.to_string() },
    };
    let envelope = match OcmfEnvelope::split(&text) {
        Ok(envelope) => envelope,
        Err(error) => return MeterDataCheck::Invalid { reason: error.to_string() },
    };
    match verify_envelope(&envelope, &key) {
        Verification::Valid => {}
        Verification::Invalid { reason } => return MeterDataCheck::Invalid { reason },
        Verification::Unsupported { algorithm } => return MeterDataCheck::Unsupported { algorithm },
    }
    match OcmfRecord::parse(&text) {
        Ok(record) => MeterDataCheck::Verified(Box::new(record)),
        // Genuine, but not readable as OCMF: nothing on it can be shown as verified.
        Err(error) => MeterDataCheck::NotOcmf {
            reason: format!("The signature is genuine, but the data does not follow OCMF. {error}"),
        },
    }
}

/// The OCMF text in `signed_data`: as it is, or decoded from hex or base64, which some
/// chargers and backends use to carry it. Otherwise a sentence saying what it looks like.
pub fn decode_signed_data(signed_data: &str) -> Result<Cow<'_, str>, String> {
    let trimmed = signed_data.trim();
    if trimmed.starts_with(ocmf::PREFIX) {
        return Ok(Cow::Borrowed(trimmed));
    }
    if trimmed.is_empty() {
        return Err("There is no signed meter data.".to_owned());
    }
    if trimmed.len() > 2 * ocmf::MAX_RECORD_BYTES {
        return Err(ocmf::OcmfError::TooLarge(trimmed.len()).to_string());
    }
    let compact: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = if compact.bytes().all(|b| b.is_ascii_hexdigit()) {
        ocmf::decode_hex(&compact).ok()
    } else {
        base64::engine::general_purpose::STANDARD.decode(&compact).ok()
    };
    if let Some(bytes) = &decoded
        && let Ok(text) = std::str::from_utf8(bytes)
        && text.trim().starts_with(ocmf::PREFIX)
    {
        return Ok(Cow::Owned(text.trim().to_owned()));
    }
    Err(describe_other_format(trimmed, decoded.as_deref()))
}

/// A sentence for data that is not OCMF, naming the format when it is recognisable.
fn describe_other_format(text: &str, decoded: Option<&[u8]>) -> String {
    let what = if text.starts_with('<') {
        "XML, as chargers with EDL or SML meters send"
    } else if text.starts_with("AP;") {
        "Alfen's format"
    } else if decoded.is_some_and(|b| b.first() == Some(&0x30)) {
        "binary (ASN.1) data"
    } else {
        "not a format ChargeKit recognises"
    };
    format!("This signed meter data is not OCMF ({what}); only OCMF can be checked.")
}

/// The result of checking a transaction's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransactionVerification {
    /// Every record verifies and together they are one transaction.
    Valid(Box<SignedTransaction>),
    Invalid { reason: String },
    Unsupported { algorithm: String },
}

/// Checks every record's signature with `key`, then that they make one transaction (see
/// [`check_pairing`]), and gives its energy.
pub fn verify_transaction(records: &[OcmfRecord], key: &MeterPublicKey) -> TransactionVerification {
    for record in records {
        match verify_record(record, key) {
            Verification::Valid => {}
            Verification::Unsupported { algorithm } => return TransactionVerification::Unsupported { algorithm },
            Verification::Invalid { reason } => {
                let pagination = record.payload.pagination;
                return TransactionVerification::Invalid { reason: format!("Record {pagination}: {reason}") };
            }
        }
    }
    match check_pairing(records) {
        Ok(transaction) => TransactionVerification::Valid(Box::new(transaction)),
        Err(error) => TransactionVerification::Invalid { reason: error.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &str = r#"OCMF|{"PG":"T1","RD":[]}|{"SD":"00"}"#;

    #[test]
    fn reads_ocmf_as_it_is_or_in_hex_or_base64() {
        assert_eq!(decode_signed_data(&format!("\n  {RECORD} ")).unwrap(), RECORD);
        let hex = ocmf::encode_hex(RECORD.as_bytes());
        assert_eq!(decode_signed_data(&hex).unwrap(), RECORD);
        assert_eq!(decode_signed_data(&hex.to_lowercase()).unwrap(), RECORD);
        let b64 = base64::engine::general_purpose::STANDARD.encode(RECORD);
        assert_eq!(decode_signed_data(&b64).unwrap(), RECORD);
    }

    #[test]
    fn says_what_other_data_looks_like() {
        let says = |text: &str| decode_signed_data(text).unwrap_err();
        assert_eq!(says("  "), "There is no signed meter data.");
        assert!(says("<?xml version=\"1.0\"?><signedMeterValue/>").contains("EDL or SML"));
        assert!(says("AP;0;3;ALCV").contains("Alfen"));
        assert!(says("3082028C060A").contains("ASN.1"));
        assert!(says("hello").contains("not a format ChargeKit recognises"));
        assert!(says(&"A".repeat(3 * ocmf::MAX_RECORD_BYTES)).contains("too large"));
    }
}
