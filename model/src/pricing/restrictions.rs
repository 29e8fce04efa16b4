//! OCPI tariff restrictions compiled to integer thresholds, and the instants where they can
//! change their verdict.
//!
//! Thresholds given as decimals (kWh, kW, A) become integers in the engine's units (Wh, W, mA)
//! by rounding *up*: for an integer reading `x` and a real threshold `t`, `x >= t` is exactly
//! `x >= ceil(t)` and `x < t` is exactly `x < ceil(t)`, so no comparison changes meaning.

use rust_decimal::Decimal;

use super::clock::{LocalTime, SECONDS_PER_DAY, day_number};
use crate::tariff::{Tariff, TariffRestrictions};

/// One element's restrictions in engine units. `None` means "not restricted".
#[derive(Debug, Clone, Default)]
struct Rule {
    /// Reservation elements never price a charging session.
    never: bool,
    /// `[start, end)` seconds of the local day; `start > end` wraps past midnight.
    time_of_day: Option<(i64, i64)>,
    start_day: Option<i64>,
    end_day: Option<i64>,
    /// Bit `i` set: applies on weekday `i` (0 = Monday); 0 means every day.
    weekdays: u8,
    min_wh: Option<i64>,
    max_wh: Option<i64>,
    min_w: Option<i64>,
    max_w: Option<i64>,
    min_ma: Option<i64>,
    max_ma: Option<i64>,
    min_s: Option<i64>,
    max_s: Option<i64>,
}

/// What a stretch of a session looks like to the restrictions at its start.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Conditions {
    /// Seconds since the session started.
    pub elapsed: i64,
    /// Energy delivered since the session started, Wh.
    pub energy_wh: i64,
    pub power_w: i64,
    /// Unknown when the charger did not report it: current restrictions then do not match.
    pub current_ma: Option<i64>,
}

/// All elements' rules, plus the sorted points where their verdicts can flip.
#[derive(Debug, Clone)]
pub(crate) struct Restrictions {
    rules: Vec<Rule>,
    /// Elements with a clock restriction.
    clock_elements: u64,
    /// Elements with a restriction on duration, energy, power or current.
    dynamic_elements: u64,
    /// Seconds of the local day where a time-of-day restriction starts or ends, ascending.
    clock_points: Vec<i64>,
    /// Session durations where a duration restriction flips, ascending.
    duration_points: Vec<i64>,
    /// Session energies (Wh) where an energy restriction flips, ascending.
    energy_points: Vec<i64>,
}

fn ceil_scaled(value: Option<Decimal>, scale: i64) -> Option<i64> {
    // Saturate: a threshold beyond i64 is never reached.
    value.map(|v| i64::try_from((v * Decimal::from(scale)).ceil()).unwrap_or(i64::MAX))
}

impl Rule {
    fn new(r: &TariffRestrictions) -> Self {
        let time_of_day = (r.start_time.is_some() || r.end_time.is_some()).then(|| {
            let start = r.start_time.map_or(0, |t| t.seconds_of_day());
            // OCPI: "To stop at end of the day use: 00:00".
            let end = r.end_time.map_or(SECONDS_PER_DAY, |t| t.seconds_of_day());
            (start, if end == 0 { SECONDS_PER_DAY } else { end })
        });
        Self {
            never: r.reservation.is_some(),
            time_of_day,
            start_day: r.start_date.map(day_number),
            end_day: r.end_date.map(day_number),
            weekdays: r.day_of_week.iter().fold(0, |bits, d| bits | 1 << d.index()),
            min_wh: ceil_scaled(r.min_kwh, 1000),
            max_wh: ceil_scaled(r.max_kwh, 1000),
            min_w: ceil_scaled(r.min_power, 1000),
            max_w: ceil_scaled(r.max_power, 1000),
            min_ma: ceil_scaled(r.min_current, 1000),
            max_ma: ceil_scaled(r.max_current, 1000),
            min_s: r.min_duration,
            max_s: r.max_duration,
        }
    }

    fn uses_clock(&self) -> bool {
        self.time_of_day.is_some() || self.start_day.is_some() || self.end_day.is_some() || self.weekdays != 0
    }

    fn is_dynamic(&self) -> bool {
        [self.min_wh, self.max_wh, self.min_w, self.max_w, self.min_ma, self.max_ma, self.min_s, self.max_s]
            .iter()
            .any(Option::is_some)
    }

