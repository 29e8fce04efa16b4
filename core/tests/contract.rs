//! Plug & Charge contract certificates against a test PKI made here with rcgen: an MO root, an
//! MO sub-CA and a contract certificate whose CN is an EMAID, as ISO 15118-2 shapes them.
//! Keys are generated on every run; none is stored.

use chargekit_core::contract::{ContractCertificate, ContractError};
use chargekit_model::EmaidError;
use proptest::prelude::*;
use rcgen::{BasicConstraints, Certificate, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use time::{Duration, OffsetDateTime, macros::datetime};

const EMAID: &str = "DE-8AA-CA2B3C4D5-L";
const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);

/// Validity of a certificate around [`NOW`].
#[derive(Clone, Copy)]
struct Validity {
    from: OffsetDateTime,
    until: OffsetDateTime,
}

const CURRENT: Validity = Validity { from: datetime!(2025-01-01 0:00 UTC), until: datetime!(2027-01-01 0:00 UTC) };

fn params(cn: &str, is_ca: IsCa, validity: Validity) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.distinguished_name.push(DnType::OrganizationName, "ChargeKit Test MO");
    params.is_ca = is_ca;
    params.key_usages = if matches!(params.is_ca, IsCa::Ca(_)) {
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]
    } else {
        vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyAgreement]
    };
    params.not_before = validity.from;
    params.not_after = validity.until;
    params
}

fn p256() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key")
}

/// A CA certificate and the issuer that signs with its key.
struct Ca {
    cert: Certificate,
    issuer: Issuer<'static, KeyPair>,
}

fn root(cn: &str, constraint: BasicConstraints, validity: Validity) -> Ca {
    let params = params(cn, IsCa::Ca(constraint), validity);
    let key = p256();
    let cert = params.self_signed(&key).expect("root");
    Ca { cert, issuer: Issuer::new(params, key) }
}

fn sub_ca(cn: &str, is_ca: IsCa, key: KeyPair, validity: Validity, parent: &Ca) -> Ca {
    let params = params(cn, is_ca, validity);
    let cert = params.signed_by(&key, &parent.issuer).expect("sub-CA");
    Ca { cert, issuer: Issuer::new(params, key) }
}

fn contract(cn: &str, validity: Validity, issuer: &Ca) -> Certificate {
    params(cn, IsCa::ExplicitNoCa, validity).signed_by(&p256(), &issuer.issuer).expect("contract")
}

/// The usual PKI: root → sub-CA → contract certificate for [`EMAID`].
struct Pki {
    root: Ca,
    sub: Ca,
    leaf: Certificate,
}

fn pki() -> Pki {
    pki_with(EMAID, CURRENT)
}

fn pki_with(leaf_cn: &str, leaf_validity: Validity) -> Pki {
    let root = root("Test MO Root", BasicConstraints::Unconstrained, CURRENT);
    let sub = sub_ca("Test MO Sub-CA 1", IsCa::Ca(BasicConstraints::Unconstrained), p256(), CURRENT, &root);
    let leaf = contract(leaf_cn, leaf_validity, &sub);
    Pki { root, sub, leaf }
}

impl Pki {
    /// The chain as an MO delivers it: contract certificate first, then the sub-CA.
    fn chain_pem(&self) -> String {
        format!("{}{}", self.leaf.pem(), self.sub.cert.pem())
    }

    fn root_pem(&self) -> String {
        self.root.cert.pem()
    }
}

fn verify(chain: &[u8], root: &[u8]) -> Result<chargekit_core::contract::VerifiedContract, ContractError> {
    ContractCertificate::parse(chain)?.verify(root, NOW)
}

#[test]
fn valid_pem_chain() {
    let pki = pki();
    let verified = verify(pki.chain_pem().as_bytes(), pki.root_pem().as_bytes()).expect("valid chain");
    assert_eq!(verified.emaid.as_str(), "DE8AACA2B3C4D5L");
    assert_eq!(verified.issuer_cn, "Test MO Sub-CA 1");
    assert_eq!((verified.not_before, verified.not_after), (CURRENT.from, CURRENT.until));
    let fingerprint = ring::digest::digest(&ring::digest::SHA256, pki.leaf.der());
    let hex: String = fingerprint.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(verified.fingerprint_sha256, hex);
    assert_eq!(ContractCertificate::parse(pki.chain_pem().as_bytes()).unwrap().der(), pki.leaf.der().as_ref());
}

