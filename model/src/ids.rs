//! Identifiers drivers type, scan or tap: the EVSE ID (ISO 15118-2 Annex H / eMI3), and the
//! contract ID, [`Emaid`] (in [`emaid`]).
//!
//! An EVSE ID is `<country:2 letters>*<operator:3 alphanumerics>*E<power outlet id>`, e.g.
//! `DE*ABC*E123456*1`. The `*` separators are optional when typed (`DEABCE123456`), the case is
//! not significant, and QR codes often carry the ID inside a URL. [`EvseId::parse`] accepts all
//! of these and yields the one normalized form the backend stores.

use std::fmt;
use std::str::FromStr;

use percent_encoding::percent_decode_str;
use serde::{Deserialize, Serialize};

pub mod emaid;

pub use emaid::{Emaid, EmaidError};

/// Longest power outlet ID, separators excluded (ISO 15118-2 Annex H allows up to 31 characters).
const MAX_OUTLET_LEN: usize = 31;

/// A normalized EVSE ID: upper case, with `*` separators after country and operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EvseId(String);

/// Why a string is not an EVSE ID. The message is meant for the driver who typed or scanned it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvseIdError {
    #[error("No EVSE ID given.")]
    Empty,
    #[error("\"{0}\" is not an EVSE ID. It looks like DE*ABC*E123456*1.")]
    Malformed(String),
    #[error("This code does not carry an EVSE ID.")]
    NoIdInUrl,
}

impl EvseId {
    /// Parses what a driver typed, a QR code or an NFC tag gave: a raw EVSE ID (with or without
    /// `*`, any case) or an http(s) URL carrying one in its query (`evseid=`, `evse_id=`, `evse=`)
    /// or as its last path segment, percent-encoded or not.
    pub fn parse(input: &str) -> Result<Self, EvseIdError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(EvseIdError::Empty);
        }
        let lower = input.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Self::from_url(input);
        }
        Self::parse_raw(input)
    }

    /// The normalized ID, e.g. `DE*ABC*E123456*1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID without separators, e.g. `DEABCE1234561`. Separators are optional in eMI3, so
    /// two IDs that differ only in them name the same EVSE: compare and look up by this.
    pub fn compact(&self) -> String {
        self.0.replace('*', "")
    }

    /// The operator part, e.g. `DE*ABC`.
    pub fn operator(&self) -> &str {
        &self.0[..6]
    }

    fn from_url(input: &str) -> Result<Self, EvseIdError> {
        let url = url::Url::parse(input).map_err(|_| EvseIdError::NoIdInUrl)?;
        let from_query = url.query_pairs().find_map(|(key, value)| {
            matches!(key.to_ascii_lowercase().as_str(), "evseid" | "evse_id" | "evse")
                .then(|| value.into_owned())
        });
        if let Some(value) = from_query {
            return Self::parse_raw(&value);
        }
        let last_segment = url
            .path_segments()
            .and_then(|mut segments| segments.rfind(|s| !s.is_empty()))
            .ok_or(EvseIdError::NoIdInUrl)?;
        let decoded = percent_decode_str(last_segment)
            .decode_utf8()
            .map_err(|_| EvseIdError::NoIdInUrl)?;
        Self::parse_raw(&decoded).map_err(|_| EvseIdError::NoIdInUrl)
    }

    fn parse_raw(input: &str) -> Result<Self, EvseIdError> {
        let malformed = || EvseIdError::Malformed(input.chars().take(64).collect());
        let upper = input.trim().to_ascii_uppercase();
        if upper.is_empty() {
            return Err(EvseIdError::Empty);
        }
        if !upper.chars().all(|c| c.is_ascii_alphanumeric() || c == '*') {
            return Err(malformed());
        }
        // Country and operator are fixed-width, so the separators after them can be restored.
        let (country, rest) = split_field(&upper, 2).ok_or_else(malformed)?;
        let (operator, outlet) = split_field(rest, 3).ok_or_else(malformed)?;
        let country_ok = country.chars().all(|c| c.is_ascii_alphabetic());
        let outlet_body = outlet.strip_prefix('E').ok_or_else(malformed)?;
        let outlet_chars = outlet_body.chars().filter(|c| *c != '*').count();
        let outlet_ok = outlet_chars > 0
            && outlet_chars <= MAX_OUTLET_LEN
            && !outlet_body.starts_with('*')
            && !outlet_body.ends_with('*')
            && !outlet_body.contains("**");
        if !country_ok || !outlet_ok {
            return Err(malformed());
        }
        Ok(Self(format!("{country}*{operator}*{outlet}")))
    }
}

