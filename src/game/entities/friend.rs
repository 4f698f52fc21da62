//! A friend of the user (each direction of a friendship is its own row).

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::FRIENDS;

/// A friend: their user id and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Friend {
    /// The friend's user id.
    pub id: u64,
    pub since_ms: i64,
}

impl Entity for Friend {
    type Key = u64;
    const TABLE: &'static TableDef = &FRIENDS;

    fn key(&self) -> u64 {
        self.id
    }

    fn columns(&self) -> Vec<Value> {
        vec![Value::Int(self.since_ms)]
    }

    fn read(id: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self { id, since_ms: r.int()? })
    }
}