#[test]
fn der_inputs() {
    let pki = pki();
    let chain_der = [pki.leaf.der().as_ref(), pki.sub.cert.der().as_ref()].concat();
    let verified = verify(&chain_der, pki.root.cert.der()).expect("DER chain, DER root");
    assert_eq!(verified.emaid.as_str(), "DE8AACA2B3C4D5L");
    // A single DER contract certificate issued by the root directly.
    let direct = contract(EMAID, CURRENT, &pki.root);
    assert_eq!(verify(direct.der(), pki.root_pem().as_bytes()).unwrap().issuer_cn, "Test MO Root");
}

#[test]
fn pem_with_crlf_and_the_root_included() {
    let pki = pki();
    let delivered = format!("{}{}", pki.chain_pem(), pki.root_pem()).replace('\n', "\r\n");
    assert!(verify(delivered.as_bytes(), pki.root_pem().as_bytes()).is_ok());
}

#[test]
fn two_sub_cas() {
    // The path lengths ISO 15118-2 gives an MO root and its two sub-CAs.
    let root = root("Test MO Root", BasicConstraints::Constrained(2), CURRENT);
    let sub1 = sub_ca("Sub-CA 1", IsCa::Ca(BasicConstraints::Constrained(1)), p256(), CURRENT, &root);
    let sub2 = sub_ca("Sub-CA 2", IsCa::Ca(BasicConstraints::Constrained(0)), p256(), CURRENT, &sub1);
    let leaf = contract(EMAID, CURRENT, &sub2);
    let chain = format!("{}{}{}", leaf.pem(), sub2.cert.pem(), sub1.cert.pem());
    assert!(verify(chain.as_bytes(), root.cert.pem().as_bytes()).is_ok());
    // Sub-CA 1 may have no CA below it, yet issued Sub-CA 2.
    let too_deep = sub_ca("Sub-CA 1", IsCa::Ca(BasicConstraints::Constrained(0)), p256(), CURRENT, &root);
    let sub2 = sub_ca("Sub-CA 2", IsCa::Ca(BasicConstraints::Unconstrained), p256(), CURRENT, &too_deep);
    let leaf = contract(EMAID, CURRENT, &sub2);
    let chain = format!("{}{}{}", leaf.pem(), sub2.cert.pem(), too_deep.cert.pem());
    assert!(matches!(
        verify(chain.as_bytes(), root.cert.pem().as_bytes()),
        Err(ContractError::PathTooLong { subject }) if subject == "Sub-CA 1"
    ));
}

#[test]
fn wrong_root() {
    let pki = pki();
    let other = root("Another MO Root", BasicConstraints::Unconstrained, CURRENT);
    assert_eq!(verify(pki.chain_pem().as_bytes(), other.cert.pem().as_bytes()), Err(ContractError::UntrustedRoot));
    // Same name, different key: the name matches, the signature does not.
    let impostor = root("Test MO Root", BasicConstraints::Unconstrained, CURRENT);
    assert!(matches!(
        verify(pki.chain_pem().as_bytes(), impostor.cert.pem().as_bytes()),
        Err(ContractError::BadSignature { subject }) if subject == "Test MO Sub-CA 1"
    ));
    // The chain without its sub-CA cannot reach the root.
    assert_eq!(verify(pki.leaf.pem().as_bytes(), pki.root_pem().as_bytes()), Err(ContractError::UntrustedRoot));
    // Several roots, as during a rollover: the right one is found.
    let roots = format!("{}{}", other.cert.pem(), pki.root_pem());
    assert!(verify(pki.chain_pem().as_bytes(), roots.as_bytes()).is_ok());
}

#[test]
fn expired_contract() {
    let expired = Validity { from: datetime!(2023-01-01 0:00 UTC), until: datetime!(2025-01-01 0:00 UTC) };
    let pki = pki_with(EMAID, expired);
    let result = verify(pki.chain_pem().as_bytes(), pki.root_pem().as_bytes());
    assert_eq!(result, Err(ContractError::Expired { subject: EMAID.into(), on: expired.until }));
    assert!(result.unwrap_err().to_string().contains("expired on 2025-01-01"));
}

#[test]
fn not_yet_valid_contract() {
    let later = Validity { from: NOW + Duration::days(1), until: datetime!(2028-01-01 0:00 UTC) };
    let pki = pki_with(EMAID, later);
    assert_eq!(
        verify(pki.chain_pem().as_bytes(), pki.root_pem().as_bytes()),
        Err(ContractError::NotYetValid { subject: EMAID.into(), from: later.from })
    );
}

