//! The OCPP-J transport: one WebSocket, owned by one I/O task, plus the table of CALLs we sent
//! that still wait for an answer.
//!
//! Keeping the socket in a single task means reading never waits for the charge point's
//! behaviour and writing never races with reading: everyone else talks to the task through a
//! channel ([`Connection`]). Answers (CALLRESULT/CALLERROR) are matched to waiting callers by
//! message id right in the I/O task, so a caller blocked on StartTransaction cannot stop the
//! answer it needs from being read. CALLs from the central system are passed on to the
//! behaviour; frames that do not parse are answered here with the CALLERROR OCPP-J prescribes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use base64::Engine as _;
use chargekit_model::ocpp::{Frame, SUBPROTOCOL};
use futures_util::{SinkExt as _, StreamExt as _};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::{HeaderValue, header};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

use crate::config::SimConfig;
use crate::error::SimError;
use crate::events::SimEvent;

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a clean close may wait for the server's Close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A CALL from the central system, for the behaviour to answer.
#[derive(Debug)]
pub(crate) struct IncomingCall {
    pub id: String,
    pub action: String,
    pub payload: Value,
}

/// The answer the central system gave to one of our CALLs.
#[derive(Debug)]
enum Reply {
    Result(Value),
    Error { code: String, description: String },
}

/// Why one of our CALLs got no usable answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum CallFailure {
    #[error("CALLERROR {code}: {description}")]
    CallError { code: String, description: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the answer does not fit the expected response: {0}")]
    BadResponse(String),
    #[error("the connection closed before the answer arrived")]
    Disconnected,
}

type PendingCalls = Arc<Mutex<HashMap<String, oneshot::Sender<Reply>>>>;

/// Where the transport stands, and the current socket's outgoing queue while there is one.
#[derive(Debug, Clone)]
enum Link {
    /// A socket is open and the charge point boots on it: only boot-time CALLs go out, so that
    /// BootNotification comes first on a new connection.
    Booting(mpsc::UnboundedSender<String>),
    Online(mpsc::UnboundedSender<String>),
    /// Between sockets (reconnecting).
    Offline,
    /// For good: nothing will be sent again.
    Closed,
}

/// Which CALLs go out when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallKind {
    /// Now, or fail with [`CallFailure::Disconnected`] when offline (heartbeats, status).
    Online,
    /// During the boot of a new connection too (BootNotification and the status that follows).
    Boot,
    /// Transaction messages (OCPP 1.6 4.7: a charge point queues them while offline): wait for
    /// the connection to be back online and send again, with the same message id, until the
    /// central system answers or the charge point is closed for good.
    Queued,
}

/// The sending side of the transport, shared by everything that talks to the central system.
/// It outlives sockets: [`Connection::attach`] gives it a new one after a reconnect.
#[derive(Debug)]
pub(crate) struct Connection {
    link: watch::Sender<Link>,
    pending: PendingCalls,
    /// OCPP-J 4.1.1: a charge point should not send a CALL while an earlier one is unanswered,
    /// so CALLs queue here. Answers to the server's CALLs do not wait.
    call_lane: tokio::sync::Mutex<()>,
    call_timeout: Duration,
}

impl Connection {
    /// A connection with no socket yet.
    pub fn new(config: &SimConfig) -> Self {
        Self {
            link: watch::Sender::new(Link::Offline),
            pending: PendingCalls::default(),
            call_lane: tokio::sync::Mutex::new(()),
            call_timeout: config.call_timeout,
        }
    }

    /// Starts the I/O task of a freshly opened socket; boot-time CALLs may go out on it until
    /// [`Connection::go_online`]. The task ends when the socket closes, when `shutdown` is set,
    /// or when the connection lets go of the socket (detach, close, drop); then it fails every
    /// unanswered CALL and, if `events` is given, emits [`SimEvent::Disconnected`]. CALLs from
    /// the central system go to `incoming`.
    pub fn attach(
        &self,
        socket: Socket,
        id: &str,
        shutdown: watch::Receiver<bool>,
        incoming: mpsc::UnboundedSender<IncomingCall>,
        events: Option<broadcast::Sender<SimEvent>>,
    ) -> tokio::task::JoinHandle<()> {
        let (outgoing_tx, outgoing_rx) = mpsc::unbounded_channel();
        // The task does not hold the link: dropping the connection must close its queue.
        let io = IoTask { socket, outgoing: outgoing_rx, incoming, pending: self.pending.clone(), id: id.to_owned() };
        self.link.send_if_modified(|link| match link {
            Link::Closed => false,
            _ => {
                *link = Link::Booting(outgoing_tx);
                true
            }
        });
        tokio::spawn(io.run(shutdown, events))
    }

