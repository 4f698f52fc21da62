//! A friend of the user (each direction of a friendship is its own row).

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::FRIENDS;

/// A friend: their user id, since when, and where their rows live. (The day's gift and
/// dungeon visit are counters named after the friend, `crate::game::friends::gifted`: they
/// outlive a friendship ended and made again the same day.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Friend {
    /// The friend's user id.
    pub id: u64,
    pub since_ms: i64,
    /// The friend's game shard (-1: not known, a friendship older than the column).
    pub shard: i16,
}

impl Friend {
    /// A friendship with `id` (on game shard `shard`) starting at `since_ms`.
    pub fn new(id: u64, shard: i16, since_ms: i64) -> Self {
        Self { id, since_ms, shard }
    }
}

impl Entity for Friend {
    type Key = u64;
    const TABLE: &'static TableDef = &FRIENDS;

    fn key(&self) -> u64 {
        self.id
    }

    fn columns(&self) -> Vec<Value> {
        vec![Value::Int(self.since_ms), Value::Int(i64::from(self.shard))]
    }

    fn read(id: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self { id, since_ms: r.int()?, shard: r.i16()? })
    }
}
