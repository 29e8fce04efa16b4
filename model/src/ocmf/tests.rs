use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::datetime;

use super::*;

/// Shaped like a KEBA KCP30 record: numbers for `RV`, no `MS`, no `SA`, begin and end in one.
const COMPACT: &str = r#"OCMF|{"FV":"1.0","GI":"KEBA_KCP30","GS":"17619300","GV":"2.8.5","PG":"T32","IS":false,"IL":"NONE","IF":["RFID_NONE","OCPP_NONE"],"IT":"NONE","ID":"","RD":[{"TM":"2019-08-13T10:03:15,000+0000 I","TX":"B","EF":"","ST":"G","RV":0.2596,"RI":"1-b:1.8.0","RU":"kWh"},{"TM":"2019-08-13T10:03:36,000+0000 R","TX":"E","EF":"","ST":"G","RV":62500.1270,"RI":"1-b:1.8.0","RU":"kWh"}]}|{"SD":"3045022000"}"#;

/// Shaped like a DZG meter's: spaces around colons, padded string values, a vendor unit.
const SPACED: &str = r#"OCMF|{"FV" : "1.0","PG" : "T198","MS" : "1DZG0033016824","IS" : true,"ID" : "04ab|076a","RD" : [{"TM" : "2021-10-26T10:20:52,000+0200 I","TX" : "B","RV" : "       9.038","RI" : "01-00:01.08.00.FF","RU" : "kWh","ST" : "G"},{"TX" : "E","RV" : "      30","RU" : "sec"}]}|{"SA" : "ECDSA-secp256k1-SHA256","SD" : "30460221"}"#;

