//! A tiny OCPP 1.6J central system for the tests: accepts WebSockets on 127.0.0.1, answers the
//! charge point's CALLs the way a plain server would (configurable per test), and hands every
//! received frame to the test, which can also send CALLs or raw text of its own.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chargekit_model::ocpp::{ErrorCode, Frame};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};

/// How long a test waits for anything before failing. Generous: this is a hang guard, not a
/// speed assertion.
const PATIENCE: Duration = Duration::from_secs(10);

/// The transaction id the central system hands out first; later ones count up.
pub const FIRST_TRANSACTION_ID: i64 = 1000;

#[derive(Debug, Clone)]
pub struct Options {
    /// The subprotocol put in the handshake response; `None` selects none.
    pub subprotocol: Option<&'static str>,
    pub boot_status: &'static str,
    pub heartbeat_interval: u32,
    /// Require HTTP Basic auth with this password (user = charge point id), else HTTP 401.
    pub password: Option<&'static str>,
    /// Actions answered with CALLERROR InternalError.
    pub call_error_for: Vec<&'static str>,
    /// Actions never answered.
    pub never_answer: Vec<&'static str>,
    /// `idTagInfo.status` in StartTransaction responses.
    pub id_tag_status: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            subprotocol: Some("ocpp1.6"),
            boot_status: "Accepted",
            heartbeat_interval: 3600,
            password: None,
            call_error_for: Vec::new(),
            never_answer: Vec::new(),
            id_tag_status: "Accepted",
        }
    }
}

pub struct Central {
    pub url: String,
    sessions: mpsc::UnboundedReceiver<Session>,
}

impl Central {
    pub async fn start(options: Options) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/ocpp", listener.local_addr().expect("address"));
        let (sessions_tx, sessions) = mpsc::unbounded_channel();
        let options = Arc::new(options);
        let transaction_ids = Arc::new(AtomicI64::new(FIRST_TRANSACTION_ID));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, options.clone(), transaction_ids.clone(), sessions_tx.clone()));
            }
        });
        Self { url, sessions }
    }

    /// The next connection that completed the WebSocket handshake.
    pub async fn accept(&mut self) -> Session {
        tokio::time::timeout(PATIENCE, self.sessions.recv())
            .await
            .expect("no charge point connected in time")
            .expect("listener ended")
    }
}

/// Something the central system received on one connection.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    Call { action: String, payload: Value },
    /// A CALLRESULT or CALLERROR.
    Reply(Frame),
    /// Text that is not an OCPP-J frame.
    Raw(String),
    /// The connection ended; `clean` when the charge point sent a Close frame first.
    Closed { clean: bool },
}

pub struct Session {
    pub path: String,
    pub authorization: Option<String>,
    received: mpsc::UnboundedReceiver<Received>,
    /// Received while the test waited for something else.
    backlog: VecDeque<Received>,
    out: mpsc::UnboundedSender<Message>,
}

impl Session {
    pub async fn next(&mut self) -> Received {
        if let Some(item) = self.backlog.pop_front() {
            return item;
        }
        self.receive().await
    }

