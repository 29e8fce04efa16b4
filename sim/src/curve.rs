//! Charging maths, free of I/O so it can be tested exactly: how much power a car draws at a
//! given state of charge ([`PowerCurve`]) and how much energy reaches it over a stretch of real
//! time ([`ChargingCar`]).
//!
//! Energy is counted in whole micro-watt-hours (µWh) so that adding up thousands of short ticks
//! neither loses nor invents energy the way summing `f64` watt-hours would; only the power at
//! one instant is computed in floating point. The meter register the charge point reports is a
//! whole Wh count, and whatever is left below one Wh is carried to the next tick.

use std::time::Duration;

/// µWh in one Wh.
const UWH_PER_WH: i64 = 1_000_000;

/// Longest stretch integrated at a single power. The power changes with the state of charge,
/// so a long tick is split into steps of at most this length.
const MAX_STEP: Duration = Duration::from_secs(1);

/// The most power a car accepts, as a function of its state of charge.
///
/// Points are `(state of charge in %, power in W)`, sorted by state of charge. Between two
/// points the power is interpolated linearly; before the first point it is the first point's
/// power and after the last point the last point's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerCurve {
    points: Vec<(u8, u32)>,
}

/// Why a list of points is not a power curve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CurveError {
    #[error("a power curve needs at least one point")]
    Empty,
    #[error("state of charge {0} % is above 100 %")]
    SocAbove100(u8),
    #[error("points must be sorted by strictly increasing state of charge ({previous} % then {next} %)")]
    NotIncreasing { previous: u8, next: u8 },
}

impl PowerCurve {
    /// A curve through `points` (`(soc %, max power W)`); see the type docs for the rules.
    pub fn new(points: Vec<(u8, u32)>) -> Result<Self, CurveError> {
        if points.is_empty() {
            return Err(CurveError::Empty);
        }
        if let Some(&(soc, _)) = points.iter().find(|(soc, _)| *soc > 100) {
            return Err(CurveError::SocAbove100(soc));
        }
        if let Some(pair) = points.windows(2).find(|pair| pair[0].0 >= pair[1].0) {
            return Err(CurveError::NotIncreasing { previous: pair[0].0, next: pair[1].0 });
        }
        Ok(Self { points })
    }

    /// The same power at every state of charge, like an AC wallbox that the car never limits.
    pub fn constant(watts: u32) -> Self {
        Self { points: vec![(0, watts), (100, watts)] }
    }

    /// A typical DC fast-charging curve: 150 kW up to 50 %, then tapering to 20 kW at 100 %.
    pub fn dc_fast() -> Self {
        Self { points: vec![(0, 150_000), (50, 150_000), (80, 70_000), (100, 20_000)] }
    }

    pub fn points(&self) -> &[(u8, u32)] {
        &self.points
    }

    /// The most power (W) the car accepts at `soc_percent`, interpolated linearly.
    pub fn max_power_w(&self, soc_percent: f64) -> f64 {
        let (first, last) = match (self.points.first(), self.points.last()) {
            (Some(first), Some(last)) => (*first, *last),
            // `new` and the constructors never build an empty curve.
            _ => return 0.0,
        };
        if soc_percent <= f64::from(first.0) {
            return f64::from(first.1);
        }
        for pair in self.points.windows(2) {
            let ((soc0, p0), (soc1, p1)) = (pair[0], pair[1]);
            if soc_percent <= f64::from(soc1) {
                let fraction = (soc_percent - f64::from(soc0)) / f64::from(soc1 - soc0);
                return f64::from(p0) + fraction * (f64::from(p1) - f64::from(p0));
            }
        }
        f64::from(last.1)
    }
}

impl Default for PowerCurve {
    /// [`PowerCurve::dc_fast`].
    fn default() -> Self {
        Self::dc_fast()
    }
}

/// The car a simulated session charges: battery size, state of charge at plug-in, power curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarProfile {
    /// Usable battery capacity in Wh.
    pub battery_wh: i64,
    /// State of charge when the car is plugged in, 0–100 (larger values count as 100).
    pub initial_soc_percent: u8,
    pub curve: PowerCurve,
}

impl Default for CarProfile {
    /// A 75 kWh car arriving at 20 % on the [`PowerCurve::dc_fast`] curve.
    fn default() -> Self {
        Self { battery_wh: 75_000, initial_soc_percent: 20, curve: PowerCurve::dc_fast() }
    }
}

/// What one call to [`ChargingCar::charge_for`] delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargeStep {
    /// Whole Wh to add to the meter register (the fraction below one Wh is carried over).
    pub register_increment_wh: i64,
    /// Average power over the elapsed time, in W (the curve's power at the current state of
    /// charge when no time elapsed, 0 once the car is full).
    pub power_w: u32,
    /// The battery is at 100 %.
    pub full: bool,
}

