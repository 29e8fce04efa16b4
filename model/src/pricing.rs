//! The one pricing engine. The live cost on the phone and the final bill both come from
//! [`price`], so they agree to the minor unit.
//!
//! Rules (explicit, so a receipt can be recomputed by hand):
//! - each dimension is billed from the first component of its type ([`Tariff::component`]);
//! - the billed quantity is the used quantity rounded *up* to the component's `step_size`
//!   (Wh for energy, seconds for time), applied to the session total of that dimension;
//! - each item's net amount is computed exactly in decimals, then rounded half away from zero
//!   to minor units; its VAT is computed on that rounded net amount and rounded the same way;
//! - totals are sums of the rounded items, so the items always add up to the total.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, round_half_away_from_zero};
use crate::tariff::{Tariff, TariffDimension};

const WH_PER_KWH: i64 = 1000;
const SECONDS_PER_HOUR: i64 = 3600;

/// What a session used so far (or in total, at the end).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUsage {
    pub energy_wh: i64,
    /// Seconds from the start of the transaction while charging.
    pub charging_seconds: i64,
    /// Seconds plugged in but not charging.
    pub parking_seconds: i64,
}

/// One line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostItem {
    pub dimension: TariffDimension,
    /// The quantity billed after step rounding: Wh for energy, seconds for time and parking,
    /// 1 for flat.
    pub billed_quantity: i64,
    /// Price per kWh, per hour or per session, excluding VAT, in major units.
    pub unit_price: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_percent: Option<Decimal>,
    pub excl_vat_minor: i64,
    pub vat_minor: i64,
}

impl CostItem {
    pub fn incl_vat_minor(&self) -> i64 {
        self.excl_vat_minor + self.vat_minor
    }
}

/// An itemized cost. The driver pays `total_incl_vat_minor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    pub currency: Currency,
    pub items: Vec<CostItem>,
    pub total_excl_vat_minor: i64,
    pub total_vat_minor: i64,
    pub total_incl_vat_minor: i64,
}

/// Prices `usage` under `tariff`.
pub fn price(tariff: &Tariff, usage: &SessionUsage) -> Cost {
    let currency = tariff.currency;
    let dimensions = [
        (TariffDimension::Energy, usage.energy_wh, WH_PER_KWH),
        (TariffDimension::Time, usage.charging_seconds, SECONDS_PER_HOUR),
        (TariffDimension::ParkingTime, usage.parking_seconds, SECONDS_PER_HOUR),
        (TariffDimension::Flat, 1, 1),
    ];
    let items: Vec<CostItem> = dimensions
        .into_iter()
        .filter_map(|(dimension, used, units_per_priced_unit)| {
            let component = tariff.component(dimension)?;
            let billed_quantity = round_up_to_step(used.max(0), i64::from(component.step_size));
            let net = Decimal::from(billed_quantity) * component.price / Decimal::from(units_per_priced_unit);
            let excl_vat_minor = currency.round_to_minor(net);
            let vat_minor = component.vat.map_or(0, |rate| {
                round_half_away_from_zero(Decimal::from(excl_vat_minor) * rate / Decimal::ONE_HUNDRED)
            });
            Some(CostItem {
                dimension,
                billed_quantity,
                unit_price: component.price,
                vat_percent: component.vat,
                excl_vat_minor,
                vat_minor,
            })
        })
        .collect();
    let total_excl_vat_minor = items.iter().map(|i| i.excl_vat_minor).sum();
    let total_vat_minor = items.iter().map(|i| i.vat_minor).sum();
    Cost {
        currency,
        items,
        total_excl_vat_minor,
        total_vat_minor,
        total_incl_vat_minor: total_excl_vat_minor + total_vat_minor,
    }
}

