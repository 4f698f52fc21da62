//! A monster a user owns.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::MONSTERS;

/// One monster: which one of the game data, how far it has grown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monster {
    /// Minted from the user's id block (unique everywhere).
    pub id: u64,
    /// The game data's monster id (`mon.slime.water.1`).
    pub template: String,
    pub level: u32,
    pub exp: u64,
    /// Rarity steps gained by evolving or awakening.
    pub grade: u32,
    /// A locked monster cannot be fed, sold or used as material.
    pub locked: bool,
    pub acquired_at_ms: i64,
}

impl Entity for Monster {
    type Key = u64;
    const TABLE: &'static TableDef = &MONSTERS;

    fn key(&self) -> u64 {
        self.id
    }

    fn columns(&self) -> Vec<Value> {
        vec![
            Value::Text(self.template.clone()),
            Value::Int(i64::from(self.level)),
            Value::uint(self.exp),
            Value::Int(i64::from(self.grade)),
            Value::Int(i64::from(self.locked)),
            Value::Int(self.acquired_at_ms),
        ]
    }

    fn read(id: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self {
            id,
            template: r.text()?,
            level: r.u32()?,
            exp: r.uint()?,
            grade: r.u32()?,
            locked: r.int()? != 0,
            acquired_at_ms: r.int()?,
        })
    }
}
