//! Server configuration: where to listen, where the database lives, which chargers and tariff
//! to seed. Read from a JSON file or built in code (the demo and the tests do that).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chargekit_model::{Currency, EvseId, Tariff};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    /// The SQLite file; created with its schema if missing.
    pub database: PathBuf,
    /// Chargers and their EVSEs, created or updated at start.
    pub chargers: Vec<ChargerSeed>,
    /// The tariff every seeded EVSE is priced with.
    pub tariff: Tariff,
    /// Heartbeat interval told to chargers at boot, in seconds.
    pub heartbeat_interval_secs: u32,
    /// How long to wait for a charger's answer to a command.
    #[serde(with = "secs")]
    pub charger_call_timeout: Duration,
    /// How long a charger may take from accepting a remote start to StartTransaction.
    #[serde(with = "secs")]
    pub start_timeout: Duration,
    /// Lifetime of a driver's sign-in: how long a refresh token stays usable (each refresh
    /// issues a new one with a new lifetime).
    #[serde(with = "secs")]
    pub token_lifetime: Duration,
    /// Lifetime of an access token; the app refreshes it without the driver noticing.
    #[serde(with = "secs")]
    pub access_token_lifetime: Duration,
    /// Back-office accounts: they see the operator reports and send chargers commands.
    pub operators: Vec<OperatorSeed>,
    /// A second listener for chargers on OCPP security profile 2 (TLS), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocpp_tls: Option<TlsListenerConfig>,
}

/// An operator account. The password is hashed (Argon2id) into the database at start; the
/// config file is the operator's to protect.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OperatorSeed {
    pub username: String,
    pub password: String,
}

/// Where chargers on security profile 2 connect (`wss://`), and the server's certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsListenerConfig {
    pub bind: SocketAddr,
    /// PEM: the server certificate, then its chain.
    pub certificate: PathBuf,
    /// PEM: the certificate's private key (PKCS#8, SEC1 or PKCS#1).
    pub private_key: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChargerSeed {
    pub charge_point_id: String,
    pub evses: Vec<EvseSeed>,
    /// How the charger proves who it is (OCPP 1.6 security whitepaper). Profile 0 — no
    /// authentication — is for labs and demos only.
    #[serde(default)]
    pub security_profile: SecurityProfile,
    /// The charger's `AuthorizationKey` (its HTTP Basic password) for profiles 1 and 2:
    /// 16 to 40 characters. Stored hashed; the config file is the operator's to protect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// OCPP 1.6 security profiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum SecurityProfile {
    /// No authentication (plain `ws://`).
    #[default]
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
pub struct EvseSeed {
    pub connector_id: u32,
    pub evse_id: EvseId,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8180)),
            database: PathBuf::from("chargekit.db"),
            chargers: vec![ChargerSeed::single("CKSIM-0001", "DE*CKT*E0001*1")],
            tariff: default_tariff(),
            heartbeat_interval_secs: 300,
            charger_call_timeout: Duration::from_secs(15),
            start_timeout: Duration::from_secs(60),
            token_lifetime: Duration::from_secs(30 * 24 * 3600),
            access_token_lifetime: Duration::from_secs(15 * 60),
            operators: Vec::new(),
            ocpp_tls: None,
        }
    }
}

impl ServerConfig {
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{} is not a valid server config: {e}", path.display()))
    }
}

impl ChargerSeed {
    /// A charger with one connector.
    pub fn single(charge_point_id: &str, evse_id: &str) -> Self {
        Self {
            charge_point_id: charge_point_id.to_owned(),
            evses: vec![EvseSeed { connector_id: 1, evse_id: EvseId::parse(evse_id).expect("valid seed EVSE ID") }],
            security_profile: SecurityProfile::Unsecured,
            password: None,
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
        if id.is_empty() || id.len() > 48 || id.contains(['/', ':']) {
            return Err(format!("charge point id \"{id}\" must be 1 to 48 characters without '/' or ':'"));
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

/// Durations as whole seconds in the config file.
mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}
