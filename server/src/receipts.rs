//! Receipts: issued once a session is completed, signed with Ed25519 over the receipt's exact
//! JSON bytes, so the app can tell a genuine receipt from an altered one. The key comes from
//! the configured PKCS#8 file, or is generated at first start and kept in the database.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chargekit_model::ocpp::messages::SampledValue;
use chargekit_model::receipt::{RECEIPT_ALGORITHM, Receipt, ReceiptKey, SignedMeterValue, SignedReceipt};
use chargekit_model::{EvseId, PricedSession};
use ring::rand::SystemRandom;
use ring::signature::{Ed25519KeyPair, KeyPair};
use time::OffsetDateTime;

use crate::store::{SessionRow, Store, StoreError};

pub struct ReceiptSigner {
    key_id: String,
    key: Ed25519KeyPair,
}

impl ReceiptSigner {
    /// The key from `file` (PKCS#8 DER) if configured, else the database's own.
    pub async fn load(store: &Store, file: Option<&std::path::Path>) -> Result<Self, String> {
        let (key_id, pkcs8) = match file {
            Some(path) => {
                let pkcs8 = std::fs::read(path).map_err(|e| format!("cannot read the receipt key {}: {e}", path.display()))?;
                (key_id_of(&pkcs8)?, pkcs8)
            }
            None => store
                .signing_key_or(|| {
                    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("the system's random source works");
                    let id = key_id_of(pkcs8.as_ref()).expect("a key just generated is valid");
                    (id, pkcs8.as_ref().to_vec())
                })
                .await
                .map_err(|e| format!("cannot keep the receipt signing key: {e}"))?,
        };
        let key = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|e| format!("the receipt key is not an Ed25519 PKCS#8 key: {e}"))?;
        Ok(Self { key_id, key })
    }

    pub fn public_key(&self) -> ReceiptKey {
        ReceiptKey {
            key_id: self.key_id.clone(),
            algorithm: RECEIPT_ALGORITHM.to_owned(),
            public_key: STANDARD.encode(self.key.public_key().as_ref()),
        }
    }

    pub fn sign(&self, receipt: &Receipt) -> SignedReceipt {
        // Receipts are plain data; serializing them cannot fail.
        let payload = serde_json::to_string(receipt).expect("a receipt serializes");
        let signature = self.key.sign(payload.as_bytes());
        SignedReceipt {
            payload,
            key_id: self.key_id.clone(),
            algorithm: RECEIPT_ALGORITHM.to_owned(),
            signature: STANDARD.encode(signature.as_ref()),
        }
    }
}

/// A key's id: the first 8 bytes of the SHA-256 of its public key, hex.
fn key_id_of(pkcs8: &[u8]) -> Result<String, String> {
    let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(|e| format!("not an Ed25519 PKCS#8 key: {e}"))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
    Ok(hex::encode(&digest.as_ref()[..8]))
}

/// The receipt of a completed session, priced by [`crate::billing::Billing::final_pricing`].
pub async fn build(store: &Store, row: &SessionRow, priced: PricedSession) -> Result<Receipt, StoreError> {
    let mut signed_meter_data = Vec::new();
    for (_, at, values) in store.meter_values_after(&row.id, 0).await? {
        signed_meter_data.extend(values.iter().filter(|v| v.format.as_deref() == Some("SignedData")).map(|v| signed(at, v)));
    }
    signed_meter_data.sort_by_key(|v| v.at);
    Ok(Receipt {
        session_id: row.id.parse().unwrap_or_default(),
        // Only EVSE IDs that parsed are ever stored.
        evse_id: EvseId::parse(&row.evse_id).expect("stored EVSE ID is valid"),
        charger_id: row.charger_id.clone(),
        auth_method: row.auth_method(),
        issued_at: OffsetDateTime::now_utc(),
        tariff: row.tariff.0.clone(),
        priced,
        signed_meter_data,
        meter_public_key: store.meter_public_key(&row.charger_id).await?,
    })
}

fn signed(at: OffsetDateTime, value: &SampledValue) -> SignedMeterValue {
    SignedMeterValue { context: value.context.clone(), at, signed_data: value.value.clone() }
}
