//! A charger played frame by frame over a raw WebSocket, for tests that need exact control of
//! what is sent: message ids, old timestamps, retransmissions, malformed frames.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket to `url`, offering `protocol`; returns the socket and the agreed protocol.
pub async fn open(url: &str, protocol: Option<&str>) -> Result<(Socket, Option<String>), WsError> {
    open_as(url, protocol, None, None).await
}

/// [`open`] with HTTP Basic credentials (OCPP security profiles 1 and 2) and, for `wss://`,
/// the TLS configuration to trust the server with.
pub async fn open_as(
    url: &str,
    protocol: Option<&str>,
    basic: Option<(&str, &str)>,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
) -> Result<(Socket, Option<String>), WsError> {
    use base64::Engine;
    let mut request = url.into_client_request()?;
    if let Some(protocol) = protocol {
        request.headers_mut().insert("Sec-WebSocket-Protocol", protocol.parse().expect("a header value"));
    }
    if let Some((user, password)) = basic {
        let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        request.headers_mut().insert("Authorization", format!("Basic {encoded}").parse().expect("a header value"));
    }
    let connector = tls.map(tokio_tungstenite::Connector::Rustls);
    let (socket, response) = tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector).await?;
    let agreed = response.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()).map(str::to_owned);
    Ok((socket, agreed))
}

/// Sends `text` and returns the next text frame that answers it (CALLs from the server that
/// arrive in between are skipped).
pub async fn exchange(socket: &mut Socket, text: &str) -> Value {
    socket.send(Message::text(text)).await.expect("frame sent");
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("an answer within 5 s")
            .expect("socket open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(text.as_str()).expect("JSON from the server");
            if frame[0] != json!(2) {
                return frame;
            }
        }
    }
}

/// A charger connected with `ocpp1.6`, sending CALLs with the ids the test chooses.
pub struct RawCharger {
    socket: Socket,
    next_id: u64,
}

impl RawCharger {
    pub async fn connect(ocpp_url: &str, charger_id: &str) -> Self {
        let (socket, agreed) = open(&format!("{ocpp_url}/{charger_id}"), Some("ocpp1.6")).await.expect("charger connects");
        assert_eq!(agreed.as_deref(), Some("ocpp1.6"));
        Self { socket, next_id: 1 }
    }

    /// Sends a CALL with a fresh message id and returns the CALLRESULT's payload (panics on a
    /// CALLERROR, naming it).
    pub async fn call(&mut self, action: &str, payload: Value) -> Value {
        let id = format!("raw-{}", self.next_id);
        self.next_id += 1;
        self.call_with_id(&id, action, payload).await
    }

    /// Sends a CALL with the given message id (a retransmission reuses one).
    pub async fn call_with_id(&mut self, id: &str, action: &str, payload: Value) -> Value {
        let frame = exchange(&mut self.socket, &json!([2, id, action, payload]).to_string()).await;
        assert_eq!(frame[1], json!(id), "the answer names the call");
        assert_eq!(frame[0], json!(3), "{action} refused: {frame}");
        frame[2].clone()
    }

    /// Sends a CALL without waiting for its answer (a message in flight when something breaks).
    pub async fn send_only(&mut self, action: &str, payload: Value) {
        let id = format!("raw-{}", self.next_id);
        self.next_id += 1;
        self.socket.send(Message::text(json!([2, id, action, payload]).to_string())).await.expect("frame sent");
    }

    /// Waits for the next CALL the server sends; returns its message id, action and payload.
    pub async fn expect_call(&mut self) -> (String, String, Value) {
        let frame = self.next_frame_where("a CALL", |frame| frame[0] == json!(2)).await;
        let id = frame[1].as_str().expect("a message id").to_owned();
        let action = frame[2].as_str().expect("an action").to_owned();
        (id, action, frame[3].clone())
    }

    /// The next text frame (as JSON) for which `wanted` holds, within 5 s; others are skipped.
    async fn next_frame_where(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("{what} within 5 s"))
                .expect("socket open")
                .expect("a frame");
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(text.as_str()).expect("JSON from the server");
                if wanted(&frame) {
                    return frame;
                }
            }
        }
    }

    /// Sends a raw frame (an answer to a server CALL, say).
    pub async fn send_frame(&mut self, frame: Value) {
        self.socket.send(Message::text(frame.to_string())).await.expect("frame sent");
    }

    /// Waits for the next CALLRESULT or CALLERROR (CALLs from the server are skipped).
    pub async fn next_answer(&mut self) -> Value {
        self.next_frame_where("an answer", |frame| frame[0] != json!(2)).await
    }

    /// Sends a text message as it is, however large or broken.
    pub async fn send_text(&mut self, text: String) {
        self.socket.send(Message::text(text)).await.expect("frame sent");
    }

    /// Waits for the server to close the connection: returns the close frame's code and reason
    /// once the socket has ended after it (panics if the server sends no close frame).
    pub async fn expect_close(&mut self) -> (u16, String) {
        let mut close = None;
        loop {
            let next = tokio::time::timeout(Duration::from_secs(5), self.socket.next()).await.expect("the server closes within 5 s");
            match next {
                Some(Ok(Message::Close(frame))) => {
                    let frame = frame.expect("a close frame with a code");
                    close = Some((u16::from(frame.code), frame.reason.to_string()));
                }
                Some(Ok(_)) => {}
                // The socket ended: after the close frame, or (a server that just drops the
                // connection) without one.
                Some(Err(_)) | None => return close.expect("a close frame before the socket ended"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}
