//! A charger's MeterValue read once: the one reading of its sampled values that the session
//! the driver watches and the bill both use.
//!
//! A MeterValue becomes a [`MeterSample`]: its energy register (or the last one, if it carries
//! none; a register never goes back), whether the car draws power from here on (a reported
//! power of 0 or less means parked: `PARKING_TIME`), that power, and the current it draws (for
//! `min_current`/`max_current`; see [`current_ma_of`]: `Current.Import`, else
//! `Current.Offered`). A reading holds until the next sample and is not carried past it: a
//! sample without current leaves current restrictions unmatched, as one without power leaves
//! power to the stretch's average.

use time::OffsetDateTime;

use crate::ocpp::messages::{MEASURAND_ENERGY_IMPORT, MEASURAND_POWER_IMPORT, SampledValue, current_ma_of, total_of};
use crate::pricing::MeterSample;

/// The sample a MeterValue taken `at` gives, continuing from `last`. `None` if it carries
/// neither energy nor power: such a value moves neither the session nor the bill.
pub fn sample_of(at: OffsetDateTime, values: &[SampledValue], last: &MeterSample) -> Option<MeterSample> {
    let energy = total_of(values, MEASURAND_ENERGY_IMPORT);
    let power = total_of(values, MEASURAND_POWER_IMPORT);
    if energy.is_none() && power.is_none() {
        return None;
    }
    let energy_wh = energy.unwrap_or(last.energy_wh).max(last.energy_wh);
    let sample = match power {
        Some(w) if w <= 0 => MeterSample::parking(at, energy_wh),
        Some(w) => MeterSample::charging(at, energy_wh).with_power_w(w),
        None => MeterSample::charging(at, energy_wh),
    };
    Some(match current_ma_of(values) {
        Some(ma) => sample.with_current_ma(ma),
        None => sample,
    })
}

/// The power to show the driver from `sample` on: the reported power while charging, 0 while
/// parked, and without a report the average since `last` (`None` when no time passed, or
/// without an earlier reading to average from).
pub fn shown_power_w(sample: &MeterSample, last: Option<&MeterSample>) -> Option<i64> {
    if !sample.charging {
        return Some(0);
    }
    if let Some(w) = sample.power_w {
        return Some(w);
    }
    let last = last?;
    let millis = (sample.at - last.at).whole_milliseconds();
    if millis <= 0 {
        return None;
    }
    let watts = i128::from((sample.energy_wh - last.energy_wh).max(0)) * 3_600_000 / millis;
    Some(i64::try_from(watts).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn value(measurand: &str, text: &str) -> SampledValue {
        serde_json::from_value(serde_json::json!({"value": text, "measurand": measurand})).unwrap()
    }

    #[test]
    fn zero_or_negative_power_is_parking_shown_as_zero() {
        let last = MeterSample::charging(datetime!(2026-12-01 10:00 UTC), 1_000);
        let at = datetime!(2026-12-01 10:10 UTC);
        for w in ["0", "-5"] {
            let sample = sample_of(at, &[value(MEASURAND_POWER_IMPORT, w)], &last).unwrap();
            assert!(!sample.charging, "{w} W is parked");
            assert_eq!(sample.energy_wh, 1_000, "the last register holds");
            assert_eq!(shown_power_w(&sample, Some(&last)), Some(0));
        }
        let charging = sample_of(at, &[value(MEASURAND_POWER_IMPORT, "7400")], &last).unwrap();
        assert!(charging.charging);
        assert_eq!(shown_power_w(&charging, Some(&last)), Some(7_400));
    }

    #[test]
    fn without_power_the_car_charges_at_the_average_and_the_register_never_goes_back() {
        let last = MeterSample::charging(datetime!(2026-12-01 10:00 UTC), 1_000);
        let sample = sample_of(datetime!(2026-12-01 10:30 UTC), &[value(MEASURAND_ENERGY_IMPORT, "4000")], &last).unwrap();
        assert!(sample.charging);
        assert_eq!(shown_power_w(&sample, Some(&last)), Some(6_000));
        assert_eq!(shown_power_w(&sample, None), None);
        let back = sample_of(datetime!(2026-12-01 10:40 UTC), &[value(MEASURAND_ENERGY_IMPORT, "900")], &sample).unwrap();
        assert_eq!(back.energy_wh, 4_000);
        assert_eq!(sample_of(datetime!(2026-12-01 10:40 UTC), &[value("Temperature", "30")], &last), None);
    }
}
