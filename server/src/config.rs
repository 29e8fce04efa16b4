//! Server configuration: where to listen, where the database lives, which chargers and tariff
//! to seed. Read from a JSON file or built in code (the demo and the tests do that). A file's
//! unknown key is refused, naming it and the file: a misspelt `operator` must not start a
//! server with no operator. A file may carry `//` and `/* */` comments (docs/examples/server.json
//! is one that explains each key). Durations are named with their unit (`_secs`, `_ms`); the
//! names without one that earlier files used are still read.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chargekit_model::{Currency, EvseId, Tariff};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// The SQLite file; created with its schema if missing. Default: `chargekit.db` in the
    /// data directory ([`default_data_dir`]), where `chargekit report` looks too. A relative
    /// path in a config file is read from the file's directory.
    pub database: PathBuf,
    /// Chargers and their EVSEs, created or updated at start. A config file seeds only the
    /// chargers it lists (none if it lists none): the built-in default's unauthenticated
    /// CKSIM-0001 and CKSIM-0001-1 … CKSIM-0001-5 ([`local_simulator_chargers`]) are for
    /// `chargekit serve` without a file, so that `chargekit sim` and `chargekit sim --count N`
    /// (N up to [`LOCAL_SIM_FLEET`]) connect to it with their default ids.
    #[serde(default)]
    pub chargers: Vec<ChargerSeed>,
    /// Where the sites are (a charger's `site` names one): the fleet board draws them on a map.
    /// A site without an entry here is still a site; it is just not on the map.
    pub sites: Vec<SiteConfig>,
    /// The tariff every seeded EVSE is priced with.
    pub tariff: Tariff,
    /// Heartbeat interval told to chargers at boot, in seconds.
    pub heartbeat_interval_secs: u32,
    /// How long to wait for a charger's answer to a command (`charger_call_timeout_secs`).
    #[serde(rename = "charger_call_timeout_secs", alias = "charger_call_timeout", with = "secs")]
    pub charger_call_timeout: Duration,
    /// How long a charger may take from accepting a remote start to StartTransaction
    /// (`start_timeout_secs`).
    #[serde(rename = "start_timeout_secs", alias = "start_timeout", with = "secs")]
    pub start_timeout: Duration,
    /// Lifetime of a driver's sign-in: how long a refresh token stays usable (each refresh
    /// issues a new one with a new lifetime) (`token_lifetime_secs`).
    #[serde(rename = "token_lifetime_secs", alias = "token_lifetime", with = "secs")]
    pub token_lifetime: Duration,
    /// Lifetime of an access token; the app refreshes it without the driver noticing
    /// (`access_token_lifetime_secs`).
    #[serde(rename = "access_token_lifetime_secs", alias = "access_token_lifetime", with = "secs")]
    pub access_token_lifetime: Duration,
    /// Registrations accepted from one client address in `registration_window_secs`; past
    /// that, `POST /v1/auth/register` answers 429 with `Retry-After`. Each registration costs
    /// an Argon2 hash: a flood of them must not take the server's memory and cores.
    pub registrations_per_address: usize,
    /// The window of `registrations_per_address` (`registration_window_secs`).
    #[serde(rename = "registration_window_secs", with = "secs")]
    pub registration_window: Duration,
    /// Back-office accounts: they see the operator reports and send chargers commands.
    pub operators: Vec<OperatorSeed>,
    /// The receipt signing key (Ed25519, PKCS#8 DER). Without one, the server generates a key
    /// at first start and keeps it in its database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_signing_key: Option<PathBuf>,
    /// A bearer token for Prometheus to scrape `/metrics` with (operators' tokens work too;
    /// without either, `/metrics` answers 401).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_token: Option<String>,
    /// A second listener for chargers on OCPP security profile 2 (TLS), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocpp_tls: Option<TlsListenerConfig>,
    /// Pay per session: the hold, the wallet's top-ups, the card provider.
    pub payments: PaymentsConfig,
    /// Limits beyond which a charger's readings cannot be right; see [`PlausibilityConfig`].
    pub plausibility: PlausibilityConfig,
    /// Push to the drivers' phones (FCM, APNs); see `crate::push` and the README.
    pub push: crate::push::PushConfig,
    /// How long a client has to send a request's head (the request line and headers), from
    /// connecting (the TLS handshake included) or from the first byte of its next request on a
    /// kept-alive connection; then the connection is closed without an answer
    /// (`header_read_timeout_secs`, default 10).
    #[serde(rename = "header_read_timeout_secs", with = "secs")]
    pub header_read_timeout: Duration,
    /// How long a connection with no request in flight stays open (`idle_timeout_secs`,
    /// default 60). A request is in flight until its response is sent: a live SSE stream is
    /// never idle, and a charger's WebSocket is not HTTP any more once upgraded.
    #[serde(rename = "idle_timeout_secs", with = "secs")]
    pub idle_timeout: Duration,
    /// Open HTTP connections allowed on each listener (default 4096). One more is answered
    /// `503` (`rate_limited`, `Retry-After: 1`) and closed; on the TLS listener it is closed
    /// at once. A charger's connection gives its slot back once upgraded to a WebSocket.
    pub max_connections: usize,
    /// The most live streams (`GET /v1/sessions/{id}/live`) one driver may have open at once;
    /// past it, a new one is answered 429 with `Retry-After`.
    pub max_live_streams_per_driver: usize,
    /// The most live streams the server keeps open at once, all drivers together.
    pub max_live_streams: usize,
    /// Alert rules' thresholds and the webhooks alerts go to ([`crate::AlertsConfig`]).
    pub alerts: crate::AlertsConfig,
    /// How long the OCPP message log keeps frames ([`crate::OcppLogConfig`]).
    pub ocpp_log: crate::OcppLogConfig,
}

