//! The behaviour of a simulated charge point: boot, connector status, remote start and stop,
//! transactions with periodic meter values, heartbeats; and the [`ChargePoint`] handle that
//! owns it.
//!
//! Tasks, and why:
//! - the I/O task (module `connection`) owns the socket;
//! - the behaviour task answers the central system's CALLs one at a time, so decisions about a
//!   connector ("is it free?") never race each other;
//! - every transaction and the heartbeat run in their own task, because they wait on the
//!   central system's answers and must not hold up the next incoming CALL.
//!
//! - the link task (module `reconnect`) watches the socket and, when it drops and the
//!   configuration asks for it, opens and boots a new one; transactions carry on meanwhile.
//!
//! The transaction and heartbeat tasks live in a `JoinSet` owned by the behaviour task, so when
//! that task ends (shutdown, dropped handle, connection closed for good) they are aborted with it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chargekit_model::ocmf::TransactionEvent;
use chargekit_model::ocpp::frame::decode_payload;
use chargekit_model::ocpp::messages::{
    AuthorizationStatus, BootNotificationRequest, BootNotificationResponse, ChargePointStatus, HeartbeatRequest,
    HeartbeatResponse, MEASURAND_CURRENT_IMPORT, MEASURAND_ENERGY_IMPORT, MEASURAND_POWER_IMPORT, MeterValue, MeterValuesRequest,
    MeterValuesResponse, RegistrationStatus, RemoteStartStopResponse, RemoteStartStopStatus,
    RemoteStartTransactionRequest, RemoteStopTransactionRequest, SampledValue, StartTransactionRequest,
    StartTransactionResponse, StatusNotificationRequest, StatusNotificationResponse, StopTransactionRequest,
    StopTransactionResponse, action,
};
use chargekit_model::ocpp::{ErrorCode, Frame};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::{broadcast, mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::{RemoteStartBehavior, SimConfig};
use crate::connection::{self, CallFailure, CallKind, Connection, IncomingCall};
use crate::curve::ChargingCar;
use crate::error::SimError;
use crate::events::{SimEvent, StopReason, TransactionRecord};
use crate::signing::{MeterReading, MeterSigner};

mod local;
mod management;
mod reconnect;

/// Events buffered per subscriber before a slow one starts missing some.
const EVENT_CAPACITY: usize = 1024;

/// A connected, booted charge point. Dropping it (or calling [`ChargePoint::shutdown`]) closes
/// the socket and ends all of its tasks.
pub struct ChargePoint {
    shared: Arc<Shared>,
    /// Set to `true` (or dropped) to stop every task.
    shutdown: watch::Sender<bool>,
    /// Created before the boot, so the first subscriber also sees [`SimEvent::Connected`].
    first_receiver: Mutex<Option<broadcast::Receiver<SimEvent>>>,
    /// The socket's I/O task until the boot, then the link task that owns it (and its
    /// successors after reconnects).
    link_task: Option<JoinHandle<()>>,
    behaviour_task: Option<JoinHandle<()>>,
    /// Transactions started at the charge point (a card, a car), for the behaviour task.
    local: mpsc::UnboundedSender<local::LocalStart>,
}

/// Opens the WebSocket to `{server_url}/{charge_point_id}` (subprotocol `ocpp1.6`), boots with
/// BootNotification (which must be Accepted), reports connector 0 and every connector
/// Available, and leaves the charge point running in background tasks.
pub async fn connect(config: SimConfig) -> Result<ChargePoint, SimError> {
    config.validate()?;
    // Made before the socket opens: an unusable key is a configuration error.
    let signer = match &config.signed_meter_values {
        Some(key) => Some(
            MeterSigner::new(key, config.charge_point_id.clone()).map_err(|e| SimError::InvalidConfig(e.to_string()))?,
        ),
        None => None,
    };
    let socket = connection::open(&config).await?;
    let (events, first_receiver) = broadcast::channel(EVENT_CAPACITY);
    let (shutdown, shutdown_rx) = watch::channel(false);
    let connection = Connection::new(&config);
    let (incoming_tx, incoming) = mpsc::unbounded_channel();
    let io_task = connection.attach(socket, &config.charge_point_id, shutdown_rx.clone(), incoming_tx.clone(), None);
    let state = State {
        connectors: (0..config.connectors).map(|_| Connector { register_wh: config.initial_meter_wh, session: None }).collect(),
        transactions: Vec::new(),
    };
    let configuration = management::Configuration::new(&config);
    let shared = Arc::new(Shared { config, connection, events, state: Mutex::new(state), signer, configuration });
    // From here on, an early return drops the handle, which closes the socket.
    let (local, local_starts) = mpsc::unbounded_channel();
    let mut charge_point = ChargePoint {
        shared: shared.clone(),
        shutdown,
        first_receiver: Mutex::new(Some(first_receiver)),
        link_task: Some(io_task),
        behaviour_task: None,
        local,
    };

    let heartbeat = shared.boot().await?;
    shared.report_every_status().await;
    shared.connection.go_online();
    charge_point.behaviour_task = Some(tokio::spawn(run_behaviour(shared.clone(), incoming, local_starts, shutdown_rx.clone(), heartbeat)));
    if let Some(io_task) = charge_point.link_task.take() {
        charge_point.link_task = Some(tokio::spawn(reconnect::run_link(shared.clone(), io_task, incoming_tx, shutdown_rx)));
    }
    shared.emit(SimEvent::Connected);
    tracing::info!(charge_point = %shared.config.charge_point_id, connectors = shared.config.connectors, "booted");
    if let Some(signer) = &shared.signer {
        tracing::info!(charge_point = %shared.config.charge_point_id, public_key = %signer.public_key_hex(), "meter values are signed (OCMF)");
    }
    Ok(charge_point)
}

impl ChargePoint {
    /// The charge point id.
    pub fn id(&self) -> &str {
        &self.shared.config.charge_point_id
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// A stream of this charge point's events. The first receiver returned starts at the very
    /// beginning of the session (it sees [`SimEvent::Connected`]); later ones start now.
    pub fn subscribe(&self) -> broadcast::Receiver<SimEvent> {
        lock(&self.first_receiver).take().unwrap_or_else(|| self.shared.events.subscribe())
    }

    /// Every transaction started on this charge point so far, finished or not, oldest first.
    pub fn transactions(&self) -> Vec<TransactionRecord> {
        lock(&self.shared.state).transactions.clone()
    }

    /// The meter register of a connector (numbered from 1), in Wh.
    pub fn meter_register_wh(&self, connector_id: u32) -> Option<i64> {
        lock(&self.shared.state).connector(connector_id).map(|c| c.register_wh)
    }

    /// The public key its meter signs with (DER SubjectPublicKeyInfo, hex), when
    /// [`SimConfig::signed_meter_values`] is set.
    pub fn meter_public_key(&self) -> Option<String> {
        self.shared.signer.as_ref().map(MeterSigner::public_key_hex)
    }

    /// Sends `text` as it is, to test how the central system copes with malformed frames.
    pub fn send_raw(&self, text: impl Into<String>) -> Result<(), SimError> {
        self.shared.connection.send_text(text.into())
    }

    /// Closes the WebSocket cleanly (Close frame, waiting briefly for the server's) and waits for
    /// every task to end. Running transactions are abandoned, as when a charge point goes offline.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        for task in [self.behaviour_task.take(), self.link_task.take()].into_iter().flatten() {
            // A task that panicked has logged why; there is nothing left to end.
            let _ = task.await;
        }
    }
}

