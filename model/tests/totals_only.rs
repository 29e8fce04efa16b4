//! `price()`, the totals-only entry point the server and the core call today, as a thin case of
//! the engine: unchanged for tariffs without restrictions, and what it does with restrictions.

use chargekit_model::{Currency, SessionUsage, Tariff, TariffDimension, price};
use rust_decimal::Decimal;

fn tariff(json: &str) -> Tariff {
    serde_json::from_str(json).unwrap()
}

fn usage(energy_wh: i64, charging_seconds: i64, parking_seconds: i64) -> SessionUsage {
    SessionUsage { energy_wh, charging_seconds, parking_seconds }
}

#[test]
fn an_empty_session_shows_every_price_and_the_start_fee() {
    let t = tariff(r#"{"id":"t","currency":"EUR","elements":[{"price_components":[
      {"type":"ENERGY","price":"0.39"},{"type":"TIME","price":"1.20"},{"type":"PARKING_TIME","price":"2"},
      {"type":"FLAT","price":"0.50","vat":19}]}]}"#);
    let cost = price(&t, &SessionUsage::default());
    let dims: Vec<_> = cost.items.iter().map(|i| i.dimension).collect();
    use TariffDimension::*;
    assert_eq!(dims, [Energy, Time, ParkingTime, Flat]);
    assert_eq!(cost.total_incl_vat_minor, 50 + 10);
}

/// The one rule change from the first engine: with both TIME and PARKING_TIME used, OCPI
/// applies step_size once to the two together, on the dimension that came last (parking).
/// The first engine rounded each. The server passes parking_seconds = 0 today, so its bills
/// do not change.
#[test]
fn time_and_parking_share_one_step() {
    let t = tariff(r#"{"id":"t","currency":"EUR","elements":[{"price_components":[
      {"type":"TIME","price":"6","step_size":300},{"type":"PARKING_TIME","price":"6","step_size":300}]}]}"#);
    let cost = price(&t, &usage(0, 301, 1));
    assert_eq!(cost.items[0].billed_quantity, 301, "charging is not stepped when parking follows");
    assert_eq!(cost.items[1].billed_quantity, 300);
    let cost = price(&t, &usage(0, 301, 0));
    assert_eq!(cost.items[0].billed_quantity, 600, "charging alone is stepped as before");
}

#[test]
fn duration_energy_and_average_power_restrictions_apply_without_a_clock() {
    // Free for the first 30 min, then 0.30/kWh; 0.60/kWh from 11 kW (average) up.
    let t = tariff(r#"{"id":"t","currency":"EUR","elements":[
      {"price_components":[{"type":"ENERGY","price":"0.60"}],"restrictions":{"min_power":11,"min_duration":1800}},
      {"price_components":[{"type":"ENERGY","price":"0"}],"restrictions":{"max_duration":1800}},
      {"price_components":[{"type":"ENERGY","price":"0.30"}]}]}"#);
    // 1 h at 7.2 kW: half free, 3.6 kWh × 0.30 = 1.08.
    assert_eq!(price(&t, &usage(7_200, 3_600, 0)).total_excl_vat_minor, 108);
    // 1 h at 22 kW: half free, 11 kWh × 0.60 = 6.60.
    assert_eq!(price(&t, &usage(22_000, 3_600, 0)).total_excl_vat_minor, 660);
}

#[test]
fn clock_restrictions_never_match_without_a_clock() {
    let t = tariff(r#"{"id":"t","currency":"EUR","time_zone":"Europe/Berlin","elements":[
      {"price_components":[{"type":"ENERGY","price":"0.10"}],"restrictions":{"start_time":"00:00","end_time":"00:00"}},
      {"price_components":[{"type":"ENERGY","price":"0.50"}]}]}"#);
    t.validate().unwrap();
    assert_eq!(price(&t, &usage(1_000, 60, 0)).total_excl_vat_minor, 50);
}

#[test]
fn validation_of_the_new_fields() {
    let with = |extra: &str| {
        tariff(&format!(r#"{{"id":"t","currency":"EUR",{extra}"elements":[{{"price_components":[
          {{"type":"ENERGY","price":"0.30"}}],"restrictions":{{"start_time":"08:00"}}}}]}}"#))
        .validate()
    };
    assert!(matches!(with(""), Err(chargekit_model::tariff::TariffError::MissingTimeZone { .. })));
    assert!(matches!(with(r#""time_zone":"Mars/Olympus","#), Err(chargekit_model::tariff::TariffError::UnknownTimeZone { .. })));
    with(r#""time_zone":"Europe/Amsterdam","#).unwrap();
    let limits = r#""time_zone":"UTC","min_price":{"excl_vat":5},"max_price":{"excl_vat":4},"#;
    assert!(matches!(with(limits), Err(chargekit_model::tariff::TariffError::BadPriceLimit { .. })));
    assert!(serde_json::from_str::<Tariff>(r#"{"id":"t","currency":"EUR","elements":[{"price_components":[],
      "restrictions":{"start_time":"8:00"}}]}"#).is_err(), "HH:MM with leading zeros only");
    // Written back as OCPI.
    let t = Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::ONE, Decimal::ONE, None);
    let json = serde_json::to_value(&t).unwrap();
    assert!(json.get("min_price").is_none() && json["elements"][0].get("restrictions").is_none());
}
