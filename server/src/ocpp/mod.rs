//! The OCPP 1.6J central system: chargers connect to `/ocpp/{chargePointId}` over WebSocket
//! with subprotocol `ocpp1.6`.
//!
//! Each connection has a reader (this module: frames in, CALLs handled one at a time in the
//! order received, answers out) and a writer task fed by a channel, so commands the server
//! sends (remote start/stop) and answers to the charger never interleave mid-frame.

mod handlers;
mod plug_and_charge;
pub mod registry;
pub mod security;

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chargekit_model::ocpp::{Frame, SUBPROTOCOL};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use crate::AppState;
use registry::ChargerLink;
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
    let transport = transport.map_or(Transport::Plain, |Extension(t)| t);
    if let Err(refusal) = security::admit(&state.store, &charger_id, &headers, transport).await {
        return refusal;
    }
    // OCPP frames are small: an 8 KiB read buffer (it grows for a larger frame) instead of the
    // 128 KiB default, which would be most of the memory of each of thousands of connections.
    let ws = ws
        .protocols([SUBPROTOCOL])
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES);
    let agreed = ws.selected_protocol().is_some();
    ws.on_upgrade(move |socket| async move {
        if agreed {
            serve_charger(state, charger_id, socket).await;
        } else {
            // OCPP-J: finish the handshake without a subprotocol, then close at once.
            tracing::warn!(%charger_id, "charger did not offer {SUBPROTOCOL}; closing");
            refuse(socket).await;
        }
    })
}

async fn refuse(mut socket: WebSocket) {
    let frame = CloseFrame { code: close_code::PROTOCOL, reason: format!("subprotocol {SUBPROTOCOL} required").into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn serve_charger(state: Arc<AppState>, charger_id: String, socket: WebSocket) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<String>(OUTGOING_QUEUE);
    let link = Arc::new(ChargerLink::new(&charger_id, tx));
    state.chargers.register(link.clone());
    record_connection(&state, &charger_id, true).await;
    tracing::info!(%charger_id, "charger connected");

    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });

    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            _ = state.shutdown.cancelled() => break,
        };
        let Some(message) = message else { break };
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
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue, // ping/pong are answered by the WebSocket layer
        };
        let reply = match Frame::parse(text.as_str()) {
            Ok(Frame::Call { id, action, payload }) => {
                Some(handlers::handle_call(&state, &charger_id, id, &action, payload).await)
            }
            Ok(answer) => {
                link.resolve(answer);
                None
            }
            Err(error) => {
                tracing::warn!(%charger_id, %error, "malformed frame");
                Some(error.to_frame())
            }
        };
        if let Some(reply) = reply
            && link.send(&reply).await.is_err()
        {
            break;
        }
    }

    state.chargers.unregister(&link);
    link.fail_pending();
    // The reader is gone, so nothing more can be answered on this socket.
    writer.abort();
    record_connection(&state, &charger_id, false).await;
    tracing::info!(%charger_id, "charger disconnected");
}

/// Connection history for the operator's availability figures; a failure to record it must
/// not cost the charger its connection.
async fn record_connection(state: &AppState, charger_id: &str, connected: bool) {
    if let Err(e) = state.store.record_connection(charger_id, connected).await {
        tracing::error!(error = %e, %charger_id, "cannot record a charger connection event");
    }
}
