//! One load charger: connect, boot, report Available, then MeterValues and Heartbeats on a
//! fixed phase until the harness stops it or the server closes the socket.

use std::time::Duration;

use chargekit_model::ocpp::messages::{
    BootNotificationRequest, BootNotificationResponse, ChargePointStatus, HeartbeatRequest, HeartbeatResponse,
    MEASURAND_ENERGY_IMPORT, MEASURAND_POWER_IMPORT, MeterValue, MeterValuesRequest, MeterValuesResponse,
    RegistrationStatus, SampledValue, StatusNotificationRequest, StatusNotificationResponse, action,
};
use chargekit_model::ocpp::{ErrorCode, Frame};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::time::{Instant, Interval, MissedTickBehavior};

use super::stats::{Phase, Stats};
use crate::config::SimConfig;
use crate::connection::{self, CallFailure, Connection, IncomingCall};
use crate::error::SimError;
use crate::events::SimEvent;

/// Power the load chargers report, in W. The value does not matter to the server; the sample
/// just has to look like a real one.
const REPORTED_POWER_W: i64 = 11_000;

/// What every load charger shares with the harness.
pub(crate) struct Shared {
    pub stats: Stats,
    pub meter_interval: Duration,
    /// The instant all phases are counted from.
    pub epoch: Instant,
    pub connections: usize,
    pub call_timeout: Duration,
    pub server_url: String,
    /// `true` stops every connection (each sends a Close frame).
    pub shutdown: watch::Receiver<bool>,
    /// The transport reports its end here; nobody listens (a load charger notices the end when
    /// its incoming CALL channel closes), so one sender serves all connections.
    pub events: broadcast::Sender<SimEvent>,
}

/// A connection that is set up: booted and reported Available.
pub(crate) struct Online {
    connection: Connection,
    incoming: mpsc::UnboundedReceiver<IncomingCall>,
    heartbeat: Option<Duration>,
    /// The I/O task: awaited at the end, so the Close handshake finishes before the harness
    /// reports.
    io_task: tokio::task::JoinHandle<()>,
}

/// Opens the WebSocket of charger `id` and boots it. The error is a short reason
/// without the charger's id, so equal failures of many chargers count as one kind.
pub(crate) async fn set_up(shared: &Shared, id: String) -> Result<Online, String> {
    let mut config = SimConfig::new(shared.server_url.clone(), id);
    config.call_timeout = shared.call_timeout;
    let socket = connection::open(&config).await.map_err(|e| failure_kind(&e))?;
    let (connection, incoming, io_task) = connection::spawn(socket, &config, shared.shutdown.clone(), shared.events.clone());

    let boot = BootNotificationRequest {
        charge_point_vendor: config.vendor.clone(),
        charge_point_model: "CKLOAD".to_owned(),
        charge_point_serial_number: None,
        firmware_version: Some(concat!("chargekit-load ", env!("CARGO_PKG_VERSION")).to_owned()),
        meter_serial_number: None,
    };
    let response: BootNotificationResponse = timed(shared, &connection, Phase::Setup, action::BOOT_NOTIFICATION, &boot)
        .await
        .map_err(|failure| format!("BootNotification: {failure}"))?;
    if response.status != RegistrationStatus::Accepted {
        return Err(format!("BootNotification answered {:?}", response.status));
    }
    let status = StatusNotificationRequest {
        connector_id: 1,
        error_code: "NoError".to_owned(),
        status: ChargePointStatus::Available,
        timestamp: Some(OffsetDateTime::now_utc()),
        info: None,
        vendor_id: None,
        vendor_error_code: None,
    };
    let _: StatusNotificationResponse = timed(shared, &connection, Phase::Setup, action::STATUS_NOTIFICATION, &status)
        .await
        .map_err(|failure| format!("StatusNotification: {failure}"))?;
    // OCPP 1.6: an interval of 0 means "no heartbeats needed".
    let heartbeat = (response.interval > 0).then(|| Duration::from_secs(response.interval.into()));
    Ok(Online { connection, incoming, heartbeat, io_task })
}

/// Runs a booted charger until shutdown or until the server closes the connection.
pub(crate) async fn run(shared: &Shared, index: usize, online: Online) {
    let Online { connection, mut incoming, heartbeat, io_task } = online;
    let mut shutdown = shared.shutdown.clone();
    let mut meter = ticker(shared, index, shared.meter_interval);
    // Without heartbeats, a ticker that never fires in practice keeps the select simple.
    let mut heartbeats = ticker(shared, index, heartbeat.unwrap_or(Duration::from_secs(365 * 24 * 3600)));
    // Starts at 1 MWh like the simulator's default, so it is not mistaken for "no energy".
    let mut register_wh: i64 = 1_000_000;
    loop {
        tokio::select! {
            // Mapped so the select's output does not hold the watch's (non-Send) borrow.
            _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => break,
            _ = meter.tick() => {
                register_wh += REPORTED_POWER_W * shared.meter_interval.as_millis() as i64 / 3_600_000;
                let phase = Phase::Running { in_window: shared.stats.in_steady_window() };
                let request = meter_values(register_wh);
                let _: Result<MeterValuesResponse, _> = timed(shared, &connection, phase, action::METER_VALUES, &request).await;
            }
            _ = heartbeats.tick(), if heartbeat.is_some() => {
                let phase = Phase::Running { in_window: shared.stats.in_steady_window() };
                let _: Result<HeartbeatResponse, _> = timed(shared, &connection, phase, action::HEARTBEAT, &HeartbeatRequest {}).await;
            }
            call = incoming.recv() => match call {
                // The load charger implements no commands; say so as OCPP-J prescribes.
                Some(call) => {
                    let reply = Frame::call_error(&call.id, ErrorCode::NotImplemented, format!("{} is not implemented by the load harness", call.action));
                    if connection.send_frame(&reply).is_err() {
                        break;
                    }
                }
                // The I/O task ended: the socket is closed.
                None => break,
            },
        }
    }
    // Dropping the connection ends the I/O task if shutdown did not; wait for its Close.
    drop(connection);
    let _ = io_task.await;
    shared.stats.on_disconnected();
}

