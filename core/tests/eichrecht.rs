//! Eichrecht against real chargers' signed meter data: the test corpus of S.A.F.E. e.V.'s
//! reference verifier (Transparenzsoftware) in `shared/testdata/ocmf-transparenz`, whose
//! README lists the known results; and against records the simulator signs.

use std::collections::{BTreeMap, BTreeSet};

use chargekit_core::eichrecht::{
    MeterDataCheck, MeterPublicKey, PairingError, TransactionVerification, check_pairing, check_signed_data,
    decode_signed_data, verify_envelope, verify_transaction,
};
use chargekit_core::ffi::eichrecht::{MeterDataVerification, verify_signed_meter_data};
use chargekit_model::ocmf::{OcmfEnvelope, OcmfRecord, Pagination, TransactionEvent};
use chargekit_sim::signing::{MeterKey, MeterReading, MeterSigner};
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::datetime;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/ocmf-transparenz");

/// One `<value>` of a corpus file.
#[derive(Debug, Clone)]
struct Value {
    /// `<signedData>` or `<encodedData>`, unescaped and trimmed; empty if absent.
    signed_data: String,
    /// `<publicKey>`, unescaped and trimmed; empty if absent.
    public_key: String,
}

/// The `(attributes, content)` of every `<tag …>…</tag>` in `xml`. Enough XML for these
/// files: no nesting of the same tag, no CDATA.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        // `<value` must not match `<values`.
        if !after.starts_with(|c: char| c == '>' || c.is_whitespace()) {
            rest = after;
            continue;
        }
        let head_end = after.find('>').expect("tag closes");
        let body = &after[head_end + 1..];
        let end = body.find(&close).expect("element closes");
        found.push((&after[..head_end], &body[..end]));
        rest = &body[end + close.len()..];
    }
    found
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

fn values(xml: &str) -> Vec<Value> {
    elements(xml, "value")
        .into_iter()
        .map(|(_, body)| {
            let first = |tags: &[&str]| {
                tags.iter().find_map(|tag| elements(body, tag).first().map(|(_, c)| unescape(c).trim().to_owned()))
            };
            Value {
                signed_data: first(&["signedData", "encodedData"]).unwrap_or_default(),
                public_key: first(&["publicKey"]).unwrap_or_default(),
            }
        })
        .collect()
}

/// Every corpus file and its values, by file name.
fn corpus() -> BTreeMap<String, Vec<Value>> {
    let entries = std::fs::read_dir(CORPUS).unwrap_or_else(|e| panic!("the OCMF corpus should be at {CORPUS}: {e}"));
    entries
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| path.extension().is_some_and(|e| e == "xml"))
        .map(|path| {
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            // One file declares ISO-8859-1 but holds ASCII; one starts with a UTF-8 BOM.
            let xml = String::from_utf8_lossy(&std::fs::read(&path).expect("readable file")).into_owned();
            (name, values(&xml))
        })
        .collect()
}

fn file(name: &str) -> Vec<Value> {
    corpus().remove(name).unwrap_or_else(|| panic!("{name} is in the corpus"))
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    verified: usize,
    invalid: usize,
    unsupported: usize,
    not_ocmf: usize,
    bad_key: usize,
}

const fn counts(verified: usize, invalid: usize, unsupported: usize, not_ocmf: usize, bad_key: usize) -> Counts {
    Counts { verified, invalid, unsupported, not_ocmf, bad_key }
}