impl Drop for ChargePoint {
    fn drop(&mut self) {
        // The tasks watch this value; dropping the sender right after would stop them as well.
        self.shutdown.send_replace(true);
    }
}

impl std::fmt::Debug for ChargePoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChargePoint").field("id", &self.id()).finish_non_exhaustive()
    }
}

/// What the tasks of one charge point share.
struct Shared {
    config: SimConfig,
    connection: Connection,
    events: broadcast::Sender<SimEvent>,
    state: Mutex<State>,
    /// Signs transaction begins and ends, when the configuration asks for it.
    signer: Option<MeterSigner>,
    /// The OCPP configuration keys the operator can read and change.
    configuration: management::Configuration,
}

struct State {
    /// Index 0 is connector 1.
    connectors: Vec<Connector>,
    transactions: Vec<TransactionRecord>,
}

struct Connector {
    register_wh: i64,
    /// Set from the accepted remote start until the connector is Available again.
    session: Option<Session>,
}

struct Session {
    /// Known once the central system answered StartTransaction.
    transaction_id: Option<i64>,
    stop: watch::Sender<Option<StopReason>>,
}

impl State {
    fn connector(&self, connector_id: u32) -> Option<&Connector> {
        let index = usize::try_from(connector_id).ok()?.checked_sub(1)?;
        self.connectors.get(index)
    }