    async fn receive(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.received.recv())
            .await
            .expect("the charge point sent nothing in time")
            .unwrap_or(Received::Closed { clean: false })
    }

    /// The next CALL, which must be `action`; its payload.
    pub async fn expect_call(&mut self, action: &str) -> Value {
        match self.next().await {
            Received::Call { action: got, payload } if got == action => payload,
            other => panic!("expected a {action} CALL, got {other:?}"),
        }
    }

    /// Skips CALLs until one of `action` arrives; its payload.
    pub async fn wait_for_call(&mut self, action: &str) -> Value {
        loop {
            match self.next().await {
                Received::Call { action: got, payload } if got == action => return payload,
                Received::Call { .. } => {}
                other => panic!("expected a {action} CALL, got {other:?}"),
            }
        }
    }

    /// The next StatusNotification; `(connectorId, status)`, checking the fixed fields.
    pub async fn expect_status(&mut self) -> (u64, String) {
        let payload = self.expect_call("StatusNotification").await;
        assert_eq!(payload["errorCode"], "NoError", "{payload}");
        assert!(payload["timestamp"].is_string(), "{payload}");
        (payload["connectorId"].as_u64().expect("connectorId"), payload["status"].as_str().expect("status").to_owned())
    }

    /// Skips CALLs until `connector` reports `status`.
    pub async fn wait_for_status(&mut self, connector: u64, status: &str) {
        loop {
            let payload = self.wait_for_call("StatusNotification").await;
            if payload["connectorId"] == connector && payload["status"] == status {
                return;
            }
        }
    }

    /// Boot and the Available statuses of connector 0 to `connectors`; the boot payload.
    pub async fn expect_boot(&mut self, connectors: u64) -> Value {
        let boot = self.expect_call("BootNotification").await;
        for connector in 0..=connectors {
            assert_eq!(self.expect_status().await, (connector, "Available".to_owned()));
        }
        boot
    }

    pub fn send_text(&self, text: impl Into<String>) {
        self.out.send(Message::text(text.into())).expect("session task ended");
    }

    /// The next frame that is an answer from the charge point.
    pub async fn next_reply(&mut self) -> Frame {
        match self.next().await {
            Received::Reply(frame) => frame,
            other => panic!("expected an answer, got {other:?}"),
        }
    }

    /// Sends a CALL and returns the charge point's answer; other frames that arrive meanwhile are
    /// kept for [`Session::next`].
    pub async fn call(&mut self, action: &str, payload: Value) -> Frame {
        let id = uuid::Uuid::new_v4().to_string();
        self.send_text(Frame::call(&id, action, &payload).to_text());
        loop {
            match self.receive().await {
                Received::Reply(frame) if frame.id() == id => return frame,
                other @ Received::Closed { .. } => panic!("closed while waiting for the answer to {action}: {other:?}"),
                other => self.backlog.push_back(other),
            }
        }
    }

    /// Sends a CALL that must be answered with a CALLRESULT; its `status`.
    pub async fn call_status(&mut self, action: &str, payload: Value) -> String {
        match self.call(action, payload).await {
            Frame::CallResult { payload, .. } => payload["status"].as_str().expect("status").to_owned(),
            other => panic!("expected a CALLRESULT to {action}, got {other:?}"),
        }
    }

    /// Asserts that nothing arrives for `quiet`.
    pub async fn assert_quiet(&mut self, quiet: Duration) {
        assert!(self.backlog.is_empty(), "unexpected {:?}", self.backlog);
        if let Ok(item) = tokio::time::timeout(quiet, self.received.recv()).await {
            panic!("expected silence, got {item:?}");
        }
    }

    /// Closes the connection from the server side.
    pub fn close(&self) {
        self.out.send(Message::Close(None)).expect("session task ended");
    }

    /// Waits until the connection ends; whether the charge point closed it cleanly.
    pub async fn closed(&mut self) -> bool {
        loop {
            if let Received::Closed { clean } = self.next().await {
                return clean;
            }
        }
    }
}

async fn serve(stream: TcpStream, options: Arc<Options>, transaction_ids: Arc<AtomicI64>, sessions: mpsc::UnboundedSender<Session>) {
    let mut path = String::new();
    let mut authorization = None;
    // The callback's signature is tungstenite's; its error type is big by design.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        path = request.uri().path().to_owned();
        authorization = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        if let Some(password) = options.password {
            let id = path.rsplit('/').next().unwrap_or_default();
            let expected = format!("Basic {}", base64_encode(&format!("{id}:{password}")));
            if authorization.as_deref() != Some(expected.as_str()) {
                let mut refusal = ErrorResponse::new(None);
                *refusal.status_mut() = StatusCode::UNAUTHORIZED;
                return Err(refusal);
            }
        }
        if let Some(subprotocol) = options.subprotocol {
            response.headers_mut().insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(subprotocol));
        }
        Ok(response)
    };
    let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let (received_tx, received) = mpsc::unbounded_channel();
    let (out, mut out_rx) = mpsc::unbounded_channel();
    let session = Session { path, authorization, received, backlog: VecDeque::new(), out };
    if sessions.send(session).is_err() {
        return;
    }
    let mut clean = false;
    loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let received = match Frame::parse(text.as_str()) {
                        Ok(Frame::Call { id, action, payload }) => {
                            if let Some(answer) = answer(&options, &transaction_ids, &id, &action) {
                                let _ = socket.send(Message::text(answer.to_text())).await;
                            }
                            Received::Call { action, payload }
                        }
                        Ok(reply) => Received::Reply(reply),
                        Err(_) => Received::Raw(text.as_str().to_owned()),
                    };
                    let _ = received_tx.send(received);
                }
                Some(Ok(Message::Close(_))) => clean = true,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            },
            message = out_rx.recv() => match message {
                Some(message) => {
                    let _ = socket.send(message).await;
                }
                None => break,
            },
        }
    }
    let _ = received_tx.send(Received::Closed { clean });
}

/// The central system's answer to a CALL from the charge point, `None` to stay silent.
fn answer(options: &Options, transaction_ids: &AtomicI64, id: &str, action: &str) -> Option<Frame> {
    if options.never_answer.contains(&action) {
        return None;
    }
    if options.call_error_for.contains(&action) {
        return Some(Frame::call_error(id, ErrorCode::InternalError, "test central system refuses"));
    }
    let now = "2026-11-24T10:00:00Z";
    let payload = match action {
        "BootNotification" => json!({"status": options.boot_status, "currentTime": now, "interval": options.heartbeat_interval}),
        "Heartbeat" => json!({"currentTime": now}),
        "StartTransaction" => json!({
            "idTagInfo": {"status": options.id_tag_status},
            "transactionId": transaction_ids.fetch_add(1, Ordering::SeqCst),
        }),
        "StopTransaction" => json!({"idTagInfo": {"status": "Accepted"}}),
        _ => json!({}),
    };
    Some(Frame::call_result(id, &payload))
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}