    fn clock_matches(&self, t: &LocalTime) -> bool {
        let time_ok = self.time_of_day.is_none_or(|(start, end)| {
            let s = t.second_of_day;
            match start.cmp(&end) {
                std::cmp::Ordering::Less => start <= s && s < end,
                std::cmp::Ordering::Greater => s >= start || s < end,
                std::cmp::Ordering::Equal => true,
            }
        });
        time_ok
            && self.start_day.is_none_or(|d| t.day >= d)
            && self.end_day.is_none_or(|d| t.day < d)
            && (self.weekdays == 0 || self.weekdays & (1 << t.weekday()) != 0)
    }

    fn dynamic_matches(&self, c: &Conditions) -> bool {
        let within = |value: i64, min: Option<i64>, max: Option<i64>| {
            min.is_none_or(|m| value >= m) && max.is_none_or(|m| value < m)
        };
        let current_ok = match (self.min_ma, self.max_ma, c.current_ma) {
            (None, None, _) => true,
            (_, _, None) => false,
            (min, max, Some(ma)) => within(ma, min, max),
        };
        within(c.elapsed, self.min_s, self.max_s)
            && within(c.energy_wh, self.min_wh, self.max_wh)
            && within(c.power_w, self.min_w, self.max_w)
            && current_ok
    }
}

fn sorted_points(points: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut points: Vec<i64> = points.collect();
    points.sort_unstable();
    points.dedup();
    points
}

impl Restrictions {
    pub fn new(tariff: &Tariff) -> Self {
        let rules: Vec<Rule> = tariff
            .elements
            .iter()
            .map(|e| e.restrictions.as_ref().map(Rule::new).unwrap_or_default())
            .collect();
        let mask = |pred: fn(&Rule) -> bool| {
            rules.iter().enumerate().filter(|(_, r)| pred(r)).fold(0u64, |m, (i, _)| m | 1 << i)
        };
        let clock_elements = mask(Rule::uses_clock);
        let dynamic_elements = mask(Rule::is_dynamic);
        let clock_points = sorted_points(
            rules.iter().filter_map(|r| r.time_of_day).flat_map(|(s, e)| [s, e]).filter(|&p| p > 0 && p < SECONDS_PER_DAY),
        );
        let duration_points = sorted_points(rules.iter().flat_map(|r| [r.min_s, r.max_s]).flatten());
        let energy_points = sorted_points(rules.iter().flat_map(|r| [r.min_wh, r.max_wh]).flatten());
        Self { rules, clock_elements, dynamic_elements, clock_points, duration_points, energy_points }
    }

    pub fn has_clock(&self) -> bool {
        self.clock_elements != 0
    }

    /// Elements whose clock restrictions (if any) match at local time `t`; with no clock,
    /// elements with clock restrictions never match. Reservation elements never do.
    pub fn clock_mask(&self, t: Option<&LocalTime>) -> u64 {
        let mut mask = 0u64;
        for (i, rule) in self.rules.iter().enumerate() {
            let ok = !rule.never
                && match t {
                    Some(t) => rule.clock_matches(t),
                    None => !rule.uses_clock(),
                };
            mask |= u64::from(ok) << i;
        }
        mask
    }

    /// Narrows `mask` to the elements whose duration, energy, power and current restrictions
    /// match under `c`.
    pub fn dynamic_mask(&self, mask: u64, c: &Conditions) -> u64 {
        let mut out = mask;
        let mut pending = mask & self.dynamic_elements;
        while pending != 0 {
            let i = pending.trailing_zeros() as usize;
            pending &= pending - 1;
            if !self.rules[i].dynamic_matches(c) {
                out &= !(1 << i);
            }
        }
        out
    }

    /// The next instant after `unix` (read as `t`) where a clock verdict can flip: a
    /// time-of-day point, local midnight, or a time-zone transition.
    pub fn next_clock_change(&self, unix: i64, t: &LocalTime) -> i64 {
        let next_second = self
            .clock_points
            .iter()
            .copied()
            .find(|&p| p > t.second_of_day)
            .unwrap_or(SECONDS_PER_DAY);
        (unix + next_second - t.second_of_day).min(t.offset_until)
    }

    /// The first duration point strictly above `elapsed`.
    pub fn next_duration_point(&self, elapsed: i64) -> Option<i64> {
        self.duration_points.iter().copied().find(|&p| p > elapsed)
    }