/// Sends a CALL and records how long its answer took, or why there was none.
async fn timed<Req: Serialize, Res: DeserializeOwned>(
    shared: &Shared,
    connection: &Connection,
    phase: Phase,
    action: &'static str,
    request: &Req,
) -> Result<Res, CallFailure> {
    shared.stats.on_sent(phase);
    let sent = Instant::now();
    let outcome = connection.call(action, request).await;
    match &outcome {
        Ok(_) => shared.stats.on_answer(phase, action, sent.elapsed()),
        Err(failure) => shared.stats.on_call_failed(phase, action, failure_reason(failure)),
    }
    outcome
}

/// The failure without the parts that differ per call (message ids), so equal failures tally
/// together.
fn failure_reason(failure: &CallFailure) -> String {
    match failure {
        CallFailure::CallError { code, .. } => format!("CALLERROR {code}"),
        CallFailure::BadResponse(_) => "answer does not fit the response schema".to_owned(),
        other => other.to_string(),
    }
}

/// A connect failure, without the URL (which names the charger).
fn failure_kind(error: &SimError) -> String {
    match error {
        SimError::Connect { source, .. } => format!("connect: {source}"),
        SimError::HandshakeRejected { status, .. } => format!("WebSocket upgrade refused with HTTP {status}"),
        SimError::SubprotocolNotSelected { detail, .. } => format!("subprotocol ocpp1.6 not selected: {detail}"),
        SimError::InvalidUrl { reason, .. } => format!("invalid URL: {reason}"),
        other => other.to_string(),
    }
}

/// An interval whose ticks fall on this charger's phase: charger `index` of `n` ticks at
/// `epoch + period * index / n + k * period`, the first such instant from now on. Spreading
/// the phases evenly gives the server a steady rate instead of bursts.
fn ticker(shared: &Shared, index: usize, period: Duration) -> Interval {
    let first = next_on_phase(shared.epoch, phase_offset(period, index, shared.connections), period, Instant::now());
    let mut interval = tokio::time::interval_at(first, period);
    // A late tick (a slow answer) shifts the phase rather than firing a burst to catch up.
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

/// `period * index / n`, computed in nanoseconds to keep the spread exact for large `n`.
fn phase_offset(period: Duration, index: usize, n: usize) -> Duration {
    let nanos = period.as_nanos() * index as u128 / n.max(1) as u128;
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The first instant `epoch + offset + k * period` (k ≥ 0) that is not before `now`.
fn next_on_phase(epoch: Instant, offset: Duration, period: Duration, now: Instant) -> Instant {
    let first = epoch + offset;
    if now <= first {
        return first;
    }
    let behind = now.duration_since(first).as_nanos();
    let periods = behind.div_ceil(period.as_nanos().max(1));
    first + Duration::from_nanos(u64::try_from(periods * period.as_nanos()).unwrap_or(u64::MAX))
}

fn meter_values(register_wh: i64) -> MeterValuesRequest {
    let sample = |measurand: &str, value: String, unit: &str| SampledValue {
        value,
        context: Some("Sample.Periodic".to_owned()),
        format: None,
        measurand: Some(measurand.to_owned()),
        phase: None,
        location: None,
        unit: Some(unit.to_owned()),
    };
    MeterValuesRequest {
        connector_id: 1,
        // An idle charger reporting its meter: no transaction.
        transaction_id: None,
        meter_value: vec![MeterValue {
            timestamp: OffsetDateTime::now_utc(),
            sampled_value: vec![
                sample(MEASURAND_ENERGY_IMPORT, register_wh.to_string(), "Wh"),
                sample(MEASURAND_POWER_IMPORT, REPORTED_POWER_W.to_string(), "W"),
            ],
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_spread_evenly() {
        let period = Duration::from_secs(10);
        assert_eq!(phase_offset(period, 0, 4), Duration::ZERO);
        assert_eq!(phase_offset(period, 1, 4), Duration::from_millis(2_500));
        assert_eq!(phase_offset(period, 3, 4), Duration::from_millis(7_500));
        assert_eq!(phase_offset(period, 9_999, 10_000), Duration::from_millis(9_999));
    }

    #[test]
    fn next_tick_keeps_the_phase() {
        let epoch = Instant::now();
        let period = Duration::from_secs(10);
        let offset = Duration::from_secs(3);
        // Before the first phase instant: that instant.
        assert_eq!(next_on_phase(epoch, offset, period, epoch), epoch + offset);
        // Exactly on one: that one.
        assert_eq!(next_on_phase(epoch, offset, period, epoch + Duration::from_secs(13)), epoch + Duration::from_secs(13));
        // Between: the next one, on the same phase.
        assert_eq!(next_on_phase(epoch, offset, period, epoch + Duration::from_secs(14)), epoch + Duration::from_secs(23));
    }
}
