//! The chargers connected right now, and the commands the server sends them.
//!
//! A command is a CALL with a fresh message id; its CALLRESULT (or CALLERROR) is matched by
//! that id when the connection's reader sees it, and the caller waits with a timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use chargekit_model::ocpp::Frame;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

/// Why a command did not get an answer we can use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallFailure {
    #[error("the charger is not connected")]
    Offline,
    #[error("the charger did not answer in time")]
    Timeout,
    #[error("the charger answered with an error: {code} {description}")]
    CallError { code: String, description: String },
    #[error("the charger's answer does not fit the message: {0}")]
    BadResponse(String),
}

type Reply = Result<Value, CallFailure>;

/// One connected charger: where to write frames, and the commands awaiting an answer.
pub struct ChargerLink {
    pub charger_id: String,
    outgoing: mpsc::Sender<Message>,
    /// Commands awaiting an answer, by message id, with what the message log says of the answer.
    pending: Mutex<HashMap<String, (super::message_log::Answering, oneshot::Sender<Reply>)>>,
    /// Where the commands sent are logged (`message_log`), if anywhere.
    log: Option<crate::store::Store>,
    /// Cancelled when a newer connection of the same charger took this one's place.
    replaced: CancellationToken,
}

impl ChargerLink {
    pub fn new(charger_id: &str, outgoing: mpsc::Sender<Message>) -> Self {
        Self { charger_id: charger_id.to_owned(), outgoing, pending: Mutex::default(), log: None, replaced: CancellationToken::new() }
    }

    /// The same link, logging the commands it sends in the OCPP message log of `store`.
    pub fn logged_in(mut self, store: crate::store::Store) -> Self {
        self.log = Some(store);
        self
    }

    /// The command waiting for the answer `id`, if one is, as the message log names it.
    pub fn answering(&self, id: &str) -> Option<super::message_log::Answering> {
        self.pending.lock().expect("pending lock").get(id).map(|(answering, _)| answering.clone())
    }

    /// Queues a frame for the writer task.
    pub async fn send(&self, frame: &Frame) -> Result<(), CallFailure> {
        self.outgoing.send(Message::Text(frame.to_text().into())).await.map_err(|_| CallFailure::Offline)
    }

    /// Queues the close frame that ends the connection; the writer sends nothing after it.
    pub async fn send_close(&self, frame: CloseFrame) -> Result<(), CallFailure> {
        self.outgoing.send(Message::Close(Some(frame))).await.map_err(|_| CallFailure::Offline)
    }

    /// Resolves once a newer connection of this charger replaced this one.
    pub async fn replaced(&self) {
        self.replaced.cancelled().await;
    }

    /// Sends a CALL and waits for its answer.
    pub async fn call<Req: Serialize, Res: DeserializeOwned>(
        &self,
        action: &str,
        request: &Req,
        timeout: Duration,
    ) -> Result<Res, CallFailure> {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        let frame = Frame::call(id.clone(), action, request);
        let answering = super::message_log::Answering::of(&frame);
        self.pending.lock().expect("pending lock").insert(id.clone(), (answering.clone(), tx));
        let outcome = async {
            if let Some(store) = &self.log {
                super::message_log::record(store, &self.charger_id, crate::store::Direction::Out, &frame, None);
            }
            self.send(&frame).await?;
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(reply)) => reply,
                Ok(Err(_)) => Err(CallFailure::Offline),
                Err(_) => Err(CallFailure::Timeout),
            }
        }
        .await;
        self.pending.lock().expect("pending lock").remove(&id);
        serde_json::from_value(outcome?).map_err(|e| CallFailure::BadResponse(e.to_string()))
    }

    /// Hands an answer to the command waiting for it. Answers nobody waits for (late, or
    /// never asked) are dropped.
    pub fn resolve(&self, frame: Frame) {
        let (id, reply) = match frame {
            Frame::CallResult { id, payload } => (id, Ok(payload)),
            Frame::CallError { id, code, description, .. } => (id, Err(CallFailure::CallError { code, description })),
            Frame::Call { .. } => return,
        };
        match self.pending.lock().expect("pending lock").remove(&id) {
            Some((_, waiter)) => {
                let _ = waiter.send(reply);
            }
            None => tracing::debug!(charger = ?self.charger_id, ?id, "answer to no pending command"),
        }
    }
}

impl ChargerLink {
    /// The connection ended: every command still waiting fails now as `Offline` instead of
    /// running into its timeout.
    pub fn fail_pending(&self) {
        self.pending.lock().expect("pending lock").clear();
    }
}

/// Connected chargers by charge point id: at most one connection each.
#[derive(Default)]
pub struct ChargerRegistry {
    links: Mutex<HashMap<String, Arc<ChargerLink>>>,
    /// Held while a connection is registered or unregistered and its connection event stored,
    /// so that the stored events come in the order the registry changed: a charger whose old
    /// connection ends just as its new one arrives is never recorded offline after it is back.
    connection_events: tokio::sync::Mutex<()>,
}

impl ChargerRegistry {
    /// Orders connection changes and their stored events; hold the guard across both.
    pub async fn connection_events(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.connection_events.lock().await
    }

    /// Registers a connection. A charger that connects again while its old connection is open
    /// replaces it: the old one is told to close, and commands go to the new one.
    pub fn register(&self, link: Arc<ChargerLink>) -> Option<Arc<ChargerLink>> {
        let old = self.links.lock().expect("registry lock").insert(link.charger_id.clone(), link);
        if let Some(old) = &old {
            old.replaced.cancel();
        }
        old
    }

    /// Removes a connection, unless a newer one of the same charger already replaced it.
    /// Returns whether it was the charger's connection: only then did the charger go offline.
    pub fn unregister(&self, link: &Arc<ChargerLink>) -> bool {
        let mut links = self.links.lock().expect("registry lock");
        let current = links.get(&link.charger_id).is_some_and(|current| Arc::ptr_eq(current, link));
        if current {
            links.remove(&link.charger_id);
        }
        current
    }

    pub fn get(&self, charger_id: &str) -> Option<Arc<ChargerLink>> {
        self.links.lock().expect("registry lock").get(charger_id).cloned()
    }

    pub fn is_online(&self, charger_id: &str) -> bool {
        self.links.lock().expect("registry lock").contains_key(charger_id)
    }
}
