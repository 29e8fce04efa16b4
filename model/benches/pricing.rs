//! Pricing a long session: 1,000 meter samples (one a minute, ~16.7 h, crossing local midnight)
//! under a realistic multi-element OCPI tariff with time-of-day, weekday, power, current and
//! duration restrictions, in Europe/Amsterdam. Target: under 50 µs per session.
//!
//! `cargo bench -p chargekit-model -- --warm-up-time 2 --measurement-time 5`

use std::hint::black_box;

use chargekit_model::pricing::{LiveSession, MeterSample, price_session};
use chargekit_model::{Tariff, price};
use criterion::{Criterion, criterion_group, criterion_main};
use time::macros::datetime;

const TARIFF: &str = r#"{
  "id": "bench", "currency": "EUR", "time_zone": "Europe/Amsterdam",
  "min_price": { "excl_vat": "1.00", "incl_vat": "1.21" },
  "max_price": { "excl_vat": "80.00", "incl_vat": "96.80" },
  "elements": [
    { "price_components": [ { "type": "FLAT", "price": "0.35", "vat": 21 } ] },
    { "price_components": [ { "type": "ENERGY", "price": "0.29", "vat": 21, "step_size": 100 } ],
      "restrictions": { "start_time": "23:00", "end_time": "07:00" } },
    { "price_components": [ { "type": "ENERGY", "price": "0.59", "vat": 21 } ],
      "restrictions": { "min_power": 50 } },
    { "price_components": [ { "type": "ENERGY", "price": "0.45", "vat": 21, "step_size": 10 } ] },
    { "price_components": [ { "type": "TIME", "price": "1.20", "vat": 21, "step_size": 60 } ],
      "restrictions": { "max_current": 16, "day_of_week": ["MONDAY","TUESDAY","WEDNESDAY","THURSDAY","FRIDAY"] } },
    { "price_components": [ { "type": "TIME", "price": "0.00", "vat": 21 } ],
      "restrictions": { "max_duration": 7200 } },
    { "price_components": [ { "type": "PARKING_TIME", "price": "6.00", "vat": 21, "step_size": 300 } ],
      "restrictions": { "start_time": "08:00", "end_time": "20:00", "min_duration": 3600 } },
    { "price_components": [ { "type": "PARKING_TIME", "price": "1.00", "vat": 21, "step_size": 300 } ] }
  ]
}"#;

/// A session of `n` samples a minute apart: power and current vary, and every 7th stretch is
/// parked.
fn samples(n: usize) -> Vec<MeterSample> {
    let start = datetime!(2024-03-08 15:17:23 UTC);
    let mut energy = 0;
    (0..n)
        .map(|i| {
            let power_w = [7_400, 11_000, 22_000, 55_000, 3_700][i % 5];
            let current_ma = [10_000, 16_000, 32_000, 80_000, 6_000][i % 5];
            let charging = i % 7 != 6;
            let sample = MeterSample {
                at: start + time::Duration::minutes(i as i64),
                energy_wh: energy,
                charging,
                power_w: Some(if charging { power_w } else { 0 }),
                current_ma: Some(if charging { current_ma } else { 0 }),
            };
            if charging {
                energy += power_w / 60;
            }
            sample
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tariff: Tariff = serde_json::from_str(TARIFF).unwrap();
    tariff.validate().unwrap();
    let session = samples(1_000);
    let priced = price_session(&tariff, &session).unwrap();
    assert!(priced.charging_periods.len() >= 999);

    c.bench_function("price_session 1000 samples, 8-element tariff", |b| {
        b.iter(|| price_session(black_box(&tariff), black_box(&session)).unwrap())
    });
    c.bench_function("live: push 1 sample + cost", |b| {
        b.iter_batched(
            || {
                let mut live = LiveSession::start(&tariff, session[0]).unwrap();
                for s in &session[1..500] {
                    live.push(*s).unwrap();
                }
                live
            },
            |mut live| {
                live.push(black_box(session[500])).unwrap();
                live.cost()
            },
            criterion::BatchSize::SmallInput,
        )
    });
    // A frame of the smoothed display: the cost of the next sample, leaving the session as is.
    let mut live = LiveSession::start(&tariff, session[0]).unwrap();
    for s in &session[1..500] {
        live.push(*s).unwrap();
    }
    c.bench_function("live frame: cost_with 1 sample (500 pushed)", |b| b.iter(|| live.cost_with(black_box(session[500])).unwrap()));
    let usage = chargekit_model::SessionUsage { energy_wh: 42_000, charging_seconds: 5_400, parking_seconds: 600 };
    c.bench_function("price (totals only)", |b| b.iter(|| price(black_box(&tariff), black_box(&usage))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