#[test]
fn expired_sub_ca() {
    let root = root("Test MO Root", BasicConstraints::Unconstrained, CURRENT);
    let old = Validity { from: datetime!(2020-01-01 0:00 UTC), until: datetime!(2026-01-01 0:00 UTC) };
    let sub = sub_ca("Old Sub-CA", IsCa::Ca(BasicConstraints::Unconstrained), p256(), old, &root);
    let leaf = contract(EMAID, CURRENT, &sub);
    let chain = format!("{}{}", leaf.pem(), sub.cert.pem());
    assert!(matches!(
        verify(chain.as_bytes(), root.cert.pem().as_bytes()),
        Err(ContractError::Expired { subject, .. }) if subject == "Old Sub-CA"
    ));
}

#[test]
fn tampered_certificates() {
    let pki = pki();
    // The last byte is the end of the signature's s value: the DER stays well-formed.
    let mut leaf = pki.leaf.der().to_vec();
    *leaf.last_mut().unwrap() ^= 0x01;
    let chain = [leaf.as_slice(), pki.sub.cert.der()].concat();
    assert!(matches!(verify(&chain, pki.root.cert.der()), Err(ContractError::BadSignature { .. })));
    // One character of the signed CN changed: the EMAID is still valid, the signature is not.
    let der = pki.leaf.der().to_vec();
    let at = der.windows(EMAID.len()).position(|w| w == EMAID.as_bytes()).expect("CN in the DER");
    let mut forged = der.clone();
    forged[at..at + EMAID.len()].copy_from_slice(b"DE-8AA-CA2B3C4D6-?");
    let check = chargekit_model::Emaid::check_character("DE8AACA2B3C4D6").unwrap() as u8;
    *forged.get_mut(at + EMAID.len() - 1).unwrap() = check;
    let chain = [forged.as_slice(), pki.sub.cert.der()].concat();
    assert!(matches!(verify(&chain, pki.root.cert.der()), Err(ContractError::BadSignature { .. })));
}

#[test]
fn cn_with_wrong_check_character() {
    let pki = pki_with("DE-8AA-CA2B3C4D5-X", CURRENT);
    assert_eq!(
        verify(pki.chain_pem().as_bytes(), pki.root_pem().as_bytes()),
        Err(ContractError::InvalidEmaid(EmaidError::WrongCheckCharacter { expected: 'L', found: 'X' }))
    );
}

#[test]
fn cn_without_check_character_is_accepted() {
    // ISO 15118-2 Annex H allows the EMAID with or without its check character.
    let pki = pki_with("DE8AACA2B3C4D5", CURRENT);
    let verified = verify(pki.chain_pem().as_bytes(), pki.root_pem().as_bytes()).unwrap();
    assert_eq!(verified.emaid.as_str(), "DE8AACA2B3C4D5");
    assert_eq!(verified.emaid.with_check_character().as_str(), "DE8AACA2B3C4D5L");
}

#[test]
fn cn_that_is_not_an_emaid() {
    let pki = pki_with("Jane's car", CURRENT);
    let result = verify(pki.chain_pem().as_bytes(), pki.root_pem().as_bytes());
    assert!(matches!(result, Err(ContractError::InvalidEmaid(EmaidError::Malformed(_)))), "{result:?}");
    assert!(result.unwrap_err().to_string().starts_with("The contract certificate's name is not a valid contract ID"));
}

#[test]
fn contract_without_cn() {
    let pki = pki();
    let mut params = CertificateParams::default();
    params.distinguished_name.remove(DnType::CommonName);
    params.distinguished_name.push(DnType::OrganizationName, "No CN");
    params.not_before = CURRENT.from;
    params.not_after = CURRENT.until;
    let leaf = params.signed_by(&p256(), &pki.sub.issuer).unwrap();
    let chain = format!("{}{}", leaf.pem(), pki.sub.cert.pem());
    assert_eq!(verify(chain.as_bytes(), pki.root_pem().as_bytes()), Err(ContractError::NoEmaid));
}

