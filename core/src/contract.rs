//! Plug & Charge contracts (ISO 15118-2): the contract certificate a mobility operator (MO)
//! issues for a driver's car, registered in the app so the driver sees which contract the car
//! charges with.
//!
//! ISO 15118-2 §7.9.2 fixes the shape this module checks: X.509 v3, ECDSA with SHA-256 on the
//! secp256r1 (P-256) curve, a chain from the contract certificate through at most two MO
//! sub-CAs to the MO (or V2G) root, and the EMAID as the subject's common name (Annex H). The
//! EMAID may carry its check character or not — Annex H allows both — so a CN without one is
//! accepted and one with a wrong one refused.
//!
//! Certificates are read with `x509-parser` and every signature is verified with `ring`
//! (`ECDSA_P256_SHA256_ASN1`) over the exact `tbsCertificate` bytes: nothing is re-encoded.
//! Issuer and subject names are chained by their DER bytes, as RFC 5280 §7.1 permits and as
//! certificate authorities encode them.

use chargekit_model::{Emaid, EmaidError};
use ring::digest::{SHA256, digest};
use ring::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ECDSA_WITH_SHA256};
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::x509::{SubjectPublicKeyInfo, X509Name};

/// Most certificates read from one input: the contract certificate, two sub-CAs (ISO 15118-2
/// §7.9.2.2) and the root if the MO included it. Bounds the work done on hostile input.
const MAX_CERTIFICATES: usize = 4;

/// Why a contract could not be registered. Messages are meant for the driver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    #[error("No contract certificate given.")]
    Empty,
    #[error("This file is not a contract certificate (a PEM or DER X.509 certificate).")]
    Unreadable,
    #[error("The mobility operator's root certificate could not be read.")]
    UnreadableRoot,
    #[error("The file holds more than {MAX_CERTIFICATES} certificates; a contract comes with at most two sub-CAs.")]
    TooManyCertificates,
    /// Anything but ECDSA with SHA-256 on P-256, which ISO 15118-2 prescribes.
    #[error("The contract uses {0}, which is not supported; ISO 15118-2 contracts use ECDSA P-256 with SHA-256.")]
    UnsupportedAlgorithm(String),
    #[error("The certificates do not form a chain: \"{subject}\" is not issued by the certificate after it.")]
    BrokenChain { subject: String },
    #[error("This contract was not issued under your mobility operator's root certificate.")]
    UntrustedRoot,
    #[error("The signature on \"{subject}\" is not valid; the certificate may have been altered.")]
    BadSignature { subject: String },
    #[error("\"{subject}\" is not a certificate authority, so it cannot issue contracts.")]
    NotACertificateAuthority { subject: String },
    #[error("\"{subject}\" may not issue through this many sub-CAs.")]
    PathTooLong { subject: String },
    #[error("\"{subject}\" is not valid before {from}.")]
    NotYetValid { subject: String, from: OffsetDateTime },
    #[error("\"{subject}\" expired on {on}.")]
    Expired { subject: String, on: OffsetDateTime },
    #[error("The contract certificate names no contract ID (EMAID).")]
    NoEmaid,
    #[error("The contract certificate's name is not a valid contract ID: {0}")]
    InvalidEmaid(#[from] EmaidError),
}

/// A contract certificate with the sub-CAs the MO delivered with it, read but not yet trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractCertificate {
    /// DER of each certificate, the contract certificate first, then its issuers in order.
    chain: Vec<Vec<u8>>,
}

/// A contract whose chain, dates and EMAID have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedContract {
    pub emaid: Emaid,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The common name of the issuing sub-CA (its full name when it has no CN).
    pub issuer_cn: String,
    /// SHA-256 of the contract certificate's DER, lower-case hex: how support finds it.
    pub fingerprint_sha256: String,
}

impl ContractCertificate {
    /// Reads PEM (one or more `CERTIFICATE` blocks, the contract certificate first, then its
    /// sub-CAs) or DER (one certificate, or several concatenated in the same order).
    pub fn parse(pem_or_der: &[u8]) -> Result<Self, ContractError> {
        let chain = read_certificates(pem_or_der).map_err(|e| match e {
            ReadError::Empty => ContractError::Empty,
            ReadError::TooMany => ContractError::TooManyCertificates,
            ReadError::Unreadable => ContractError::Unreadable,
        })?;
        Ok(Self { chain })
    }

    /// The contract certificate's DER.
    pub fn der(&self) -> &[u8] {
        // `read_certificates` never returns an empty chain.
        self.chain.first().map(Vec::as_slice).unwrap_or_default()
    }

