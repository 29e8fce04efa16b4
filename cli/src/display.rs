//! Terminal formatting of energy, power, time and money. Integer arithmetic only.

use chargekit_core::SessionInfo;
use chargekit_model::{Currency, Money};

pub fn kwh(wh: i64) -> String {
    format!("{}.{:03} kWh", wh / 1000, (wh % 1000).abs())
}

pub fn kw(w: i64) -> String {
    format!("{}.{} kW", w / 1000, (w % 1000).abs() / 100)
}

pub fn clock(seconds: i64) -> String {
    let s = seconds.max(0);
    format!("{:02}:{:02}:{:02}", s / 3600, s % 3600 / 60, s % 60)
}

pub fn money(minor: i64, currency: &str) -> String {
    match Currency::new(currency) {
        Ok(currency) => Money::new(minor, currency).to_string(),
        Err(_) => format!("{minor} (minor units of {currency})"),
    }
}

pub fn live_line(session: &SessionInfo) -> String {
    format!(
        "{:<9} {:>12}  {:>9}  {:>10}  {}",
        format!("{:?}", session.state).to_lowercase(),
        kwh(session.energy_wh),
        kw(session.power_w),
        money(session.cost_minor, &session.currency),
        clock(session.duration_seconds),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_units() {
        assert_eq!(kwh(12_345), "12.345 kWh");
        assert_eq!(kwh(5), "0.005 kWh");
        assert_eq!(kw(49_960), "49.9 kW");
        assert_eq!(clock(3_725), "01:02:05");
        assert_eq!(money(1_234, "EUR"), "12.34 EUR");
    }
}
