//! Monster stats and battle power, derived from the game data: a template's base stats,
//! its growth per level, the rarity steps gained by evolving, and elements.
//!
//! The rules, as `docs/PROTOCOL.md` documents them for clients:
//! - a stat at level L is `base + growth × (L − 1)`, raised by `evolve_stat_pct` percent of
//!   itself for every rarity step gained by evolving (the percentage of the rarity evolved from);
//! - a monster's power is `hp / 10 + attack + defense`;
//! - in a battle, a monster whose element is strong against an enemy's element counts its
//!   power 20% higher (once, whatever the number of such enemies);
//! - a stage's enemy power is the sum of its enemies' powers at the stage's enemy level.

use crate::game::data::GameData;
use crate::game::entities::Monster;

/// Hit points, attack and defense.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    pub hp: u64,
    pub attack: u64,
    pub defense: u64,
}

impl Stats {
    /// The power these stats give.
    pub fn power(&self) -> u64 {
        self.hp / 10 + self.attack + self.defense
    }
}

/// The stats of `template` at `level` with `grade` rarity steps gained; None for a template
/// the game data does not have.
pub fn stats_of(data: &GameData, template: &str, level: u32, grade: u32) -> Option<Stats> {
    let m = data.monster(template)?;
    let grown = |base: u32, growth: u32| u64::from(base) + u64::from(growth) * u64::from(level.max(1) - 1);
    let mut stats = Stats {
        hp: grown(m.base_hp, m.growth_hp),
        attack: grown(m.base_attack, m.growth_attack),
        defense: grown(m.base_defense, m.growth_defense),
    };
    for step in 0..grade {
        let pct = data.rarity(m.rarity + step).map_or(0, |r| u64::from(r.evolve_stat_pct));
        for stat in [&mut stats.hp, &mut stats.attack, &mut stats.defense] {
            *stat += *stat * pct / 100;
        }
    }
    Some(stats)
}

/// A monster's stats (zero for a template no longer in the game data).
pub fn monster_stats(data: &GameData, monster: &Monster) -> Stats {
    stats_of(data, &monster.template, monster.level, monster.grade).unwrap_or_default()
}

/// The power of the strongest team `monsters` could field (the `size` strongest of them)
/// against enemies of `enemy_elements`: what a player cannot lower by choosing a weak team.
pub fn strongest_team_power<'m>(
    data: &GameData,
    monsters: impl IntoIterator<Item = &'m Monster>,
    size: usize,
    enemy_elements: &[String],
) -> u64 {
    let mut powers: Vec<u64> = monsters.into_iter().map(|m| team_power(data, [m], enemy_elements)).collect();
    powers.sort_unstable_by(|a, b| b.cmp(a));
    powers.into_iter().take(size).sum()
}

/// A team's power against enemies of `enemy_elements` (none: no element bonus).
pub fn team_power<'m>(data: &GameData, team: impl IntoIterator<Item = &'m Monster>, enemy_elements: &[String]) -> u64 {
    team.into_iter()
        .map(|monster| {
            let power = monster_stats(data, monster).power();
            let element = data.monster(&monster.template).map(|m| m.element.as_str()).unwrap_or("");
            if enemy_elements.iter().any(|enemy| data.strong_against(element, enemy)) {
                power + power / 5
            } else {
                power
            }
        })
        .sum()
}
