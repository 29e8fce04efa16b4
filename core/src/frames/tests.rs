//! The smoothed view against the server: the server's states are made as `server/src/billing.rs`
//! makes them ([`crate::test_support::server_states`]: `LiveSession` fed every sample), and the
//! view is read at each state's arrival and between states.

use chargekit_model::tariff::{DayOfWeek, Price, PriceComponent, TariffDimension, TariffElement, TariffRestrictions, TimeOfDay};
use chargekit_model::{Cost, Currency, LiveSession, MeterSample, Session, Tariff};
use proptest::prelude::*;
use rust_decimal::Decimal;
use time::macros::datetime;
use time::{Duration as Span, OffsetDateTime};

use super::Frames;
use crate::live_cost::continued;
use crate::test_support::server_states;

const ZONE: &str = "Europe/Amsterdam";

/// OCPI 2.2.1's complex tariff (`tariff_4_complex.json`), the fixture the model's and the
/// end-to-end billing tests use.
const COMPLEX: &str = include_str!("../../../model/tests/fixtures/tariff_4_complex.json");

/// ENERGY at 0.20 from 23:00 to 06:00 in Amsterdam, else 0.45, both with 19 % VAT.
const NIGHT: &str = r#"{"id":"night","currency":"EUR","time_zone":"Europe/Amsterdam","elements":[
  {"price_components":[{"type":"ENERGY","price":0.20,"vat":19.0,"step_size":1}],
   "restrictions":{"start_time":"23:00","end_time":"06:00"}},
  {"price_components":[{"type":"ENERGY","price":0.45,"vat":19.0,"step_size":1}]}]}"#;

fn tariff_of(json: &str) -> Tariff {
    let tariff: Tariff = serde_json::from_str(json).unwrap();
    tariff.validate().unwrap();
    tariff
}

/// Every `every` seconds from `from` to `to`, the register at `watts` (0: parked).
fn metered(from: OffsetDateTime, to: OffsetDateTime, every: i64, energy_wh: i64, watts: i64, current_ma: Option<i64>) -> Vec<MeterSample> {
    let steps = (to - from).whole_seconds() / every;
    (0..=steps)
        .map(|k| {
            let at = from + Span::seconds(k * every);
            let energy = energy_wh + watts * k * every / 3600;
            let sample = if watts > 0 { MeterSample::charging(at, energy).with_power_w(watts) } else { MeterSample::parking(at, energy) };
            match current_ma {
                Some(ma) => sample.with_current_ma(ma),
                None => sample,
            }
        })
        .collect()
}

/// The spec's "Monday morning": 165 min at 16 A (30 kWh), then 42 min parked, sampled every
/// 15 min (and at the end). Billed 10.31; the old display showed 2.88 at the last sample.
fn complex_monday() -> Vec<MeterSample> {
    let start = datetime!(2024-03-04 09:30 +1);
    let mut samples = vec![MeterSample::charging(start, 0)];
    samples.extend(metered(start, start + Span::minutes(150), 900, 0, 30_000 * 60 / 165, Some(16_000)));
    let parked_at = start + Span::minutes(165);
    samples.extend(metered(parked_at, parked_at + Span::minutes(30), 900, 30_000, 0, None));
    samples.push(MeterSample::parking(start + Span::minutes(165 + 42), 30_000));
    samples
}

/// 22:00 CEST on 26 October 2024 to 07:00 CET the next morning at 6 kW: ten hours, eight of
/// them (not seven) in the night window because the clocks go back at 03:00.
fn autumn_night() -> Vec<MeterSample> {
    let start = datetime!(2024-10-26 22:00 +2);
    let mut samples = vec![MeterSample::charging(start, 0)];
    samples.extend(metered(start, datetime!(2024-10-27 07:00 +1), 1800, 0, 6_000, None));
    samples
}

/// The phone's clock for a session: state `k` arrives `latency_ms[k]` after the charger's
/// time of its sample (ms since the start).
fn arrival_ms(states: &[Session], k: usize, latency_ms: i64) -> i64 {
    states[k].duration_seconds * 1000 + latency_ms
}

