//! Readers for fields that chargers write in more than one way (`"FV": "1.0"` and
//! `"FV": 1.0`). Numbers are taken as the text the charger wrote, through `serde_json`'s raw
//! values: parsing them as `f64` would change their spelling and, for long ones, their value.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

/// A JSON string or number, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Scalar {
    /// The string's content, unescaped.
    Text(String),
    /// The number exactly as written.
    Number(String),
}

/// Reads a string or a number; `null` or an absent field is `None`.
pub(super) fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Scalar>, D::Error> {
    let Some(raw) = Option::<Box<RawValue>>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let text = raw.get().trim();
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str(text).map(|s| Some(Scalar::Text(s))).map_err(D::Error::custom),
        Some(b'-' | b'0'..=b'9') => Ok(Some(Scalar::Number(text.to_owned()))),
        Some(b'n') => Ok(None),
        _ => Err(D::Error::custom(format!("expected text or a number, found {text}"))),
    }
}

/// A text field that some chargers write as a number.
pub(super) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(scalar(deserializer)?.map(|scalar| match scalar {
        Scalar::Text(text) | Scalar::Number(text) => text,
    }))
}
