//! The worked examples of OCPI 2.2.1 (`mod_tariffs.asciidoc` and the `step_size` section of
//! `mod_cdrs.asciidoc`, release-2.2.1-bugfixes), priced from meter samples, with totals checked
//! by hand. Where our per-line rounding or the spec's own arithmetic differs from the printed
//! total, the test says so. Sessions in local time use Europe/Amsterdam (CET, +01:00, in early
//! March 2024: Monday the 4th, Saturday the 9th).

mod common;

use chargekit_model::TariffDimension::{Energy, Flat, ParkingTime, Time};
use chargekit_model::pricing::PriceLimit;
use common::{MIN, Timeline, lines, tariff, totals};
use time::macros::datetime;

const T8_SIMPLE_KWH: &str = r#"{"country_code":"DE","party_id":"ALL","id":"12","currency":"EUR",
  "elements":[{"price_components":[{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}],
  "last_updated":"2018-12-17T11:36:01Z"}"#;
const T9_KWH_START: &str = r#"{"id":"13","currency":"EUR","elements":[{"price_components":[
  {"type":"FLAT","price":0.50,"vat":20.0,"step_size":1},{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"#;
const T12_MIN_PRICE: &str = r#"{"id":"20","currency":"EUR","min_price":{"excl_vat":0.50,"incl_vat":0.55},
  "elements":[{"price_components":[{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}]}"#;
const T10_KWH_PARKING_START: &str = r#"{"id":"17","currency":"EUR","elements":[{"price_components":[
  {"type":"FLAT","price":0.50,"vat":20.0,"step_size":1},{"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1},
  {"type":"PARKING_TIME","price":2.00,"vat":20.0,"step_size":900}]}]}"#;
const T6_MAX_PRICE: &str = r#"{"id":"16","currency":"EUR","max_price":{"excl_vat":10.00,"incl_vat":11.00},
  "elements":[{"price_components":[{"type":"FLAT","price":0.50,"vat":20.0,"step_size":1},
  {"type":"ENERGY","price":0.25,"vat":10.0,"step_size":1}]}],"end_date_time":"2019-06-30T23:59:59Z"}"#;
const T1_2_PER_HOUR: &str = r#"{"id":"1","currency":"EUR","elements":[{"price_components":[
  {"type":"TIME","price":2.00,"vat":10.0,"step_size":60}]}]}"#;
const T13_3_PER_HOUR_5_PARKING: &str = r#"{"id":"21","currency":"EUR","elements":[{"price_components":[
  {"type":"TIME","price":3.00,"vat":10.0,"step_size":60},{"type":"PARKING_TIME","price":5.00,"vat":20.0,"step_size":300}]}]}"#;
/// tariff_4_complex.json, verbatim apart from the location's time zone we add.
const T4_COMPLEX: &str = include_str!("fixtures/tariff_4_complex.json");
const T14_STEP_SIZE: &str = r#"{"id":"22","currency":"EUR","time_zone":"Europe/Amsterdam","elements":[
  {"price_components":[{"type":"TIME","price":1.20,"step_size":1800},{"type":"PARKING_TIME","price":1.00,"step_size":900}],
   "restrictions":{"start_time":"00:00","end_time":"17:00"}},
  {"price_components":[{"type":"TIME","price":2.40,"step_size":900},{"type":"PARKING_TIME","price":1.00,"step_size":900}],
   "restrictions":{"start_time":"17:00","end_time":"20:00"}},
  {"price_components":[{"type":"TIME","price":2.40,"step_size":900}],
   "restrictions":{"start_time":"20:00","end_time":"00:00"}}]}"#;
const MAX_POWER: &str = r#"{"id":"1","currency":"EUR","type":"REGULAR","elements":[
  {"price_components":[{"type":"ENERGY","price":0.20,"vat":20.0,"step_size":1}],"restrictions":{"max_power":16.00}},
  {"price_components":[{"type":"ENERGY","price":0.35,"vat":20.0,"step_size":1}],"restrictions":{"max_power":32.00}},
  {"price_components":[{"type":"ENERGY","price":0.50,"vat":20.0,"step_size":1}]}]}"#;
const MAX_DURATION: &str = r#"{"id":"2","currency":"EUR","type":"REGULAR","elements":[
  {"price_components":[{"type":"ENERGY","price":0.00,"vat":20.0,"step_size":1}],"restrictions":{"max_duration":1800}},
  {"price_components":[{"type":"ENERGY","price":0.25,"vat":20.0,"step_size":1}],"restrictions":{"max_duration":3600}},
  {"price_components":[{"type":"ENERGY","price":0.40,"vat":20.0,"step_size":1}]}]}"#;