/// What ChargeKit says of each file: verified / invalid / unsupported / not OCMF / no key.
/// Where the README states a result, this agrees with it; the rest was cross-checked with an
/// independent OpenSSL verification of the same records.
const EXPECTED: &[(&str, Counts)] = &[
    // BAUER meter, P-256: both verify (as a transaction they fail: the meter reported an error).
    ("20211007-device-with-evt-ocmf-sss-ses.xml", counts(2, 0, 0, 0, 0)),
    // Templates with no data.
    ("OCMF-receipt-template.xml", counts(0, 0, 0, 1, 0)),
    ("OCMF-receipt-template_with_publickey.xml", counts(0, 0, 0, 1, 0)),
    // Isabellenhütte, bare key and r‖s signature; this one's payload was reformatted with line
    // breaks and tabs, which the signature does not cover.
    ("OCMF-receipt-with_import_and_export.xml", counts(0, 1, 0, 0, 0)),
    ("OCMF-receipt-with_publickey_and_data.xml", counts(1, 0, 0, 0, 0)),
    ("OCMF_Test_Data_00.xml", counts(0, 0, 2, 0, 0)),
    ("Ocmf_Example_OBIS_98.8.0_2.8.0.xml", counts(0, 0, 1, 0, 0)),
    ("VW_OCMF_load.xml", counts(1, 0, 0, 0, 0)),
    ("brainpoolP256r1.xml", counts(0, 0, 2, 0, 0)),
    ("chargepoint_3.xml", counts(1, 0, 0, 0, 0)),
    // README: all 100 values verify.
    ("keba_test.xml", counts(100, 0, 0, 0, 0)),
    ("keba_test_txn.xml", counts(100, 0, 0, 0, 0)),
    ("measurements.xml", counts(21, 0, 0, 0, 0)),
    // P-384 with SHA-256, as OCMF's `ECDSA-secp384r1-SHA256` says.
    ("nistP384_0Wh.xml", counts(2, 0, 0, 0, 0)),
    ("ocmf_sec.xml", counts(0, 0, 2, 0, 0)),
    ("ocmf_tariff_1.xml", counts(1, 0, 0, 0, 0)),
    // README: does not verify. A secp256k1 record, then one claiming secp256k1 under a P-256 key.
    ("second_key_fail_ocmf.xml", counts(0, 1, 1, 0, 0)),
    // No public key in the file.
    ("signature_16955306_ALL.xml", counts(0, 0, 0, 0, 2)),
    ("test_ocmf_ebee_01.xml", counts(2, 0, 0, 0, 0)),
    // The begin's value was changed after signing.
    ("test_ocmf_ebee_02.xml", counts(1, 1, 0, 0, 0)),
    // README: verifies; and its _fail twin (a changed date) does not.
    ("test_ocmf_keba_kcp30.xml", counts(1, 0, 0, 0, 0)),
    ("test_ocmf_keba_kcp30_fail.xml", counts(0, 1, 0, 0, 0)),
    // ASN.1-encoded data under an RSA key, not OCMF text.
    ("test_ocmf_rsa_01.xml", counts(0, 0, 0, 1, 0)),
    // README: both verify and form one transaction; secp192k1, which ring does not have.
    ("test_ocmf_transaction_two_values.xml", counts(0, 0, 2, 0, 0)),
    // EDL meter values in XML, not OCMF.
    ("wirelane.xml", counts(0, 0, 0, 2, 0)),
];

fn check(value: &Value) -> MeterDataCheck {
    check_signed_data(&value.signed_data, &value.public_key)
}

fn tally(checks: &[MeterDataCheck]) -> Counts {
    let mut counts = Counts::default();
    for check in checks {
        match check {
            MeterDataCheck::Verified(_) => counts.verified += 1,
            MeterDataCheck::Invalid { .. } => counts.invalid += 1,
            MeterDataCheck::Unsupported { .. } => counts.unsupported += 1,
            MeterDataCheck::NotOcmf { .. } => counts.not_ocmf += 1,
            MeterDataCheck::BadKey { .. } => counts.bad_key += 1,
        }
    }
    counts
}

