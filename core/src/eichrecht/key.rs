//! The public key of a charger's meter, as operators publish it: a DER
//! SubjectPublicKeyInfo in hex (often in groups, `3059 3013 …`) or base64, which is what the
//! Transparenzsoftware XML files carry; or, from some meters (Isabellenhütte), the bare
//! curve point in hex, whose curve the record's `SA` then names.

use base64::Engine as _;
use chargekit_model::ocmf::decode_hex;
use x509_parser::prelude::FromDer as _;
use x509_parser::x509::SubjectPublicKeyInfo;

/// The curves ring verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Curve {
    /// NIST P-256, OCMF's `secp256r1`.
    P256,
    /// NIST P-384, OCMF's `secp384r1`.
    P384,
}

impl Curve {
    /// Bytes of a coordinate, which is also the size of `r` and `s` in a signature.
    pub(super) fn field_len(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
        }
    }

    /// Bytes of an uncompressed point, `04 ‖ X ‖ Y`.
    fn point_len(self) -> usize {
        1 + 2 * self.field_len()
    }

    /// The name OCMF gives the curve in `SA`.
    pub fn ocmf_name(self) -> &'static str {
        match self {
            Self::P256 => "secp256r1",
            Self::P384 => "secp384r1",
        }
    }

    /// The curve of an OCMF curve name, if ring verifies it.
    pub(super) fn from_ocmf_name(name: &str) -> Option<Self> {
        match name {
            "secp256r1" => Some(Self::P256),
            "secp384r1" => Some(Self::P384),
            _ => None,
        }
    }
}

/// A meter's public key, ready to verify with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeterPublicKey {
    /// An EC key on a curve ring verifies; `point` is uncompressed.
    Ec { curve: Curve, point: Vec<u8> },
    /// A bare point without SubjectPublicKeyInfo, always stored uncompressed (`04 ‖ X ‖ Y`).
    /// Its curve is the one the record's `SA` names.
    BarePoint(Vec<u8>),
    /// A well-formed key of an algorithm this verifier does not have: secp256k1, brainpool,
    /// RSA, … `algorithm` names it for people.
    Unsupported { algorithm: String },
}

/// Why a public key cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("No public key was given for the charger's meter.")]
    Missing,
    #[error("The charger's public key is neither hex nor base64.")]
    Encoding,
    #[error("The charger's public key is not a valid public key: {0}")]
    Malformed(String),
}

impl MeterPublicKey {
    /// Reads a key from hex or base64 text. Whitespace anywhere is ignored.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(KeyError::Missing);
        }
        // A DER key in hex starts with "30", which is not how base64 of one starts ("M…"),
        // so text of hex digits only is hex.
        let bytes = if compact.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(&compact).map_err(|_| KeyError::Encoding)?
        } else {
            base64::engine::general_purpose::STANDARD.decode(&compact).map_err(|_| KeyError::Encoding)?
        };
        Self::from_bytes(&bytes)
    }

    /// Reads a DER SubjectPublicKeyInfo, or a bare point of a size that only a bare point has.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        match Self::from_spki_der(bytes) {
            Ok(key) => Ok(key),
            Err(error) => bare_point(bytes).map(Self::BarePoint).ok_or(error),
        }
    }

    /// Reads a DER SubjectPublicKeyInfo (RFC 5280, 4.1).
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let (rest, spki) = SubjectPublicKeyInfo::from_der(der).map_err(|e| KeyError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(KeyError::Malformed(format!("{} bytes follow the key", rest.len())));
        }
        let algorithm = spki.algorithm.algorithm.to_id_string();
        if algorithm != ID_EC_PUBLIC_KEY {
            return Ok(Self::Unsupported { algorithm: key_algorithm_name(&algorithm) });
        }
        // Named curves only; explicit curve parameters are rare and error-prone (RFC 5480).
        let Some(curve_oid) = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()) else {
            return Ok(Self::Unsupported { algorithm: "ECDSA with explicit curve parameters".to_owned() });
        };
        let curve_oid = curve_oid.to_id_string();
        let curve = match curve_oid.as_str() {
            ID_P256 => Curve::P256,
            ID_P384 => Curve::P384,
            other => return Ok(Self::Unsupported { algorithm: format!("ECDSA {}", curve_name(other)) }),
        };
        if spki.subject_public_key.unused_bits != 0 {
            return Err(KeyError::Malformed("the key's bit string does not fill whole bytes".to_owned()));
        }
        let point = spki.subject_public_key.data.as_ref();
        match (point.first(), point.len()) {
            (Some(0x04), len) if len == curve.point_len() => Ok(Self::Ec { curve, point: point.to_vec() }),
            (Some(0x02 | 0x03), len) if len == 1 + curve.field_len() => {
                Ok(Self::Unsupported { algorithm: format!("ECDSA {} with a compressed public key", curve.ocmf_name()) })
            }
            (_, len) => Err(KeyError::Malformed(format!("a {} point of {len} bytes", curve.ocmf_name()))),
        }
    }
}

