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
//! The OCPP message log rides along: a logged frame is queued without waiting for an answer,
//! kept in memory until the next batch and inserted in that batch's transaction (one statement
//! for all of them). Frames that find no batch within [`LOG_DELAY`] get one transaction of their
//! own, so a quiet server commits the log at most that often and a busy one not at all apart.
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
use super::message_log::{LoggedFrame, insert_frames};
use super::{HandledMessage, StoreError, WriteStats};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Most writes in one transaction: a bound on how long the write lock is held at a time.
const MAX_BATCH: usize = 512;

/// How long a logged frame waits for a batch to ride in before it gets a transaction of its own.
pub(super) const LOG_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// Logged frames kept waiting at most; past it new frames are dropped (and counted in the
/// log): the log must never take the server's memory when the disk cannot keep up.
const MAX_PENDING_FRAMES: usize = 20_000;

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
    /// A frame for the message log: nobody waits for it.
    Log(LoggedFrame),
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

    /// Queues a frame for the message log, committed with the next batch; never waits.
    pub(super) fn log(&self, frame: LoggedFrame) {
        let _ = self.requests.send(Request::Log(frame));
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
    let mut frames = Frames::default();
    loop {
        // `Some(None)`: logged frames waited long enough for a write to ride with; they make a
        // batch of their own, which writes queued meanwhile still join.
        let first = match frames.due {
            None => queue.recv().await.map(Some),
            Some(due) => tokio::select! {
                request = queue.recv() => request.map(Some),
                _ = tokio::time::sleep_until(due) => Some(None),
            },
        };
        let Some(first) = first else { break };
        let mut batch: Vec<(Write, Reply)> = Vec::new();
        let mut gather = true;
        match first {
            Some(Request::Write(write, reply)) => batch.push((write, reply)),
            Some(Request::Log(frame)) => {
                frames.push(frame);
                continue;
            }
            Some(Request::Flush(done)) if frames.waiting.is_empty() => {
                let _ = done.send(());
                continue;
            }
            Some(Request::Flush(done)) => {
                flushes.push(done);
                gather = false;
            }
            None => {}
        }
        let tx = pool.begin_with("BEGIN IMMEDIATE").await;
        // Whatever queued while the lock or the previous batch's sync was awaited joins now.
        while gather && batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(Request::Write(write, reply)) => batch.push((write, reply)),
                Ok(Request::Log(frame)) => frames.push(frame),
                Ok(Request::Flush(done)) => {
                    flushes.push(done);
                    break; // what comes after a flush is not waited for by it: next batch
                }
                Err(_) => break,
            }
        }
        stats.queued.fetch_sub(batch.len() as i64, Ordering::Relaxed);
        let results = match tx {
            Ok(tx) => apply_batch(tx, &batch, &mut frames).await,
            Err(e) => {
                tracing::error!(error = %e, writes = batch.len(), frames = frames.waiting.len(), "cannot begin a batch of charger writes; those messages are answered InternalError (and left out of the message log)");
                frames.done();
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

/// Logged frames waiting for a transaction, and when they stop waiting for a batch.
#[derive(Default)]
struct Frames {
    waiting: Vec<LoggedFrame>,
    due: Option<tokio::time::Instant>,
    dropped: u64,
}

impl Frames {
    fn push(&mut self, frame: LoggedFrame) {
        if self.waiting.len() >= MAX_PENDING_FRAMES {
            self.dropped += 1;
            return;
        }
        self.waiting.push(frame);
        self.due.get_or_insert_with(|| tokio::time::Instant::now() + LOG_DELAY);
    }

    /// Inserts the waiting frames under a savepoint of `tx`: a failure loses the frames (logged),
    /// never the batch they ride in.
    async fn insert_in(&mut self, tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>) -> Result<(), StoreError> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        sqlx::query("SAVEPOINT message_log").execute(&mut **tx).await?;
        if let Err(e) = insert_frames(tx, &self.waiting).await {
            tracing::error!(error = %e, frames = self.waiting.len(), "cannot log OCPP frames; they are left out of the message log");
            sqlx::query("ROLLBACK TO message_log").execute(&mut **tx).await?;
        }
        sqlx::query("RELEASE message_log").execute(&mut **tx).await?;
        Ok(())
    }

    /// The frames were committed (or given up): start over.
    fn done(&mut self) {
        if self.dropped > 0 {
            tracing::warn!(dropped = self.dropped, "the message log fell behind; frames were left out of it");
            self.dropped = 0;
        }
        self.waiting.clear();
        self.due = None;
    }
}

/// Applies each write under its own savepoint, then commits them all.
async fn apply_batch(mut tx: sqlx::Transaction<'static, sqlx::Sqlite>, batch: &[(Write, Reply)], frames: &mut Frames) -> Vec<Result<Written, StoreError>> {
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
    if let Err(e) = frames.insert_in(&mut tx).await {
        return fail_all(batch.len(), &e, "the transaction ended under the message log");
    }
    let committed = tx.commit().await;
    // Frames of a failed batch are not tried again: a log that retries could grow without end.
    frames.done();
    if let Err(e) = committed {
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