    fn connector_mut(&mut self, connector_id: u32) -> Option<&mut Connector> {
        let index = usize::try_from(connector_id).ok()?.checked_sub(1)?;
        self.connectors.get_mut(index)
    }

    fn record_mut(&mut self, transaction_id: i64) -> Option<&mut TransactionRecord> {
        self.transactions.iter_mut().rev().find(|r| r.transaction_id == transaction_id)
    }
}

fn status_request(connector_id: u32, status: ChargePointStatus) -> StatusNotificationRequest {
    StatusNotificationRequest {
        connector_id,
        error_code: "NoError".to_owned(),
        status,
        timestamp: Some(OffsetDateTime::now_utc()),
        info: None,
        vendor_id: None,
        vendor_error_code: None,
    }
}

/// The current on each of `phases` lines carrying `power_w` at 230 V line to neutral, in A
/// with three decimals (integer arithmetic: `7000` W on one phase is `30.435`).
fn per_phase_current(power_w: u32, phases: u32) -> String {
    const VOLTS: u64 = 230;
    let milliamps = (u64::from(power_w) * 1000 + VOLTS * u64::from(phases) / 2) / (VOLTS * u64::from(phases.max(1)));
    format!("{}.{:03}", milliamps / 1000, milliamps % 1000)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update of the state is a single assignment or push; a panic cannot leave it torn.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What to do with a RemoteStartTransaction.
enum StartDecision {
    Reject,
    /// [`RemoteStartBehavior::AcceptButNeverStart`].
    AcceptOnly,
    Start { connector_id: u32, stop: watch::Receiver<Option<StopReason>> },
}

/// Answers the central system's CALLs and supervises transactions and heartbeats until
/// shutdown or until the socket closes.
async fn run_behaviour(
    shared: Arc<Shared>,
    mut incoming: mpsc::UnboundedReceiver<IncomingCall>,
    mut local_starts: mpsc::UnboundedReceiver<local::LocalStart>,
    mut shutdown: watch::Receiver<bool>,
    heartbeat: Duration,
) {
    let mut tasks = JoinSet::new();
    if !heartbeat.is_zero() {
        tasks.spawn(shared.clone().heartbeat(heartbeat));
    }
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            call = incoming.recv() => match call {
                Some(call) => shared.on_call(call, &mut tasks),
                None => break,
            },
            Some(start) = local_starts.recv() => {
                tasks.spawn(shared.clone().run_transaction(start.connector_id, start.id_tag, start.stop));
            }
            Some(joined) = tasks.join_next() => {
                if let Err(error) = joined {
                    tracing::error!(charge_point = %shared.config.charge_point_id, %error, "a charge point task failed");
                }
            }
        }
    }
    tasks.shutdown().await;
}

impl Shared {
    fn emit(&self, event: SimEvent) {
        // Nobody listening is fine.
        let _ = self.events.send(event);
    }

    fn id(&self) -> &str {
        &self.config.charge_point_id
    }

    /// Sends a CALL; a CALLERROR, a timeout or a broken answer is logged and reported as an
    /// event, and the caller carries on without the answer.
    async fn call<Req: Serialize, Res: DeserializeOwned>(&self, action: &str, request: &Req) -> Option<Res> {
        self.call_as(CallKind::Online, action, request).await
    }

    /// [`Shared::call`] for a transaction message: while the charge point is offline it waits
    /// for the next connection instead of failing.
    async fn call_transaction<Req: Serialize, Res: DeserializeOwned>(&self, action: &str, request: &Req) -> Option<Res> {
        self.call_as(CallKind::Queued, action, request).await
    }