/// A bare point of 32- or 48-byte coordinates, with or without the `04` prefix.
fn bare_point(bytes: &[u8]) -> Option<Vec<u8>> {
    match bytes.len() {
        64 | 96 => Some([&[0x04], bytes].concat()),
        65 | 97 if bytes.first() == Some(&0x04) => Some(bytes.to_vec()),
        _ => None,
    }
}

const ID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ID_P256: &str = "1.2.840.10045.3.1.7";
const ID_P384: &str = "1.3.132.0.34";

/// Names of the curves meters are known to use, for the "unsupported" message.
fn curve_name(oid: &str) -> String {
    match oid {
        "1.3.132.0.10" => "secp256k1",
        "1.3.132.0.31" => "secp192k1",
        "1.2.840.10045.3.1.1" => "secp192r1",
        "1.3.132.0.33" => "secp224r1",
        "1.3.132.0.35" => "secp521r1",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1",
        other => return format!("on the curve with OID {other}"),
    }
    .to_owned()
}

fn key_algorithm_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.1" => "RSA",
        "1.2.840.113549.1.1.10" => "RSA-PSS",
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        other => return format!("the key algorithm with OID {other}"),
    }
    .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256_SPKI_HEADER: &str = "3059301306072a8648ce3d020106082a8648ce3d030107034200";

    fn p256_point() -> String {
        format!("04{}", "11".repeat(64))
    }

    #[test]
    fn reads_hex_in_groups_and_base64() {
        let hex = format!("{P256_SPKI_HEADER}{}", p256_point());
        let key = MeterPublicKey::parse(&hex).unwrap();
        assert!(matches!(&key, MeterPublicKey::Ec { curve: Curve::P256, point } if point.len() == 65));
        let grouped: String = hex.as_bytes().chunks(4).map(|c| format!("{} ", String::from_utf8_lossy(c))).collect();
        assert_eq!(MeterPublicKey::parse(&grouped.to_uppercase()).unwrap(), key);
        let der = decode_hex(&hex).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        assert_eq!(MeterPublicKey::parse(&b64).unwrap(), key);
    }

    #[test]
    fn names_what_it_cannot_verify() {
        let secp256k1 = format!("3056301006072a8648ce3d020106052b8104000a034200{}", p256_point());
        assert_eq!(
            MeterPublicKey::parse(&secp256k1).unwrap(),
            MeterPublicKey::Unsupported { algorithm: "ECDSA secp256k1".into() }
        );
        let compressed = format!("3039301306072a8648ce3d020106082a8648ce3d03010703220002{}", "11".repeat(32));
        assert_eq!(
            MeterPublicKey::parse(&compressed).unwrap(),
            MeterPublicKey::Unsupported { algorithm: "ECDSA secp256r1 with a compressed public key".into() }
        );
        let unknown_curve = format!("3057301106072a8648ce3d020106062b0601020304034200{}", p256_point());
        assert_eq!(
            MeterPublicKey::parse(&unknown_curve).unwrap(),
            MeterPublicKey::Unsupported { algorithm: "ECDSA on the curve with OID 1.3.6.1.2.3.4".into() }
        );
    }

    #[test]
    fn takes_bare_points() {
        let bare = "11".repeat(64);
        let expected = MeterPublicKey::BarePoint(decode_hex(&p256_point()).unwrap());
        assert_eq!(MeterPublicKey::parse(&bare).unwrap(), expected);
        assert_eq!(MeterPublicKey::parse(&p256_point()).unwrap(), expected);
    }

    #[test]
    fn refuses_broken_keys_clearly() {
        assert_eq!(MeterPublicKey::parse(" \n "), Err(KeyError::Missing));
        assert_eq!(MeterPublicKey::parse("30 59 3"), Err(KeyError::Encoding));
        assert_eq!(MeterPublicKey::parse("not a key!"), Err(KeyError::Encoding));
        assert!(matches!(MeterPublicKey::parse("3059"), Err(KeyError::Malformed(_))));
        let short_point = format!("3058301306072a8648ce3d020106082a8648ce3d030107034100{}", "11".repeat(64));
        let error = MeterPublicKey::parse(&short_point).unwrap_err();
        assert_eq!(error, KeyError::Malformed("a secp256r1 point of 64 bytes".into()));
        let trailing = format!("{P256_SPKI_HEADER}{}00", p256_point());
        assert!(matches!(MeterPublicKey::parse(&trailing), Err(KeyError::Malformed(_))));
    }
}