#[test]
fn complex_tariff_shows_the_server_cost_at_every_sample_and_holds_it_between() {
    let tariff = tariff_of(COMPLEX);
    let samples = complex_monday();
    let states = server_states(&tariff, &samples, samples.last().unwrap().at);
    let last_sample = &states[states.len() - 2];
    assert_eq!(last_sample.cost.total_incl_vat_minor, 1031, "the live cost at the last sample");
    assert_eq!(states.last().unwrap().cost.total_incl_vat_minor, 1031, "the bill");
    let mut frames = Frames::default();
    for (k, state) in states.iter().enumerate() {
        let at = arrival_ms(&states, k, 0);
        let shown = frames.show(state.clone(), at);
        assert_eq!(shown.cost, state.cost, "state {k}: at its arrival the display shows the server's cost");
        if !state.status.is_final() {
            // The price depends on the current (16 A: the 1.00/h element), which the app is not
            // told: the core's engine cannot follow, so the server's figure holds.
            let later = frames.show(state.clone(), at + 60_000);
            assert_eq!(later.cost, state.cost, "state {k}: held between samples");
            assert!(later.duration_seconds >= state.duration_seconds);
        }
    }
}

#[test]
fn night_window_across_the_autumn_change_is_priced_by_the_engine_between_samples() {
    let tariff = tariff_of(NIGHT);
    let samples = autumn_night();
    let states = server_states(&tariff, &samples, samples.last().unwrap().at);
    // 48 kWh at night × 0.20 = 9.60 (+1.82), 12 kWh by day × 0.45 = 5.40 (+1.03); the old
    // display priced everything by day.
    assert_eq!(states.last().unwrap().cost.total_incl_vat_minor, 1785, "the bill");
    let mut frames = Frames::default();
    let mut server = LiveSession::start(&tariff, samples[0]).unwrap();
    for (k, state) in states.iter().enumerate() {
        let at = arrival_ms(&states, k, 250);
        assert_eq!(frames.show(state.clone(), at).cost, state.cost, "state {k} at its arrival");
        if state.status.is_final() {
            break;
        }
        if k > 0 {
            server.push(samples[k]).unwrap();
        }
        if k < 2 {
            continue; // no sample interval known yet (the first MeterValue is at the start)
        }
        let quarter = frames.show(state.clone(), at + 15 * 60_000);
        let expected = server.cost_with(continued(samples[k], 15 * 60)).unwrap();
        assert_eq!(quarter.cost, expected, "state {k}: a quarter of an hour on, the engine's price");
        assert_eq!(quarter.duration_seconds, state.duration_seconds + 15 * 60);
    }
    // By hand, 15 min after the 06:30 CET sample: by day 9 kWh + 1.5 kWh × 0.45 = 4.725 → 4.73
    // (+0.90), at night 9.60 (+1.82): 17.05 (the server's 16.24 at the sample itself).
    let at_0630 = states.len() - 3;
    assert_eq!(states[at_0630].cost.total_incl_vat_minor, 1624);
    let mut frames = Frames::default();
    frames.show(states[at_0630 - 1].clone(), 0);
    frames.show(states[at_0630].clone(), 1_800_000);
    assert_eq!(frames.show(states[at_0630].clone(), 1_800_000 + 15 * 60_000).cost.total_incl_vat_minor, 1705);
}

#[test]
fn a_skipped_state_makes_the_display_hold_the_server_cost() {
    // Time-priced: a parked stretch the app never saw is priced by the server as parking.
    let tariff = tariff_of(
        r#"{"id":"t","currency":"EUR","elements":[{"price_components":[
          {"type":"TIME","price":1.20,"step_size":1},{"type":"PARKING_TIME","price":6.00,"step_size":1}]}]}"#,
    );
    let start = datetime!(2024-03-04 12:00 UTC);
    let samples = vec![
        MeterSample::charging(start, 0),
        MeterSample::charging(start, 0).with_power_w(11_000),
        MeterSample::parking(start + Span::minutes(10), 1_833),
        MeterSample::charging(start + Span::minutes(20), 1_833).with_power_w(11_000),
    ];
    let states = server_states(&tariff, &samples, start + Span::minutes(30));
    let mut frames = Frames::default();
    frames.show(states[1].clone(), 0);
    // The parked state (2) is skipped: the core prices 20 min of charging, the server 10 + 10
    // parked. The display shows the server's figure, and holds it.
    let shown = frames.show(states[3].clone(), 1_200_000);
    assert_eq!(shown.cost, states[3].cost);
    assert_eq!(frames.show(states[3].clone(), 1_205_000).cost, states[3].cost);
}

// ---- The property test -----------------------------------------------------------------------

