//! The FFI for identifying a charger and a driver: what the shells' camera, NFC reader and
//! file picker hand over, turned into normalized identifiers. Free functions with no state;
//! each converts and delegates to the model ([`EvseId`], [`CardUid`]) or to [`contract`], and
//! maps the error once, to [`ChargeKitError::InvalidInput`] carrying the driver's sentence.

use chargekit_model::{CardUid, EvseId};
use time::OffsetDateTime;

use crate::ChargeKitError;
use crate::contract::{self, ContractCertificate};

type Result<T> = std::result::Result<T, ChargeKitError>;

/// A Plug & Charge contract as the app shows it after registering it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ContractInfo {
    /// The contract ID, normalized (upper case, no hyphens), e.g. `DE8AACA2B3C4D5L`.
    pub emaid: String,
    pub not_before_epoch_seconds: i64,
    pub not_after_epoch_seconds: i64,
    /// The common name of the MO sub-CA that issued the contract.
    pub issuer: String,
    /// SHA-256 of the contract certificate, lower-case hex.
    pub fingerprint: String,
}

/// A whole NDEF message read from a charger's NFC tag (Android's `NdefMessage.toByteArray()`)
/// → the EVSE ID of the first record carrying one.
#[uniffi::export]
pub fn parse_ndef_message(bytes: Vec<u8>) -> Result<String> {
    EvseId::from_ndef(&bytes).map(String::from).map_err(invalid)
}

/// One NDEF record as the platform parsed it (CoreNFC's `NFCNDEFPayload`: `typeNameFormat`,
/// `type`, `payload`) → the EVSE ID it carries.
#[uniffi::export]
pub fn parse_ndef_record(tnf: u8, record_type: Vec<u8>, payload: Vec<u8>) -> Result<String> {
    EvseId::from_ndef_record(tnf, &record_type, &payload).map(String::from).map_err(invalid)
}

/// One NDEF record's parts as the platform parsed them (CoreNFC's `NFCNDEFPayload`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct NdefRecordParts {
    pub tnf: u8,
    pub record_type: Vec<u8>,
    pub payload: Vec<u8>,
}

/// A tag's NDEF records as the platform parsed them → the EVSE ID of the first carrying one;
/// when none does, the sentence about the first record (the same reading as a whole message).
#[uniffi::export]
pub fn parse_ndef_records(records: Vec<NdefRecordParts>) -> Result<String> {
    EvseId::from_ndef_records(records.iter().map(|r| (r.tnf, r.record_type.as_slice(), r.payload.as_slice())))
        .map(String::from)
        .map_err(invalid)
}

/// An RFID card's UID bytes as the phone's reader gave them → the OCPP `idTag`.
#[uniffi::export]
pub fn normalize_card_uid(bytes: Vec<u8>) -> Result<String> {
    CardUid::from_bytes(&bytes).map(String::from).map_err(invalid)
}

/// A card UID as printed or typed (`04:A2:2B:1A`, any case, `:`/`-`/space separated) → the
/// OCPP `idTag`.
#[uniffi::export]
pub fn normalize_card_uid_text(text: String) -> Result<String> {
    CardUid::parse(&text).map(String::from).map_err(invalid)
}

/// Reads a Plug & Charge contract certificate (PEM with its sub-CAs, or DER) and checks it
/// against the mobility operator's root (PEM or DER) at the current time.
#[uniffi::export]
pub fn read_contract_certificate(certificate: Vec<u8>, root: Vec<u8>) -> Result<ContractInfo> {
    let verified = ContractCertificate::parse(&certificate)
        .and_then(|contract| contract.verify(&root, OffsetDateTime::now_utc()))
        .map_err(invalid)?;
    Ok(contract_info(verified))
}

pub(crate) fn contract_info(verified: contract::VerifiedContract) -> ContractInfo {
    ContractInfo {
        emaid: verified.emaid.to_string(),
        not_before_epoch_seconds: verified.not_before.unix_timestamp(),
        not_after_epoch_seconds: verified.not_after.unix_timestamp(),
        issuer: verified.issuer_cn,
        fingerprint: verified.fingerprint_sha256,
    }
}

/// Every refusal here is about what the driver scanned, tapped or picked.
fn invalid(error: impl std::fmt::Display) -> ChargeKitError {
    ChargeKitError::InvalidInput { message: error.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(ChargeKitError::InvalidInput { message }) => message,
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn identify_ndef() {
        // One short well-known URI record, no prefix, 11 bytes of payload.
        let ok = [&[0xD1, 0x01, 0x0B, b'U', 0x00][..], b"DE*ABC*E12"].concat();
        assert_eq!(parse_ndef_message(ok).unwrap(), "DE*ABC*E12");
        assert_eq!(parse_ndef_record(0x01, b"U".to_vec(), b"\x00DEABCE7".to_vec()).unwrap(), "DE*ABC*E7");
        assert_eq!(message(parse_ndef_message(vec![])), "The NFC tag is empty.");
    }

    #[test]
    fn identify_cards() {
        assert_eq!(normalize_card_uid(vec![0x04, 0xA2, 0x2B, 0x1A]).unwrap(), "04A22B1A");
        assert_eq!(normalize_card_uid_text("04:a2:2b:1a".into()).unwrap(), "04A22B1A");
        assert!(message(normalize_card_uid(vec![1, 2])).contains("4, 7, 8 or 10 bytes"));
    }

    #[test]
    fn identify_contract_refusals() {
        assert_eq!(message(read_contract_certificate(vec![], vec![])), "No contract certificate given.");
        assert!(
            message(read_contract_certificate(b"not a certificate".to_vec(), vec![]))
                .contains("not a contract certificate")
        );
    }
}
