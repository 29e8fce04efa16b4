//! NFC Data Exchange Format (NFC Forum NDEF 1.0): the records a charger's NFC tag carries, as
//! the phone hands them over (Android's `NdefMessage.toByteArray()`, the `payload` of each
//! CoreNFC `NFCNDEFPayload`). No I/O: bytes in, records and their URI or text out.
//!
//! Read: short and normal records, the ID field, TNF well-known `U` (URI RTD 1.0, with its
//! prefix table), `T` (Text RTD 1.0, UTF-8 and UTF-16 with a language code) and `Sp` (Smart
//! Poster, whose URI record is used), absolute URIs (TNF 3) and `text/plain` media records.
//! Chunked records are refused: tags written for a charger never need them, and reassembly is
//! a place for bugs on untrusted input. The message must start with MB and end with ME as the
//! standard requires; bytes after the ME record (tag memory padding) are ignored.

use crate::ids::{EvseId, EvseIdError};

/// How deep Smart Posters may nest (one is normal); bounds recursion on hostile tags.
const MAX_NESTING: usize = 2;

// Header flags of a record (NDEF 1.0 §3.2).
const MB: u8 = 0x80;
const ME: u8 = 0x40;
const CF: u8 = 0x20;
const SR: u8 = 0x10;
const IL: u8 = 0x08;

/// URI identifier codes of the URI RTD 1.0 (§3.2.2): the first payload byte abbreviates the
/// URI's start. Codes past the table are reserved.
const URI_PREFIXES: [&str; 36] = [
    "",
    "http://www.",
    "https://www.",
    "http://",
    "https://",
    "tel:",
    "mailto:",
    "ftp://anonymous:anonymous@",
    "ftp://ftp.",
    "ftps://",
    "sftp://",
    "smb://",
    "nfs://",
    "ftp://",
    "dav://",
    "news:",
    "telnet://",
    "imap:",
    "rtsp://",
    "urn:",
    "pop:",
    "sip:",
    "sips:",
    "tftp:",
    "btspp://",
    "btl2cap://",
    "btgoep://",
    "tcpobex://",
    "irdaobex://",
    "file://",
    "urn:epc:id:",
    "urn:epc:tag:",
    "urn:epc:pat:",
    "urn:epc:raw:",
    "urn:epc:",
    "urn:nfc:",
];

/// Why a tag's data gave no charger. Messages are meant for the driver holding the phone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NdefError {
    #[error("The NFC tag is empty.")]
    Empty,
    #[error("The NFC tag's data is cut short. Hold the phone still on the tag and try again.")]
    Truncated,
    #[error("The NFC tag uses chunked records, which this app does not read.")]
    Chunked,
    /// The bytes break the NDEF format; the detail is for logs and support.
    #[error("The NFC tag's data could not be read ({0}).")]
    Malformed(&'static str),
    #[error("This NFC tag does not carry a charger ID.")]
    NoEvseId,
    /// A URI or text was found, but it is not an EVSE ID.
    #[error(transparent)]
    InvalidEvseId(#[from] EvseIdError),
}

/// Type Name Format (NDEF 1.0 §3.2.6): how to read a record's type field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tnf {
    Empty,
    /// NFC Forum well-known type (`U`, `T`, `Sp`, …).
    WellKnown,
    /// A MIME media type, e.g. `text/plain`.
    Media,
    /// The type field is itself an absolute URI; the payload is unused.
    AbsoluteUri,
    /// NFC Forum external type (`domain:type`).
    External,
    Unknown,
}

impl Tnf {
    /// Reads the 3-bit TNF. `0x06` (unchanged) only occurs in chunks; `0x07` is reserved.
    pub fn from_bits(tnf: u8) -> Result<Self, NdefError> {
        match tnf {
            0x00 => Ok(Self::Empty),
            0x01 => Ok(Self::WellKnown),
            0x02 => Ok(Self::Media),
            0x03 => Ok(Self::AbsoluteUri),
            0x04 => Ok(Self::External),
            0x05 => Ok(Self::Unknown),
            0x06 => Err(NdefError::Chunked),
            _ => Err(NdefError::Malformed("reserved record type format")),
        }
    }
}

