//! Charger performance: energy and power of finished sessions, time to start, success rate
//! with failure reasons, availability, faults and heartbeat gaps — per charger or per site.

use std::collections::BTreeMap;

use serde::Serialize;

use super::GroupBy;
use super::availability::Breakdown;
use crate::store::reports::DailySessions;

#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PerformanceRow {
    /// With `group_by=charger`.
    pub charger_id: Option<String>,
    /// The charger's site, or the site grouped on.
    pub site: Option<String>,
    /// Chargers in the row.
    pub chargers: u32,
    pub sessions_completed: i64,
    pub sessions_failed: i64,
    /// Completed over completed + failed; none without finished sessions.
    pub success_rate: Option<f64>,
    /// Why sessions failed, most frequent first.
    pub failure_reasons: Vec<ReasonCount>,
    pub energy_wh: i64,
    pub charging_seconds: i64,
    /// Mean over sessions of each session's average power (energy ÷ charging time).
    pub avg_session_power_w: Option<i64>,
    /// Mean over sessions of each session's highest reported power.
    pub avg_peak_power_w: Option<i64>,
    /// The highest power any session reported.
    pub peak_power_w: Option<i64>,
    pub time_to_start: TimeToStart,
    pub availability: AvailabilityFigures,
    /// Status reports carrying an error code, by code, most frequent first.
    pub faults: Vec<FaultCount>,
    pub heartbeat_gaps: HeartbeatGaps,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReasonCount {
    pub reason: String,
    pub sessions: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FaultCount {
    pub error_code: String,
    pub reports: i64,
}

/// From a driver's start in the app to the charger's StartTransaction (app starts only; the
/// charger's clock against the server's, so skewed clocks skew it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TimeToStart {
    pub sessions: i64,
    pub avg_ms: Option<i64>,
    pub max_ms: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HeartbeatGaps {
    pub gaps: i64,
    pub total_seconds: i64,
    pub longest_seconds: Option<i64>,
}

/// Connector time in each state over the window (from the connector status history), and the shares.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AvailabilityFigures {
    /// Connector-milliseconds observed: the window (up to now) × connectors.
    pub observed_ms: i64,
    pub available_ms: i64,
    pub charging_ms: i64,
    pub faulted_ms: i64,
    pub unavailable_ms: i64,
    pub offline_ms: i64,
    pub unknown_ms: i64,
    /// Available or charging, over the time observed (0 to 1).
    pub availability: f64,
    /// Charging, over the time observed (0 to 1).
    pub utilization: f64,
}

impl From<Breakdown> for AvailabilityFigures {
    fn from(b: Breakdown) -> Self {
        Self {
            observed_ms: b.total_ms(),
            available_ms: b.available_ms,
            charging_ms: b.charging_ms,
            faulted_ms: b.faulted_ms,
            unavailable_ms: b.unavailable_ms,
            offline_ms: b.offline_ms,
            unknown_ms: b.unknown_ms,
            availability: b.availability(),
            utilization: b.utilization(),
        }
    }
}

/// Everything known of one charger over the window, as read from the store.
#[derive(Debug, Clone, Default)]
pub struct ChargerInputs {
    pub charger_id: String,
    pub site: Option<String>,
    pub failures: Vec<(String, i64)>,
    pub faults: Vec<(String, i64)>,
    pub availability: Breakdown,
    /// (count, total seconds, longest seconds)
    pub gaps: (i64, i64, Option<i64>),
}

/// Running sums of one row. Every addition saturates: the daily sums are bounded per session
/// (`reports::bounds`), but no figure a row can hold may make a report fail.
#[derive(Default)]
struct Acc {
    chargers: u32,
    charger_id: Option<String>,
    site: Option<String>,
    completed: i64,
    failed: i64,
    energy_wh: i64,
    charging_seconds: i64,
    timed: i64,
    avg_power_sum: i64,
    peak_sessions: i64,
    peak_sum: i64,
    peak_max: Option<i64>,
    starts: i64,
    start_ms_sum: i64,
    start_ms_max: Option<i64>,
    failures: BTreeMap<String, i64>,
    faults: BTreeMap<String, i64>,
    availability: Breakdown,
    gaps: i64,
    gap_seconds: i64,
    gap_longest: Option<i64>,
}

