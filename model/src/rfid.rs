//! RFID charging cards: the card's UID as the OCPP 1.6 `idTag` a charger sends when the card
//! is held to its reader.
//!
//! OCPP 1.6 types the `idTag` as `CiString20Type` and leaves the content to the parties; the
//! convention chargers and backends follow for RFID cards, and the one used here, is the UID
//! as upper-case hexadecimal without separators, bytes in the order the UID is defined and
//! printed (most significant byte first):
//!
//! - ISO/IEC 14443-3 (MIFARE and most charging cards): 4, 7 or 10 bytes → 8, 14 or 20
//!   characters, in the order of the anticollision cascade, which is the order phones report;
//! - ISO/IEC 15693 (vicinity cards): 8 bytes → 16 characters, starting `E0`. Its UID is sent
//!   least significant byte first, and Android's `Tag.getId()` hands it over in that order, so
//!   an 8-byte UID that ends with `E0` (and does not start with it) is reversed. FeliCa IDm,
//!   also 8 bytes, is kept as read.
//!
//! Random UIDs (ISO/IEC 14443-3: 4 bytes starting `08`, as phones emulating a card send) differ
//! at every tap and so cannot identify a driver: they are refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// First byte of every ISO/IEC 15693 UID (ISO/IEC 15693-3 §4.1).
const ISO15693_MSB: u8 = 0xE0;
/// Longest UID: ISO/IEC 14443-3 triple size.
const MAX_UID_BYTES: usize = 10;
/// First byte of a random single-size UID (ISO/IEC 14443-3 §6.5.4).
const RANDOM_UID_MSB: u8 = 0x08;

/// A card UID in OCPP `idTag` form: upper-case hex, no separators, at most 20 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CardUid(String);

/// Why a card number was refused. The message is meant for the driver.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardUidError {
    #[error("No card number given.")]
    Empty,
    #[error("A card number is written with the digits 0–9 and the letters A–F; \"{0}\" is not one of them.")]
    NotHex(char),
    #[error("The card number has an odd number of digits; each byte is two digits.")]
    OddDigits,
    #[error("A card number of {0} bytes is not one a charger can read; it has 4, 7, 8 or 10 bytes.")]
    WrongLength(usize),
    #[error("This card shows a new number at every tap, so a charger cannot recognize it. Please use another card.")]
    RandomUid,
}