#[test]
fn every_corpus_file_gives_the_known_results() {
    let corpus = corpus();
    let files: BTreeSet<&str> = corpus.keys().map(String::as_str).collect();
    let expected_files: BTreeSet<&str> = EXPECTED.iter().map(|(name, _)| *name).collect();
    assert_eq!(files, expected_files, "a corpus file was added or removed: give it its expected results");

    let mut total = Counts::default();
    let mut wrong = Vec::new();
    println!("{:<45} {:>8} {:>7} {:>11} {:>8} {:>6}", "file", "verified", "invalid", "unsupported", "not OCMF", "no key");
    for (name, expected) in EXPECTED {
        let checks: Vec<MeterDataCheck> = corpus[*name].iter().map(check).collect();
        let got = tally(&checks);
        println!("{name:<45} {:>8} {:>7} {:>11} {:>8} {:>6}", got.verified, got.invalid, got.unsupported, got.not_ocmf, got.bad_key);
        if got != *expected {
            wrong.push(format!("{name}: expected {expected:?}, got {got:?}: {checks:#?}"));
        }
        total.verified += got.verified;
        total.invalid += got.invalid;
        total.unsupported += got.unsupported;
        total.not_ocmf += got.not_ocmf;
        total.bad_key += got.bad_key;
    }
    println!("{total:?}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(total, counts(233, 4, 10, 5, 2));
}

#[test]
fn the_readme_results_value_by_value() {
    let keba = file("test_ocmf_keba_kcp30.xml");
    let MeterDataCheck::Verified(record) = check(&keba[0]) else { panic!("{:?}", check(&keba[0])) };
    let end = &record.payload.readings[1];
    assert_eq!((end.transaction, end.value.as_str(), end.unit.as_deref()), (Some(TransactionEvent::End), "0.2597", Some("kWh")));

    let MeterDataCheck::Invalid { reason } = check(&file("test_ocmf_keba_kcp30_fail.xml")[0]) else { panic!() };
    assert!(reason.contains("does not match"), "{reason}");

    let second_key = file("second_key_fail_ocmf.xml");
    assert_eq!(check(&second_key[0]), MeterDataCheck::Unsupported { algorithm: "ECDSA secp256k1".into() });
    let MeterDataCheck::Invalid { reason } = check(&second_key[1]) else { panic!("{:?}", check(&second_key[1])) };
    assert_eq!(reason, "The record says it was signed with ECDSA-secp256k1-SHA256, but the charger's key is ECDSA secp256r1.");

    let ebee = file("test_ocmf_ebee_02.xml");
    assert!(matches!(check(&ebee[0]), MeterDataCheck::Invalid { .. }));
    assert!(matches!(check(&ebee[1]), MeterDataCheck::Verified(_)));

    let no_key = file("signature_16955306_ALL.xml");
    assert_eq!(check(&no_key[0]), MeterDataCheck::BadKey { reason: "No public key was given for the charger's meter.".into() });

    let reasons: Vec<String> = ["wirelane.xml", "test_ocmf_rsa_01.xml", "OCMF-receipt-template.xml"]
        .into_iter()
        .map(|name| match check(&file(name)[0]) {
            MeterDataCheck::NotOcmf { reason } => reason,
            other => panic!("{name}: {other:?}"),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "This signed meter data is not OCMF (XML, as chargers with EDL or SML meters send); only OCMF can be checked.",
            "This signed meter data is not OCMF (binary (ASN.1) data); only OCMF can be checked.",
            "There is no signed meter data.",
        ]
    );
}

#[test]
fn unsupported_algorithms_are_named() {
    let mut named = BTreeSet::new();
    for (name, values) in corpus() {
        for value in values {
            if let MeterDataCheck::Unsupported { algorithm } = check(&value) {
                // The record's own SA names the same curve as the key's OID.
                let text = decode_signed_data(&value.signed_data).expect("OCMF");
                let sa = OcmfEnvelope::split(&text).expect("splits").signature.algorithm().to_owned();
                let curve = sa.split('-').nth(1).expect("ECDSA-<curve>-<hash>");
                assert_eq!(algorithm, format!("ECDSA {curve}"), "{name}");
                named.insert(algorithm);
            }
        }
    }
    let expected: BTreeSet<String> =
        ["ECDSA brainpoolP256r1", "ECDSA secp192k1", "ECDSA secp256k1"].into_iter().map(str::to_owned).collect();
    assert_eq!(named, expected);
    let rsa_key = &file("test_ocmf_rsa_01.xml")[0].public_key;
    assert_eq!(MeterPublicKey::parse(rsa_key).unwrap(), MeterPublicKey::Unsupported { algorithm: "RSA".into() });
}

/// The record's text with one byte of its payload changed (flipping the lowest bit keeps
/// ASCII ASCII).
fn tampered(text: &str, payload_offset: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = "OCMF|".len() + payload_offset;
    assert!(bytes[at].is_ascii(), "the corpus payloads are ASCII");
    bytes[at] ^= 0x01;
    String::from_utf8(bytes).expect("still UTF-8")
}

#[test]
fn changing_any_byte_of_a_valid_record_makes_it_fail() {
    let mut records = 0;
    let mut tampered_checked = 0;
    for (name, values) in corpus() {
        let mut first_in_file = true;
        for value in values {
            if !matches!(check(&value), MeterDataCheck::Verified(_)) {
                continue;
            }
            records += 1;
            let text = decode_signed_data(&value.signed_data).expect("OCMF").into_owned();
            let key = MeterPublicKey::parse(&value.public_key).expect("a key");
            let payload_len = OcmfEnvelope::split(&text).expect("splits").payload.len();
            // Every byte of the first valid record of each file; the first, middle and last of
            // the others.
            let offsets: Vec<usize> =
                if first_in_file { (0..payload_len).collect() } else { vec![0, payload_len / 2, payload_len - 1] };
            first_in_file = false;
            for offset in offsets {
                let changed = tampered(&text, offset);
                let envelope = OcmfEnvelope::split(&changed).expect("still splits");
                assert!(!verify_envelope(&envelope, &key).is_valid(), "{name}: changed byte {offset} still verifies");
                assert!(
                    matches!(check_signed_data(&changed, &value.public_key), MeterDataCheck::Invalid { .. }),
                    "{name}: changed byte {offset}"
                );
                tampered_checked += 1;
            }
            // And the signature itself.
            let signature_digit = text.rfind("\"}").expect("ends with the signature") - 1;
            let mut bytes = text.into_bytes();
            bytes[signature_digit] ^= 0x01;
            let changed = String::from_utf8(bytes).expect("ASCII");
            assert!(matches!(check_signed_data(&changed, &value.public_key), MeterDataCheck::Invalid { .. }), "{name}");
        }
    }
    println!("{records} valid records, {tampered_checked} changed copies, all rejected");
    assert_eq!(records, 233);
    assert!(tampered_checked > 3 * 233);
}

fn records(name: &str) -> (Vec<OcmfRecord>, Vec<String>) {
    let values = file(name);
    let records = values
        .iter()
        .map(|v| OcmfRecord::parse(&decode_signed_data(&v.signed_data).expect("OCMF")).expect("parses"))
        .collect();
    (records, values.into_iter().map(|v| v.public_key).collect())
}

fn transaction(name: &str) -> TransactionVerification {
    let (records, keys) = records(name);
    let key = MeterPublicKey::parse(&keys[0]).expect("a key");
    verify_transaction(&records, &key)
}

#[test]
fn transactions_pair_begin_and_end_and_give_the_energy() {
    for (name, energy_wh, meter) in [
        ("test_ocmf_ebee_01.xml", 0, Some("000033022620")),
        ("nistP384_0Wh.xml", 0, Some("12345678")),
        ("VW_OCMF_load.xml", 1101, Some("1211751603")),
        ("chargepoint_3.xml", 1304, Some("33019230")),
    ] {
        let TransactionVerification::Valid(transaction) = transaction(name) else { panic!("{name}: {:?}", transaction(name)) };
        assert_eq!(transaction.energy_wh, energy_wh, "{name}");
        assert_eq!(transaction.energy_exact_wh, Decimal::from(energy_wh), "{name}");
        assert_eq!(transaction.meter_serial.as_deref(), meter, "{name}");
        assert_eq!(transaction.begin.transaction, Some(TransactionEvent::Begin), "{name}");
        assert!(transaction.end.transaction.is_some_and(TransactionEvent::is_end), "{name}");
    }

    // KEBA resolves a tenth of a Wh: exact 0.1 Wh, 0 whole Wh.
    let TransactionVerification::Valid(keba) = transaction("test_ocmf_keba_kcp30.xml") else { panic!() };
    assert_eq!((keba.energy_exact_wh, keba.energy_wh), (Decimal::new(1, 1), 0));
    assert_eq!(keba.meter_serial, None);

    // Each KEBA record is a transaction of its own; all 121 pair up.
    for name in ["keba_test.xml", "measurements.xml"] {
        let (records, keys) = records(name);
        for (record, key) in records.into_iter().zip(keys) {
            let key = MeterPublicKey::parse(&key).expect("a key");
            let result = verify_transaction(std::slice::from_ref(&record), &key);
            assert!(matches!(result, TransactionVerification::Valid(ref t) if t.energy_exact_wh >= Decimal::ZERO), "{name} {}: {result:?}", record.payload.pagination);
        }
    }
}

#[test]
fn transactions_that_do_not_hold_together_say_why() {
    // Both BAUER's and Isabellenhütte's test devices flag their readings as system errors
    // (`ST` = `E`, `EF` non-empty): signed, but not billable.
    for name in ["20211007-device-with-evt-ocmf-sss-ses.xml", "OCMF-receipt-with_publickey_and_data.xml"] {
        let TransactionVerification::Invalid { reason } = transaction(name) else { panic!("{name}") };
        assert_eq!(reason, "The meter reported \"system error\" at the begin of the transaction; its reading cannot be billed.");
    }

    let TransactionVerification::Invalid { reason } = transaction("test_ocmf_ebee_02.xml") else { panic!() };
    assert!(reason.starts_with("Record T28: The signature does not match"), "{reason}");

    assert_eq!(
        transaction("test_ocmf_transaction_two_values.xml"),
        TransactionVerification::Unsupported { algorithm: "ECDSA secp192k1".into() }
    );
    // Its structure: the README calls it one transaction, but both records carry the same
    // pagination (T12345) and different IDs, so ChargeKit would not bill it as one.
    let (two_values, _) = records("test_ocmf_transaction_two_values.xml");
    assert_eq!(
        check_pairing(&two_values),
        Err(PairingError::PaginationNotIncreasing { previous: Pagination::transaction(12345), next: Pagination::transaction(12345) })
    );

    // Keys that differ between begin and end cannot be one meter's transaction.
    let (second_key, keys) = records("second_key_fail_ocmf.xml");
    assert_ne!(MeterPublicKey::parse(&keys[0]), MeterPublicKey::parse(&keys[1]));
    assert!(!matches!(verify_transaction(&second_key, &MeterPublicKey::parse(&keys[1]).unwrap()), TransactionVerification::Valid(_)));
}

#[test]
fn pairing_of_records_this_verifier_cannot_sign_check() {
    // Structure only: DZG (secp256k1), begin and end with a duration register beside energy.
    let (dzg, _) = records("OCMF_Test_Data_00.xml");
    assert_eq!(check_pairing(&dzg).map(|t| t.energy_wh), Ok(0));
    // One record with begin and end of two registers; the first register is billed.
    let (obis, _) = records("Ocmf_Example_OBIS_98.8.0_2.8.0.xml");
    assert_eq!(check_pairing(&obis).map(|t| t.energy_wh), Ok(1000));
    // The file lists the end first; pagination puts it back in order.
    let (bauer, _) = records("signature_16955306_ALL.xml");
    assert_eq!(bauer[0].payload.pagination, Pagination::transaction(504));
    assert_eq!(check_pairing(&bauer).map(|t| t.energy_wh), Ok(890));
    let (second_key, _) = records("second_key_fail_ocmf.xml");
    assert_eq!(check_pairing(&second_key).map(|t| t.energy_wh), Ok(898));
    assert_eq!(check_pairing(&[]), Err(PairingError::NoRecords));
    // End alone.
    assert!(matches!(check_pairing(&bauer[..1]), Err(PairingError::NoBegin { .. })));
}

fn sim_reading(event: TransactionEvent, register_wh: i64, second: u8) -> MeterReading<'static> {
    MeterReading {
        meter_serial: "CKSIM-0001-1",
        id_tag: "DRIVER-1",
        event,
        at: datetime!(2026-11-24 10:00:00 UTC).replace_second(second).expect("a second"),
        register_wh,
    }
}

