//! From accumulated quantities to money: step sizes, one rounded line per price component, VAT,
//! and the tariff's `min_price` / `max_price`. Reading only the state, so the live view can ask
//! for a bill after every sample without changing what comes next.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::engine::{Engine, State, rank};
use super::{Cost, CostItem};
use crate::money::{Currency, round_half_away_from_zero};
use crate::tariff::{Price, Tariff, TariffDimension};

/// One line of a detailed receipt: one price component of one tariff element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedItem {
    pub dimension: TariffDimension,
    /// Index in `Tariff::elements`.
    pub element: usize,
    /// What this component priced: Wh for energy, seconds for time and parking, 1 for flat.
    pub used_quantity: i64,
    /// `used_quantity` plus what the step size added (only ever on the last component of its
    /// group, see `PRICING.md`).
    pub billed_quantity: i64,
    pub unit_price: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_percent: Option<Decimal>,
    pub excl_vat_minor: i64,
    pub vat_minor: i64,
}

/// Which of the tariff's limits set the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceLimit {
    MinPrice,
    MaxPrice,
}

/// A tariff's min/max price in minor units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    excl: i64,
    incl: Option<i64>,
}

impl Limit {
    pub fn new(price: Option<&Price>, currency: Currency) -> Option<Self> {
        price.map(|p| Self {
            excl: currency.round_to_minor(p.excl_vat),
            incl: p.incl_vat.map(|v| currency.round_to_minor(v)),
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub min: Option<Limit>,
    pub max: Option<Limit>,
    /// The VAT rate (percent) of a limit without `incl_vat` when nothing was priced to weigh
    /// the line rates with: the highest rate of the tariff (absent VAT counts as 0 %).
    pub fallback_vat_percent: Decimal,
}

impl Limits {
    pub fn new(tariff: &Tariff) -> Self {
        let rates = tariff.elements.iter().flat_map(|e| &e.price_components).map(|c| c.vat.unwrap_or_default());
        Self {
            min: Limit::new(tariff.min_price.as_ref(), tariff.currency),
            max: Limit::new(tariff.max_price.as_ref(), tariff.currency),
            fallback_vat_percent: rates.max().unwrap_or_default(),
        }
    }
}

/// The line rates weighted by the lines' unrounded net amounts: the VAT a limit without
/// `incl_vat` puts on the total it sets. Nets are kept scaled by a common factor (3 600 000 per
/// unit price: Wh × 3600, seconds × 1000, flat × 3 600 000), which leaves the weights alone and
/// keeps them exact decimals, so one division at the end is all the rounding there is.
#[derive(Debug, Clone, Copy, Default)]
struct VatWeights {
    /// Σ scaled net.
    net: Decimal,
    /// Σ scaled net × rate (percent).
    vat: Decimal,
}

impl VatWeights {
    fn add(&mut self, quantity: i64, dimension: TariffDimension, price: Decimal, vat_percent: Option<Decimal>) {
        let scale = Decimal::from(3_600_000 / units_per_priced_unit(dimension));
        let net = Decimal::from(quantity) * price * scale;
        self.net += net;
        self.vat += net * vat_percent.unwrap_or_default();
    }

    /// The VAT on a total of `excl` minor units, rounded half away from zero.
    fn vat_on(&self, excl: i64, fallback_percent: Decimal) -> i64 {
        let excl = Decimal::from(excl);
        let hundred = Decimal::ONE_HUNDRED;
        let vat = if self.net.is_zero() {
            excl * fallback_percent / hundred
        } else {
            // Multiplying first keeps it exact; on overflow (absurd amounts), the rate first.
            excl.checked_mul(self.vat)
                .and_then(|v| v.checked_div(self.net * hundred))
                .unwrap_or_else(|| excl * (self.vat / self.net) / hundred)
        };
        round_half_away_from_zero(vat)
    }
}

const WH_PER_KWH: i64 = 1000;
const SECONDS_PER_HOUR: i64 = 3600;

fn units_per_priced_unit(d: TariffDimension) -> i64 {
    match d {
        TariffDimension::Energy => WH_PER_KWH,
        TariffDimension::Time | TariffDimension::ParkingTime => SECONDS_PER_HOUR,
        TariffDimension::Flat => 1,
    }
}

/// Rounds a non-negative quantity up to a multiple of `step` (at least 1).
pub(crate) fn round_up_to_step(quantity: i64, step: i64) -> i64 {
    // Saturating: a charger's absurd reading must price (and be caught), not overflow.
    let step = step.max(1);
    let quantity = quantity.max(0);
    match quantity % step {
        0 => quantity,
        rest => quantity.saturating_add(step - rest),
    }
}

/// What the step size adds to the `last` slot: the total of the slots of `dimension` rounded
/// up to the last slot's step, minus that total.
fn step_extra(engine: &Engine, state: &State, last: Option<u32>) -> Option<(usize, i64)> {
    let last = last? as usize;
    let dimension = engine.slots[last].dimension;
    let total: i64 = engine
        .slots
        .iter()
        .zip(&state.qty)
        .filter(|(s, _)| s.dimension == dimension)
        .map(|(_, q)| q)
        .sum();
    Some((last, round_up_to_step(total, engine.slots[last].step) - total))
}

pub(crate) fn bill(engine: &Engine, state: &State, limits: &Limits) -> (Vec<PricedItem>, Cost, Option<PriceLimit>) {
    let currency = engine.currency;
    let extras = [step_extra(engine, state, state.last_energy_slot), step_extra(engine, state, state.last_time_slot)];
    let mut weights = VatWeights::default();
    let mut order = state.seen_order.clone();
    order.sort_by_key(|&s| rank(engine.slots[s as usize].dimension));
    let items: Vec<PricedItem> = order
        .into_iter()
        .map(|slot| {
            let slot = slot as usize;
            let component = &engine.slots[slot];
            let used_quantity = state.qty[slot];
            let extra: i64 = extras.iter().flatten().filter(|(s, _)| *s == slot).map(|(_, e)| e).sum();
            let billed_quantity = used_quantity + extra;
            weights.add(billed_quantity, component.dimension, component.price, component.vat);
            let net = Decimal::from(billed_quantity) * component.price
                / Decimal::from(units_per_priced_unit(component.dimension));
            let excl_vat_minor = currency.round_to_minor(net);
            let vat_minor = component.vat.map_or(0, |rate| {
                round_half_away_from_zero(Decimal::from(excl_vat_minor) * rate / Decimal::ONE_HUNDRED)
            });
            PricedItem {
                dimension: component.dimension,
                element: component.element,
                used_quantity,
                billed_quantity,
                unit_price: component.price,
                vat_percent: component.vat,
                excl_vat_minor,
                vat_minor,
            }
        })
        .collect();
    let items = drop_idle_lines(items);
    let excl: i64 = items.iter().map(|i| i.excl_vat_minor).sum();
    let vat: i64 = items.iter().map(|i| i.vat_minor).sum();
    let (excl_total, incl_total, applied) =
        apply_limits(excl, excl + vat, limits, |new_excl| new_excl + weights.vat_on(new_excl, limits.fallback_vat_percent));
    let cost = Cost {
        currency,
        items: items.iter().map(cost_item).collect(),
        total_excl_vat_minor: excl_total,
        total_vat_minor: incl_total - excl_total,
        total_incl_vat_minor: incl_total,
    };
    (items, cost, applied)
}

/// A component that applied but priced nothing (the parking price while charging) is a line
/// only if nothing else of its dimension was billed: the receipt then still shows the price
/// that applies (as an empty session does), without a zero line beside every real one.
fn drop_idle_lines(items: Vec<PricedItem>) -> Vec<PricedItem> {
    let billed = |d: TariffDimension| items.iter().any(|i| i.dimension == d && i.billed_quantity != 0);
    let keep: Vec<bool> = items
        .iter()
        .enumerate()
        .map(|(n, i)| {
            i.billed_quantity != 0
                || (!billed(i.dimension) && !items[..n].iter().any(|j| j.dimension == i.dimension))
        })
        .collect();
    items.into_iter().zip(keep).filter_map(|(i, k)| k.then_some(i)).collect()
}

fn cost_item(i: &PricedItem) -> CostItem {
    CostItem {
        dimension: i.dimension,
        billed_quantity: i.billed_quantity,
        unit_price: i.unit_price,
        vat_percent: i.vat_percent,
        excl_vat_minor: i.excl_vat_minor,
        vat_minor: i.vat_minor,
    }
}

/// OCPI: excluding VAT and including VAT are limited each on its own. A limit without
/// `incl_vat` sets the total including VAT to `incl_of(new excl)`: the new total plus its VAT
/// at the lines' rates (see [`VatWeights`]), not the rounded line VAT scaled.
fn apply_limits(excl: i64, incl: i64, limits: &Limits, incl_of: impl Fn(i64) -> i64) -> (i64, i64, Option<PriceLimit>) {
    let (mut e, mut i, mut applied) = (excl, incl, None);
    if let Some(min) = limits.min {
        let new_e = e.max(min.excl);
        let new_i = match min.incl {
            Some(m) => i.max(m),
            None if new_e != e => incl_of(new_e),
            None => i,
        };
        if (new_e, new_i) != (e, i) {
            applied = Some(PriceLimit::MinPrice);
        }
        (e, i) = (new_e, new_i);
    }
    if let Some(max) = limits.max {
        let new_e = e.min(max.excl);
        let new_i = match max.incl {
            Some(m) => i.min(m),
            None if new_e != e => incl_of(new_e),
            None => i,
        };
        if (new_e, new_i) != (e, i) {
            applied = Some(PriceLimit::MaxPrice);
        }
        (e, i) = (new_e, new_i);
    }
    (e, i, applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(min: Option<(i64, Option<i64>)>, max: Option<(i64, Option<i64>)>) -> Limits {
        let l = |(excl, incl)| Limit { excl, incl };
        Limits { min: min.map(l), max: max.map(l), fallback_vat_percent: Decimal::ZERO }
    }

    /// A total including 20 % VAT, for limits that give no `incl_vat`.
    fn at_20_percent(excl: i64) -> i64 {
        excl + excl / 5
    }

    #[test]
    fn limits_bind_excl_and_incl_each() {
        let both = limits(Some((50, Some(55))), Some((1000, Some(1100))));
        assert_eq!(apply_limits(25, 28, &both, at_20_percent), (50, 55, Some(PriceLimit::MinPrice)));
        assert_eq!(apply_limits(500, 550, &both, at_20_percent), (500, 550, None));
        assert_eq!(apply_limits(1300, 1435, &both, at_20_percent), (1000, 1100, Some(PriceLimit::MaxPrice)));
        // Only the incl limit binds: excl stays.
        assert_eq!(apply_limits(990, 1188, &both, at_20_percent), (990, 1100, Some(PriceLimit::MaxPrice)));
    }

    #[test]
    fn limit_without_incl_puts_vat_on_the_new_total() {
        let max = limits(None, Some((1000, None)));
        assert_eq!(apply_limits(2000, 2400, &max, at_20_percent), (1000, 1200, Some(PriceLimit::MaxPrice)));
        let min = limits(Some((100, None)), None);
        assert_eq!(apply_limits(0, 0, &min, at_20_percent), (100, 120, Some(PriceLimit::MinPrice)));
        assert_eq!(apply_limits(30, 33, &min, at_20_percent), (100, 120, Some(PriceLimit::MinPrice)));
        assert_eq!(apply_limits(300, 360, &min, at_20_percent), (300, 360, None), "not binding: the lines");
    }

    #[test]
    fn vat_weights_follow_unrounded_nets() {
        let mut w = VatWeights::default();
        assert_eq!(w.vat_on(200, Decimal::from(21)), 42, "nothing priced: the fallback rate");
        // 1 s at 1.00/h (0.000277… net) at 10 %, 1 Wh at 0.30/kWh (0.0003 net) at 21 %:
        // (0.0002777… × 10 + 0.0003 × 21) / 0.0005777… = 15.71…% of 2.00 = 0.3142… → 0.31.
        w.add(1, TariffDimension::Time, Decimal::ONE, Some(Decimal::from(10)));
        w.add(1, TariffDimension::Energy, Decimal::new(30, 2), Some(Decimal::from(21)));
        assert_eq!(w.vat_on(200, Decimal::ZERO), 31);
    }

    #[test]
    fn steps_round_up() {
        assert_eq!(round_up_to_step(0, 300), 0);
        assert_eq!(round_up_to_step(1, 300), 300);
        assert_eq!(round_up_to_step(300, 300), 300);
        assert_eq!(round_up_to_step(-5, 300), 0);
        assert_eq!(round_up_to_step(7, 0), 7);
        assert_eq!(round_up_to_step(i64::MAX, 300), i64::MAX, "saturates instead of overflowing");
        assert_eq!(round_up_to_step(i64::MAX - 1, 1), i64::MAX - 1);
    }
}
