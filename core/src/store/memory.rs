//! [`Store`] in memory: nothing survives the process. For tests, and for a host that wants no
//! history on disk at all.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use super::{Entry, Store, Table, Write};
use crate::error::CoreError;

#[derive(Default)]
pub struct MemoryStore {
    tables: Mutex<HashMap<Table, BTreeMap<Vec<u8>, Vec<u8>>>>,
}

impl Store for MemoryStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, CoreError> {
        Ok(self.tables.lock().expect("memory store lock").get(&table).and_then(|t| t.get(key).cloned()))
    }

    fn apply(&self, writes: Vec<Write>) -> Result<(), CoreError> {
        let mut tables = self.tables.lock().expect("memory store lock");
        for write in writes {
            match write {
                Write::Put { table, key, value } => {
                    tables.entry(table).or_default().insert(key, value);
                }
                Write::Delete { table, key } => {
                    tables.entry(table).or_default().remove(&key);
                }
            }
        }
        Ok(())
    }

    fn scan(&self, table: Table) -> Box<dyn Iterator<Item = Result<Entry, CoreError>> + '_> {
        // A snapshot: writers are not held up by a reader paging through history.
        let entries: Vec<Entry> = self.tables.lock().expect("memory store lock").get(&table).map(|t| t.clone().into_iter().collect()).unwrap_or_default();
        Box::new(entries.into_iter().map(Ok))
    }

    fn clear(&self, tables: &[Table]) -> Result<(), CoreError> {
        let mut all = self.tables.lock().expect("memory store lock");
        for table in tables {
            all.remove(table);
        }
        Ok(())
    }
}
