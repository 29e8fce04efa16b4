//! The UniFFI facade: what Kotlin and Swift see. It converts between model types and FFI
//! records and delegates to [`Core`]; there is no logic here.
//!
//! Async methods run on the core's own Tokio runtime (few threads: it runs on a phone); the
//! foreign side awaits the task's handle, which needs no particular executor.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chargekit_model::api::{ApiErrorCode, AuthToken, EvseInfo};
use chargekit_model::{CostItem, Session, SessionStatus, TariffDimension};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

use crate::engine::{Core, SessionSnapshot, can_start, local_zone, parse_evse_id};
use crate::history::{HistoryFilter, Month};
use crate::error::CoreError;
use crate::secrets::SecureStore;

/// Worker threads of the core's runtime. Network waits dominate; two keep a phone cool.
const RUNTIME_THREADS: usize = 2;

/// What a driver sees of an error: the kind, to react on, and a sentence to show.
///
/// Flat: each variant crosses the FFI as its kind plus the sentence, which becomes the
/// exception's message in Kotlin and the error's message in Swift.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum ChargeKitError {
    /// No connection to the backend.
    #[error("{message}")]
    Network { message: String },
    /// Not signed in, wrong email or password, or the sign-in expired.
    #[error("{message}")]
    Unauthorized { message: String },
    /// No such charger or session.
    #[error("{message}")]
    NotFound { message: String },
    /// Unreadable input: an EVSE ID, an email, a password too short.
    #[error("{message}")]
    InvalidInput { message: String },
    /// The charger is busy, or the account exists already.
    #[error("{message}")]
    Conflict { message: String },
    #[error("{message}")]
    ChargerOffline { message: String },
    /// The charger refused, or did not answer in time.
    #[error("{message}")]
    ChargerRefused { message: String },
    /// The payment was refused before the charger was asked: too little in the wallet, or the
    /// card was declined. Top up or choose another way to pay.
    #[error("{message}")]
    PaymentRefused { message: String },
    /// The offline cache on the phone failed.
    #[error("{message}")]
    Storage { message: String },
    #[error("{message}")]
    Internal { message: String },
}

mod auth;
pub mod eichrecht;
mod events;
mod flows;
pub mod identify;
mod payments;
mod receipt;
mod screens;
mod tokens;
pub use auth::{AuthState, AuthStateListener};
pub use events::{DriverEvent, DriverEventKind, DriverEventListener, IdleFeeKind, StartFailureKind};
pub use identify::*;
pub use receipt::{ReceiptInfo, ReceiptMeterData, ReceiptPeriod, ReceiptSignature};
pub use payments::{Payment, PaymentMethodInfo, PaymentState, SessionPaymentInfo, WalletBalanceInfo};
pub use tokens::{TokenInfo, TokenKind};
pub use flows::{CardsFlow, CardsListener, FindChargerFlow, FindChargerListener, WalletFlow, WalletListener};
pub use screens::LiveSessionListener;
pub use crate::screens::{
    Fixed, ListStatus, MoneyAmount, PriceUnit, Quantity, QuantityUnit, SessionPhase, UnitPrice,
    cards::{CardsNotice, CardsScreen, PendingCard, TokenRow},
    charger::{ChargerScreen, ConnectorAvailability},
    find_charger::{FindChargerScreen, FindChargerStep},
    fixtures::{ScreenFixtures, decode_screen_fixtures},
    history::{HistoryMonthScreen, HistoryRowScreen, HistoryScreen},
    live::LiveSessionScreen,
    payment::{PaymentChoiceScreen, PaymentOptionLabel, PaymentOptionScreen},
    wallet::{WalletBalanceScreen, WalletMethodScreen, WalletScreen, WalletState},
    receipt::{MeterDataVerdict, ReceiptLineScreen, ReceiptPeriodScreen, ReceiptScreen, ReceiptVerdict},
};