impl CardUid {
    /// Normalizes the UID bytes the phone's NFC reader gave.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CardUidError> {
        match bytes.len() {
            0 => return Err(CardUidError::Empty),
            4 | 7 | 8 | 10 => {}
            len => return Err(CardUidError::WrongLength(len)),
        }
        if bytes.len() == 4 && bytes[0] == RANDOM_UID_MSB {
            return Err(CardUidError::RandomUid);
        }
        let read_lsb_first = bytes.len() == 8 && bytes[7] == ISO15693_MSB && bytes[0] != ISO15693_MSB;
        let mut hex = String::with_capacity(bytes.len() * 2);
        let mut push = |b: &u8| hex.push_str(&format!("{b:02X}"));
        if read_lsb_first {
            bytes.iter().rev().for_each(&mut push);
        } else {
            bytes.iter().for_each(&mut push);
        }
        Ok(Self(hex))
    }

    /// Normalizes a UID as a reader app, a card's print or the driver writes it: hex digits in
    /// any case, optionally separated by `:`, `-` or white space (`04:a2:2b:1a`, `04 A2 2B 1A`).
    pub fn parse(input: &str) -> Result<Self, CardUidError> {
        // Only the longest UID's bytes are kept; longer input is counted, not stored.
        let mut bytes = Vec::with_capacity(MAX_UID_BYTES);
        let mut high_nibble = None;
        let mut digits = 0usize;
        for c in input.chars() {
            if c == ':' || c == '-' || c.is_whitespace() {
                continue;
            }
            let nibble = c.to_digit(16).ok_or(CardUidError::NotHex(c))? as u8;
            digits += 1;
            match high_nibble.take() {
                None => high_nibble = Some(nibble),
                Some(high) if bytes.len() < MAX_UID_BYTES => bytes.push(high << 4 | nibble),
                Some(_) => {}
            }
        }
        match digits {
            0 => Err(CardUidError::Empty),
            n if !n.is_multiple_of(2) => Err(CardUidError::OddDigits),
            n if n / 2 > MAX_UID_BYTES => Err(CardUidError::WrongLength(n / 2)),
            _ => Self::from_bytes(&bytes),
        }
    }

    /// The OCPP 1.6 `idTag`, e.g. `04A22B1A5C6E80`.
    pub fn as_id_tag(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CardUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CardUid {
    type Err = CardUidError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CardUid {
    type Error = CardUidError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CardUid> for String {
    fn from(uid: CardUid) -> Self {
        uid.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tag(bytes: &[u8]) -> Result<String, CardUidError> {
        CardUid::from_bytes(bytes).map(String::from)
    }

    #[test]
    fn iso14443_sizes() {
        assert_eq!(tag(&[0x04, 0xA2, 0x2B, 0x1A]).unwrap(), "04A22B1A");
        assert_eq!(tag(&[0x04, 0xA2, 0x2B, 0x1A, 0x5C, 0x6E, 0x80]).unwrap(), "04A22B1A5C6E80");
        assert_eq!(tag(&[0x04, 1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap(), "04010203040506070809");
    }

    #[test]
    fn iso15693_in_printed_order() {
        let printed = [0xE0, 0x04, 0x01, 0x50, 0x12, 0x34, 0x56, 0x78];
        let mut as_android_reads = printed;
        as_android_reads.reverse();
        assert_eq!(tag(&printed).unwrap(), "E004015012345678");
        assert_eq!(tag(&as_android_reads).unwrap(), "E004015012345678");
        // FeliCa's 8-byte IDm is kept as read.
        assert_eq!(tag(&[0x01, 0x2E, 0x4C, 0x11, 0x22, 0x33, 0x44, 0x55]).unwrap(), "012E4C1122334455");
    }

    #[test]
    fn text_forms() {
        for text in ["04:a2:2b:1a:5c:6e:80", "04-A2-2B-1A-5C-6E-80", "04 a2 2b 1a 5c 6e 80", "04A22B1A5C6E80"] {
            assert_eq!(CardUid::parse(text).unwrap().as_id_tag(), "04A22B1A5C6E80", "{text}");
        }
        assert_eq!(CardUid::parse("78:56:34:12:50:01:04:e0").unwrap().as_id_tag(), "E004015012345678");
    }

    #[test]
    fn refusals() {
        assert_eq!(tag(&[]), Err(CardUidError::Empty));
        assert_eq!(tag(&[1, 2, 3]), Err(CardUidError::WrongLength(3)));
        assert_eq!(tag(&[0; 11]), Err(CardUidError::WrongLength(11)));
        assert_eq!(tag(&[0x08, 1, 2, 3]), Err(CardUidError::RandomUid));
        assert_eq!(CardUid::parse(" : - "), Err(CardUidError::Empty));
        assert_eq!(CardUid::parse("04A22B1G"), Err(CardUidError::NotHex('G')));
        assert_eq!(CardUid::parse("04A22B1"), Err(CardUidError::OddDigits));
        assert_eq!(CardUid::parse("0x04A22B1A"), Err(CardUidError::NotHex('x')));
        assert_eq!(CardUid::parse(&"AB".repeat(1000)), Err(CardUidError::WrongLength(1000)));
        assert_eq!(CardUid::parse("04A22B1A\n").unwrap().as_id_tag(), "04A22B1A");
        assert!(CardUidError::WrongLength(3).to_string().contains("4, 7, 8 or 10 bytes"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn text_never_panics_and_is_idempotent(input in any::<String>()) {
            if let Ok(uid) = CardUid::parse(&input) {
                prop_assert!(uid.as_id_tag().len() <= 20);
                prop_assert_eq!(CardUid::parse(uid.as_id_tag()), Ok(uid.clone()));
            }
        }

        #[test]
        fn hex_like_text_is_idempotent(input in "[0-9a-fA-F: -]{0,40}") {
            if let Ok(uid) = CardUid::parse(&input) {
                prop_assert!(uid.as_id_tag().len() <= 20);
                prop_assert_eq!(CardUid::parse(uid.as_id_tag()), Ok(uid.clone()));
            }
        }

        #[test]
        fn bytes_never_panic_and_are_idempotent(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            if let Ok(uid) = CardUid::from_bytes(&bytes) {
                let id_tag = uid.as_id_tag();
                prop_assert!(id_tag.len() <= 20 && id_tag.len() == bytes.len() * 2);
                prop_assert!(id_tag.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
                prop_assert_eq!(CardUid::parse(id_tag), Ok(uid.clone()));
            }
        }
    }
}
