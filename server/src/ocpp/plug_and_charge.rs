//! The Plug & Charge authorization carried in OCPP 1.6 DataTransfer, as the Open Charge
//! Alliance's application note "Using ISO 15118 Plug & Charge with OCPP 1.6" defines it: the
//! OCPP 2.0.1 `Authorize` message, serialized as JSON into DataTransfer's `data` string.

use chargekit_model::ocpp::messages::AuthorizationStatus;
use serde_json::{Value, json};

pub const VENDOR_ID: &str = "org.openchargealliance.iso15118pnc";
pub const AUTHORIZE: &str = "Authorize";

/// The EMAID of an `Authorize` request's data (`{"idToken": {"idToken": "...", "type":
/// "eMAID"}, ...}`), upper case; `None` when the data is not that shape.
pub fn emaid_of_authorize(data: &str) -> Option<String> {
    let request: Value = serde_json::from_str(data).ok()?;
    let token = request.get("idToken")?;
    let kind = token.get("type")?.as_str()?;
    if !kind.eq_ignore_ascii_case("eMAID") {
        return None;
    }
    let emaid = token.get("idToken")?.as_str()?.trim();
    (!emaid.is_empty() && emaid.len() <= 36).then(|| emaid.to_ascii_uppercase())
}

/// The `data` of the answer: an OCPP 2.0.1 `AuthorizeResponse` (`idTokenInfo.status` uses the
/// same names as 1.6 for these statuses).
pub fn authorize_answer(status: AuthorizationStatus) -> String {
    let status = crate::authorization::status_name(status);
    json!({ "idTokenInfo": { "status": status } }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_emaid_of_the_application_note_shape() {
        let data = r#"{"idToken":{"idToken":"de8aac2b3c4d5l","type":"eMAID"},"iso15118CertificateHashData":[]}"#;
        assert_eq!(emaid_of_authorize(data).as_deref(), Some("DE8AAC2B3C4D5L"));
        for not_one in ["", "nope", r#"{"idToken":{"idToken":"X","type":"ISO14443"}}"#, r#"{"idToken":{"type":"eMAID"}}"#, "[1]"] {
            assert_eq!(emaid_of_authorize(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn answers_in_the_2_0_1_shape() {
        let answer: Value = serde_json::from_str(&authorize_answer(AuthorizationStatus::Blocked)).unwrap();
        assert_eq!(answer, json!({"idTokenInfo": {"status": "Blocked"}}));
    }
}
