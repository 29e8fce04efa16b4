//! The e-Mobility Account Identifier (EMAID), the contract ID of ISO 15118-2 Annex H and eMI3 /
//! DIN SPEC 91286: `<country:2 letters><provider:3 alphanumerics><instance:9 alphanumerics>`
//! followed by an optional check character, e.g. `DE-8AA-CA2B3C4D5-L`.
//!
//! The separators are optional and the case is not significant, so [`Emaid::parse`] normalizes
//! to upper case without separators (`DE8AACA2B3C4D5L`). ISO 15118-2 writes the instance as an
//! ID type `C` plus 8 characters, DIN SPEC 91286 as 9 free characters; both are 9 alphanumerics,
//! so both are accepted.
//!
//! The check character follows eMI3 "Check Digit Calculation for Contract-IDs" (2013): every
//! character is a vector over Z/2 × Z/3, each position is weighted by a power of a matrix, and
//! the check character makes the weighted sum vanish. It detects single errors, adjacent and
//! jump transpositions and twin errors.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Characters of the body of an EMAID: country, provider and instance.
const BODY_LEN: usize = 14;

/// The alphabet of the check-digit algorithm, in the order of its value table (0–35).
const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// A normalized EMAID: upper case, no separators, 14 characters or 15 with a check character
/// that has been verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Emaid(String);

/// Why a string is not an EMAID. The message is meant for the driver who typed or registered it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmaidError {
    #[error("No contract ID given.")]
    Empty,
    #[error("\"{0}\" is not a contract ID. It looks like DE-8AA-CA2B3C4D5-L.")]
    Malformed(String),
    #[error("The contract ID has {0} characters; it needs 14, or 15 with its check character.")]
    WrongLength(usize),
    #[error("The contract ID must start with a two-letter country code.")]
    BadCountry,
    #[error("The contract ID's last character should be {expected}, not {found}. Please check it for a typo.")]
    WrongCheckCharacter { expected: char, found: char },
}

impl Emaid {
    /// Parses a contract ID with or without hyphens (or `*`) after country, provider and
    /// instance, in any case. A check character, when present, must be the right one.
    pub fn parse(input: &str) -> Result<Self, EmaidError> {
        let compact = compact(input)?;
        match compact.len() {
            BODY_LEN => Ok(Self(compact)),
            len if len == BODY_LEN + 1 => {
                let (body, given) = compact.split_at(BODY_LEN);
                let expected = check_character_of(body);
                // The string is ASCII alphanumeric (checked by `compact`), so one byte is one char.
                let found = char::from(given.as_bytes()[0]);
                if found == expected {
                    Ok(Self(compact))
                } else {
                    Err(EmaidError::WrongCheckCharacter { expected, found })
                }
            }
            len => Err(EmaidError::WrongLength(len)),
        }
    }

    /// The check character of a contract ID given without it (14 characters, separators and
    /// case as [`Emaid::parse`] accepts them), per eMI3 "Check Digit Calculation for Contract-IDs".
    pub fn check_character(body: &str) -> Result<char, EmaidError> {
        let compact = compact(body)?;
        if compact.len() != BODY_LEN {
            return Err(EmaidError::WrongLength(compact.len()));
        }
        Ok(check_character_of(&compact))
    }

    /// The normalized ID, e.g. `DE8AACA2B3C4D5L` (or `DE8AACA2B3C4D5` when it came without).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ID with its check character, computed if it came without. Two IDs that differ only
    /// in a present or absent check character name the same contract: compare by this.
    pub fn with_check_character(&self) -> Self {
        if self.has_check_character() {
            self.clone()
        } else {
            Self(format!("{}{}", self.0, check_character_of(&self.0)))
        }
    }

    pub fn has_check_character(&self) -> bool {
        self.0.len() > BODY_LEN
    }

    /// The ISO 3166-1 alpha-2 country code, e.g. `DE`.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The mobility operator's provider ID, e.g. `8AA`.
    pub fn provider(&self) -> &str {
        &self.0[2..5]
    }

    /// The contract instance, e.g. `CA2B3C4D5`.
    pub fn instance(&self) -> &str {
        &self.0[5..BODY_LEN]
    }

    /// The form printed on cards and in apps, e.g. `DE-8AA-CA2B3C4D5-L`.
    pub fn hyphenated(&self) -> String {
        let mut out = format!("{}-{}-{}", self.country(), self.provider(), self.instance());
        if let Some(check) = self.0.get(BODY_LEN..).filter(|c| !c.is_empty()) {
            out.push('-');
            out.push_str(check);
        }
        out
    }
}

