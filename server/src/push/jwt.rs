//! The two JSON Web Tokens the push providers take, signed with ring: RS256 for Google's OAuth2
//! service-account grant (FCM), ES256 for APNs' provider tokens.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::Value;

/// The DER inside a PEM block (`-----BEGIN PRIVATE KEY-----` …), as in a service-account file
/// or an APNs `.p8` key.
pub fn pem_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem.lines().map(str::trim).filter(|l| !l.starts_with("-----") && !l.is_empty()).collect();
    if body.is_empty() {
        return Err("no PEM key found".into());
    }
    STANDARD.decode(body).map_err(|e| format!("the PEM key is not base64: {e}"))
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// A key that signs RS256 (RSASSA-PKCS1-v1_5 with SHA-256), from PKCS#8 DER.
pub struct Rs256(RsaKeyPair);

impl Rs256 {
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        RsaKeyPair::from_pkcs8(&pem_der(pem)?).map(Self).map_err(|e| format!("not an RSA PKCS#8 key: {e}"))
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> Result<String, String> {
        let input = signing_input(header, claims);
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut signature).map_err(|_| "RSA signing failed".to_owned())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// A key that signs ES256 (ECDSA P-256 with SHA-256, the signature as r‖s), from PKCS#8 DER.
pub struct Es256(EcdsaKeyPair);

impl Es256 {
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pem_der(pem)?, &SystemRandom::new())
            .map(Self)
            .map_err(|e| format!("not a P-256 PKCS#8 key (an APNs .p8 key): {e}"))
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> Result<String, String> {
        let input = signing_input(header, claims);
        let signature = self.0.sign(&SystemRandom::new(), input.as_bytes()).map_err(|_| "ECDSA signing failed".to_owned())?;
        Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
    }
}
