//! One OCMF verification: a real KEBA KCP30 record (ECDSA P-256) from the
//! Transparenzsoftware test corpus, parsed, verified, and both from text as the FFI does.

use std::hint::black_box;

use chargekit_core::eichrecht::{MeterDataCheck, MeterPublicKey, check_signed_data, verify_record};
use chargekit_model::ocmf::OcmfRecord;
use criterion::{Criterion, criterion_group, criterion_main};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/ocmf-transparenz");

/// The text of the first `<tag …>…</tag>` element.
fn element<'a>(xml: &'a str, tag: &str) -> &'a str {
    let start = xml.find(&format!("<{tag}")).expect("element present");
    let content = start + xml[start..].find('>').expect("tag closes") + 1;
    let end = content + xml[content..].find(&format!("</{tag}>")).expect("element closes");
    xml[content..end].trim()
}

fn bench(c: &mut Criterion) {
    let xml = std::fs::read_to_string(format!("{CORPUS}/keba_test.xml")).expect("the OCMF corpus is in shared/testdata");
    let (signed_data, public_key) = (element(&xml, "signedData"), element(&xml, "publicKey"));
    let record = OcmfRecord::parse(signed_data).expect("a KEBA record parses");
    let key = MeterPublicKey::parse(public_key).expect("a P-256 key");
    assert!(verify_record(&record, &key).is_valid(), "the benchmarked record must verify");

    c.bench_function("ocmf/parse record", |b| b.iter(|| OcmfRecord::parse(black_box(signed_data))));
    c.bench_function("ocmf/verify P-256 (parsed record and key)", |b| {
        b.iter(|| verify_record(black_box(&record), black_box(&key)))
    });
    c.bench_function("ocmf/check from text (parse key and record, verify)", |b| {
        b.iter(|| {
            let check = check_signed_data(black_box(signed_data), black_box(public_key));
            assert!(matches!(check, MeterDataCheck::Verified(_)));
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
