//! Signed meter values (Eichrecht): a simulated charge point can sign the begin and end of
//! each transaction as OCMF records, the way a calibrated meter does, so the whole chain
//! (charger → backend → receipt → verifier in the app) can be exercised without hardware.
//!
//! One ECDSA P-256 key per charge point, generated or passed in as PKCS#8. Its public key is
//! published as DER SubjectPublicKeyInfo in hex, the form operators publish and the
//! reference verifier (Transparenzsoftware) reads.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use chargekit_model::ocmf::{
    MeterStatus, OcmfPayload, OcmfReading, OcmfRecord, OcmfSignature, OcmfTime, Pagination, ReadingValue, TimeStatus,
    TransactionEvent, encode_hex,
};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use time::OffsetDateTime;

/// DER SubjectPublicKeyInfo of a P-256 key up to the point: SEQUENCE (89 bytes),
/// AlgorithmIdentifier (id-ecPublicKey, prime256v1), BIT STRING (66 bytes, no unused bits).
/// The 65-byte uncompressed point follows.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
    0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// `SA` of what this meter signs.
const SIGNATURE_ALGORITHM: &str = "ECDSA-secp256r1-SHA256";

/// The OBIS code of the register signed: imported active energy, total.
const ENERGY_REGISTER: &str = "1-0:1.8.0";

/// Which key a charge point's meter signs with.
#[derive(Clone, PartialEq, Eq)]
pub enum MeterKey {
    /// A new P-256 key for every charge point, made when it connects.
    Generate,
    /// This P-256 key (PKCS#8 DER, as [`MeterSigner::pkcs8`] gives it), to keep the same public
    /// key across runs.
    Pkcs8(Vec<u8>),
}

impl fmt::Debug for MeterKey {
    // A private key never goes to a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Generate => f.write_str("Generate"),
            Self::Pkcs8(_) => f.write_str("Pkcs8(<redacted>)"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    #[error("the meter signing key is not a P-256 key in PKCS#8: {0}")]
    BadKey(String),
    #[error("the meter signing key could not be generated or used")]
    Crypto,
    #[error("the signed meter record could not be built: {0}")]
    Record(String),
}

/// What the meter signs: one reading of a connector's energy register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterReading<'a> {
    /// `MS`: the meter of the connector.
    pub meter_serial: &'a str,
    /// `ID`: the idTag the transaction runs under.
    pub id_tag: &'a str,
    /// `TX`: [`TransactionEvent::Begin`] or [`TransactionEvent::End`].
    pub event: TransactionEvent,
    pub at: OffsetDateTime,
    pub register_wh: i64,
}

/// A charge point's signing meter.
pub struct MeterSigner {
    key_pair: EcdsaKeyPair,
    pkcs8: Vec<u8>,
    rng: SystemRandom,
    /// `GS`: the charge point id.
    gateway_serial: String,
    /// The last pagination counter used; each record takes the next, so a verifier sees
    /// records in order and notices a missing one.
    pagination: AtomicU64,
}

impl fmt::Debug for MeterSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeterSigner").field("public_key", &self.public_key_hex()).finish_non_exhaustive()
    }
}

