//! Tariffs in the shape of OCPI 2.2.1 (`Tariff`, `TariffElement`, `PriceComponent`).
//!
//! Prices are decimals in major units, excluding VAT, as in OCPI. They are read from JSON
//! numbers or strings and written as strings, so no price ever passes through a float on our
//! side. Restrictions, `min_price` and `max_price` come with the full pricing engine; a tariff
//! here applies its first component of each dimension.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// What a price component charges for (OCPI `TariffDimensionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
pub struct PriceComponent {
    #[serde(rename = "type")]
    pub dimension: TariffDimension,
    /// Price per unit (kWh, hour or session), excluding VAT, in major units.
    pub price: Decimal,
    /// VAT percentage, e.g. `19` for 19 %. Absent: no VAT is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat: Option<Decimal>,
    /// Billing granularity: the billed amount of this dimension is rounded up to a multiple
    /// of it (Wh for energy, seconds for time). 1 means exact.
    #[serde(default = "one")]
    pub step_size: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TariffElement {
    pub price_components: Vec<PriceComponent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    pub id: String,
    pub currency: Currency,
    pub elements: Vec<TariffElement>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TariffError {
    #[error("tariff {0} has no price components")]
    Empty(String),
    #[error("tariff {id}: a {dimension:?} price is negative")]
    NegativePrice { id: String, dimension: TariffDimension },
    #[error("tariff {id}: a {dimension:?} VAT rate is outside 0..=100")]
    BadVat { id: String, dimension: TariffDimension },
    #[error("tariff {id}: a {dimension:?} step_size is 0")]
    ZeroStep { id: String, dimension: TariffDimension },
}

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
            }],
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
            if c.step_size == 0 {
                return Err(TariffError::ZeroStep { id, dimension });
            }
        }
        Ok(())
    }

    /// The component that prices `dimension`: the first one in element order (OCPI: the first
    /// element with a component of that type applies).
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
    fn validation_refuses_nonsense() {
        let mut t = Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::ONE, Decimal::ONE, None);
        t.validate().unwrap();
        t.elements[0].price_components[0].price = Decimal::NEGATIVE_ONE;
        assert!(matches!(t.validate(), Err(TariffError::NegativePrice { .. })));
        t.elements[0].price_components[0].price = Decimal::ONE;
        t.elements[0].price_components[1].step_size = 0;
        assert!(matches!(t.validate(), Err(TariffError::ZeroStep { .. })));
        t.elements[0].price_components[1].step_size = 1;
        t.elements[0].price_components[1].vat = Some(Decimal::from(101));
        assert!(matches!(t.validate(), Err(TariffError::BadVat { .. })));
        t.elements.clear();
        assert!(matches!(t.validate(), Err(TariffError::Empty(_))));
    }
}