/// What a charger may report before its session is held for the operator's review instead of
/// billed. A reading past these limits is kept for the record but never priced; the session
/// ends `under_review`, and its payment stays held until an operator bills or voids it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlausibilityConfig {
    /// How far ahead of the server's clock a charger's timestamp may be (clocks drift).
    pub max_clock_ahead_secs: u64,
    /// How old a charger's timestamp may be: a charger back from being offline replays its
    /// transactions with their old timestamps, up to this age.
    pub max_reading_age_secs: u64,
    /// The longest a session may last, from the charger's start to its stop.
    pub max_session_secs: u64,
    /// An EVSE's maximum power when its seed does not give one (`max_power_w`). Energy beyond
    /// this power over the time between two readings (plus a minute's grace for meter and
    /// clock rounding) cannot have been delivered.
    pub default_max_power_w: i64,
}

impl Default for PlausibilityConfig {
    fn default() -> Self {
        Self {
            max_clock_ahead_secs: 10 * 60,
            max_reading_age_secs: 60 * 24 * 3600,
            max_session_secs: 7 * 24 * 3600,
            default_max_power_w: 400_000,
        }
    }
}

/// Pay per session. A paid session holds `hold_minor` before the charger is asked to start,
/// captures the final cost at the end and releases the rest; the server stops charging when
/// the running cost reaches the hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaymentsConfig {
    /// The amount held for a session, in minor units of the EVSE tariff's currency
    /// (5000 = 50.00 EUR).
    pub hold_minor: i64,
    /// Top-ups without a card put test money in the wallet. For demos and tests only: a
    /// production server leaves this off, and top-ups are paid by a registered card.
    pub free_top_ups: bool,
    /// The largest single top-up, in minor units of its currency.
    pub max_top_up_minor: i64,
    /// Attempts at a card capture or void before the payment is marked failed for the
    /// operator; each retry reuses the same idempotency key.
    pub capture_attempts: u32,
    /// Delay before the first retry; it doubles with each one (`capture_retry_delay_ms`).
    #[serde(rename = "capture_retry_delay_ms", alias = "capture_retry_delay", with = "millis")]
    pub capture_retry_delay: Duration,
    /// The card provider (Stripe's PaymentIntents API). Absent: card payments are refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub card: Option<CardProviderConfig>,
    /// Whether a session may start with no payment at all (a free or invoiced site). Off by
    /// default: a start from the app without a payment choice and without a default method is
    /// paid from the wallet (refused with 402 when it holds too little), and a start by card or
    /// Plug & Charge is charged to the driver's default method (else the wallet) the same way.
    pub unpaid_charging: bool,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        Self {
            hold_minor: 5000,
            free_top_ups: false,
            max_top_up_minor: 50_000,
            capture_attempts: 6,
            capture_retry_delay: Duration::from_secs(2),
            card: None,
            unpaid_charging: false,
        }
    }
}

/// Where the card provider's API is and the key to call it with.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardProviderConfig {
    /// `https://api.stripe.com`, or a local server speaking the same wire format in tests.
    pub api_base: String,
    /// The secret key (`sk_live_...` / `sk_test_...`); the config file is the operator's to protect.
    pub secret_key: String,
    /// How long one request to the provider may take (`timeout_secs`).
    #[serde(rename = "timeout_secs", alias = "timeout", default = "default_provider_timeout", with = "secs")]
    pub timeout: Duration,
}

fn default_provider_timeout() -> Duration {
    Duration::from_secs(20)
}

/// The secret key stays out of logs.
impl std::fmt::Debug for CardProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardProviderConfig").field("api_base", &self.api_base).field("timeout", &self.timeout).finish_non_exhaustive()
    }
}

/// An operator account. The password is hashed (Argon2id) into the database at start; the
/// config file is the operator's to protect.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSeed {
    pub username: String,
    pub password: String,
}

