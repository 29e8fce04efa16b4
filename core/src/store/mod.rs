//! Where the core keeps its data on the phone, behind one small trait.
//!
//! [`Store`] is an ordered key-value store with a few named tables, atomic multi-table
//! writes and durability on return — all the session cache ([`crate::cache`]) and the outbox
//! ([`crate::outbox`]) need. They seal values with the cache key before they get here, so a
//! store only ever sees ciphertext. [`SledStore`] is the one on phones (the design asks for
//! sled; `docs/offline-store.md` has the crash evidence); [`MemoryStore`] keeps nothing on disk
//! and shows what another backend (SQLite, say) would have to provide.

mod memory;
mod sled_store;

pub use memory::MemoryStore;
pub use sled_store::SledStore;

use crate::error::CoreError;

/// The tables the core writes. A closed set, so a store can create them all up front.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    /// Session id → sealed session JSON.
    Sessions,
    /// `(u64::MAX - created_at ns, big endian) ++ id` → id: key order is newest first.
    SessionsByTime,
    /// Driver id → history sync cursor (big-endian i64).
    SyncCursors,
    /// Session id → sealed queued stop.
    OutboxStops,
    /// Session id → sealed signed receipt, as the backend sent it.
    Receipts,
    /// Driver event id → sealed event and whether a listener got it (`crate::driver_events`).
    DriverEvents,
}

impl Table {
    pub const ALL: [Table; 6] =
        [Table::Sessions, Table::SessionsByTime, Table::SyncCursors, Table::OutboxStops, Table::Receipts, Table::DriverEvents];

    /// The table's name on disk; never change one, or existing caches lose that table.
    pub fn name(self) -> &'static str {
        match self {
            Table::Sessions => "sessions",
            Table::SessionsByTime => "sessions_by_time",
            Table::SyncCursors => "sync",
            Table::OutboxStops => "outbox_stops",
            Table::Receipts => "receipts",
            Table::DriverEvents => "driver_events",
        }
    }
}

/// One change in a [`Store::apply`] batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Put { table: Table, key: Vec<u8>, value: Vec<u8> },
    Delete { table: Table, key: Vec<u8> },
}

/// An entry read by [`Store::scan`].
pub type Entry = (Vec<u8>, Vec<u8>);

pub trait Store: Send + Sync {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, CoreError>;

    /// Applies every write or none (a killed app leaves no half batch), and returns only once
    /// the batch is durable.
    fn apply(&self, writes: Vec<Write>) -> Result<(), CoreError>;

    /// The table's entries in ascending key order, read lazily (history pages read only what
    /// they show).
    fn scan(&self, table: Table) -> Box<dyn Iterator<Item = Result<Entry, CoreError>> + '_>;

    /// Empties the tables, durably.
    fn clear(&self, tables: &[Table]) -> Result<(), CoreError>;
}

impl Write {
    pub fn put(table: Table, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> Self {
        Write::Put { table, key: key.into(), value: value.into() }
    }

    pub fn delete(table: Table, key: impl Into<Vec<u8>>) -> Self {
        Write::Delete { table, key: key.into() }
    }
}

#[cfg(test)]
mod contract_tests {
    //! What every [`Store`] must do, run against each implementation.

    use super::*;

    fn stores() -> Vec<(&'static str, Box<dyn Store>, tempfile::TempDir)> {
        let dir = tempfile::tempdir().unwrap();
        let sled = SledStore::open(dir.path()).unwrap();
        vec![("sled", Box::new(sled), dir), ("memory", Box::new(MemoryStore::default()), tempfile::tempdir().unwrap())]
    }

    #[test]
    fn batches_apply_in_order_and_tables_are_separate() {
        for (name, store, _dir) in stores() {
            store
                .apply(vec![
                    Write::put(Table::Sessions, "b", "2"),
                    Write::put(Table::Sessions, "a", "1"),
                    Write::put(Table::OutboxStops, "a", "stop"),
                    Write::put(Table::Sessions, "c", "3"),
                    Write::delete(Table::Sessions, "c"),
                ])
                .unwrap();
            let keys: Vec<_> = store.scan(Table::Sessions).map(|e| e.unwrap()).collect();
            assert_eq!(keys, vec![(b"a".to_vec(), b"1".to_vec()), (b"b".to_vec(), b"2".to_vec())], "{name}");
            assert_eq!(store.get(Table::OutboxStops, b"a").unwrap().as_deref(), Some(&b"stop"[..]), "{name}");
            assert_eq!(store.get(Table::SyncCursors, b"a").unwrap(), None, "{name}");
            store.clear(&[Table::Sessions]).unwrap();
            assert_eq!(store.scan(Table::Sessions).count(), 0, "{name}");
            assert!(store.get(Table::OutboxStops, b"a").unwrap().is_some(), "{name}: other tables stay");
        }
    }

    #[test]
    fn sled_keeps_what_it_acknowledged_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path()).unwrap();
            store.apply(vec![Write::put(Table::SyncCursors, "driver", 7i64.to_be_bytes())]).unwrap();
        }
        let store = SledStore::open(dir.path()).unwrap();
        assert_eq!(store.get(Table::SyncCursors, b"driver").unwrap(), Some(7i64.to_be_bytes().to_vec()));
    }
}
