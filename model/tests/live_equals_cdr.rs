//! Property tests of the engine over random OCPI tariffs and random sessions in
//! Europe/Amsterdam (starts drawn around the 2024 DST changes as well as anywhere in the year).
//!
//! What is checked, for every generated (tariff, session):
//! 1. **Live = CDR.** Feeding the samples one by one to a [`LiveSession`], the cost after each
//!    sample equals [`price_session`] over that prefix (and what `cost_with` that sample said
//!    before it was pushed: the live display's price between samples), and after the last
//!    sample the whole priced session equals the CDR computed once over all samples.
//! 2. **Engine = reference.** The CDR totals equal those of a deliberately naive reference
//!    model written here from the rules in `PRICING.md`: it walks the session second by second,
//!    reads the local time with `jiff`'s civil conversion, compares restrictions in decimals, and
//!    bills with its own arithmetic. It shares no code with the engine's cutting, clock or
//!    billing.
//! 3. **Lines add up.** Unless `min_price`/`max_price` bound, the totals are the sums of lines.
//! 4. **Monotonic live cost.** The live total (excl. and incl. VAT) never decreases from one
//!    sample to the next when either every `step_size` is 1, or the tariff has at most one
//!    `ENERGY` component and at most one time-based (`TIME` or `PARKING_TIME`) component — for
//!    any restrictions, and with `min_price`/`max_price` that give `incl_vat`. (Limits without
//!    `incl_vat` are drawn too, for 1–3; their VAT follows the lines' rates, which can move as
//!    the mix of lines changes, so they are not claimed monotonic. Outside these
//!    cases it can decrease, by OCPI's own rule: a step rounding moves to a later component
//!    when the session switches, e.g. from charging to parking; see `PRICING.md`.)

use std::collections::HashMap;

use chargekit_model::pricing::{LiveSession, MeterSample, price_session};
use chargekit_model::tariff::{DayOfWeek, Price, PriceComponent, TariffDimension, TariffElement, TariffRestrictions, TimeOfDay};
use chargekit_model::{Currency, Tariff};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use rust_decimal::{Decimal, RoundingStrategy};
use time::OffsetDateTime;

const ZONE: &str = "Europe/Amsterdam";

fn dimension() -> impl Strategy<Value = TariffDimension> {
    prop_oneof![
        Just(TariffDimension::Energy),
        Just(TariffDimension::Time),
        Just(TariffDimension::ParkingTime),
        Just(TariffDimension::Flat)
    ]
}

fn component(steps_one: bool) -> impl Strategy<Value = PriceComponent> {
    (dimension(), 0i64..600, proptest::option::of(0i64..26), prop_oneof![Just(1u32), 1u32..1000]).prop_map(
        move |(dimension, cents, vat, step)| PriceComponent {
            dimension,
            price: Decimal::new(cents, 2),
            vat: vat.map(Decimal::from),
            step_size: if steps_one { 1 } else { step },
        },
    )
}

fn restrictions() -> impl Strategy<Value = Option<TariffRestrictions>> {
    let time = proptest::option::of((0u8..24, prop_oneof![Just(0u8), Just(30), 0u8..60]));
    let kwh = proptest::option::of((0i64..40_000).prop_map(|wh| Decimal::new(wh, 3)));
    let kw = proptest::option::of((0i64..60_000).prop_map(|w| Decimal::new(w, 3)));
    let amps = proptest::option::of((0i64..64_000).prop_map(|ma| Decimal::new(ma, 3)));
    let secs = proptest::option::of(0i64..6 * 3600);
    let date = proptest::option::of((0i64..400).prop_map(|d| time::macros::date!(2023 - 12 - 01) + time::Duration::days(d)));
    let days = proptest::collection::vec(0u8..7, 0..3);
    let fields = (
        (time.clone(), time, date.clone(), date, days),
        (kwh.clone(), kwh, kw.clone(), kw, amps.clone(), amps, secs.clone(), secs),
    );
    proptest::option::weighted(
        0.7,
        fields.prop_map(|((st, et, sd, ed, days), (mink, maxk, minp, maxp, minc, maxc, mind, maxd))| {
            let tod = |t: Option<(u8, u8)>| t.and_then(|(h, m)| TimeOfDay::new(h, m));
            // Keep each element to a few restrictions so elements do apply now and then.
            let mut r = TariffRestrictions {
                start_time: tod(st),
                end_time: tod(et),
                start_date: sd,
                end_date: ed,
                day_of_week: days.into_iter().map(day).collect(),
                min_kwh: mink,
                max_kwh: maxk,
                min_power: minp,
                max_power: maxp,
                min_current: minc,
                max_current: maxc,
                min_duration: mind,
                max_duration: maxd,
                reservation: None,
            };
            thin_out(&mut r);
            r
        }),
    )
}

