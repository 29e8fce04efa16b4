//! Live session state for the SSE streams: one `watch` channel per session that is being
//! watched or is still running. A watch keeps only the newest value, so a slow client skips
//! intermediate states instead of slowing the charger's handler down.
//!
//! Every session change also reaches the operator's fleet board ([`crate::fleet`]), which the
//! chargers' other messages (status, boot, heartbeat, connection) feed as well.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chargekit_model::Session;
use tokio::sync::watch;
use uuid::Uuid;

use crate::fleet::FleetBoard;

#[derive(Default)]
pub struct LiveHub {
    channels: Mutex<HashMap<Uuid, watch::Sender<Session>>>,
    /// The operator's fleet board.
    pub fleet: Arc<FleetBoard>,
}

impl LiveHub {
    /// Publishes a new state. A final state is sent, then the channel is dropped: watchers see
    /// it and then the end of the stream.
    pub fn publish(&self, session: &Session) {
        self.fleet.on_session(session);
        let mut channels = self.channels.lock().expect("live hub lock");
        if session.status.is_final() {
            if let Some(sender) = channels.remove(&session.id) {
                sender.send_replace(session.clone());
            }
            return;
        }
        match channels.get(&session.id) {
            // Versions only go up: an older state read by a slower writer is not published.
            Some(sender) => replace_if_newer(sender, session),
            None => {
                channels.insert(session.id, watch::Sender::new(session.clone()));
            }
        }
    }

    /// Watches a session, starting from `current` (read from the store) unless a newer state
    /// is already live. For a final session the receiver holds it and is already closed.
    pub fn subscribe(&self, current: Session) -> watch::Receiver<Session> {
        if current.status.is_final() {
            return watch::Sender::new(current).subscribe();
        }
        let mut channels = self.channels.lock().expect("live hub lock");
        let sender = channels.entry(current.id).or_insert_with(|| watch::Sender::new(current.clone()));
        replace_if_newer(sender, &current);
        sender.subscribe()
    }
}

fn replace_if_newer(sender: &watch::Sender<Session>, session: &Session) {
    sender.send_if_modified(|current| {
        let newer = session.version > current.version;
        if newer {
            *current = session.clone();
        }
        newer
    });
}
