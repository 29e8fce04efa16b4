//! What the load harness counts while it runs, and the report it gives at the end.
//!
//! Latencies go into HDR histograms (microseconds, three significant digits): a fixed few
//! kilobytes however many samples, and exact enough percentiles. One histogram per action,
//! shared by all connections behind a mutex: a few thousand records a second are far below
//! what an uncontended lock costs, and one histogram per connection would cost megabytes.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;

/// The failure of a CALL sent in the window and still unanswered when the harness stopped.
const UNANSWERED: &str = "no answer before the harness stopped";

/// Highest latency the histograms track exactly; longer ones are recorded as this. Above any
/// call timeout the harness would use.
const HIGHEST_MICROS: u64 = 120_000_000;

/// Counters and histograms shared by every load connection.
#[derive(Debug)]
pub(crate) struct Stats {
    /// Set while the steady-state window is open: CALLs sent then are the headline figures.
    steady: AtomicBool,
    /// After the stop began, failures are the harness's own doing and are not counted.
    stopping: AtomicBool,
    connected_now: AtomicU64,
    booted: AtomicU64,
    /// CALLs sent in the steady-state window, and how many of them got an answer or failed:
    /// the difference is the calls still unanswered, which a stall would otherwise hide.
    offered_in_window: AtomicU64,
    settled_in_window: AtomicU64,
    disconnects: AtomicU64,
    tallies: Mutex<Tallies>,
}

#[derive(Debug, Default)]
struct Tallies {
    /// Boot and StatusNotification while connecting, by action.
    setup: BTreeMap<&'static str, Histogram<u64>>,
    /// CALLs sent inside the steady-state window, by action.
    steady: BTreeMap<&'static str, Histogram<u64>>,
    /// Why connections could not be set up, with how many failed that way.
    connect_failures: BTreeMap<String, u64>,
    /// CALLs that got no usable answer, by `action: reason`.
    call_failures: BTreeMap<String, u64>,
}

/// Whether a CALL belongs to setting up a connection or to the steady state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Setup,
    /// Sent while the steady-state window was open (`true`) or outside it (`false`, e.g.
    /// MeterValues of early connections while later ones still connect).
    Running { in_window: bool },
}

impl Stats {
    pub fn new() -> Self {
        Self {
            steady: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            connected_now: AtomicU64::new(0),
            booted: AtomicU64::new(0),
            offered_in_window: AtomicU64::new(0),
            settled_in_window: AtomicU64::new(0),
            disconnects: AtomicU64::new(0),
            tallies: Mutex::default(),
        }
    }

    fn tallies(&self) -> MutexGuard<'_, Tallies> {
        // Every update is one insert or increment; a panic cannot leave the tallies torn.
        self.tallies.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn set_steady(&self, open: bool) {
        self.steady.store(open, Ordering::SeqCst);
    }

    pub fn in_steady_window(&self) -> bool {
        self.steady.load(Ordering::SeqCst)
    }