#[test]
fn what_the_simulator_signs_verifies() {
    let signer = MeterSigner::new(&MeterKey::Generate, "CKSIM-0001").unwrap();
    let key_hex = signer.public_key_hex();
    let begin = signer.sign(&sim_reading(TransactionEvent::Begin, 1_000_000, 0)).unwrap();
    let end = signer.sign(&sim_reading(TransactionEvent::End, 1_012_345, 42)).unwrap();
    let key = MeterPublicKey::parse(&key_hex).unwrap();

    let TransactionVerification::Valid(transaction) = verify_transaction(&[begin.clone(), end.clone()], &key) else { panic!() };
    assert_eq!(transaction.energy_wh, 12_345);
    assert_eq!(transaction.energy_exact_wh, Decimal::from(12_345));
    assert_eq!(transaction.meter_serial.as_deref(), Some("CKSIM-0001-1"));
    assert_eq!(transaction.identification.as_deref(), Some("DRIVER-1"));

    // From text, as it travels in OCPP and through the FFI.
    assert!(matches!(check_signed_data(&end.to_text(), &key_hex), MeterDataCheck::Verified(_)));
    let MeterDataVerification::Verified { meter_serial, readings } = verify_signed_meter_data(end.to_text(), key_hex.clone()) else {
        panic!()
    };
    assert_eq!(meter_serial.as_deref(), Some("CKSIM-0001-1"));
    assert_eq!(readings.len(), 1);
    assert_eq!(readings[0].value, "1012.345");
    assert_eq!(readings[0].time.as_deref(), Some("2026-11-24T10:00:42,000+0000 S"));
    assert_eq!(readings[0].event.as_deref(), Some("E"));

    // Changed energy, another charger's key, begin and end swapped, end alone.
    let forged = end.to_text().replace("1012.345", "1022.345");
    assert!(matches!(verify_signed_meter_data(forged, key_hex.clone()), MeterDataVerification::Invalid { .. }));
    let other = MeterSigner::new(&MeterKey::Generate, "CKSIM-0002").unwrap();
    assert!(matches!(
        verify_signed_meter_data(end.to_text(), other.public_key_hex()),
        MeterDataVerification::Invalid { .. }
    ));
    assert!(matches!(verify_transaction(std::slice::from_ref(&end), &key), TransactionVerification::Invalid { .. }));
    // `SA` is not signed: editing it must not turn a P-256 record into "unsupported".
    for claimed in ["ECDSA-secp256r1-SHA512", "ECDSA-brainpoolP256r1-SHA256", "RSA-SHA256"] {
        let edited = end.to_text().replace("ECDSA-secp256r1-SHA256", claimed);
        assert!(matches!(check_signed_data(&edited, &key_hex), MeterDataCheck::Invalid { .. }), "{claimed}");
    }
    let later_begin = signer.sign(&sim_reading(TransactionEvent::Begin, 1_000_000, 50)).unwrap();
    assert!(matches!(verify_transaction(&[end, later_begin], &key), TransactionVerification::Invalid { .. }));
}

