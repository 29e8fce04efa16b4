//! `chargekit-sim`: simulated OCPP 1.6J charge points, for tests and demos of the ChargeKit
//! server.
//!
//! A simulated charge point connects over WebSocket (subprotocol `ocpp1.6`), boots, reports its
//! connectors Available, and then does what a real one does when driven remotely: accepts
//! `RemoteStartTransaction`, starts a transaction, charges a car along a power curve while
//! sending `MeterValues`, and stops on `RemoteStopTransaction` or when the car is full.
//!
//! ```no_run
//! # async fn demo() -> Result<(), chargekit_sim::SimError> {
//! let mut config = chargekit_sim::SimConfig::new("ws://127.0.0.1:8180/ocpp", "CP-1");
//! config.meter_interval = std::time::Duration::from_secs(1);
//! let charge_point = chargekit_sim::connect(config).await?;
//! let mut events = charge_point.subscribe();
//! while let Ok(event) = events.recv().await {
//!     println!("{event:?}");
//! }
//! # Ok(()) }
//! ```
//!
//! Modules: [`config`] (what to simulate), [`curve`] (charging maths, pure), `connection`
//! (WebSocket and matching answers to CALLs), [`charge_point`] (behaviour and the handle),
//! [`events`] (what the handle reports), [`run`](mod@run) and [`args`] (the binary, reusable),
//! [`signing`] (signed meter values, OCMF, when [`SimConfig::signed_meter_values`] asks).
//! And [`load`] (the load harness behind `chargekit-load`: many lightweight chargers, latencies).

pub mod args;
pub mod charge_point;
pub mod config;
mod connection;
pub mod curve;
pub mod error;
pub mod events;
pub mod load;
pub mod run;
pub mod signing;

pub use args::SimArgs;
pub use charge_point::{ChargePoint, connect, connect_many};
pub use config::{Backoff, RemoteStartBehavior, SimConfig};
pub use curve::{CarProfile, ChargeStep, ChargingCar, CurveError, PowerCurve};
pub use error::SimError;
pub use events::{SimEvent, StopReason, TransactionRecord};
pub use run::run;
pub use signing::{MeterKey, MeterSigner};
