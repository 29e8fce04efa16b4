//! Tariffs in the shape of OCPI 2.2.1 (`Tariff`, `TariffElement`, `PriceComponent`,
//! `TariffRestrictions`, `Price`).
//!
//! Prices are decimals in major units, excluding VAT, as in OCPI. They are read from JSON
//! numbers or strings and written as strings, so no price ever passes through a float on our
//! side. Every field OCPI 2.2.1 added over our first shape (restrictions, `min_price`,
//! `max_price`, the location's `time_zone`) is optional, so tariffs stored before still parse.
//! How the engine reads them is in `model/PRICING.md` and [`crate::pricing`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// What a price component charges for (OCPI `TariffDimensionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TariffDimension {
    /// Per kWh; `step_size` in Wh.
    Energy,
    /// A fixed price per session.
    Flat,
    /// Per hour not charging while plugged in; `step_size` in seconds.
    ParkingTime,
    /// Per hour of charging; `step_size` in seconds.
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceComponent {
    #[serde(rename = "type")]
    pub dimension: TariffDimension,
    /// Price per unit (kWh, hour or session), excluding VAT, in major units.
    pub price: Decimal,
    /// VAT percentage, e.g. `19` for 19 %. Absent: no VAT is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<Decimal>,
    /// Billing granularity: the billed amount of this dimension is rounded up to a multiple
    /// of it (Wh for energy, seconds for time). 1 means exact; 0 (the spec's own free-of-charge
    /// example) reads as 1. Which amount is rounded when a session crosses several components
    /// is the OCPI ambiguity settled in `PRICING.md`.
    #[serde(default = "one")]
    pub step_size: u32,
}

fn one() -> u32 {
    1
}

/// A day of the week (OCPI `DayOfWeek`), in the location's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DayOfWeek {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl DayOfWeek {
    /// 0 for Monday … 6 for Sunday.
    pub fn index(self) -> u8 {
        self as u8
    }
}

/// A time of day `HH:MM` (24 h, leading zeros), as in OCPI `start_time` / `end_time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay {
    minutes: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a time of day HH:MM")]
pub struct TimeOfDayError(pub String);

impl TimeOfDay {
    pub fn new(hour: u8, minute: u8) -> Option<Self> {
        (hour < 24 && minute < 60).then_some(Self { minutes: u16::from(hour) * 60 + u16::from(minute) })
    }

    /// Seconds after local midnight.
    pub fn seconds_of_day(self) -> i64 {
        i64::from(self.minutes) * 60
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = TimeOfDayError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let b = s.as_bytes();
        let digit = |i: usize| b[i].is_ascii_digit().then(|| b[i] - b'0');
        let parsed = (b.len() == 5 && b[2] == b':')
            .then(|| Some((digit(0)? * 10 + digit(1)?, digit(3)? * 10 + digit(4)?)))
            .flatten()
            .and_then(|(h, m)| Self::new(h, m));
        parsed.ok_or(TimeOfDayError(s))
    }
}

impl From<TimeOfDay> for String {
    fn from(t: TimeOfDay) -> Self {
        format!("{:02}:{:02}", t.minutes / 60, t.minutes % 60)
    }
}

time::serde::format_description!(ocpi_date, Date, "[year]-[month]-[day]");

/// OCPI `ReservationRestrictionType`. Elements carrying it price reservations, which ChargeKit
/// does not sell: the engine never applies them to a charging session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReservationRestriction {
    Reservation,
    ReservationExpires,
}

/// When a tariff element applies (OCPI `TariffRestrictions`): all the set fields must match
/// (a logical AND), evaluated anew as the session goes on, not once per session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TariffRestrictions {
    /// Local time of day from which the element applies (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "08:00"))]
    pub start_time: Option<TimeOfDay>,
    /// Local time of day until which the element applies (exclusive); before `start_time`
    /// wraps past midnight; `00:00` means the end of the day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "08:00"))]
    pub end_time: Option<TimeOfDay>,
    /// Local date from which the element applies (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ocpi_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub start_date: Option<time::Date>,
    /// Local date until which the element applies (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "ocpi_date::option")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub end_date: Option<time::Date>,
    /// Energy already delivered in the session, kWh: applies from this amount (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kwh: Option<Decimal>,
    /// … until this amount (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_kwh: Option<Decimal>,
    /// Charging current summed over phases, A: applies at or above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_current: Option<Decimal>,
    /// … applies below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_current: Option<Decimal>,
    /// Charging power, kW: applies at or above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_power: Option<Decimal>,
    /// … applies below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_power: Option<Decimal>,
    /// Seconds since the session started: applies from this duration (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_duration: Option<i64>,
    /// … until this duration (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<i64>,
    /// Local days on which the element applies; empty means every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub day_of_week: Vec<DayOfWeek>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<ReservationRestriction>,
}

