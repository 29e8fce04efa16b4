//! Checking one OCMF signature with ring: which algorithm, from the key and the record's
//! `SA`; which encoding of the signature; and the verification itself.
//!
//! `SA` sits in the signature section, which the signature does not cover, so it is only a
//! claim: the key decides which curve is used, and an `SA` (or `SM`) that does not fit a key
//! ring verifies makes the record invalid. Were it "unsupported" instead, editing `SA` would
//! soften the verdict on a forged record. Only a bare public key (no curve of its own) takes
//! its curve from `SA`.

use chargekit_model::ocmf::{DEFAULT_SIGNATURE_MIME_TYPE, OcmfSignature};
use ring::signature::{self, EcdsaVerificationAlgorithm, UnparsedPublicKey};

use super::Verification;
use super::key::{Curve, MeterPublicKey};

pub(super) fn verify(payload: &[u8], signature: &OcmfSignature, key: &MeterPublicKey) -> Verification {
    let sa = signature.algorithm();
    let claimed = parse_algorithm(sa);
    let (curve, point) = match key {
        MeterPublicKey::Unsupported { algorithm } => return Verification::unsupported(algorithm),
        MeterPublicKey::Ec { curve, point } => match claimed {
            Some((name, _)) if Curve::from_ocmf_name(name) == Some(*curve) => (*curve, point),
            _ => {
                return Verification::invalid(format!(
                    "The record says it was signed with {sa}, but the charger's key is ECDSA {}.",
                    curve.ocmf_name()
                ));
            }
        },
        MeterPublicKey::BarePoint(point) => {
            let Some((name, _)) = claimed else {
                return Verification::invalid(format!(
                    "The record's signature algorithm {sa:?} is not ECDSA-<curve>-<hash>, \
                     so the curve of the charger's bare public key is unknown."
                ));
            };
            match Curve::from_ocmf_name(name) {
                Some(curve) if curve.field_len() * 2 + 1 == point.len() => (curve, point),
                Some(curve) => {
                    return Verification::invalid(format!(
                        "The record says {sa}, but the charger's public key is not a {} point.",
                        curve.ocmf_name()
                    ));
                }
                None => return Verification::unsupported(format!("ECDSA {name}")),
            }
        }
    };
    // The curve agrees with the key; the hash and the format must be ones OCMF defines.
    let Some(algorithm) = claimed.and_then(|(_, hash)| ring_algorithm(curve, hash)) else {
        return Verification::invalid(format!(
            "The record names the signature algorithm {sa}, which OCMF does not define for an ECDSA {} key.",
            curve.ocmf_name()
        ));
    };
    let mime_type = signature.mime_type();
    if mime_type != DEFAULT_SIGNATURE_MIME_TYPE {
        return Verification::invalid(format!("The signature's format {mime_type:?} is not one OCMF defines."));
    }
    let bytes = match signature.bytes() {
        Ok(bytes) => bytes,
        Err(error) => return Verification::invalid(error.to_string()),
    };
    let encodings = as_der(&bytes, curve);
    if encodings.is_empty() {
        return Verification::invalid(format!(
            "The signature has {} bytes, which is neither a DER signature nor r and s of {}.",
            bytes.len(),
            curve.ocmf_name()
        ));
    }
    let key = UnparsedPublicKey::new(algorithm, point);
    if encodings.iter().any(|der| key.verify(payload, der).is_ok()) {
        Verification::Valid
    } else {
        Verification::invalid(
            "The signature does not match: the meter values were changed after the meter signed them, \
             or another key signed them.",
        )
    }
}

/// `ECDSA-<curve>-<hash>`, e.g. `ECDSA-secp384r1-SHA256`.
fn parse_algorithm(sa: &str) -> Option<(&str, &str)> {
    sa.strip_prefix("ECDSA-")?.rsplit_once('-')
}

