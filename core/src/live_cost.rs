//! The live cost between meter samples, priced by the one pricing engine.
//!
//! The server prices every MeterValues with [`LiveSession`] and sends the cost with each state
//! of the session: at a sample, that figure is the truth — the server read every MeterValue
//! the charger sent, with its current and its exact timestamp, and the bill is the same
//! computation. The app sees less: states can be skipped (the live stream keeps only the
//! newest, a poll while the stream is down sees one state in several), and a state tells the
//! energy, the power and the whole seconds since the start, not the current.
//!
//! So the core keeps its own [`LiveSession`], fed with the sample each state describes (at the
//! start plus the duration, the energy, the power; parked when the power is 0, as the server
//! reads a reported 0 W), and checks it against the server's figure at every state:
//! - when they agree to the cent, a frame between samples shows the engine's price of the
//!   latest sample continued to the frame's time: energy at the latest power, the same
//!   charging or parked state, the clock moving on in the tariff's time zone (capped at one
//!   sample interval, so a charger that stops reporting freezes the display rather than run
//!   it ahead of the data);
//! - when they disagree (a skipped state, a sub-second start, a price that depends on a
//!   current the app is not told), the engine's state is known to be off, and the display
//!   holds the server's figure until the next state.
//!
//! The figure is shown as the engine gives it: OCPI's `step_size` rule rounds the total of a
//! dimension up by the step of the component that priced its last unit, so when the session
//! moves to a component with a smaller step (a time-of-day switch, charging to parking) the
//! cost can go down between two frames. The display does not hide that: the figure on screen
//! is always what the bill would say if the charger reported now as it did last.

use chargekit_model::{Cost, LiveSession, MeterSample, Session, SessionStatus};
use time::{Duration, OffsetDateTime};

/// How far past a sample to extrapolate while the interval between samples is not known yet.
const DEFAULT_HORIZON_SECONDS: i64 = 10;

/// The core's engine for one session's live cost. See the module documentation.
#[derive(Debug, Clone, Default)]
pub struct LiveCost {
    follow: Option<Follow>,
}

#[derive(Debug, Clone)]
struct Follow {
    started_at: OffsetDateTime,
    live: LiveSession,
    /// Charger seconds between the two latest samples: how far the latest is continued.
    horizon_seconds: i64,
    /// The engine's cost at the latest state equals the server's.
    agrees: bool,
    /// The session is charging: time (and energy, at the latest power) moves on by itself.
    moving: bool,
}

impl LiveCost {
    /// A new state of the session arrived: feeds its sample to the engine and checks the
    /// engine's cost against the server's.
    pub fn on_state(&mut self, session: &Session) {
        let Some(started_at) = session.started_at else {
            self.follow = None;
            return;
        };
        if self.follow.as_ref().is_none_or(|f| f.started_at != started_at) {
            // The server's first sample: the start reading, charging, no power or current yet.
            self.follow = LiveSession::start(&session.tariff, MeterSample::charging(started_at, 0)).ok().map(|live| Follow {
                started_at,
                live,
                horizon_seconds: DEFAULT_HORIZON_SECONDS,
                agrees: false,
                moving: false,
            });
        }
        let Some(follow) = self.follow.as_mut() else { return };
        if let Some(sample) = sample_of(session, started_at) {
            let last = follow.live.last_sample();
            // A state older than the latest (or repeating it) adds nothing.
            if sample != last && sample.at >= last.at && sample.energy_wh >= last.energy_wh {
                let interval = (sample.at - last.at).whole_seconds();
                if follow.live.push(sample).is_ok() && interval > 0 {
                    follow.horizon_seconds = interval;
                }
            }
        }
        follow.agrees = follow.live.cost() == session.cost;
        follow.moving = session.status == SessionStatus::Charging;
    }

    /// How many seconds past the latest sample a frame `since_ms` after that state arrived
    /// shows: the time since, in whole seconds (the engine counts whole seconds), capped at
    /// one sample interval. `None` while nothing moves (not charging, or no engine).
    pub fn seconds_after(&self, since_ms: i64) -> Option<i64> {
        let follow = self.follow.as_ref().filter(|f| f.moving)?;
        Some((since_ms / 1000).clamp(0, follow.horizon_seconds))
    }

    /// The cost to show `since_ms` after the latest state arrived, or `None` to show that
    /// state's own cost (the server's): at the state itself, while nothing moves, or while the
    /// engine disagrees with the server.
    pub fn cost_after(&self, since_ms: i64) -> Option<Cost> {
        let follow = self.follow.as_ref().filter(|f| f.agrees)?;
        let seconds = self.seconds_after(since_ms).filter(|s| *s > 0)?;
        follow.live.cost_with(continued(follow.live.last_sample(), seconds)).ok()
    }
}

/// The sample a state describes, as the server read the MeterValue behind it; `None` before
/// the first meter value (nothing since the start reading).
fn sample_of(session: &Session, started_at: OffsetDateTime) -> Option<MeterSample> {
    if session.duration_seconds == 0 && session.energy_wh == 0 && session.power_w == 0 {
        return None;
    }
    let at = started_at + Duration::seconds(session.duration_seconds);
    Some(if session.power_w > 0 {
        MeterSample::charging(at, session.energy_wh).with_power_w(session.power_w)
    } else {
        MeterSample::parking(at, session.energy_wh)
    })
}

/// `sample` as the charger would report it `seconds` later if nothing changed: the energy at
/// its power, the same charging or parked state, power and current.
pub(crate) fn continued(sample: MeterSample, seconds: i64) -> MeterSample {
    let power_w = if sample.charging { sample.power_w.unwrap_or(0).max(0) } else { 0 };
    MeterSample {
        at: sample.at + Duration::seconds(seconds),
        energy_wh: sample.energy_wh + power_w * seconds / 3600,
        ..sample
    }
}