    async fn call_as<Req: Serialize, Res: DeserializeOwned>(&self, kind: CallKind, action: &str, request: &Req) -> Option<Res> {
        match self.connection.call_as(kind, action, request).await {
            Ok(response) => Some(response),
            Err(failure) => {
                tracing::warn!(charge_point = %self.id(), action, %failure, "CALL failed");
                match failure {
                    CallFailure::CallError { code, .. } => self.emit(SimEvent::CallError { action: action.to_owned(), code }),
                    CallFailure::Timeout(_) => self.emit(SimEvent::CallTimedOut { action: action.to_owned() }),
                    CallFailure::BadResponse(_) | CallFailure::Disconnected => {}
                }
                None
            }
        }
    }

    /// Sends a CALLRESULT or CALLERROR.
    fn reply(&self, frame: Frame) {
        if let Err(error) = self.connection.send_frame(&frame) {
            tracing::warn!(charge_point = %self.id(), %error, "could not answer the central system");
        }
    }

    /// BootNotification; the heartbeat interval on success.
    fn boot_request(&self) -> BootNotificationRequest {
        BootNotificationRequest {
            charge_point_vendor: self.config.vendor.clone(),
            charge_point_model: self.config.model.clone(),
            charge_point_serial_number: None,
            firmware_version: Some(concat!("chargekit-sim ", env!("CARGO_PKG_VERSION")).to_owned()),
            meter_serial_number: None,
        }
    }

    /// What a connector would report now (connector 0: the charge point itself).
    fn current_status(&self, connector_id: u32) -> ChargePointStatus {
        let state = lock(&self.state);
        match state.connector(connector_id) {
            Some(connector) if connector.session.is_some() => ChargePointStatus::Charging,
            _ => ChargePointStatus::Available,
        }
    }

    async fn boot(&self) -> Result<Duration, SimError> {
        let request = self.boot_request();
        let response: BootNotificationResponse = self
            .connection
            .call_as(CallKind::Boot, action::BOOT_NOTIFICATION, &request)
            .await
            .map_err(|failure| SimError::BootFailed(failure.to_string()))?;
        if response.status != RegistrationStatus::Accepted {
            return Err(SimError::BootRejected(response.status));
        }
        Ok(Duration::from_secs(response.interval.into()))
    }

    /// StatusNotification of connector 0 and every connector as it is now, after a boot.
    async fn report_every_status(&self) {
        for connector_id in 0..=self.config.connectors {
            let request = status_request(connector_id, self.current_status(connector_id));
            let _: Option<StatusNotificationResponse> = self.call_as(CallKind::Boot, action::STATUS_NOTIFICATION, &request).await;
        }
    }

    async fn report_status(&self, connector_id: u32, status: ChargePointStatus) {
        let _: Option<StatusNotificationResponse> = self.call(action::STATUS_NOTIFICATION, &status_request(connector_id, status)).await;
    }

    async fn heartbeat(self: Arc<Self>, every: Duration) {
        let mut ticker = tokio::time::interval_at(Instant::now() + every, every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let _: Option<HeartbeatResponse> = self.call(action::HEARTBEAT, &HeartbeatRequest {}).await;
        }
    }

    fn on_call(self: &Arc<Self>, call: IncomingCall, tasks: &mut JoinSet<()>) {
        tracing::debug!(charge_point = %self.id(), action = %call.action, "CALL from the central system");
        match call.action.as_str() {
            action::REMOTE_START_TRANSACTION => self.on_remote_start(&call.id, call.payload, tasks),
            action::REMOTE_STOP_TRANSACTION => self.on_remote_stop(&call.id, call.payload),
            _ if self.on_management_call(&call, tasks) => {}
            // OCPP-J: NotSupported for an action it knows but does not support, NotImplemented
            // for one it does not know.
            other if action::OCPP16.contains(&other) => {
                self.reply(Frame::call_error(&call.id, ErrorCode::NotSupported, format!("{other} is not supported by this simulator")))
            }
            other => self.reply(Frame::call_error(&call.id, ErrorCode::NotImplemented, format!("{other} is not a known action"))),
        }
    }

