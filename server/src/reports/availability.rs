//! Availability of a charger over time, from its status and connection history.
//!
//! A charger's history is three step functions of time: whether it is connected (connection
//! events), the status of connector 0 (the charger as a whole, OCPP 1.6 §4.9) and the status of
//! each connector. At any instant a connector is in exactly one [`State`]:
//!
//! - `Offline` while the charger is not connected, whatever it last said;
//! - else `Faulted` or `Unavailable` while connector 0 says so (the whole charger is down);
//! - else what the connector last said, classified once for every reader by
//!   [`chargekit_model::ConnectorStatus::availability`]; `Unknown` before it said anything (or
//!   when it said something this server does not know).
//!
//! Time is counted per connector (connector-milliseconds), so a charger with two connectors, one
//! charging and one faulted, is 50 % charging and 50 % faulted. Everything is integer
//! milliseconds: the parts of a window always add up to the window exactly, and a window cut
//! into days gives the same totals as the whole (the daily cache relies on that).

use serde::Serialize;

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

pub const DAY_MS: Millis = 86_400_000;

/// A connector's state at an instant: the model's one classification of its status
/// ([`chargekit_model::ConnectorStatus::availability`]). `Occupied` (Finishing, Reserved) counts
/// as available time: the connector works, a car can use it once it is free.
pub use chargekit_model::Availability as State;

/// Time spent in each state, in connector-milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    pub available_ms: i64,
    pub charging_ms: i64,
    pub faulted_ms: i64,
    pub unavailable_ms: i64,
    pub offline_ms: i64,
    pub unknown_ms: i64,
}

impl Breakdown {
    /// Adds saturate: a cached day read back from the database is not trusted to be small.
    pub fn add(&mut self, state: State, ms: i64) {
        let slot = match state {
            State::Available | State::Occupied => &mut self.available_ms,
            State::Charging => &mut self.charging_ms,
            State::Faulted => &mut self.faulted_ms,
            State::Unavailable => &mut self.unavailable_ms,
            State::Offline => &mut self.offline_ms,
            State::Unknown => &mut self.unknown_ms,
        };
        *slot = slot.saturating_add(ms);
    }

    pub fn merge(&mut self, other: &Breakdown) {
        self.available_ms = self.available_ms.saturating_add(other.available_ms);
        self.charging_ms = self.charging_ms.saturating_add(other.charging_ms);
        self.faulted_ms = self.faulted_ms.saturating_add(other.faulted_ms);
        self.unavailable_ms = self.unavailable_ms.saturating_add(other.unavailable_ms);
        self.offline_ms = self.offline_ms.saturating_add(other.offline_ms);
        self.unknown_ms = self.unknown_ms.saturating_add(other.unknown_ms);
    }

    pub fn total_ms(&self) -> i64 {
        [self.charging_ms, self.faulted_ms, self.unavailable_ms, self.offline_ms, self.unknown_ms].into_iter().fold(self.available_ms, i64::saturating_add)
    }

    /// The share of time in `ms`; 0 over an empty window.
    pub fn share(&self, ms: i64) -> f64 {
        match self.total_ms() {
            0 => 0.0,
            total => ms as f64 / total as f64,
        }
    }

    /// Usable or in use (Available or Charging), over all the time observed.
    pub fn availability(&self) -> f64 {
        self.share(self.available_ms.saturating_add(self.charging_ms))
    }

    /// In use (Charging), over all the time observed.
    pub fn utilization(&self) -> f64 {
        self.share(self.charging_ms)
    }
}

/// What is known of one charger: every change of each step function, in any order (ties at the
/// same instant are taken in the order given: the later one wins). Changes before the window
/// set the state at its start; changes after it are ignored.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// `(at, connected)`. Before the first event the charger counts as offline.
    pub connection: Vec<(Millis, bool)>,
    /// Connector 0's statuses.
    pub charger: Vec<(Millis, State)>,
    /// Each connector's statuses. A charger without configured connectors is counted as one
    /// connector described by connector 0.
    pub connectors: Vec<Vec<(Millis, State)>>,
}

/// One step function: sorted by time (stably, so that ties keep their given order).
struct Steps<T> {
    changes: Vec<(Millis, T)>,
    before_first: T,
}

impl<T: Copy> Steps<T> {
    fn new(changes: &[(Millis, T)], before_first: T) -> Self {
        let mut changes = changes.to_vec();
        changes.sort_by_key(|(at, _)| *at);
        Self { changes, before_first }
    }

    /// The value from `at` on (the last change at or before `at`).
    fn at(&self, at: Millis) -> T {
        match self.changes.partition_point(|(t, _)| *t <= at) {
            0 => self.before_first,
            n => self.changes[n - 1].1,
        }
    }
}