/// Upper-cases and drops the optional separators, which may only stand after country (2),
/// provider (5) and instance (14 characters). Anything else not alphanumeric is refused.
fn compact(input: &str) -> Result<String, EmaidError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(EmaidError::Empty);
    }
    let malformed = || EmaidError::Malformed(input.chars().take(64).collect());
    let mut out = String::with_capacity(BODY_LEN + 1);
    let mut after_separator = false;
    for c in input.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
            after_separator = false;
        } else if (c == '-' || c == '*') && matches!(out.len(), 2 | 5 | BODY_LEN) && !after_separator {
            after_separator = true;
        } else {
            return Err(malformed());
        }
        if out.len() > BODY_LEN + 1 {
            return Err(EmaidError::WrongLength(input.chars().filter(char::is_ascii_alphanumeric).count()));
        }
    }
    // A separator must stand between two parts: "DE8AACA2B3C4D5-" is refused.
    if after_separator {
        return Err(malformed());
    }
    if !out.bytes().take(2).all(|b| b.is_ascii_alphabetic()) {
        return Err(EmaidError::BadCountry);
    }
    Ok(out)
}

/// The eMI3 check character of a 14-character upper-case alphanumeric body.
///
/// Each character's value `v` (its index in [`ALPHABET`]) is read as `q = (q1, q2)` over Z/2 and
/// `r = (r1, r2)` over Z/3 with `v = 18·q1 + 9·q2 + 3·r1 + r2`. Position `i` (1-based) weighs
/// `q` by `P1^i` (mod 2) and `r` by `P2^i` (mod 3), with `P1 = [[0,1],[1,1]]` and
/// `P2 = [[0,1],[1,2]]`. The check character `c` at position 15 must make
/// `Σ v_i·P^i + c·P^15 = 0`. `P1` has order 3, so `P1^15 = I` and (mod 2) `c_q = Σ q_i·P1^i`;
/// `P2` has order 16, so `P2^-15 = P2` and `c_r = −(Σ r_i·P2^i)·P2` (mod 3).
fn check_character_of(body: &str) -> char {
    const P1: Mat = [[0, 1], [1, 1]];
    const P2: Mat = [[0, 1], [1, 2]];
    let (mut power1, mut power2) = (P1, P2);
    let (mut sum_q, mut sum_r) = ([0u8; 2], [0u8; 2]);
    for byte in body.bytes() {
        // Callers pass validated upper-case alphanumerics; anything else would count as 0.
        let value = ALPHABET.iter().position(|&a| a == byte).unwrap_or(0) as u8;
        let q = [value / 18, (value / 9) % 2];
        let r = [(value / 3) % 3, value % 3];
        sum_q = add(sum_q, times(q, power1, 2), 2);
        sum_r = add(sum_r, times(r, power2, 3), 3);
        power1 = mat_mul(power1, P1, 2);
        power2 = mat_mul(power2, P2, 3);
    }
    let r = times(sum_r, P2, 3).map(|x| (3 - x) % 3);
    let value = 18 * sum_q[0] + 9 * sum_q[1] + 3 * r[0] + r[1];
    char::from(ALPHABET[usize::from(value)])
}

type Mat = [[u8; 2]; 2];

/// Row vector times matrix, modulo `m`.
fn times(v: [u8; 2], p: Mat, m: u8) -> [u8; 2] {
    [(v[0] * p[0][0] + v[1] * p[1][0]) % m, (v[0] * p[0][1] + v[1] * p[1][1]) % m]
}

fn add(a: [u8; 2], b: [u8; 2], m: u8) -> [u8; 2] {
    [(a[0] + b[0]) % m, (a[1] + b[1]) % m]
}

fn mat_mul(a: Mat, b: Mat, m: u8) -> Mat {
    [times(a[0], b, m), times(a[1], b, m)]
}

impl fmt::Display for Emaid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Emaid {
    type Err = EmaidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Emaid {
    type Error = EmaidError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Emaid> for String {
    fn from(id: Emaid) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Body → check character, from the shared eMI3 vectors.
    fn shared_vectors() -> Vec<(String, char)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/emaid-check-digits.tsv");
        let data = std::fs::read_to_string(path).expect("shared/testdata/emaid-check-digits.tsv beside the repo");
        data.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|line| {
                let (body, check) = line.split_once('\t').expect("two columns");
                let check = check.trim().chars().next().expect("a check character");
                (body.trim().to_owned(), check)
            })
            .collect()
    }

    #[test]
    fn check_characters_of_shared_vectors() {
        let vectors = shared_vectors();
        assert!(vectors.len() >= 6, "only {} vectors read", vectors.len());
        for (body, expected) in vectors {
            assert_eq!(Emaid::check_character(&body), Ok(expected), "{body}");
            let full = format!("{body}{expected}");
            assert_eq!(Emaid::parse(&full).map(|e| e.to_string()), Ok(full.clone()));
            assert_eq!(Emaid::parse(&full.to_ascii_lowercase()).map(|e| e.to_string()), Ok(full));
        }
    }

