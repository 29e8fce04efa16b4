//! The ChargeKit driver app core, shared by the Android and iOS apps through UniFFI.
//!
//! - [`engine::Core`]: the logic in plain Rust (accounts, chargers, sessions, history);
//! - [`cache`]: the offline session cache, and [`outbox`]: stops waiting for network, both
//!   encrypted with a key from the platform's secure store ([`crypto`]) and kept in a
//!   [`store::Store`] (sled on phones);
//! - [`driver_events`]: what the driver is told about their sessions, each event once;
//! - [`history`]: history grouped by month;
//! - [`live`]: live session feeds over Server-Sent Events, and their listeners; [`frames`]:
//!   the smoothed live display, its energy from [`smooth`] and its cost from [`live_cost`];
//! - [`client`]: the driver API client;
//! - [`contract`]: Plug & Charge contract certificates, checked against the MO root;
//! - [`eichrecht`]: signed meter data (OCMF) checked against the meter's key, exported by
//!   [`ffi::eichrecht`];
//! - [`screens`]: every screen's state, decided here once for both apps (the shells draw it);
//! - [`ffi`]: the exported facade, which converts and delegates, and [`ffi::identify`]: its
//!   functions for QR codes, NFC tags, RFID cards and contracts.
//!
//! Modules only the core uses are `pub(crate)`. Still `pub`, because tests, benches and
//! test binaries in other crates use them directly: `engine`, `cache`, `store`, `crypto`,
//! `outbox` (crash safety, memory, cold open), `receipts`, `contract`, `eichrecht` (their
//! integration tests and benches), `error` (in `engine`'s signatures) and `ffi`/`secrets`
//! (what the apps see, re-exported at the root).

pub(crate) mod account;
pub mod cache;
pub(crate) mod client;
pub mod contract;
pub mod crypto;
pub mod driver_events;
pub mod eichrecht;
pub mod engine;
pub mod error;
pub mod ffi;
pub(crate) mod frames;
pub(crate) mod history;
pub(crate) mod live;
pub(crate) mod live_cost;
pub mod outbox;
pub(crate) mod payments;
pub mod receipts;
pub(crate) mod screens;
pub mod secrets;
pub(crate) mod smooth;
pub mod store;
pub(crate) mod tokens;

pub use ffi::*;
pub use secrets::{MemorySecureStore, SecureStore, SecureStoreError};

uniffi::setup_scaffolding!();

#[cfg(test)]
mod test_support {
    use chargekit_model::{Currency, EvseId, LiveSession, MeterSample, Session, SessionStatus, Tariff, price_session};
    use rust_decimal::Decimal;
    use time::OffsetDateTime;

    pub fn tariff() -> Tariff {
        Tariff::per_kwh_and_hour("t", Currency::EUR, Decimal::new(39, 2), Decimal::new(120, 2), Some(Decimal::from(19)))
    }

    /// What the server publishes for a session metered by `samples` (the first is the start
    /// reading, the others MeterValues), as `server/src/billing.rs` and `sessions::view` make
    /// it: one charging state per sample with the live cost of `LiveSession` fed every sample so
    /// far, then the completed state at `stop`, priced as the bill (the stop reading appended).
    pub fn server_states(tariff: &Tariff, samples: &[MeterSample], stop: OffsetDateTime) -> Vec<Session> {
        let start = samples[0];
        let mut live = LiveSession::start(tariff, start).expect("tariff prices");
        let state = |live: &LiveSession, sample: &MeterSample, version: i64| Session {
            id: uuid::Uuid::from_u128(7),
            evse_id: EvseId::parse("DE*CKT*E0001*1").unwrap(),
            status: SessionStatus::Charging,
            created_at: start.at,
            started_at: Some(start.at),
            stopped_at: None,
            energy_wh: sample.energy_wh - start.energy_wh,
            power_w: if sample.charging { sample.power_w.unwrap_or(0).max(0) } else { 0 },
            duration_seconds: (sample.at - start.at).whole_seconds(),
            parking_seconds: live.usage().parking_seconds,
            cost: live.cost(),
            tariff: tariff.clone(),
            failure_reason: None,
            review_reason: None,
            auth_method: Default::default(),
            version,
        };
        let mut states = vec![state(&live, &start, 1)];
        for (k, sample) in samples.iter().enumerate().skip(1) {
            live.push(*sample).expect("samples in order");
            states.push(state(&live, sample, k as i64 + 1));
        }
        let last = *samples.last().unwrap();
        let mut billed = samples.to_vec();
        billed.push(MeterSample::charging(stop, last.energy_wh));
        let mut done = state(&live, &last, samples.len() as i64 + 1);
        done.status = SessionStatus::Completed;
        done.stopped_at = Some(stop);
        done.duration_seconds = (stop - start.at).whole_seconds();
        done.power_w = 0;
        let bill = price_session(tariff, &billed).expect("bill");
        done.parking_seconds = bill.total_parking_time_seconds;
        done.cost = bill.cost;
        states.push(done);
        states
    }
}
