//! A team: the monsters of one of the user's team slots.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::TEAMS;

/// One team slot and its monsters, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// 1 to the game data's number of team slots.
    pub slot: u64,
    pub members: Vec<u64>,
}

impl Entity for Team {
    type Key = u64;
    const TABLE: &'static TableDef = &TEAMS;

    fn key(&self) -> u64 {
        self.slot
    }

    fn columns(&self) -> Vec<Value> {
        vec![Value::Text(ids_text(&self.members))]
    }

    fn read(slot: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self { slot, members: ids_of(&TEAMS, &r.text()?)? })
    }
}

/// Monster ids as a column stores them: `1,2,3`.
pub(super) fn ids_text(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

/// Monster ids read back from their column.
pub(super) fn ids_of(table: &TableDef, text: &str) -> Result<Vec<u64>, RowError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u64>().map_err(|_| RowError::new(table, format!("monster id {s:?} is not an id"))))
        .collect()
}
