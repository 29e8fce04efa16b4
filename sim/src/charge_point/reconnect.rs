//! The link task: it waits for the socket's I/O task to end and then either ends the charge
//! point's connection for good or, when [`crate::SimConfig::reconnect`] asks for it, opens a
//! new socket with backoff and boots on it, the way a real charge point comes back after its
//! central system restarted. Transactions keep running meanwhile; their messages wait in
//! [`CallKind::Queued`] for the new connection.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::Shared;
use crate::config::Backoff;
use crate::connection::{self, IncomingCall};
use crate::error::SimError;
use crate::events::SimEvent;

/// Supervises the connection from the first socket (`io_task`) on. Holds the sender of the
/// central system's CALLs, so the behaviour task ends once this task has.
pub(super) async fn run_link(
    shared: Arc<Shared>,
    mut io_task: JoinHandle<()>,
    incoming: mpsc::UnboundedSender<IncomingCall>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        // A task that panicked has logged why; either way the socket is gone.
        let _ = (&mut io_task).await;
        shared.connection.detach();
        let Some(backoff) = shared.config.reconnect else { break };
        if stopping(&shutdown) {
            break;
        }
        tracing::warn!(charge_point = %shared.id(), "connection lost; reconnecting");
        shared.emit(SimEvent::ConnectionLost);
        match reconnect(&shared, backoff, &incoming, &mut shutdown).await {
            Some(next) => io_task = next,
            None => break,
        }
    }
    // Before the event, so whoever sees it finds the charge point closed.
    shared.connection.close_for_good();
    shared.emit(SimEvent::Disconnected);
}

fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    // A dropped handle (closed channel) stops the charge point as well.
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

/// Tries until a new socket is booted (its I/O task), the server refuses the charge point, or
/// the charge point is shut down (`None` for both).
async fn reconnect(
    shared: &Shared,
    backoff: Backoff,
    incoming: &mpsc::UnboundedSender<IncomingCall>,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let mut delay = backoff.initial;
    loop {
        let for_socket = shutdown.clone();
        let attempt = async {
            tokio::time::sleep(Backoff::jittered(delay)).await;
            reconnect_once(shared, incoming, for_socket).await
        };
        let result = tokio::select! {
            result = attempt => result,
            _ = async { shutdown.wait_for(|stop| *stop).await.map(|_| ()) } => return None,
        };
        match result {
            Ok(io_task) => return Some(io_task),
            Err(error) if error.is_permanent() => {
                tracing::error!(charge_point = %shared.id(), %error, "the server refused the charge point; it stops reconnecting");
                shared.emit(SimEvent::Refused { error: error.to_string() });
                return None;
            }
            Err(error) => {
                delay = backoff.next(delay);
                tracing::info!(charge_point = %shared.id(), %error, retry_in = ?delay, "reconnect failed");
                shared.emit(SimEvent::ReconnectFailed { error: error.to_string(), retry_in: delay });
            }
        }
    }
}

/// Opens a socket, boots on it (BootNotification, then the status of every connector as it is
/// now) and lets the queued transaction messages go.
async fn reconnect_once(
    shared: &Shared,
    incoming: &mpsc::UnboundedSender<IncomingCall>,
    shutdown: watch::Receiver<bool>,
) -> Result<JoinHandle<()>, SimError> {
    let socket = connection::open(&shared.config).await?;
    let io_task = shared.connection.attach(socket, shared.id(), shutdown, incoming.clone(), None);
    if let Err(error) = shared.boot().await {
        // Letting go of the socket ends its I/O task, which closes it.
        shared.connection.detach();
        let _ = io_task.await;
        return Err(error);
    }
    shared.report_every_status().await;
    shared.connection.go_online();
    tracing::info!(charge_point = %shared.id(), "reconnected and booted");
    shared.emit(SimEvent::Connected);
    Ok(io_task)
}

