//! OCPP 1.6J: the RPC frames and the typed messages ChargeKit uses.
//!
//! Payload types ignore fields they do not know (vendors add their own) and keep OCPP's own
//! names through `camelCase`. What a charger sends is bounded as the schemas bound it
//! ([`constraints`]) before it is decoded. The messages the server sends are checked against the official
//! OCPP 1.6 JSON schemas by the Python peer tests under `tests/python/`.

pub mod commands;
pub mod constraints;
pub mod frame;
pub mod messages;

pub use frame::{ErrorCode, Frame, FrameError};

/// The WebSocket subprotocol of OCPP 1.6J.
pub const SUBPROTOCOL: &str = "ocpp1.6";
