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
    /// Lifetime of a driver's bearer token.
    #[serde(with = "secs")]
    pub token_lifetime: Duration,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChargerSeed {
    pub charge_point_id: String,
    pub evses: Vec<EvseSeed>,
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