    pub fn set_stopping(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    pub fn connected_now(&self) -> u64 {
        self.connected_now.load(Ordering::SeqCst)
    }

    pub fn on_booted(&self) {
        self.booted.fetch_add(1, Ordering::SeqCst);
        self.connected_now.fetch_add(1, Ordering::SeqCst);
    }

    /// A booted connection ended; `unexpected` unless the harness was stopping it.
    pub fn on_disconnected(&self) {
        self.connected_now.fetch_sub(1, Ordering::SeqCst);
        if !self.stopping() {
            self.disconnects.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub fn on_connect_failed(&self, reason: String) {
        *self.tallies().connect_failures.entry(reason).or_default() += 1;
    }

    /// A CALL is about to be sent.
    pub fn on_sent(&self, phase: Phase) {
        if phase == (Phase::Running { in_window: true }) {
            self.offered_in_window.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// CALLs sent in the window that have neither been answered nor failed yet.
    pub fn unsettled_in_window(&self) -> u64 {
        let offered = self.offered_in_window.load(Ordering::SeqCst);
        offered.saturating_sub(self.settled_in_window.load(Ordering::SeqCst))
    }

    fn settle(&self, phase: Phase) {
        if phase == (Phase::Running { in_window: true }) {
            self.settled_in_window.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub fn on_answer(&self, phase: Phase, action: &'static str, latency: Duration) {
        self.settle(phase);
        let mut tallies = self.tallies();
        let histograms = match phase {
            Phase::Setup => &mut tallies.setup,
            Phase::Running { in_window: true } => &mut tallies.steady,
            Phase::Running { in_window: false } => return,
        };
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).clamp(1, HIGHEST_MICROS);
        histograms.entry(action).or_insert_with(new_histogram).saturating_record(micros);
    }

    /// A CALL got no usable answer. After the stop began, a failure is the harness's own doing
    /// (it closed the socket), except for a CALL sent in the window: that one was offered and
    /// never answered, and counts as "no answer before the harness stopped".
    pub fn on_call_failed(&self, phase: Phase, action: &'static str, reason: String) {
        self.settle(phase);
        let in_window = phase == (Phase::Running { in_window: true });
        let reason = match (self.stopping(), in_window) {
            (false, _) => reason,
            (true, true) => UNANSWERED.to_owned(),
            (true, false) => return,
        };
        *self.tallies().call_failures.entry(format!("{action}: {reason}")).or_default() += 1;
    }

    /// The figures so far, for a window of `window` (the steady state measured).
    pub fn report(&self, requested: usize, connected_after_ramp: u64, held_at_end: u64, ramp: Duration, window: Duration) -> LoadReport {
        let tallies = self.tallies();
        let summarize = |histograms: &BTreeMap<&'static str, Histogram<u64>>| {
            let per_action = histograms.iter().map(|(action, h)| ((*action).to_owned(), LatencySummary::of(h))).collect();
            let mut all = new_histogram();
            for h in histograms.values() {
                // Same bounds everywhere, so adding cannot fail.
                let _ = all.add(h);
            }
            (LatencySummary::of(&all), per_action)
        };
        let (setup, setup_by_action) = summarize(&tallies.setup);
        let (steady, steady_by_action) = summarize(&tallies.steady);
        let mut call_failures = tallies.call_failures.clone();
        // Calls whose task ended without settling them (none should): still offered, unanswered.
        let unsettled = self.unsettled_in_window();
        if unsettled > 0 {
            *call_failures.entry(format!("any: {UNANSWERED}")).or_default() += unsettled;
        }
        LoadReport {
            requested,
            booted: self.booted.load(Ordering::SeqCst),
            connected_after_ramp,
            held_at_end,
            ramp,
            window,
            setup,
            setup_by_action,
            steady,
            steady_by_action,
            unexpected_disconnects: self.disconnects.load(Ordering::SeqCst),
            connect_failures: tallies.connect_failures.clone(),
            call_failures,
            offered_in_window: self.offered_in_window.load(Ordering::SeqCst),
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to HIGHEST_MICROS at 3 significant digits: fixed bounds, so it never resizes.
    Histogram::new_with_bounds(1, HIGHEST_MICROS, 3).expect("constant histogram bounds are valid")
}

/// Percentiles of a set of CALL → CALLRESULT latencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl LatencySummary {
    fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Self::default();
        }
        let at = |q: f64| Duration::from_micros(h.value_at_quantile(q));
        Self { count: h.len(), p50: at(0.50), p90: at(0.90), p99: at(0.99), max: Duration::from_micros(h.max()) }
    }
}

impl fmt::Display for LatencySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>7} calls  p50 {}  p90 {}  p99 {}  max {}",
            self.count,
            ms(self.p50),
            ms(self.p90),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// Milliseconds with a precision that suits the magnitude.
pub fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.2} ms") } else if ms < 100.0 { format!("{ms:.1} ms") } else { format!("{ms:.0} ms") }
}

/// What a load run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    /// Connections asked for.
    pub requested: usize,
    /// Connections whose BootNotification was accepted.
    pub booted: u64,
    /// Connections open when the ramp ended.
    pub connected_after_ramp: u64,
    /// Connections open when the steady-state window closed.
    pub held_at_end: u64,
    /// From the first connect to the last connection set up (or failed).
    pub ramp: Duration,
    /// Length of the steady-state window.
    pub window: Duration,
    /// BootNotification + StatusNotification latencies during the ramp.
    pub setup: LatencySummary,
    pub setup_by_action: BTreeMap<String, LatencySummary>,
    /// Latencies of the CALLs sent in the steady-state window (MeterValues, Heartbeat).
    pub steady: LatencySummary,
    pub steady_by_action: BTreeMap<String, LatencySummary>,
    /// Booted connections that closed before the harness closed them.
    pub unexpected_disconnects: u64,
    /// Why connections failed to be set up, with counts.
    pub connect_failures: BTreeMap<String, u64>,
    /// CALLs without a usable answer (CALLERROR, timeout, closed socket, none before the stop),
    /// with counts.
    pub call_failures: BTreeMap<String, u64>,
    /// CALLs sent in the steady-state window: each is either in `steady` (answered) or among
    /// the failures.
    pub offered_in_window: u64,
}