impl TariffRestrictions {
    /// Whether a restriction needs the local clock (time zone) to be evaluated.
    pub fn uses_clock(&self) -> bool {
        self.start_time.is_some()
            || self.end_time.is_some()
            || self.start_date.is_some()
            || self.end_date.is_some()
            || !self.day_of_week.is_empty()
    }
}

/// An amount in major units (OCPI `Price`), used by `min_price` / `max_price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Price {
    pub excl_vat: Decimal,
    /// Absent: only the amount excluding VAT is limited; its VAT follows the lines' rates (see
    /// `PRICING.md`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incl_vat: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TariffElement {
    pub price_components: Vec<PriceComponent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restrictions: Option<TariffRestrictions>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tariff {
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "EUR"))]
    pub currency: Currency,
    pub elements: Vec<TariffElement>,
    /// IANA time zone of the location (OCPI puts it on `Location.time_zone`), in which
    /// time-of-day, date and day-of-week restrictions are read. Absent: UTC; a tariff that has
    /// such restrictions without one is refused when it enters the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// A session costs at least this much (excluding and, if given, including VAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_price: Option<Price>,
    /// A session costs at most this much (excluding and, if given, including VAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_price: Option<Price>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("tariff {0} has no price components")]
    Empty(String),
    #[error("tariff {id}: a {dimension:?} price is negative")]
    NegativePrice { id: String, dimension: TariffDimension },
    #[error("tariff {id}: a {dimension:?} VAT rate is outside 0..=100")]
    BadVat { id: String, dimension: TariffDimension },
    #[error("tariff {id} has more than {max} elements", max = MAX_ELEMENTS)]
    TooManyElements { id: String },
    #[error("tariff {id}: unknown time zone {zone:?}")]
    UnknownTimeZone { id: String, zone: String },
    #[error("tariff {id} restricts by local time or date but gives no time_zone")]
    MissingTimeZone { id: String },
    #[error("tariff {id}: a restriction value is negative")]
    NegativeRestriction { id: String },
    #[error("tariff {id}: min_price/max_price are negative, or incl_vat is below excl_vat, or min is above max")]
    BadPriceLimit { id: String },
}

/// The engine tracks active elements in a 64-bit mask; real tariffs have a handful.
pub const MAX_ELEMENTS: usize = 64;

impl Tariff {
    /// A tariff of `energy_per_kwh` per kWh plus `time_per_hour` per hour of charging, both in
    /// major units excluding VAT.
    pub fn per_kwh_and_hour(
        id: &str,
        currency: Currency,
        energy_per_kwh: Decimal,
        time_per_hour: Decimal,
        vat: Option<Decimal>,
    ) -> Self {
        let component = |dimension, price| PriceComponent { dimension, price, vat, step_size: 1 };
        Self {
            id: id.to_owned(),
            currency,
            elements: vec![TariffElement {
                price_components: vec![
                    component(TariffDimension::Energy, energy_per_kwh),
                    component(TariffDimension::Time, time_per_hour),
                ],
                restrictions: None,
            }],
            time_zone: None,
            min_price: None,
            max_price: None,
        }
    }

