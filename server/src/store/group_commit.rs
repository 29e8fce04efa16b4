//! Group commit for the writes on the chargers' hot path (MeterValues and the session they move,
//! the answers kept for retransmissions, StatusNotification, BootNotification, connections).
//!
//! One durable commit is one disk sync, and a sync costs about as much for one message as for a
//! hundred. So these writes go to one writer task through a channel: it takes the first write
//! waiting, begins a transaction (waiting for SQLite's write lock if need be), adds every write
//! that queued meanwhile (no artificial delay: what waits while the disk syncs is the next
//! batch), applies each under a savepoint of its own and commits once. Each caller is answered
//! only after that commit, so an acknowledged MeterValues is on disk, as before.
//!
//! A write that fails on its own (or a session changed by someone else since it was read, the
//! optimistic check) is rolled back to its savepoint and fails alone; a failed commit, or a
//! failure that ended the whole transaction, fails every write of that batch and no other.
//!
//! A charger's write outside the group would lose the write lock to it: the writer begins its
//! next batch as soon as one is committed, while a statement waiting in SQLite's busy handler
//! sleeps between its tries (BootNotifications took seconds during a ramp). So every write a
//! charger's message makes goes through here; the rare ones (a start, a stop) keep their own
//! transactions, which wait for the lock with `BEGIN IMMEDIATE`.

use chargekit_model::ocpp::messages::ChargePointStatus;
use chargekit_model::ocpp::messages::SampledValue;
use sqlx::SqlitePool;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

use super::sessions::{SessionRow, save_session_in};
use super::{HandledMessage, StoreError, WriteStats};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Most writes in one transaction: a bound on how long the write lock is held at a time.
const MAX_BATCH: usize = 512;

/// A write the writer task applies, with everything it needs owned (it crosses tasks).
pub(super) enum Write {
    /// A changed session, if still at the version read, with the meter values that changed it
    /// and the answer to the message that brought them.
    SaveSession { row: SessionRow, meter_values: Vec<(OffsetDateTime, Vec<SampledValue>)>, handled: Option<(String, String, HandledMessage)> },
    MeterValues { session_id: String, values: Vec<(OffsetDateTime, Vec<SampledValue>)> },
    Handled { charger_id: String, message_id: String, handled: HandledMessage },
    /// A StatusNotification: the connector's current status (connector 0 is the charger's own
    /// and has no EVSE row) and its history.
    ConnectorStatus { charger_id: String, connector_id: u32, status: ChargePointStatus, error_code: String, at: OffsetDateTime },
    /// A BootNotification's vendor and model.
    Boot { charger_id: String, vendor: String, model: String, firmware_version: Option<String>, at: OffsetDateTime },
    /// A charger connected or disconnected (the availability history).
    Connection { charger_id: String, connected: bool, at: OffsetDateTime },
}

/// What a write came to.
pub(super) enum Written {
    /// The stored session, or `None` if it changed since it was read (nothing was written).
    Session(Option<SessionRow>),
    Done,
}

enum Request {
    Write(Write, oneshot::Sender<Result<Written, StoreError>>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
}

/// The sending side; cloned with the store.
#[derive(Clone)]
pub(super) struct GroupWriter {
    requests: mpsc::UnboundedSender<Request>,
}

impl GroupWriter {
    /// Starts the writer task on `pool`. The queue needs no bound of its own: every caller
    /// waits for its answer, so it holds at most one write per message being handled.
    pub(super) fn spawn(pool: SqlitePool, stats: Arc<WriteStats>) -> Self {
        let (requests, queue) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, stats, queue));
        Self { requests }
    }

    pub(super) async fn write(&self, stats: &WriteStats, write: Write) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        stats.queued.fetch_add(1, Ordering::Relaxed);
        if self.requests.send(Request::Write(write, reply)).is_err() {
            stats.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::PoolClosed);
        }
        answer.await.unwrap_or(Err(StoreError::PoolClosed))
    }

    /// Waits until every write queued before is committed (or failed).
    pub(super) async fn flush(&self) {
        let (done, flushed) = oneshot::channel();
        if self.requests.send(Request::Flush(done)).is_ok() {
            let _ = flushed.await;
        }
    }
}

type Reply = oneshot::Sender<Result<Written, StoreError>>;

