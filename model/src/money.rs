//! Money: integer minor units of an ISO 4217 currency. No floats, anywhere.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code, upper case, three letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an ISO 4217 currency code")]
pub struct CurrencyError(pub String);

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn new(code: &str) -> Result<Self, CurrencyError> {
        let bytes: [u8; 3] = code
            .as_bytes()
            .try_into()
            .map_err(|_| CurrencyError(code.to_owned()))?;
        if !bytes.iter().all(u8::is_ascii_uppercase) {
            return Err(CurrencyError(code.to_owned()));
        }
        Ok(Self(bytes))
    }

    pub fn code(&self) -> &str {
        // Only ASCII upper-case letters are ever stored.
        std::str::from_utf8(&self.0).expect("ASCII")
    }

    /// Digits after the decimal point of the minor unit (ISO 4217). The currencies listed
    /// differ from the common 2.
    pub fn minor_digits(&self) -> u32 {
        match self.code() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
            | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            _ => 2,
        }
    }

    /// Converts an amount in major units (e.g. 0.3456 EUR) to minor units, rounding half away
    /// from zero — the one rounding rule of ChargeKit's pricing.
    pub fn round_to_minor(&self, major: Decimal) -> i64 {
        round_half_away_from_zero(major * Decimal::from(10i64.pow(self.minor_digits())))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = CurrencyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> Self {
        c.code().to_owned()
    }
}

/// Rounds to a whole number, half away from zero: ChargeKit's one rounding rule for money.
pub fn round_half_away_from_zero(value: Decimal) -> i64 {
    let whole = value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
    i64::try_from(whole).expect("amount fits in i64 minor units")
}

/// An amount of money in minor units (cents for EUR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount_minor: i64, currency: Currency) -> Self {
        Self { amount_minor, currency }
    }
}

/// Plain, locale-free rendering (`12.34 EUR`) for logs and the terminal. The phone formats with
/// the user's locale instead.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.currency.minor_digits();
        let value = Decimal::new(self.amount_minor, digits);
        write!(f, "{value:.prec$} {}", self.currency, prec = digits as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::new("EUR").unwrap(), Currency::EUR);
        assert!(Currency::new("eur").is_err());
        assert!(Currency::new("EURO").is_err());
        assert_eq!(Currency::new("JPY").unwrap().minor_digits(), 0);
        assert_eq!(Currency::new("KWD").unwrap().minor_digits(), 3);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let eur = Currency::EUR;
        assert_eq!(eur.round_to_minor(Decimal::from_str("0.125").unwrap()), 13);
        assert_eq!(eur.round_to_minor(Decimal::from_str("0.1249").unwrap()), 12);
        assert_eq!(eur.round_to_minor(Decimal::from_str("-0.125").unwrap()), -13);
        let jpy = Currency::new("JPY").unwrap();
        assert_eq!(jpy.round_to_minor(Decimal::from_str("10.5").unwrap()), 11);
    }

    #[test]
    fn displays_in_major_units() {
        assert_eq!(Money::new(1234, Currency::EUR).to_string(), "12.34 EUR");
        assert_eq!(Money::new(5, Currency::EUR).to_string(), "0.05 EUR");
        assert_eq!(Money::new(-5, Currency::EUR).to_string(), "-0.05 EUR");
        assert_eq!(Money::new(500, Currency::new("JPY").unwrap()).to_string(), "500 JPY");
    }
}
