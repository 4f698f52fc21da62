//! The battle simulation: a deterministic, integer-only fight between the player's team and
//! its enemies, from a battle seed and the player's inputs, so that a client written in any
//! language can reproduce it bit for bit (the rules, exactly, in `docs/BATTLE.md`; test
//! vectors in `gamedata/battle_vectors.json`, checked against this module by a test).
//!
//! [`simulate`] is pure: units, the element table, a seed and inputs in; every action and the
//! outcome out; it reads no game data and no clock. A battle keeps its [`Lineup`] (both sides'
//! units and the element advantages among them, as they started), so its finish and a later
//! replay play it as it started whatever game data is in force by then; [`unit`], [`units`]
//! and [`unit_as_shown`] build units from the game data at the start.

use serde::{Deserialize, Serialize};

use crate::game::data::GameData;
use crate::game::entities::Monster;
use crate::game::stats;

/// The most turns a battle lasts: a battle not won by then is lost.
pub const MAX_TURNS: u32 = 30;
/// The percent a normal attack deals (a skill deals its own `multiplier_pct`).
pub const ATTACK_PCT: u64 = 100;
/// Damage against an element the attacker is strong against, and one strong against it.
pub const STRONG_PCT: u64 = 150;
pub const WEAK_PCT: u64 = 75;
/// A critical hit's chance (percent) and damage (percent).
pub const CRIT_CHANCE_PCT: u64 = 10;
pub const CRIT_PCT: u64 = 150;
/// Damage varies from 90 % to 110 % of its base: the variance roll's range.
pub const VARIANCE_MIN_PCT: u64 = 90;
pub const VARIANCE_ROLLS: u64 = 21;

/// Which enemies a skill hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetRule {
    /// The living enemy in the lowest slot.
    Front,
    /// The living enemy with the fewest hit points (the lowest slot among equals).
    Weakest,
    /// Every living enemy, each hit rolled on its own.
    All,
}

impl TargetRule {
    /// The rule a game-data word names.
    pub fn parse(word: &str) -> Option<Self> {
        match word {
            "front" => Some(Self::Front),
            "weakest" => Some(Self::Weakest),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// A monster's active skill.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// Turns between two uses (1: every turn); ready from the first turn.
    pub cooldown: u32,
    /// The damage it deals, in percent of the attack.
    pub multiplier_pct: u32,
    pub target: TargetRule,
}

/// One fighter, as the battle starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub template: String,
    pub element: String,
    pub hp: u64,
    pub attack: u64,
    pub defense: u64,
    pub skill: Skill,
}

/// Both sides of a battle as it started, with the element advantages among them then: what
/// its finish is simulated on (and a replay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineup {
    pub team: Vec<Unit>,
    pub enemies: Vec<Unit>,
    /// (attacker's element, defender's element) for each pair of the battle's elements where
    /// the first is strong against the second.
    pub advantages: Vec<(String, String)>,
}

impl Lineup {
    /// `team` against `enemies`, keeping the advantages `strong` gives among their elements.
    pub fn new(team: Vec<Unit>, enemies: Vec<Unit>, strong: &dyn Fn(&str, &str) -> bool) -> Self {
        let mut elements: Vec<&str> = team.iter().chain(&enemies).map(|u| u.element.as_str()).collect();
        elements.sort_unstable();
        elements.dedup();
        let advantages = elements
            .iter()
            .flat_map(|a| elements.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| strong(a, b))
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        Self { team, enemies, advantages }
    }

    /// Whether element `a` is strong against element `b` in this battle.
    pub fn strong(&self, a: &str, b: &str) -> bool {
        self.advantages.iter().any(|(x, y)| x == a && y == b)
    }

    /// The battle played from `seed` with `inputs` ([`simulate`]).
    pub fn simulate(&self, seed: u64, inputs: &[Input]) -> Result<Outcome, InputError> {
        simulate(&self.team, &self.enemies, &|a, b| self.strong(a, b), seed, inputs)
    }
}

/// A side of the battle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Team,
    Enemy,
}

impl Side {
    fn other(self) -> Self {
        match self {
            Side::Team => Side::Enemy,
            Side::Enemy => Side::Team,
        }
    }
}

/// A player's input: the unit in team slot `slot` (from 0) uses its skill on turn `turn`
/// (from 1), at enemy slot `target` when the skill hits one enemy (None: its rule picks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub turn: u32,
    pub slot: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<u32>,
}

/// One hit of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub turn: u32,
    pub side: Side,
    pub slot: u32,
    pub skill: bool,
    pub target: u32,
    pub damage: u64,
    pub crit: bool,
    /// The target's hit points after the hit.
    pub hp_after: u64,
}

/// How a battle ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub won: bool,
    /// 3 with no unit of the team down, 2 with at least half of it standing, else 1; 0 for
    /// a loss.
    pub stars: u32,
    /// Turns played.
    pub turns: u32,
    pub hits: Vec<Hit>,
}