/// OCMF pairs P-384 with SHA-256 (`ECDSA-secp384r1-SHA256`), which ring has too.
fn ring_algorithm(curve: Curve, hash: &str) -> Option<&'static EcdsaVerificationAlgorithm> {
    Some(match (curve, hash) {
        (Curve::P256, "SHA256") => &signature::ECDSA_P256_SHA256_ASN1,
        (Curve::P256, "SHA384") => &signature::ECDSA_P256_SHA384_ASN1,
        (Curve::P384, "SHA256") => &signature::ECDSA_P384_SHA256_ASN1,
        (Curve::P384, "SHA384") => &signature::ECDSA_P384_SHA384_ASN1,
        _ => return None,
    })
}

/// The ways to read the signature as DER. OCMF says DER (`application/x-der`), but some meters
/// (Isabellenhütte) send `r ‖ s` at the curve's size; that is the same signature written
/// differently, so it is re-encoded rather than refused. `r ‖ s` can happen to start like a
/// DER sequence (about once in 65 536 signatures), so then both readings are tried; either
/// one is the same `(r, s)`, so accepting either accepts nothing more.
fn as_der(bytes: &[u8], curve: Curve) -> Vec<Vec<u8>> {
    let mut readings = Vec::new();
    let looks_like_der = match bytes {
        [0x30, len, ..] if *len < 0x80 => usize::from(*len) + 2 == bytes.len(),
        [0x30, 0x81, len, ..] => usize::from(*len) + 3 == bytes.len(),
        _ => false,
    };
    if looks_like_der {
        readings.push(bytes.to_vec());
    }
    if bytes.len() == 2 * curve.field_len() {
        let (r, s) = bytes.split_at(curve.field_len());
        let body = [der_integer(r), der_integer(s)].concat();
        readings.push([der_header(0x30, body.len()), body].concat());
    }
    readings
}

/// A DER INTEGER of an unsigned big-endian number.
fn der_integer(unsigned: &[u8]) -> Vec<u8> {
    let start = unsigned.iter().position(|&b| b != 0).unwrap_or(unsigned.len().saturating_sub(1));
    let digits = unsigned.get(start..).unwrap_or_default();
    // A leading 1 bit would read as negative: DER adds a zero byte.
    let pad: &[u8] = if digits.first().is_some_and(|b| b & 0x80 != 0) { &[0] } else { &[] };
    let digits = if digits.is_empty() { &[0][..] } else { digits };
    [der_header(0x02, pad.len() + digits.len()), pad.to_vec(), digits.to_vec()].concat()
}