impl From<CoreError> for ChargeKitError {
    fn from(e: CoreError) -> Self {
        let message = e.to_string();
        match e {
            CoreError::Network(_) => Self::Network { message },
            CoreError::NotSignedIn => Self::Unauthorized { message },
            CoreError::InvalidInput(_) => Self::InvalidInput { message },
            CoreError::Storage(_) | CoreError::SecureStoreUnavailable => Self::Storage { message },
            CoreError::Internal(_) => Self::Internal { message },
            CoreError::Api(api) => match api.code {
                // Too many sign-in attempts is a refused sign-in; the message says how long to wait.
                ApiErrorCode::Unauthorized | ApiErrorCode::RateLimited => Self::Unauthorized { message },
                ApiErrorCode::NotFound => Self::NotFound { message },
                ApiErrorCode::InvalidInput => Self::InvalidInput { message },
                ApiErrorCode::Conflict => Self::Conflict { message },
                ApiErrorCode::PaymentRefused => Self::PaymentRefused { message },
                ApiErrorCode::ChargerOffline => Self::ChargerOffline { message },
                ApiErrorCode::ChargerRejected | ApiErrorCode::ChargerTimeout => Self::ChargerRefused { message },
                ApiErrorCode::Internal => Self::Internal { message },
            },
        }
    }
}

type Result<T> = std::result::Result<T, ChargeKitError>;

#[derive(Debug, Clone, uniffi::Record)]
pub struct CoreConfig {
    /// The driver API, e.g. `https://api.example.com`.
    pub backend_url: String,
    /// A directory the core owns for its offline cache.
    pub data_dir: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    pub driver_id: String,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Evse {
    pub evse_id: String,
    pub charge_point_id: String,
    pub connector_id: u32,
    /// The connector's last OCPP status, typed. For what the driver is shown, use
    /// `availability`: the shells never show an OCPP name.
    pub status: ConnectorStatus,
    /// What the status means for the driver, offline included: the one thing to show.
    pub availability: ConnectorAvailability,
    pub online: bool,
    /// Whether a session can be started here now: online and free.
    pub can_start: bool,
    pub currency: String,
    pub currency_digits: u32,
    /// Prices of the tariff, excluding VAT.
    pub prices: Vec<PriceLine>,
}

/// A connector's OCPP 1.6 status. `Unknown`: not reported yet, or a status the backend does not
/// know (kept there as sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConnectorStatus {
    Available,
    Preparing,
    Charging,
    SuspendedEvse,
    SuspendedEv,
    Finishing,
    Reserved,
    Unavailable,
    Faulted,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Enum)]
pub enum CostKind {
    Energy,
    Time,
    Parking,
    Flat,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PriceLine {
    pub kind: CostKind,
    /// Decimal price in major units per kWh, hour or session, e.g. "0.39".
    pub unit_price: String,
    /// VAT percentage as a decimal string, e.g. "19"; absent when no VAT applies.
    pub vat_percent: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SessionState {
    Starting,
    Charging,
    Stopping,
    Completed,
    Failed,
    /// The charger's readings could not be right: nothing is billed until the operator has
    /// checked the session (`review_reason` says why).
    UnderReview,
}

/// How the driver was identified at the charger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, uniffi::Enum)]
pub enum AuthMethod {
    /// Started from the app.
    App,
    /// An RFID card tapped at the charger.
    Rfid,
    /// The car identified itself with the driver's contract (Plug & Charge).
    PlugAndCharge,
}

/// One line of a receipt.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CostLine {
    pub kind: CostKind,
    /// Wh for energy, seconds for time and parking, 1 for flat.
    pub billed_quantity: i64,
    pub unit_price: String,
    pub vat_percent: Option<String>,
    pub excl_vat_minor: i64,
    pub vat_minor: i64,
}

/// A session, live or finished. Money is in minor units of `currency` (`currency_digits`
/// after the decimal point); format it with the user's locale.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionInfo {
    pub id: String,
    pub evse_id: String,
    pub state: SessionState,
    /// Unix seconds.
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub stopped_at: Option<i64>,
    pub energy_wh: i64,
    pub power_w: i64,
    pub duration_seconds: i64,
    pub currency: String,
    pub currency_digits: u32,
    pub cost_minor: i64,
    pub cost_excl_vat_minor: i64,
    pub vat_minor: i64,
    pub cost_lines: Vec<CostLine>,
    pub failure_reason: Option<String>,
    /// Why the session is held for the operator's review.
    pub review_reason: Option<String>,
    pub auth_method: AuthMethod,
    /// The driver tapped stop with no network: the stop is stored on the phone and will be
    /// delivered when the network returns.
    pub stop_pending: bool,
    /// A stop for it is being sent right now (a second one would send nothing).
    pub stop_in_flight: bool,
    /// The charger is done: completed, failed or under review (a review's outcome arrives
    /// with the history, not live).
    pub is_final: bool,
    /// Grows with every change of the session on the backend: of two states, the one with the
    /// higher version is the newer.
    pub version: i64,
}