    /// The first energy point strictly above `energy_wh`.
    pub fn next_energy_point(&self, energy_wh: i64) -> Option<i64> {
        self.energy_points.iter().copied().find(|&p| p > energy_wh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;
    use crate::tariff::{DayOfWeek, PriceComponent, TariffDimension, TariffElement, TimeOfDay};
    use std::str::FromStr;

    fn tariff(restrictions: Vec<TariffRestrictions>) -> Tariff {
        let component = PriceComponent { dimension: TariffDimension::Energy, price: Decimal::ONE, vat: None, step_size: 1 };
        Tariff {
            id: "r".into(),
            currency: Currency::EUR,
            elements: restrictions
                .into_iter()
                .map(|r| TariffElement { price_components: vec![component.clone()], restrictions: Some(r) })
                .collect(),
            time_zone: None,
            min_price: None,
            max_price: None,
        }
    }

    fn local(day: i64, hh: i64, mm: i64) -> LocalTime {
        LocalTime { day, second_of_day: hh * 3600 + mm * 60, offset: 0, offset_until: i64::MAX }
    }

    fn at(elapsed: i64, energy_wh: i64, power_w: i64, current_ma: Option<i64>) -> Conditions {
        Conditions { elapsed, energy_wh, power_w, current_ma }
    }

    #[test]
    fn time_of_day_wraps_and_end_midnight_is_end_of_day() {
        let night = TariffRestrictions {
            start_time: TimeOfDay::new(22, 0),
            end_time: TimeOfDay::new(6, 0),
            ..Default::default()
        };
        let evening = TariffRestrictions {
            start_time: TimeOfDay::new(20, 0),
            end_time: TimeOfDay::new(0, 0),
            ..Default::default()
        };
        let r = Restrictions::new(&tariff(vec![night, evening]));
        assert_eq!(r.clock_mask(Some(&local(0, 23, 0))), 0b11);
        assert_eq!(r.clock_mask(Some(&local(0, 5, 59))), 0b01);
        assert_eq!(r.clock_mask(Some(&local(0, 6, 0))), 0b00);
        assert_eq!(r.clock_mask(Some(&local(0, 20, 0))), 0b10);
        assert_eq!(r.clock_mask(Some(&local(0, 0, 0))), 0b01);
        // Without a clock, clock-restricted elements never apply.
        assert_eq!(r.clock_mask(None), 0);
        assert_eq!(r.next_clock_change(0, &local(0, 0, 0)), 6 * 3600);
        assert_eq!(r.next_clock_change(0, &local(0, 23, 0)), 3600);
    }

    #[test]
    fn dates_and_weekdays_are_local_days() {
        let r = TariffRestrictions {
            start_date: Some(time::macros::date!(1970 - 01 - 02)),
            end_date: Some(time::macros::date!(1970 - 01 - 05)),
            day_of_week: vec![DayOfWeek::Friday, DayOfWeek::Sunday],
            ..Default::default()
        };
        let r = Restrictions::new(&tariff(vec![r]));
        // Day 1 is Friday 1970-01-02, day 3 Sunday, day 4 Monday (end date, exclusive).
        let days: Vec<u64> = (0..6).map(|d| r.clock_mask(Some(&local(d, 12, 0)))).collect();
        assert_eq!(days, [0, 1, 0, 1, 0, 0]);
    }

    #[test]
    fn thresholds_keep_their_meaning_in_integers() {
        let d = |s| Some(Decimal::from_str(s).unwrap());
        let r = TariffRestrictions {
            min_kwh: d("1.0005"), // 1000.5 Wh → at least 1001 Wh
            max_power: d("16"),
            min_current: d("6.5"),
            min_duration: Some(60),
            max_duration: Some(120),
            ..Default::default()
        };
        let r = Restrictions::new(&tariff(vec![r]));
        let ok = |c: Conditions| r.dynamic_mask(1, &c) == 1;
        assert!(ok(at(60, 1001, 15_999, Some(6_500))));
        assert!(!ok(at(60, 1000, 15_999, Some(6_500))));
        assert!(!ok(at(60, 1001, 16_000, Some(6_500))));
        assert!(!ok(at(60, 1001, 15_999, Some(6_499))));
        assert!(!ok(at(60, 1001, 15_999, None)), "unknown current never matches a current restriction");
        assert!(!ok(at(59, 1001, 15_999, Some(6_500))));
        assert!(!ok(at(120, 1001, 15_999, Some(6_500))));
        assert_eq!(r.next_duration_point(60), Some(120));
        assert_eq!(r.next_energy_point(0), Some(1001));
        assert_eq!(r.next_energy_point(1001), None);
    }

    #[test]
    fn reservation_elements_never_apply() {
        let r = TariffRestrictions {
            reservation: Some(crate::tariff::ReservationRestriction::Reservation),
            ..Default::default()
        };
        let r = Restrictions::new(&tariff(vec![r, TariffRestrictions::default()]));
        assert_eq!(r.clock_mask(None), 0b10);
    }
}
