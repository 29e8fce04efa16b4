//! Every screen's state, decided once for both apps (the core owns the view model, the shells
//! draw it: redbadger/crux's split). Each screen has one record with all it shows already
//! settled: what can be tapped, typed quantities with their precision and unit, prices with
//! their currency digits and VAT, the verdict. A shell localizes labels, formats the numbers
//! and dates for the user's locale, and draws; it decides nothing.
//!
//! One file per screen; the shared figures are here. The records cross the FFI as they are
//! (they are plain data), and serialize to the JSON fixtures both shells' golden tests render.

pub mod cards;
pub(crate) mod cell;
pub mod charger;
pub mod find_charger;
pub mod fixtures;
pub mod history;
pub mod live;
pub mod payment;
pub mod receipt;
pub mod wallet;

use chargekit_model::{Currency, SessionStatus, TariffDimension};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::engine::SessionSnapshot;
use crate::ffi::CostKind;

/// Energy is shown in kWh to the Wh, on every screen: the bill is computed by the Wh, so the
/// quantity on a receipt line is exactly the one billed (a rounded figure would not multiply
/// out to the amount). One rule, here, instead of three decimals on one phone and two on the
/// other.
pub const ENERGY_DECIMALS: u32 = 3;
/// Power in kW to the 100 W: a charger's power wanders more than that from one second to the next.
pub const POWER_DECIMALS: u32 = 1;

/// An exact decimal, `units` × 10^-`scale`, to be shown with exactly `scale` fraction digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Fixed {
    pub units: i64,
    pub scale: u32,
}

/// What a [`Quantity`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum QuantityUnit {
    KilowattHours,
    Kilowatts,
    /// Seconds (scale 0): show as hours, minutes and seconds.
    Duration,
    /// A plain count (a flat fee's billed quantity).
    Count,
}

/// A quantity with its precision decided: show `value` in `unit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct Quantity {
    pub value: Fixed,
    pub unit: QuantityUnit,
}

/// An amount of money: `minor` units of `currency`, shown with `digits` fraction digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct MoneyAmount {
    pub minor: i64,
    pub currency: String,
    pub digits: u32,
}

/// What a tariff price is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum PriceUnit {
    PerKilowattHour,
    PerHour,
    PerSession,
}

/// A unit price excluding VAT: at least the currency's digits, more when the tariff has them
/// (€0.40, €0.345), with the VAT rate that applies on top, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct UnitPrice {
    /// In major units of `currency`.
    pub amount: Fixed,
    pub currency: String,
    pub per: PriceUnit,
    /// e.g. 19 (scale 0) or 7.7 (scale 1): a percentage.
    pub vat_percent: Option<Fixed>,
}

/// Whether a screen's list is there to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum ListStatus {
    /// Not loaded yet: a spinner.
    Loading,
    Loaded,
    /// Nothing could be loaded (e.g. no network): the core's sentence, and a retry.
    Unavailable { message: String },
}

/// A reload of a screen's list: the new list; or, when a list is shown already, that list kept
/// and the failure's sentence returned (for the screen's notice); with none shown, unavailable.
pub(crate) fn reload<T>(status: &mut ListStatus, shown: &mut T, loaded: Result<T, String>) -> Option<String> {
    match loaded {
        Ok(list) => {
            *shown = list;
            *status = ListStatus::Loaded;
            None
        }
        Err(message) if *status == ListStatus::Loaded => Some(message),
        Err(message) => {
            *status = ListStatus::Unavailable { message };
            None
        }
    }
}

/// Where a session stands, as every screen names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
pub enum SessionPhase {
    Starting,
    Charging,
    Stopping,
    /// Stopped with no network: the phone keeps the stop and sends it when it can.
    StopPending,
    Completed,
    Failed,
    /// The readings could not be right: nothing is billed until the operator has checked.
    UnderReview,
}

pub(crate) fn phase(snapshot: &SessionSnapshot) -> SessionPhase {
    if snapshot.stop_pending {
        return SessionPhase::StopPending;
    }
    match snapshot.session.status {
        SessionStatus::Starting => SessionPhase::Starting,
        SessionStatus::Charging => SessionPhase::Charging,
        SessionStatus::Stopping => SessionPhase::Stopping,
        SessionStatus::Completed => SessionPhase::Completed,
        SessionStatus::Failed => SessionPhase::Failed,
        SessionStatus::UnderReview => SessionPhase::UnderReview,
    }
}