    fn on_remote_start(self: &Arc<Self>, message_id: &str, payload: Value, tasks: &mut JoinSet<()>) {
        let request: RemoteStartTransactionRequest = match decode_payload(message_id, payload) {
            Ok(request) => request,
            Err(error) => return self.reply(error.to_frame()),
        };
        let decision = self.decide_remote_start(&request);
        let status = match decision {
            StartDecision::Reject => RemoteStartStopStatus::Rejected,
            StartDecision::AcceptOnly | StartDecision::Start { .. } => RemoteStartStopStatus::Accepted,
        };
        tracing::info!(charge_point = %self.id(), id_tag = %request.id_tag, ?status, "RemoteStartTransaction");
        // The answer goes out before the transaction task can send anything.
        self.reply(Frame::call_result(message_id, &RemoteStartStopResponse { status }));
        if let StartDecision::Start { connector_id, stop } = decision {
            tasks.spawn(self.clone().run_transaction(connector_id, request.id_tag, stop));
        }
    }

    /// Picks the connector (the requested one, or the first free one) and claims it.
    fn decide_remote_start(&self, request: &RemoteStartTransactionRequest) -> StartDecision {
        if self.config.remote_start == RemoteStartBehavior::Reject {
            return StartDecision::Reject;
        }
        let mut state = lock(&self.state);
        let connector_id = match request.connector_id {
            Some(id) => id,
            None => match state.connectors.iter().position(|c| c.session.is_none()) {
                // Connector counts are u32, so the index fits.
                Some(index) => index as u32 + 1,
                None => return StartDecision::Reject,
            },
        };
        let Some(connector) = state.connector_mut(connector_id) else {
            return StartDecision::Reject;
        };
        if connector.session.is_some() {
            return StartDecision::Reject;
        }
        if self.config.remote_start == RemoteStartBehavior::AcceptButNeverStart {
            return StartDecision::AcceptOnly;
        }
        let (stop_tx, stop_rx) = watch::channel(None);
        connector.session = Some(Session { transaction_id: None, stop: stop_tx });
        StartDecision::Start { connector_id, stop: stop_rx }
    }

    fn on_remote_stop(&self, message_id: &str, payload: Value) {
        let request: RemoteStopTransactionRequest = match decode_payload(message_id, payload) {
            Ok(request) => request,
            Err(error) => return self.reply(error.to_frame()),
        };
        let state = lock(&self.state);
        let session = state
            .connectors
            .iter()
            .filter_map(|c| c.session.as_ref())
            .find(|s| s.transaction_id == Some(request.transaction_id));
        let status = if session.is_some() { RemoteStartStopStatus::Accepted } else { RemoteStartStopStatus::Rejected };
        tracing::info!(charge_point = %self.id(), transaction_id = request.transaction_id, ?status, "RemoteStopTransaction");
        // Answer first, then wake the transaction, so Accepted precedes StopTransaction.
        self.reply(Frame::call_result(message_id, &RemoteStartStopResponse { status }));
        if let Some(session) = session {
            session.stop.send_if_modified(|reason| reason.replace(StopReason::Remote).is_none());
        }
    }