fn component() -> impl Strategy<Value = PriceComponent> {
    let dimension =
        prop_oneof![Just(TariffDimension::Energy), Just(TariffDimension::Time), Just(TariffDimension::ParkingTime), Just(TariffDimension::Flat)];
    (dimension, 0i64..600, proptest::option::of(0i64..26), prop_oneof![Just(1u32), 1u32..1000]).prop_map(|(dimension, cents, vat, step_size)| {
        PriceComponent { dimension, price: Decimal::new(cents, 2), vat: vat.map(Decimal::from), step_size }
    })
}

fn day(i: u8) -> DayOfWeek {
    use DayOfWeek::*;
    [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday][usize::from(i)]
}

/// Time of day, day of week, power and current restrictions, at most two kinds an element.
fn restrictions() -> impl Strategy<Value = Option<TariffRestrictions>> {
    let time = proptest::option::of((0u8..24, prop_oneof![Just(0u8), Just(30)]));
    let kw = proptest::option::of((0i64..50_000).prop_map(|w| Decimal::new(w, 3)));
    let amps = proptest::option::of((0i64..64_000).prop_map(|ma| Decimal::new(ma, 3)));
    let kinds = proptest::sample::subsequence(vec![0u8, 1, 2, 3], 1..=2);
    let fields = (kinds, time.clone(), time, proptest::collection::vec(0u8..7, 1..4), kw.clone(), kw, amps.clone(), amps);
    proptest::option::weighted(
        0.7,
        fields.prop_map(|(kinds, st, et, days, minp, maxp, minc, maxc)| {
            let tod = |t: Option<(u8, u8)>| t.and_then(|(h, m)| TimeOfDay::new(h, m));
            let mut r = TariffRestrictions::default();
            for kind in kinds {
                match kind {
                    0 => (r.start_time, r.end_time) = (tod(st), tod(et)),
                    1 => r.day_of_week = days.iter().copied().map(day).collect(),
                    2 => (r.min_power, r.max_power) = (minp, maxp),
                    _ => (r.min_current, r.max_current) = (minc, maxc),
                }
            }
            r
        }),
    )
}

fn limits() -> impl Strategy<Value = (Option<Price>, Option<Price>)> {
    let price = |lo: i64, hi: i64| {
        proptest::option::weighted(0.25, (lo..hi, 0i64..30, proptest::bool::weighted(0.7))).prop_map(|p| {
            p.map(|(cents, vat, with_incl)| Price {
                excl_vat: Decimal::new(cents, 2),
                incl_vat: with_incl.then(|| Decimal::new(cents + cents * vat / 100, 2)),
            })
        })
    };
    (price(0, 500), price(500, 5_000))
}

fn tariff() -> impl Strategy<Value = Tariff> {
    let element = (proptest::collection::vec(component(), 1..4), restrictions())
        .prop_map(|(price_components, restrictions)| TariffElement { price_components, restrictions });
    (proptest::collection::vec(element, 1..6), limits()).prop_map(|(elements, (min_price, max_price))| Tariff {
        id: "p".into(),
        currency: Currency::EUR,
        elements,
        time_zone: Some(ZONE.into()),
        min_price,
        max_price,
    })
    // Only tariffs the server accepts: min and max drawn apart can cross (a min incl. VAT
    // above the max), which `Tariff::validate` refuses at start.
    .prop_filter("a tariff the server accepts", |tariff| tariff.validate().is_ok())
}

/// A session as the charger meters it: the start reading, then samples a second to a quarter
/// of an hour apart, charging at some power or parked (0 W), with or without a current,
/// starting in the hours around the 2024 DST changes in Amsterdam (31 March and 27 October,
/// 01:00 UTC); and the phone's latency for each state.
fn session(with_current: bool) -> impl Strategy<Value = (Vec<MeterSample>, Vec<i64>)> {
    let start = prop_oneof![(-4i64 * 3600..2 * 3600).prop_map(|d| 1_711_846_800 + d), (-4i64 * 3600..2 * 3600).prop_map(|d| 1_729_990_800 + d)];
    let stretch = (prop_oneof![1i64..30, 30i64..900, Just(900i64)], prop_oneof![Just(0i64), 1_000i64..50_000], 0i64..64_000, 0i64..1000);
    (start, 1_000i64..50_000, proptest::collection::vec(stretch, 1..25)).prop_map(move |(start, first_watts, stretches)| {
        let mut at = OffsetDateTime::from_unix_timestamp(start).unwrap();
        let (mut energy, mut samples, mut latency) = (0, vec![MeterSample::charging(at, 0)], vec![0]);
        // Each stretch ends on a sample that says how the next one goes (the first is charging).
        let mut watts_before = first_watts;
        for (seconds, watts, current_ma, latency_ms) in stretches {
            at += Span::seconds(seconds);
            energy += watts_before * seconds / 3600;
            let sample = if watts > 0 { MeterSample::charging(at, energy).with_power_w(watts) } else { MeterSample::parking(at, energy) };
            samples.push(if with_current { sample.with_current_ma(current_ma) } else { sample });
            latency.push(latency_ms);
            watts_before = watts;
        }
        latency.push(0); // the final state
        (samples, latency)
    })
}