    /// Booted: every CALL may go out, and queued ones do now.
    pub fn go_online(&self) {
        self.link.send_if_modified(|link| match link {
            Link::Booting(tx) => {
                *link = Link::Online(tx.clone());
                true
            }
            _ => false,
        });
    }

    /// Lets go of the current socket (its I/O task then closes it), to reconnect later.
    pub fn detach(&self) {
        self.link.send_if_modified(|link| match link {
            Link::Closed => false,
            _ => {
                *link = Link::Offline;
                true
            }
        });
    }

    /// Marks the link offline if `outgoing`, its socket's queue, is closed (the I/O task ended),
    /// so that a queued CALL waits for the next socket instead of trying the dead one again.
    fn lost(&self, outgoing: &mpsc::UnboundedSender<String>) {
        if !outgoing.is_closed() {
            return;
        }
        self.link.send_if_modified(|link| match link {
            Link::Booting(tx) | Link::Online(tx) if tx.same_channel(outgoing) => {
                *link = Link::Offline;
                true
            }
            _ => false,
        });
    }

    /// Ends the connection for good: waiting transaction messages fail, nothing is sent again.
    pub fn close_for_good(&self) {
        self.link.send_replace(Link::Closed);
    }

    /// The outgoing queue, if a CALL of `kind` may use it now.
    fn sender(&self, kind: CallKind) -> Option<mpsc::UnboundedSender<String>> {
        match (&*self.link.borrow(), kind) {
            (Link::Online(tx), _) | (Link::Booting(tx), CallKind::Boot) => Some(tx.clone()),
            _ => None,
        }
    }

    /// Sends a CALL and waits for its answer, decoded as `Res`.
    pub async fn call<Req: Serialize, Res: DeserializeOwned>(&self, action: &str, request: &Req) -> Result<Res, CallFailure> {
        self.call_as(CallKind::Online, action, request).await
    }

    /// Sends a CALL of `kind` and waits for its answer, decoded as `Res`.
    pub async fn call_as<Req: Serialize, Res: DeserializeOwned>(&self, kind: CallKind, action: &str, request: &Req) -> Result<Res, CallFailure> {
        let id = Uuid::new_v4().to_string();
        let text = Frame::call(&id, action, request).to_text();
        if kind != CallKind::Queued {
            return self.call_once(kind, &id, &text).await;
        }
        let mut link = self.link.subscribe();
        loop {
            // Waited for before the lane is taken, so the boot of a new socket can go first.
            let online = link.wait_for(|l| matches!(l, Link::Online(_) | Link::Closed)).await.map(|l| matches!(*l, Link::Online(_)));
            if !matches!(online, Ok(true)) {
                return Err(CallFailure::Disconnected);
            }
            match self.call_once(kind, &id, &text).await {
                Err(CallFailure::Disconnected) => tracing::debug!(action, message_id = %id, "connection lost; sending again once online"),
                other => return other,
            }
        }
    }

    async fn call_once<Res: DeserializeOwned>(&self, kind: CallKind, id: &str, text: &str) -> Result<Res, CallFailure> {
        let _lane = self.call_lane.lock().await;
        let Some(outgoing) = self.sender(kind) else { return Err(CallFailure::Disconnected) };
        let (answer_tx, answer_rx) = oneshot::channel();
        lock(&self.pending).insert(id.to_owned(), answer_tx);
        if outgoing.send(text.to_owned()).is_err() {
            lock(&self.pending).remove(id);
            self.lost(&outgoing);
            return Err(CallFailure::Disconnected);
        }
        match tokio::time::timeout(self.call_timeout, answer_rx).await {
            Err(_) => {
                lock(&self.pending).remove(id);
                Err(CallFailure::Timeout(self.call_timeout))
            }
            Ok(Err(_)) => {
                self.lost(&outgoing);
                Err(CallFailure::Disconnected)
            }
            Ok(Ok(Reply::Error { code, description })) => Err(CallFailure::CallError { code, description }),
            Ok(Ok(Reply::Result(payload))) => {
                serde_json::from_value(payload).map_err(|e| CallFailure::BadResponse(e.to_string()))
            }
        }
    }

