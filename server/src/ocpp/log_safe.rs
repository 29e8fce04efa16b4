//! What of OCPP traffic may go into the log. Every log of a frame or a payload goes through
//! here, for two reasons:
//!
//! - Payloads carry secrets: a charger's new `AuthorizationKey` (its HTTP Basic password) sent
//!   with ChangeConfiguration, or a vendor's password-like configuration key. Their values are
//!   replaced by [`REDACTED`] ([`payload`]).
//! - Charger text is untrusted: a raw newline in a logged field starts a line that looks like
//!   the server's own. [`untrusted`] escapes control characters; a redacted payload is logged
//!   as JSON, whose strings are escaped already. (Plain string fields logged with tracing's `?`
//!   are escaped by their `Debug` form; `%` on charger text is what this module replaces.)

use std::fmt;

use serde_json::Value;

/// What a secret value is logged as.
pub const REDACTED: &str = "[redacted]";

/// Field names whose values are secrets wherever they appear in a payload.
const SECRET_WORDS: [&str; 4] = ["password", "secret", "passphrase", "credential"];

/// Whether the configuration key `key` holds a secret: `AuthorizationKey` and any key named like
/// a key, password or secret (vendors' `ApiKey`, `BackendPassword`, ...).
pub fn is_secret_configuration_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    key.ends_with("key") || is_secret_field(&key)
}

fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// A copy of an OCPP payload (or of an operator command, `{action, payload}`) fit for the log:
/// the value of every `{key, value}` entry whose key is a secret (ChangeConfiguration, the
/// configurationKey list of GetConfiguration's answer), and every field named like a password,
/// replaced by [`REDACTED`]. Log it with `%`: its JSON form escapes control characters.
pub fn payload(payload: &Value) -> Value {
    match payload {
        Value::Object(fields) => {
            let secret_entry = fields.get("key").and_then(Value::as_str).is_some_and(is_secret_configuration_key);
            let redacted = fields.iter().map(|(name, value)| {
                let hidden = (secret_entry && name == "value") || (is_secret_field(name) && !value.is_object() && !value.is_array());
                (name.clone(), if hidden { Value::String(REDACTED.to_owned()) } else { self::payload(value) })
            });
            Value::Object(redacted.collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(self::payload).collect()),
        other => other.clone(),
    }
}

/// Text from a charger (an error quoting its frame, its message id) for a log field: control
/// characters are escaped (`\n`, `\u{1b}`), so one event stays one line of the log.
pub fn untrusted<T: fmt::Display>(text: T) -> Untrusted<T> {
    Untrusted(text)
}

/// See [`untrusted`].
pub struct Untrusted<T>(T);

impl<T: fmt::Display> fmt::Display for Untrusted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        struct Escaping<'a, 'b>(&'a mut fmt::Formatter<'b>);
        impl fmt::Write for Escaping<'_, '_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for c in s.chars() {
                    if c.is_control() {
                        write!(self.0, "{}", c.escape_default())?;
                    } else {
                        self.0.write_char(c)?;
                    }
                }
                Ok(())
            }
        }
        write!(Escaping(f), "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn secret_configuration_values_and_password_fields_are_redacted() {
        let change = json!({"action": "ChangeConfiguration", "payload": {"key": "AuthorizationKey", "value": "0123456789abcdef0123"}});
        assert_eq!(payload(&change), json!({"action": "ChangeConfiguration", "payload": {"key": "AuthorizationKey", "value": REDACTED}}));
        let vendor = json!({"key": "BackendPassword", "value": "hunter22"});
        assert_eq!(payload(&vendor)["value"], REDACTED);
        let listed = json!({"configurationKey": [
            {"key": "authorizationkey", "readonly": false, "value": "0123456789abcdef0123"},
            {"key": "MeterValueSampleInterval", "readonly": false, "value": "60"},
        ], "unknownKey": ["ApiKey"]});
        let shown = payload(&listed);
        assert_eq!(shown["configurationKey"][0]["value"], REDACTED);
        assert_eq!(shown["configurationKey"][1]["value"], "60", "ordinary values stay readable");
        assert_eq!(shown["unknownKey"], json!(["ApiKey"]), "key names are no secrets");
        assert_eq!(payload(&json!({"nested": {"password": "x", "user": "u"}})), json!({"nested": {"password": REDACTED, "user": "u"}}));
    }

    #[test]
    fn control_characters_of_untrusted_text_are_escaped() {
        let forged = "CP-1\n2026-01-01T00:00:00Z  INFO operator signed in\u{1b}[2K";
        let shown = untrusted(forged).to_string();
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert_eq!(shown, "CP-1\\n2026-01-01T00:00:00Z  INFO operator signed in\\u{1b}[2K");
        assert_eq!(untrusted("Ünïcode ok").to_string(), "Ünïcode ok");
    }
}