fn mean(sum: i64, n: i64) -> Option<i64> {
    (n > 0).then(|| sum / n)
}

impl Acc {
    fn add_day(&mut self, d: &DailySessions) {
        self.completed = self.completed.saturating_add(d.completed);
        self.failed = self.failed.saturating_add(d.failed);
        self.energy_wh = self.energy_wh.saturating_add(d.energy_wh);
        self.charging_seconds = self.charging_seconds.saturating_add(d.charging_seconds);
        self.timed = self.timed.saturating_add(d.timed_sessions);
        self.avg_power_sum = self.avg_power_sum.saturating_add(d.avg_power_w_sum);
        self.peak_sessions = self.peak_sessions.saturating_add(d.peak_sessions);
        self.peak_sum = self.peak_sum.saturating_add(d.peak_power_w_sum);
        self.peak_max = self.peak_max.max(d.peak_power_w_max);
        self.starts = self.starts.saturating_add(d.start_count);
        self.start_ms_sum = self.start_ms_sum.saturating_add(d.start_ms_sum);
        self.start_ms_max = self.start_ms_max.max(d.start_ms_max);
    }

    fn add_charger(&mut self, c: &ChargerInputs) {
        self.chargers += 1;
        for (reason, n) in &c.failures {
            let sum = self.failures.entry(reason.clone()).or_default();
            *sum = sum.saturating_add(*n);
        }
        for (code, n) in &c.faults {
            let sum = self.faults.entry(code.clone()).or_default();
            *sum = sum.saturating_add(*n);
        }
        self.availability.merge(&c.availability);
        self.gaps = self.gaps.saturating_add(c.gaps.0);
        self.gap_seconds = self.gap_seconds.saturating_add(c.gaps.1);
        self.gap_longest = self.gap_longest.max(c.gaps.2);
    }

    fn finish(self) -> PerformanceRow {
        let finished = self.completed.saturating_add(self.failed);
        let by_count = |map: BTreeMap<String, i64>| {
            let mut v: Vec<(String, i64)> = map.into_iter().filter(|(_, n)| *n > 0).collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            v
        };
        PerformanceRow {
            charger_id: self.charger_id,
            site: self.site,
            chargers: self.chargers,
            sessions_completed: self.completed,
            sessions_failed: self.failed,
            success_rate: (finished > 0).then(|| self.completed as f64 / finished as f64),
            failure_reasons: by_count(self.failures).into_iter().map(|(reason, sessions)| ReasonCount { reason, sessions }).collect(),
            energy_wh: self.energy_wh,
            charging_seconds: self.charging_seconds,
            avg_session_power_w: mean(self.avg_power_sum, self.timed),
            avg_peak_power_w: mean(self.peak_sum, self.peak_sessions),
            peak_power_w: self.peak_max,
            time_to_start: TimeToStart { sessions: self.starts, avg_ms: mean(self.start_ms_sum, self.starts), max_ms: self.start_ms_max },
            availability: self.availability.into(),
            faults: by_count(self.faults).into_iter().map(|(error_code, reports)| FaultCount { error_code, reports }).collect(),
            heartbeat_gaps: HeartbeatGaps { gaps: self.gaps, total_seconds: self.gap_seconds, longest_seconds: self.gap_longest },
        }
    }
}

