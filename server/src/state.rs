//! What the handlers share, split by who it serves: the chargers' side (their connections and
//! what their readings may be), the API clients' side (the limits on anonymous clients, the
//! drivers' live streams and the states pushed to them), and the money (live pricing,
//! receipts, payments).
//! The database, the configuration and the shutdown signal are everyone's.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ServerConfig;
use crate::live::LiveHub;
use crate::ocpp::registry::ChargerRegistry;
use crate::sessions::Sessions;
use crate::store::Store;
use crate::{billing, heartbeats, live_streams, payments, plausibility, rate_limit, receipts};

/// Everything the handlers share.
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) config: ServerConfig,
    /// Cancelled at shutdown: long-lived streams (SSE, charger sockets) end on it.
    pub(crate) shutdown: CancellationToken,
    pub(crate) chargers: ChargerSide,
    pub(crate) clients: ClientSide,
    pub(crate) money: MoneySide,
    /// Wakes the alert engine and the webhook deliveries.
    pub(crate) alerts: crate::alerts::Alerts,
}

/// The chargers: who is connected, when each last spoke, what their readings may be.
pub(crate) struct ChargerSide {
    /// The connected chargers, to send them commands.
    pub(crate) registry: ChargerRegistry,
    /// When each charger last spoke (heartbeat gaps).
    pub(crate) heartbeats: heartbeats::Heartbeats,
    /// The charger connections being served: a shutdown waits for them to end.
    pub(crate) connections: TaskTracker,
    /// Each EVSE's maximum power, for the plausibility of its readings.
    pub(crate) max_power: plausibility::MaxPower,
}

/// The API's clients (driver apps, the operators' dashboard): what bounds the work anonymous
/// clients cause, and the live states pushed to signed-in apps.
pub(crate) struct ClientSide {
    /// Sign-in attempts, registrations and password hashing: what bounds the work anonymous
    /// clients can make the account endpoints do.
    pub(crate) accounts: rate_limit::AccountLimits,
    /// The open live streams by sign-in: capped, and ended with their sign-in.
    pub(crate) live_streams: live_streams::LiveStreams,
    /// Each running session's latest state, for its live streams.
    pub(crate) live: LiveHub,
}

/// Money: live pricing of running sessions, signed receipts, pay per session.
pub(crate) struct MoneySide {
    /// Live pricing of running sessions from their meter samples.
    pub(crate) billing: billing::Billing,
    pub(crate) receipts: receipts::ReceiptSigner,
    /// Pay per session: the card provider and the payments being settled.
    pub(crate) payments: payments::PaymentsRuntime,
}

impl AppState {
    /// The state of a server about to serve, from its opened database and the parts loaded
    /// from it.
    pub(crate) fn new(store: Store, receipts: receipts::ReceiptSigner, payments: payments::PaymentsRuntime, config: ServerConfig) -> Self {
        let chargers = ChargerSide {
            registry: ChargerRegistry::default(),
            heartbeats: heartbeats::Heartbeats::default(),
            connections: TaskTracker::new(),
            max_power: plausibility::MaxPower::of_config(&config),
        };
        let clients = ClientSide {
            accounts: rate_limit::AccountLimits::new(&config),
            live_streams: live_streams::LiveStreams::new(config.max_live_streams_per_driver, config.max_live_streams),
            live: LiveHub::default(),
        };
        let money = MoneySide { billing: billing::Billing::default(), receipts, payments };
        Self { store, config, shutdown: CancellationToken::new(), chargers, clients, money, alerts: crate::alerts::Alerts::default() }
    }

    pub(crate) fn sessions(self: &Arc<Self>) -> Sessions<'_> {
        Sessions::new(self)
    }

    pub(crate) fn payments(self: &Arc<Self>) -> payments::Payments<'_> {
        payments::Payments::new(self)
    }
}
