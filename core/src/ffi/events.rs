//! The driver's events as the shells get them: kinds and typed values to word in the driver's
//! language (a local notification, a history line), never sentences. Logic lives in
//! [`crate::driver_events`] and [`chargekit_model::driver_events`].

use std::sync::{Arc, Mutex};

use chargekit_model::driver_events as model;

use super::{ChargeKit, TaskHandle};
use crate::screens::{MoneyAmount, money};

/// One thing to tell the driver. `id` is stable: the same event has the same id on the phone
/// and in a push from the backend, so a shell can show it once whichever came first.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DriverEvent {
    pub id: String,
    pub session_id: String,
    /// The charger (EVSE ID), e.g. to name it in "charging started at …".
    pub evse_id: String,
    pub kind: DriverEventKind,
}

/// Why a start failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StartFailureKind {
    ChargerRefused,
    ChargerTimeout,
    Cancelled,
    ConnectorTaken,
    Other,
}

/// Which idle fee: per hour parked (`PARKING_TIME`) or per hour plugged in after a while (`TIME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IdleFeeKind {
    Parking,
    Time,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum DriverEventKind {
    ChargingStarted,
    /// The car stopped drawing power while plugged in: full, or paused by the car.
    ChargingStoppedByCar,
    SessionFinished { energy_wh: i64, total: MoneyAmount, receipt_ready: bool },
    StartFailed { reason: StartFailureKind },
    /// A stop tapped with no network reached the backend.
    StopDeliveredAfterOffline,
    /// The cost reached the amount held: charging is stopped there.
    PaymentHoldReached { held: MoneyAmount },
    /// `starts_at` in Unix seconds; the price per hour excluding VAT, as a decimal string in
    /// major units of `currency`.
    IdleFeeSoon { fee: IdleFeeKind, starts_at: i64, price_per_hour: String, currency: String },
    IdleFeeBegun { fee: IdleFeeKind, since: i64, price_per_hour: String, currency: String },
}

/// Receives the driver's events, each once: those recorded while nobody listened first, then
/// every new one.
#[uniffi::export(with_foreign)]
pub trait DriverEventListener: Send + Sync {
    fn on_driver_event(&self, event: DriverEvent);
}

#[uniffi::export]
impl ChargeKit {
    /// The driver's events (charging started, finished, idle fees coming…), each once, across
    /// restarts: events recorded while no listener was subscribed come first. Until the handle
    /// is cancelled.
    pub fn observe_driver_events(&self, listener: Arc<dyn DriverEventListener>) -> Arc<TaskHandle> {
        let log = self.core.events.clone();
        let deliver = Arc::new(move |event| listener.on_driver_event(driver_event(event)));
        let task = self.core.runtime.spawn(crate::driver_events::follow(log, deliver));
        Arc::new(TaskHandle { task: Mutex::new(Some(task)) })
    }
}

pub(crate) fn driver_event(event: model::DriverEvent) -> DriverEvent {
    DriverEvent { id: event.id, session_id: event.session_id.to_string(), evse_id: event.evse_id.to_string(), kind: kind(event.kind) }
}

fn kind(kind: model::DriverEventKind) -> DriverEventKind {
    use model::DriverEventKind as K;
    match kind {
        K::ChargingStarted => DriverEventKind::ChargingStarted,
        K::ChargingStoppedByCar => DriverEventKind::ChargingStoppedByCar,
        K::SessionFinished { energy_wh, total, receipt_ready } => {
            DriverEventKind::SessionFinished { energy_wh, total: money(total.amount_minor, total.currency), receipt_ready }
        }
        K::StartFailed { reason } => DriverEventKind::StartFailed { reason: start_failure(reason) },
        K::StopDeliveredAfterOffline => DriverEventKind::StopDeliveredAfterOffline,
        K::PaymentHoldReached { held } => DriverEventKind::PaymentHoldReached { held: money(held.amount_minor, held.currency) },
        K::IdleFeeSoon { fee, starts_at, price_per_hour, currency } => DriverEventKind::IdleFeeSoon {
            fee: idle_fee(fee),
            starts_at: starts_at.unix_timestamp(),
            price_per_hour: price_per_hour.to_string(),
            currency: currency.to_string(),
        },
        K::IdleFeeBegun { fee, since, price_per_hour, currency } => DriverEventKind::IdleFeeBegun {
            fee: idle_fee(fee),
            since: since.unix_timestamp(),
            price_per_hour: price_per_hour.to_string(),
            currency: currency.to_string(),
        },
    }
}

fn start_failure(reason: model::StartFailure) -> StartFailureKind {
    match reason {
        model::StartFailure::ChargerRefused => StartFailureKind::ChargerRefused,
        model::StartFailure::ChargerTimeout => StartFailureKind::ChargerTimeout,
        model::StartFailure::Cancelled => StartFailureKind::Cancelled,
        model::StartFailure::ConnectorTaken => StartFailureKind::ConnectorTaken,
        model::StartFailure::Other => StartFailureKind::Other,
    }
}

fn idle_fee(fee: model::IdleFeeKind) -> IdleFeeKind {
    match fee {
        model::IdleFeeKind::Parking => IdleFeeKind::Parking,
        model::IdleFeeKind::Time => IdleFeeKind::Time,
    }
}