/// Replays the server's states on the phone's clock with frames `frame_ms` apart; returns, per
/// frame, the index of the latest state and the frame's cost.
fn replay(states: &[Session], latency: &[i64], frame_ms: i64) -> Vec<(usize, i64, Cost)> {
    let mut frames = Frames::default();
    let mut out = Vec::new();
    for k in 0..states.len() {
        let arrived = arrival_ms(states, k, latency[k]);
        let next = states.get(k + 1).map(|_| arrival_ms(states, k + 1, latency[k + 1])).unwrap_or(arrived);
        let mut t = arrived;
        loop {
            out.push((k, t - arrived, frames.show(states[k].clone(), t).cost));
            t += frame_ms;
            if t >= next {
                break;
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The app sees what the server priced (every state, no current readings): at each state
    /// the display shows the server's cost — `LiveSession` fed the same samples — between
    /// states exactly the engine's price of the latest sample continued, and the final frame
    /// is the bill.
    #[test]
    fn at_every_sample_the_server_cost_between_them_the_engine(
        tariff in tariff(), (samples, latency) in session(false), frame_ms in 700i64..5_000,
    ) {
        let stop = samples.last().unwrap().at;
        let states = server_states(&tariff, &samples, stop);
        let mut server = LiveSession::start(&tariff, samples[0]).unwrap();
        let mut pushed = 0;
        for (k, since_ms, cost) in replay(&states, &latency, frame_ms) {
            let state = &states[k];
            if state.status.is_final() {
                prop_assert_eq!(&cost, &state.cost, "the final frame is the bill");
                continue;
            }
            while pushed < k {
                pushed += 1;
                server.push(samples[pushed]).unwrap();
            }
            prop_assert_eq!(&server.cost(), &state.cost);
            if since_ms == 0 {
                prop_assert_eq!(&cost, &state.cost, "state {} at its arrival", k);
            } else {
                // One sample interval at most (10 s before the first meter value).
                let horizon = if k == 0 { 10 } else { (samples[k].at - samples[k - 1].at).whole_seconds() };
                let seconds = (since_ms / 1000).min(horizon);
                let expected = if seconds == 0 { state.cost.clone() } else { server.cost_with(continued(samples[k], seconds)).unwrap() };
                prop_assert_eq!(&cost, &expected, "state {} + {} ms", k, since_ms);
            }
        }
        prop_assert_eq!(&states.last().unwrap().cost, &chargekit_model::price_session(&tariff, &{
            let mut all = samples.clone();
            all.push(MeterSample::charging(stop, samples.last().unwrap().energy_wh));
            all
        }).unwrap().cost);
    }

    /// The server sees more than the app (currents the states do not carry, states the app
    /// misses): at every state the app gets, it still shows the server's cost, and the final
    /// frame is the bill.
    #[test]
    fn with_what_the_app_cannot_see_still_the_server_cost_at_every_sample(
        tariff in tariff(), (samples, latency) in session(true), frame_ms in 700i64..5_000,
        skipped in proptest::collection::vec(any::<bool>(), 30),
    ) {
        let states = server_states(&tariff, &samples, samples.last().unwrap().at);
        let n = states.len();
        // Skipped states are never delivered; the final one always is.
        let (delivered, latency): (Vec<Session>, Vec<i64>) = states
            .iter()
            .zip(&latency)
            .enumerate()
            .filter(|(k, _)| *k + 1 == n || !skipped[k % skipped.len()])
            .map(|(_, (s, l))| (s.clone(), *l))
            .unzip();
        for (k, since_ms, cost) in replay(&delivered, &latency, frame_ms) {
            if since_ms == 0 || delivered[k].status.is_final() {
                prop_assert_eq!(&cost, &delivered[k].cost, "state {} at its arrival", k);
            }
        }
    }
}
