//! A Plug & Charge test PKI made on the spot (nothing copied from elsewhere): a mobility
//! operator root, a sub-CA, and a contract certificate whose subject CN is the EMAID, all
//! ECDSA P-256 / SHA-256 as ISO 15118-2 asks.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

pub struct ContractPki {
    /// The contract certificate followed by the sub-CA, PEM, as an MO delivers it.
    pub chain_pem: String,
    pub root_pem: String,
}

/// A valid chain for `emaid`, good from a day ago for a year.
pub fn contract_pki(emaid: &str) -> ContractPki {
    let now = time::OffsetDateTime::now_utc();
    let params = |cn: &str, is_ca: IsCa| {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, cn);
        params.key_usages = if matches!(is_ca, IsCa::Ca(_)) {
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]
        } else {
            vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyAgreement]
        };
        params.is_ca = is_ca;
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(365);
        params
    };
    let key = || KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    let root_params = params("ChargeKit Test MO Root", IsCa::Ca(BasicConstraints::Unconstrained));
    let root_key = key();
    let root = root_params.self_signed(&root_key).expect("root certificate");
    let root_issuer = Issuer::new(root_params, root_key);
    let sub_params = params("ChargeKit Test MO Sub-CA", IsCa::Ca(BasicConstraints::Unconstrained));
    let sub_key = key();
    let sub = sub_params.signed_by(&sub_key, &root_issuer).expect("sub-CA certificate");
    let sub_issuer = Issuer::new(sub_params, sub_key);
    let leaf = params(emaid, IsCa::ExplicitNoCa).signed_by(&key(), &sub_issuer).expect("contract certificate");
    ContractPki { chain_pem: format!("{}{}", leaf.pem(), sub.pem()), root_pem: root.pem() }
}