/// Which part of the history to list; absent fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct HistoryQuery {
    /// Only sessions at this charger (typed or scanned; separators and case do not matter).
    #[uniffi(default = None)]
    pub evse_id: Option<String>,
    /// With `month`: only sessions started in that month.
    #[uniffi(default = None)]
    pub year: Option<i32>,
    /// 1 to 12, with `year`.
    #[uniffi(default = None)]
    pub month: Option<u8>,
}

/// Money spent in one currency.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MoneyTotal {
    pub currency: String,
    pub currency_digits: u32,
    pub amount_minor: i64,
}

/// One month of history in the driver's time zone, with its totals.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryMonth {
    pub year: i32,
    /// 1 to 12.
    pub month: u8,
    pub energy_wh: i64,
    /// Per currency; sessions in different currencies are never added together.
    pub spent: Vec<MoneyTotal>,
    /// Newest first.
    pub sessions: Vec<SessionInfo>,
}

/// Receives a session's live state: the current value at once, then every change.
#[uniffi::export(with_foreign)]
pub trait SessionListener: Send + Sync {
    fn on_update(&self, session: SessionInfo);
}

/// A running subscription. `cancel()` (or dropping the handle) ends it.
#[derive(uniffi::Object)]
pub struct TaskHandle {
    task: Mutex<Option<JoinHandle<()>>>,
}

#[uniffi::export]
impl TaskHandle {
    pub fn cancel(&self) {
        if let Some(task) = self.task.lock().expect("task handle lock").take() {
            task.abort();
        }
    }

    /// Whether the subscription has ended (cancelled, or its session is final).
    pub fn is_finished(&self) -> bool {
        self.task.lock().expect("task handle lock").as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// The ChargeKit core: one per app.
#[derive(uniffi::Object)]
pub struct ChargeKit {
    core: Arc<Core>,
    /// `Option` so `Drop` can shut it down without blocking (the app may drop the core from
    /// inside another runtime).
    runtime: Option<Runtime>,
}

impl Drop for ChargeKit {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl ChargeKit {
    /// Runs `work` on the core's runtime and waits for it from any executor.
    async fn run<T, F>(&self, work: impl FnOnce(Arc<Core>) -> F) -> Result<T>
    where
        F: Future<Output = std::result::Result<T, CoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let task = self.core.runtime.spawn(work(self.core.clone()));
        match task.await {
            Ok(result) => result.map_err(Into::into),
            Err(e) => Err(ChargeKitError::Internal { message: format!("the core's task failed: {e}") }),
        }
    }
}

#[uniffi::export]
impl ChargeKit {
    #[uniffi::constructor]
    pub fn new(config: CoreConfig, secure_store: Arc<dyn SecureStore>) -> Result<Arc<Self>> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_THREADS)
            .thread_name("chargekit-core")
            .enable_all()
            .build()
            .map_err(|e| ChargeKitError::Internal { message: format!("cannot start the core's runtime: {e}") })?;
        let opened = Core::open(&config.backend_url, &PathBuf::from(config.data_dir), secure_store, runtime.handle().clone());
        let core = match opened {
            Ok(core) => Arc::new(core),
            Err(e) => {
                // Dropping a runtime blocks, which panics when the caller is async.
                runtime.shutdown_background();
                return Err(e.into());
            }
        };
        // Stops tapped before the app was killed go out now.
        core.deliver_pending_stops();
        Ok(Arc::new(Self { core, runtime: Some(runtime) }))
    }