/// One record, borrowing from the message bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NdefRecord<'a> {
    pub tnf: Tnf,
    pub record_type: &'a [u8],
    pub id: &'a [u8],
    pub payload: &'a [u8],
}

/// What a record says, when it is something a charger tag would carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NdefContent {
    Uri(String),
    Text {
        language: String,
        text: String,
    },
    /// Any other record (a MIME type, an external type, an empty record…).
    Other,
}

/// Parses a whole NDEF message into its records.
pub fn parse_message(bytes: &[u8]) -> Result<Vec<NdefRecord<'_>>, NdefError> {
    if bytes.is_empty() {
        return Err(NdefError::Empty);
    }
    let mut reader = Reader { bytes, at: 0 };
    let mut records = Vec::new();
    loop {
        let (record, flags) = read_record(&mut reader)?;
        let first = records.is_empty();
        if first != (flags & MB != 0) {
            return Err(NdefError::Malformed(if first {
                "no message begin flag"
            } else {
                "message begin flag inside"
            }));
        }
        records.push(record);
        if flags & ME != 0 {
            return Ok(records);
        }
        if reader.at == bytes.len() {
            return Err(NdefError::Truncated);
        }
    }
}

fn read_record<'a>(reader: &mut Reader<'a>) -> Result<(NdefRecord<'a>, u8), NdefError> {
    let header = reader.byte()?;
    if header & CF != 0 {
        return Err(NdefError::Chunked);
    }
    let tnf = Tnf::from_bits(header & 0x07)?;
    let type_len = usize::from(reader.byte()?);
    let payload_len = if header & SR != 0 {
        usize::from(reader.byte()?)
    } else {
        let b = reader.take(4)?;
        // A 32-bit length always fits a usize on the phones and servers we build for; a length
        // larger than the bytes at hand fails in `take` below, before anything is allocated.
        usize::try_from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])).map_err(|_| NdefError::Truncated)?
    };
    let id_len = if header & IL != 0 { usize::from(reader.byte()?) } else { 0 };
    let record_type = reader.take(type_len)?;
    let id = reader.take(id_len)?;
    let payload = reader.take(payload_len)?;
    Ok((NdefRecord { tnf, record_type, id, payload }, header))
}

/// A cursor over the message; every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Result<&'a [u8], NdefError> {
        let end = self.at.checked_add(len).ok_or(NdefError::Truncated)?;
        let slice = self.bytes.get(self.at..end).ok_or(NdefError::Truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, NdefError> {
        Ok(self.take(1)?[0])
    }
}

impl<'a> NdefRecord<'a> {
    /// A record from the parts a platform hands over (Android's `NdefRecord.getTnf()`,
    /// `getType()`, `getPayload()`; CoreNFC's `typeNameFormat`, `type`, `payload`).
    pub fn from_parts(tnf: u8, record_type: &'a [u8], payload: &'a [u8]) -> Result<Self, NdefError> {
        Ok(Self { tnf: Tnf::from_bits(tnf)?, record_type, id: &[], payload })
    }

    /// The URI or text this record carries.
    pub fn content(&self) -> Result<NdefContent, NdefError> {
        self.content_at(0)
    }

    fn content_at(&self, depth: usize) -> Result<NdefContent, NdefError> {
        match (self.tnf, self.record_type) {
            (Tnf::WellKnown, b"U") => decode_uri(self.payload).map(NdefContent::Uri),
            (Tnf::WellKnown, b"T") => decode_text(self.payload),
            (Tnf::WellKnown, b"Sp") => smart_poster_uri(self.payload, depth),
            (Tnf::AbsoluteUri, uri) => utf8(uri).map(NdefContent::Uri),
            (Tnf::Media, media_type) if is_text_plain(media_type) => {
                Ok(NdefContent::Text { language: String::new(), text: utf8(self.payload)? })
            }
            _ => Ok(NdefContent::Other),
        }
    }
}