    /// Sends a frame that expects no answer (a CALLRESULT or CALLERROR to the server's CALL).
    pub fn send_frame(&self, frame: &Frame) -> Result<(), SimError> {
        self.send_text(frame.to_text())
    }

    /// Sends any text, well-formed or not, on the current socket.
    pub fn send_text(&self, text: String) -> Result<(), SimError> {
        let outgoing = self.sender(CallKind::Boot).ok_or(SimError::Disconnected)?;
        outgoing.send(text).map_err(|_| SimError::Disconnected)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps guarded here stay consistent even if a holder panicked.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `Basic base64(user:password)` (RFC 7617).
pub(crate) fn basic_auth_value(user: &str, password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}")))
}

/// Opens the WebSocket of `config`, offering `ocpp1.6` and requiring the server to select it.
pub(crate) async fn open(config: &SimConfig) -> Result<Socket, SimError> {
    let url = config.endpoint();
    if !url.starts_with("ws://") {
        // No TLS backend is compiled in: the simulator talks to local or test servers.
        let reason = "only ws:// URLs are supported (no TLS)".to_owned();
        return Err(SimError::InvalidUrl { url, reason });
    }
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| SimError::InvalidUrl { url: url.clone(), reason: e.to_string() })?;
    request.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(SUBPROTOCOL));
    if let Some(password) = &config.basic_auth_password {
        let value = HeaderValue::from_str(&basic_auth_value(&config.charge_point_id, password))
            .map_err(|_| SimError::InvalidConfig("the Basic auth password is not a valid header value".to_owned()))?;
        request.headers_mut().insert(header::AUTHORIZATION, value);
    }

    let handshake = tokio_tungstenite::connect_async_with_config(request, None, true);
    let (socket, response) = match tokio::time::timeout(config.call_timeout, handshake).await {
        Err(_) => return Err(SimError::Timeout("WebSocket handshake")),
        Ok(Err(error)) => return Err(handshake_error(url, &config.charge_point_id, error)),
        Ok(Ok(opened)) => opened,
    };
    // tungstenite already fails a handshake without the offered subprotocol; check anyway, since
    // talking anything but OCPP 1.6J to this server would be meaningless.
    let selected = response.headers().get(header::SEC_WEBSOCKET_PROTOCOL).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    if selected.as_deref() != Some(SUBPROTOCOL) {
        return Err(SimError::SubprotocolNotSelected { url, detail: format!("server selected {selected:?}") });
    }
    Ok(socket)
}

fn handshake_error(url: String, charge_point_id: &str, error: tungstenite::Error) -> SimError {
    use tungstenite::error::{ProtocolError, SubProtocolError};
    match error {
        tungstenite::Error::Http(response) => SimError::HandshakeRejected {
            url,
            charge_point_id: charge_point_id.to_owned(),
            status: response.status().as_u16(),
            reason: response.body().as_deref().and_then(refusal_reason),
        },
        tungstenite::Error::Protocol(ProtocolError::SecWebSocketSubProtocolError(why)) => {
            let detail = match why {
                SubProtocolError::NoSubProtocol => "server selected no subprotocol".to_owned(),
                other => other.to_string(),
            };
            SimError::SubprotocolNotSelected { url, detail }
        }
        tungstenite::Error::Url(reason) => SimError::InvalidUrl { url, reason: reason.to_string() },
        other => SimError::Connect { url, source: Box::new(other) },
    }
}

