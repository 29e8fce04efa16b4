//! The fleet board as the operator API sends it. A session shows its numbers and how the
//! driver was identified, never who: no token, no email, no driver id.

use std::collections::BTreeMap;

use chargekit_model::{Availability, AuthMethod, Session, SessionStatus};
use serde::Serialize;
use time::OffsetDateTime;

/// The whole board: the snapshot the dashboard draws first, and the first event of the stream.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FleetSnapshot {
    /// The last batch of changes this snapshot includes; the stream's batches after it have
    /// higher versions.
    pub version: u64,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub generated_at: OffsetDateTime,
    pub counts: FleetCounts,
    /// Sites with coordinates, from the configuration (`sites`).
    pub sites: Vec<FleetSite>,
    /// Today's revenue (UTC day) per site and currency, sessions in progress included; chargers
    /// without a site are under a null site.
    pub revenue_today: Vec<SiteRevenue>,
    /// By charge point id.
    pub chargers: Vec<FleetCharger>,
}

/// Chargers by state: `online` + `offline` is every charger; `charging` and `faulted` are
/// online chargers with a connector charging or faulted (a fault counts first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FleetCounts {
    pub chargers: usize,
    pub online: usize,
    pub offline: usize,
    pub charging: usize,
    pub faulted: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FleetSite {
    pub name: String,
    /// Degrees north (WGS 84).
    pub latitude: f64,
    /// Degrees east (WGS 84).
    pub longitude: f64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FleetCharger {
    pub charger_id: String,
    pub site: Option<String>,
    /// Holds an OCPP connection to this server now.
    pub connected: bool,
    /// Since when it is connected (or, when not, since when it is not); none if never seen.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub connection_since: Option<OffsetDateTime>,
    /// From its last BootNotification.
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    /// Its last Heartbeat (server clock).
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_heartbeat_at: Option<OffsetDateTime>,
    /// `offline` unless connected; else its most pressing connector's: `faulted`, `charging`,
    /// `occupied`, `available`, `unavailable`, or `unknown` before any report.
    pub state: Availability,
    /// Connector 0 (the charger itself) is listed once it reported a status.
    pub connectors: Vec<FleetConnector>,
    /// Today's revenue of this charger per currency.
    pub revenue_today: Vec<RevenueToday>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FleetConnector {
    pub connector_id: u32,
    pub evse_id: Option<String>,
    /// The last OCPP status the charger reported (`Unknown` before any).
    pub status: String,
    /// The OCPP error code of that report; none for `NoError`.
    pub error_code: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub status_since: Option<OffsetDateTime>,
    pub availability: Availability,
    /// The session going on, if any.
    pub session: Option<FleetSession>,
}

/// A session going on, as the board shows it: no token, no email.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FleetSession {
    pub session_id: String,
    pub status: SessionStatus,
    pub auth_method: AuthMethod,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When the charger started the transaction (its clock); the page counts elapsed time from it.
    #[schema(value_type = Option<String>, format = DateTime)]
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    pub energy_wh: i64,
    pub power_w: i64,
    /// Time priced so far (charging and parked), to the last meter value.
    pub duration_seconds: i64,
    pub currency: String,
    /// The running cost, including VAT, from the live pricing the driver sees.
    pub cost_incl_vat_minor: i64,
    /// The session's version (bumped on every stored change).
    pub version: i64,
}

/// One currency's revenue today: completed sessions and the running cost of those going on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RevenueToday {
    pub currency: String,
    pub completed_sessions: i64,
    /// Billed incl. VAT by the sessions completed today (UTC).
    pub completed_minor: i64,
    pub in_progress_sessions: i64,
    /// The running cost incl. VAT of the sessions going on now.
    pub in_progress_minor: i64,
    pub total_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SiteRevenue {
    pub site: Option<String>,
    #[serde(flatten)]
    pub revenue: RevenueToday,
}

impl FleetSnapshot {
    pub fn of(version: u64, sites: Vec<FleetSite>, chargers: Vec<FleetCharger>) -> Self {
        let mut counts = FleetCounts { chargers: chargers.len(), ..FleetCounts::default() };
        let mut by_site: BTreeMap<(Option<String>, String), RevenueToday> = BTreeMap::new();
        for charger in &chargers {
            match charger.state {
                Availability::Offline => counts.offline += 1,
                state => {
                    counts.online += 1;
                    counts.charging += usize::from(state == Availability::Charging);
                    counts.faulted += usize::from(state == Availability::Faulted);
                }
            }
            for revenue in &charger.revenue_today {
                let key = (charger.site.clone(), revenue.currency.clone());
                by_site.entry(key).or_insert_with(|| RevenueToday::new(&revenue.currency)).add(revenue);
            }
        }
        let revenue_today = by_site.into_iter().map(|((site, _), revenue)| SiteRevenue { site, revenue: revenue.totalled() }).collect();
        Self { version, generated_at: OffsetDateTime::now_utc(), counts, sites, revenue_today, chargers }
    }
}

impl FleetCharger {
    pub fn new(charger_id: &str) -> Self {
        Self {
            charger_id: charger_id.to_owned(),
            site: None,
            connected: false,
            connection_since: None,
            vendor: None,
            model: None,
            firmware_version: None,
            last_heartbeat_at: None,
            state: Availability::Offline,
            connectors: Vec::new(),
            revenue_today: Vec::new(),
        }
    }
}

impl FleetConnector {
    pub fn new(connector_id: u32) -> Self {
        Self {
            connector_id,
            evse_id: None,
            status: chargekit_model::connector::UNKNOWN_STATUS.to_owned(),
            error_code: None,
            status_since: None,
            availability: Availability::Unknown,
            session: None,
        }
    }
}

impl FleetSession {
    pub fn of(session: &Session) -> Self {
        Self {
            session_id: session.id.to_string(),
            status: session.status,
            auth_method: session.auth_method,
            created_at: session.created_at,
            started_at: session.started_at,
            energy_wh: session.energy_wh,
            power_w: session.power_w,
            duration_seconds: session.duration_seconds,
            currency: session.cost.currency.code().to_owned(),
            cost_incl_vat_minor: session.cost.total_incl_vat_minor,
            version: session.version,
        }
    }
}

impl RevenueToday {
    pub fn new(currency: &str) -> Self {
        Self { currency: currency.to_owned(), ..Self::default() }
    }

    fn add(&mut self, other: &RevenueToday) {
        self.completed_sessions += other.completed_sessions;
        self.completed_minor = self.completed_minor.saturating_add(other.completed_minor);
        self.in_progress_sessions += other.in_progress_sessions;
        self.in_progress_minor = self.in_progress_minor.saturating_add(other.in_progress_minor);
    }

    pub fn totalled(mut self) -> Self {
        self.total_minor = self.completed_minor.saturating_add(self.in_progress_minor);
        self
    }
}