    /// One transaction on a claimed connector, from Preparing back to Available.
    async fn run_transaction(self: Arc<Self>, connector_id: u32, id_tag: String, mut stop: watch::Receiver<Option<StopReason>>) {
        self.report_status(connector_id, ChargePointStatus::Preparing).await;
        let meter_start_wh = self.register(connector_id);
        let request = StartTransactionRequest {
            connector_id,
            id_tag: id_tag.clone(),
            meter_start: meter_start_wh,
            timestamp: OffsetDateTime::now_utc(),
            reservation_id: None,
        };
        let Some(response) = self.call_transaction::<_, StartTransactionResponse>(action::START_TRANSACTION, &request).await else {
            // Without a transaction id there is nothing to meter or stop.
            self.release(connector_id);
            self.report_status(connector_id, ChargePointStatus::Available).await;
            return;
        };
        let transaction_id = response.transaction_id;
        {
            let mut state = lock(&self.state);
            if let Some(session) = state.connector_mut(connector_id).and_then(|c| c.session.as_mut()) {
                session.transaction_id = Some(transaction_id);
            }
            state.transactions.push(TransactionRecord {
                transaction_id,
                connector_id,
                id_tag: id_tag.clone(),
                meter_start_wh,
                meter_stop_wh: None,
                started_at: request.timestamp,
                stopped_at: None,
                stop_reason: None,
            });
        }
        self.emit(SimEvent::TransactionStarted { transaction_id, connector_id, id_tag: id_tag.clone(), meter_start_wh });
        // Goes out with the first MeterValues the central system answers, or else with
        // StopTransaction, so a short transaction still carries its signed begin.
        let mut signed_begin =
            self.signed_reading(connector_id, &id_tag, TransactionEvent::Begin, request.timestamp, meter_start_wh);
        tracing::info!(charge_point = %self.id(), connector_id, transaction_id, meter_start_wh, "transaction started");

        let reason = if response.id_tag_info.status == AuthorizationStatus::Accepted {
            self.report_status(connector_id, ChargePointStatus::Charging).await;
            self.charge(connector_id, transaction_id, &mut stop, &mut signed_begin).await
        } else {
            tracing::warn!(charge_point = %self.id(), transaction_id, status = ?response.id_tag_info.status, "id tag not accepted; stopping");
            StopReason::DeAuthorized
        };

        let meter_stop_wh = self.register(connector_id);
        let stopped_at = OffsetDateTime::now_utc();
        // Recorded before StopTransaction goes out, so whoever sees it can rely on the record.
        if let Some(record) = lock(&self.state).record_mut(transaction_id) {
            record.meter_stop_wh = Some(meter_stop_wh);
            record.stopped_at = Some(stopped_at);
            record.stop_reason = Some(reason);
        }
        self.emit(SimEvent::TransactionStopped { transaction_id, connector_id, meter_stop_wh, reason });
        tracing::info!(charge_point = %self.id(), connector_id, transaction_id, meter_stop_wh, reason = reason.as_str(), "transaction stopped");
        let signed_end = self.signed_reading(connector_id, &id_tag, TransactionEvent::End, stopped_at, meter_stop_wh);
        let request = StopTransactionRequest {
            meter_stop: meter_stop_wh,
            timestamp: stopped_at,
            transaction_id,
            id_tag: Some(id_tag),
            reason: Some(reason.as_str().to_owned()),
            transaction_data: signed_begin.into_iter().chain(signed_end).collect(),
        };
        let _: Option<StopTransactionResponse> = self.call_transaction(action::STOP_TRANSACTION, &request).await;
        self.report_status(connector_id, ChargePointStatus::Finishing).await;
        self.release(connector_id);
        self.report_status(connector_id, ChargePointStatus::Available).await;
    }