#[test]
fn issuer_that_is_not_a_ca() {
    let pki = pki();
    let not_ca = sub_ca("Not a CA", IsCa::ExplicitNoCa, p256(), CURRENT, &pki.root);
    let leaf = contract(EMAID, CURRENT, &not_ca);
    let chain = format!("{}{}", leaf.pem(), not_ca.cert.pem());
    assert!(matches!(
        verify(chain.as_bytes(), pki.root_pem().as_bytes()),
        Err(ContractError::NotACertificateAuthority { subject }) if subject == "Not a CA"
    ));
}

#[test]
fn chain_out_of_order() {
    let pki = pki();
    let reversed = format!("{}{}", pki.sub.cert.pem(), pki.leaf.pem());
    assert!(matches!(
        verify(reversed.as_bytes(), pki.root_pem().as_bytes()),
        Err(ContractError::BrokenChain { subject }) if subject == "Test MO Sub-CA 1"
    ));
}

#[test]
fn unsupported_algorithms() {
    let pki = pki();
    let p384 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let sub = sub_ca("P-384 Sub-CA", IsCa::Ca(BasicConstraints::Unconstrained), p384, CURRENT, &pki.root);
    let leaf = contract(EMAID, CURRENT, &sub);
    let chain = format!("{}{}", leaf.pem(), sub.cert.pem());
    let result = verify(chain.as_bytes(), pki.root_pem().as_bytes());
    assert_eq!(result, Err(ContractError::UnsupportedAlgorithm("ECDSA with SHA-384".into())));
    assert!(result.unwrap_err().to_string().contains("ECDSA P-256 with SHA-256"));

    let ed25519 = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let leaf = params(EMAID, IsCa::ExplicitNoCa, CURRENT).signed_by(&ed25519, &pki.sub.issuer).unwrap();
    let chain = format!("{}{}", leaf.pem(), pki.sub.cert.pem());
    assert_eq!(
        verify(chain.as_bytes(), pki.root_pem().as_bytes()),
        Err(ContractError::UnsupportedAlgorithm("Ed25519".into()))
    );
}

#[test]
fn garbage_input() {
    let pki = pki();
    let root = pki.root_pem();
    assert_eq!(verify(b"", root.as_bytes()), Err(ContractError::Empty));
    assert_eq!(verify(b" \n", root.as_bytes()), Err(ContractError::Empty));
    assert_eq!(verify(b"hello", root.as_bytes()), Err(ContractError::Unreadable));
    assert_eq!(
        verify(b"-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n", root.as_bytes()),
        Err(ContractError::Unreadable)
    );
    assert_eq!(verify(b"-----BEGIN CERTIFICATE-----\nAAAA\n", root.as_bytes()), Err(ContractError::Unreadable));
    let truncated = &pki.leaf.der()[..pki.leaf.der().len() - 10];
    assert_eq!(verify(truncated, root.as_bytes()), Err(ContractError::Unreadable));
    let key_only = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert_eq!(verify(key_only.as_bytes(), root.as_bytes()), Err(ContractError::Unreadable));
    assert_eq!(verify(pki.chain_pem().as_bytes(), b"nonsense"), Err(ContractError::UnreadableRoot));
    let six = pki.chain_pem().repeat(3);
    assert_eq!(verify(six.as_bytes(), root.as_bytes()), Err(ContractError::TooManyCertificates));
}

/// One PKI for all proptest cases: key generation is the slow part.
fn shared_pki() -> &'static (Vec<u8>, Vec<u8>) {
    static PKI: std::sync::OnceLock<(Vec<u8>, Vec<u8>)> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        let pki = pki();
        ([pki.leaf.der().as_ref(), pki.sub.cert.der().as_ref()].concat(), pki.root.cert.der().to_vec())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let (chain, root) = shared_pki();
        let _ = verify(&bytes, root);
        if let Ok(contract) = ContractCertificate::parse(chain) {
            let _ = contract.verify(&bytes, NOW);
        }
    }

    #[test]
    fn arbitrary_pem_never_panics(body in "[A-Za-z0-9+/=\n -]{0,400}") {
        let (_, root) = shared_pki();
        let pem = format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n");
        prop_assert!(verify(pem.as_bytes(), root).is_err());
    }

    /// Changing any one byte of a valid chain never yields a verified contract.
    #[test]
    fn any_changed_byte_is_refused(at in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let (chain, root) = shared_pki();
        let mut changed = chain.clone();
        let at = at.index(changed.len());
        changed[at] ^= xor;
        prop_assert!(verify(&changed, root).is_err(), "byte {} ^ {:#04x} accepted", at, xor);
    }
}