/// Takes a fixed-width field and the optional `*` after it.
fn split_field(s: &str, width: usize) -> Option<(&str, &str)> {
    let field = s.get(..width)?;
    if field.contains('*') {
        return None;
    }
    let rest = &s[width..];
    Some((field, rest.strip_prefix('*').unwrap_or(rest)))
}

impl fmt::Display for EvseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EvseId {
    type Err = EvseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EvseId {
    type Error = EvseIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EvseId> for String {
    fn from(id: EvseId) -> Self {
        id.0
    }
}

/// The shared EVSE ID vectors, for every test in this crate that feeds EVSE IDs somewhere.
#[cfg(test)]
pub(crate) mod test_vectors {
    /// Each line of `shared/testdata/evse-ids.tsv`: the input as a driver or a QR code gives it,
    /// and the normalized EVSE ID, or `None` where it must be refused (`ERROR`).
    pub(crate) fn evse_id_vectors() -> Vec<(String, Option<String>)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/evse-ids.tsv");
        let data = std::fs::read_to_string(path).expect("shared/testdata/evse-ids.tsv beside the repo");
        data.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|line| {
                let (input, expected) = line.split_once('\t').expect("two columns");
                (input.to_owned(), (expected != "ERROR").then(|| expected.to_owned()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every vector in the shared test data: input → normalized ID or ERROR.
    #[test]
    fn shared_vectors() {
        let vectors = test_vectors::evse_id_vectors();
        for (input, expected) in &vectors {
            let got = EvseId::parse(input);
            match expected {
                None => assert!(got.is_err(), "{input:?} should be refused, got {got:?}"),
                Some(expected) => assert_eq!(got.as_ref().map(EvseId::as_str), Ok(expected.as_str()), "input {input:?}"),
            }
        }
        assert!(vectors.len() >= 8, "only {} vectors read", vectors.len());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = EvseId::parse(&input);
        }

        #[test]
        fn parse_never_panics_on_urls(
            scheme in prop::sample::select(vec!["http://", "https://", "HTTPS://"]),
            rest in "[ -~]{0,80}",
            junk in any::<String>(),
        ) {
            let _ = EvseId::parse(&format!("{scheme}{rest}"));
            let _ = EvseId::parse(&format!("{scheme}x.example/c/{junk}"));
            let _ = EvseId::parse(&format!("{scheme}x.example/?evseid={junk}"));
        }

        /// Whatever parses is normalized: parsing it again gives it back.
        #[test]
        fn normalized_form_is_stable(input in "[A-Za-z]{2}\\*?[A-Za-z0-9]{3}\\*?[Ee][A-Za-z0-9*]{1,33}") {
            if let Ok(id) = EvseId::parse(&input) {
                prop_assert_eq!(EvseId::parse(id.as_str()), Ok(id.clone()));
                prop_assert_eq!(EvseId::parse(&id.compact()).map(|i| i.compact()), Ok(id.compact()));
            }
        }
    }

    #[test]
    fn compact_form_ignores_separators() {
        let full = EvseId::parse("DE*ABC*E123*4").unwrap();
        let typed = EvseId::parse("deabce1234").unwrap();
        assert_ne!(full, typed);
        assert_eq!(full.compact(), typed.compact());
        assert_eq!(full.compact(), "DEABCE1234");
    }

    #[test]
    fn url_variants() {
        let id = |s: &str| EvseId::parse(s).map(|e| e.to_string());
        assert_eq!(id("https://x.example/qr?foo=1&EVSE_ID=deabce1").unwrap(), "DE*ABC*E1");
        assert_eq!(id("http://x.example/c/DE*ABC*E9*2/").unwrap(), "DE*ABC*E9*2");
        assert_eq!(id("https://x.example/"), Err(EvseIdError::NoIdInUrl));
        assert_eq!(id("https://x.example/about"), Err(EvseIdError::NoIdInUrl));
    }

    #[test]
    fn refuses_bad_shapes() {
        for bad in ["D1*ABC*E1", "DE*ABC*E", "DE*ABC*E1*", "DE*AB*E1", "DE*ABC*E1**2", "DE ABC E1", "DE*ABC*E*1"] {
            assert!(EvseId::parse(bad).is_err(), "{bad} accepted");
        }
        let long = format!("DE*ABC*E{}", "1".repeat(32));
        assert!(EvseId::parse(&long).is_err());
    }

    #[test]
    fn serde_round_trip_normalizes() {
        let id: EvseId = serde_json::from_str("\"deabce123456\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"DE*ABC*E123456\"");
        assert!(serde_json::from_str::<EvseId>("\"nope\"").is_err());
    }
}
