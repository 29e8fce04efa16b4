//! The operator's fleet board: every charger and connector as it is now, kept in memory from
//! the chargers' messages, and pushed to the dashboard as it changes.
//!
//! Built for fleets of 10,000 chargers, where a message that cost work proportional to the
//! fleet (or to the number of dashboards open) would be the bottleneck:
//! - a charger's message costs one lock, one map update and one set insert ([`FleetBoard`]'s
//!   `on_*` methods), whatever the fleet's size; it never waits for a dashboard;
//! - changes are coalesced per charger: the publisher ([`publisher`]) sends at most one batch
//!   per [`publisher::COALESCE`], each changed charger once and whole (a delta of the board,
//!   not of the charger: a charger is small, and whole it needs no merge rules);
//! - a batch is serialized once, for every subscriber, and handed to a `broadcast` channel:
//!   its ring of [`CHANGES_KEPT`] batches is each subscriber's bounded buffer. A subscriber
//!   that falls further behind is dropped (its stream ends with `too_slow`, the page opens a
//!   new one and starts from a fresh snapshot), never waited on.
//!
//! Today's revenue (item 3 of the operator's live views) is on the board too: per charger and
//! currency, what completed sessions billed today (UTC, the revenue report's daily sums) plus
//! the running cost of the sessions going on, from the same live pricing the driver sees.

pub mod publisher;
mod view;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chargekit_model::{Availability, ConnectorStatus, Session};
use time::{Date, OffsetDateTime};
use tokio::sync::{Notify, broadcast};

use crate::config::SiteConfig;
use crate::store::{RevenueTodayRow, Store, StoreError};
pub use view::{FleetCharger, FleetConnector, FleetCounts, FleetSession, FleetSite, FleetSnapshot, RevenueToday, SiteRevenue};

/// Batches of changes kept for subscribers: at one batch per [`publisher::COALESCE`] at most,
/// a subscriber may fall this far behind (25 s at 100 ms) before it is dropped.
pub const CHANGES_KEPT: usize = 256;

/// One published batch: the chargers that changed, serialized once for every subscriber.
pub struct Changes {
    pub version: u64,
    /// `{"version":…,"chargers":[…]}`.
    pub json: String,
}

pub struct FleetBoard {
    board: Mutex<Board>,
    changed: Notify,
    changes: broadcast::Sender<Arc<Changes>>,
}

impl Default for FleetBoard {
    fn default() -> Self {
        Self { board: Mutex::default(), changed: Notify::new(), changes: broadcast::Sender::new(CHANGES_KEPT) }
    }
}

#[derive(Default)]
struct Board {
    chargers: HashMap<String, Entry>,
    /// Which charger and connector an EVSE ID (compact form) is: sessions name their EVSE only.
    by_evse: HashMap<String, (String, u32)>,
    sites: Vec<FleetSite>,
    /// Chargers changed since the last batch.
    dirty: HashSet<String>,
    /// Chargers whose session ended: their completed revenue is read again before the batch.
    revenue_stale: HashSet<String>,
    version: u64,
    /// The UTC day `completed` is of.
    day: Option<Date>,
}

struct Entry {
    view: FleetCharger,
    /// Today's completed sessions by currency: (sessions, billed incl. VAT in minor units).
    completed: BTreeMap<String, (i64, i64)>,
}

impl FleetBoard {
    /// Fills the board from the database (at start, before any charger can connect).
    pub async fn load(&self, store: &Store, sites: &[SiteConfig]) -> Result<(), StoreError> {
        let today = OffsetDateTime::now_utc().date();
        let chargers = store.fleet_chargers().await?;
        let connections = store.last_connection_events().await?;
        let connectors = store.fleet_connectors().await?;
        let mut sessions = Vec::new();
        for status in chargekit_model::SessionStatus::ALL.into_iter().filter(|s| !s.is_final()) {
            sessions.extend(store.sessions_in_status(status).await?);
        }
        let revenue = store.revenue_of_day(&crate::reports::day_key(today), None).await?;

        let mut board = self.lock();
        board.sites = sites.iter().map(|s| FleetSite { name: s.name.clone(), latitude: s.latitude, longitude: s.longitude }).collect();
        board.day = Some(today);
        for row in chargers {
            let entry = board.entry(&row.id);
            entry.view.site = row.site;
            entry.view.vendor = row.vendor;
            entry.view.model = row.model;
            entry.view.firmware_version = row.firmware_version;
            entry.view.last_heartbeat_at = row.last_seen_at;
        }
        // The last connection events (the alert rules' read): at start no charger is connected
        // (connections left open were closed), so this is since when.
        for (charger_id, _, at) in connections {
            board.entry(&charger_id).view.connection_since = Some(at);
        }
        for row in connectors {
            let Ok(connector_id) = u32::try_from(row.connector_id) else { continue };
            if let Some(evse_id) = &row.evse_id
                && let Ok(evse) = chargekit_model::EvseId::parse(evse_id)
            {
                board.by_evse.insert(evse.compact(), (row.charger_id.clone(), connector_id));
            }
            let connector = board.entry(&row.charger_id).connector(connector_id);
            connector.evse_id = row.evse_id;
            connector.status = ConnectorStatus::parse(&row.status).name().to_owned();
            connector.error_code = row.error_code;
            connector.status_since = row.since;
        }
        for row in sessions {
            let Ok(connector_id) = u32::try_from(row.connector_id) else { continue };
            board.entry(&row.charger_id).connector(connector_id).session = Some(FleetSession::of(&crate::sessions::view(&row)));
        }
        board.set_completed_all(revenue);
        for entry in board.chargers.values_mut() {
            entry.refresh();
        }
        Ok(())
    }

