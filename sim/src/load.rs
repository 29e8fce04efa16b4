//! A load harness: many lightweight OCPP 1.6J charge points on one client, to measure how many
//! charger connections a central system holds and how fast it answers them.
//!
//! Each load charger opens its WebSocket through the simulator's own transport (same
//! handshake, same `ocpp1.6` subprotocol check, same CALL/answer matching), sends
//! BootNotification and one StatusNotification, and then only what an idle charger on a busy
//! network sends: MeterValues (energy register and power) every meter interval and Heartbeats
//! at the interval the server gave at boot. It keeps none of the full simulator's behaviour
//! (no transactions, no event stream), so one client process can hold tens of thousands.
//!
//! The chargers' phases are spread evenly across the interval, so the server sees a steady
//! rate of `connections / interval` MeterValues per second instead of bursts.
//!
//! ```no_run
//! # async fn demo() -> Result<(), chargekit_sim::SimError> {
//! use chargekit_sim::load::{LoadConfig, run_load};
//! let config = LoadConfig::new("ws://127.0.0.1:8180/ocpp", 1_000);
//! let report = run_load(config).await?;
//! println!("{report}");
//! # Ok(()) }
//! ```
//!
//! Modules: [`fleet`] (ramping up, holding and stopping the connections), `charger` (one
//! connection), [`stats`] (latency histograms and counters, the report), [`limits`] (the
//! open-file limit), [`process`] (the server under test as a child process, its memory and CPU
//! from `/proc`).

mod charger;
pub mod fleet;
pub mod limits;
pub mod process;
pub mod stats;

use std::time::Duration;

use crate::error::SimError;

pub use fleet::{LoadRun, run_load};
pub use limits::raise_open_file_limit;
pub use process::{ProcessError, ServerProcess};
pub use stats::{LatencySummary, LoadReport};

/// What load to put on the central system.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadConfig {
    /// The central system's OCPP endpoint, e.g. `ws://127.0.0.1:8180/ocpp`.
    pub server_url: String,
    /// How many charge points connect. Their ids are [`charge_point_id`]`(id_prefix, 1..=n)`.
    pub connections: usize,
    /// Prefix of the charge point ids (default `LOAD`).
    pub id_prefix: String,
    /// Connections being set up (handshake, boot, status) at the same time, at most
    /// (default 500). Bounds the ramp so the server's accept queue and the client's connects do
    /// not pile up.
    pub ramp_concurrency: usize,
    /// Time between two MeterValues of one charger (default 10 s).
    pub meter_interval: Duration,
    /// How long the steady state is measured after every connection is set up (default 60 s).
    pub hold: Duration,
    /// How long one CALL (and the WebSocket handshake) may wait for its answer (default 30 s).
    pub call_timeout: Duration,
}

impl LoadConfig {
    /// A configuration with the defaults documented on each field.
    pub fn new(server_url: impl Into<String>, connections: usize) -> Self {
        Self {
            server_url: server_url.into(),
            connections,
            id_prefix: "LOAD".to_owned(),
            ramp_concurrency: 500,
            meter_interval: Duration::from_secs(10),
            hold: Duration::from_secs(60),
            call_timeout: Duration::from_secs(30),
        }
    }

    /// The charge point ids this load uses, in order.
    pub fn charge_point_ids(&self) -> impl Iterator<Item = String> + '_ {
        (1..=self.connections).map(|n| charge_point_id(&self.id_prefix, n))
    }

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let invalid = |why: &str| Err(SimError::InvalidConfig(why.to_owned()));
        if self.connections == 0 {
            return invalid("the load needs at least one connection");
        }
        if self.ramp_concurrency == 0 {
            return invalid("the ramp needs at least one connection in flight");
        }
        if self.meter_interval.is_zero() || self.call_timeout.is_zero() {
            return invalid("the meter interval and the call timeout must be longer than zero");
        }
        // The ids become URL path segments; the simulator's own check covers the characters.
        crate::config::SimConfig::new(self.server_url.clone(), charge_point_id(&self.id_prefix, 1)).validate()
    }
}

/// The id of the `n`th load charger (from 1): `{prefix}-{n}`, zero-padded to five digits so the
/// ids sort in connection order.
pub fn charge_point_id(prefix: &str, n: usize) -> String {
    format!("{prefix}-{n:05}")
}

/// The EVSE ID seeded for the `n`th load charger's only connector: `DE*LOD*E{n}*1`.
pub fn evse_id(n: usize) -> String {
    format!("DE*LOD*E{n}*1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_in_connection_order() {
        let config = LoadConfig { connections: 12, ..LoadConfig::new("ws://h/ocpp", 1) };
        let ids: Vec<String> = config.charge_point_ids().collect();
        assert_eq!(ids.first().map(String::as_str), Some("LOAD-00001"));
        assert_eq!(ids.last().map(String::as_str), Some("LOAD-00012"));
        assert!(ids.is_sorted());
        assert_eq!(evse_id(7), "DE*LOD*E7*1");
    }

    #[test]
    fn rejects_unusable_loads() {
        let base = LoadConfig::new("ws://h/ocpp", 10);
        assert!(base.validate().is_ok());
        for broken in [
            LoadConfig { connections: 0, ..base.clone() },
            LoadConfig { ramp_concurrency: 0, ..base.clone() },
            LoadConfig { meter_interval: Duration::ZERO, ..base.clone() },
            LoadConfig { id_prefix: "a b".to_owned(), ..base.clone() },
        ] {
            assert!(matches!(broken.validate(), Err(SimError::InvalidConfig(_))), "{broken:?}");
        }
    }
}
