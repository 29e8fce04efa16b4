//! The FFI for Eichrecht: checking the signed meter data on a receipt. It converts and
//! delegates to [`eichrecht::check_signed_data`]; the rules live there.

use chargekit_model::ocmf::OcmfReading;

use crate::eichrecht::{self, MeterDataCheck};

/// What the app can say about a receipt's signed meter data.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum MeterDataVerification {
    /// The meter signed these readings; show them as verified.
    Verified { meter_serial: Option<String>, readings: Vec<SignedMeterReading> },
    /// Do not trust the values; `reason` is a sentence to show.
    Invalid { reason: String },
    /// Possibly genuine, but the app cannot check `algorithm` (e.g. `ECDSA secp256k1`);
    /// the driver can use the Transparenzsoftware.
    Unsupported { algorithm: String },
    /// Not OCMF (another format, or nothing); `reason` is a sentence to show.
    NotOcmf { reason: String },
    /// The charger's public key is missing or unreadable; `reason` is a sentence to show.
    BadKey { reason: String },
}

/// One signed reading, as the meter wrote it (no rounding, no unit conversion).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignedMeterReading {
    /// `2021-10-07T15:29:55,000+0200 S`: the time and its status letter.
    pub time: Option<String>,
    /// `B` (begin), `E` (end), `C` (charging), …
    pub event: Option<String>,
    /// The value exactly as signed, e.g. `1234.5678`.
    pub value: String,
    /// `kWh`, `Wh`, …
    pub unit: Option<String>,
    /// The OBIS register, e.g. `1-b:1.8.0`.
    pub register: Option<String>,
}

/// Checks signed meter data (OCMF, as it came with the session) against the charger's public
/// key (DER SubjectPublicKeyInfo in hex or base64).
#[uniffi::export]
pub fn verify_signed_meter_data(signed_data: String, public_key: String) -> MeterDataVerification {
    eichrecht::check_signed_data(&signed_data, &public_key).into()
}

impl From<MeterDataCheck> for MeterDataVerification {
    fn from(check: MeterDataCheck) -> Self {
        match check {
            MeterDataCheck::Verified(record) => Self::Verified {
                meter_serial: record.payload.meter_serial.clone(),
                readings: record.payload.readings.iter().map(SignedMeterReading::from).collect(),
            },
            MeterDataCheck::Invalid { reason } => Self::Invalid { reason },
            MeterDataCheck::Unsupported { algorithm } => Self::Unsupported { algorithm },
            MeterDataCheck::NotOcmf { reason } => Self::NotOcmf { reason },
            MeterDataCheck::BadKey { reason } => Self::BadKey { reason },
        }
    }
}

impl From<&OcmfReading> for SignedMeterReading {
    fn from(reading: &OcmfReading) -> Self {
        Self {
            time: reading.time.map(|t| t.to_string()),
            event: reading.transaction.map(|e| e.letter().to_string()),
            value: reading.value.to_string(),
            unit: reading.unit.clone(),
            register: reading.register.clone(),
        }
    }
}
