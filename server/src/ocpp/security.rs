//! Who may open an OCPP connection (OCPP 1.6 security profiles, from the OCA's "Improved
//! security for OCPP 1.6-J" whitepaper): a configured charger, on the transport its profile
//! names, with its password when the profile asks for one. Everything else gets 401 before any
//! WebSocket exists, with a `{code, message}` body saying which check failed (unknown id, no or
//! wrong password, wrong transport for the profile), so whoever set the charger up can fix it.
//! That tells a stranger which ids exist and on which profile, which is no secret worth keeping:
//! ids are printed on the chargers, and the password is what protects profiles 1 and 2; the
//! body never says anything about the password itself.
//!
//! Passwords (the charger's `AuthorizationKey`) are machine-generated, 16 to 40 characters:
//! enough entropy that a salted HMAC-SHA-256 protects them at rest, without the seconds of CPU
//! a password hash would cost when thousands of chargers reconnect at once after an outage.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::config::SecurityProfile;
use crate::store::Store;

/// How the connection reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Plain,
    Tls,
}

/// Hashes a charger password for storage: `hmac-sha256$<salt hex>$<tag hex>`.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    SystemRandom::new().fill(&mut salt).expect("the system's random source works");
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &salt), password.as_bytes());
    format!("hmac-sha256${}${}", hex::encode(salt), hex::encode(tag.as_ref()))
}

/// Checks a password against its stored hash, in constant time.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("hmac-sha256"), Some(salt), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let (Ok(salt), Ok(tag)) = (hex::decode(salt), hex::decode(tag)) else { return false };
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, &salt), password.as_bytes(), &tag).is_ok()
}

/// Lets the connection through with the charger's profile, or answers 401 (500 if the store
/// fails).
pub async fn admit(store: &Store, charger_id: &str, headers: &HeaderMap, transport: Transport) -> Result<SecurityProfile, Response> {
    let security = store.charger_security(charger_id).await.map_err(|e| crate::error::AppError::internal(e).into_response())?;
    let Some((profile, password_hash)) = security else {
        return Err(refuse(charger_id, format!("unknown charger {charger_id}: add it to the server config")));
    };
    let profile = SecurityProfile::try_from(profile).unwrap_or(SecurityProfile::TlsWithBasicAuth);
    let expected_transport = match profile {
        SecurityProfile::TlsWithBasicAuth => Transport::Tls,
        SecurityProfile::Unsecured | SecurityProfile::BasicAuth => Transport::Plain,
    };
    if transport != expected_transport {
        return Err(refuse(charger_id, wrong_transport(charger_id, profile)));
    }
    if profile == SecurityProfile::Unsecured {
        return Ok(profile);
    }
    let Some((user, password)) = basic_credentials(headers) else {
        let why = format!(
            "charger {charger_id} is on security profile {} and needs its password: connect with HTTP Basic auth, user {charger_id}",
            u8::from(profile)
        );
        return Err(refuse(charger_id, why));
    };
    let matches = password_hash.as_deref().is_some_and(|hash| verify_password(&password, hash));
    if user != charger_id {
        return Err(refuse(charger_id, format!("the HTTP Basic auth user must be the charge point id {charger_id}")));
    }
    if !matches {
        return Err(refuse(charger_id, format!("wrong password for charger {charger_id}")));
    }
    Ok(profile)
}

/// The user and password of an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    // OCPP allows any octets in the AuthorizationKey, but ours are text.
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Says which transport the charger's profile connects over.
fn wrong_transport(charger_id: &str, profile: SecurityProfile) -> String {
    let (needed, scheme) = match profile {
        SecurityProfile::TlsWithBasicAuth => ("TLS", "wss://"),
        SecurityProfile::Unsecured | SecurityProfile::BasicAuth => ("plain WebSocket", "ws://"),
    };
    format!("charger {charger_id} is on security profile {}, which connects over {needed}: use the server's {scheme} URL", u8::from(profile))
}

/// 401 with the reason as a `{code, message}` body; the status and the Basic challenge are what
/// a charger acts on, the sentence is for whoever set it up.
fn refuse(charger_id: &str, why: String) -> Response {
    tracing::warn!(?charger_id, why, "charger connection refused");
    let mut response = crate::error::AppError::unauthorized(why).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"OCPP\", charset=\"UTF-8\""));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves_and_are_salted() {
        let stored = hash_password("0123456789abcdef0123");
        assert!(verify_password("0123456789abcdef0123", &stored));
        assert!(!verify_password("0123456789abcdef0124", &stored));
        assert_ne!(stored, hash_password("0123456789abcdef0123"), "a fresh salt each time");
        for broken in ["", "plain", "hmac-sha256$zz$00", "hmac-sha256$00$00$00", "md5$00$00"] {
            assert!(!verify_password("x", broken), "{broken}");
        }
    }

    #[test]
    fn reads_basic_credentials() {
        let mut headers = HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("CP-1:se:cret");
        headers.insert(header::AUTHORIZATION, format!("Basic {encoded}").parse().unwrap());
        assert_eq!(basic_credentials(&headers), Some(("CP-1".into(), "se:cret".into())));
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(basic_credentials(&headers), None);
        headers.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert_eq!(basic_credentials(&headers), None);
    }
}
