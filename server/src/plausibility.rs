//! Whether a charger's reading can be right. Charger data is untrusted input: a clock that
//! jumped, a register that leapt, a session from 1970 to 9999 must not become a bill.
//!
//! The rule: a reading is checked against the last one the session applied. One past the
//! limits ([`PlausibilityConfig`]) is kept for the record, never applied or priced, and marks
//! the session for the operator's review (`review_reason`); the session then ends
//! `under_review` instead of `completed`, and nothing is captured until an operator bills the
//! plausible part or voids it.

use std::collections::HashMap;

use time::{Duration, OffsetDateTime};

use crate::config::{PlausibilityConfig, ServerConfig};

/// Each EVSE's maximum power by charger and connector, looked up once per reading: a map built
/// at start, not a walk through the configured chargers (thousands of them) per MeterValues.
pub struct MaxPower {
    by_connector: HashMap<(String, u32), i64>,
    default_w: i64,
}

impl MaxPower {
    pub fn of_config(config: &ServerConfig) -> Self {
        let by_connector = config
            .chargers
            .iter()
            .flat_map(|c| c.evses.iter().filter_map(|e| Some(((c.charge_point_id.clone(), e.connector_id), e.max_power_w?))))
            .collect();
        Self { by_connector, default_w: config.plausibility.default_max_power_w }
    }

    pub fn watts(&self, charger_id: &str, connector_id: u32) -> i64 {
        self.by_connector.get(&(charger_id.to_owned(), connector_id)).copied().unwrap_or(self.default_w)
    }
}

/// Time allowed on top of the interval between two readings, for meters that round their
/// register and clocks that tick in whole seconds.
const GRACE: Duration = Duration::MINUTE;

/// The limits for one EVSE, at one moment of the server's clock.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_power_w: i64,
    pub max_ahead: Duration,
    pub max_age: Duration,
    pub max_session: Duration,
    pub now: OffsetDateTime,
}

/// A reading as the session knows it: when, and the energy register then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub at: OffsetDateTime,
    pub energy_wh: i64,
}

impl Limits {
    pub fn of(state: &crate::AppState, charger_id: &str, connector_id: u32) -> Self {
        Self::new(&state.config.plausibility, state.chargers.max_power.watts(charger_id, connector_id), OffsetDateTime::now_utc())
    }

    pub fn new(config: &PlausibilityConfig, max_power_w: i64, now: OffsetDateTime) -> Self {
        let secs = |s: u64| Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX));
        Self {
            max_power_w: max_power_w.max(0),
            max_ahead: secs(config.max_clock_ahead_secs),
            max_age: secs(config.max_reading_age_secs),
            max_session: secs(config.max_session_secs),
            now,
        }
    }

    /// A charger's timestamp, against the server's clock.
    pub fn check_time(&self, at: OffsetDateTime) -> Result<(), String> {
        if at > self.now.saturating_add(self.max_ahead) {
            return Err(format!("the charger dated a reading {at}, ahead of the server's clock ({})", self.now));
        }
        if at < self.now.saturating_sub(self.max_age) {
            return Err(format!("the charger dated a reading {at}, older than a replay can be"));
        }
        Ok(())
    }

    /// A reading that follows `last` in a session that started at `started_at`.
    pub fn check_reading(&self, started_at: OffsetDateTime, last: Reading, next: Reading) -> Result<(), String> {
        self.check_time(next.at)?;
        if next.at - started_at > self.max_session {
            return Err(format!(
                "the session would last from {started_at} to {}, longer than the {} h a session may",
                next.at,
                self.max_session.whole_hours()
            ));
        }
        let delivered = i128::from(next.energy_wh) - i128::from(last.energy_wh);
        let seconds = i128::from((next.at - last.at).whole_seconds().max(0)) + i128::from(GRACE.whole_seconds());
        let deliverable = i128::from(self.max_power_w) * seconds / 3600;
        if delivered > deliverable {
            return Err(format!(
                "the meter gained {delivered} Wh in {} s, more than the EVSE's {} kW can deliver",
                (next.at - last.at).whole_seconds().max(0),
                self.max_power_w / 1000
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn limits() -> Limits {
        Limits::new(&PlausibilityConfig::default(), 50_000, datetime!(2026-12-02 12:00 UTC))
    }

    fn reading(at: OffsetDateTime, energy_wh: i64) -> Reading {
        Reading { at, energy_wh }
    }

    #[test]
    fn a_charger_at_its_power_is_plausible() {
        let start = datetime!(2026-12-02 11:00 UTC);
        // 50 kW for an hour: 50 kWh.
        assert_eq!(limits().check_reading(start, reading(start, 0), reading(datetime!(2026-12-02 12:00 UTC), 50_000)), Ok(()));
    }

    #[test]
    fn energy_beyond_the_power_is_not() {
        let start = datetime!(2026-12-02 11:59:50 UTC);
        let jump = limits().check_reading(start, reading(start, 1_000), reading(datetime!(2026-12-02 12:00 UTC), 10_001_000));
        assert!(jump.unwrap_err().contains("more than the EVSE's 50 kW"));
    }

    #[test]
    fn clocks_far_from_the_server_are_not() {
        let l = limits();
        assert!(l.check_time(datetime!(9999-12-31 23:59 UTC)).is_err());
        assert!(l.check_time(datetime!(1970-01-01 00:00 UTC)).is_err());
        assert!(l.check_time(datetime!(2026-12-02 12:05 UTC)).is_ok(), "a few minutes of drift");
        assert!(l.check_time(datetime!(2026-11-20 12:00 UTC)).is_ok(), "an offline replay");
    }

    #[test]
    fn sessions_longer_than_allowed_are_not() {
        let start = datetime!(2026-11-20 12:00 UTC);
        let late = limits().check_reading(start, reading(start, 0), reading(datetime!(2026-12-02 12:00 UTC), 10));
        assert!(late.unwrap_err().contains("longer than"));
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let l = Limits::new(&PlausibilityConfig { max_session_secs: u64::MAX, max_reading_age_secs: u64::MAX, ..Default::default() }, i64::MAX, l_now());
        let start = datetime!(2026-12-02 11:00 UTC);
        assert!(l.check_reading(start, reading(start, 0), reading(l_now(), i64::MAX)).is_ok());
        assert!(limits().check_reading(start, reading(start, i64::MIN), reading(l_now(), i64::MAX)).is_err());
    }

    fn l_now() -> OffsetDateTime {
        datetime!(2026-12-02 12:00 UTC)
    }
}
