//! The driver app's logic in plain Rust: accounts, chargers, sessions, history. The FFI layer
//! ([`crate::ffi`]) only converts and delegates to this.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chargekit_model::api::{AuthToken, Credentials, EvseInfo};
use chargekit_model::{EvseId, LocalZone, Session};
use tokio::runtime::Handle;

use crate::cache::SessionCache;
use crate::driver_events::DriverEventLog;
use crate::store::{SledStore, Store};
use crate::history::{HistoryFilter, Month, by_month};
use crate::outbox::{Outbox, PendingStop};
use crate::account::Account;
use crate::client::ApiClient;
use crate::crypto::CacheKey;
use crate::error::CoreError;
use crate::live::LiveFeeds;
use crate::secrets::SecureStore;

/// Sessions fetched per request when syncing history.
const SYNC_PAGE: u32 = 100;
/// How many of the newest cached sessions are searched for one still going on: a driver
/// charges one car at a time, so the active session is among the newest.
const ACTIVE_SCAN: usize = 20;
/// Retry delays of queued stops: doubling from the first to the last, each with jitter.
const RETRY_FIRST: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// A session as the app shows it: the backend's state plus what the phone knows on top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSnapshot {
    pub session: Session,
    /// The driver tapped stop, and the stop has not reached the backend yet.
    pub stop_pending: bool,
    /// A stop request for it is being sent now (a second tap must not send another).
    pub stop_in_flight: bool,
}

impl SessionSnapshot {
    /// Nothing will change any more.
    pub fn is_final(&self) -> bool {
        self.session.status.is_final()
    }
}

pub struct Core {
    pub(crate) client: ApiClient,
    pub(crate) cache: SessionCache,
    pub(crate) outbox: Outbox,
    /// What the driver is told about their sessions, each once.
    pub(crate) events: Arc<DriverEventLog>,
    pub(crate) live: LiveFeeds,
    /// Whether a task is delivering queued stops.
    delivering: AtomicBool,
    /// Sessions whose stop the driver tapped and whose answer has not come back yet.
    stops_in_flight: Mutex<HashSet<String>>,
    pub(crate) runtime: Handle,
    pub(crate) account: Account,
}

