//! The one pricing engine. The live cost on the phone and the final bill both come from here,
//! so they agree to the minor unit.
//!
//! Two entry points share one engine:
//! - [`price`] prices a session known only by its totals (energy, charging and parking time):
//!   the session is read as one stretch of charging at constant power followed by parking, with
//!   no clock and no current readings;
//! - [`LiveSession`] / [`price_session`] price a session from the charger's meter samples,
//!   evaluating OCPI restrictions in the location's time zone as the session goes on. The live
//!   view feeds samples one by one and asks for [`LiveSession::cost`] after each; the CDR is the
//!   same state after the last sample.
//!
//! Rules (explicit, so a receipt can be recomputed by hand; the OCPI readings behind them, with
//! the issues they settle, are in `model/PRICING.md`):
//! - at every instant, each dimension is priced by the first element, in tariff order, that
//!   has a component of that dimension and whose restrictions all match; the engine cuts the
//!   session where a verdict can change (time of day, local midnight, DST, duration and energy
//!   thresholds), sharing a stretch's energy in proportion to time;
//! - `TIME` prices charging seconds, `PARKING_TIME` parked seconds, `ENERGY` Wh, `FLAT` is
//!   charged once, by the first `FLAT` component that applies;
//! - `step_size` is applied once per session for energy and once for time and parking
//!   together: the total of a dimension is rounded up to the step of the component that priced
//!   its last unit, and only that component is billed the extra (for time, the dimension that
//!   came last, charging or parking);
//! - each price component is one receipt line: its net amount is computed exactly in decimals,
//!   then rounded half away from zero to minor units; its VAT is computed on that rounded net
//!   amount and rounded the same way;
//! - totals are sums of the rounded lines, unless the tariff's `min_price` or `max_price`
//!   binds: then the totals are the limit (excluding and including VAT limited each on its own)
//!   and [`PricedSession::limit_applied`] says so; a limit without `incl_vat` gets the VAT of
//!   the lines' rates weighted by their unrounded nets (the tariff's highest rate when nothing
//!   was priced).

mod bill;
mod clock;
mod engine;
mod periods;
mod restrictions;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use bill::{PriceLimit, PricedItem};
pub use periods::{CdrDimension, CdrDimensionType, ChargingPeriod, MeterSample, PricedPeriod};

use crate::money::Currency;
use crate::tariff::{Tariff, TariffDimension};
use bill::Limits;
use clock::Clock;
use engine::{Engine, State};

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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cost {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub currency: Currency,
    pub items: Vec<CostItem>,
    pub total_excl_vat_minor: i64,
    pub total_vat_minor: i64,
    pub total_incl_vat_minor: i64,
}

/// A session priced from its meter samples: the CDR's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedSession {
    pub tariff_id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub start_date_time: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub end_date_time: OffsetDateTime,
    pub total_energy_wh: i64,
    pub total_time_seconds: i64,
    pub total_parking_time_seconds: i64,
    /// The session cut where the applying tariff elements may change.
    pub charging_periods: Vec<PricedPeriod>,
    /// One line per price component that applied, with the element it came from.
    pub items: Vec<PricedItem>,
    /// The same lines and the totals, in the shape the apps show.
    pub cost: Cost,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_applied: Option<PriceLimit>,
}

impl PricedSession {
    /// The charging periods in OCPI shape, for a CDR.
    pub fn ocpi_charging_periods(&self) -> Vec<ChargingPeriod> {
        self.charging_periods.iter().map(|p| p.to_ocpi(self.start_date_time, &self.tariff_id)).collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("a session needs at least one meter sample")]
    NoSamples,
    #[error("meter sample at {at} is older than the one before")]
    OutOfOrder { at: OffsetDateTime },
    #[error("meter sample at {at} reads less energy than the one before")]
    EnergyWentBack { at: OffsetDateTime },
    #[error("tariff {id}: unknown time zone {zone:?}")]
    UnknownTimeZone { id: String, zone: String },
}

/// A session being priced as its meter samples arrive: the live view. Adding a sample costs
/// integer arithmetic only; [`LiveSession::cost`] makes the money.
#[derive(Debug, Clone)]
pub struct LiveSession {
    engine: Engine,
    limits: Limits,
    state: State,
    start: OffsetDateTime,
    open: MeterSample,
}

impl LiveSession {
    /// Starts pricing at the session's first sample (its start), in the tariff's time zone.
    pub fn start(tariff: &Tariff, first: MeterSample) -> Result<Self, PricingError> {
        let zone = match &tariff.time_zone {
            Some(name) => jiff::tz::TimeZone::get(name)
                .map_err(|_| PricingError::UnknownTimeZone { id: tariff.id.clone(), zone: name.clone() })?,
            None => jiff::tz::TimeZone::UTC,
        };
        Ok(Self::with_engine(tariff, Engine::new(tariff, Some(Clock::new(zone))), first, true))
    }

    fn with_engine(tariff: &Tariff, mut engine: Engine, first: MeterSample, record_periods: bool) -> Self {
        let state = State::start(&mut engine, first.at.unix_timestamp(), &first, record_periods);
        Self { engine, limits: Limits::new(tariff), state, start: first.at, open: first }
    }