    /// Charges the car, sending MeterValues every meter interval, until it is full or a stop is
    /// requested.
    async fn charge(
        &self,
        connector_id: u32,
        transaction_id: i64,
        stop: &mut watch::Receiver<Option<StopReason>>,
        signed_begin: &mut Option<MeterValue>,
    ) -> StopReason {
        let mut car = ChargingCar::plug_in(&self.config.car);
        let every = self.configuration.meter_interval();
        let mut ticker = tokio::time::interval_at(Instant::now() + every, every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = Instant::now();
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    let (register_wh, power_w, full) = self.advance(connector_id, &mut car, &mut last);
                    if self.send_meter_values(connector_id, transaction_id, register_wh, power_w, signed_begin.clone()).await {
                        *signed_begin = None;
                    }
                    self.emit(SimEvent::MeterSample { transaction_id, connector_id, register_wh, power_w, soc_percent: car.soc_percent() });
                    if full {
                        return StopReason::EVDisconnected;
                    }
                }
                // Copied out inside the future: the borrow of the watch value must not live on.
                requested = async { stop.wait_for(Option::is_some).await.ok().and_then(|reason| *reason) } => {
                    // `None` would mean the session was dropped, which only this task does.
                    let reason = requested.unwrap_or(StopReason::Remote);
                    // Count the energy since the last sample, so meterStop is up to date.
                    self.advance(connector_id, &mut car, &mut last);
                    return reason;
                }
            }
        }
    }

    /// Charges the car for the real time since `last` and adds the whole Wh to the register.
    /// Returns the new register, the average power and whether the car is full.
    fn advance(&self, connector_id: u32, car: &mut ChargingCar, last: &mut Instant) -> (i64, u32, bool) {
        let now = Instant::now();
        let step = car.charge_for(now.duration_since(*last));
        *last = now;
        let mut state = lock(&self.state);
        let register_wh = match state.connector_mut(connector_id) {
            Some(connector) => {
                connector.register_wh += step.register_increment_wh;
                connector.register_wh
            }
            None => 0,
        };
        (register_wh, step.power_w, step.full)
    }

    /// Sends one periodic sample, after `signed_begin` if given; whether it was answered.
    async fn send_meter_values(
        &self,
        connector_id: u32,
        transaction_id: i64,
        register_wh: i64,
        power_w: u32,
        signed_begin: Option<MeterValue>,
    ) -> bool {
        let sample = |measurand: &str, value: String, unit: &str| SampledValue {
            value,
            context: Some("Sample.Periodic".to_owned()),
            format: None,
            measurand: Some(measurand.to_owned()),
            phase: None,
            location: None,
            unit: Some(unit.to_owned()),
        };
        let mut sampled_value = vec![
            sample(MEASURAND_ENERGY_IMPORT, register_wh.to_string(), "Wh"),
            sample(MEASURAND_POWER_IMPORT, power_w.to_string(), "W"),
        ];
        if let Some(phases) = self.config.ac_phases {
            let amps = per_phase_current(power_w, phases);
            for line in ["L1", "L2", "L3"].into_iter().take(phases as usize) {
                sampled_value.push(SampledValue { phase: Some(line.to_owned()), ..sample(MEASURAND_CURRENT_IMPORT, amps.clone(), "A") });
            }
        }
        let periodic = MeterValue { timestamp: OffsetDateTime::now_utc(), sampled_value };
        let request = MeterValuesRequest {
            connector_id,
            transaction_id: Some(transaction_id),
            // Oldest first: the signed begin was read at the transaction's start.
            meter_value: signed_begin.into_iter().chain([periodic]).collect(),
        };
        let answer: Option<MeterValuesResponse> = self.call_transaction(action::METER_VALUES, &request).await;
        answer.is_some()
    }

    /// A reading signed by the meter, as OCPP 1.6 carries it: a `SignedData` sampled value in
    /// a MeterValue of its own, stamped with the time it was read. `None` when this charge
    /// point does not sign, or signing failed (logged).
    fn signed_reading(
        &self,
        connector_id: u32,
        id_tag: &str,
        event: TransactionEvent,
        at: OffsetDateTime,
        register_wh: i64,
    ) -> Option<MeterValue> {
        let signer = self.signer.as_ref()?;
        // A meter per connector, as in a real charger; one key signs for all of them.
        let meter_serial = format!("{}-{connector_id}", self.id());
        let record = match signer.sign(&MeterReading { meter_serial: &meter_serial, id_tag, event, at, register_wh }) {
            Ok(record) => record,
            Err(error) => {
                tracing::error!(charge_point = %self.id(), %error, "could not sign a meter value; it is left out");
                return None;
            }
        };
        let context = if event == TransactionEvent::Begin { "Transaction.Begin" } else { "Transaction.End" };
        Some(MeterValue {
            timestamp: at,
            sampled_value: vec![SampledValue {
                value: record.to_text(),
                context: Some(context.to_owned()),
                format: Some("SignedData".to_owned()),
                measurand: Some(MEASURAND_ENERGY_IMPORT.to_owned()),
                phase: None,
                location: None,
                unit: None,
            }],
        })
    }

    fn register(&self, connector_id: u32) -> i64 {
        lock(&self.state).connector(connector_id).map_or(0, |c| c.register_wh)
    }

    /// Frees the connector for the next remote start.
    fn release(&self, connector_id: u32) {
        if let Some(connector) = lock(&self.state).connector_mut(connector_id) {
            connector.session = None;
        }
    }
}

/// Connects `count` charge points with ids `{base id}-1` … `{base id}-{count}`, the rest of
/// their configuration copied from `base`. Connects a few at a time; if one fails, the ones
/// already connected are closed and the error returned.
pub async fn connect_many(base: SimConfig, count: usize) -> Result<Vec<ChargePoint>, SimError> {
    use futures_util::{StreamExt as _, TryStreamExt as _};
    /// Simultaneous handshakes, to be gentle with the server.
    const CONCURRENCY: usize = 16;
    let configs = (1..=count).map(|n| SimConfig { charge_point_id: format!("{}-{n}", base.charge_point_id), ..base.clone() });
    futures_util::stream::iter(configs.map(connect)).buffered(CONCURRENCY).try_collect().await
}
