//! A smooth live display between meter samples. Chargers report every few seconds (OCPP
//! MeterValues); a number that jumps every few seconds looks broken. Between samples the
//! display extrapolates energy from the latest power, so kWh and cost move at display rate.
//!
//! The rules, each a property test below:
//! - **never backwards**: the shown energy never decreases;
//! - **never ahead of the data**: after a sample, the shown energy never exceeds what that
//!   sample's trajectory (its energy plus its power times the time since, capped at one
//!   sample interval) allows — unless it was already shown higher when the sample arrived
//!   (the power dropped in between), in which case it holds until the real values pass it;
//! - **converges without jumps**: when a new sample finds the screen behind it, the gap is
//!   closed linearly over [`CONVERGE_MS`], after which the display follows the trajectory
//!   exactly; it moves at most at the charger's power plus that catch-up rate. So it may trail
//!   a sample for up to that window, never longer.
//!
//! Times are milliseconds on the phone's clock (when a sample *arrived*), energies whole Wh
//! on the screen but kept in mWh here, so slow charging still moves smoothly.

/// How long a new sample takes to be reached from what was on screen.
pub const CONVERGE_MS: i64 = 1_000;
/// Extrapolation horizon when the sample interval is not known yet.
const DEFAULT_HORIZON_MS: i64 = 10_000;
const MS_PER_HOUR: i64 = 3_600_000;

/// A real meter sample, as the phone received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Phone clock, ms.
    pub at_ms: i64,
    pub energy_wh: i64,
    pub power_w: i64,
}

#[derive(Debug, Clone)]
pub struct Smoother {
    latest: Option<Sample>,
    /// How far past the latest sample to extrapolate: the last interval between samples.
    horizon_ms: i64,
    /// How far below the latest sample the screen was when it arrived (mWh); closed linearly
    /// over [`CONVERGE_MS`].
    behind_mwh: i64,
    /// The most shown so far, so nothing ever goes back.
    shown_mwh: i64,
}

impl Default for Smoother {
    fn default() -> Self {
        Self { latest: None, horizon_ms: DEFAULT_HORIZON_MS, behind_mwh: 0, shown_mwh: 0 }
    }
}

impl Smoother {
    /// A real sample arrived.
    pub fn on_sample(&mut self, sample: Sample) {
        if let Some(previous) = self.latest {
            if sample.at_ms < previous.at_ms || sample.energy_wh < previous.energy_wh {
                return; // out of order: the display already went past it
            }
            let interval = sample.at_ms - previous.at_ms;
            if interval > 0 {
                self.horizon_ms = interval;
            }
        }
        // Nothing shown yet: start at the real value. Otherwise continue from what is on screen.
        let shown_now = if self.latest.is_none() { sample.energy_wh * 1000 } else { self.shown_at(sample.at_ms) };
        self.behind_mwh = (sample.energy_wh * 1000 - shown_now).max(0);
        self.shown_mwh = shown_now;
        self.latest = Some(sample);
    }

    /// The energy to show at `now_ms`, in mWh (divide by 1000 for Wh).
    pub fn shown_mwh(&mut self, now_ms: i64) -> i64 {
        let shown = self.shown_at(now_ms);
        self.shown_mwh = shown;
        shown
    }

    /// The charging time to show, in whole seconds: the latest sample's, plus the time since,
    /// capped at the same horizon as the energy.
    pub fn elapsed_seconds(&self, sample_seconds: i64, now_ms: i64) -> i64 {
        match self.latest {
            Some(latest) => sample_seconds + (now_ms - latest.at_ms).clamp(0, self.horizon_ms) / 1000,
            None => sample_seconds,
        }
    }

    fn shown_at(&self, now_ms: i64) -> i64 {
        let Some(latest) = self.latest else { return self.shown_mwh };
        let since = (now_ms - latest.at_ms).max(0);
        let target = trajectory_mwh(latest, since, self.horizon_ms);
        // Behind: follow the trajectory minus what is left of the gap. Ahead (the power
        // dropped): `shown_mwh` holds the screen until the trajectory passes it.
        let remaining_gap = self.behind_mwh * (CONVERGE_MS - since).max(0) / CONVERGE_MS;
        (target - remaining_gap).max(self.shown_mwh)
    }
}