pub(crate) fn energy(wh: i64) -> Quantity {
    Quantity { value: Fixed { units: wh, scale: ENERGY_DECIMALS }, unit: QuantityUnit::KilowattHours }
}

pub(crate) fn power(watts: i64) -> Quantity {
    // W → units of 100 W, half away from zero (integer maths: no float on the way).
    let step = 10i64.pow(3 - POWER_DECIMALS);
    let units = (watts.abs() + step / 2) / step * watts.signum();
    Quantity { value: Fixed { units, scale: POWER_DECIMALS }, unit: QuantityUnit::Kilowatts }
}

pub(crate) fn duration(seconds: i64) -> Quantity {
    Quantity { value: Fixed { units: seconds.max(0), scale: 0 }, unit: QuantityUnit::Duration }
}

pub(crate) fn money(minor: i64, currency: Currency) -> MoneyAmount {
    MoneyAmount { minor, currency: currency.to_string(), digits: currency.minor_digits() }
}

/// `value` exactly, with at least `min_scale` fraction digits and no trailing zeros beyond.
pub(crate) fn fixed(value: Decimal, min_scale: u32) -> Fixed {
    let mut exact = value.normalize();
    let scale = exact.scale().max(min_scale);
    exact.rescale(scale);
    // A price or rate beyond i64 units is not a tariff anyone publishes; show the limit.
    let units = i64::try_from(exact.mantissa()).unwrap_or(if exact.is_sign_negative() { i64::MIN } else { i64::MAX });
    Fixed { units, scale }
}

pub(crate) fn unit_price(price: Decimal, currency: Currency, dimension: TariffDimension, vat: Option<Decimal>) -> UnitPrice {
    UnitPrice {
        amount: fixed(price, currency.minor_digits()),
        currency: currency.to_string(),
        per: match dimension {
            TariffDimension::Energy => PriceUnit::PerKilowattHour,
            TariffDimension::Time | TariffDimension::ParkingTime => PriceUnit::PerHour,
            TariffDimension::Flat => PriceUnit::PerSession,
        },
        vat_percent: vat.map(|rate| fixed(rate, 0)),
    }
}

/// The billed quantity of a receipt line in its own unit: kWh, a duration, or a count (a
/// flat fee shows what was billed, 1 unless the tariff says otherwise).
pub(crate) fn billed_quantity(kind: &CostKind, billed: i64) -> Quantity {
    match kind {
        CostKind::Energy => energy(billed),
        CostKind::Time | CostKind::Parking => duration(billed),
        CostKind::Flat => Quantity { value: Fixed { units: billed, scale: 0 }, unit: QuantityUnit::Count },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_is_shown_to_the_wh() {
        assert_eq!(energy(12_345).value, Fixed { units: 12_345, scale: 3 });
    }

    #[test]
    fn power_rounds_to_a_tenth_of_a_kw_half_away_from_zero() {
        assert_eq!(power(11_049).value, Fixed { units: 110, scale: 1 });
        assert_eq!(power(11_050).value, Fixed { units: 111, scale: 1 });
        assert_eq!(power(0).value, Fixed { units: 0, scale: 1 });
        assert_eq!(power(-150).value, Fixed { units: -2, scale: 1 });
    }

    #[test]
    fn prices_keep_the_currency_digits_and_the_tariffs_own() {
        let eur = Currency::EUR;
        assert_eq!(unit_price(Decimal::new(4, 1), eur, TariffDimension::Energy, None).amount, Fixed { units: 40, scale: 2 });
        assert_eq!(unit_price(Decimal::new(345, 3), eur, TariffDimension::Energy, None).amount, Fixed { units: 345, scale: 3 });
        let jpy = Currency::new("JPY").unwrap();
        assert_eq!(unit_price(Decimal::new(500, 0), jpy, TariffDimension::Flat, None).amount, Fixed { units: 500, scale: 0 });
        let vat = unit_price(Decimal::new(120, 2), eur, TariffDimension::Time, Some(Decimal::new(77, 1)));
        assert_eq!((vat.per, vat.vat_percent), (PriceUnit::PerHour, Some(Fixed { units: 77, scale: 1 })));
        assert_eq!(fixed(Decimal::new(1900, 2), 0), Fixed { units: 19, scale: 0 });
    }

    #[test]
    fn a_flat_line_shows_its_billed_quantity() {
        assert_eq!(billed_quantity(&CostKind::Flat, 1), Quantity { value: Fixed { units: 1, scale: 0 }, unit: QuantityUnit::Count });
        assert_eq!(billed_quantity(&CostKind::Parking, 900).unit, QuantityUnit::Duration);
    }
}