/// One row per charger (every charger in `chargers`, also those without sessions), per site, or
/// one in all.
pub fn rows(days: &[DailySessions], chargers: &[ChargerInputs], group_by: GroupBy) -> Vec<PerformanceRow> {
    let key = |charger_id: &str, site: &Option<String>| match group_by {
        GroupBy::Charger => (Some(charger_id.to_owned()), site.clone()),
        GroupBy::Site => (None, site.clone()),
        GroupBy::Total => (None, None),
    };
    let site_of = |charger_id: &str| chargers.iter().find(|c| c.charger_id == charger_id).and_then(|c| c.site.clone());
    type Key = (Option<String>, Option<String>);
    fn entry(rows: &mut BTreeMap<Key, Acc>, k: Key) -> &mut Acc {
        rows.entry(k.clone()).or_insert_with(|| Acc { charger_id: k.0, site: k.1, ..Acc::default() })
    }
    let mut rows: BTreeMap<Key, Acc> = BTreeMap::new();
    for charger in chargers {
        entry(&mut rows, key(&charger.charger_id, &charger.site)).add_charger(charger);
    }
    for day in days {
        entry(&mut rows, key(&day.charger_id, &site_of(&day.charger_id))).add_day(day);
    }
    rows.into_values().map(Acc::finish).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(charger: &str, completed: i64, failed: i64, energy_wh: i64) -> DailySessions {
        DailySessions {
            day: "2026-11-24".into(),
            charger_id: charger.into(),
            currency: "EUR".into(),
            auth_method: "app".into(),
            completed,
            failed,
            energy_wh,
            charging_seconds: 3_600 * completed,
            timed_sessions: completed,
            avg_power_w_sum: 11_000 * completed,
            peak_sessions: completed,
            peak_power_w_sum: 22_000 * completed,
            peak_power_w_max: Some(22_000),
            start_count: completed,
            start_ms_sum: 4_000 * completed,
            start_ms_max: Some(6_000),
            ..DailySessions::default()
        }
    }

    fn charger(id: &str, site: Option<&str>, faults: &[(&str, i64)]) -> ChargerInputs {
        let availability = Breakdown { available_ms: 3_000, offline_ms: 1_000, ..Breakdown::default() };
        ChargerInputs {
            charger_id: id.into(),
            site: site.map(Into::into),
            failures: vec![("The charger refused to start.".into(), 1)],
            faults: faults.iter().map(|(c, n)| ((*c).into(), *n)).collect(),
            availability,
            gaps: (1, 700, Some(700)),
        }
    }

    #[test]
    fn per_charger_and_per_site() {
        let days = [day("A", 3, 1, 30_000), day("B", 1, 0, 5_000)];
        let chargers = [charger("A", Some("Depot"), &[("GroundFailure", 2)]), charger("B", Some("Depot"), &[("GroundFailure", 1), ("HighTemperature", 4)]), charger("C", None, &[])];
        let per_charger = rows(&days, &chargers, GroupBy::Charger);
        assert_eq!(per_charger.len(), 3, "C has no sessions but is reported");
        let a = &per_charger[0];
        assert_eq!((a.sessions_completed, a.sessions_failed, a.success_rate), (3, 1, Some(0.75)));
        assert_eq!((a.avg_session_power_w, a.avg_peak_power_w, a.peak_power_w), (Some(11_000), Some(22_000), Some(22_000)));
        assert_eq!((a.time_to_start.avg_ms, a.time_to_start.max_ms), (Some(4_000), Some(6_000)));
        assert_eq!(a.availability.availability, 0.75);
        assert_eq!(per_charger[2].success_rate, None);

        let per_site = rows(&days, &chargers, GroupBy::Site);
        let depot = per_site.iter().find(|r| r.site.as_deref() == Some("Depot")).unwrap();
        assert_eq!((depot.chargers, depot.sessions_completed, depot.energy_wh), (2, 4, 35_000));
        assert_eq!(depot.faults, [FaultCount { error_code: "HighTemperature".into(), reports: 4 }, FaultCount { error_code: "GroundFailure".into(), reports: 3 }]);
        assert_eq!(depot.failure_reasons[0].sessions, 2);
        assert_eq!(depot.heartbeat_gaps, HeartbeatGaps { gaps: 2, total_seconds: 1_400, longest_seconds: Some(700) });
        assert_eq!(depot.availability.observed_ms, 8_000);
    }
}