/// tariff_free_of_charge (mod_tariffs "Free of Charge Tariff"), verbatim: `step_size` 0.
const T15_FREE_OF_CHARGE: &str = r#"{"country_code":"DE","party_id":"ALL","id":"15","currency":"EUR","type":"REGULAR",
  "elements":[{"price_components":[{"type":"FLAT","price":0.00,"step_size":0}]}],
  "last_updated":"2015-06-29T20:39:09Z"}"#;

fn noon() -> time::OffsetDateTime {
    datetime!(2024-03-04 12:00 +1)
}

#[test]
fn simple_0_25_per_kwh() {
    // 20 kWh × 0.25 = 5.00; 10 % VAT = 0.50.
    let s = Timeline::starting(noon()).charge(2 * 3600, 20_000, None, None).price(&tariff(T8_SIMPLE_KWH));
    assert_eq!(totals(&s), (500, 550));
}

#[test]
fn kwh_plus_start_fee() {
    // 0.50 + 20 % = 0.60; 5.00 + 10 % = 5.50 → 5.50 / 6.10.
    let s = Timeline::starting(noon()).charge(2 * 3600, 20_000, None, None).price(&tariff(T9_KWH_START));
    assert_eq!(totals(&s), (550, 610));
    assert_eq!(lines(&s, Flat), [(1, 50)]);
}

#[test]
fn kwh_with_min_price() {
    let t = tariff(T12_MIN_PRICE);
    let s = Timeline::starting(noon()).charge(3600, 20_000, None, None).price(&t);
    assert_eq!((totals(&s), s.limit_applied), ((500, 550), None));
    // 1 kWh: 0.25 / 0.28 → the minimum 0.50 / 0.55.
    let s = Timeline::starting(noon()).charge(600, 1_000, None, None).price(&t);
    assert_eq!((totals(&s), s.limit_applied), ((50, 55), Some(PriceLimit::MinPrice)));
    assert_eq!(lines(&s, Energy), [(1_000, 25)], "the lines still say what was used");
}

#[test]
fn kwh_parking_and_start_fee() {
    // 20 kWh, then parked 40 min billed as 45 (step 900 s): 0.50 + 5.00 + 1.50 = 7.00;
    // VAT 0.10 + 0.50 + 0.30 → 7.90.
    let s = Timeline::starting(noon()).charge(2 * 3600, 20_000, None, None).park(40 * MIN).price(&tariff(T10_KWH_PARKING_START));
    assert_eq!(totals(&s), (700, 790));
    assert_eq!(lines(&s, ParkingTime), [(45 * MIN, 150)]);
}

#[test]
fn kwh_start_fee_and_max_price() {
    let t = tariff(T6_MAX_PRICE);
    // 50 kWh: 0.50 + 12.50 = 13.00 / 14.35 → capped at 10.00 / 11.00.
    let s = Timeline::starting(noon()).charge(3 * 3600, 50_000, None, None).price(&t);
    assert_eq!((totals(&s), s.limit_applied), ((1000, 1100), Some(PriceLimit::MaxPrice)));
    // 30 kWh: 0.50 + 7.50 = 8.00; VAT 0.10 + 0.75 → 8.85.
    let s = Timeline::starting(noon()).charge(2 * 3600, 30_000, None, None).price(&t);
    assert_eq!((totals(&s), s.limit_applied), ((800, 885), None));
}

#[test]
fn free_of_charge() {
    // The spec's own example: accepted (step_size 0 reads as 1), and a session costs nothing.
    let s = Timeline::starting(noon()).charge(2 * 3600, 20_000, None, None).park(30 * MIN).price(&tariff(T15_FREE_OF_CHARGE));
    assert_eq!(totals(&s), (0, 0));
    assert_eq!(lines(&s, Flat), [(1, 0)]);
}

#[test]
fn two_euro_per_hour() {
    let s = Timeline::starting(noon()).charge(150 * MIN, 30_000, None, None).price(&tariff(T1_2_PER_HOUR));
    assert_eq!(totals(&s), (500, 550));
}

#[test]
fn three_per_hour_five_per_hour_parking() {
    // 150 min × 3.00/h = 7.50 (+0.75); parked 42 min → 45 min × 5.00/h = 3.75 (+0.75).
    let s = Timeline::starting(noon()).charge(150 * MIN, 30_000, None, None).park(42 * MIN).price(&tariff(T13_3_PER_HOUR_5_PARKING));
    assert_eq!(totals(&s), (1125, 1275));
    assert_eq!(lines(&s, Time), [(150 * MIN, 750)]);
    assert_eq!(lines(&s, ParkingTime), [(45 * MIN, 375)]);
}