async fn run(pool: SqlitePool, stats: Arc<WriteStats>, mut queue: mpsc::UnboundedReceiver<Request>) {
    let mut flushes: Vec<oneshot::Sender<()>> = Vec::new();
    while let Some(first) = queue.recv().await {
        let mut batch: Vec<(Write, Reply)> = Vec::new();
        match first {
            Request::Write(write, reply) => batch.push((write, reply)),
            Request::Flush(done) => {
                let _ = done.send(());
                continue;
            }
        }
        let tx = pool.begin_with("BEGIN IMMEDIATE").await;
        // Whatever queued while the lock or the previous batch's sync was awaited joins now.
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(Request::Write(write, reply)) => batch.push((write, reply)),
                Ok(Request::Flush(done)) => {
                    flushes.push(done);
                    break; // what comes after a flush is not waited for by it: next batch
                }
                Err(_) => break,
            }
        }
        stats.queued.fetch_sub(batch.len() as i64, Ordering::Relaxed);
        let results = match tx {
            Ok(tx) => apply_batch(tx, &batch).await,
            Err(e) => {
                tracing::error!(error = %e, writes = batch.len(), "cannot begin a batch of charger writes; those messages are answered InternalError");
                batch.iter().map(|_| Err(copy(&e))).collect()
            }
        };
        for ((_, reply), result) in batch.into_iter().zip(results) {
            let _ = reply.send(result);
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Applies each write under its own savepoint, then commits them all.
async fn apply_batch(mut tx: sqlx::Transaction<'static, sqlx::Sqlite>, batch: &[(Write, Reply)]) -> Vec<Result<Written, StoreError>> {
    let mut results = Vec::with_capacity(batch.len());
    for (write, _) in batch {
        if let Err(e) = sqlx::query("SAVEPOINT group_write").execute(&mut *tx).await {
            return fail_all(batch.len(), &e, "cannot open a savepoint");
        }
        let result = apply(&mut tx, write).await;
        let keep = matches!(result, Ok(Written::Done | Written::Session(Some(_))));
        if !keep {
            // A savepoint that is gone means SQLite ended the whole transaction (a full disk,
            // an I/O error): nothing of this batch is written.
            if let Err(e) = sqlx::query("ROLLBACK TO group_write").execute(&mut *tx).await {
                return fail_all(batch.len(), &e, "the transaction ended under a failed write");
            }
        }
        if let Err(e) = sqlx::query("RELEASE group_write").execute(&mut *tx).await {
            return fail_all(batch.len(), &e, "cannot release a savepoint");
        }
        if let Err(e) = &result {
            tracing::error!(error = %e, "a charger write failed; that message is answered InternalError");
        }
        results.push(result);
    }
    if let Err(e) = tx.commit().await {
        return fail_all(batch.len(), &e, "cannot commit a batch of charger writes");
    }
    results
}

fn fail_all(writes: usize, e: &StoreError, what: &str) -> Vec<Result<Written, StoreError>> {
    tracing::error!(error = %e, writes, "{what}; those messages are answered InternalError");
    (0..writes).map(|_| Err(copy(e))).collect()
}

/// A storage error for each caller of a failed batch (sqlx's error is not `Clone`).
fn copy(e: &StoreError) -> StoreError {
    StoreError::Protocol(format!("the batch of writes failed: {e}"))
}

async fn apply(tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>, write: &Write) -> Result<Written, StoreError> {
    match write {
        Write::SaveSession { row, meter_values, handled } => {
            let handled = handled.as_ref().map(|(charger, message, h)| (charger.as_str(), message.as_str(), h));
            save_session_in(tx, row, meter_values, handled).await.map(Written::Session)
        }
        Write::MeterValues { session_id, values } => {
            super::ocpp_log::insert_meter_values(tx, session_id, values).await?;
            Ok(Written::Done)
        }
        Write::Handled { charger_id, message_id, handled } => {
            super::ocpp_log::insert_handled(tx, charger_id, message_id, handled).await?;
            Ok(Written::Done)
        }
        Write::ConnectorStatus { charger_id, connector_id, status, error_code, at } => {
            super::chargers::record_status_in(tx, charger_id, *connector_id, *status, error_code, *at).await?;
            Ok(Written::Done)
        }
        Write::Boot { charger_id, vendor, model, firmware_version, at } => {
            sqlx::query("UPDATE chargers SET vendor = ?, model = ?, firmware_version = ?, last_boot_at = ? WHERE id = ?")
                .bind(vendor)
                .bind(model)
                .bind(firmware_version)
                .bind(at)
                .bind(charger_id)
                .execute(&mut **tx)
                .await?;
            Ok(Written::Done)
        }
        Write::Connection { charger_id, connected, at } => {
            sqlx::query("INSERT INTO charger_connection_events (charger_id, event, at) VALUES (?, ?, ?)")
                .bind(charger_id)
                .bind(if *connected { "connected" } else { "disconnected" })
                .bind(at)
                .execute(&mut **tx)
                .await?;
            Ok(Written::Done)
        }
    }
}