/// URI RTD 1.0: identifier code, then the rest of the URI in UTF-8.
fn decode_uri(payload: &[u8]) -> Result<String, NdefError> {
    let (&code, rest) = payload.split_first().ok_or(NdefError::Malformed("empty URI record"))?;
    let prefix = URI_PREFIXES.get(usize::from(code)).ok_or(NdefError::Malformed("reserved URI prefix code"))?;
    Ok(format!("{prefix}{}", utf8(rest)?))
}

/// Text RTD 1.0: a status byte (bit 7: UTF-16, bits 5–0: length of the IANA language code),
/// the language code, then the text.
fn decode_text(payload: &[u8]) -> Result<NdefContent, NdefError> {
    let (&status, rest) = payload.split_first().ok_or(NdefError::Malformed("empty text record"))?;
    let language_len = usize::from(status & 0x3F);
    let language = rest.get(..language_len).ok_or(NdefError::Malformed("language code longer than the record"))?;
    let body = &rest[language_len..];
    let text = if status & 0x80 != 0 { utf16(body)? } else { utf8(body)? };
    Ok(NdefContent::Text { language: String::from_utf8_lossy(language).into_owned(), text })
}

/// A Smart Poster's payload is itself an NDEF message; its URI record names the target.
fn smart_poster_uri(payload: &[u8], depth: usize) -> Result<NdefContent, NdefError> {
    if depth >= MAX_NESTING {
        return Err(NdefError::Malformed("smart posters nested too deep"));
    }
    for record in parse_message(payload)? {
        if let NdefContent::Uri(uri) = record.content_at(depth + 1)? {
            return Ok(NdefContent::Uri(uri));
        }
    }
    Err(NdefError::Malformed("smart poster without a URI"))
}

fn is_text_plain(media_type: &[u8]) -> bool {
    // "text/plain" optionally followed by parameters ("; charset=utf-8").
    let essence = media_type.split(|&b| b == b';').next().unwrap_or_default();
    essence.trim_ascii().eq_ignore_ascii_case(b"text/plain")
}

fn utf8(bytes: &[u8]) -> Result<String, NdefError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| NdefError::Malformed("text is not UTF-8"))
}

/// UTF-16 with an optional byte-order mark; big-endian without one (Text RTD 1.0 §3.4).
fn utf16(bytes: &[u8]) -> Result<String, NdefError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(NdefError::Malformed("UTF-16 text of odd length"));
    }
    let (little_endian, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => (false, bytes),
    };
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little_endian { u16::from_le_bytes(pair) } else { u16::from_be_bytes(pair) }
    });
    char::decode_utf16(units).collect::<Result<String, _>>().map_err(|_| NdefError::Malformed("text is not UTF-16"))
}

impl EvseId {
    /// The EVSE ID of the first record of an NDEF message whose URI or text is one (as
    /// [`EvseId::parse`] reads it). When none is, the first reason found is returned.
    pub fn from_ndef(message: &[u8]) -> Result<Self, NdefError> {
        first_evse_id(&parse_message(message)?)
    }

    /// The EVSE ID of the first of a tag's records, as a platform parsed them (CoreNFC hands
    /// over records, not the message: `(tnf, type, payload)` each), that carries one; when none
    /// does, the first reason found; with no record at all, what an empty tag gives.
    pub fn from_ndef_records<'a>(records: impl IntoIterator<Item = (u8, &'a [u8], &'a [u8])>) -> Result<Self, NdefError> {
        let mut first_error = None;
        for (tnf, record_type, payload) in records {
            match Self::from_ndef_record(tnf, record_type, payload) {
                Ok(id) => return Ok(id),
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Self::from_ndef(&[]),
        }
    }

    /// The EVSE ID a single record carries, from the parts a platform hands over.
    pub fn from_ndef_record(tnf: u8, record_type: &[u8], payload: &[u8]) -> Result<Self, NdefError> {
        first_evse_id(&[NdefRecord::from_parts(tnf, record_type, payload)?])
    }
}