    #[test]
    fn further_published_vectors() {
        // Two more vectors the eMI3 document's implementations share (a body with letters only
        // in the instance, and a transposition of a shared vector giving another character).
        assert_eq!(Emaid::check_character("NN123ABCDEFGHI"), Ok('T'));
        assert_eq!(Emaid::check_character("DE83DUIEN83ZGQ"), Ok('M'));
    }

    #[test]
    fn separators_and_case() {
        let id = Emaid::parse("de-8aa-ca2b3c4d5-l").unwrap();
        assert_eq!(id.as_str(), "DE8AACA2B3C4D5L");
        assert_eq!(id.hyphenated(), "DE-8AA-CA2B3C4D5-L");
        assert_eq!((id.country(), id.provider(), id.instance()), ("DE", "8AA", "CA2B3C4D5"));
        assert_eq!(Emaid::parse("DE*8AA*CA2B3C4D5*L"), Ok(id.clone()));
        assert_eq!(Emaid::parse(" DE8AACA2B3C4D5L "), Ok(id.clone()));
        let without = Emaid::parse("DE-8AA-CA2B3C4D5").unwrap();
        assert!(!without.has_check_character());
        assert_eq!(without.hyphenated(), "DE-8AA-CA2B3C4D5");
        assert_eq!(without.with_check_character(), id);
    }

    #[test]
    fn wrong_check_character_names_the_right_one() {
        assert_eq!(
            Emaid::parse("DE-8AA-CA2B3C4D5-X"),
            Err(EmaidError::WrongCheckCharacter { expected: 'L', found: 'X' })
        );
        // A transposition in the body is caught.
        assert!(matches!(Emaid::parse("DE8AAAC2B3C4D5L"), Err(EmaidError::WrongCheckCharacter { .. })));
    }

    #[test]
    fn refuses_bad_shapes() {
        assert_eq!(Emaid::parse("  "), Err(EmaidError::Empty));
        assert_eq!(Emaid::parse("DE8AA"), Err(EmaidError::WrongLength(5)));
        assert_eq!(Emaid::parse("D18AACA2B3C4D5L"), Err(EmaidError::BadCountry));
        for bad in ["DE-8AA-CA2B3C4D5-", "DE--8AA-CA2B3C4D5", "D-E8AACA2B3C4D5", "DE 8AA CA2B3C4D5", "DE8AACA2B3C4D5LÄ"]
        {
            assert!(Emaid::parse(bad).is_err(), "{bad} accepted");
        }
        assert!(Emaid::parse(&"A".repeat(10_000)).is_err());
        assert_eq!(Emaid::check_character("DE8AACA2B3C4D5L"), Err(EmaidError::WrongLength(15)));
    }

    #[test]
    fn messages_are_for_drivers() {
        let e = Emaid::parse("DE-8AA-CA2B3C4D5-X").unwrap_err().to_string();
        assert!(e.contains("should be L"), "{e}");
        assert!(EmaidError::WrongLength(3).to_string().contains("14"));
    }

    #[test]
    fn serde_round_trip_normalizes() {
        let id: Emaid = serde_json::from_str("\"de-8aa-ca2b3c4d5-l\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"DE8AACA2B3C4D5L\"");
        assert!(serde_json::from_str::<Emaid>("\"DE8AACA2B3C4D5X\"").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_panics(input in any::<String>()) {
            let _ = Emaid::parse(&input);
            let _ = Emaid::check_character(&input);
        }

        #[test]
        fn never_panics_on_near_misses(input in "[A-Za-z0-9*-]{0,20}") {
            let _ = Emaid::parse(&input);
            let _ = Emaid::check_character(&input);
        }

        /// Every computed check character is accepted, and every other one refused.
        #[test]
        fn computed_check_character_round_trips(body in "[A-Z]{2}[A-Z0-9]{12}", other in 0usize..36) {
            let check = Emaid::check_character(&body).unwrap();
            let id = Emaid::parse(&format!("{body}{check}")).unwrap();
            prop_assert_eq!(id.as_str(), format!("{body}{check}"));
            prop_assert_eq!(Emaid::parse(&id.hyphenated()), Ok(id.clone()));
            prop_assert_eq!(Emaid::parse(&body).unwrap().with_check_character(), id);
            let other = char::from(ALPHABET[other]);
            if other != check {
                let refused = Emaid::parse(&format!("{body}{other}"));
                prop_assert!(matches!(refused, Err(EmaidError::WrongCheckCharacter { .. })), "{:?}", refused);
            }
        }
    }
}