    pub async fn sign_up(&self, email: String, password: String) -> Result<Account> {
        self.run(|core| async move { core.sign_up(&email, &password).await.map(account) }).await
    }

    pub async fn sign_in(&self, email: String, password: String) -> Result<Account> {
        self.run(|core| async move { core.sign_in(&email, &password).await.map(account) }).await
    }

    /// Signs out, and forgets this driver's history and queued stops on the phone.
    pub fn sign_out(&self) -> Result<()> {
        Ok(self.core.sign_out()?)
    }

    /// The signed-in account, if any (kept across restarts through the secure store).
    pub fn account(&self) -> Option<Account> {
        self.core.account().map(account)
    }

    /// Reads a scanned QR code, an NFC tag's text or a typed ID into a normalized EVSE ID.
    pub fn evse_from_qr(&self, payload: String) -> Result<String> {
        Ok(parse_evse_id(&payload)?.to_string())
    }

    /// What the backend knows of an EVSE: status, whether it is online, its prices.
    pub async fn lookup_evse(&self, evse_id: String) -> Result<Evse> {
        self.run(|core| async move { core.evse(&evse_id).await.map(evse) }).await
    }

    /// Starts charging at `evse_id`, paying as chosen (`Payment::Default`: the driver's default
    /// method, else the wallet, as the backend decides). A refused payment fails before the
    /// charger is asked.
    pub async fn start_session(&self, evse_id: String, payment: Payment) -> Result<SessionInfo> {
        let choice = payment.choice();
        self.run(|core| async move { core.start_paid_session(&evse_id, choice).await.map(|s| session_info(&core.snapshot(s))) }).await
    }

    /// Stops a session. With no network the stop is kept on the phone and the session comes
    /// back with `stop_pending`; it is delivered when the network returns, even after a restart.
    pub async fn stop_session(&self, session_id: String) -> Result<SessionInfo> {
        self.run(|core| async move { core.stop_session(&session_id).await.map(|s| session_info(&s)) }).await
    }

    /// One session (the receipt, once finished), from the backend or, offline, the cache.
    pub async fn session(&self, session_id: String) -> Result<SessionInfo> {
        self.run(|core| async move { core.session(&session_id).await.map(|s| session_info(&core.snapshot(s))) }).await
    }

    /// The session still going on, if any (after an app restart: show it and observe it
    /// again). From the cache, confirmed with the backend when it is reachable.
    pub async fn active_session(&self) -> Result<Option<SessionInfo>> {
        self.run(|core| async move { Ok(core.active_session().await?.map(|s| session_info(&core.snapshot(s)))) }).await
    }

    /// Follows a session live. The listener gets the current state at once, then every
    /// change, until the session is final or the handle is cancelled.
    pub fn observe_session(&self, session_id: String, listener: Arc<dyn SessionListener>) -> Arc<TaskHandle> {
        let task = self.core.observe(&session_id, None, move |snapshot| listener.on_update(session_info(&snapshot)));
        Arc::new(TaskHandle { task: Mutex::new(Some(task)) })
    }

    /// Like `observe_session`, for a live display: while charging, the listener also gets
    /// `frames_per_second` updates a second (at most 60) in which energy, time and cost move
    /// between the charger's meter samples. Energy never goes backwards, never runs ahead of
    /// the latest sample's trend and converges on each new sample within a second; the cost is
    /// the pricing engine's for the latest sample continued to the frame (the server's own
    /// figure at each new state, held where the core cannot follow it), so OCPI's step rule
    /// can make it go down. The final state is exactly the bill.
    pub fn observe_session_smooth(&self, session_id: String, frames_per_second: u32, listener: Arc<dyn SessionListener>) -> Arc<TaskHandle> {
        let frame = Duration::from_millis(1000 / u64::from(frames_per_second.clamp(1, 60)));
        let task = self.core.observe(&session_id, Some(frame), move |snapshot| listener.on_update(session_info(&snapshot)));
        Arc::new(TaskHandle { task: Mutex::new(Some(task)) })
    }