impl Core {
    /// Opens the core on a backend URL and a data directory (created if missing), keeping its
    /// data in sled there. A token saved by an earlier run is picked up, so the driver stays
    /// signed in.
    pub fn open(backend_url: &str, data_dir: &Path, secure_store: Arc<dyn SecureStore>, runtime: Handle) -> Result<Self, CoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| CoreError::Storage(format!("cannot create {}: {e}", data_dir.display())))?;
        Self::open_with_store(backend_url, Arc::new(SledStore::open(data_dir)?), secure_store, runtime)
    }

    /// Opens the core on any [`Store`].
    pub fn open_with_store(backend_url: &str, store: Arc<dyn Store>, secure_store: Arc<dyn SecureStore>, runtime: Handle) -> Result<Self, CoreError> {
        // Both read the secure store: when it cannot answer now (a locked phone), opening fails
        // with nothing touched, and works once it answers again.
        let (key, new_key) = CacheKey::from_store(secure_store.as_ref())?;
        let account = Account::load(secure_store)?;
        let key = Arc::new(key);
        let cache = SessionCache::new(store.clone(), key.clone());
        let outbox = Outbox::new(store.clone(), key.clone());
        let events = Arc::new(DriverEventLog::new(store, key));
        if new_key {
            // Whatever is on disk was sealed with a key that is gone (a reinstall, a wiped
            // keystore): it cannot be read, so start empty; the backend still has the history.
            cache.clear()?;
            outbox.clear()?;
            events.clear()?;
        }
        Ok(Self {
            client: ApiClient::new(backend_url)?,
            cache,
            outbox,
            events,
            live: LiveFeeds::default(),
            delivering: AtomicBool::new(false),
            stops_in_flight: Mutex::default(),
            runtime,
            account,
        })
    }

    pub async fn sign_up(&self, email: &str, password: &str) -> Result<AuthToken, CoreError> {
        let token = self.client.register(&credentials(email, password)).await?;
        self.account.remember(&token);
        Ok(token)
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Result<AuthToken, CoreError> {
        let token = self.client.sign_in(&credentials(email, password)).await?;
        self.account.remember(&token);
        Ok(token)
    }

    /// Signs out and forgets the driver's history and queued stops on this phone: the next
    /// driver to sign in here must not see them (the backend keeps them). The backend is told
    /// too, in the background, so the tokens stop working there; offline, they simply expire.
    /// If the secure store cannot delete the tokens now, nothing happens and the error says so.
    pub fn sign_out(&self) -> Result<(), CoreError> {
        let signed_in = self.account.current();
        self.account.sign_out()?;
        if let Some(token) = signed_in {
            let client = self.client.clone();
            self.runtime.spawn(async move {
                if let Err(e) = client.sign_out(&token.token, &token.refresh_token).await {
                    tracing::debug!(error = %e, "the backend did not hear of the sign-out");
                }
            });
        }
        self.cache.clear()?;
        self.events.clear()?;
        self.outbox.clear()
    }

    pub fn account(&self) -> Option<AuthToken> {
        self.account.current()
    }

    pub(crate) fn bearer(&self) -> Result<String, CoreError> {
        self.account.bearer()
    }

    /// Runs an authenticated request, refreshing the access token once if it expired.
    pub(crate) async fn authed<T, F, Fut>(&self, call: F) -> Result<T, CoreError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, CoreError>>,
    {
        self.account.authed(&self.client, call).await
    }

    pub async fn evse(&self, evse_id: &str) -> Result<EvseInfo, CoreError> {
        let evse_id = parse_evse_id(evse_id)?;
        self.authed(|token| {
            let evse_id = evse_id.clone();
            async move { self.client.evse(&token, &evse_id).await }
        })
        .await
    }

    /// Starts charging. The idempotency key makes a retried request (after a dropped answer)
    /// return the same session instead of starting a second one.
    pub async fn start_session(&self, evse_id: &str) -> Result<Session, CoreError> {
        self.start_session_paying(parse_evse_id(evse_id)?, None).await
    }

    /// Starts charging, paying with `payment` (absent: the driver's default).
    pub(crate) async fn start_session_paying(&self, evse_id: EvseId, payment: Option<chargekit_model::api::PaymentChoice>) -> Result<Session, CoreError> {
        let key = uuid::Uuid::new_v4().to_string();
        let session = self
            .authed(|token| {
                let (evse_id, key, payment) = (evse_id.clone(), key.clone(), payment.clone());
                async move { self.client.start_session(&token, &evse_id, payment.as_ref(), &key).await }
            })
            .await?;
        self.remember_session(&session)?;
        Ok(session)
    }

    /// Stops a session. The stop is stored before anything is sent: with no network it is
    /// answered at once as pending (from the cache) and delivered when the network returns.
    ///
    /// A second stop while one is being sent (a double tap) sends nothing: it answers with what
    /// the phone knows, and the live screen offers no stop meanwhile (`stop_in_flight`).
    pub async fn stop_session(self: &Arc<Self>, session_id: &str) -> Result<SessionSnapshot, CoreError> {
        self.bearer()?;
        let Some(_in_flight) = StopInFlight::begin(self, session_id) else {
            let cached = self.cache.get(session_id)?.ok_or_else(|| CoreError::api(chargekit_model::api::ApiErrorCode::Conflict, "A stop is already on its way."))?;
            return Ok(self.snapshot(cached));
        };
        let stop = self.outbox.queue_stop(session_id)?;
        match self.send_stop(&stop).await {
            Ok(session) => Ok(self.snapshot(session)),
            Err(CoreError::Network(message)) => {
                self.deliver_pending_stops();
                let cached = self.cache.get(session_id)?.ok_or(CoreError::Network(message))?;
                Ok(self.snapshot(cached))
            }
            Err(other) => Err(other),
        }
    }

    /// Sends one queued stop. Any answer from the backend ends it; only a network failure
    /// leaves it queued.
    async fn send_stop(&self, stop: &PendingStop) -> Result<Session, CoreError> {
        let outcome = self
            .authed(|token| async move { self.client.stop_session(&token, &stop.session_id, &stop.idempotency_key).await })
            .await;
        let was_pending = self.outbox.is_stop_pending(&stop.session_id);
        match outcome {
            Err(CoreError::Network(_)) => self.outbox.attempt_failed(&stop.session_id)?,
            _ => self.outbox.done(&stop.session_id)?,
        }
        // Observers get the stop's answer (stopping) rather than the last live state again
        // without the pending flag; when they already have something newer, a nudge suffices.
        let published = match &outcome {
            Ok(session) => {
                if was_pending {
                    self.told(self.events.stop_delivered(session));
                }
                self.remember_session(session)?
            }
            Err(_) => false,
        };
        if !published && was_pending != self.outbox.is_stop_pending(&stop.session_id) {
            self.touch(&stop.session_id);
        }
        outcome
    }

    /// Caches a session the backend just answered with and shows it to its observers if it is
    /// newer than what they have. Returns whether observers got it.
    fn remember_session(&self, session: &Session) -> Result<bool, CoreError> {
        self.cache.put(session)?;
        self.session_changed(session);
        Ok(self.publish(session))
    }

    /// A newer state of a session reached the cache: the driver is told what it implies.
    pub(crate) fn session_changed(&self, session: &Session) {
        self.told(self.events.observe(session, time::OffsetDateTime::now_utc()));
    }

    /// Events are news, never a reason to fail what brought them: a failed write is logged.
    fn told(&self, recorded: Result<Vec<chargekit_model::driver_events::DriverEvent>, CoreError>) {
        if let Err(e) = recorded {
            tracing::warn!(error = %e, "cannot record a driver event");
        }
    }

    /// Delivers queued stops in the background until none is left (one task at a time).
    pub fn deliver_pending_stops(self: &Arc<Self>) {
        if self.delivering.swap(true, Ordering::SeqCst) {
            return;
        }
        let core = self.clone();
        self.runtime.spawn(async move {
            let mut delay = RETRY_FIRST;
            loop {
                let pending = core.outbox.pending_stops().unwrap_or_default();
                if core.bearer().is_err() || pending.is_empty() {
                    break;
                }
                let mut offline = false;
                for stop in &pending {
                    match core.send_stop(stop).await {
                        Err(CoreError::Network(_)) => offline = true,
                        Err(e) => tracing::warn!(error = %e, session = %stop.session_id, "a queued stop was refused"),
                        Ok(_) => {}
                    }
                }
                if offline {
                    tokio::time::sleep(with_jitter(delay)).await;
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
            core.delivering.store(false, Ordering::SeqCst);
            // A stop queued while this task was finishing would otherwise wait for the next one.
            if !core.outbox.pending_stops().unwrap_or_default().is_empty() && core.bearer().is_ok() {
                core.deliver_pending_stops();
            }
        });
    }

    pub(crate) fn snapshot(&self, session: Session) -> SessionSnapshot {
        // A finished session has nothing left to stop, even while its stop's answer is on the way.
        let id = session.id.to_string();
        let stop_pending = !session.status.is_final() && self.outbox.is_stop_pending(&id);
        let stop_in_flight = !session.status.is_final() && self.stops_in_flight.lock().expect("stops lock").contains(&id);
        SessionSnapshot { session, stop_pending, stop_in_flight }
    }

    /// The session from the backend (and cached), or from the cache when offline.
    pub async fn session(&self, session_id: &str) -> Result<Session, CoreError> {
        match self.authed(|token| async move { self.client.session(&token, session_id).await }).await {
            Ok(session) => {
                self.remember_session(&session)?;
                Ok(session)
            }
            Err(CoreError::Network(message)) => self.cache.get(session_id)?.ok_or(CoreError::Network(message)),
            Err(other) => Err(other),
        }
    }

    /// The session still going on, if any: after an app restart, this is what to show and
    /// observe again. Read from the cache, then checked with the backend when it can be
    /// reached (the session may have ended while the app was closed).
    /// A session a card or the car started at the charger reaches the phone through the sync,
    /// so the backend is asked for what changed first; offline, the cache says what it knows.
    pub async fn active_session(&self) -> Result<Option<Session>, CoreError> {
        match self.sync_changes().await {
            Ok(()) | Err(CoreError::Network(_)) => {}
            Err(CoreError::NotSignedIn) => return Ok(None),
            Err(other) => return Err(other),
        }
        let cached = self.cache.newest(ACTIVE_SCAN, 0)?.into_iter().find(|s| !s.status.is_final());
        let Some(candidate) = cached else { return Ok(None) };
        let current = self.session(&candidate.id.to_string()).await?;
        Ok((!current.status.is_final()).then_some(current))
    }

    /// Brings the cache up to date with the backend — only what changed since the last sync,
    /// by cursor — then returns the first page of history from the cache.
    pub async fn sync_history(&self, limit: usize) -> Result<Vec<Session>, CoreError> {
        self.sync_changes().await?;
        self.history(limit, 0)
    }

    /// Stores what changed on the backend since the last sync, page by page.
    async fn sync_changes(&self) -> Result<(), CoreError> {
        let account = self.account().ok_or(CoreError::NotSignedIn)?;
        let driver = account.driver_id.to_string();
        let mut cursor = self.cache.sync_cursor(&driver)?;
        loop {
            let page = self.authed(|token| async move { self.client.changes(&token, cursor, SYNC_PAGE).await }).await?;
            // One write and one flush per page; observers of a changed session get it.
            for session in self.cache.put_many(&page.sessions)? {
                self.session_changed(session);
                self.publish(session);
            }
            // Only after the sessions are stored: a sync cut short resumes where it stopped.
            cursor = page.cursor;
            self.cache.set_sync_cursor(&driver, cursor)?;
            if !page.more {
                return Ok(());
            }
        }
    }

    /// History from the cache only: works with no network.
    pub fn history(&self, limit: usize, offset: usize) -> Result<Vec<Session>, CoreError> {
        self.cache.newest(limit, offset)
    }

    /// The newest `limit` cached sessions grouped by month in the driver's time zone.
    pub fn history_by_month(&self, limit: usize, zone: &LocalZone) -> Result<Vec<Month>, CoreError> {
        Ok(by_month(self.cache.newest(limit, 0)?, zone))
    }

    /// A page of the cached history (newest first) that `filter` lets through; offline too.
    pub fn history_filtered(&self, filter: &HistoryFilter, limit: usize, offset: usize, zone: &LocalZone) -> Result<Vec<Session>, CoreError> {
        let mut page = Vec::with_capacity(limit.min(256));
        for session in self.cache.iter_newest() {
            let session = session?;
            if filter.matches(&session, zone) {
                page.push(session);
            }
            if page.len() == offset + limit {
                break;
            }
        }
        Ok(page.split_off(offset.min(page.len())))
    }
}

/// The driver's time zone from its IANA id (the device's, e.g. `Europe/Amsterdam`).
pub fn local_zone(id: &str) -> Result<LocalZone, CoreError> {
    LocalZone::parse(id).map_err(|e| CoreError::InvalidInput(format!("{e}: give an IANA id such as Europe/Amsterdam.")))
}

/// Marks a session's stop as being sent while it lives; observers see it come and go.
struct StopInFlight<'a> {
    core: &'a Core,
    session_id: String,
}

impl<'a> StopInFlight<'a> {
    /// `None` when a stop for the session is already being sent.
    fn begin(core: &'a Core, session_id: &str) -> Option<Self> {
        if !core.stops_in_flight.lock().expect("stops lock").insert(session_id.to_owned()) {
            return None;
        }
        core.touch(session_id);
        Some(Self { core, session_id: session_id.to_owned() })
    }
}

impl Drop for StopInFlight<'_> {
    fn drop(&mut self) {
        self.core.stops_in_flight.lock().expect("stops lock").remove(&self.session_id);
        self.core.touch(&self.session_id);
    }
}

