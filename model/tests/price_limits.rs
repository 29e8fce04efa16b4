//! `min_price` / `max_price` without `incl_vat` (OCPI 2.2.1 `Price`: `excl_vat` required,
//! `incl_vat` optional), priced by hand. The VAT on an adjusted total follows the rates of the
//! lines, weighted by their unrounded net amounts; with nothing priced yet, the tariff's rate
//! (the highest, if it has several). See `PRICING.md`, "Rounding and money".

mod common;

use chargekit_model::pricing::{LiveSession, MeterSample, PriceLimit};
use common::{MIN, Timeline, tariff};
use time::macros::datetime;

const MIN_2_AT_21: &str = r#"{"id":"m","currency":"EUR","min_price":{"excl_vat":2.00},
  "elements":[{"price_components":[{"type":"ENERGY","price":0.30,"vat":21.0,"step_size":1}]}]}"#;
const MAX_2_AT_21: &str = r#"{"id":"x","currency":"EUR","max_price":{"excl_vat":2.00},
  "elements":[{"price_components":[{"type":"ENERGY","price":0.30,"vat":21.0,"step_size":1}]}]}"#;
const MIN_5_FLAT_20_ENERGY_10: &str = r#"{"id":"f","currency":"EUR","min_price":{"excl_vat":5.00},
  "elements":[{"price_components":[{"type":"FLAT","price":0.50,"vat":20.0,"step_size":1},
  {"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"#;
const MIN_2_TIME_10_ENERGY_21: &str = r#"{"id":"z","currency":"EUR","min_price":{"excl_vat":2.00},
  "elements":[{"price_components":[{"type":"TIME","price":1.00,"vat":10.0,"step_size":1},
  {"type":"ENERGY","price":0.30,"vat":21.0,"step_size":1}]}]}"#;

fn start() -> time::OffsetDateTime {
    datetime!(2024-03-04 12:00 UTC)
}

/// (excl, VAT, incl) of a session charging `wh` in 10 minutes.
fn charged(json: &str, wh: i64) -> ((i64, i64, i64), Option<PriceLimit>) {
    let s = Timeline::starting(start()).charge(10 * MIN, wh, None, None).price(&tariff(json));
    ((s.cost.total_excl_vat_minor, s.cost.total_vat_minor, s.cost.total_incl_vat_minor), s.limit_applied)
}

#[test]
fn vat_on_a_minimum_is_the_rate_of_the_minimum_whatever_the_energy() {
    // 21 % of 2.00 = 0.42, always. Scaling the rounded line VAT gave 0.40 (1 kWh: 0.06 × 200/30),
    // 0.43 (2.345 kWh: 0.15 × 200/70), 0.44 (0.6 kWh: 0.04 × 200/18) and 0.00 (nothing used).
    for wh in [0, 600, 1_000, 2_345, 6_000] {
        assert_eq!(charged(MIN_2_AT_21, wh), ((200, 42, 242), Some(PriceLimit::MinPrice)), "{wh} Wh");
    }
    // Above the minimum the lines make the total: 10 kWh × 0.30 = 3.00, VAT 0.63.
    assert_eq!(charged(MIN_2_AT_21, 10_000), ((300, 63, 363), None));
}

#[test]
fn the_live_total_under_a_minimum_holds_still() {
    let t = tariff(MIN_2_AT_21);
    let mut live = LiveSession::start(&t, MeterSample::charging(start(), 0)).unwrap();
    for (minute, wh) in [(1, 600), (2, 1_000), (3, 2_345), (4, 5_000)] {
        live.push(MeterSample::charging(start() + time::Duration::minutes(minute), wh)).unwrap();
        let cost = live.cost();
        assert_eq!((cost.total_excl_vat_minor, cost.total_vat_minor, cost.total_incl_vat_minor), (200, 42, 242), "{wh} Wh");
    }
}

#[test]
fn vat_on_a_maximum_follows_the_line_rate() {
    // 7.777 kWh × 0.30 = 2.3331 → capped at 2.00 excl; 21 % → 0.42.
    assert_eq!(charged(MAX_2_AT_21, 7_777), ((200, 42, 242), Some(PriceLimit::MaxPrice)));
}

#[test]
fn vat_on_a_minimum_with_two_rates_is_weighted_by_the_unrounded_nets() {
    // Flat 0.50 at 20 %, 1.234 kWh × 0.25 = 0.3085 at 10 %: the rate on the minimum is
    // (0.50 × 20 + 0.3085 × 10) / 0.8085 = 16.1843… %; 5.00 × that = 0.8092 → 0.81.
    // (From the rounded lines: VAT 0.10 + 0.03 on 0.81, scaled to 5.00: 0.8025 → 0.80.)
    assert_eq!(charged(MIN_5_FLAT_20_ENERGY_10, 1_234), ((500, 81, 581), Some(PriceLimit::MinPrice)));
}

#[test]
fn vat_on_a_minimum_with_nothing_priced_is_the_highest_rate_of_the_tariff() {
    // No time, no energy: nothing weighs the rates, so the highest one (21 %) applies: 0.42.
    let s = Timeline::starting(start()).charge(0, 0, None, None).price(&tariff(MIN_2_TIME_10_ENERGY_21));
    assert_eq!((s.cost.total_excl_vat_minor, s.cost.total_vat_minor), (200, 42));
    // One minute and no energy: only time is priced, at 10 %: 0.20.
    let s = Timeline::starting(start()).charge(MIN, 0, None, None).price(&tariff(MIN_2_TIME_10_ENERGY_21));
    assert_eq!((s.cost.total_excl_vat_minor, s.cost.total_vat_minor), (200, 20));
}

#[test]
fn the_totals_only_price_follows_the_same_rule() {
    let usage = chargekit_model::SessionUsage { energy_wh: 600, charging_seconds: 600, parking_seconds: 0 };
    let cost = chargekit_model::price(&tariff(MIN_2_AT_21), &usage);
    assert_eq!((cost.total_excl_vat_minor, cost.total_vat_minor, cost.total_incl_vat_minor), (200, 42, 242));
}