/// Rounds a non-negative quantity up to a multiple of `step` (at least 1).
fn round_up_to_step(quantity: i64, step: i64) -> i64 {
    let step = step.max(1);
    (quantity + step - 1) / step * step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tariff::{PriceComponent, TariffElement};
    use proptest::prelude::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn usage(energy_wh: i64, charging_seconds: i64) -> SessionUsage {
        SessionUsage { energy_wh, charging_seconds, parking_seconds: 0 }
    }

    #[test]
    fn energy_and_time_by_hand() {
        let tariff = Tariff::per_kwh_and_hour("t", Currency::EUR, dec("0.39"), dec("2.40"), None);
        let cost = price(&tariff, &usage(12_345, 1_800));
        // 12.345 kWh × 0.39 = 4.81455 → 4.81; 0.5 h × 2.40 = 1.20.
        assert_eq!(cost.items[0].excl_vat_minor, 481);
        assert_eq!(cost.items[1].excl_vat_minor, 120);
        assert_eq!(cost.total_incl_vat_minor, 601);
        assert_eq!(cost.total_vat_minor, 0);
    }

    #[test]
    fn vat_on_rounded_net() {
        let tariff = Tariff::per_kwh_and_hour("t", Currency::EUR, dec("0.30"), dec("0"), Some(dec("19")));
        let cost = price(&tariff, &usage(10_050, 0));
        // 10.05 kWh × 0.30 = 3.015 → 3.02 net; VAT 19 % of 3.02 = 0.5738 → 0.57.
        assert_eq!(cost.items[0].excl_vat_minor, 302);
        assert_eq!(cost.items[0].vat_minor, 57);
        assert_eq!(cost.total_incl_vat_minor, 359);
    }

    #[test]
    fn step_size_rounds_up_and_flat_is_once() {
        let tariff = Tariff {
            id: "t".into(),
            currency: Currency::EUR,
            elements: vec![TariffElement {
                price_components: vec![
                    PriceComponent { dimension: TariffDimension::Flat, price: dec("1.00"), vat: None, step_size: 1 },
                    PriceComponent { dimension: TariffDimension::Time, price: dec("6.00"), vat: None, step_size: 300 },
                    PriceComponent { dimension: TariffDimension::Energy, price: dec("0.50"), vat: None, step_size: 1000 },
                ],
            }],
        };
        let cost = price(&tariff, &usage(1, 301));
        let by = |d| cost.items.iter().find(|i| i.dimension == d).unwrap().clone();
        assert_eq!(by(TariffDimension::Energy).billed_quantity, 1000);
        assert_eq!(by(TariffDimension::Energy).excl_vat_minor, 50);
        assert_eq!(by(TariffDimension::Time).billed_quantity, 600);
        assert_eq!(by(TariffDimension::Time).excl_vat_minor, 100);
        assert_eq!(by(TariffDimension::Flat).excl_vat_minor, 100);
        assert_eq!(cost.total_incl_vat_minor, 250);
    }

    #[test]
    fn zero_decimal_currency() {
        let jpy = Currency::new("JPY").unwrap();
        let tariff = Tariff::per_kwh_and_hour("t", jpy, dec("55"), dec("0"), Some(dec("10")));
        let cost = price(&tariff, &usage(1_500, 0));
        assert_eq!(cost.items[0].excl_vat_minor, 83); // 82.5 → 83
        assert_eq!(cost.items[0].vat_minor, 8); // 8.3 → 8
    }

    proptest! {
        /// The live cost never goes down while a session goes on: more energy or more time
        /// never costs less. The live display relies on it.
        #[test]
        fn cost_is_monotonic(
            e in 0i64..500_000, de in 0i64..10_000, t in 0i64..100_000, dt in 0i64..3_600,
            energy_price in 0u32..2_000, time_price in 0u32..2_000, vat in 0u32..30,
            energy_step in 1u32..2_000, time_step in 1u32..900,
        ) {
            let mut tariff = Tariff::per_kwh_and_hour("p", Currency::EUR,
                Decimal::new(energy_price.into(), 3), Decimal::new(time_price.into(), 2), Some(vat.into()));
            tariff.elements[0].price_components[0].step_size = energy_step;
            tariff.elements[0].price_components[1].step_size = time_step;
            let before = price(&tariff, &usage(e, t));
            let after = price(&tariff, &usage(e + de, t + dt));
            prop_assert!(after.total_incl_vat_minor >= before.total_incl_vat_minor);
            prop_assert_eq!(before.total_incl_vat_minor,
                before.items.iter().map(CostItem::incl_vat_minor).sum::<i64>());
        }
    }
}