/// The sample's energy plus its power over the time since, capped at the horizon.
fn trajectory_mwh(sample: Sample, since_ms: i64, horizon_ms: i64) -> i64 {
    let ms = since_ms.clamp(0, horizon_ms);
    sample.energy_wh * 1000 + sample.power_w.max(0) * ms * 1000 / MS_PER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn moves_between_samples_and_settles_on_the_next() {
        let mut s = Smoother::default();
        s.on_sample(Sample { at_ms: 0, energy_wh: 100, power_w: 36_000 }); // 10 Wh per second
        assert_eq!(s.shown_mwh(0), 100_000);
        s.on_sample(Sample { at_ms: 1_000, energy_wh: 110, power_w: 36_000 });
        assert_eq!(s.shown_mwh(1_500), 115_000, "extrapolated half a second at 10 Wh/s");
        assert_eq!(s.shown_mwh(2_000), 120_000);
        assert_eq!(s.shown_mwh(5_000), 120_000, "capped at one sample interval");
        assert_eq!(s.elapsed_seconds(1, 5_000), 2);
    }

    #[test]
    fn holds_rather_than_going_back_when_power_drops() {
        let mut s = Smoother::default();
        s.on_sample(Sample { at_ms: 0, energy_wh: 0, power_w: 36_000 });
        s.on_sample(Sample { at_ms: 1_000, energy_wh: 10, power_w: 36_000 });
        assert_eq!(s.shown_mwh(2_000), 20_000);
        // The charger throttled: only 12 Wh by now, at a tenth of the power.
        s.on_sample(Sample { at_ms: 2_000, energy_wh: 12, power_w: 3_600 });
        assert_eq!(s.shown_mwh(2_500), 20_000, "held");
        assert_eq!(s.shown_mwh(3_000), 20_000, "the new trajectory (13 Wh) is still below");
    }

    /// Samples with rising energy at rising times, and the moments the screen is drawn.
    fn session() -> impl Strategy<Value = (Vec<(i64, i64, i64)>, Vec<i64>)> {
        (
            prop::collection::vec((1i64..5_000, 0i64..200, 0i64..350_000), 1..20),
            prop::collection::vec(0i64..100_000, 1..200),
        )
            .prop_map(|(steps, mut frames)| {
                let (mut at, mut energy) = (0, 0);
                let samples = steps
                    .into_iter()
                    .map(|(dt, de, power)| {
                        at += dt;
                        energy += de;
                        (at, energy, power)
                    })
                    .collect();
                frames.sort_unstable();
                (samples, frames)
            })
    }

    /// Replays a session: samples and frames in time order; returns (time, shown mWh, the
    /// latest sample, shown when that sample arrived) per frame.
    fn replay(samples: &[(i64, i64, i64)], frames: &[i64]) -> Vec<(i64, i64, Sample, i64, i64)> {
        let mut smoother = Smoother::default();
        let (mut next, mut out) = (0, Vec::new());
        let (mut latest, mut at_arrival, mut horizon) = (None, 0, DEFAULT_HORIZON_MS);
        for &frame in frames {
            while next < samples.len() && samples[next].0 <= frame {
                let (at_ms, energy_wh, power_w) = samples[next];
                let sample = Sample { at_ms, energy_wh, power_w };
                if let Some(previous) = latest {
                    let previous: Sample = previous;
                    horizon = at_ms - previous.at_ms;
                }
                smoother.on_sample(sample);
                at_arrival = smoother.shown_mwh(at_ms);
                latest = Some(sample);
                next += 1;
            }
            if let Some(sample) = latest {
                out.push((frame, smoother.shown_mwh(frame), sample, at_arrival, horizon));
            }
        }
        out
    }

    proptest! {
        #[test]
        fn never_backwards((samples, frames) in session()) {
            let shown = replay(&samples, &frames);
            for pair in shown.windows(2) {
                prop_assert!(pair[1].1 >= pair[0].1, "went back: {pair:?}");
            }
        }

        #[test]
        fn never_ahead_of_the_latest_data((samples, frames) in session()) {
            for (t, shown, sample, at_arrival, horizon) in replay(&samples, &frames) {
                let allowed = trajectory_mwh(sample, t - sample.at_ms, horizon).max(at_arrival);
                prop_assert!(shown <= allowed, "at {t}: shown {shown} > allowed {allowed}");
            }
        }

        #[test]
        fn converges_to_the_trajectory((samples, frames) in session()) {
            for (t, shown, sample, at_arrival, horizon) in replay(&samples, &frames) {
                let target = trajectory_mwh(sample, t - sample.at_ms, horizon);
                if t - sample.at_ms >= CONVERGE_MS && at_arrival <= target {
                    prop_assert_eq!(shown, target, "not converged at {}", t);
                }
            }
        }

        #[test]
        fn moves_without_jumps((samples, frames) in session()) {
            let shown = replay(&samples, &frames);
            for pair in shown.windows(2) {
                let (t0, s0, ..) = pair[0];
                let (t1, s1, sample, at_arrival, _) = pair[1];
                // Between two frames after the same sample: at most the charger's rate plus the
                // catch-up (the gap at arrival over the window), give or take integer rounding.
                if pair[0].2 == sample {
                    let gap = (sample.energy_wh * 1000 - at_arrival).max(0);
                    let bound = sample.power_w * (t1 - t0) * 1000 / MS_PER_HOUR + gap * (t1 - t0) / CONVERGE_MS + 2;
                    prop_assert!(s1 - s0 <= bound, "jump of {} mWh in {} ms (bound {bound})", s1 - s0, t1 - t0);
                }
            }
        }
    }
}
