//! One observer's smoothed view of a live session: what a frame shows at a time on the phone's
//! clock, from the latest state the server sent.
//!
//! - energy moves by [`crate::smooth`] (never backwards, converging on each sample);
//! - time and cost move by [`crate::live_cost`]: the engine's price of the latest sample
//!   continued to the frame, or the server's figure where the engine cannot follow it;
//! - at a state's arrival the frame shows the server's cost exactly, and a final state is
//!   shown as it came: the bill.

use chargekit_model::{Session, SessionStatus};

use crate::live_cost::LiveCost;
use crate::smooth::{Sample, Smoother};

#[derive(Debug, Clone, Default)]
pub struct Frames {
    smoother: Smoother,
    cost: LiveCost,
    /// The version of the latest state, and when it arrived (phone clock, ms).
    latest: Option<(i64, i64)>,
}

impl Frames {
    /// The frame at `now_ms` (phone clock) while `session` is the latest state.
    pub fn show(&mut self, mut session: Session, now_ms: i64) -> Session {
        if session.status.is_final() {
            return session; // the bill, exactly
        }
        if self.latest.map(|(version, _)| version) != Some(session.version) {
            self.latest = Some((session.version, now_ms));
            // Only a charging session moves on by itself; otherwise hold what is shown.
            let power_w = if session.status == SessionStatus::Charging { session.power_w } else { 0 };
            self.smoother.on_sample(Sample { at_ms: now_ms, energy_wh: session.energy_wh, power_w });
            self.cost.on_state(&session);
        }
        let since_ms = now_ms - self.latest.map_or(now_ms, |(_, arrived)| arrived);
        session.energy_wh = self.smoother.shown_mwh(now_ms) / 1000;
        match self.cost.seconds_after(since_ms) {
            // The seconds the cost is priced for, so time and cost move together.
            Some(seconds) => session.duration_seconds += seconds,
            None if session.status == SessionStatus::Charging => {
                session.duration_seconds = self.smoother.elapsed_seconds(session.duration_seconds, now_ms);
            }
            None => {}
        }
        if let Some(cost) = self.cost.cost_after(since_ms) {
            session.cost = cost;
        }
        session
    }
}

#[cfg(test)]
mod tests;