/// A car plugged in for one transaction, charging along its profile's curve.
#[derive(Debug, Clone)]
pub struct ChargingCar {
    curve: PowerCurve,
    capacity_uwh: i64,
    stored_uwh: i64,
    /// Energy delivered but not yet on the register because it is below one Wh.
    uncounted_uwh: i64,
}

impl ChargingCar {
    /// A car of this profile at its initial state of charge.
    pub fn plug_in(profile: &CarProfile) -> Self {
        let capacity_uwh = profile.battery_wh.max(0).saturating_mul(UWH_PER_WH);
        let soc = i64::from(profile.initial_soc_percent.min(100));
        Self { curve: profile.curve.clone(), capacity_uwh, stored_uwh: capacity_uwh / 100 * soc, uncounted_uwh: 0 }
    }

    /// State of charge in percent (100 for a battery of no capacity).
    pub fn soc_percent(&self) -> f64 {
        if self.capacity_uwh == 0 {
            return 100.0;
        }
        self.stored_uwh as f64 / self.capacity_uwh as f64 * 100.0
    }

    pub fn is_full(&self) -> bool {
        self.stored_uwh >= self.capacity_uwh
    }

    /// Charges for `elapsed` of real time along the curve, never past a full battery.
    pub fn charge_for(&mut self, elapsed: Duration) -> ChargeStep {
        let mut delivered_uwh: i64 = 0;
        let mut left = elapsed;
        while !left.is_zero() && !self.is_full() {
            let step = left.min(MAX_STEP);
            left -= step;
            let power_w = self.curve.max_power_w(self.soc_percent()).max(0.0);
            // W × s = J; 1 Wh = 3600 J; 1 Wh = 1e6 µWh.
            let uwh = (power_w * step.as_secs_f64() * UWH_PER_WH as f64 / 3600.0).round() as i64;
            let uwh = uwh.min(self.capacity_uwh - self.stored_uwh);
            self.stored_uwh += uwh;
            delivered_uwh += uwh;
        }
        self.uncounted_uwh += delivered_uwh;
        let register_increment_wh = self.uncounted_uwh / UWH_PER_WH;
        self.uncounted_uwh %= UWH_PER_WH;

        let power_w = if self.is_full() && elapsed.is_zero() {
            0.0
        } else if elapsed.is_zero() {
            self.curve.max_power_w(self.soc_percent())
        } else {
            delivered_uwh as f64 / UWH_PER_WH as f64 * 3600.0 / elapsed.as_secs_f64()
        };
        ChargeStep { register_increment_wh, power_w: power_w.round().clamp(0.0, f64::from(u32::MAX)) as u32, full: self.is_full() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plug(battery_wh: i64, soc: u8, curve: PowerCurve) -> ChargingCar {
        ChargingCar::plug_in(&CarProfile { battery_wh, initial_soc_percent: soc, curve })
    }

    #[test]
    fn interpolates_between_points_and_clamps_outside() {
        let curve = PowerCurve::new(vec![(10, 100_000), (50, 100_000), (100, 20_000)]).unwrap();
        assert_eq!(curve.max_power_w(0.0), 100_000.0);
        assert_eq!(curve.max_power_w(10.0), 100_000.0);
        assert_eq!(curve.max_power_w(30.0), 100_000.0);
        assert_eq!(curve.max_power_w(50.0), 100_000.0);
        assert_eq!(curve.max_power_w(75.0), 60_000.0);
        assert_eq!(curve.max_power_w(100.0), 20_000.0);
        assert_eq!(curve.max_power_w(120.0), 20_000.0);
        let rising = PowerCurve::new(vec![(0, 0), (100, 10_000)]).unwrap();
        assert_eq!(rising.max_power_w(25.0), 2_500.0);
    }

    #[test]
    fn single_point_and_constant_curves_are_flat() {
        let single = PowerCurve::new(vec![(40, 7_400)]).unwrap();
        for soc in [0.0, 40.0, 99.0] {
            assert_eq!(single.max_power_w(soc), 7_400.0);
        }
        let constant = PowerCurve::constant(11_000);
        assert_eq!(constant.max_power_w(0.0), 11_000.0);
        assert_eq!(constant.max_power_w(63.2), 11_000.0);
    }

    #[test]
    fn default_curve_is_dc_like() {
        let curve = PowerCurve::default();
        assert_eq!(curve.max_power_w(0.0), 150_000.0);
        assert_eq!(curve.max_power_w(50.0), 150_000.0);
        assert!(curve.max_power_w(70.0) < 150_000.0);
        assert_eq!(curve.max_power_w(100.0), 20_000.0);
        let powers: Vec<f64> = (50..=100).map(|soc| curve.max_power_w(f64::from(soc))).collect();
        assert!(powers.windows(2).all(|w| w[0] >= w[1]), "tapers monotonically");
    }

    #[test]
    fn rejects_invalid_points() {
        assert_eq!(PowerCurve::new(vec![]), Err(CurveError::Empty));
        assert_eq!(PowerCurve::new(vec![(0, 1), (101, 1)]), Err(CurveError::SocAbove100(101)));
        assert_eq!(PowerCurve::new(vec![(50, 1), (50, 2)]), Err(CurveError::NotIncreasing { previous: 50, next: 50 }));
        assert_eq!(PowerCurve::new(vec![(60, 1), (20, 2)]), Err(CurveError::NotIncreasing { previous: 60, next: 20 }));
    }

    #[test]
    fn one_hour_at_constant_power_is_power_times_one_hour() {
        let mut car = plug(1_000_000, 0, PowerCurve::constant(11_000));
        let step = car.charge_for(Duration::from_secs(3600));
        assert_eq!(step, ChargeStep { register_increment_wh: 11_000, power_w: 11_000, full: false });
        // Each 1 s step is rounded to the µWh: at most 0.5 µWh off per second.
        assert!((car.soc_percent() - 1.1).abs() < 1e-5);
    }

    #[test]
    fn fractions_of_a_wh_are_carried_over_many_ticks() {
        // 3.6 kW for 1 ms is exactly 0.001 Wh: ten thousand ticks make exactly 10 Wh.
        let mut car = plug(1_000_000, 0, PowerCurve::constant(3_600));
        let total: i64 = (0..10_000).map(|_| car.charge_for(Duration::from_millis(1)).register_increment_wh).sum();
        assert_eq!(total, 10);
        // 7 kW for 100 ms is 0.1944… Wh: over 36 000 ticks (one hour) exactly 7 000 Wh.
        let mut car = plug(1_000_000, 0, PowerCurve::constant(7_000));
        let mut total = 0;
        for _ in 0..36_000 {
            let step = car.charge_for(Duration::from_millis(100));
            assert!(step.register_increment_wh <= 1);
            total += step.register_increment_wh;
        }
        assert!((6_999..=7_000).contains(&total), "total {total}");
    }

    #[test]
    fn stops_exactly_at_full() {
        let mut car = plug(20, 50, PowerCurve::constant(360_000));
        // 360 kW for 1 s would be 100 Wh; only 10 Wh fit.
        let step = car.charge_for(Duration::from_secs(1));
        assert_eq!(step.register_increment_wh, 10);
        assert!(step.full);
        assert_eq!(step.power_w, 36_000, "average over the second");
        assert_eq!(car.soc_percent(), 100.0);
        let after = car.charge_for(Duration::from_secs(1));
        assert_eq!(after, ChargeStep { register_increment_wh: 0, power_w: 0, full: true });
    }

    #[test]
    fn whole_battery_is_counted_to_the_wh_over_uneven_ticks() {
        let mut car = plug(20, 0, PowerCurve::constant(5_000));
        let mut total = 0;
        let mut ticks = 0;
        while !car.is_full() {
            total += car.charge_for(Duration::from_millis(7)).register_increment_wh;
            ticks += 1;
            assert!(ticks < 100_000, "never filled");
        }
        assert_eq!(total, 20);
    }

    #[test]
    fn power_follows_the_curve_as_the_battery_fills() {
        let mut car = plug(100_000, 40, PowerCurve::dc_fast());
        let early = car.charge_for(Duration::from_secs(60));
        assert_eq!(early.power_w, 150_000);
        while car.soc_percent() < 90.0 {
            car.charge_for(Duration::from_secs(60));
        }
        let late = car.charge_for(Duration::from_secs(1));
        assert!(late.power_w < 60_000, "tapered to {}", late.power_w);
        assert!(car.charge_for(Duration::ZERO).power_w > 0);
    }

    #[test]
    fn odd_profiles_do_not_panic() {
        let mut empty = plug(0, 0, PowerCurve::constant(1_000));
        assert!(empty.is_full());
        assert_eq!(empty.charge_for(Duration::from_secs(1)).register_increment_wh, 0);
        let mut over = plug(1_000, 250, PowerCurve::constant(1_000));
        assert!(over.is_full());
        assert!(over.charge_for(Duration::from_secs(1)).full);
        let mut stuck = plug(1_000, 0, PowerCurve::constant(0));
        assert_eq!(stuck.charge_for(Duration::from_secs(10)), ChargeStep { register_increment_wh: 0, power_w: 0, full: false });
    }
}
