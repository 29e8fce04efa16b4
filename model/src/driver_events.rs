//! What a driver is told about a session outside the live screen — charging started, the car
//! stopped drawing power, the session finished, idle fees coming — decided once here for the
//! phone's core (local notifications, history) and the server (push), so both tell the same.
//!
//! The rules are *stateless*: [`events_of`] reads one state of a session (plus what the caller
//! knows beside it: the payment hold, the clock) and returns every event that state implies.
//! Each event has a stable id (`{session}/{kind}`), so a caller that remembers the ids it has
//! emitted tells each one once, whichever states it saw and in whatever order: a live stream
//! that skips intermediate states, a sync that brings a session at once as completed, a server
//! that reads only the newest row all give the same events, once.
//!
//! Events carry kinds and typed values, never sentences: the shells choose the words in the
//! driver's language.
//!
//! Readings (documented in the README, "What the driver is told"):
//! - *the car stopped charging*: the session is charging, energy was delivered and the charger
//!   now reports 0 W (the car is full, or paused it: OCPP 1.6 does not tell the two apart
//!   without the car's state of charge, which chargers rarely send);
//! - *idle fees*: a price component of type `PARKING_TIME`, or a `TIME` one whose element is
//!   restricted by `min_duration` (a blocking fee after so long), with a price above zero.
//!   A fee restricted by `min_duration` begins at that duration of the session and is announced
//!   [`FEE_WARNING`] before; a `PARKING_TIME` fee applies only while the car is parked, so it is
//!   announced only then. A `PARKING_TIME` fee without `min_duration` begins when the bill
//!   first counts parking (the pricing engine's own cost line), with nothing to announce before.
//!   Time-of-day restrictions are not predicted (the fee is told when it is billed);
//! - *finished* events are told only for a session that ended in the last [`FRESH`]: signing in
//!   on a new phone must not replay a year of "charging finished".

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::ids::EvseId;
use crate::money::{Currency, Money};
use crate::session::{Session, SessionStatus};
use crate::tariff::{Tariff, TariffDimension};

/// How long before an idle fee begins the driver is told it is coming.
pub const FEE_WARNING: Duration = Duration::minutes(10);
/// How recent the end of a session must be for its end to be news.
pub const FRESH: Duration = Duration::hours(1);

/// One thing to tell the driver, once (by `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverEvent {
    /// `{session id}/{kind}` (and the fee's start, for fees): the same for the same event on
    /// every device and on the server.
    pub id: String,
    pub session_id: Uuid,
    pub evse_id: EvseId,
    pub kind: DriverEventKind,
}

/// Why a start failed, as a kind the shells word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartFailure {
    /// The charger refused the remote start.
    ChargerRefused,
    /// The charger did not answer in time.
    ChargerTimeout,
    /// The driver cancelled before charging began.
    Cancelled,
    /// Someone else started at the connector first.
    ConnectorTaken,
    /// Any other reason (the operator voided it, say).
    Other,
}

impl StartFailure {
    /// The kind of the server's `failure_reason` sentence (see `server/src/sessions.rs`); a
    /// sentence this does not know is `Other`.
    pub fn of(reason: Option<&str>) -> Self {
        let reason = reason.unwrap_or_default().to_ascii_lowercase();
        if reason.contains("refused") {
            Self::ChargerRefused
        } else if reason.contains("did not answer") || reason.contains("timed out") {
            Self::ChargerTimeout
        } else if reason.contains("cancelled") {
            Self::Cancelled
        } else if reason.contains("someone else") {
            Self::ConnectorTaken
        } else {
            Self::Other
        }
    }
}

/// Which idle fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdleFeeKind {
    /// Billed per hour parked (plugged in, not charging): OCPI `PARKING_TIME`.
    Parking,
    /// Billed per hour plugged in after a duration, charging or not: OCPI `TIME` restricted
    /// by `min_duration`.
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DriverEventKind {
    ChargingStarted,
    /// The car stopped drawing power while plugged in (full, or paused by the car).
    ChargingStoppedByCar,
    SessionFinished {
        energy_wh: i64,
        total: Money,
        /// The signed receipt can be fetched (not while the session is held for review).
        receipt_ready: bool,
    },
    StartFailed { reason: StartFailure },
    /// A stop the driver tapped with no network reached the backend. Only the phone knows
    /// this one (its outbox): the core emits it itself.
    StopDeliveredAfterOffline,
    /// The cost reached the amount held for the session: charging is stopped there.
    PaymentHoldReached { held: Money },
    IdleFeeSoon {
        fee: IdleFeeKind,
        #[serde(with = "time::serde::rfc3339")]
        starts_at: OffsetDateTime,
        /// Per hour, excluding VAT, in major units of `currency`.
        price_per_hour: Decimal,
        currency: Currency,
    },
    IdleFeeBegun {
        fee: IdleFeeKind,
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
        price_per_hour: Decimal,
        currency: Currency,
    },
}

impl DriverEventKind {
    /// The kind's name, as serialized (`type`), and the last part of the event id.
    pub fn name(&self) -> &'static str {
        match self {
            Self::ChargingStarted => "charging_started",
            Self::ChargingStoppedByCar => "charging_stopped_by_car",
            Self::SessionFinished { .. } => "session_finished",
            Self::StartFailed { .. } => "start_failed",
            Self::StopDeliveredAfterOffline => "stop_delivered_after_offline",
            Self::PaymentHoldReached { .. } => "payment_hold_reached",
            Self::IdleFeeSoon { .. } => "idle_fee_soon",
            Self::IdleFeeBegun { .. } => "idle_fee_begun",
        }
    }

    /// Whether the session is over with this event (a Live Activity ends on it).
    pub fn ends_session(&self) -> bool {
        matches!(self, Self::SessionFinished { .. } | Self::StartFailed { .. })
    }
}

