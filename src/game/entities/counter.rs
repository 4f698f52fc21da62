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

impl Counter {
    /// The count at `now_ms`: 0 once the reset time has passed.
    pub fn value_at(&self, now_ms: i64) -> i64 {
        if self.resets_at_ms > 0 && now_ms >= self.resets_at_ms { 0 } else { self.value }
    }
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
