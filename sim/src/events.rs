//! What a charge point tells its owner: a stream of [`SimEvent`]s and the record of its
//! transactions. Tests and the binary watch these instead of parsing logs.

use time::OffsetDateTime;

/// Why a transaction ended; the OCPP 1.6 `Reason` sent in StopTransaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The central system sent RemoteStopTransaction.
    Remote,
    /// The car is full and was unplugged.
    EVDisconnected,
    /// The central system did not accept the id tag in its StartTransaction response.
    DeAuthorized,
    /// Stopped at the charge point (the driver tapped their card again).
    Local,
}

impl StopReason {
    /// The spelling used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remote => "Remote",
            Self::EVDisconnected => "EVDisconnected",
            Self::Local => "Local",
            Self::DeAuthorized => "DeAuthorized",
        }
    }
}

/// Something that happened on a simulated charge point.
#[derive(Debug, Clone, PartialEq)]
pub enum SimEvent {
    /// Booted and reported its connectors; the session is live.
    Connected,
    /// The central system assigned a transaction id.
    TransactionStarted { transaction_id: i64, connector_id: u32, id_tag: String, meter_start_wh: i64 },
    /// A MeterValues sample was sent.
    MeterSample { transaction_id: i64, connector_id: u32, register_wh: i64, power_w: u32, soc_percent: f64 },
    /// StopTransaction was sent.
    TransactionStopped { transaction_id: i64, connector_id: u32, meter_stop_wh: i64, reason: StopReason },
    /// The central system answered one of our CALLs with a CALLERROR.
    CallError { action: String, code: String },
    /// The central system did not answer one of our CALLs in time.
    CallTimedOut { action: String },
    /// The connection dropped; the charge point reconnects ([`crate::SimConfig::reconnect`])
    /// and emits [`SimEvent::Connected`] again once it has booted on the new one.
    ConnectionLost,
    /// A reconnect attempt failed for a reason that may pass; the next is in `retry_in`.
    ReconnectFailed { error: String, retry_in: std::time::Duration },
    /// The server refused the charge point when it reconnected (an unknown id, a wrong password:
    /// [`crate::SimError::is_permanent`]); it stops trying, and [`SimEvent::Disconnected`] follows.
    Refused { error: String },
    /// The WebSocket is closed for good; the charge point does not reconnect.
    Disconnected,
}

/// One transaction as the charge point saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRecord {
    pub transaction_id: i64,
    pub connector_id: u32,
    pub id_tag: String,
    pub meter_start_wh: i64,
    /// `None` while the transaction runs.
    pub meter_stop_wh: Option<i64>,
    pub started_at: OffsetDateTime,
    pub stopped_at: Option<OffsetDateTime>,
    pub stop_reason: Option<StopReason>,
}

impl TransactionRecord {
    /// Energy charged so far (for a finished transaction, in total), in Wh.
    pub fn energy_wh(&self) -> Option<i64> {
        self.meter_stop_wh.map(|stop| stop - self.meter_start_wh)
    }
}
