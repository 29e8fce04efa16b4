//! Running a fleet of simulated charge points until told to stop, logging what they do. This is
//! the whole of the `chargekit-sim` binary, kept in the library so other commands can embed it.

use std::future::Future;

use tokio::sync::broadcast;
use tokio::task::JoinSet;

use crate::charge_point::{ChargePoint, connect, connect_many};
use crate::config::SimConfig;
use crate::error::SimError;
use crate::events::SimEvent;

/// Connects `count` charge points (one keeps `base`'s id; more get `{id}-1` … `{id}-{count}`),
/// logs their events with `tracing`, and runs until `until` completes, every charge point has
/// disconnected, or one was refused when it reconnected (then the error says why: that is a
/// configuration to fix, not a failure to wait out); then closes them all.
pub async fn run(base: SimConfig, count: usize, until: impl Future<Output = ()>) -> Result<(), SimError> {
    let charge_points = match count {
        0 => return Err(SimError::InvalidConfig("simulate at least one charge point".to_owned())),
        1 => vec![connect(base).await?],
        _ => connect_many(base, count).await?,
    };
    tracing::info!(count = charge_points.len(), "charge points online; Ctrl-C to stop");

    let mut loggers = JoinSet::new();
    for charge_point in &charge_points {
        loggers.spawn(log_events(charge_point.id().to_owned(), charge_point.subscribe()));
    }
    let outcome = tokio::select! {
        () = until => {
            tracing::info!("stopping");
            Ok(())
        }
        refused = first_refusal(&mut loggers) => match refused {
            Some(error) => Err(error),
            None => {
                tracing::warn!("every charge point has disconnected");
                Ok(())
            }
        },
    };
    futures_util::future::join_all(charge_points.into_iter().map(ChargePoint::shutdown)).await;
    outcome
}

/// Waits for a charge point refused on reconnect (its error), or for all of them to end.
async fn first_refusal(loggers: &mut JoinSet<Option<SimError>>) -> Option<SimError> {
    while let Some(ended) = loggers.join_next().await {
        if let Ok(Some(error)) = ended {
            return Some(error);
        }
    }
    None
}

/// Logs one charge point's events until it disconnects for good; the refusal that ended its
/// reconnecting, if one did.
async fn log_events(id: String, mut events: broadcast::Receiver<SimEvent>) -> Option<SimError> {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(charge_point = %id, missed, "log fell behind; events skipped");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        match event {
            SimEvent::Connected => tracing::info!(charge_point = %id, "connected"),
            SimEvent::TransactionStarted { transaction_id, connector_id, id_tag, meter_start_wh } => {
                tracing::info!(charge_point = %id, transaction_id, connector_id, %id_tag, meter_start_wh, "transaction started");
            }
            SimEvent::MeterSample { transaction_id, connector_id, register_wh, power_w, soc_percent } => {
                tracing::info!(charge_point = %id, transaction_id, connector_id, register_wh, power_w, soc_percent = format_args!("{soc_percent:.1}"), "meter values");
            }
            SimEvent::TransactionStopped { transaction_id, connector_id, meter_stop_wh, reason } => {
                tracing::info!(charge_point = %id, transaction_id, connector_id, meter_stop_wh, reason = reason.as_str(), "transaction stopped");
            }
            SimEvent::CallError { action, code } => tracing::warn!(charge_point = %id, %action, %code, "CALLERROR from the central system"),
            SimEvent::CallTimedOut { action } => tracing::warn!(charge_point = %id, %action, "no answer from the central system"),
            SimEvent::ConnectionLost => tracing::warn!(charge_point = %id, "connection lost; reconnecting"),
            SimEvent::ReconnectFailed { error, retry_in } => tracing::info!(charge_point = %id, %error, ?retry_in, "reconnect failed"),
            SimEvent::Refused { error } => return Some(SimError::ReconnectRefused { charge_point_id: id, reason: error }),
            SimEvent::Disconnected => {
                tracing::warn!(charge_point = %id, "disconnected");
                return None;
            }
        }
    }
}