impl DriverEvent {
    pub fn new(session: &Session, kind: DriverEventKind) -> Self {
        let suffix = match &kind {
            DriverEventKind::IdleFeeSoon { fee, starts_at, .. } => format!("/{fee:?}/{}", starts_at.unix_timestamp()),
            DriverEventKind::IdleFeeBegun { fee, since, .. } => format!("/{fee:?}/{}", since.unix_timestamp()),
            _ => String::new(),
        };
        Self { id: format!("{}/{}{suffix}", session.id, kind.name()), session_id: session.id, evse_id: session.evse_id.clone(), kind }
    }
}

/// What the caller knows of a session beside its state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionContext {
    /// The amount held for the session's payment, in the session's currency, if it is paid.
    pub hold_minor: Option<i64>,
}

/// Every event the state `session` implies at `now`; see the module documentation.
pub fn events_of(session: &Session, context: SessionContext, now: OffsetDateTime) -> Vec<DriverEvent> {
    let mut kinds = Vec::new();
    let started = session.started_at.is_some();
    let total = Money::new(session.cost.total_incl_vat_minor, session.cost.currency);
    match session.status {
        SessionStatus::Starting => {}
        SessionStatus::Charging | SessionStatus::Stopping => {
            if started {
                kinds.push(DriverEventKind::ChargingStarted);
            }
            if session.status == SessionStatus::Charging && is_parked(session) {
                kinds.push(DriverEventKind::ChargingStoppedByCar);
            }
            if let Some(hold) = context.hold_minor.filter(|hold| *hold > 0 && total.amount_minor >= *hold) {
                kinds.push(DriverEventKind::PaymentHoldReached { held: Money::new(hold, session.cost.currency) });
            }
            if session.status == SessionStatus::Charging {
                kinds.extend(idle_fee_events(session));
            }
        }
        SessionStatus::Completed | SessionStatus::UnderReview | SessionStatus::Failed => {
            let ended = session.stopped_at.unwrap_or(session.created_at);
            if now - ended > FRESH {
                return Vec::new();
            }
            if session.status == SessionStatus::Failed && !started {
                kinds.push(DriverEventKind::StartFailed { reason: StartFailure::of(session.failure_reason.as_deref()) });
            } else {
                let receipt_ready = session.status == SessionStatus::Completed;
                kinds.push(DriverEventKind::SessionFinished { energy_wh: session.energy_wh, total, receipt_ready });
            }
        }
    }
    kinds.into_iter().map(|kind| DriverEvent::new(session, kind)).collect()
}

/// Plugged in and charged, drawing nothing now.
fn is_parked(session: &Session) -> bool {
    session.started_at.is_some() && session.energy_wh > 0 && session.power_w == 0
}

/// A fee of the tariff that begins at a known duration of the session, or while parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleFee {
    pub kind: IdleFeeKind,
    /// Seconds after the start (`min_duration`); 0 for a parking fee from the first second.
    pub from_seconds: i64,
    pub price_per_hour: Decimal,
}

/// The tariff's idle fees (see the module documentation), earliest first.
pub fn idle_fees(tariff: &Tariff) -> Vec<IdleFee> {
    let mut fees: Vec<IdleFee> = tariff
        .elements
        .iter()
        .flat_map(|element| {
            let from = element.restrictions.as_ref().and_then(|r| r.min_duration).unwrap_or(0).max(0);
            element.price_components.iter().filter(|c| c.price > Decimal::ZERO).filter_map(move |c| match c.dimension {
                TariffDimension::ParkingTime => Some(IdleFee { kind: IdleFeeKind::Parking, from_seconds: from, price_per_hour: c.price }),
                TariffDimension::Time if from > 0 => Some(IdleFee { kind: IdleFeeKind::Time, from_seconds: from, price_per_hour: c.price }),
                _ => None,
            })
        })
        .collect();
    fees.sort_by_key(|fee| fee.from_seconds);
    fees
}

fn idle_fee_events(session: &Session) -> Vec<DriverEventKind> {
    let Some(started_at) = session.started_at else { return Vec::new() };
    let parked = is_parked(session);
    let billed_parking = session.cost.items.iter().any(|item| item.dimension == TariffDimension::ParkingTime && item.excl_vat_minor > 0);
    let elapsed = session.duration_seconds;
    let currency = session.tariff.currency;
    let mut events = Vec::new();
    for fee in idle_fees(&session.tariff) {
        let starts_at = started_at + Duration::seconds(fee.from_seconds);
        let applies_now = match fee.kind {
            IdleFeeKind::Parking => parked,
            IdleFeeKind::Time => true,
        };
        if !applies_now {
            continue;
        }
        let begun = match (fee.kind, fee.from_seconds) {
            // From the first second parked: the bill says when parking is charged.
            (IdleFeeKind::Parking, 0) => billed_parking,
            _ => elapsed >= fee.from_seconds,
        };
        let since = if fee.from_seconds == 0 { started_at + Duration::seconds(elapsed - session.parking_seconds) } else { starts_at };
        if begun {
            events.push(DriverEventKind::IdleFeeBegun { fee: fee.kind, since, price_per_hour: fee.price_per_hour, currency });
        } else if fee.from_seconds > 0 && elapsed >= fee.from_seconds - FEE_WARNING.whole_seconds() {
            events.push(DriverEventKind::IdleFeeSoon { fee: fee.kind, starts_at, price_per_hour: fee.price_per_hour, currency });
        }
    }
    events
}

#[cfg(test)]
#[path = "driver_events_tests.rs"]
mod tests;