    /// Checks the contract against the MO root (PEM or DER; several roots may be given, as
    /// during a root rollover) at `now`: every signature, the name chaining, that every issuer
    /// is a CA within its path length, every certificate's dates, the algorithms, and the EMAID.
    pub fn verify(&self, root_der_or_pem: &[u8], now: OffsetDateTime) -> Result<VerifiedContract, ContractError> {
        let roots_der = read_certificates(root_der_or_pem).map_err(|_| ContractError::UnreadableRoot)?;
        let roots = roots_der
            .iter()
            .map(|der| parse_der(der))
            .collect::<Option<Vec<_>>>()
            .ok_or(ContractError::UnreadableRoot)?;
        let mut chain =
            self.chain.iter().map(|der| parse_der(der)).collect::<Option<Vec<_>>>().ok_or(ContractError::Unreadable)?;
        // An MO may deliver the chain with its root at the end: that copy adds nothing.
        if chain.len() > 1 && chain.last().is_some_and(|last| roots.iter().any(|r| r.as_raw() == last.as_raw())) {
            chain.pop();
        }
        let leaf = chain.first().ok_or(ContractError::Unreadable)?;

        // ISO 15118-2 §7.9.2: the car signs with the contract key, so it is P-256 as well.
        check_public_key(leaf)?;
        for (depth, pair) in chain.windows(2).enumerate() {
            let (child, issuer) = (&pair[0], &pair[1]);
            if child.issuer().as_raw() != issuer.subject().as_raw() {
                return Err(ContractError::BrokenChain { subject: name_of(child) });
            }
            check_issuer(issuer, depth)?;
            check_signature(child, issuer)?;
        }
        let top = chain.last().unwrap_or(leaf);
        let root = roots
            .iter()
            .find(|root| root.subject().as_raw() == top.issuer().as_raw())
            .ok_or(ContractError::UntrustedRoot)?;
        check_issuer(root, chain.len() - 1)?;
        check_signature(top, root)?;

        for certificate in chain.iter().chain(std::iter::once(root)) {
            check_dates(certificate, now)?;
        }

        let emaid = Emaid::parse(&common_name(leaf.subject()).ok_or(ContractError::NoEmaid)?)?;
        let issuer_cn = common_name(leaf.issuer()).unwrap_or_else(|| leaf.issuer().to_string());
        Ok(VerifiedContract {
            emaid,
            not_before: leaf.validity().not_before.to_datetime(),
            not_after: leaf.validity().not_after.to_datetime(),
            issuer_cn,
            fingerprint_sha256: hex_lower(digest(&SHA256, leaf.as_raw()).as_ref()),
        })
    }
}

enum ReadError {
    Empty,
    TooMany,
    Unreadable,
}

/// Splits PEM or DER input into the DER of each certificate, checking each parses.
fn read_certificates(input: &[u8]) -> Result<Vec<Vec<u8>>, ReadError> {
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty);
    }
    let is_pem = input.windows(11).any(|w| w == b"-----BEGIN ");
    let mut chain = Vec::new();
    if is_pem {
        for block in Pem::iter_from_buffer(input) {
            let block = block.map_err(|_| ReadError::Unreadable)?;
            // Other blocks (a stray key, parameters) are not part of the chain.
            if block.label != "CERTIFICATE" {
                continue;
            }
            if chain.len() == MAX_CERTIFICATES {
                return Err(ReadError::TooMany);
            }
            parse_der(&block.contents).ok_or(ReadError::Unreadable)?;
            chain.push(block.contents);
        }
    } else {
        let mut rest = input;
        while !rest.is_empty() {
            if chain.len() == MAX_CERTIFICATES {
                return Err(ReadError::TooMany);
            }
            let (after, _) = X509Certificate::from_der(rest).map_err(|_| ReadError::Unreadable)?;
            chain.push(rest[..rest.len() - after.len()].to_vec());
            rest = after;
        }
    }
    if chain.is_empty() {
        return Err(ReadError::Unreadable);
    }
    Ok(chain)
}

/// One whole DER certificate, with nothing after it.
fn parse_der(der: &[u8]) -> Option<X509Certificate<'_>> {
    match X509Certificate::from_der(der) {
        Ok(([], certificate)) => Some(certificate),
        _ => None,
    }
}

/// The issuer's key must be P-256, the child's signature ECDSA with SHA-256, and the signature
/// must verify over the child's `tbsCertificate` bytes as they were signed.
fn check_signature(child: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> Result<(), ContractError> {
    let algorithm = &child.signature_algorithm.algorithm;
    if *algorithm != OID_SIG_ECDSA_WITH_SHA256 {
        return Err(ContractError::UnsupportedAlgorithm(describe_oid(&algorithm.to_id_string())));
    }
    // RFC 5280 §4.1.1.2: the signed copy of the algorithm must match the outer one.
    if child.tbs_certificate.signature.algorithm != *algorithm {
        return Err(ContractError::BadSignature { subject: name_of(child) });
    }
    if !unsigned_part_is_canonical(child) {
        return Err(ContractError::BadSignature { subject: name_of(child) });
    }
    let key = check_public_key(issuer)?;
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &key.subject_public_key.data)
        .verify(child.tbs_certificate.as_ref(), &child.signature_value.data)
        .map_err(|_| ContractError::BadSignature { subject: name_of(child) })
}