    /// A charger connected or went away (in the order the registry changed).
    pub fn on_connection(&self, charger_id: &str, connected: bool, at: OffsetDateTime) {
        self.change(charger_id, |entry| {
            entry.view.connected = connected;
            entry.view.connection_since = Some(at);
        });
    }

    pub fn on_boot(&self, charger_id: &str, vendor: &str, model: &str, firmware_version: Option<&str>) {
        self.change(charger_id, |entry| {
            entry.view.vendor = Some(vendor.to_owned());
            entry.view.model = Some(model.to_owned());
            entry.view.firmware_version = firmware_version.map(str::to_owned);
        });
    }

    pub fn on_heartbeat(&self, charger_id: &str, at: OffsetDateTime) {
        self.change(charger_id, |entry| entry.view.last_heartbeat_at = Some(at));
    }

    /// A StatusNotification, once stored.
    pub fn on_status(&self, charger_id: &str, connector_id: u32, status: &ConnectorStatus, error_code: &str, at: OffsetDateTime) {
        self.change(charger_id, |entry| {
            let connector = entry.connector(connector_id);
            connector.status = status.name().to_owned();
            // OCPP's "no error" is shown as none.
            connector.error_code = (error_code != "NoError").then(|| error_code.to_owned());
            connector.status_since = Some(at);
        });
    }

    /// A session's stored change (the live hub's): the connector's session, its running cost.
    /// A final state takes the session off its connector; its bill is then read into today's
    /// completed revenue before the next batch.
    pub fn on_session(&self, session: &Session) {
        let mut board = self.lock();
        let Some((charger_id, connector_id)) = board.by_evse.get(&session.evse_id.compact()).cloned() else { return };
        let entry = board.entry(&charger_id);
        let connector = entry.connector(connector_id);
        let same = connector.session.as_ref().is_some_and(|s| s.session_id == session.id.to_string());
        if session.status.is_final() {
            if !same {
                return;
            }
            connector.session = None;
            board.revenue_stale.insert(charger_id.clone());
        } else {
            if same && connector.session.as_ref().is_some_and(|s| s.version >= session.version) {
                return; // an older state read by a slower writer
            }
            connector.session = Some(FleetSession::of(session));
        }
        board.touch(&charger_id);
        drop(board);
        self.changed.notify_one();
    }

    /// The whole board now.
    pub fn snapshot(&self) -> FleetSnapshot {
        self.lock().snapshot()
    }

    /// The board now and the batches after it, taken together so that none falls between.
    pub fn subscribe(&self) -> (FleetSnapshot, broadcast::Receiver<Arc<Changes>>) {
        let board = self.lock();
        let receiver = self.changes.subscribe();
        (board.snapshot(), receiver)
    }