/// Why a battle's inputs are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("at most {most} inputs")]
    TooMany { most: usize },
    #[error("input {index}: turn {turn} is not 1 to {MAX_TURNS}")]
    Turn { index: usize, turn: u32 },
    #[error("input {index}: the team has no slot {slot}")]
    Slot { index: usize, slot: u32 },
    #[error("input {index}: the enemies have no slot {target}")]
    Target { index: usize, target: u32 },
    #[error("input {index}: slot {slot} is given twice on turn {turn}")]
    Twice { index: usize, slot: u32, turn: u32 },
}

/// The battle's random numbers: SplitMix64 from the seed (a few lines in any language; the
/// seed is the client's to know, so no secrecy is asked of it).
#[derive(Debug, Clone)]
pub struct Rolls(u64);

impl Rolls {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A roll from 0 to `n` − 1: the next output modulo `n`.
    pub fn roll(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// A fighter during the battle.
struct Fighter {
    side: Side,
    slot: u32,
    unit: Unit,
    hp: u64,
    /// Turns until its skill is ready again (0: ready).
    cooling: u32,
}

/// Checks the player's inputs against a team of `team` units and `enemies` enemies.
pub fn check_inputs(inputs: &[Input], team: usize, enemies: usize) -> Result<(), InputError> {
    let most = MAX_TURNS as usize * team;
    if inputs.len() > most {
        return Err(InputError::TooMany { most });
    }
    let mut seen = std::collections::BTreeSet::new();
    for (index, input) in inputs.iter().enumerate() {
        if !(1..=MAX_TURNS).contains(&input.turn) {
            return Err(InputError::Turn { index, turn: input.turn });
        }
        if input.slot as usize >= team {
            return Err(InputError::Slot { index, slot: input.slot });
        }
        if let Some(target) = input.target.filter(|t| *t as usize >= enemies) {
            return Err(InputError::Target { index, target });
        }
        if !seen.insert((input.turn, input.slot)) {
            return Err(InputError::Twice { index, slot: input.slot, turn: input.turn });
        }
    }
    Ok(())
}

/// Runs the battle of `team` against `enemies` from `seed`, with the player's `inputs` (none:
/// auto-battle, every unit using its skill whenever ready). `strong(a, b)`: element `a` is
/// strong against element `b`.
pub fn simulate(
    team: &[Unit],
    enemies: &[Unit],
    strong: &dyn Fn(&str, &str) -> bool,
    seed: u64,
    inputs: &[Input],
) -> Result<Outcome, InputError> {
    check_inputs(inputs, team.len(), enemies.len())?;
    let mut fighters: Vec<Fighter> = [(Side::Team, team), (Side::Enemy, enemies)]
        .into_iter()
        .flat_map(|(side, units)| {
            units.iter().enumerate().map(move |(slot, unit)| Fighter {
                side,
                slot: slot as u32,
                unit: unit.clone(),
                hp: unit.hp,
                cooling: 0,
            })
        })
        .collect();
    // Nothing to fight on one side (an empty side, or hit points of 0 from the start): lost.
    if standing(&fighters, Side::Team) == 0 || standing(&fighters, Side::Enemy) == 0 {
        return Ok(Outcome { won: false, stars: 0, turns: 0, hits: Vec::new() });
    }
    // The order of play: attack (highest first), then the team before the enemies, then slot.
    fighters.sort_by(|a, b| b.unit.attack.cmp(&a.unit.attack).then(a.side.cmp(&b.side)).then(a.slot.cmp(&b.slot)));
    let mut rolls = Rolls::new(seed);
    let mut hits = Vec::new();
    let auto = inputs.is_empty();
    for turn in 1..=MAX_TURNS {
        for actor in 0..fighters.len() {
            if fighters[actor].hp == 0 {
                continue;
            }
            let (side, slot) = (fighters[actor].side, fighters[actor].slot);
            let ready = fighters[actor].cooling == 0;
            let asked = inputs.iter().find(|i| side == Side::Team && i.turn == turn && i.slot == slot);
            let uses_skill = ready && (asked.is_some() || (side == Side::Enemy || auto));
            let rule = if uses_skill { fighters[actor].unit.skill.target } else { TargetRule::Front };
            let chosen = asked.and_then(|i| i.target);
            let targets = pick(&fighters, side.other(), rule, if uses_skill { chosen } else { None });
            let pct = if uses_skill { u64::from(fighters[actor].unit.skill.multiplier_pct) } else { ATTACK_PCT };
            for target in targets {
                let attacker = &fighters[actor].unit;
                let defender = &fighters[target].unit;
                let (damage, crit) = damage(attacker, defender, pct, strong, &mut rolls);
                let hit = &mut fighters[target];
                hit.hp = hit.hp.saturating_sub(damage);
                hits.push(Hit {
                    turn,
                    side,
                    slot,
                    skill: uses_skill,
                    target: hit.slot,
                    damage,
                    crit,
                    hp_after: hit.hp,
                });
            }
            let fighter = &mut fighters[actor];
            fighter.cooling = if uses_skill { fighter.unit.skill.cooldown } else { fighter.cooling };
            if standing(&fighters, Side::Enemy) == 0 {
                let down = team.len() - standing(&fighters, Side::Team);
                let stars = if down == 0 {
                    3
                } else if standing(&fighters, Side::Team) * 2 >= team.len() {
                    2
                } else {
                    1
                };
                return Ok(Outcome { won: true, stars, turns: turn, hits });
            }
            if standing(&fighters, Side::Team) == 0 {
                return Ok(Outcome { won: false, stars: 0, turns: turn, hits });
            }
        }
        // A turn ends: every skill cools one turn.
        for fighter in &mut fighters {
            fighter.cooling = fighter.cooling.saturating_sub(1);
        }
    }
    Ok(Outcome { won: false, stars: 0, turns: MAX_TURNS, hits })
}

fn standing(fighters: &[Fighter], side: Side) -> usize {
    fighters.iter().filter(|f| f.side == side && f.hp > 0).count()
}

/// The indexes in `fighters` of the living units of `side` that `rule` hits (`chosen`: the
/// enemy slot an input named, when alive and the rule hits one).
fn pick(fighters: &[Fighter], side: Side, rule: TargetRule, chosen: Option<u32>) -> Vec<usize> {
    let living = || fighters.iter().enumerate().filter(|(_, f)| f.side == side && f.hp > 0);
    if rule != TargetRule::All
        && let Some(index) = chosen.and_then(|slot| living().find(|(_, f)| f.slot == slot).map(|(i, _)| i))
    {
        return vec![index];
    }
    let mut all: Vec<(usize, &Fighter)> = living().collect();
    all.sort_by_key(|(_, f)| f.slot);
    match rule {
        TargetRule::All => all.into_iter().map(|(i, _)| i).collect(),
        TargetRule::Front => all.first().map(|(i, _)| *i).into_iter().collect(),
        TargetRule::Weakest => all.iter().min_by_key(|(_, f)| (f.hp, f.slot)).map(|(i, _)| *i).into_iter().collect(),
    }
}

/// One hit's damage and whether it was critical: attack × `pct` / 100, × 150/100 against an
/// element the attacker is strong against (× 75/100 against one strong against it), × 100 /
/// (100 + defense), × (90 + variance roll) / 100, × 150/100 on a critical roll below 10; each
/// step rounded down; at least 1. Two rolls every hit: variance, then critical.
fn damage(
    attacker: &Unit,
    defender: &Unit,
    pct: u64,
    strong: &dyn Fn(&str, &str) -> bool,
    rolls: &mut Rolls,
) -> (u64, bool) {
    let variance = rolls.roll(VARIANCE_ROLLS);
    let crit = rolls.roll(100) < CRIT_CHANCE_PCT;
    let mut dealt = u128::from(attacker.attack) * u128::from(pct) / 100;
    if strong(&attacker.element, &defender.element) {
        dealt = dealt * u128::from(STRONG_PCT) / 100;
    } else if strong(&defender.element, &attacker.element) {
        dealt = dealt * u128::from(WEAK_PCT) / 100;
    }
    dealt = dealt * 100 / (100 + u128::from(defender.defense));
    dealt = dealt * u128::from(VARIANCE_MIN_PCT + variance) / 100;
    if crit {
        dealt = dealt * u128::from(CRIT_PCT) / 100;
    }
    (u64::try_from(dealt).unwrap_or(u64::MAX).max(1), crit)
}

/// The units of `monsters` (a team, in slot order) as the game data makes them: their stats
/// at their level and grade, their element and skill.
pub fn units<'m>(data: &GameData, monsters: impl IntoIterator<Item = &'m Monster>) -> Vec<Unit> {
    monsters.into_iter().map(|m| unit(data, &m.template, m.level, m.grade)).collect()
}

/// The unit of `template` at `level` with `grade` rarity steps gained.
pub fn unit(data: &GameData, template: &str, level: u32, grade: u32) -> Unit {
    let s = stats::stats_of(data, template, level, grade).unwrap_or_default();
    let element = data.monster(template).map(|m| m.element.clone()).unwrap_or_default();
    Unit {
        template: template.to_owned(),
        element,
        hp: s.hp,
        attack: s.attack,
        defense: s.defense,
        skill: skill_of(data, template),
    }
}

/// A unit with the stats another player's snapshot shows (a friend's dungeon team), and its
/// template's skill.
pub fn unit_as_shown(data: &GameData, shown: &summoner_proto::api::MonsterInfo) -> Unit {
    Unit {
        template: shown.template.clone(),
        element: shown.element.clone(),
        hp: shown.hp,
        attack: shown.attack,
        defense: shown.defense,
        skill: skill_of(data, &shown.template),
    }
}

/// `template`'s skill, or [`NO_SKILL`] when the game data gives it none.
fn skill_of(data: &GameData, template: &str) -> Skill {
    data.skill(template).unwrap_or(NO_SKILL)
}

/// What a monster the game data gives no skill fights with: an attack's 100 %, ready on
/// turn 1 and never again within the battle (so it attacks).
pub const NO_SKILL: Skill = Skill { cooldown: MAX_TURNS + 1, multiplier_pct: 100, target: TargetRule::Front };

#[cfg(test)]
mod tests;
