//! Storage: every SQL statement of the server lives under this module, so another database
//! (PostgreSQL) can be added here without touching the protocol or API code.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a write the server acknowledged (an OCPP
//! CALLRESULT, an HTTP 2xx) is on disk first.

mod alerts;
mod charger_detail;
mod chargers;
mod drivers;
mod fleet;
mod group_commit;
mod message_log;
mod ocpp_log;
mod operators;
mod payments;
mod receipts;
mod review;
pub(crate) mod reports;
// `select_sessions!` is shared with the operator's search.
#[macro_use]
mod sessions;
mod operator_sessions;
mod push;
mod tokens;
mod write_gate;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use alerts::{AlertRow, DeliveryRow, NewAlert};
pub use charger_detail::{NewOperatorCommand, OperatorCommandRow};
pub use chargers::{EvseRow, SeedEvse};
pub use fleet::RevenueTodayRow;
pub use drivers::{DriverRow, NewTokens, RefreshOutcome};
pub use message_log::{Direction, LoggedFrame, MessageRow};
pub use ocpp_log::HandledMessage;
pub use operator_sessions::SessionSearch;
pub use review::{OrphanRow, RefusedTransaction};
pub use sessions::{Inserted, NewSession, SessionRow, StartedSession, is_unique_violation};
pub use payments::{
    Account, LedgerEntry, LedgerKind, LedgerTransactionRow, Leg, NewPayment, PaymentChange, PaymentClose, PaymentMethodRow, PaymentRow,
    PostError, Posted,
};
#[cfg(test)]
pub use payments::is_check_violation_for_tests;
pub use push::{DuePush, NewPushToken, PushTokenRow, QueuedPush};
pub use tokens::{AuthAttempt, IdTokenRow, kind_name, status_name};

/// Connections to the database file; see [`Store::open`].
const POOL_CONNECTIONS: u32 = 4;

/// How long a write waits for SQLite's write lock (its busy timeout), and for its turn.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A storage failure. Callers log it and answer "internal error"; details never reach a driver.
pub type StoreError = sqlx::Error;

/// Creates the database file readable and writable by its owner only (0600), whatever the
/// umask, or makes an existing one (and its `-wal` and `-shm` files) so: it holds the receipt
/// signing key, driver accounts and payments. SQLite creates the `-wal` and `-shm` files with the
/// database file's permissions, so creating the database file first keeps them private too. An
/// existing file that cannot be changed (another user's, opened by `chargekit report`) is
/// warned about, not refused.
#[cfg(unix)]
fn keep_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(file) => return Ok(file.set_permissions(std::fs::Permissions::from_mode(0o600))?),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let Ok(metadata) = std::fs::metadata(&file) else { continue };
        if metadata.is_file()
            && metadata.permissions().mode() & 0o077 != 0
            && let Err(error) = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
        {
            tracing::warn!(file = ?file, %error, "the database file is readable by other users and cannot be made private (chmod 600 it)");
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn keep_private(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
    stats: Arc<WriteStats>,
    /// The chargers' hot-path writes, committed in groups (see `group_commit.rs`).
    writer: group_commit::GroupWriter,
    /// Every writer takes the write lock in its turn (see `write_gate.rs`).
    gate: write_gate::WriteGate,
}

/// What the writes cost, for `/metrics`: how many transactions were committed (each one disk
/// sync, the cost that bounds a busy server) and how many writes wait for theirs to begin.
#[derive(Default)]
pub struct WriteStats {
    commits: AtomicU64,
    queued: AtomicI64,
    /// Batches of the group writer whose first `BEGIN` failed (begun once more).
    begin_retries: AtomicU64,
    /// Batches whose `BEGIN` failed twice: every message in them was answered with an error.
    failed_batches: AtomicU64,
}

impl WriteStats {
    /// Transactions committed on the server's connections since it opened the database
    /// (counted by SQLite's commit hook, so autocommit statements count too).
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Writes asked for whose transaction has not begun yet (waiting for the write lock).
    pub fn queued(&self) -> i64 {
        self.queued.load(Ordering::Relaxed)
    }

    /// Batches of charger writes whose transaction failed to begin once and was begun again.
    pub fn begin_retries(&self) -> u64 {
        self.begin_retries.load(Ordering::Relaxed)
    }

    /// Batches of charger writes that could not begin twice: each of their messages was
    /// answered InternalError.
    pub fn failed_batches(&self) -> u64 {
        self.failed_batches.load(Ordering::Relaxed)
    }
}

/// Counts a write as queued until dropped.
struct Queued<'a>(&'a WriteStats);