#[test]
fn the_ffi_says_what_it_cannot_check() {
    let brainpool = file("brainpoolP256r1.xml");
    assert_eq!(
        verify_signed_meter_data(brainpool[0].signed_data.clone(), brainpool[0].public_key.clone()),
        MeterDataVerification::Unsupported { algorithm: "ECDSA brainpoolP256r1".into() }
    );
    assert!(matches!(verify_signed_meter_data("AP;0;3;ALCV".into(), String::new()), MeterDataVerification::NotOcmf { .. }));
    let keba = file("test_ocmf_keba_kcp30.xml");
    assert!(matches!(verify_signed_meter_data(keba[0].signed_data.clone(), "zz".into()), MeterDataVerification::BadKey { .. }));
    // Hex and base64 of OCMF text are read too.
    let hex: String = keba[0].signed_data.bytes().map(|b| format!("{b:02X}")).collect();
    assert!(matches!(verify_signed_meter_data(hex, keba[0].public_key.clone()), MeterDataVerification::Verified { .. }));
}

proptest! {
    #[test]
    fn any_text_gets_an_answer_not_a_panic(data in ".{0,200}", key in "[0-9A-Fa-f ]{0,200}|[A-Za-z0-9+/=]{0,200}") {
        let _ = check_signed_data(&data, &key);
        let _ = check_signed_data(&format!("OCMF|{data}"), &key);
        let _ = MeterPublicKey::parse(&key);
    }

    #[test]
    fn any_signature_bytes_get_an_answer_not_a_panic(signature in proptest::collection::vec(any::<u8>(), 0..120)) {
        let keba = &file("test_ocmf_keba_kcp30.xml")[0];
        let text = decode_signed_data(&keba.signed_data).unwrap().into_owned();
        let payload = OcmfEnvelope::split(&text).unwrap().payload.to_owned();
        let hex: String = signature.iter().map(|b| format!("{b:02x}")).collect();
        let forged = format!("OCMF|{payload}|{{\"SD\":\"{hex}\"}}");
        prop_assert!(!matches!(check_signed_data(&forged, &keba.public_key), MeterDataCheck::Verified(_)));
    }
}
