//! The user's progress on one stage and difficulty.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::STAGES;

/// Progress on a stage; times are 0 when not (yet) reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// `stage:difficulty` (`stage.01.01:normal`).
    pub key: String,
    /// Best stars earned.
    pub stars: u32,
    pub clears: u64,
    pub first_cleared_at_ms: i64,
    pub best_time_ms: i64,
}

impl Entity for Stage {
    type Key = String;
    const TABLE: &'static TableDef = &STAGES;

    fn key(&self) -> String {
        self.key.clone()
    }

    fn columns(&self) -> Vec<Value> {
        vec![
            Value::Int(i64::from(self.stars)),
            Value::uint(self.clears),
            Value::Int(self.first_cleared_at_ms),
            Value::Int(self.best_time_ms),
        ]
    }

    fn read(key: String, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self { key, stars: r.u32()?, clears: r.uint()?, first_cleared_at_ms: r.int()?, best_time_ms: r.int()? })
    }
}