#[test]
fn complex_monday_morning() {
    // Monday 09:30, 165 min at most 16 A, then 42 min parked (weekday 09:00-18:00 element).
    // Flat 2.50 (+0.375 → 0.38), time 165 min × 1.00/h = 2.75 (+0.55, not stepped: parking
    // follows), parking 42 → 45 min × 5.00/h = 3.75 (+0.375 → 0.38).
    // The spec prints 10.30 incl. VAT from unrounded VAT; we round VAT per line: 10.31.
    let s = Timeline::starting(datetime!(2024-03-04 09:30 +1))
        .charge(165 * MIN, 30_000, None, Some(16_000))
        .park(42 * MIN)
        .price(&tariff(T4_COMPLEX));
    assert_eq!(lines(&s, Flat), [(1, 250)]);
    assert_eq!(lines(&s, Time), [(165 * MIN, 275)]);
    assert_eq!(lines(&s, ParkingTime), [(45 * MIN, 375)]);
    assert_eq!(totals(&s), (900, 1031));
    assert_eq!(s.items.iter().find(|i| i.dimension == Time).unwrap().element, 1);
}

#[test]
fn complex_saturday_afternoon() {
    // Saturday 13:30, 114 min at 43 A (weekend element, 1.25/h), then 71 min parked (Saturday
    // 10:00-17:00, 6.00/h, stepped to 75 min). Time: 114/60 × 1.25 = 2.375 → 2.38 (+0.476 → 0.48).
    // The spec's table prints 2.28 (that is 1.20/h, not the tariff's 1.25/h), see ocpi/ocpi#396.
    let s = Timeline::starting(datetime!(2024-03-09 13:30 +1))
        .charge(114 * MIN, 40_000, None, Some(43_000))
        .park(71 * MIN)
        .price(&tariff(T4_COMPLEX));
    assert_eq!(lines(&s, Time), [(114 * MIN, 238)]);
    assert_eq!(lines(&s, ParkingTime), [(75 * MIN, 750)]);
    assert_eq!(totals(&s), (250 + 238 + 750, 250 + 38 + 238 + 48 + 750 + 75));
}

#[test]
fn step_size_switching_element_1() {
    // 16:55 charge 10 min (5 min at 1.20/h, 5 min at 2.40/h), park 2 min → 15 min at 1.00/h.
    let s = Timeline::starting(datetime!(2024-03-04 16:55 +1)).charge(10 * MIN, 2_000, None, None).park(2 * MIN).price(&tariff(T14_STEP_SIZE));
    assert_eq!(lines(&s, Time), [(5 * MIN, 10), (5 * MIN, 20)]);
    assert_eq!(lines(&s, ParkingTime), [(15 * MIN, 25)]);
    assert_eq!(totals(&s), (55, 55));
    // The engine cut the single charging stretch at 17:00 local.
    assert_eq!(s.ocpi_charging_periods()[1].start_date_time, datetime!(2024-03-04 16:00 UTC));
    assert_eq!(s.charging_periods[1].start_offset_seconds, 5 * MIN);
}

#[test]
fn step_size_switching_element_2() {
    // 16:35 charge 35 min: the total 35 min is stepped to 45 by the last component (900 s);
    // 25 min at 1.20/h = 0.50, 10 + 10 min at 2.40/h = 0.80.
    let s = Timeline::starting(datetime!(2024-03-04 16:35 +1)).charge(35 * MIN, 5_000, None, None).price(&tariff(T14_STEP_SIZE));
    assert_eq!(lines(&s, Time), [(25 * MIN, 50), (20 * MIN, 80)]);
    assert_eq!(totals(&s), (130, 130));
}

#[test]
fn step_size_switching_to_free_of_charge() {
    // 19:40 charge 12 min (2.40/h = 0.48), park 20 min: 8 min before 20:00 are billable, stepped
    // to 15 min (0.25); after 20:00 parking has no component: free. Total 0.73 (ocpi/ocpi#546).
    let s = Timeline::starting(datetime!(2024-03-04 19:40 +1)).charge(12 * MIN, 2_000, None, None).park(20 * MIN).price(&tariff(T14_STEP_SIZE));
    assert_eq!(lines(&s, Time), [(12 * MIN, 48)]);
    assert_eq!(lines(&s, ParkingTime), [(15 * MIN, 25)]);
    assert_eq!(totals(&s), (73, 73));
}

#[test]
fn max_power_restriction() {
    // 1 kWh at 6 kW (0.20), 40 kWh at 48 kW (fallback 0.50), 0.5 kWh at 4 kW (0.20): 20.30.
    let s = Timeline::starting(noon())
        .charge(10 * MIN, 1_000, Some(6_000), None)
        .charge(50 * MIN, 40_000, Some(48_000), None)
        .charge(450, 500, Some(4_000), None)
        .price(&tariff(MAX_POWER));
    assert_eq!(lines(&s, Energy), [(1_500, 30), (40_000, 2000)]);
    assert_eq!(s.cost.total_excl_vat_minor, 2030);
}

