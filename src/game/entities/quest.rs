//! The user's progress on one quest of the game data.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::QUESTS;

/// Progress on a quest; times are 0 when not (yet) reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quest {
    /// The game data's quest id (`quest.daily.login`).
    pub id: String,
    pub progress: u64,
    pub completed_at_ms: i64,
    pub claimed_at_ms: i64,
    /// When a daily quest starts over (0: never).
    pub resets_at_ms: i64,
}

impl Entity for Quest {
    type Key = String;
    const TABLE: &'static TableDef = &QUESTS;

    fn key(&self) -> String {
        self.id.clone()
    }

    fn columns(&self) -> Vec<Value> {
        vec![
            Value::uint(self.progress),
            Value::Int(self.completed_at_ms),
            Value::Int(self.claimed_at_ms),
            Value::Int(self.resets_at_ms),
        ]
    }

    fn read(id: String, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self { id, progress: r.uint()?, completed_at_ms: r.int()?, claimed_at_ms: r.int()?, resets_at_ms: r.int()? })
    }
}
