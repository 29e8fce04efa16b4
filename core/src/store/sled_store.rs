//! [`Store`] on sled, sized for a phone: an 8 MiB page cache instead of sled's 1 GiB default,
//! and a flush before every write returns (sled otherwise flushes in the background, every
//! 500 ms, and a killed app would lose what it was told was saved).

use std::collections::HashMap;
use std::path::Path;

use sled::Transactional;
use sled::transaction::ConflictableTransactionError;

use super::{Entry, Store, Table, Write};
use crate::error::CoreError;

const CACHE_CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

pub struct SledStore {
    db: sled::Db,
    trees: HashMap<Table, sled::Tree>,
}

impl SledStore {
    /// Opens (or creates) the store in `dir/cache`.
    pub fn open(dir: &Path) -> Result<Self, CoreError> {
        let path = dir.join("cache");
        remove_unfinished_snapshots(&path)?;
        let db = sled::Config::new().path(&path).cache_capacity(CACHE_CAPACITY_BYTES).open()?;
        let trees = Table::ALL.iter().map(|&t| Ok((t, db.open_tree(t.name())?))).collect::<Result<_, sled::Error>>()?;
        Ok(Self { db, trees })
    }

    fn tree(&self, table: Table) -> &sled::Tree {
        &self.trees[&table] // every table is opened in `open`
    }
}

impl Store for SledStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, CoreError> {
        Ok(self.tree(table).get(key)?.map(|v| v.to_vec()))
    }

    fn apply(&self, writes: Vec<Write>) -> Result<(), CoreError> {
        // The tables a batch touches join one sled transaction, in a fixed order.
        let mut tables: Vec<Table> = writes.iter().map(|w| match w { Write::Put { table, .. } | Write::Delete { table, .. } => *table }).collect();
        tables.sort();
        tables.dedup();
        let trees: Vec<sled::Tree> = tables.iter().map(|&t| self.tree(t).clone()).collect();
        trees
            .as_slice()
            .transaction(|tx| {
                for write in &writes {
                    match write {
                        Write::Put { table, key, value } => {
                            tx[position(&tables, *table)].insert(key.as_slice(), value.as_slice())?;
                        }
                        Write::Delete { table, key } => {
                            tx[position(&tables, *table)].remove(key.as_slice())?;
                        }
                    }
                }
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e| CoreError::Storage(format!("{e:?}")))?;
        self.db.flush()?;
        Ok(())
    }

    fn scan(&self, table: Table) -> Box<dyn Iterator<Item = Result<Entry, CoreError>> + '_> {
        Box::new(self.tree(table).iter().map(|entry| entry.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(CoreError::from)))
    }

    fn clear(&self, tables: &[Table]) -> Result<(), CoreError> {
        for &table in tables {
            self.tree(table).clear()?;
        }
        self.db.flush()?;
        Ok(())
    }
}

/// sled writes a snapshot to `snap.<lsn>.generating`, syncs it and renames it to
/// `snap.<lsn>`. An app killed before the rename leaves the `.generating` file, and sled 0.34
/// reads it at the next open as the newest snapshot (it sorts after the finished one): its
/// truncated end fails the checksum and the whole store refuses to open. Such a file was
/// never a snapshot; the finished one before it, and the log since, are still whole.
fn remove_unfinished_snapshots(path: &Path) -> Result<(), CoreError> {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(CoreError::Storage(format!("cannot read {}: {e}", path.display()))),
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(entry.path()).map_err(|e| CoreError::Storage(format!("cannot remove {name}: {e}")))?;
        }
    }
    Ok(())
}

fn position(tables: &[Table], table: Table) -> usize {
    tables.iter().position(|&t| t == table).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_left_unfinished_by_a_kill_does_not_stop_the_store_opening() {
        let dir = tempfile::tempdir().unwrap();
        let write = Write::Put { table: Table::ALL[0], key: b"k".to_vec(), value: b"v".to_vec() };
        SledStore::open(dir.path()).unwrap().apply(vec![write]).unwrap();
        // What a kill in the middle of sled's snapshot write leaves: a few bytes, no checksum.
        std::fs::write(dir.path().join("cache").join("snap.00000000FFFFFFFF.generating"), b"\x01\x02\x03").unwrap();

        let store = SledStore::open(dir.path()).expect("the store opens");
        assert_eq!(store.get(Table::ALL[0], b"k").unwrap(), Some(b"v".to_vec()), "what was written is there");
        assert!(!dir.path().join("cache").join("snap.00000000FFFFFFFF.generating").exists());
    }
}