fn day(i: u8) -> DayOfWeek {
    use DayOfWeek::*;
    [Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday][usize::from(i)]
}

/// Keeps at most two restriction kinds, chosen by the data itself (deterministic).
fn thin_out(r: &mut TariffRestrictions) {
    let seed = r.min_duration.unwrap_or(7) + r.max_duration.unwrap_or(3);
    let keep = [seed % 7, (seed / 7) % 7];
    let k = |i: i64| keep.contains(&i);
    if !k(0) {
        (r.start_time, r.end_time) = (None, None);
    }
    if !k(1) {
        (r.start_date, r.end_date) = (None, None);
    }
    if !k(2) {
        r.day_of_week.clear();
    }
    if !k(3) {
        (r.min_kwh, r.max_kwh) = (None, None);
    }
    if !k(4) {
        (r.min_power, r.max_power) = (None, None);
    }
    if !k(5) {
        (r.min_current, r.max_current) = (None, None);
    }
    if !k(6) {
        (r.min_duration, r.max_duration) = (None, None);
    }
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

fn tariff(steps_one: bool) -> impl Strategy<Value = Tariff> {
    let element = (proptest::collection::vec(component(steps_one), 1..4), restrictions())
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

/// A tariff with at most one ENERGY and at most one TIME-or-PARKING_TIME component, any steps.
fn single_component_tariff() -> impl Strategy<Value = Tariff> {
    tariff(false).prop_map(|mut t| {
        let (mut energy, mut timed) = (false, false);
        for e in &mut t.elements {
            e.price_components.retain(|c| match c.dimension {
                TariffDimension::Energy => !std::mem::replace(&mut energy, true),
                TariffDimension::Time | TariffDimension::ParkingTime => !std::mem::replace(&mut timed, true),
                TariffDimension::Flat => true,
            });
        }
        t.elements.retain(|e| !e.price_components.is_empty());
        if t.elements.is_empty() {
            t.elements.push(TariffElement {
                price_components: vec![PriceComponent {
                    dimension: TariffDimension::Flat,
                    price: Decimal::ONE,
                    vat: None,
                    step_size: 1,
                }],
                restrictions: None,
            });
        }
        t
    })
}

fn session() -> impl Strategy<Value = Vec<MeterSample>> {
    // Around the DST changes of 2024 (31 March, 27 October, 01:00 UTC) or anywhere in 2024.
    let start = prop_oneof![
        (-6i64 * 3600..6 * 3600).prop_map(|d| 1_711_846_800 + d),
        (-6i64 * 3600..6 * 3600).prop_map(|d| 1_729_990_800 + d),
        1_704_067_200i64..1_735_689_600,
    ];
    samples_from(start, 1_800)
}

/// Sessions that start in the night before a DST change and run well past it, for tariffs
/// with time-of-day restrictions.
fn dst_session() -> impl Strategy<Value = Vec<MeterSample>> {
    let start = prop_oneof![
        (-3i64 * 3600..3600).prop_map(|d| 1_711_846_800 + d),
        (-3i64 * 3600..3600).prop_map(|d| 1_729_990_800 + d),
    ];
    samples_from(start, 7_200)
}

fn samples_from(start: impl Strategy<Value = i64>, longest: i64) -> impl Strategy<Value = Vec<MeterSample>> {
    let stretch = (
        prop_oneof![Just(0i64), 1i64..120, 60i64..longest],
        0i64..8_000,
        any::<bool>(),
        proptest::option::of(0i64..60_000),
        proptest::option::of(0i64..64_000),
    );
    (start, proptest::collection::vec(stretch, 0..14)).prop_map(|(start, stretches)| {
        let mut t = start;
        let mut energy = 0;
        let mut samples = Vec::new();
        for (seconds, wh, charging, power_w, current_ma) in stretches {
            samples.push(MeterSample {
                at: OffsetDateTime::from_unix_timestamp(t).unwrap(),
                energy_wh: energy,
                charging,
                power_w,
                current_ma,
            });
            t += seconds;
            energy += if charging { wh } else { wh / 20 };
        }
        samples.push(MeterSample::parking(OffsetDateTime::from_unix_timestamp(t).unwrap(), energy));
        samples
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn live_view_ends_at_the_cdr_and_matches_the_reference(
        steps_one in any::<bool>(),
        seed in any::<u64>(),
        samples in session(),
    ) {
        let tariff = tariff(steps_one).new_tree(&mut runner_for(seed)).unwrap().current();
        check(&tariff, &samples, steps_one)?;
    }

    #[test]
    fn single_component_tariffs_are_monotonic(seed in any::<u64>(), samples in session()) {
        let tariff = single_component_tariff().new_tree(&mut runner_for(seed)).unwrap().current();
        check(&tariff, &samples, true)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    #[test]
    fn time_of_day_across_dst(seed in any::<u64>(), samples in dst_session()) {
        let mut tariff = tariff(true).new_tree(&mut runner_for(seed)).unwrap().current();
        // Every element restricted by time of day (hours drawn from the seed).
        for (i, e) in tariff.elements.iter_mut().enumerate() {
            let hour = |k: u64| ((seed >> ((8 * i + k as usize) % 56)) % 24) as u8;
            e.restrictions = Some(TariffRestrictions {
                start_time: TimeOfDay::new(hour(0), 0),
                end_time: TimeOfDay::new(hour(3), 30),
                ..Default::default()
            });
        }
        check(&tariff, &samples, true)?;
    }
}

/// Tariffs are drawn from a seed so a failing case prints compactly and shrinks on the session.
fn runner_for(seed: u64) -> proptest::test_runner::TestRunner {
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn check(tariff: &Tariff, samples: &[MeterSample], monotonic: bool) -> Result<(), TestCaseError> {
    let limits_give_incl = [&tariff.min_price, &tariff.max_price].into_iter().flatten().all(|p| p.incl_vat.is_some());
    let monotonic = monotonic && limits_give_incl;
    tariff.validate().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let cdr = price_session(tariff, samples).unwrap();
    let mut live = LiveSession::start(tariff, samples[0]).unwrap();
    let mut previous = live.cost();
    prop_assert_eq!(&previous, &price_session(tariff, &samples[..1]).unwrap().cost);
    for k in 1..samples.len() {
        let predicted = live.cost_with(samples[k]).unwrap();
        live.push(samples[k]).unwrap();
        let now = live.cost();
        prop_assert_eq!(&predicted, &now, "cost_with the sample {} is its cost once pushed", k);
        prop_assert_eq!(&now, &price_session(tariff, &samples[..=k]).unwrap().cost, "prefix {}", k);
        if monotonic {
            prop_assert!(now.total_excl_vat_minor >= previous.total_excl_vat_minor, "excl went down at {}", k);
            prop_assert!(now.total_incl_vat_minor >= previous.total_incl_vat_minor, "incl went down at {}", k);
        }
        previous = now;
    }
    prop_assert_eq!(&live.priced(), &cdr);
    if cdr.limit_applied.is_none() {
        prop_assert_eq!(cdr.cost.total_excl_vat_minor, cdr.cost.items.iter().map(|i| i.excl_vat_minor).sum::<i64>());
        prop_assert_eq!(cdr.cost.total_incl_vat_minor, cdr.cost.items.iter().map(|i| i.incl_vat_minor()).sum::<i64>());
    }
    let energy: i64 = cdr.charging_periods.iter().map(|p| p.energy_wh).sum();
    prop_assert_eq!(energy, samples.last().unwrap().energy_wh - samples[0].energy_wh);
    let expected = reference(tariff, samples);
    prop_assert_eq!((cdr.cost.total_excl_vat_minor, cdr.cost.total_incl_vat_minor), expected);
    Ok(())
}

// ---- The reference model -------------------------------------------------------------------

struct Moment {
    unix: i64,
    elapsed: i64,
    energy_wh: i64,
    power_w: i64,
    current_ma: Option<i64>,
}

fn kilo(milli: i64) -> Decimal {
    Decimal::new(milli, 3)
}

fn applies(r: &Option<TariffRestrictions>, m: &Moment, tz: &TimeZone) -> bool {
    let Some(r) = r else { return true };
    let zoned = tz.to_datetime(Timestamp::from_second(m.unix).unwrap());
    let minutes = i32::from(zoned.hour()) * 60 + i32::from(zoned.minute());
    let tod = |t: TimeOfDay| (t.seconds_of_day() / 60) as i32;
    let time_ok = match (r.start_time.map(tod), r.end_time.map(tod)) {
        (None, None) => true,
        (s, e) => {
            let s = s.unwrap_or(0);
            let e = match e.unwrap_or(0) {
                0 => 24 * 60,
                e => e,
            };
            if s < e { s <= minutes && minutes < e } else if s > e { minutes >= s || minutes < e } else { true }
        }
    };
    let date = zoned.date();
    let date = time::Date::from_calendar_date(
        i32::from(date.year()),
        time::Month::try_from(date.month() as u8).unwrap(),
        date.day() as u8,
    )
    .unwrap();
    let weekday = day(zoned.weekday().to_monday_zero_offset() as u8);
    let within = |v: Decimal, min: Option<Decimal>, max: Option<Decimal>| {
        min.is_none_or(|m| v >= m) && max.is_none_or(|m| v < m)
    };
    let current_ok = match (r.min_current, r.max_current, m.current_ma) {
        (None, None, _) => true,
        (_, _, None) => false,
        (min, max, Some(ma)) => within(kilo(ma), min, max),
    };
    r.reservation.is_none()
        && time_ok
        && r.start_date.is_none_or(|d| date >= d)
        && r.end_date.is_none_or(|d| date < d)
        && (r.day_of_week.is_empty() || r.day_of_week.contains(&weekday))
        && within(kilo(m.energy_wh), r.min_kwh, r.max_kwh)
        && within(kilo(m.power_w), r.min_power, r.max_power)
        && within(Decimal::from(m.elapsed), r.min_duration.map(Decimal::from), r.max_duration.map(Decimal::from))
        && current_ok
}

type Slot = (usize, usize); // (element, component)

fn first_applying(tariff: &Tariff, d: TariffDimension, m: &Moment, tz: &TimeZone) -> Option<Slot> {
    tariff.elements.iter().enumerate().find_map(|(e, el)| {
        let c = el.price_components.iter().position(|c| c.dimension == d)?;
        applies(&el.restrictions, m, tz).then_some((e, c))
    })
}

/// Totals (excl, incl) by walking the session one second at a time.
fn reference(tariff: &Tariff, samples: &[MeterSample]) -> (i64, i64) {
    let tz = TimeZone::get(ZONE).unwrap();
    let start = samples[0].at.unix_timestamp();
    let mut qty: HashMap<Slot, i64> = HashMap::new();
    let (mut flat, mut last_energy, mut last_time) = (None, None, None);
    let mut energy_before = 0;
    let mut visit = |m: &Moment, charging: bool, seconds: i64, wh: i64| {
        if flat.is_none() {
            flat = first_applying(tariff, TariffDimension::Flat, m, &tz);
        }
        if let Some(s) = first_applying(tariff, TariffDimension::Energy, m, &tz) {
            *qty.entry(s).or_default() += wh;
            if wh > 0 {
                last_energy = Some(s);
            }
        }
        let d = if charging { TariffDimension::Time } else { TariffDimension::ParkingTime };
        if let Some(s) = first_applying(tariff, d, m, &tz) {
            *qty.entry(s).or_default() += seconds;
            if seconds > 0 {
                last_time = Some(s);
            }
        }
    };
    let first = &samples[0];
    let power_w = first.power_w.unwrap_or(0);
    visit(&Moment { unix: start, elapsed: 0, energy_wh: 0, power_w, current_ma: first.current_ma }, first.charging, 0, 0);
    for pair in samples.windows(2) {
        let (open, close) = (&pair[0], &pair[1]);
        let (a, b) = (open.at.unix_timestamp(), close.at.unix_timestamp());
        let (length, energy) = (b - a, close.energy_wh - open.energy_wh);
        let power_w = open.power_w.unwrap_or(if open.charging && length > 0 { energy * 3600 / length } else { 0 });
        let delivered = |t: i64| if length == 0 { energy } else { energy * (t - a) / length };
        if length == 0 {
            let m = Moment { unix: a, elapsed: a - start, energy_wh: energy_before, power_w, current_ma: open.current_ma };
            visit(&m, open.charging, 0, energy);
        }
        for t in a..b {
            let m = Moment {
                unix: t,
                elapsed: t - start,
                energy_wh: energy_before + delivered(t),
                power_w,
                current_ma: open.current_ma,
            };
            visit(&m, open.charging, 1, delivered(t + 1) - delivered(t));
        }
        energy_before += energy;
    }
    let component = |(e, c): Slot| &tariff.elements[e].price_components[c];
    let mut billed = qty.clone();
    if let Some(s) = flat {
        billed.insert(s, 1);
    }
    for last in [last_energy, last_time].into_iter().flatten() {
        let d = component(last).dimension;
        let total: i64 = qty.iter().filter(|(s, _)| component(**s).dimension == d).map(|(_, q)| q).sum();
        let step = i64::from(component(last).step_size);
        *billed.get_mut(&last).unwrap() += (total + step - 1) / step * step - total;
    }
    let round = |v: Decimal| i64::try_from(v.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)).unwrap();
    let (mut excl, mut incl) = (0, 0);
    // For a limit without incl_vat: the lines' rates weighted by their exact nets, in integers
    // (prices are whole cents and rates whole percents here): net × 3 600 000 in cents.
    let (mut weight, mut weighted_rate) = (0i128, 0i128);
    for (slot, q) in billed {
        let c = component(slot);
        let unit = match c.dimension {
            TariffDimension::Energy => 1000,
            TariffDimension::Flat => 1,
            _ => 3600,
        };
        let net = round(Decimal::from(q) * c.price * Decimal::ONE_HUNDRED / Decimal::from(unit));
        excl += net;
        incl += net + c.vat.map_or(0, |v| round(Decimal::from(net) * v / Decimal::ONE_HUNDRED));
        let cents = i128::try_from((c.price * Decimal::ONE_HUNDRED).round()).unwrap();
        let scaled = i128::from(q) * cents * (3_600_000 / unit as i128);
        weight += scaled;
        weighted_rate += scaled * i128::try_from(c.vat.unwrap_or_default().round()).unwrap();
    }
    let highest_rate = tariff.elements.iter().flat_map(|e| &e.price_components).map(|c| i128::try_from(c.vat.unwrap_or_default().round()).unwrap()).max().unwrap_or(0);
    // Rounded half away from zero, in integers.
    let div_round = |n: i128, d: i128| i64::try_from((2 * n + d) / (2 * d)).unwrap();
    let with_vat = |e: i64| match weight {
        0 => e + div_round(i128::from(e) * highest_rate, 100),
        w => e + div_round(i128::from(e) * weighted_rate, 100 * w),
    };
    let minor = |p: &Option<Price>| p.as_ref().map(|p| (round(p.excl_vat * Decimal::ONE_HUNDRED), p.incl_vat.map(|i| round(i * Decimal::ONE_HUNDRED))));
    if let Some((e, i)) = minor(&tariff.min_price) {
        let new_excl = excl.max(e);
        incl = match i {
            Some(i) => incl.max(i),
            None if new_excl != excl => with_vat(new_excl),
            None => incl,
        };
        excl = new_excl;
    }
    if let Some((e, i)) = minor(&tariff.max_price) {
        let new_excl = excl.min(e);
        incl = match i {
            Some(i) => incl.min(i),
            None if new_excl != excl => with_vat(new_excl),
            None => incl,
        };
        excl = new_excl;
    }
    (excl, incl)
}