/// DER of `AlgorithmIdentifier { ecdsa-with-SHA256 }`, parameters absent (RFC 5758 §3.2).
const ECDSA_WITH_SHA256_DER: [u8; 12] = [0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];

/// The signature covers only `tbsCertificate`; the parser is lenient with what follows it, so
/// the rest is checked to be the one DER encoding: the outer SEQUENCE, the algorithm, and the
/// signature as a BIT STRING with no unused bits. Otherwise one signed certificate could be
/// written in several ways, each with its own fingerprint.
fn unsigned_part_is_canonical(certificate: &X509Certificate<'_>) -> bool {
    let raw = certificate.as_raw();
    let tbs = certificate.tbs_certificate.as_ref();
    let signature = &certificate.signature_value.data;
    let header_len = match raw.get(1) {
        Some(&short) if short < 0x80 => 2,
        Some(&long) => 2 + usize::from(long & 0x7F),
        None => return false,
    };
    let Some(rest) = raw.get(header_len..).filter(|_| raw[0] == 0x30) else { return false };
    let Some(tail) = rest.strip_prefix(tbs) else { return false };
    let Some(bits) = tail.strip_prefix(&ECDSA_WITH_SHA256_DER[..]) else { return false };
    // An ECDSA P-256 signature is at most 72 bytes, so its BIT STRING length is one byte.
    let Ok(len) = u8::try_from(signature.len() + 1) else { return false };
    certificate.signature_value.unused_bits == 0
        && len < 0x80
        && bits.len() == signature.len() + 3
        && bits[..3] == [0x03, len, 0x00]
        && bits[3..] == signature[..]
}

/// The certificate's key must be an EC key on P-256.
fn check_public_key<'c>(certificate: &'c X509Certificate<'_>) -> Result<&'c SubjectPublicKeyInfo<'c>, ContractError> {
    let key = certificate.public_key();
    if key.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY {
        return Err(ContractError::UnsupportedAlgorithm(describe_oid(&key.algorithm.algorithm.to_id_string())));
    }
    let curve = key.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
    match curve {
        Some(curve) if curve == OID_EC_P256 => Ok(key),
        Some(curve) => Err(ContractError::UnsupportedAlgorithm(describe_oid(&curve.to_id_string()))),
        None => Err(ContractError::UnsupportedAlgorithm("an elliptic curve without a name".into())),
    }
}

/// An issuer `below` sub-CAs above the contract certificate: a CA if it says so (ISO 15118-2
/// requires basicConstraints on CAs; a certificate without the extension is given the benefit
/// of the doubt, its signature still has to verify), within its pathLenConstraint.
fn check_issuer(issuer: &X509Certificate<'_>, below: usize) -> Result<(), ContractError> {
    let constraints = issuer.basic_constraints().map_err(|_| ContractError::Unreadable)?;
    let Some(constraints) = constraints else { return Ok(()) };
    if !constraints.value.ca {
        return Err(ContractError::NotACertificateAuthority { subject: name_of(issuer) });
    }
    if let Some(limit) = constraints.value.path_len_constraint
        && u32::try_from(below).unwrap_or(u32::MAX) > limit
    {
        return Err(ContractError::PathTooLong { subject: name_of(issuer) });
    }
    Ok(())
}

fn check_dates(certificate: &X509Certificate<'_>, now: OffsetDateTime) -> Result<(), ContractError> {
    let validity = certificate.validity();
    let (from, until) = (validity.not_before.to_datetime(), validity.not_after.to_datetime());
    if now < from {
        return Err(ContractError::NotYetValid { subject: name_of(certificate), from });
    }
    if now > until {
        return Err(ContractError::Expired { subject: name_of(certificate), on: until });
    }
    Ok(())
}

/// How a certificate is named to the driver: its CN, or its whole subject.
fn name_of(certificate: &X509Certificate<'_>) -> String {
    common_name(certificate.subject()).unwrap_or_else(|| certificate.subject().to_string())
}

fn common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name().next().and_then(|cn| cn.as_str().ok()).map(str::to_owned)
}

/// Names the algorithms a driver's MO might plausibly use; others by their OID.
fn describe_oid(oid: &str) -> String {
    match oid {
        "1.2.840.10045.4.3.3" => "ECDSA with SHA-384".into(),
        "1.2.840.10045.4.3.4" => "ECDSA with SHA-512".into(),
        "1.3.132.0.34" => "the P-384 curve".into(),
        "1.3.132.0.35" => "the P-521 curve".into(),
        "1.3.132.0.10" => "the secp256k1 curve".into(),
        "1.3.101.112" => "Ed25519".into(),
        "1.2.840.113549.1.1.1" => "an RSA key".into(),
        "1.2.840.113549.1.1.11" => "RSA with SHA-256".into(),
        other if other.starts_with("1.3.36.3.3.2.8.1.1.") => "a Brainpool curve".into(),
        other => format!("the algorithm {other}"),
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
