//! A counter that starts over at a reset time (daily purchases, daily gifts).

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::COUNTERS;

/// A named count and when it resets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// What it counts (`shop.stamina.small`, `gift.sent`).
    pub name: String,
    pub value: i64,
    /// When the count starts over at 0 (0: never).
    pub resets_at_ms: i64,
}

impl Entity for Counter {
    type Key = String;
    const TABLE: &'static TableDef = &COUNTERS;

    fn key(&self) -> String {
        self.name.clone()
    }

    fn columns(&self) -> Vec<Value> {
        vec![Value::Int(self.value), Value::Int(self.resets_at_ms)]
    }

    fn read(name: String, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self { name, value: r.int()?, resets_at_ms: r.int()? })
    }
}