impl LoadReport {
    /// Answered CALLs per second in the steady-state window.
    pub fn calls_per_second(&self) -> f64 {
        if self.window.is_zero() { 0.0 } else { self.steady.count as f64 / self.window.as_secs_f64() }
    }

    pub fn connect_failure_count(&self) -> u64 {
        self.connect_failures.values().sum()
    }

    pub fn call_failure_count(&self) -> u64 {
        self.call_failures.values().sum()
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "connections: {} requested, {} booted, {} open after the ramp ({:.1} s), {} held at the end",
            self.requested,
            self.booted,
            self.connected_after_ramp,
            self.ramp.as_secs_f64(),
            self.held_at_end
        )?;
        writeln!(f, "setup (during the ramp):  {}", self.setup)?;
        for (action, summary) in &self.setup_by_action {
            writeln!(f, "  {action:<22}  {summary}")?;
        }
        writeln!(f, "steady state ({:.0} s, {:.0} calls/s): {}", self.window.as_secs_f64(), self.calls_per_second(), self.steady)?;
        writeln!(f, "  offered in the window: {} calls, {} answered", self.offered_in_window, self.steady.count)?;
        for (action, summary) in &self.steady_by_action {
            writeln!(f, "  {action:<22}  {summary}")?;
        }
        writeln!(
            f,
            "failures: {} connects, {} calls, {} unexpected disconnects",
            self.connect_failure_count(),
            self.call_failure_count(),
            self.unexpected_disconnects
        )?;
        for (reason, count) in self.connect_failures.iter().chain(&self.call_failures) {
            writeln!(f, "  {count:>7} × {reason}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_setup_and_window_calls_are_summarized() {
        let stats = Stats::new();
        stats.on_answer(Phase::Setup, "BootNotification", Duration::from_millis(3));
        stats.on_answer(Phase::Running { in_window: false }, "MeterValues", Duration::from_secs(9));
        for ms in 1..=100 {
            stats.on_answer(Phase::Running { in_window: true }, "MeterValues", Duration::from_millis(ms));
        }
        let report = stats.report(1, 1, 1, Duration::from_secs(1), Duration::from_secs(10));
        assert_eq!(report.setup.count, 1);
        assert_eq!(report.steady.count, 100);
        // Three significant digits: within 0.1 %.
        assert!(report.steady.p50.abs_diff(Duration::from_millis(50)) < Duration::from_micros(100), "{:?}", report.steady.p50);
        assert!(report.steady.max.abs_diff(Duration::from_millis(100)) < Duration::from_micros(100));
        assert_eq!(report.calls_per_second(), 10.0);
    }

    #[test]
    fn every_call_offered_in_the_window_is_answered_or_a_failure() {
        let stats = Stats::new();
        let window = Phase::Running { in_window: true };
        for _ in 0..5 {
            stats.on_sent(window);
        }
        stats.on_answer(window, "MeterValues", Duration::from_millis(2));
        stats.on_call_failed(window, "MeterValues", "CALLERROR InternalError".to_owned());
        assert_eq!(stats.unsettled_in_window(), 3);
        stats.set_stopping();
        // Cut by the stop: offered, never answered.
        stats.on_call_failed(window, "Heartbeat", "connection closed".to_owned());
        // Two more whose tasks ended without a word.
        let report = stats.report(1, 1, 1, Duration::ZERO, Duration::from_secs(10));
        assert_eq!(report.offered_in_window, 5);
        assert_eq!(report.steady.count + report.call_failure_count(), 5, "{report}");
        assert_eq!(report.call_failures["Heartbeat: no answer before the harness stopped"], 1);
        assert_eq!(report.call_failures["any: no answer before the harness stopped"], 2);
    }

    #[test]
    fn failures_after_the_stop_are_not_counted() {
        let stats = Stats::new();
        let outside = Phase::Running { in_window: false };
        stats.on_booted();
        stats.on_call_failed(outside, "MeterValues", "no answer".to_owned());
        stats.set_stopping();
        stats.on_call_failed(outside, "MeterValues", "closed".to_owned());
        stats.on_disconnected();
        let report = stats.report(1, 1, 0, Duration::ZERO, Duration::ZERO);
        assert_eq!(report.call_failure_count(), 1);
        assert_eq!(report.unexpected_disconnects, 0);
        assert_eq!(stats.connected_now(), 0);
    }
}