    /// Checks what the pricing engine relies on. Called when a tariff enters the system.
    pub fn validate(&self) -> Result<(), TariffError> {
        let components: Vec<_> = self.elements.iter().flat_map(|e| &e.price_components).collect();
        if components.is_empty() {
            return Err(TariffError::Empty(self.id.clone()));
        }
        for c in components {
            let id = self.id.clone();
            let dimension = c.dimension;
            if c.price.is_sign_negative() && !c.price.is_zero() {
                return Err(TariffError::NegativePrice { id, dimension });
            }
            if c.vat.is_some_and(|v| v.is_sign_negative() || v > Decimal::ONE_HUNDRED) {
                return Err(TariffError::BadVat { id, dimension });
            }
        }
        let id = || self.id.clone();
        if self.elements.len() > MAX_ELEMENTS {
            return Err(TariffError::TooManyElements { id: id() });
        }
        let restrictions = || self.elements.iter().filter_map(|e| e.restrictions.as_ref());
        match &self.time_zone {
            Some(zone) if jiff::tz::TimeZone::get(zone).is_err() => {
                return Err(TariffError::UnknownTimeZone { id: id(), zone: zone.clone() });
            }
            None if restrictions().any(TariffRestrictions::uses_clock) => {
                return Err(TariffError::MissingTimeZone { id: id() });
            }
            _ => {}
        }
        let negative = |d: &Option<Decimal>| d.is_some_and(|d| d.is_sign_negative() && !d.is_zero());
        if restrictions().any(|r| {
            [&r.min_kwh, &r.max_kwh, &r.min_current, &r.max_current, &r.min_power, &r.max_power]
                .into_iter()
                .any(negative)
                || r.min_duration.is_some_and(|d| d < 0)
                || r.max_duration.is_some_and(|d| d < 0)
        }) {
            return Err(TariffError::NegativeRestriction { id: id() });
        }
        let limit_ok = |p: &Price| {
            !negative(&Some(p.excl_vat)) && p.incl_vat.is_none_or(|incl| incl >= p.excl_vat)
        };
        let limits_ok = self.min_price.as_ref().is_none_or(limit_ok)
            && self.max_price.as_ref().is_none_or(limit_ok)
            && match (&self.min_price, &self.max_price) {
                (Some(min), Some(max)) => {
                    min.excl_vat <= max.excl_vat
                        && match (min.incl_vat, max.incl_vat) {
                            (Some(a), Some(b)) => a <= b,
                            _ => true,
                        }
                }
                _ => true,
            };
        if !limits_ok {
            return Err(TariffError::BadPriceLimit { id: id() });
        }
        Ok(())
    }

    /// The component that prices `dimension` when no restriction is in play: the first one in
    /// element order (OCPI: the first element with a component of that type applies). With
    /// restrictions, which component applies changes during a session: see [`crate::pricing`].
    pub fn component(&self, dimension: TariffDimension) -> Option<&PriceComponent> {
        self.elements
            .iter()
            .flat_map(|e| &e.price_components)
            .find(|c| c.dimension == dimension)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn reads_ocpi_json_with_number_prices() {
        let json = r#"{
            "id": "12", "currency": "EUR",
            "elements": [{ "price_components": [
                { "type": "ENERGY", "price": 0.39, "vat": 19, "step_size": 1 },
                { "type": "TIME", "price": "2.40", "step_size": 60 },
                { "type": "FLAT", "price": 0.5 }
            ]}]
        }"#;
        let tariff: Tariff = serde_json::from_str(json).unwrap();
        tariff.validate().unwrap();
        let energy = tariff.component(TariffDimension::Energy).unwrap();
        assert_eq!(energy.price, Decimal::from_str("0.39").unwrap());
        assert_eq!(energy.vat, Some(Decimal::from(19)));
        assert_eq!(tariff.component(TariffDimension::Time).unwrap().step_size, 60);
        assert_eq!(tariff.component(TariffDimension::Flat).unwrap().step_size, 1);
        assert!(tariff.component(TariffDimension::ParkingTime).is_none());
        // Prices go out as strings, never as floats.
        let out = serde_json::to_value(&tariff).unwrap();
        assert_eq!(out["elements"][0]["price_components"][0]["price"], "0.39");
    }

    #[test]
    fn step_size_zero_is_accepted_and_prices_like_one() {
        // OCPI's own free-of-charge example has step_size 0 (PRICING.md: 0 reads as 1).
        let mut stepped = Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::ONE, Decimal::from(3), Some(Decimal::from(21)));
        let exact = stepped.clone();
        for c in &mut stepped.elements[0].price_components {
            c.step_size = 0;
        }
        stepped.validate().unwrap();
        let usage = crate::SessionUsage { energy_wh: 1_234, charging_seconds: 61, parking_seconds: 0 };
        assert_eq!(crate::price(&stepped, &usage), crate::price(&exact, &usage));
    }

    #[test]
    fn validation_refuses_nonsense() {
        let mut t = Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::ONE, Decimal::ONE, None);
        t.validate().unwrap();
        t.elements[0].price_components[0].price = Decimal::NEGATIVE_ONE;
        assert!(matches!(t.validate(), Err(TariffError::NegativePrice { .. })));
        t.elements[0].price_components[0].price = Decimal::ONE;
        t.elements[0].price_components[1].vat = Some(Decimal::from(101));
        assert!(matches!(t.validate(), Err(TariffError::BadVat { .. })));
        t.elements.clear();
        assert!(matches!(t.validate(), Err(TariffError::Empty(_))));
    }
}