/// The sentence of a refused upgrade's body: the `message` of the server's `{code, message}`
/// JSON, else the body as text. tungstenite keeps only the bytes that arrived with the headers;
/// that is the whole body of a short answer, and a missing one just means no reason.
fn refusal_reason(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ApiError {
        message: String,
    }
    let text = match serde_json::from_slice::<ApiError>(body) {
        Ok(error) => error.message,
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let text = text.trim();
    // Bounded, so a misbehaving server cannot flood the user's terminal.
    (!text.is_empty()).then(|| text.chars().take(300).collect())
}

/// Opens a connection on `socket` that is online at once, with no reconnecting: it ends with
/// the socket (the load harness's chargers).
pub(crate) fn spawn(
    socket: Socket,
    config: &SimConfig,
    shutdown: watch::Receiver<bool>,
    events: broadcast::Sender<SimEvent>,
) -> (Connection, mpsc::UnboundedReceiver<IncomingCall>, tokio::task::JoinHandle<()>) {
    let (incoming_tx, incoming_rx) = mpsc::unbounded_channel();
    let connection = Connection::new(config);
    let task = connection.attach(socket, &config.charge_point_id, shutdown, incoming_tx, Some(events));
    connection.go_online();
    (connection, incoming_rx, task)
}

struct IoTask {
    socket: Socket,
    outgoing: mpsc::UnboundedReceiver<String>,
    incoming: mpsc::UnboundedSender<IncomingCall>,
    pending: PendingCalls,
    /// The charge point id, for logs.
    id: String,
}

impl IoTask {
    async fn run(mut self, mut shutdown: watch::Receiver<bool>, events: Option<broadcast::Sender<SimEvent>>) {
        loop {
            tokio::select! {
                // `Err` means the handle was dropped: shut down too.
                // Also when set before this socket opened; `Err` (the handle was dropped) too.
                _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => {
                    self.close().await;
                    break;
                }
                text = self.outgoing.recv() => {
                    let Some(text) = text else {
                        self.close().await;
                        break;
                    };
                    tracing::trace!(charge_point = %self.id, %text, "send");
                    if let Err(error) = self.socket.send(Message::text(text)).await {
                        tracing::warn!(charge_point = %self.id, %error, "WebSocket send failed");
                        break;
                    }
                }
                message = self.socket.next() => match message {
                    Some(Ok(Message::Text(text))) => {
                        if !self.on_text(text.as_str()).await {
                            break;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        tracing::warn!(charge_point = %self.id, "ignoring a binary frame; OCPP-J uses text frames");
                    }
                    // Pings are answered by tungstenite; a Close is answered there too and the
                    // stream then ends.
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        tracing::warn!(charge_point = %self.id, %error, "WebSocket read failed");
                        break;
                    }
                    None => {
                        tracing::info!(charge_point = %self.id, "the central system closed the connection");
                        break;
                    }
                },
            }
        }
        // Refuse new CALLs first, then fail the waiting ones, so no caller is left waiting for
        // its timeout on a dead socket.
        self.outgoing.close();
        lock(&self.pending).clear();
        if let Some(events) = events {
            let _ = events.send(SimEvent::Disconnected);
        }
    }

    /// Handles one text frame; `false` when the socket broke while answering.
    async fn on_text(&mut self, text: &str) -> bool {
        tracing::trace!(charge_point = %self.id, %text, "receive");
        match Frame::parse(text) {
            Err(error) => {
                tracing::warn!(charge_point = %self.id, %error, "answering a malformed frame with CALLERROR");
                if let Err(error) = self.socket.send(Message::text(error.to_frame().to_text())).await {
                    tracing::warn!(charge_point = %self.id, %error, "WebSocket send failed");
                    return false;
                }
            }
            Ok(Frame::Call { id, action, payload }) => {
                // The receiver goes away only while shutting down; the call is moot then.
                let _ = self.incoming.send(IncomingCall { id, action, payload });
            }
            Ok(Frame::CallResult { id, payload }) => self.answer(id, Reply::Result(payload)),
            Ok(Frame::CallError { id, code, description, .. }) => self.answer(id, Reply::Error { code, description }),
        }
        true
    }

    fn answer(&self, id: String, reply: Reply) {
        match lock(&self.pending).remove(&id) {
            // The caller may have timed out in the meantime; nothing to do then.
            Some(waiter) => drop(waiter.send(reply)),
            None => tracing::warn!(charge_point = %self.id, message_id = %id, "answer to no pending CALL"),
        }
    }

    /// Sends a Close frame and waits briefly for the server's, so the server sees a clean close.
    async fn close(&mut self) {
        if self.socket.close(None).await.is_err() {
            return;
        }
        let drain = async { while let Some(Ok(_)) = self.socket.next().await {} };
        let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_follows_rfc_7617() {
        // The example of RFC 7617 section 2.
        assert_eq!(basic_auth_value("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    }
}