fn der_header(tag: u8, len: usize) -> Vec<u8> {
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => vec![tag, short],
        // Two coordinates of at most 66 bytes fit in one length byte.
        Ok(long) => vec![tag, 0x81, long],
        Err(_) => vec![tag, 0x82, (len >> 8) as u8, len as u8],
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use chargekit_model::ocmf::encode_hex;
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};

    use super::*;

    const PAYLOAD: &[u8] = br#"{"PG":"T1","RD":[]}"#;

    struct Signed {
        point: Vec<u8>,
        der: Vec<u8>,
        fixed: Vec<u8>,
    }

    fn signed() -> Signed {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let der_signer = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let fixed_signer = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        Signed {
            point: der_signer.public_key().as_ref().to_vec(),
            der: der_signer.sign(&rng, PAYLOAD).unwrap().as_ref().to_vec(),
            fixed: fixed_signer.sign(&rng, PAYLOAD).unwrap().as_ref().to_vec(),
        }
    }

    fn signature(sa: Option<&str>, se: Option<&str>, sm: Option<&str>, data: String) -> OcmfSignature {
        OcmfSignature { algorithm: sa.map(Into::into), encoding: se.map(Into::into), mime_type: sm.map(Into::into), data }
    }

    #[test]
    fn verifies_der_and_r_s_under_spki_and_bare_keys() {
        let s = signed();
        let ec = MeterPublicKey::Ec { curve: Curve::P256, point: s.point.clone() };
        let bare = MeterPublicKey::BarePoint(s.point.clone());
        let b64 = base64::engine::general_purpose::STANDARD.encode(&s.der);
        for (key, sig) in [
            (&ec, signature(None, None, None, encode_hex(&s.der))),
            (&ec, signature(Some("ECDSA-secp256r1-SHA256"), Some("base64"), None, b64)),
            (&ec, signature(None, None, Some("application/x-der"), encode_hex(&s.fixed))),
            (&bare, signature(None, None, None, encode_hex(&s.der))),
            (&bare, signature(None, None, None, encode_hex(&s.fixed))),
        ] {
            assert_eq!(verify(PAYLOAD, &sig, key), Verification::Valid, "{sig:?}");
            assert!(matches!(verify(b"{}", &sig, key), Verification::Invalid { .. }), "{sig:?}");
        }
    }

    #[test]
    fn an_algorithm_that_does_not_fit_the_key_is_invalid_not_unsupported() {
        let s = signed();
        let ec = MeterPublicKey::Ec { curve: Curve::P256, point: s.point.clone() };
        let bare = MeterPublicKey::BarePoint(s.point.clone());
        let hex = encode_hex(&s.der);
        let verdict = |key: &MeterPublicKey, sa: &str, sm: Option<&str>| verify(PAYLOAD, &signature(Some(sa), None, sm, hex.clone()), key);
        for (sa, sm) in [
            ("ECDSA-secp384r1-SHA256", None),
            ("ECDSA-secp256k1-SHA256", None),
            ("ECDSA-secp256r1-SHA512", None),
            ("Ed25519", None),
            ("ECDSA-secp256r1-SHA256", Some("application/x-p1363")),
        ] {
            assert!(matches!(verdict(&ec, sa, sm), Verification::Invalid { .. }), "{sa} {sm:?}");
        }
        // A bare key takes its curve from SA, so there an unknown curve is "unsupported".
        assert_eq!(verdict(&bare, "ECDSA-brainpoolP256r1-SHA256", None), Verification::unsupported("ECDSA brainpoolP256r1"));
        assert!(matches!(verdict(&bare, "ECDSA-secp384r1-SHA256", None), Verification::Invalid { .. }));
        assert!(matches!(verdict(&bare, "RSA", None), Verification::Invalid { .. }));
        let unsupported = MeterPublicKey::Unsupported { algorithm: "RSA".into() };
        assert_eq!(verdict(&unsupported, "ECDSA-secp256r1-SHA256", None), Verification::unsupported("RSA"));
        // Broken signature data.
        let odd = signature(None, None, None, "0".into());
        assert!(matches!(verify(PAYLOAD, &odd, &ec), Verification::Invalid { reason } if reason.contains("hex")));
        let short = signature(None, None, None, "00".repeat(10));
        assert!(matches!(verify(PAYLOAD, &short, &ec), Verification::Invalid { reason } if reason.contains("10 bytes")));
    }

    #[test]
    fn encodes_r_and_s_as_der() {
        let mut fixed = vec![0u8; 64];
        fixed[0] = 0x80; // r needs a zero byte in front
        fixed[63] = 0x01; // s is 1, its leading zeros dropped
        let mut expected = vec![0x30, 38, 0x02, 33, 0x00, 0x80];
        expected.extend([0; 31]);
        expected.extend([0x02, 1, 0x01]);
        assert_eq!(as_der(&fixed, Curve::P256), [expected]);
        assert_eq!(as_der(&[0; 64], Curve::P256), [[0x30, 6, 0x02, 1, 0, 0x02, 1, 0]]);
        assert!(as_der(&[0; 63], Curve::P256).is_empty());
        assert_eq!(as_der(&[0x30, 2, 0x02, 0], Curve::P256), [[0x30, 2, 0x02, 0]]);
        // r ‖ s that starts like a DER sequence of 62 bytes: both readings.
        let mut ambiguous = vec![0x11; 64];
        ambiguous[..2].copy_from_slice(&[0x30, 62]);
        assert_eq!(as_der(&ambiguous, Curve::P256).len(), 2);
    }

    #[test]
    fn reads_algorithm_names() {
        assert_eq!(parse_algorithm("ECDSA-secp256r1-SHA256"), Some(("secp256r1", "SHA256")));
        assert_eq!(parse_algorithm("ECDSA-brainpoolP256r1-SHA256"), Some(("brainpoolP256r1", "SHA256")));
        assert_eq!(parse_algorithm("RSA-SHA256"), None);
        assert_eq!(parse_algorithm("ECDSA-secp256r1"), None);
        assert!(ring_algorithm(Curve::P256, "SHA512").is_none());
    }
}
