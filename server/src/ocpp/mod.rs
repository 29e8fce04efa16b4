//! The OCPP 1.6J central system: chargers connect to `/ocpp/{chargePointId}` over WebSocket
//! with subprotocol `ocpp1.6`.
//!
//! Each connection has a reader (this module: frames in, CALLs handled one at a time in the
//! order received, answers out) and a writer task fed by a channel, so commands the server
//! sends (remote start/stop) and answers to the charger never interleave mid-frame.
//!
//! A charge point has one connection at a time: a newer one replaces the old, which gets a
//! close frame (1008). A message over [`MAX_MESSAGE_BYTES`] ends the connection with 1009. At
//! shutdown every charger gets 1001 (going away), and its disconnection is recorded before
//! the database closes.

mod handlers;
pub mod log_safe;
mod message_log;
mod plug_and_charge;
pub mod registry;
pub mod security;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chargekit_model::api::ApiErrorCode;
use chargekit_model::ocpp::{Frame, SUBPROTOCOL};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use crate::AppState;
use crate::config::SecurityProfile;
use crate::error::AppError;
use crate::store::Direction;
use registry::ChargerLink;
pub use message_log::{OcppLogConfig, spawn_pruning as spawn_message_log_pruning};
pub use security::Transport;

/// Largest OCPP frame accepted. Signed meter values make frames of several kB; this leaves
/// ample room without letting one charger make the server buffer megabytes.
const MAX_MESSAGE_BYTES: usize = 256 * 1024;

const READ_BUFFER_BYTES: usize = 8 * 1024;

/// Frames queued for one charger before senders wait.
const OUTGOING_QUEUE: usize = 64;

