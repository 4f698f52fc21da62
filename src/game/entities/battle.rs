//! A battle the user started and has not finished.

use super::Entity;
use crate::storage::rows::{RowError, RowReader, TableDef, Value};
use crate::storage::tables::BATTLES;

/// An open battle, keyed by its single-use token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Battle {
    /// Drawn from the user's stream when the battle started (below 2^63).
    pub token: u64,
    /// `stage:difficulty`, or `friend:<user id>` for a friend's dungeon.
    pub stage: String,
    pub team_slot: u64,
    /// The monsters that fight it (the team as it was at the start).
    pub members: Vec<u64>,
    /// The team's power against the stage when it started.
    pub power: u64,
    /// The enemies' power when it started (what its finish is judged against, whatever the
    /// game data or the friend's team became meanwhile).
    pub enemy_power: u64,
    pub started_at_ms: i64,
    pub expires_at_ms: i64,
    /// The units as the battle started (`crate::game::battle_sim::Lineup`, as JSON); empty
    /// for a battle started before the simulation judged battles.
    pub lineup: String,
}

impl Entity for Battle {
    type Key = u64;
    const TABLE: &'static TableDef = &BATTLES;

    fn key(&self) -> u64 {
        self.token
    }

    fn columns(&self) -> Vec<Value> {
        vec![
            Value::Text(self.stage.clone()),
            Value::uint(self.team_slot),
            Value::Text(super::team::ids_text(&self.members)),
            Value::uint(self.power),
            Value::uint(self.enemy_power),
            Value::Int(self.started_at_ms),
            Value::Int(self.expires_at_ms),
            Value::Text(self.lineup.clone()),
        ]
    }

    fn read(token: u64, r: &mut RowReader<'_>) -> Result<Self, RowError> {
        Ok(Self {
            token,
            stage: r.text()?,
            team_slot: r.uint()?,
            members: super::team::ids_of(&BATTLES, &r.text()?)?,
            power: r.uint()?,
            enemy_power: r.uint()?,
            started_at_ms: r.int()?,
            expires_at_ms: r.int()?,
            lineup: r.text()?,
        })
    }
}
