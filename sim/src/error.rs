//! Why a charge point could not be brought online or could not do what it was asked.

use chargekit_model::ocpp::messages::RegistrationStatus;
use tokio_tungstenite::tungstenite;

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid simulator configuration: {0}")]
    InvalidConfig(String),
    #[error("invalid server URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("could not open the WebSocket to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: Box<tungstenite::Error>,
    },
    /// The server answered the WebSocket upgrade with an HTTP error; `reason` is the sentence
    /// of its body (the `message` of a `{code, message}` body, else the text), if it gave one.
    #[error("the server refused charger {charge_point_id} (HTTP {status}): {}", reason.as_deref().unwrap_or("it gave no reason"))]
    HandshakeRejected { url: String, charge_point_id: String, status: u16, reason: Option<String> },
    /// The server accepted the WebSocket but not as OCPP 1.6J (RFC 6455: the client must fail).
    #[error("the server at {url} did not select subprotocol ocpp1.6: {detail}")]
    SubprotocolNotSelected { url: String, detail: String },
    #[error("timed out: {0}")]
    Timeout(&'static str),
    /// The BootNotification got a CALLERROR, no answer, or an answer that is not a
    /// BootNotification response.
    #[error("BootNotification failed: {0}")]
    BootFailed(String),
    #[error("the central system answered BootNotification with {0:?}, not Accepted")]
    BootRejected(RegistrationStatus),
    /// A charge point lost its connection and the server refused it when it reconnected.
    #[error("charger {charge_point_id} stopped reconnecting: {reason}")]
    ReconnectRefused { charge_point_id: String, reason: String },
    #[error("the charge point is disconnected")]
    Disconnected,
    #[error("the central system gave no usable answer to {0}")]
    NoAnswer(&'static str),
    #[error("the charge point has no connector {0}")]
    NoSuchConnector(u32),
    #[error("connector {0} is already in use")]
    ConnectorBusy(u32),
}

impl SimError {
    /// Whether trying again cannot help: the server refused this charge point's configuration
    /// (an unknown id, a wrong password, the wrong profile or subprotocol) or the configuration
    /// itself is unusable. A charge point that loses its connection reconnects after any other
    /// error, but gives up after one of these.
    pub fn is_permanent(&self) -> bool {
        match self {
            // 4xx: the server understood and said no; 5xx (a server starting or in trouble)
            // may pass.
            Self::HandshakeRejected { status, .. } => (400..500).contains(status),
            Self::InvalidConfig(_) | Self::InvalidUrl { .. } | Self::SubprotocolNotSelected { .. } => true,
            _ => false,
        }
    }
}
