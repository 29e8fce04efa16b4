//! The ChargeKit driver app core, shared by the Android and iOS apps through UniFFI.
//!
//! - [`engine::Core`]: the logic in plain Rust (accounts, chargers, sessions, history);
//! - [`cache`]: the offline session cache, and [`outbox`]: stops waiting for network, both
//!   encrypted with a key from the platform's secure store ([`crypto`]) and kept in a
//!   [`store::Store`] (sled on phones);
//! - [`history`]: history grouped by month;
//! - [`live`]: live session feeds over Server-Sent Events, and their listeners;
//! - [`client`]: the driver API client;
//! - [`contract`]: Plug & Charge contract certificates, checked against the MO root;
//! - [`eichrecht`]: signed meter data (OCMF) checked against the meter's key, exported by
//!   [`ffi_eichrecht`];
//! - [`ffi`]: the exported facade, which converts and delegates, and [`ffi_identify`]: its
//!   functions for QR codes, NFC tags, RFID cards and contracts.

pub mod account;
pub mod cache;
pub mod client;
pub mod contract;
pub mod crypto;
pub mod eichrecht;
pub mod engine;
pub mod error;
pub mod ffi;
pub mod ffi_eichrecht;
pub mod ffi_identify;
pub mod history;
pub mod live;
pub mod outbox;
pub mod payments;
pub mod receipts;
pub mod secrets;
pub mod smooth;
pub mod store;
pub mod tokens;

pub use ffi::*;
pub use ffi_identify::*;
pub use secrets::{MemorySecureStore, SecureStore};

uniffi::setup_scaffolding!();

#[cfg(test)]
mod test_support {
    use chargekit_model::{Currency, Tariff};
    use rust_decimal::Decimal;

    pub fn tariff() -> Tariff {
        Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::new(39, 2), Decimal::new(120, 2), Some(Decimal::from(19)))
    }
}