fn first_evse_id(records: &[NdefRecord<'_>]) -> Result<EvseId, NdefError> {
    let mut first_error = None;
    for record in records {
        let candidate = match record.content() {
            Ok(NdefContent::Uri(text) | NdefContent::Text { text, .. }) => {
                EvseId::parse(&text).map_err(NdefError::from)
            }
            Ok(NdefContent::Other) => continue,
            Err(e) => Err(e),
        };
        match candidate {
            Ok(id) => return Ok(id),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(NdefError::NoEvseId))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::test_vectors::evse_id_vectors;
    use proptest::prelude::*;

    /// Encodes one record, short when the payload allows (as Android and CoreNFC write them).
    fn record(flags: u8, tnf: u8, record_type: &[u8], id: &[u8], payload: &[u8]) -> Vec<u8> {
        let short = payload.len() < 256;
        let mut header = flags | tnf;
        if short {
            header |= SR;
        }
        if !id.is_empty() {
            header |= IL;
        }
        let mut out = vec![header, record_type.len() as u8];
        if short {
            out.push(payload.len() as u8);
        } else {
            out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        }
        if !id.is_empty() {
            out.push(id.len() as u8);
        }
        out.extend_from_slice(record_type);
        out.extend_from_slice(id);
        out.extend_from_slice(payload);
        out
    }

    fn only(tnf: u8, record_type: &[u8], payload: &[u8]) -> Vec<u8> {
        record(MB | ME, tnf, record_type, &[], payload)
    }

    fn text_payload(language: &str, text: &str) -> Vec<u8> {
        let mut payload = vec![language.len() as u8];
        payload.extend_from_slice(language.as_bytes());
        payload.extend_from_slice(text.as_bytes());
        payload
    }

    /// A URI record the way writer apps shorten it: the longest matching prefix code.
    fn uri_payload(uri: &str) -> Vec<u8> {
        let (code, prefix) =
            URI_PREFIXES.iter().enumerate().filter(|(_, p)| uri.starts_with(**p)).max_by_key(|(_, p)| p.len()).unwrap();
        let mut payload = vec![code as u8];
        payload.extend_from_slice(&uri.as_bytes()[prefix.len()..]);
        payload
    }

    fn evse(bytes: &[u8]) -> Result<String, NdefError> {
        EvseId::from_ndef(bytes).map(|id| id.to_string())
    }

    /// Every shared EVSE ID vector, written to a tag as a URI record and as a text record.
    #[test]
    fn shared_vectors_as_uri_and_text_records() {
        let vectors = evse_id_vectors();
        for (input, expected) in &vectors {
            let as_uri = only(0x01, b"U", &uri_payload(input));
            let as_text = only(0x01, b"T", &text_payload("en", input));
            for (kind, message) in [("URI", as_uri), ("text", as_text)] {
                let got = evse(&message);
                match expected {
                    Some(expected) => assert_eq!(got.as_ref(), Ok(expected), "{kind} record of {input:?}"),
                    None => assert!(got.is_err(), "{kind} record of {input:?} gave {got:?}"),
                }
            }
        }
        assert!(vectors.len() >= 8);
    }

    /// CoreNFC hands over parsed records: the first carrying an EVSE ID wins, a bad one before
    /// it is skipped, and with none the first reason is given (what Swift looped over by hand).
    #[test]
    fn records_as_a_platform_parsed_them() {
        let smart_poster = (0x01, b"Sp".as_slice(), b"".as_slice());
        let bad_text = text_payload("en", "not an id");
        let good_uri = uri_payload("https://charge.example.com/DE*ABC*E1");
        let records = [smart_poster, (0x01, b"T".as_slice(), bad_text.as_slice()), (0x01, b"U".as_slice(), good_uri.as_slice())];
        assert_eq!(EvseId::from_ndef_records(records).unwrap().to_string(), "DE*ABC*E1");
        let only_bad = [(0x01, b"T".as_slice(), bad_text.as_slice())];
        assert_eq!(EvseId::from_ndef_records(only_bad), EvseId::from_ndef_record(0x01, b"T", &bad_text));
        assert_eq!(EvseId::from_ndef_records([]), EvseId::from_ndef(&[]));
    }

    #[test]
    fn uri_prefix_is_expanded() {
        let message = only(0x01, b"U", b"\x04charge.example.com/start?evseid=DE*ABC*E1");
        assert_eq!(evse(&message).unwrap(), "DE*ABC*E1");
        let records = parse_message(&message).unwrap();
        assert_eq!(
            records[0].content().unwrap(),
            NdefContent::Uri("https://charge.example.com/start?evseid=DE*ABC*E1".into())
        );
        assert_eq!(evse(&only(0x01, b"U", b"\x02x.example/c/deabce7")).unwrap(), "DE*ABC*E7");
        assert!(matches!(evse(&only(0x01, b"U", b"\x24DEABCE1")), Err(NdefError::Malformed(_))));
    }

    #[test]
    fn text_utf16_with_and_without_bom() {
        let utf16 = |little: bool, bom: bool| {
            let mut payload = vec![0x80 | 2];
            payload.extend_from_slice(b"de");
            if bom {
                payload.extend_from_slice(if little { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
            }
            for unit in "DE*ABC*E42".encode_utf16() {
                payload.extend_from_slice(&if little { unit.to_le_bytes() } else { unit.to_be_bytes() });
            }
            only(0x01, b"T", &payload)
        };
        for (little, bom) in [(false, false), (false, true), (true, true)] {
            assert_eq!(evse(&utf16(little, bom)).unwrap(), "DE*ABC*E42", "little {little} bom {bom}");
        }
        let message = utf16(false, false);
        let records = parse_message(&message).unwrap();
        assert!(matches!(&records[0].content().unwrap(), NdefContent::Text { language, .. } if language == "de"));
        let mut odd = utf16(false, false);
        odd.push(0);
        odd[2] += 1;
        assert!(matches!(evse(&odd), Err(NdefError::Malformed(_))));
    }

    #[test]
    fn long_records_and_ids() {
        // A normal (4-byte length) record with an ID field, after a record without an EVSE ID.
        let long_text = format!("{}DE*ABC*E1", " ".repeat(300));
        let long = record(ME, 0x01, b"T", b"rec-2", &text_payload("en", &long_text));
        assert_eq!(long[0] & SR, 0, "a normal record, not a short one");
        let mut message = record(MB, 0x02, b"application/vnd.example", b"id", b"{}");
        message.extend(long);
        let records = parse_message(&message).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].id, b"id");
        assert_eq!(records[1].id, b"rec-2");
        assert_eq!(evse(&message).unwrap(), "DE*ABC*E1");
    }

    #[test]
    fn first_record_with_an_evse_id_wins() {
        let mut message = record(MB, 0x01, b"T", &[], &text_payload("en", "Welcome!"));
        message.extend(record(0, 0x01, b"U", &[], &uri_payload("https://x.example/?evse=DE*AAA*E1")));
        message.extend(record(ME, 0x01, b"U", &[], &uri_payload("https://x.example/?evse=DE*BBB*E2")));
        assert_eq!(evse(&message).unwrap(), "DE*AAA*E1");
        // With no EVSE ID anywhere, the first reason is given.
        let greeting = only(0x01, b"T", &text_payload("en", "Welcome!"));
        assert!(matches!(evse(&greeting), Err(NdefError::InvalidEvseId(EvseIdError::Malformed(_)))));
        assert_eq!(evse(&only(0x02, b"image/png", b"\x89PNG")), Err(NdefError::NoEvseId));
        assert_eq!(evse(&[0xD0, 0, 0]), Err(NdefError::NoEvseId), "Android's empty record");
    }

    #[test]
    fn absolute_uri_smart_poster_and_text_plain() {
        assert_eq!(evse(&only(0x03, b"https://x.example/evse/DE*ABC*E5", b"")).unwrap(), "DE*ABC*E5");
        let mut inner = record(MB, 0x01, b"T", &[], &text_payload("en", "Charger 5"));
        inner.extend(record(ME, 0x01, b"U", &[], &uri_payload("https://x.example/?evseid=DEABCE5")));
        assert_eq!(evse(&only(0x01, b"Sp", &inner)).unwrap(), "DE*ABC*E5");
        assert_eq!(evse(&only(0x02, b"text/plain; charset=utf-8", b"DE*ABC*E6")).unwrap(), "DE*ABC*E6");
        // Smart posters nested without end are refused, not recursed into.
        let mut nested = only(0x01, b"U", &uri_payload("https://x.example/?evse=DE*ABC*E1"));
        for _ in 0..10 {
            nested = only(0x01, b"Sp", &nested);
        }
        assert!(matches!(evse(&nested), Err(NdefError::Malformed(_))));
    }

    #[test]
    fn single_record_parts() {
        let payload = uri_payload("https://x.example/start?evseid=DE*ABC*E123456*1");
        assert_eq!(EvseId::from_ndef_record(0x01, b"U", &payload).unwrap().as_str(), "DE*ABC*E123456*1");
        assert_eq!(EvseId::from_ndef_record(0x01, b"T", &text_payload("en", "deabce9")).unwrap().as_str(), "DE*ABC*E9");
        assert_eq!(EvseId::from_ndef_record(0x06, b"", b""), Err(NdefError::Chunked));
        assert!(EvseId::from_ndef_record(0x09, b"U", &payload).is_err());
    }

    #[test]
    fn refuses_broken_messages() {
        assert_eq!(evse(&[]), Err(NdefError::Empty));
        let good = only(0x01, b"T", &text_payload("en", "DE*ABC*E1"));
        for cut in 1..good.len() {
            assert_eq!(evse(&good[..cut]), Err(NdefError::Truncated), "cut at {cut}");
        }
        let mut chunked = good.clone();
        chunked[0] |= CF;
        assert_eq!(evse(&chunked), Err(NdefError::Chunked));
        let mut no_begin = good.clone();
        no_begin[0] &= !MB;
        assert!(matches!(evse(&no_begin), Err(NdefError::Malformed(_))));
        let mut no_end = good.clone();
        no_end[0] &= !ME;
        assert_eq!(evse(&no_end), Err(NdefError::Truncated));
        // Padding after the last record, as raw tag memory has, is ignored.
        let mut padded = good.clone();
        padded.extend_from_slice(&[0xFE, 0, 0, 0]);
        assert_eq!(evse(&padded).unwrap(), "DE*ABC*E1");
        // A normal record claiming 4 GiB fails on the length, with nothing allocated.
        assert_eq!(evse(&[0xC1, 1, 0xFF, 0xFF, 0xFF, 0xFF, b'T']), Err(NdefError::Truncated));
        // A language code longer than the record, and bytes that are not UTF-8.
        assert!(matches!(evse(&only(0x01, b"T", &[0x3F, b'e', b'n'])), Err(NdefError::Malformed(_))));
        assert!(matches!(evse(&only(0x01, b"T", &[0x02, b'e', b'n', 0xC3])), Err(NdefError::Malformed(_))));
    }

    #[test]
    fn messages_are_for_drivers() {
        assert_eq!(NdefError::NoEvseId.to_string(), "This NFC tag does not carry a charger ID.");
        let from_evse = NdefError::from(EvseIdError::NoIdInUrl).to_string();
        assert_eq!(from_evse, EvseIdError::NoIdInUrl.to_string());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = EvseId::from_ndef(&bytes);
            if let Ok(records) = parse_message(&bytes) {
                for record in records {
                    let _ = record.content();
                }
            }
        }

        /// Starting with a plausible header reaches the record decoders far more often.
        #[test]
        fn never_panics_past_the_header(
            header in prop::sample::select(vec![0xD1u8, 0xD9, 0x91, 0xC1, 0xD3, 0xD2, 0xF1]),
            record_type in prop::sample::select(vec![&b"U"[..], b"T", b"Sp", b"text/plain", b""]),
            tail in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut bytes = vec![header, record_type.len() as u8];
            bytes.extend_from_slice(&tail);
            let _ = EvseId::from_ndef(&bytes);
            let _ = EvseId::from_ndef_record(header & 0x07, record_type, &tail);
        }

        /// Any text written to a tag comes back as written.
        #[test]
        fn text_records_round_trip(language in "[a-z]{2}(-[A-Z]{2})?", text in any::<String>()) {
            let message = only(0x01, b"T", &text_payload(&language, &text));
            let records = parse_message(&message).unwrap();
            prop_assert_eq!(records[0].content().unwrap(), NdefContent::Text { language, text });
        }
    }
}