    fn change(&self, charger_id: &str, apply: impl FnOnce(&mut Entry)) {
        let mut board = self.lock();
        apply(board.entry(charger_id));
        board.touch(charger_id);
        drop(board);
        self.changed.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Board> {
        // A poisoned lock only means a panic mid-update; the board is still usable.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Chargers whose session ended since the last batch.
    fn take_revenue_stale(&self) -> Vec<String> {
        self.lock().revenue_stale.drain().collect()
    }

    /// Today's completed revenue of one charger, read again after a session ended.
    fn set_completed(&self, charger_id: &str, rows: Vec<RevenueTodayRow>) {
        let mut board = self.lock();
        let entry = board.entry(charger_id);
        entry.completed = rows.into_iter().map(|r| (r.currency, (r.sessions, r.incl_vat_minor))).collect();
        entry.refresh();
        board.touch(charger_id);
    }

    /// The UTC day the completed revenue is of.
    fn day(&self) -> Option<Date> {
        self.lock().day
    }

    /// A new UTC day: today's revenue starts again from what the database has (nothing
    /// completed yet, or sessions that ended since midnight); every charger is sent again.
    fn start_day(&self, day: Date, rows: Vec<RevenueTodayRow>) {
        let mut board = self.lock();
        board.day = Some(day);
        board.set_completed_all(rows);
        let ids: Vec<String> = board.chargers.keys().cloned().collect();
        for id in ids {
            board.touch(&id);
        }
    }

    /// The chargers changed since the last batch, as one batch (none if nothing changed).
    fn take_changes(&self) -> Option<(u64, Vec<FleetCharger>)> {
        let mut board = self.lock();
        if board.dirty.is_empty() {
            return None;
        }
        board.version += 1;
        let dirty: Vec<String> = board.dirty.drain().collect();
        let chargers = dirty.iter().filter_map(|id| board.chargers.get(id)).map(|e| e.view.clone()).collect();
        Some((board.version, chargers))
    }
}

impl Board {
    fn entry(&mut self, charger_id: &str) -> &mut Entry {
        self.chargers.entry(charger_id.to_owned()).or_insert_with(|| Entry::new(charger_id))
    }

    /// Marks a charger changed and recomputes what is derived from it.
    fn touch(&mut self, charger_id: &str) {
        if let Some(entry) = self.chargers.get_mut(charger_id) {
            entry.refresh();
        }
        if !self.dirty.contains(charger_id) {
            self.dirty.insert(charger_id.to_owned());
        }
    }

    fn set_completed_all(&mut self, rows: Vec<RevenueTodayRow>) {
        for entry in self.chargers.values_mut() {
            entry.completed.clear();
        }
        for row in rows {
            let entry = self.entry(&row.charger_id);
            entry.completed.insert(row.currency, (row.sessions, row.incl_vat_minor));
        }
        for entry in self.chargers.values_mut() {
            entry.refresh();
        }
    }

    fn snapshot(&self) -> FleetSnapshot {
        let mut chargers: Vec<FleetCharger> = self.chargers.values().map(|e| e.view.clone()).collect();
        chargers.sort_by(|a, b| a.charger_id.cmp(&b.charger_id));
        FleetSnapshot::of(self.version, self.sites.clone(), chargers)
    }
}

impl Entry {
    fn new(charger_id: &str) -> Self {
        Self { view: FleetCharger::new(charger_id), completed: BTreeMap::new() }
    }

    fn connector(&mut self, connector_id: u32) -> &mut FleetConnector {
        let connectors = &mut self.view.connectors;
        let at = match connectors.binary_search_by_key(&connector_id, |c| c.connector_id) {
            Ok(at) => at,
            Err(at) => {
                connectors.insert(at, FleetConnector::new(connector_id));
                at
            }
        };
        &mut connectors[at]
    }

    /// What is derived: each connector's class, the charger's state, today's revenue.
    fn refresh(&mut self) {
        let online = self.view.connected;
        for connector in &mut self.view.connectors {
            connector.availability = ConnectorStatus::parse(&connector.status).availability(online);
        }
        self.view.state = charger_state(online, self.view.connectors.iter().map(|c| c.availability));
        let mut revenue: BTreeMap<String, RevenueToday> = BTreeMap::new();
        for (currency, (sessions, minor)) in &self.completed {
            let today = revenue.entry(currency.clone()).or_insert_with(|| RevenueToday::new(currency));
            today.completed_sessions = *sessions;
            today.completed_minor = *minor;
        }
        for session in self.view.connectors.iter().filter_map(|c| c.session.as_ref()) {
            let today = revenue.entry(session.currency.clone()).or_insert_with(|| RevenueToday::new(&session.currency));
            today.in_progress_sessions += 1;
            today.in_progress_minor = today.in_progress_minor.saturating_add(session.cost_incl_vat_minor);
        }
        self.view.revenue_today = revenue.into_values().map(RevenueToday::totalled).collect();
    }
}

/// A charger's one state on the board: offline unless connected; else its most pressing
/// connector's class (a fault first, then a session, then a connector taken, free, out of
/// service); unknown if no connector reported.
pub fn charger_state(online: bool, connectors: impl Iterator<Item = Availability>) -> Availability {
    if !online {
        return Availability::Offline;
    }
    const ORDER: [Availability; 5] =
        [Availability::Faulted, Availability::Charging, Availability::Occupied, Availability::Available, Availability::Unavailable];
    let present: HashSet<Availability> = connectors.collect();
    ORDER.into_iter().find(|a| present.contains(a)).unwrap_or(Availability::Unknown)
}

/// Fills the board from the database and starts its publisher: before the server serves, so
/// that no charger's message comes before the board it changes.
pub async fn start(state: &Arc<crate::AppState>) -> Result<(), crate::StartError> {
    let sites = &state.config.sites;
    for (i, site) in sites.iter().enumerate() {
        site.validate().map_err(crate::StartError::Config)?;
        if sites[..i].iter().any(|s| s.name == site.name) {
            return Err(crate::StartError::Config(format!("site {} is listed twice in `sites`", site.name)));
        }
    }
    let board = state.clients.live.fleet.clone();
    board.load(&state.store, sites).await?;
    publisher::spawn(board, state.store.clone(), state.shutdown.clone());
    Ok(())
}

#[cfg(test)]
mod tests;
