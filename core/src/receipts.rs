//! Receipts the app can trust: the backend's Ed25519 signature over the receipt's exact bytes
//! is checked against its published key (pinned in the platform's secure store at first use, so
//! a key swapped later is noticed), and the charger's signed meter data on it (Eichrecht, OCMF)
//! is verified with the meter's key and must add up to the energy billed. A receipt that fails
//! either check is shown as such, never as genuine. Receipts are cached (sealed) for offline use
//! and checked again every time they are read.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chargekit_model::receipt::{RECEIPT_ALGORITHM, Receipt, ReceiptKey, SignedReceipt};
use ring::signature::{ED25519, UnparsedPublicKey};

use crate::eichrecht::{MeterDataCheck, MeterPublicKey, TransactionVerification, check_signed_data, verify_transaction};
use crate::engine::Core;
use crate::error::CoreError;
use crate::secrets;

/// Pinned receipt keys in the secure store: key id → base64 public key.
const PINNED_KEYS: &str = "chargekit.receipt_keys";

/// Whether the backend's signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    Genuine,
    /// Altered after signing, or signed by a key other than the one pinned under its id.
    Tampered { reason: String },
    /// Signed by a key this app has never been given.
    UnknownKey { key_id: String },
}

/// What the charger's signed meter data says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterDataStatus {
    /// The charger signed nothing (not every charger is calibration-law certified).
    NotSigned,
    /// Signed begin and end readings verify, pair up, and give the energy billed.
    Verified { meter_serial: Option<String>, energy_wh: i64 },
    Invalid { reason: String },
    /// Signed with an algorithm this app cannot check (secp256k1, brainpool, RSA…).
    Unsupported { algorithm: String },
    /// Signed, but the operator published no meter key to check it with.
    NoMeterKey,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedReceipt {
    pub receipt: Receipt,
    pub signature: SignatureCheck,
    pub meter_data: MeterDataStatus,
}

/// Checks a signed receipt against the known keys and its meter data. `Err` only when the
/// payload is not a receipt at all (then nothing can be shown).
pub fn check(signed: &SignedReceipt, keys: &BTreeMap<String, String>) -> Result<CheckedReceipt, CoreError> {
    let receipt: Receipt = serde_json::from_str(&signed.payload)
        .map_err(|e| CoreError::Internal(format!("the receipt could not be read: {e}")))?;
    let signature = check_signature(signed, keys);
    let meter_data = check_meter_data(&receipt);
    Ok(CheckedReceipt { receipt, signature, meter_data })
}

fn check_signature(signed: &SignedReceipt, keys: &BTreeMap<String, String>) -> SignatureCheck {
    if signed.algorithm != RECEIPT_ALGORITHM {
        return SignatureCheck::Tampered { reason: format!("signed with {}, not {RECEIPT_ALGORITHM}", signed.algorithm) };
    }
    let Some(key) = keys.get(&signed.key_id) else { return SignatureCheck::UnknownKey { key_id: signed.key_id.clone() } };
    let (Ok(key), Ok(signature)) = (STANDARD.decode(key), STANDARD.decode(&signed.signature)) else {
        return SignatureCheck::Tampered { reason: "the signature is not readable".into() };
    };
    match UnparsedPublicKey::new(&ED25519, key).verify(signed.payload.as_bytes(), &signature) {
        Ok(()) => SignatureCheck::Genuine,
        Err(_) => SignatureCheck::Tampered { reason: "the receipt was changed after it was signed".into() },
    }
}

fn check_meter_data(receipt: &Receipt) -> MeterDataStatus {
    if receipt.signed_meter_data.is_empty() {
        return MeterDataStatus::NotSigned;
    }
    let Some(key_text) = receipt.meter_public_key.as_deref() else { return MeterDataStatus::NoMeterKey };
    let mut records = Vec::with_capacity(receipt.signed_meter_data.len());
    for value in &receipt.signed_meter_data {
        match check_signed_data(&value.signed_data, key_text) {
            MeterDataCheck::Verified(record) => records.push(*record),
            MeterDataCheck::Unsupported { algorithm } => return MeterDataStatus::Unsupported { algorithm },
            MeterDataCheck::Invalid { reason } | MeterDataCheck::NotOcmf { reason } | MeterDataCheck::BadKey { reason } => {
                return MeterDataStatus::Invalid { reason };
            }
        }
    }
    let key = match MeterPublicKey::parse(key_text) {
        Ok(key) => key,
        Err(e) => return MeterDataStatus::Invalid { reason: e.to_string() },
    };
    match verify_transaction(&records, &key) {
        TransactionVerification::Valid(transaction) if transaction.energy_wh == receipt.priced.total_energy_wh => {
            MeterDataStatus::Verified { meter_serial: transaction.meter_serial.clone(), energy_wh: transaction.energy_wh }
        }
        TransactionVerification::Valid(transaction) => MeterDataStatus::Invalid {
            reason: format!(
                "the meter signed {} Wh, the receipt bills {} Wh",
                transaction.energy_wh, receipt.priced.total_energy_wh
            ),
        },
        TransactionVerification::Invalid { reason } => MeterDataStatus::Invalid { reason },
        TransactionVerification::Unsupported { algorithm } => MeterDataStatus::Unsupported { algorithm },
    }
}

impl Core {
    /// A finished session's receipt, checked: from the backend (then cached), or from the cache
    /// when offline.
    pub async fn receipt(&self, session_id: &str) -> Result<CheckedReceipt, CoreError> {
        let signed = match self.authed(|token| async move { self.client.receipt(&token, session_id).await }).await {
            Ok(signed) => {
                self.cache.put_receipt(session_id, &signed)?;
                signed
            }
            Err(CoreError::Network(message)) => self.cache.receipt(session_id)?.ok_or(CoreError::Network(message))?,
            Err(other) => return Err(other),
        };
        // A store that cannot answer now fails the check clearly: learning the published keys
        // in place of the pinned ones would let a swapped key pass.
        let mut keys = self.pinned_keys()?;
        if !keys.contains_key(&signed.key_id) {
            // First receipt, or the backend rotated its key: learn the keys it publishes now.
            // A key id already pinned is never replaced, so a swapped key shows as tampering.
            if let Ok(published) = self.client.receipt_keys().await {
                self.pin_keys(&mut keys, &published);
            }
        }
        check(&signed, &keys)
    }

    fn pinned_keys(&self) -> Result<BTreeMap<String, String>, CoreError> {
        let stored = secrets::read(self.account.secure_store(), PINNED_KEYS)?;
        Ok(stored.and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default())
    }

    fn pin_keys(&self, keys: &mut BTreeMap<String, String>, published: &[ReceiptKey]) {
        for key in published.iter().filter(|k| k.algorithm == RECEIPT_ALGORITHM) {
            keys.entry(key.key_id.clone()).or_insert_with(|| key.public_key.clone());
        }
        if let Ok(bytes) = serde_json::to_vec(keys) {
            // Not kept now (a locked store): the keys are learned again with the next receipt.
            if let Err(e) = secrets::write(self.account.secure_store(), PINNED_KEYS, bytes) {
                tracing::info!(error = %e, "receipt keys not pinned this time");
            }
        }
    }
}
