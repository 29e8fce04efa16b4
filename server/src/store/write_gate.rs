//! One queue for SQLite's write lock, in arrival order, over every writer of the server: the
//! chargers' group writer, the transactions outside it (a StartTransaction's, a stop's, a
//! payment's, the warmer's) and the single-statement writes.
//!
//! SQLite has no queue of its own. A writer that finds the lock taken waits in the busy
//! handler, which sleeps (up to 100 ms) between its tries; a writer that takes the lock again
//! as soon as it let go (the group writer, batch after batch, under load) keeps winning, and
//! the one sleeping can wait past its busy timeout: a StartTransaction once waited over 5 s
//! behind 7 metering chargers. Here every writer takes a turn (a fair semaphore of one) before
//! it begins, so the lock, once free, goes to whoever asked first. The busy handler still
//! covers what this process does not see (another process on the file).

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::StoreError;

/// The queue; cloned with the store (and shared with its background handle).
#[derive(Clone)]
pub(super) struct WriteGate {
    turns: Arc<Semaphore>,
    /// How long a writer waits for its turn: as long as SQLite's busy timeout, so a writer
    /// fails after the same wait as before rather than never.
    patience: Duration,
}

/// A writer's turn: the lock is this writer's to take until it is dropped.
pub(super) struct Turn(#[allow(dead_code)] OwnedSemaphorePermit);

impl WriteGate {
    pub(super) fn new(patience: Duration) -> Self {
        // Tokio's semaphore is fair: permits go out in the order they were asked for.
        Self { turns: Arc::new(Semaphore::new(1)), patience }
    }

    /// How long a writer waits for its turn, and for SQLite's lock once it has it.
    pub(super) fn patience(&self) -> Duration {
        self.patience
    }

    /// Waits for this writer's turn, in arrival order.
    pub(super) async fn turn(&self) -> Result<Turn, StoreError> {
        match tokio::time::timeout(self.patience, self.turns.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Turn(permit)),
            Ok(Err(_closed)) => Err(StoreError::PoolClosed),
            Err(_) => Err(StoreError::Protocol(format!("waited more than {:?} for the turn to write", self.patience))),
        }
    }

    /// A `BEGIN IMMEDIATE` transaction, begun in this writer's turn.
    pub(super) async fn begin(&self, pool: &SqlitePool) -> Result<WriteTx, StoreError> {
        let turn = self.turn().await?;
        let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx { tx, _turn: turn })
    }

    /// A connection for one autocommit write statement, in this writer's turn.
    pub(super) async fn connection(&self, pool: &SqlitePool) -> Result<WriteConnection, StoreError> {
        let turn = self.turn().await?;
        let connection = pool.acquire().await?;
        Ok(WriteConnection { connection, _turn: turn })
    }
}

/// A write transaction holding its turn until committed or dropped (rolled back).
pub(super) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: Turn,
}

impl WriteTx {
    pub(super) async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await
    }

    /// The transaction itself, for helpers that take one.
    pub(super) fn transaction(&mut self) -> &mut Transaction<'static, Sqlite> {
        &mut self.tx
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.tx
    }
}

/// A pooled connection holding its turn, for one write statement.
pub(super) struct WriteConnection {
    connection: PoolConnection<Sqlite>,
    _turn: Turn,
}

impl Deref for WriteConnection {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        &self.connection
    }
}

impl DerefMut for WriteConnection {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.connection
    }
}