impl<'a> Queued<'a> {
    fn new(stats: &'a WriteStats) -> Self {
        stats.queued.fetch_add(1, Ordering::Relaxed);
        Self(stats)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.queued.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        let store = Self::open_with(path, POOL_CONNECTIONS, write_gate::WriteGate::new(BUSY_TIMEOUT)).await?;
        sqlx::migrate!("./migrations").run(&store.pool).await?;
        Ok(store)
    }

    /// [`Store::open`] with writers that wait `busy` (instead of [`BUSY_TIMEOUT`]) for the lock.
    #[cfg(test)]
    pub(super) async fn open_waiting(path: &Path, busy: std::time::Duration) -> Result<Self, StoreError> {
        let store = Self::open_with(path, POOL_CONNECTIONS, write_gate::WriteGate::new(busy)).await?;
        sqlx::migrate!("./migrations").run(&store.pool).await?;
        Ok(store)
    }

    /// A second handle on the same file with its own `connections`, for background work (the
    /// reports' cache warmer) that must not take the connections chargers are answered with.
    /// The schema must be up to date already (this store is open). Its writers queue for the
    /// write lock with this store's.
    pub async fn open_background(&self, path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, 1, self.gate.clone()).await
    }

    async fn open_with(path: &Path, connections: u32, gate: write_gate::WriteGate) -> Result<Self, StoreError> {
        keep_private(path)?;
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(gate.patience());
        // SQLite takes one writer at a time. More connections do not write faster: measured
        // with 16 under 10,000 chargers, writers waiting for the lock ran into the busy timeout
        // (see docs/benchmarks.md).
        let stats = Arc::new(WriteStats::default());
        let counted = stats.clone();
        let pool = SqlitePoolOptions::new()
            .max_connections(connections)
            .after_connect(move |connection, _| {
                let stats = counted.clone();
                Box::pin(async move {
                    connection.lock_handle().await?.set_commit_hook(move || {
                        stats.commits.fetch_add(1, Ordering::Relaxed);
                        true
                    });
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let writer = group_commit::GroupWriter::spawn(pool.clone(), stats.clone(), gate.clone());
        Ok(Self { pool, stats, writer, gate })
    }

    pub fn write_stats(&self) -> &WriteStats {
        &self.stats
    }

    /// Commits the writes still queued, then closes the connections.
    pub async fn close(&self) {
        self.writer.flush().await;
        self.pool.close().await;
    }

    /// A transaction that writes: `BEGIN IMMEDIATE` takes the write lock first, waiting (up to
    /// the busy timeout) for another writer. A deferred `BEGIN` whose first statement reads
    /// holds a snapshot that cannot become a writer once someone else has committed: SQLite
    /// answers "database is locked" at once, whatever the busy timeout. Begun in its turn
    /// (`write_gate.rs`).
    async fn begin_write(&self) -> Result<write_gate::WriteTx, StoreError> {
        let _queued = Queued::new(&self.stats);
        self.gate.begin(&self.pool).await
    }

    /// A connection for one autocommit write statement, taken in its turn (`write_gate.rs`):
    /// every write outside a transaction runs on one of these, never on the pool directly.
    async fn write_connection(&self) -> Result<write_gate::WriteConnection, StoreError> {
        let _queued = Queued::new(&self.stats);
        self.gate.connection(&self.pool).await
    }

    /// A hot-path write, committed with the others queued at the same time; returns once it is
    /// committed (see `group_commit.rs`).
    async fn group_write(&self, write: group_commit::Write) -> Result<group_commit::Written, StoreError> {
        self.writer.write(&self.stats, write).await
    }
}
