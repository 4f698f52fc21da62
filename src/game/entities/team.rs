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
        let members: Vec<String> = self.members.iter().map(u64::to_string).collect();
        vec![Value::Text(members.join(","))]
    }

    fn read(slot: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        let text = r.text()?;
        let members = text
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<u64>().map_err(|_| RowError::new(&TEAMS, format!("team member {s:?} is not an id"))))
            .collect::<Result<_, _>>()?;
        Ok(Self { slot, members })
    }
}
