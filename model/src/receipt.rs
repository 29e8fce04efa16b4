//! The receipt of a finished session, shaped like an OCPI CDR: the tariff as applied, the
//! charging periods, every priced line with its VAT, the totals, and the signed meter data the
//! charger reported (OCMF), with the charger's meter key. The server signs the receipt's exact
//! JSON bytes with Ed25519; the app verifies them against the server's published key before it
//! shows the receipt as genuine.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::ids::EvseId;
use crate::pricing::PricedSession;
use crate::session::AuthMethod;
use crate::tariff::Tariff;

/// The signature algorithm of receipts.
pub const RECEIPT_ALGORITHM: &str = "Ed25519";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Receipt {
    pub session_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub evse_id: EvseId,
    pub charger_id: String,
    pub auth_method: AuthMethod,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub issued_at: OffsetDateTime,
    /// The tariff the session was priced with.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub tariff: Tariff,
    /// Start and end, energy, charging and parking time, charging periods, priced lines and
    /// totals (excl. and incl. VAT) — the CDR's numbers.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub priced: PricedSession,
    /// Signed meter values as the charger sent them (OCMF, `Transaction.Begin`/`End`).
    pub signed_meter_data: Vec<SignedMeterValue>,
    /// The charger meter's public key (DER SubjectPublicKeyInfo, hex), as the operator
    /// registered it, to verify `signed_meter_data` with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter_public_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedMeterValue {
    /// `Transaction.Begin`, `Transaction.End`, `Sample.Periodic`…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    /// The `SignedData` value exactly as sent.
    pub signed_data: String,
}

/// A receipt with its signature: `payload` is the receipt's JSON, byte for byte as signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedReceipt {
    pub payload: String,
    pub key_id: String,
    /// Always `Ed25519`.
    pub algorithm: String,
    /// Base64 (standard, padded) of the 64-byte signature.
    pub signature: String,
}

/// A key receipts are signed with, as the server publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReceiptKey {
    pub key_id: String,
    pub algorithm: String,
    /// Base64 (standard, padded) of the 32-byte Ed25519 public key.
    pub public_key: String,
}