/// A site's place, in WGS 84 degrees.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub name: String,
    /// −90 to 90 (north positive).
    pub latitude: f64,
    /// −180 to 180 (east positive).
    pub longitude: f64,
}

impl SiteConfig {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("a site needs a name (the `site` its chargers give)".into());
        }
        if !(-90.0..=90.0).contains(&self.latitude) || !(-180.0..=180.0).contains(&self.longitude) {
            return Err(format!(
                "site {}: latitude must be -90 to 90 and longitude -180 to 180 (degrees, WGS 84), not {} and {}",
                self.name, self.latitude, self.longitude
            ));
        }
        Ok(())
    }
}

/// Where chargers on security profile 2 connect (`wss://`), and the server's certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsListenerConfig {
    pub bind: SocketAddr,
    /// PEM: the server certificate, then its chain.
    pub certificate: PathBuf,
    /// PEM: the certificate's private key (PKCS#8, SEC1 or PKCS#1).
    pub private_key: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "ChargerSeedInFile")]
pub struct ChargerSeed {
    pub charge_point_id: String,
    pub evses: Vec<EvseSeed>,
    /// How the charger proves who it is (OCPP 1.6 security whitepaper). A config file must
    /// choose it for every charger; profile 0 — no authentication — is for labs and demos only.
    pub security_profile: SecurityProfile,
    /// The charger's `AuthorizationKey` (its HTTP Basic password) for profiles 1 and 2:
    /// 16 to 40 characters. Stored hashed; the config file is the operator's to protect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The public key of the charger's meter (DER SubjectPublicKeyInfo, hex), from its label or
    /// its maker: signed meter values (Eichrecht) on receipts are verified with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meter_public_key: Option<String>,
    /// Where the charger stands (a site name): operator reports group by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

/// A charger as a config file gives it: the same fields, but the security profile has no
/// default there. A charger without credentials is a choice written down, never an omission.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChargerSeedInFile {
    charge_point_id: String,
    evses: Vec<EvseSeed>,
    security_profile: Option<SecurityProfile>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    meter_public_key: Option<String>,
    #[serde(default)]
    site: Option<String>,
}

impl TryFrom<ChargerSeedInFile> for ChargerSeed {
    type Error = String;
    fn try_from(seed: ChargerSeedInFile) -> Result<Self, String> {
        let ChargerSeedInFile { charge_point_id, evses, security_profile, password, meter_public_key, site } = seed;
        let Some(security_profile) = security_profile else {
            return Err(format!(
                "charger {charge_point_id}: choose its security_profile: 0, 1 or 2 (0: no authentication, anyone who \
                 knows the id can be this charger, for a local simulator or a lab only; 1: HTTP Basic with its \
                 password; 2: TLS and HTTP Basic)"
            ));
        };
        Ok(Self { charge_point_id, evses, security_profile, password, meter_public_key, site })
    }
}

/// OCPP 1.6 security profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum SecurityProfile {
    /// No authentication (plain `ws://`): anyone who knows the charge point id can connect as
    /// the charger and receive its drivers' remote starts. For a local simulator or a lab.
    Unsecured,
    /// HTTP Basic authentication over plain `ws://`.
    BasicAuth,
    /// HTTP Basic authentication over TLS (`wss://`).
    TlsWithBasicAuth,
}

impl TryFrom<u8> for SecurityProfile {
    type Error = String;
    fn try_from(value: u8) -> Result<Self, String> {
        match value {
            0 => Ok(Self::Unsecured),
            1 => Ok(Self::BasicAuth),
            2 => Ok(Self::TlsWithBasicAuth),
            other => Err(format!("security profile {other} is not supported (0, 1 or 2)")),
        }
    }
}

impl From<SecurityProfile> for u8 {
    fn from(profile: SecurityProfile) -> u8 {
        match profile {
            SecurityProfile::Unsecured => 0,
            SecurityProfile::BasicAuth => 1,
            SecurityProfile::TlsWithBasicAuth => 2,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvseSeed {
    pub connector_id: u32,
    pub evse_id: EvseId,
    /// The most the EVSE can deliver, in W (else `plausibility.default_max_power_w`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_power_w: Option<i64>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8180)),
            database: default_data_dir().join(DATABASE_FILE),
            chargers: local_simulator_chargers(),
            sites: Vec::new(),
            tariff: default_tariff(),
            heartbeat_interval_secs: 300,
            charger_call_timeout: Duration::from_secs(15),
            start_timeout: Duration::from_secs(60),
            token_lifetime: Duration::from_secs(30 * 24 * 3600),
            access_token_lifetime: Duration::from_secs(15 * 60),
            registrations_per_address: 20,
            registration_window: Duration::from_secs(3600),
            operators: Vec::new(),
            receipt_signing_key: None,
            metrics_token: None,
            ocpp_tls: None,
            payments: PaymentsConfig::default(),
            plausibility: PlausibilityConfig::default(),
            push: crate::push::PushConfig::default(),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 4096,
            max_live_streams_per_driver: 8,
            max_live_streams: 2048,
            alerts: crate::AlertsConfig::default(),
            ocpp_log: crate::OcppLogConfig::default(),
        }
    }
}

impl ServerConfig {
    /// The chargers on profile 0, which anyone who knows their id can connect as.
    pub fn unauthenticated_chargers(&self) -> Vec<&str> {
        let unsecured = self.chargers.iter().filter(|c| c.security_profile == SecurityProfile::Unsecured);
        unsecured.map(|c| c.charge_point_id.as_str()).collect()
    }