pub async fn upgrade(
    Path(charger_id): Path<String>,
    State(state): State<Arc<AppState>>,
    transport: Option<Extension<Transport>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(refusal) = refusal_of_charge_point_id(&charger_id) {
        return refusal;
    }
    let transport = transport.map_or(Transport::Plain, |Extension(t)| t);
    let profile = match security::admit(&state.store, &charger_id, &headers, transport).await {
        Ok(profile) => profile,
        Err(refusal) => return refusal,
    };
    // OCPP frames are small: an 8 KiB read buffer (it grows for a larger frame) instead of the
    // 128 KiB default, which would be most of the memory of each of thousands of connections.
    let ws = ws
        .protocols([SUBPROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES);
    let agreed = ws.selected_protocol().is_some();
    // The upgraded socket lives outside the HTTP server's graceful shutdown: the tracker lets
    // the shutdown wait for it, so its disconnection is recorded before the database closes.
    let connection = state.chargers.connections.token();
    ws.on_upgrade(move |socket| async move {
        let _connection = connection;
        if agreed {
            serve_charger(state, charger_id, profile, socket).await;
        } else {
            // OCPP-J: finish the handshake without a subprotocol, then close at once.
            tracing::warn!(?charger_id, "charger did not offer {SUBPROTOCOL}; closing");
            refuse(socket).await;
        }
    })
}

/// Refuses a charge point id with control characters (a `%0A` in the URL) with 400, before
/// anything else reads it: no charger has such an id, and written into the log it would start
/// a line that looks like the server's own.
fn refusal_of_charge_point_id(charger_id: &str) -> Option<Response> {
    if !charger_id.chars().any(char::is_control) {
        return None;
    }
    tracing::warn!(?charger_id, "charger connection refused: control characters in the charge point id");
    let message = "The charge point id in the URL (/ocpp/{id}) contains control characters (a line break, say): use the id \
                   the charger is configured with, printable characters only.";
    Some(AppError::new(StatusCode::BAD_REQUEST, ApiErrorCode::InvalidInput, message).into_response())
}

async fn refuse(mut socket: WebSocket) {
    let frame = CloseFrame { code: close_code::PROTOCOL, reason: format!("subprotocol {SUBPROTOCOL} required").into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// Why the server ends a connection it could otherwise keep serving.
enum Ending {
    /// The charger (or the network) closed it.
    Gone,
    /// The server is shutting down.
    ShuttingDown,
    /// A newer connection of the same charger took its place.
    Replaced,
    /// The charger sent a message over [`MAX_MESSAGE_BYTES`].
    TooBig,
}

impl Ending {
    /// The close frame the charger is told why with, if it still listens.
    fn close_frame(&self) -> Option<CloseFrame> {
        match self {
            Self::Gone => None,
            Self::ShuttingDown => Some(CloseFrame { code: close_code::AWAY, reason: "the server is shutting down".into() }),
            Self::Replaced => Some(CloseFrame { code: close_code::POLICY, reason: "replaced by a newer connection".into() }),
            Self::TooBig => Some(CloseFrame {
                code: close_code::SIZE,
                reason: format!("message too big: the limit is {MAX_MESSAGE_BYTES} bytes").into(),
            }),
        }
    }
}

/// How long a connection being ended may take to deliver its close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

async fn serve_charger(state: Arc<AppState>, charger_id: String, profile: SecurityProfile, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<Message>(OUTGOING_QUEUE);
    let link = Arc::new(ChargerLink::new(&charger_id, tx).logged_in(state.store.clone()));
    {
        let _order = state.chargers.registry.connection_events().await;
        if state.chargers.registry.register(link.clone()).is_some() {
            if profile == SecurityProfile::Unsecured {
                // Nothing proves which of the two is the real charger: the newer one wins.
                tracing::warn!(?charger_id, "a second connection of an unauthenticated (profile 0) charger replaces the first");
            } else {
                tracing::info!(?charger_id, "charger connected again; its old connection is closed");
            }
        }
        record_connection(&state, &charger_id, true).await;
    }
    tracing::info!(?charger_id, "charger connected");

    let mut writer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            let last = matches!(message, Message::Close(_));
            if sink.send(message).await.is_err() || last {
                break;
            }
        }
        let _ = sink.close().await;
    });

    let ending = loop {
        let message = tokio::select! {
            // A replaced connection takes no more messages, even ones already waiting.
            biased;
            _ = link.replaced() => break Ending::Replaced,
            _ = state.shutdown.cancelled() => break Ending::ShuttingDown,
            message = stream.next() => message,
        };
        let Some(message) = message else { break Ending::Gone };
        let text = match message {
            Ok(Message::Text(text)) => text,
            Ok(Message::Binary(_)) => {
                let error = chargekit_model::ocpp::FrameError::new(
                    chargekit_model::ocpp::frame::UNKNOWN_MESSAGE_ID,
                    chargekit_model::ocpp::ErrorCode::FormationViolation,
                    "OCPP-J frames are text messages",
                );
                let _ = link.send(&error.to_frame()).await;
                continue;
            }
            Err(error) if is_too_big(&error) => {
                tracing::warn!(?charger_id, error = %log_safe::untrusted(&error), "charger sent a message over the size limit; closing");
                break Ending::TooBig;
            }
            Ok(Message::Close(_)) | Err(_) => break Ending::Gone,
            Ok(_) => continue, // ping/pong are answered by the WebSocket layer
        };
        let (reply, answering) = match Frame::parse(text.as_str()) {
            Ok(call @ Frame::Call { .. }) => {
                message_log::record(&state.store, &charger_id, Direction::In, &call, None);
                let answering = message_log::Answering::of(&call);
                let Frame::Call { id, action, payload } = call else { unreachable!("matched as a CALL") };
                (Some(handlers::handle_call(&state, &charger_id, id, &action, payload).await), Some(answering))
            }
            Ok(answer) => {
                let answering = link.answering(answer.id());
                message_log::record(&state.store, &charger_id, Direction::In, &answer, answering.as_ref());
                link.resolve(answer);
                (None, None)
            }
            Err(error) => {
                tracing::warn!(?charger_id, error = %log_safe::untrusted(&error), "malformed frame");
                (Some(error.to_frame()), None)
            }
        };
        if let Some(reply) = reply {
            message_log::record(&state.store, &charger_id, Direction::Out, &reply, answering.as_ref());
            if link.send(&reply).await.is_err() {
                break Ending::Gone;
            }
        }
    };

    {
        let _order = state.chargers.registry.connection_events().await;
        // A replaced connection's end is no disconnection: the charger is on its new one.
        if state.chargers.registry.unregister(&link) {
            record_connection(&state, &charger_id, false).await;
        }
    }
    link.fail_pending();
    if let Some(frame) = ending.close_frame() {
        // Deliver the close frame, then read on until the charger answers it (or leaves), so
        // that the TCP connection is not reset under the frame by data still unread.
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            if link.send_close(frame).await.is_ok() {
                let _ = (&mut writer).await;
                while let Some(Ok(message)) = stream.next().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            }
        })
        .await;
    }
    // The reader is gone, so nothing more can be answered on this socket.
    writer.abort();
    tracing::info!(?charger_id, "charger disconnected");
}

/// Whether a read failed because the message was over the size limit. The WebSocket layer's
/// error type is not part of axum's API, so this reads its message: tungstenite's
/// `CapacityError::MessageTooLong` ("Message too long: {size} > {max_size}").
fn is_too_big(error: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(error) = source {
        if error.to_string().contains("Message too long") {
            return true;
        }
        source = error.source();
    }
    false
}

/// Connection history for the operator's availability figures; a failure to record it must
/// not cost the charger its connection.
async fn record_connection(state: &AppState, charger_id: &str, connected: bool) {
    state.clients.live.fleet.on_connection(charger_id, connected, time::OffsetDateTime::now_utc());
    if let Err(e) = state.store.record_connection(charger_id, connected).await {
        tracing::error!(error = %e, ?charger_id, "cannot record a charger connection event");
    }
    state.alerts.nudge();
}