    /// How many `observe_session` subscriptions the core is running. Each one holds its
    /// listener; a cancelled (or finished) subscription no longer counts. For leak checks.
    pub fn active_observers(&self) -> u32 {
        u32::try_from(self.core.active_observers()).unwrap_or(u32::MAX)
    }

    /// Brings the offline history up to date with the backend and returns its first page.
    pub async fn sync_history(&self, limit: u32) -> Result<Vec<SessionInfo>> {
        self.run(move |core| async move { core.sync_history(limit as usize).await.map(|list| infos(&core, list)) }).await
    }

    /// History from the offline cache, newest first. Works with no network.
    pub fn history(&self, limit: u32, offset: u32) -> Result<Vec<SessionInfo>> {
        Ok(infos(&self.core, self.core.history(limit as usize, offset as usize)?))
    }

    /// A page of the cached history, newest first, of one charger and/or one month (on the
    /// wall clock of `time_zone`, an IANA id such as `Europe/Amsterdam`). Works with no network.
    pub fn history_filtered(&self, filter: HistoryQuery, limit: u32, offset: u32, time_zone: String) -> Result<Vec<SessionInfo>> {
        let filter = HistoryFilter {
            evse_id: filter.evse_id.as_deref().map(parse_evse_id).transpose()?,
            month: match (filter.year, filter.month) {
                (Some(year), Some(month)) if (1..=12).contains(&month) => Some((year, month)),
                (None, None) => None,
                _ => return Err(CoreError::InvalidInput("A month filter needs a year and a month from 1 to 12.".into()).into()),
            },
        };
        let sessions = self.core.history_filtered(&filter, limit as usize, offset as usize, &local_zone(&time_zone)?)?;
        Ok(infos(&self.core, sessions))
    }

    /// The newest `limit` cached sessions grouped by month on the wall clock of `time_zone`
    /// (the device's IANA id, e.g. `Europe/Amsterdam`: each date with its own offset, across
    /// daylight-saving changes). Works with no network.
    pub fn history_by_month(&self, limit: u32, time_zone: String) -> Result<Vec<HistoryMonth>> {
        let months = self.core.history_by_month(limit as usize, &local_zone(&time_zone)?)?;
        Ok(months.into_iter().map(|m| history_month(&self.core, m)).collect())
    }
}

fn infos(core: &Core, sessions: Vec<Session>) -> Vec<SessionInfo> {
    sessions.into_iter().map(|s| session_info(&core.snapshot(s))).collect()
}

fn history_month(core: &Core, month: Month) -> HistoryMonth {
    HistoryMonth {
        year: month.year,
        month: month.month,
        energy_wh: month.energy_wh,
        spent: month
            .spent
            .iter()
            .map(|(currency, amount)| MoneyTotal { currency: currency.to_string(), currency_digits: currency.minor_digits(), amount_minor: *amount })
            .collect(),
        sessions: infos(core, month.sessions),
    }
}

fn account(token: AuthToken) -> Account {
    Account { driver_id: token.driver_id.to_string(), email: token.email }
}

pub(crate) fn cost_kind(dimension: TariffDimension) -> CostKind {
    match dimension {
        TariffDimension::Energy => CostKind::Energy,
        TariffDimension::Time => CostKind::Time,
        TariffDimension::ParkingTime => CostKind::Parking,
        TariffDimension::Flat => CostKind::Flat,
    }
}