/// Whether a driver can start a session at this EVSE now: the charger is connected and the
/// connector is free or not known to be busy ([`chargekit_model::Availability::can_start`]).
pub fn can_start(evse: &EvseInfo) -> bool {
    evse.status.availability(evse.online).can_start()
}

fn with_jitter(delay: Duration) -> Duration {
    let random = (uuid::Uuid::new_v4().as_u128() % 1000) as u32; // 0..1000
    delay / 2 + delay * random / 1000
}

/// Reads what a QR code, an NFC tag or the driver's typing gave into an EVSE ID.
pub fn parse_evse_id(input: &str) -> Result<EvseId, CoreError> {
    EvseId::parse(input).map_err(|e| CoreError::InvalidInput(e.to_string()))
}

fn credentials(email: &str, password: &str) -> Credentials {
    Credentials { email: email.to_owned(), password: password.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charger_codes_read_as_evse_ids_with_the_driver_s_sentence() {
        assert_eq!(parse_evse_id("deabce123456").unwrap().to_string(), "DE*ABC*E123456");
        let refused = parse_evse_id("").unwrap_err().to_string();
        assert!(refused.contains("No EVSE ID"), "{refused}");
    }

    #[test]
    fn can_start_only_online_and_free() {
        let evse = |status: &str, online: bool| EvseInfo {
            evse_id: EvseId::parse("DE*CKT*E1").unwrap(),
            charge_point_id: "CP".into(),
            connector_id: 1,
            status: chargekit_model::ConnectorStatus::parse(status),
            online,
            tariff: crate::test_support::tariff(),
        };
        for free in ["Available", "Preparing", "Unknown", "SomethingNew"] {
            assert!(can_start(&evse(free, true)), "{free}");
            assert!(!can_start(&evse(free, false)), "{free} offline");
        }
        for busy in ["Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Reserved", "Unavailable", "Faulted"] {
            assert!(!can_start(&evse(busy, true)), "{busy}");
        }
    }

    #[test]
    fn jitter_stays_within_half_to_one_and_a_half() {
        for _ in 0..1000 {
            let d = with_jitter(Duration::from_millis(1000));
            assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(1500), "{d:?}");
        }
    }
}