    /// Reads a config file (JSON with comments). A relative `database` path is taken from the
    /// file's directory, not from wherever the server happens to be started.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut config: Self = serde_json::from_reader(json_comments::StripComments::new(text.as_bytes()))
            .map_err(|e| format!("{} is not a valid server config: {e}", path.display()))?;
        if config.database.is_relative() {
            let dir = path.parent().unwrap_or(Path::new(""));
            config.database = dir.join(&config.database);
        }
        Ok(config)
    }
}

impl ChargerSeed {
    /// A charger with one connector, on security profile 0 (no authentication): for the tests,
    /// the demo and the local `chargekit sim`. Use [`ChargerSeed::secured`] for a real one.
    pub fn single(charge_point_id: &str, evse_id: &str) -> Self {
        Self {
            charge_point_id: charge_point_id.to_owned(),
            evses: vec![EvseSeed { connector_id: 1, evse_id: EvseId::parse(evse_id).expect("valid seed EVSE ID"), max_power_w: None }],
            security_profile: SecurityProfile::Unsecured,
            password: None,
            meter_public_key: None,
            site: None,
        }
    }

    /// The same charger on a security profile, with its password.
    pub fn secured(mut self, profile: SecurityProfile, password: &str) -> Self {
        self.security_profile = profile;
        self.password = Some(password.to_owned());
        self
    }

    /// Refuses a seed that could not be checked at connection time.
    pub fn validate(&self) -> Result<(), String> {
        let id = &self.charge_point_id;
        if id.is_empty() || id.len() > 48 || id.contains(['/', ':']) || id.chars().any(char::is_control) {
            return Err(format!("charge point id {id:?} must be 1 to 48 printable characters without '/' or ':'"));
        }
        match (self.security_profile, &self.password) {
            (SecurityProfile::Unsecured, _) => Ok(()),
            (_, None) => Err(format!("charger {id}: security profiles 1 and 2 need a password")),
            (_, Some(p)) if !(16..=40).contains(&p.chars().count()) => {
                Err(format!("charger {id}: the password (AuthorizationKey) must be 16 to 40 characters"))
            }
            _ => Ok(()),
        }
    }
}

/// The database's file name in the data directory.
pub const DATABASE_FILE: &str = "chargekit.db";

/// Where the server keeps its database unless told otherwise: `$XDG_DATA_HOME/chargekit`, else
/// `~/.local/share/chargekit` (the XDG base directory default), else `chargekit-data` here.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir).join("chargekit");
    }
    match std::env::var_os("HOME").filter(|home| !home.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/chargekit"),
        None => PathBuf::from("chargekit-data"),
    }
}

/// How many of `chargekit sim --count N`'s ids the default server knows: a small fleet, since
/// each is a profile-0 charger that anyone reaching the (loopback) server can connect as.
pub const LOCAL_SIM_FLEET: usize = 5;

/// The chargers of the default server: CKSIM-0001 (EVSE `DE*CKT*E0001*1`), the id of
/// `chargekit sim`, and CKSIM-0001-1 … CKSIM-0001-5 (EVSEs `DE*CKT*E1001*1` …), the ids of
/// `chargekit sim --count N`; all on profile 0 with one connector.
pub fn local_simulator_chargers() -> Vec<ChargerSeed> {
    let fleet = (1..=LOCAL_SIM_FLEET).map(|n| ChargerSeed::single(&format!("CKSIM-0001-{n}"), &format!("DE*CKT*E{:04}*1", 1000 + n)));
    std::iter::once(ChargerSeed::single("CKSIM-0001", "DE*CKT*E0001*1")).chain(fleet).collect()
}

/// 0.39 EUR per kWh and 1.20 EUR per hour, excluding 19 % VAT.
pub fn default_tariff() -> Tariff {
    Tariff::per_kwh_and_hour(
        "default",
        Currency::EUR,
        Decimal::new(39, 2),
        Decimal::new(120, 2),
        Some(Decimal::from(19)),
    )
}

/// Durations as milliseconds in the config file.
pub(crate) mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

/// Durations as whole seconds in the config file.
pub(crate) mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}