    /// Adds the next sample: the stretch since the previous one is priced as the previous one
    /// said (charging or parked, its power and current).
    pub fn push(&mut self, sample: MeterSample) -> Result<(), PricingError> {
        let to = sample.at.unix_timestamp();
        if to < self.state.now {
            return Err(PricingError::OutOfOrder { at: sample.at });
        }
        let energy_wh = sample.energy_wh - self.open.energy_wh;
        if energy_wh < 0 {
            return Err(PricingError::EnergyWentBack { at: sample.at });
        }
        let open = self.open;
        self.state.advance(&mut self.engine, &open, to, energy_wh);
        self.open = sample;
        Ok(())
    }

    /// What [`LiveSession::cost`] would say once `next` is pushed, leaving this session as it
    /// is: the live display's price between two meter samples. Exactly `clone`, `push`,
    /// `cost`, without copying the periods recorded so far.
    pub fn cost_with(&self, next: MeterSample) -> Result<Cost, PricingError> {
        let mut then = Self {
            engine: self.engine.clone(),
            limits: self.limits,
            state: self.state.unrecorded(),
            start: self.start,
            open: self.open,
        };
        then.push(next)?;
        Ok(then.cost())
    }

    /// The sample the stretch from the last one is priced by: the last one pushed (the start
    /// sample before any other).
    pub fn last_sample(&self) -> MeterSample {
        self.open
    }

    /// What the session used up to the last sample: energy, charging and parking time, as the
    /// bill counts them (cheap: no periods are copied).
    pub fn usage(&self) -> SessionUsage {
        SessionUsage {
            energy_wh: self.state.energy_wh,
            charging_seconds: self.state.charging_seconds,
            parking_seconds: self.state.parking_seconds,
        }
    }

    /// The cost of the session up to the last sample.
    pub fn cost(&self) -> Cost {
        bill::bill(&self.engine, &self.state, &self.limits).1
    }

    /// The session up to the last sample, with its periods and detailed lines.
    pub fn priced(&self) -> PricedSession {
        self.priced_with(self.state.periods.clone().unwrap_or_default())
    }

    /// The session as [`LiveSession::priced`], ending the live view (its periods move out).
    pub fn into_priced(mut self) -> PricedSession {
        let periods = self.state.periods.take().unwrap_or_default();
        self.priced_with(periods)
    }

    fn priced_with(&self, charging_periods: Vec<PricedPeriod>) -> PricedSession {
        let (items, cost, limit_applied) = bill::bill(&self.engine, &self.state, &self.limits);
        PricedSession {
            tariff_id: self.engine.tariff_id.clone(),
            start_date_time: self.start,
            end_date_time: self.open.at,
            total_energy_wh: self.state.energy_wh,
            total_time_seconds: self.state.charging_seconds,
            total_parking_time_seconds: self.state.parking_seconds,
            charging_periods,
            items,
            cost,
            limit_applied,
        }
    }
}

/// Prices a whole session from its meter samples (the first is the start, the last the end):
/// what the CDR says. Equal, by construction and by test, to the live view after the last
/// sample.
pub fn price_session(tariff: &Tariff, samples: &[MeterSample]) -> Result<PricedSession, PricingError> {
    let (first, rest) = samples.split_first().ok_or(PricingError::NoSamples)?;
    let mut live = LiveSession::start(tariff, *first)?;
    for sample in rest {
        live.push(*sample)?;
    }
    Ok(live.into_priced())
}

/// The longest charging or parking time [`price`] prices: a century.
pub const MAX_PRICED_SECONDS: i64 = 100 * 365 * 24 * 3600;
/// The most energy [`price`] prices: a terawatt-hour.
pub const MAX_PRICED_WH: i64 = 1_000_000_000_000;

/// Prices `usage` under `tariff`: the session is read as `charging_seconds` of charging at
/// constant power delivering `energy_wh`, then `parking_seconds` parked. There is no clock and
/// no current reading, so elements restricted by time of day, date, weekday or current never
/// apply here; duration, energy and (average) power restrictions do. Use [`LiveSession`] or
/// [`price_session`] for a session with timestamps.
pub fn price(tariff: &Tariff, usage: &SessionUsage) -> Cost {
    let at = |s: i64| OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s);
    // Any input prices without panicking: beyond these bounds (a century, a terawatt-hour),
    // far past any real session, the usage is priced at the bound.
    let charging = usage.charging_seconds.clamp(0, MAX_PRICED_SECONDS);
    let parking = usage.parking_seconds.clamp(0, MAX_PRICED_SECONDS);
    let energy = usage.energy_wh.clamp(0, MAX_PRICED_WH);
    let mut live = LiveSession::with_engine(tariff, Engine::new(tariff, None), MeterSample::charging(at(0), 0), false);
    let pushed = live
        .push(MeterSample::parking(at(charging), energy))
        .and_then(|()| live.push(MeterSample::parking(at(charging + parking), energy)));
    debug_assert!(pushed.is_ok(), "synthetic samples are ordered and non-decreasing");
    live.cost()
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
                restrictions: None,
            }],
            time_zone: None,
            min_price: None,
            max_price: None,
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
        /// Any usage at all prices without panicking (absurd values are clamped), and the
        /// items still add up.
        #[test]
        fn never_panics(energy_wh in any::<i64>(), charging_seconds in any::<i64>(), parking_seconds in any::<i64>()) {
            let tariff = Tariff::per_kwh_and_hour("t", Currency::EUR, dec("0.39"), dec("2.40"), Some(dec("19")));
            let cost = price(&tariff, &SessionUsage { energy_wh, charging_seconds, parking_seconds });
            prop_assert!(cost.total_incl_vat_minor >= 0);
            prop_assert_eq!(cost.total_incl_vat_minor, cost.items.iter().map(CostItem::incl_vat_minor).sum::<i64>());
        }

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