impl MeterSigner {
    /// A signer for the charge point `gateway_serial`, with a new key or the one given.
    pub fn new(key: &MeterKey, gateway_serial: impl Into<String>) -> Result<Self, SigningError> {
        let rng = SystemRandom::new();
        let pkcs8 = match key {
            MeterKey::Generate => EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                .map_err(|_| SigningError::Crypto)?
                .as_ref()
                .to_vec(),
            MeterKey::Pkcs8(pkcs8) => pkcs8.clone(),
        };
        let key_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng)
            .map_err(|e| SigningError::BadKey(e.to_string()))?;
        Ok(Self { key_pair, pkcs8, rng, gateway_serial: gateway_serial.into(), pagination: AtomicU64::new(0) })
    }

    /// The private key as PKCS#8 DER, to pass back in as [`MeterKey::Pkcs8`].
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        [&P256_SPKI_PREFIX[..], self.key_pair.public_key().as_ref()].concat()
    }

    /// The public key as DER SubjectPublicKeyInfo in upper-case hex, as operators publish it.
    pub fn public_key_hex(&self) -> String {
        encode_hex(&self.public_key_der())
    }

    /// Signs one reading as an OCMF record, taking the next pagination counter.
    pub fn sign(&self, reading: &MeterReading<'_>) -> Result<OcmfRecord, SigningError> {
        let counter = self.pagination.fetch_add(1, Ordering::Relaxed) + 1;
        let payload = OcmfPayload {
            format_version: Some("1.0".to_owned()),
            gateway_identification: Some("ChargeKit Sim".to_owned()),
            gateway_serial: Some(self.gateway_serial.clone()),
            gateway_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            pagination: Pagination::transaction(counter),
            meter_vendor: Some("ChargeKit".to_owned()),
            meter_model: Some("CKSIM-METER".to_owned()),
            meter_serial: Some(reading.meter_serial.to_owned()),
            meter_firmware: None,
            identification_status: Some(true),
            identification_level: None,
            identification_flags: Vec::new(),
            // The idTag came with RemoteStartTransaction: generated centrally, by the backend.
            identification_type: Some("CENTRAL".to_owned()),
            identification_data: Some(reading.id_tag.to_owned()),
            tariff_text: None,
            charge_point_id_type: None,
            charge_point_id: None,
            readings: vec![OcmfReading {
                time: Some(OcmfTime::new(reading.at, TimeStatus::Synchronized)),
                transaction: Some(reading.event),
                value: ReadingValue::kwh_from_wh(reading.register_wh),
                register: Some(ENERGY_REGISTER.to_owned()),
                unit: Some("kWh".to_owned()),
                current_type: None,
                cumulated_loss: None,
                error_flags: Some(String::new()),
                status: Some(MeterStatus::Ok),
            }],
        };
        // These exact bytes are what is signed and what travels.
        let payload_text = serde_json::to_string(&payload).map_err(|e| SigningError::Record(e.to_string()))?;
        let signature = self.key_pair.sign(&self.rng, payload_text.as_bytes()).map_err(|_| SigningError::Crypto)?;
        let signature = OcmfSignature {
            algorithm: Some(SIGNATURE_ALGORITHM.to_owned()),
            encoding: None,
            mime_type: None,
            data: encode_hex(signature.as_ref()),
        };
        OcmfRecord::from_parts(payload_text, signature).map_err(|e| SigningError::Record(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use chargekit_model::ocmf::{decode_hex, encode_hex};
    use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
    use time::macros::datetime;

    use super::*;

    fn reading(event: TransactionEvent, register_wh: i64) -> MeterReading<'static> {
        MeterReading {
            meter_serial: "CKSIM-0001-1",
            id_tag: "DRIVER-1",
            event,
            at: datetime!(2026-11-24 10:00:00.123456 UTC),
            register_wh,
        }
    }

    #[test]
    fn signs_ocmf_records_a_p256_key_verifies() {
        let signer = MeterSigner::new(&MeterKey::Generate, "CKSIM-0001").unwrap();
        let record = signer.sign(&reading(TransactionEvent::Begin, 1_000_123)).unwrap();
        let text = record.to_text();
        assert!(text.starts_with(r#"OCMF|{"FV":"1.0","GI":"ChargeKit Sim","GS":"CKSIM-0001","#), "{text}");
        assert!(text.contains(r#""PG":"T1","#), "{text}");
        assert!(
            text.contains(r#""IS":true,"IT":"CENTRAL","ID":"DRIVER-1","RD":[{"TM":"2026-11-24T10:00:00,123+0000 S","TX":"B","RV":1000.123,"RI":"1-0:1.8.0","RU":"kWh","EF":"","ST":"G"}]}|{"SA":"ECDSA-secp256r1-SHA256","SD":""#),
            "{text}"
        );
        assert_eq!(OcmfRecord::parse(&text).unwrap(), record);

        // Checked here with ring directly; the core's verifier checks it in core/tests.
        let spki = signer.public_key_der();
        assert_eq!(spki.len(), 91);
        assert_eq!(spki[..26], P256_SPKI_PREFIX);
        let signature = decode_hex(&record.signature.data).unwrap();
        let key = UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &spki[26..]);
        assert!(key.verify(record.payload_text().as_bytes(), &signature).is_ok());
        assert!(key.verify(record.payload_text().replace("1000.123", "1000.124").as_bytes(), &signature).is_err());
    }

    #[test]
    fn pagination_counts_up_per_charge_point() {
        let signer = MeterSigner::new(&MeterKey::Generate, "CKSIM-0001").unwrap();
        let pages: Vec<String> = (0..3)
            .map(|_| signer.sign(&reading(TransactionEvent::End, 5)).unwrap().payload.pagination.to_string())
            .collect();
        assert_eq!(pages, ["T1", "T2", "T3"]);
    }

    #[test]
    fn a_key_can_be_passed_back_in() {
        let first = MeterSigner::new(&MeterKey::Generate, "A").unwrap();
        let again = MeterSigner::new(&MeterKey::Pkcs8(first.pkcs8().to_vec()), "A").unwrap();
        assert_eq!(again.public_key_hex(), first.public_key_hex());
        assert_eq!(first.public_key_hex(), encode_hex(&first.public_key_der()));
        let other = MeterSigner::new(&MeterKey::Generate, "A").unwrap();
        assert_ne!(other.public_key_hex(), first.public_key_hex());
        assert!(matches!(MeterSigner::new(&MeterKey::Pkcs8(vec![1, 2, 3]), "A"), Err(SigningError::BadKey(_))));
        assert_eq!(format!("{:?}", MeterKey::Pkcs8(first.pkcs8().to_vec())), "Pkcs8(<redacted>)");
    }
}