fn evse(info: EvseInfo) -> Evse {
    let prices = info
        .tariff
        .elements
        .iter()
        .flat_map(|e| &e.price_components)
        .map(|c| PriceLine { kind: cost_kind(c.dimension), unit_price: c.price.to_string(), vat_percent: c.vat.map(|v| v.to_string()) })
        .collect();
    Evse {
        evse_id: info.evse_id.to_string(),
        can_start: can_start(&info),
        charge_point_id: info.charge_point_id,
        connector_id: info.connector_id,
        online: info.online,
        currency: info.tariff.currency.to_string(),
        currency_digits: info.tariff.currency.minor_digits(),
        status: connector_status(&info.status),
        availability: ConnectorAvailability::from(info.status.availability(info.online)),
        prices,
    }
}

fn connector_status(status: &chargekit_model::ConnectorStatus) -> ConnectorStatus {
    use chargekit_model::ocpp::messages::ChargePointStatus as Ocpp;
    match status {
        chargekit_model::ConnectorStatus::Reported(reported) => match reported {
            Ocpp::Available => ConnectorStatus::Available,
            Ocpp::Preparing => ConnectorStatus::Preparing,
            Ocpp::Charging => ConnectorStatus::Charging,
            Ocpp::SuspendedEVSE => ConnectorStatus::SuspendedEvse,
            Ocpp::SuspendedEV => ConnectorStatus::SuspendedEv,
            Ocpp::Finishing => ConnectorStatus::Finishing,
            Ocpp::Reserved => ConnectorStatus::Reserved,
            Ocpp::Unavailable => ConnectorStatus::Unavailable,
            Ocpp::Faulted => ConnectorStatus::Faulted,
        },
        chargekit_model::ConnectorStatus::Unknown(_) => ConnectorStatus::Unknown,
    }
}


fn session_state(status: SessionStatus) -> SessionState {
    match status {
        SessionStatus::Starting => SessionState::Starting,
        SessionStatus::Charging => SessionState::Charging,
        SessionStatus::Stopping => SessionState::Stopping,
        SessionStatus::Completed => SessionState::Completed,
        SessionStatus::Failed => SessionState::Failed,
        SessionStatus::UnderReview => SessionState::UnderReview,
    }
}

fn cost_line(item: &CostItem) -> CostLine {
    CostLine {
        kind: cost_kind(item.dimension),
        billed_quantity: item.billed_quantity,
        unit_price: item.unit_price.to_string(),
        vat_percent: item.vat_percent.map(|v| v.to_string()),
        excl_vat_minor: item.excl_vat_minor,
        vat_minor: item.vat_minor,
    }
}

pub(crate) fn session_info(snapshot: &SessionSnapshot) -> SessionInfo {
    let session = &snapshot.session;
    SessionInfo {
        id: session.id.to_string(),
        evse_id: session.evse_id.to_string(),
        state: session_state(session.status),
        created_at: session.created_at.unix_timestamp(),
        started_at: session.started_at.map(|t| t.unix_timestamp()),
        stopped_at: session.stopped_at.map(|t| t.unix_timestamp()),
        energy_wh: session.energy_wh,
        power_w: session.power_w,
        duration_seconds: session.duration_seconds,
        currency: session.cost.currency.to_string(),
        currency_digits: session.cost.currency.minor_digits(),
        cost_minor: session.cost.total_incl_vat_minor,
        cost_excl_vat_minor: session.cost.total_excl_vat_minor,
        vat_minor: session.cost.total_vat_minor,
        cost_lines: session.cost.items.iter().map(cost_line).collect(),
        failure_reason: session.failure_reason.clone(),
        review_reason: session.review_reason.clone(),
        auth_method: auth_method(session.auth_method),
        stop_pending: snapshot.stop_pending,
        stop_in_flight: snapshot.stop_in_flight,
        is_final: snapshot.is_final(),
        version: session.version,
    }
}

pub(crate) fn auth_method(method: chargekit_model::AuthMethod) -> AuthMethod {
    match method {
        chargekit_model::AuthMethod::App => AuthMethod::App,
        chargekit_model::AuthMethod::Rfid => AuthMethod::Rfid,
        chargekit_model::AuthMethod::PlugAndCharge => AuthMethod::PlugAndCharge,
    }
}