/// Time in each state between consecutive `cuts` (sorted instants): `cuts.len() - 1` breakdowns,
/// each totalling (cut[i+1] − cut[i]) × connectors.
pub fn slices(history: &History, cuts: &[Millis]) -> Vec<Breakdown> {
    let mut out = vec![Breakdown::default(); cuts.len().saturating_sub(1)];
    let (Some(&start), Some(&end)) = (cuts.first(), cuts.last()) else { return out };
    if start >= end {
        return out;
    }
    let connection = Steps::new(&history.connection, false);
    let charger = Steps::new(&history.charger, State::Unknown);
    let connectors: Vec<Steps<State>> = if history.connectors.is_empty() {
        vec![Steps::new(&history.charger, State::Unknown)]
    } else {
        history.connectors.iter().map(|c| Steps::new(c, State::Unknown)).collect()
    };

    // Every instant where something may change, within the window.
    let mut points: Vec<Millis> = cuts.to_vec();
    let inside = |t: &Millis| *t > start && *t < end;
    points.extend(history.connection.iter().map(|(t, _)| *t).filter(inside));
    points.extend(history.charger.iter().map(|(t, _)| *t).filter(inside));
    points.extend(history.connectors.iter().flatten().map(|(t, _)| *t).filter(inside));
    points.sort_unstable();
    points.dedup();

    let mut slice = 0;
    for pair in points.windows(2) {
        let (from, to) = (pair[0], pair[1]);
        while slice + 1 < cuts.len() - 1 && from >= cuts[slice + 1] {
            slice += 1;
        }
        let ms = to - from;
        let connected = connection.at(from);
        let whole = charger.at(from);
        for connector in &connectors {
            let state = if !connected {
                State::Offline
            } else if matches!(whole, State::Faulted | State::Unavailable) {
                whole
            } else {
                connector.at(from)
            };
            out[slice].add(state, ms);
        }
    }
    out
}

