//! The chargers connected right now, and the commands the server sends them.
//!
//! A command is a CALL with a fresh message id; its CALLRESULT (or CALLERROR) is matched by
//! that id when the connection's reader sees it, and the caller waits with a timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chargekit_model::ocpp::Frame;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

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
    outgoing: mpsc::Sender<String>,
    pending: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
}

impl ChargerLink {
    pub fn new(charger_id: &str, outgoing: mpsc::Sender<String>) -> Self {
        Self { charger_id: charger_id.to_owned(), outgoing, pending: Mutex::default() }
    }

    /// Queues a frame for the writer task.
    pub async fn send(&self, frame: &Frame) -> Result<(), CallFailure> {
        self.outgoing.send(frame.to_text()).await.map_err(|_| CallFailure::Offline)
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
        self.pending.lock().expect("pending lock").insert(id.clone(), tx);
        let outcome = async {
            self.send(&Frame::call(id.clone(), action, request)).await?;
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
            Some(waiter) => {
                let _ = waiter.send(reply);
            }
            None => tracing::debug!(charger = %self.charger_id, %id, "answer to no pending command"),
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

/// Connected chargers by charge point id.
#[derive(Default)]
pub struct ChargerRegistry {
    links: Mutex<HashMap<String, Arc<ChargerLink>>>,
}

impl ChargerRegistry {
    /// Registers a connection. A charger that reconnects replaces its old connection.
    pub fn register(&self, link: Arc<ChargerLink>) {
        self.links.lock().expect("registry lock").insert(link.charger_id.clone(), link);
    }

    /// Removes a connection, unless a newer one of the same charger already replaced it.
    pub fn unregister(&self, link: &Arc<ChargerLink>) {
        let mut links = self.links.lock().expect("registry lock");
        if links.get(&link.charger_id).is_some_and(|current| Arc::ptr_eq(current, link)) {
            links.remove(&link.charger_id);
        }
    }

    pub fn get(&self, charger_id: &str) -> Option<Arc<ChargerLink>> {
        self.links.lock().expect("registry lock").get(charger_id).cloned()
    }

    pub fn is_online(&self, charger_id: &str) -> bool {
        self.links.lock().expect("registry lock").contains_key(charger_id)
    }
}