#[test]
fn max_duration_restriction() {
    // 5 kWh in the first 30 min (free), 1.2 kWh in the next 10 min at 0.25: 0.30.
    let t = tariff(MAX_DURATION);
    let s = Timeline::starting(noon()).charge(30 * MIN, 5_000, None, None).charge(10 * MIN, 1_200, None, None).price(&t);
    assert_eq!(lines(&s, Energy), [(5_000, 0), (1_200, 30)]);
    // The same energy reported in one 40-minute stretch is shared in proportion to time:
    // 6200 × 30/40 = 4650 Wh free, 1550 Wh × 0.25 = 0.3875 → 0.39.
    let s = Timeline::starting(noon()).charge(40 * MIN, 6_200, None, None).price(&t);
    assert_eq!(lines(&s, Energy), [(4_650, 0), (1_550, 39)]);
}

const ENERGY_17H: &str = r#"{"id":"e","currency":"EUR","time_zone":"Europe/Amsterdam","elements":[
  {"price_components":[{"type":"ENERGY","price":0.20,"step_size":500}],"restrictions":{"end_time":"17:00"}},
  {"price_components":[{"type":"ENERGY","price":0.27,"step_size":500}]}]}"#;
const TIME_17H: &str = r#"{"id":"t","currency":"EUR","time_zone":"Europe/Amsterdam","elements":[
  {"price_components":[{"type":"TIME","price":5.00,"step_size":600}],"restrictions":{"end_time":"17:00"}},
  {"price_components":[{"type":"TIME","price":7.00,"step_size":600}]}]}"#;
const TIME_AND_PARKING: &str = r#"{"id":"tp","currency":"EUR","elements":[{"price_components":[
  {"type":"TIME","price":1.00,"step_size":600},{"type":"PARKING_TIME","price":2.00,"step_size":600}]}]}"#;

#[test]
fn cdr_step_size_energy_total() {
    // 4.3 kWh before 17:00, 1.1 after: 5.4 kWh total, stepped to 5.5; the extra 0.1 goes after
    // 17:00: 4.3 × 0.20 = 0.86, 1.2 × 0.27 = 0.324 → 0.32.
    let s = Timeline::starting(datetime!(2024-03-04 16:00 +1))
        .charge(60 * MIN, 4_300, None, None)
        .charge(20 * MIN, 1_100, None, None)
        .price(&tariff(ENERGY_17H));
    assert_eq!(lines(&s, Energy), [(4_300, 86), (1_200, 32)]);
}

#[test]
fn cdr_step_size_time_total() {
    // 6 min before 17:00, 22 after: 28 → 30 min; 6 min × 5/h = 0.50, 24 min × 7/h = 2.80.
    let s = Timeline::starting(datetime!(2024-03-04 16:54 +1)).charge(28 * MIN, 3_000, None, None).price(&tariff(TIME_17H));
    assert_eq!(lines(&s, Time), [(6 * MIN, 50), (24 * MIN, 280)]);
}

#[test]
fn cdr_step_size_time_then_parking() {
    // 21 min charging (not stepped), 16 min parked stepped to 20: 0.35 + 0.6667 → 0.67.
    let s = Timeline::starting(noon()).charge(21 * MIN, 3_000, None, None).park(16 * MIN).price(&tariff(TIME_AND_PARKING));
    assert_eq!(lines(&s, Time), [(21 * MIN, 35)]);
    assert_eq!(lines(&s, ParkingTime), [(20 * MIN, 67)]);
    assert_eq!(totals(&s), (102, 102));
}

#[test]
fn ocpi_periods_for_the_cdr() {
    let s = Timeline::starting(datetime!(2024-03-04 16:55 +1)).charge(10 * MIN, 2_000, None, None).park(2 * MIN).price(&tariff(T14_STEP_SIZE));
    let periods = s.ocpi_charging_periods();
    let json = serde_json::to_value(&periods).unwrap();
    assert_eq!(json[0]["start_date_time"], "2024-03-04T15:55:00Z");
    assert_eq!(json[0]["dimensions"][0], serde_json::json!({"type": "ENERGY", "volume": "1.000"}));
    assert_eq!(json[0]["dimensions"][1], serde_json::json!({"type": "TIME", "volume": "0.083333"}));
    assert_eq!(json[2]["dimensions"][1]["type"], "PARKING_TIME");
    assert_eq!(json[2]["tariff_id"], "22");
}