/// Time in each state over `[from, to)`.
pub fn over(history: &History, from: Millis, to: Millis) -> Breakdown {
    slices(history, &[from, to.max(from)]).pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: Millis = 3_600_000;

    fn history(connection: &[(Millis, bool)], connectors: Vec<Vec<(Millis, State)>>) -> History {
        History { connection: connection.to_vec(), charger: Vec::new(), connectors }
    }

    #[test]
    fn a_worked_day() {
        // Connected at 0; available, charging 2 h to 4 h, faulted 6 h to 7 h, offline 10 h to 12 h.
        let h = history(
            &[(0, true), (10 * H, false), (12 * H, true)],
            vec![vec![(0, State::Available), (2 * H, State::Charging), (4 * H, State::Available), (6 * H, State::Faulted), (7 * H, State::Available)]],
        );
        let day = over(&h, 0, 24 * H);
        assert_eq!(day.total_ms(), 24 * H);
        assert_eq!(day.charging_ms, 2 * H);
        assert_eq!(day.faulted_ms, H);
        assert_eq!(day.offline_ms, 2 * H);
        assert_eq!(day.available_ms, 19 * H);
        assert_eq!(day.availability(), 21.0 / 24.0);
    }

    #[test]
    fn connector_zero_takes_the_whole_charger_down() {
        let mut h = history(&[(0, true)], vec![vec![(0, State::Charging)], vec![(0, State::Available)]]);
        h.charger = vec![(H, State::Unavailable), (2 * H, State::Available)];
        let b = over(&h, 0, 3 * H);
        assert_eq!(b.total_ms(), 2 * 3 * H, "two connectors");
        assert_eq!(b.unavailable_ms, 2 * H, "both connectors for one hour");
        assert_eq!(b.charging_ms, 2 * H);
        assert_eq!(b.available_ms, 2 * H);
    }

    #[test]
    fn before_any_event_a_charger_is_offline_and_silent_connectors_unknown() {
        let h = history(&[(2 * H, true)], vec![vec![(3 * H, State::Available)]]);
        let b = over(&h, 0, 4 * H);
        assert_eq!((b.offline_ms, b.unknown_ms, b.available_ms), (2 * H, H, H));
    }

    #[test]
    fn ties_keep_the_given_order() {
        let h = history(&[(0, true)], vec![vec![(0, State::Faulted), (0, State::Available)]]);
        assert_eq!(over(&h, 0, H).available_ms, H);
    }

    fn state() -> impl Strategy<Value = State> {
        prop_oneof![
            Just(State::Available),
            Just(State::Charging),
            Just(State::Faulted),
            Just(State::Unavailable),
            Just(State::Unknown),
        ]
    }

    /// Random histories over about three days, events possibly before and after the window.
    fn any_history() -> impl Strategy<Value = History> {
        let t = -DAY_MS..4 * DAY_MS;
        (
            prop::collection::vec((t.clone(), any::<bool>()), 0..12),
            prop::collection::vec((t.clone(), state()), 0..8),
            prop::collection::vec(prop::collection::vec((t, state()), 0..12), 0..4),
        )
            .prop_map(|(connection, charger, connectors)| History { connection, charger, connectors })
    }

    fn connectors_of(h: &History) -> i64 {
        h.connectors.len().max(1) as i64
    }

    proptest! {
        #[test]
        fn shares_cover_the_window_exactly(h in any_history(), from in 0..DAY_MS, len in 0..2 * DAY_MS) {
            let b = over(&h, from, from + len);
            prop_assert_eq!(b.total_ms(), len * connectors_of(&h));
            if len > 0 {
                let shares = [b.available_ms, b.charging_ms, b.faulted_ms, b.unavailable_ms, b.offline_ms, b.unknown_ms]
                    .map(|ms| b.share(ms));
                prop_assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
                prop_assert!(shares.iter().all(|s| (0.0..=1.0).contains(s)));
            }
        }

        #[test]
        fn days_add_up_to_the_whole(h in any_history(), days in 1usize..4) {
            let cuts: Vec<Millis> = (0..=days as i64).map(|d| d * DAY_MS).collect();
            let parts = slices(&h, &cuts);
            prop_assert_eq!(parts.len(), days);
            let mut sum = Breakdown::default();
            for (i, part) in parts.iter().enumerate() {
                prop_assert_eq!(part, &over(&h, cuts[i], cuts[i + 1]));
                sum.merge(part);
            }
            prop_assert_eq!(sum, over(&h, 0, days as i64 * DAY_MS));
        }

        #[test]
        fn a_constant_timeline_is_all_one_state(s in state(), connectors in 1usize..4, from in 0..DAY_MS, len in 1..DAY_MS) {
            // Connected and reported before the window, nothing changes within it.
            let h = history(&[(-DAY_MS, true)], vec![vec![(-1, s)]; connectors]);
            let b = over(&h, from, from + len);
            let mut expected = Breakdown::default();
            expected.add(s, len * connectors as i64);
            prop_assert_eq!(b, expected);
            prop_assert_eq!(b.share(b.total_ms()), 1.0);
        }

        #[test]
        fn offline_time_is_never_available(h in any_history(), outage in 0..DAY_MS, len in 1..DAY_MS) {
            // The same history with the charger disconnected for [outage, outage + len).
            let mut cut = h.clone();
            let connected_after = Steps::new(&h.connection, false).at(outage + len);
            cut.connection.retain(|(t, _)| *t < outage || *t >= outage + len);
            cut.connection.push((outage, false));
            cut.connection.push((outage + len, connected_after));
            let during = over(&cut, outage, outage + len);
            prop_assert_eq!(during.offline_ms, during.total_ms());
            prop_assert_eq!(during.availability(), 0.0);
            // Over a wider window, the outage can only lower availability.
            let (from, to) = (outage - DAY_MS / 2, outage + len + DAY_MS / 2);
            let before = over(&h, from, to);
            let after = over(&cut, from, to);
            prop_assert!(after.offline_ms >= len * connectors_of(&h));
            prop_assert!(after.available_ms + after.charging_ms <= before.available_ms + before.charging_ms);
        }

        #[test]
        fn the_order_events_arrive_in_does_not_matter(h in any_history(), seed in any::<u64>()) {
            // Distinct instants per step function (ties are ordered by arrival on purpose).
            fn distinct<T: Copy>(v: &[(Millis, T)]) -> Vec<(Millis, T)> {
                let mut seen = std::collections::HashSet::new();
                v.iter().copied().filter(|(t, _)| seen.insert(*t)).collect()
            }
            fn shuffle<T>(v: &mut [T], mut seed: u64) {
                for i in (1..v.len()).rev() {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    v.swap(i, (seed >> 33) as usize % (i + 1));
                }
            }
            let h = History {
                connection: distinct(&h.connection),
                charger: distinct(&h.charger),
                connectors: h.connectors.iter().map(|c| distinct(c)).collect(),
            };
            let mut shuffled = h.clone();
            shuffle(&mut shuffled.connection, seed);
            shuffle(&mut shuffled.charger, seed ^ 1);
            for c in &mut shuffled.connectors {
                shuffle(c, seed ^ 2);
            }
            prop_assert_eq!(over(&h, 0, 3 * DAY_MS), over(&shuffled, 0, 3 * DAY_MS));
        }
    }
}
