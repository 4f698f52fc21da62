//! The world's content sheets: elements, monsters, summon pools and stages, each checked
//! against what it refers to (unknown or duplicate ids, non-positive weights, rarities out
//! of range, stages no player can reach).

use std::collections::{HashMap, HashSet};

use summoner_proto::gamedata::{
    Currency, Element, Monster, Skill, Stage, StageLevel, StarterMonster, SummonPool, Weighted,
};

use super::{Builder, DIFFICULTIES, MAX_RARITY, STARTER_BOX_MOST, currency, new_id};

/// The target rules a skill may name (`crate`'s server reads them as `battle_sim::TargetRule`).
const SKILL_TARGETS: [&str; 3] = ["front", "weakest", "all"];
use crate::links::check_reachability;
use crate::problem::Problems;
use crate::sheet::Sheet;

impl Builder {
    pub(super) fn elements(&mut self, sheet: &Sheet) -> Vec<Element> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for row in sheet.each() {
            let Some(uid) = new_id(&mut seen, &row, "uid", &mut self.problems) else {
                continue;
            };
            let name_key = self.key(&row, "name_key");
            out.push(Element { uid, name_key, strong_against: row.list("strong_against") });
        }
        let ids: HashSet<String> = out.iter().map(|e| e.uid.clone()).collect();
        for (row, element) in sheet.each().zip(&out) {
            for target in &element.strong_against {
                if !ids.contains(target) {
                    row.problem(&mut self.problems, "strong_against", format!("unknown element {target:?}"));
                }
            }
        }
        out
    }

    /// The starter box: known monsters, each once, at most [`STARTER_BOX_MOST`] in all (they
    /// are minted by the player's first request, beside what that request mints itself).
    pub(super) fn starter_box(&mut self, sheet: &Sheet, monsters: &HashMap<&str, u32>) -> Vec<StarterMonster> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for row in sheet.each() {
            let p = &mut self.problems;
            let monster = row.str("monster").to_owned();
            if !monsters.contains_key(monster.as_str()) {
                row.problem(p, "monster", format!("unknown monster {monster:?}"));
            } else if !seen.insert(monster.clone()) {
                row.problem(p, "monster", format!("{monster} is listed twice; give it one row with its count"));
            }
            let count = row.number("count", 1, i64::from(STARTER_BOX_MOST), p).unwrap_or(1) as u32;
            out.push(StarterMonster { monster, count });
        }
        let total: u32 = out.iter().map(|m| m.count).sum();
        if total > STARTER_BOX_MOST {
            self.problems
                .sheet(&sheet.name, format!("the starter box holds {total} monsters; at most {STARTER_BOX_MOST}"));
        }
        out
    }

    /// Every monster's active skill, once each: a cooldown of 1 to 10 turns, a multiplier of
    /// 10 to 1,000 percent, a target rule (`front`, `weakest`, `all`).
    pub(super) fn skills(&mut self, sheet: &Sheet, monsters: &[Monster]) -> Vec<Skill> {
        let known: HashSet<&str> = monsters.iter().map(|m| m.uid.as_str()).collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for row in sheet.each() {
            let p = &mut self.problems;
            let monster = row.str("monster").to_owned();
            if !known.contains(monster.as_str()) {
                row.problem(p, "monster", format!("unknown monster {monster:?}"));
            } else if !seen.insert(monster.clone()) {
                row.problem(p, "monster", format!("{monster} has a skill already; a monster has one"));
            }
            let cooldown = row.number("cooldown", 1, 10, p).unwrap_or(1) as u32;
            let multiplier_pct = row.number("multiplier_pct", 10, 1_000, p).unwrap_or(100) as u32;
            let target = row.str("target").to_owned();
            if !SKILL_TARGETS.contains(&target.as_str()) {
                row.problem(p, "target", format!("{target:?} is not one of {SKILL_TARGETS:?}"));
            }
            out.push(Skill { monster, cooldown, multiplier_pct, target });
        }
        for monster in monsters.iter().filter(|m| !seen.contains(&m.uid)) {
            self.problems.sheet(&sheet.name, format!("{} has no skill", monster.uid));
        }
        out
    }

    pub(super) fn monsters(&mut self, sheet: &Sheet, elements: &HashSet<&str>) -> Vec<Monster> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for row in sheet.each() {
            let p = &mut self.problems;
            let Some(uid) = new_id(&mut seen, &row, "uid", p) else {
                continue;
            };
            let element = row.str("element").to_owned();
            if !elements.contains(element.as_str()) {
                row.problem(p, "element", format!("unknown element {element:?}"));
            }
            let rarity = row.number("rarity", 1, MAX_RARITY, p).unwrap_or(1) as u32;
            let stats: Vec<u32> =
                ["base_hp", "base_attack", "base_defense", "growth_hp", "growth_attack", "growth_defense"]
                    .iter()
                    .map(|c| row.u32(c, 1, p).unwrap_or(0))
                    .collect();
            let name_key = self.key(&row, "name_key");
            out.push(Monster {
                uid,
                name_key,
                element,
                rarity,
                base_hp: stats[0],
                base_attack: stats[1],
                base_defense: stats[2],
                growth_hp: stats[3],
                growth_attack: stats[4],
                growth_defense: stats[5],
            });
        }
        out
    }

    pub(super) fn pools(&mut self, sheet: &Sheet, monsters: &HashMap<&str, u32>) -> Vec<SummonPool> {
        let mut out: Vec<SummonPool> = Vec::new();
        for row in sheet.each() {
            let Some(pool_id) = row.text("pool", &mut self.problems) else {
                continue;
            };
            let cost_currency = currency(row.str("cost_currency"));
            if cost_currency.is_none() {
                row.problem(&mut self.problems, "cost_currency", "must be gold or gems");
            }
            let cost = row.u32("cost", 1, &mut self.problems).unwrap_or(0);
            let monster = row.str("monster").to_owned();
            if !monsters.contains_key(monster.as_str()) {
                row.problem(&mut self.problems, "monster", format!("unknown monster {monster:?}"));
            }
            let weight = row.number("weight", 1, i64::from(u32::MAX), &mut self.problems).unwrap_or(0) as u32;
            let ten_cost = row.u32("ten_cost", 1, &mut self.problems).unwrap_or(0);
            let pity_after = row.u32("pity_after", 0, &mut self.problems).unwrap_or(0);
            let pity_rarity = row.number("pity_rarity", 0, MAX_RARITY, &mut self.problems).unwrap_or(0) as u32;
            if (pity_after == 0) != (pity_rarity == 0) {
                row.problem(
                    &mut self.problems,
                    "pity_rarity",
                    "pity needs both pity_after and pity_rarity, or neither",
                );
            }
            let index = match out.iter().position(|p| p.uid == pool_id) {
                Some(i) => i,
                None => {
                    let name_key = self.key(&row, "name_key");
                    out.push(SummonPool {
                        uid: pool_id.clone(),
                        name_key,
                        cost_currency: cost_currency.unwrap_or(Currency::Unspecified) as i32,
                        cost,
                        entries: Vec::new(),
                        ten_cost,
                        rarity_weights: Vec::new(),
                        pity_after,
                        pity_rarity,
                    });
                    out.len() - 1
                }
            };
            let pool = &mut out[index];
            if pool.cost != cost
                || pool.ten_cost != ten_cost
                || pool.pity_after != pity_after
                || pool.pity_rarity != pity_rarity
                || pool.cost_currency != cost_currency.unwrap_or(Currency::Unspecified) as i32
            {
                row.problem(
                    &mut self.problems,
                    "cost",
                    format!("cost, ten_cost or pity differs from the first row of pool {pool_id:?}"),
                );
            }
            if pool.entries.iter().any(|e| e.uid == monster) {
                row.problem(&mut self.problems, "monster", format!("{monster:?} is already in pool {pool_id:?}"));
            }
            pool.entries.push(Weighted { uid: monster, weight });
        }
        out
    }

    pub(super) fn stages(&mut self, sheet: &Sheet, monsters: &HashMap<&str, u32>) -> Vec<Stage> {
        let mut out: Vec<Stage> = Vec::new();
        let mut rows_of: HashMap<String, usize> = HashMap::new();
        let mut unlocks: Vec<(String, String, usize)> = Vec::new();
        for row in sheet.each() {
            let p = &mut self.problems;
            let Some(stage_id) = row.text("stage", p) else {
                continue;
            };
            let difficulty = row.str("difficulty").to_owned();
            if !DIFFICULTIES.contains(&difficulty.as_str()) {
                row.problem(p, "difficulty", format!("{difficulty:?} is not normal, hard or hell"));
                continue;
            }
            let chapter = row.u32("chapter", 1, p).unwrap_or(0);
            let check = |column: &str, uids: &[String], p: &mut Problems| {
                for uid in uids {
                    if !monsters.contains_key(uid.as_str()) {
                        row.problem(p, column, format!("unknown monster {uid:?}"));
                    }
                }
            };
            let enemies = row.list("enemies");
            if enemies.is_empty() {
                row.problem(p, "enemies", "a stage needs at least one enemy");
            }
            check("enemies", &enemies, p);
            let drops = row.weighted("drops", p);
            check("drops", &drops.iter().map(|(u, _)| u.clone()).collect::<Vec<_>>(), p);
            let mut seen_drops = HashSet::new();
            for (uid, _) in &drops {
                if !seen_drops.insert(uid) {
                    row.problem(p, "drops", format!("{uid:?} is listed twice"));
                }
            }
            let display = row.list("display_mons");
            check("display_mons", &display, p);
            let level = StageLevel {
                stamina_cost: row.u32("stamina_cost", 1, p).unwrap_or(0),
                enemies,
                drops: drops.into_iter().map(|(uid, weight)| Weighted { uid, weight }).collect(),
                unlock_after: row.str("unlock_after").to_owned(),
                display_mons: display,
                enemy_level: row.u32("enemy_level", 1, p).unwrap_or(1),
                min_clear_secs: row.u32("min_clear_secs", 1, p).unwrap_or(1),
                gold: row.u32("gold", 0, p).unwrap_or(0),
                user_exp: row.u32("user_exp", 0, p).unwrap_or(0),
                monster_exp: row.u32("monster_exp", 0, p).unwrap_or(0),
                first_clear_gems: row.u32("first_clear_gems", 0, p).unwrap_or(0),
            };
            let node = format!("{stage_id}:{difficulty}");
            if rows_of.contains_key(&node) {
                row.problem(p, "difficulty", format!("{node} is defined twice"));
                continue;
            }
            rows_of.insert(node.clone(), row.line());
            unlocks.push((node, level.unlock_after.clone(), row.line()));
            let index = match out.iter().position(|s| s.uid == stage_id) {
                Some(i) => i,
                None => {
                    let name_key = self.key(&row, "name_key");
                    out.push(Stage { uid: stage_id.clone(), name_key, chapter, ..Default::default() });
                    out.len() - 1
                }
            };
            let stage = &mut out[index];
            if stage.chapter != chapter {
                row.problem(&mut self.problems, "chapter", format!("differs from the first row of {stage_id}"));
            }
            match difficulty.as_str() {
                "normal" => stage.normal = Some(level),
                "hard" => stage.hard = Some(level),
                _ => stage.hell = Some(level),
            }
        }
        for stage in &out {
            for (name, level) in [("normal", &stage.normal), ("hard", &stage.hard), ("hell", &stage.hell)] {
                if level.is_none() {
                    self.problems.sheet(&sheet.name, format!("stage {} has no {name} row", stage.uid));
                }
            }
        }
        check_reachability(&mut self.problems, sheet, &rows_of, &unlocks);
        out
    }
}