#[test]
fn reads_a_compact_record_and_keeps_the_signed_bytes() {
    let record = OcmfRecord::parse(COMPACT).unwrap();
    assert!(record.payload_text().starts_with(r#"{"FV":"1.0","GI":"KEBA_KCP30""#));
    assert!(record.payload_text().ends_with(r#""RU":"kWh"}]}"#));
    assert_eq!(record.to_text(), COMPACT);
    let payload = &record.payload;
    assert_eq!(payload.pagination, Pagination::transaction(32));
    assert_eq!(payload.meter_serial, None);
    assert_eq!(payload.identification_status, Some(false));
    assert_eq!(payload.identification_flags, ["RFID_NONE", "OCPP_NONE"]);
    assert_eq!(payload.identification_data.as_deref(), Some(""));
    let begin = &payload.readings[0];
    assert_eq!(begin.transaction, Some(TransactionEvent::Begin));
    assert_eq!(begin.time, Some(OcmfTime::new(datetime!(2019-08-13 10:03:15 UTC), TimeStatus::Informative)));
    assert_eq!(begin.value.as_str(), "0.2596");
    assert_eq!(begin.value_wh().unwrap(), Decimal::new(2596, 1));
    assert_eq!(begin.status, Some(MeterStatus::Ok));
    let end = &payload.readings[1];
    assert_eq!(end.transaction, Some(TransactionEvent::End));
    assert_eq!(end.time.map(|t| t.status), Some(TimeStatus::Relative));
    // The trailing zero is the meter's; a float would have dropped it.
    assert_eq!(end.value.as_str(), "62500.1270");
    assert_eq!(end.value_wh().unwrap(), Decimal::new(625001270, 1));
    assert_eq!(record.signature.algorithm(), DEFAULT_SIGNATURE_ALGORITHM);
    assert_eq!(record.signature.mime_type(), DEFAULT_SIGNATURE_MIME_TYPE);
    assert_eq!(record.signature.bytes().unwrap(), [0x30, 0x45, 0x02, 0x20, 0x00]);
}

#[test]
fn reads_padded_strings_spaces_and_a_bar_inside_the_payload() {
    let record = OcmfRecord::parse(&format!("\n\t  {SPACED}\n  ")).unwrap();
    assert_eq!(record.to_text(), SPACED);
    assert_eq!(record.payload.identification_data.as_deref(), Some("04ab|076a"));
    assert_eq!(record.payload.meter_serial.as_deref(), Some("1DZG0033016824"));
    let readings = &record.payload.readings;
    assert_eq!(readings[0].value.as_str(), "9.038");
    assert_eq!(readings[0].value_wh().unwrap(), Decimal::from(9038));
    assert_eq!(readings[1].time, None);
    assert_eq!(readings[1].value_wh(), Err(OcmfError::NotEnergy("sec".into())));
    assert_eq!(record.signature.algorithm(), "ECDSA-secp256k1-SHA256");
}

#[test]
fn reads_numbers_where_text_is_expected_and_base64_signatures() {
    let text = r#"OCMF|{"FV": 1.0, "PG": "T2", "CT": 0, "RD": [{"TM": "2021-04-09T09:09:51,000+0200 I", "TX": "B", "RV": "0.0", "RU": "kWh"}], "UC": {"X": 1}}|{"SD":"MEUC","SA":"ECDSA-secp256r1-SHA256","SE":"base64"}"#;
    let record = OcmfRecord::parse(text).unwrap();
    assert_eq!(record.payload.format_version.as_deref(), Some("1.0"));
    assert_eq!(record.payload.charge_point_id_type.as_deref(), Some("0"));
    assert_eq!(record.signature.encoding(), Ok(SignatureEncoding::Base64));
    assert_eq!(record.signature.bytes().unwrap(), [0x30, 0x45, 0x02]);
}

#[test]
fn refuses_what_is_not_ocmf_with_a_reason() {
    assert_eq!(OcmfRecord::parse(""), Err(OcmfError::NotOcmf));
    assert_eq!(OcmfRecord::parse("<?xml version=\"1.0\"?><signedMeterValue/>"), Err(OcmfError::NotOcmf));
    assert_eq!(OcmfRecord::parse("OCMF|{\"PG\":\"T1\",\"RD\":[]}"), Err(OcmfError::MissingSignature));
    let oversized = format!("OCMF|{{}}|{{\"SD\":\"{}\"}}", "0".repeat(MAX_RECORD_BYTES));
    assert!(matches!(OcmfRecord::parse(&oversized), Err(OcmfError::TooLarge(_))));
    let no_sd = OcmfRecord::parse(r#"OCMF|{"PG":"T1","RD":[]}|{"SA":"x"}"#).unwrap_err();
    assert!(no_sd.to_string().contains("missing field `SD`"), "{no_sd}");
    for (payload, says) in [
        (r#"{"RD":[]}"#, "missing field `PG`"),
        (r#"{"PG":"X1","RD":[]}"#, "does not start with T or F"),
        (r#"{"PG":"T","RD":[]}"#, "not T or F followed by a number"),
        (r#"{"PG":"T99999999999999999999","RD":[]}"#, "out of range"),
        (r#"{"PG":"T1"}"#, "missing field `RD`"),
        (r#"{"PG":"T1","RD":[{"RV":1,"TX":"Q"}]}"#, "unknown variant `Q`"),
        (r#"{"PG":"T1","RD":[{"RV":1,"ST":"Z"}]}"#, "unknown variant `Z`"),
        (r#"{"PG":"T1","RD":[{"RV":"1,5"}]}"#, "not a decimal number"),
        (r#"{"PG":"T1","RD":[{"RV":1e3}]}"#, "not a decimal number"),
        (r#"{"PG":"T1","RD":[{"RV":null}]}"#, "null"),
        (r#"{"PG":"T1","RD":[{"RV":true}]}"#, "expected text or a number"),
        (r#"{"PG":"T1","RD":[{"RV":1,"TM":"2021-10-26T10:20:52,000+0200"}]}"#, "no time status"),
        (r#"{"PG":"T1","RD":[{"RV":1,"TM":"2021-10-26T10:20:52,000+0200 Q"}]}"#, "time status \"Q\""),
        (r#"{"PG":"T1","RD":[{"RV":1,"TM":"2021-10-26T10:20:52.000+02:00 S"}]}"#, "is not like"),
        (r#"{"PG":"T1","PG":"T2","RD":[]}"#, "duplicate field `PG`"),
        (r#"{"PG":"T1","RD":[]"#, "EOF"),
    ] {
        let error = OcmfRecord::parse(&format!("OCMF|{payload}|{{\"SD\":\"00\"}}")).unwrap_err();
        assert!(matches!(error, OcmfError::Payload(_)), "{payload}: {error:?}");
        assert!(error.to_string().contains(says), "{payload}: {error}");
    }
}

#[test]
fn signature_encodings() {
    let signature = |encoding: Option<&str>, data: &str| OcmfSignature {
        algorithm: None,
        encoding: encoding.map(str::to_owned),
        mime_type: None,
        data: data.to_owned(),
    };
    assert_eq!(signature(None, "0aFf").bytes().unwrap(), [0x0a, 0xff]);
    assert_eq!(signature(Some("HEX"), "0a ff").bytes().unwrap(), [0x0a, 0xff]);
    assert!(matches!(signature(None, "0af").bytes(), Err(OcmfError::SignatureData { encoding: "hex", .. })));
    assert!(matches!(signature(None, "0g").bytes(), Err(OcmfError::SignatureData { encoding: "hex", .. })));
    assert!(matches!(signature(Some("base64"), "!!").bytes(), Err(OcmfError::SignatureData { encoding: "base64", .. })));
    assert_eq!(signature(Some("base32"), "AA").bytes(), Err(OcmfError::UnknownEncoding("base32".into())));
}

#[test]
fn values_from_whole_wh_and_decimal_text() {
    assert_eq!(ReadingValue::kwh_from_wh(1_000_123).as_str(), "1000.123");
    assert_eq!(ReadingValue::kwh_from_wh(5).as_str(), "0.005");
    assert_eq!(ReadingValue::kwh_from_wh(0).as_str(), "0.000");
    assert_eq!(ReadingValue::kwh_from_wh(-1_500).as_str(), "-1.500");
    assert_eq!(ReadingValue::kwh_from_wh(i64::MIN).as_str(), "-9223372036854775.808");
    assert_eq!(ReadingValue::number("12.50").unwrap().as_str(), "12.50");
    for bad in ["", "-", "1.", ".5", "1e3", "0x10", "007", "1,5", "+1"] {
        assert!(ReadingValue::number(bad).is_err(), "{bad:?}");
    }
    let huge = ReadingValue::number(&"9".repeat(40)).unwrap();
    assert!(matches!(huge.to_decimal(), Err(OcmfError::ValueOutOfRange(_))));
}

#[test]
fn serialises_with_the_ocmf_names_and_exact_numbers() {
    let payload = OcmfRecord::parse(COMPACT).unwrap().payload;
    let json = serde_json::to_string(&payload).unwrap();
    assert!(json.starts_with(r#"{"FV":"1.0","GI":"KEBA_KCP30","GS":"17619300","GV":"2.8.5","PG":"T32","IS":false"#), "{json}");
    assert!(json.contains(r#""TM":"2019-08-13T10:03:36,000+0000 R","TX":"E","RV":62500.1270,"RI":"1-b:1.8.0","RU":"kWh","EF":"","ST":"G""#), "{json}");
    let again: OcmfPayload = serde_json::from_str(&json).unwrap();
    assert_eq!(again, payload);
    // Padded strings stay strings.
    let spaced = OcmfRecord::parse(SPACED).unwrap().payload;
    assert!(serde_json::to_string(&spaced).unwrap().contains(r#""RV":"9.038""#));
}

#[test]
fn a_record_travels_as_its_text() {
    let record = OcmfRecord::parse(SPACED).unwrap();
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json, serde_json::Value::String(SPACED.to_owned()));
    let back: OcmfRecord = serde_json::from_value(json).unwrap();
    assert_eq!(back, record);
    assert!(serde_json::from_value::<OcmfRecord>(serde_json::json!("OCMF|nope")).is_err());
}

#[test]
fn from_parts_round_trips() {
    let envelope = OcmfEnvelope::split(COMPACT).unwrap();
    let record = OcmfRecord::from_parts(envelope.payload.to_owned(), envelope.signature.clone()).unwrap();
    assert_eq!(record, OcmfRecord::parse(COMPACT).unwrap());
    assert!(OcmfRecord::from_parts("{".into(), envelope.signature).is_err());
}

#[test]
fn times_print_as_ocmf_writes_them() {
    let time: OcmfTime = "2026-11-24T10:00:00,250-0130 S".parse().unwrap();
    assert_eq!(time.at, datetime!(2026-11-24 10:00:00.250 -01:30));
    assert_eq!(time.to_string(), "2026-11-24T10:00:00,250-0130 S");
}

#[test]
fn terminations_end_a_transaction() {
    let ends: Vec<char> = [
        TransactionEvent::Begin,
        TransactionEvent::Charging,
        TransactionEvent::Exception,
        TransactionEvent::End,
        TransactionEvent::EndLocal,
        TransactionEvent::EndRemote,
        TransactionEvent::EndAbort,
        TransactionEvent::EndPowerFailure,
        TransactionEvent::Suspended,
        TransactionEvent::TariffChange,
    ]
    .into_iter()
    .filter(|e| e.is_end())
    .map(TransactionEvent::letter)
    .collect();
    assert_eq!(ends, ['E', 'L', 'R', 'A', 'P']);
}

proptest! {
    #[test]
    fn parsing_any_text_never_panics(text in ".{0,300}") {
        let _ = OcmfRecord::parse(&text);
        let _ = OcmfRecord::parse(&format!("OCMF|{text}"));
        let _ = OcmfRecord::parse(&format!("OCMF|{{{text}}}|{{\"SD\":\"{text}\"}}"));
    }

    #[test]
    fn parsing_a_damaged_record_never_panics(at in 0..COMPACT.len(), byte in any::<u8>(), cut in 0..COMPACT.len()) {
        let mut bytes = COMPACT.as_bytes().to_vec();
        bytes[at] = byte;
        let damaged = String::from_utf8_lossy(&bytes);
        if let Ok(record) = OcmfRecord::parse(&damaged) {
            for reading in &record.payload.readings {
                let _ = reading.value_wh();
            }
            let _ = record.signature.bytes();
            let _ = record.to_string();
        }
        let _ = OcmfRecord::parse(&COMPACT[..cut]);
    }

    #[test]
    fn any_reading_value_text_never_panics(text in "[-+ .0-9eE]{0,40}") {
        if let Ok(value) = ReadingValue::number(&text) {
            let _ = value.to_decimal();
        }
    }
}
