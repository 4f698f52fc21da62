//! The sheets of the economy around monsters: rarities (level caps, feeding, evolving,
//! selling), items, summon rates per rarity and the monthly check-in calendar, and the
//! check of a reward cell (a currency, stamina, an item or a monster).

use std::collections::{HashMap, HashSet};

use summoner_proto::gamedata::{CheckInDay, Item, Rarity, RarityWeight, Reward, SummonPool};

use super::{Builder, MAX_RARITY, PLAIN_REWARDS, new_id};
use crate::problem::Problems;
use crate::sheet::{Cells, Sheet};

/// What a reward may name besides gold, gems and stamina.
pub(super) struct Rewardable<'a> {
    pub items: &'a HashSet<&'a str>,
    pub monsters: &'a HashMap<&'a str, u32>,
}

impl Rewardable<'_> {
    /// Checks `what` and `amount` of a reward; a monster is given one at a time.
    pub(super) fn reward(&self, row: &Cells, what: &str, amount: &str, p: &mut Problems) -> Reward {
        let name = row.str(what).to_owned();
        let count = row.u32(amount, 1, p).unwrap_or(0);
        if self.monsters.contains_key(name.as_str()) {
            if count != 1 {
                row.problem(p, amount, "a monster reward gives exactly 1");
            }
        } else if !PLAIN_REWARDS.contains(&name.as_str()) && !self.items.contains(name.as_str()) {
            row.problem(p, what, format!("{name:?} is not gold, gems, stamina, an item or a monster"));
        }
        Reward { what: name, amount: count }
    }
}

impl Builder {
    pub(super) fn items(&mut self, sheet: &Sheet) -> Vec<Item> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for row in sheet.each() {
            let Some(uid) = new_id(&mut seen, &row, "uid", &mut self.problems) else {
                continue;
            };
            if !uid.starts_with("item.") {
                row.problem(&mut self.problems, "uid", "item ids start with \"item.\"");
            }
            let name_key = self.key(&row, "name_key");
            out.push(Item { uid, name_key });
        }
        out
    }

    pub(super) fn rarities(&mut self, sheet: &Sheet, items: &HashSet<&str>) -> Vec<Rarity> {
        let mut out: Vec<Rarity> = Vec::new();
        let count = sheet.rows.len();
        for (i, row) in sheet.each().enumerate() {
            let p = &mut self.problems;
            let expected = i as i64 + 1;
            let rarity = row.number("rarity", 1, i64::from(u32::MAX), p).unwrap_or(expected);
            if rarity != expected {
                row.problem(p, "rarity", format!("rarities must count up from 1; expected {expected}"));
            }
            let last = i + 1 == count;
            let evolve_item = row.str("evolve_item").to_owned();
            let evolve_item_count = row.u32("evolve_item_count", 0, p).unwrap_or(0);
            let evolve_gold = row.u32("evolve_gold", 0, p).unwrap_or(0);
            if last {
                if !evolve_item.is_empty() || evolve_item_count != 0 || evolve_gold != 0 {
                    row.problem(p, "evolve_gold", "the top rarity cannot evolve: leave its evolve columns 0 and empty");
                }
            } else if !items.contains(evolve_item.as_str()) {
                row.problem(p, "evolve_item", format!("unknown item {evolve_item:?}"));
            }
            let level_cap = row.u32("level_cap", 1, p).unwrap_or(1);
            if let Some(before) = out.last()
                && level_cap <= before.level_cap
            {
                row.problem(p, "level_cap", "must be above the cap of the rarity below");
            }
            out.push(Rarity {
                rarity: rarity as u32,
                level_cap,
                feed_exp: row.u32("feed_exp", 1, p).unwrap_or(0),
                enhance_gold: row.u32("enhance_gold", 0, p).unwrap_or(0),
                evolve_gold,
                evolve_item,
                evolve_item_count,
                sell_gold: row.u32("sell_gold", 0, p).unwrap_or(0),
                evolve_stat_pct: row.u32("evolve_stat_pct", 0, p).unwrap_or(0),
            });
        }
        if (out.len() as i64) < MAX_RARITY {
            self.problems.sheet(&sheet.name, format!("needs a row for every rarity from 1 to at least {MAX_RARITY}"));
        }
        out
    }

    /// Reads each pool's rarity weights into its pool, and checks that every rarity drawn
    /// has monsters and every monster's rarity can be drawn.
    pub(super) fn rates(&mut self, sheet: &Sheet, pools: &mut [SummonPool], monsters: &HashMap<&str, u32>) {
        for row in sheet.each() {
            let p = &mut self.problems;
            let pool_id = row.str("pool");
            let Some(pool) = pools.iter_mut().find(|pool| pool.uid == pool_id) else {
                row.problem(p, "pool", format!("unknown pool {pool_id:?}"));
                continue;
            };
            let Some(rarity) = row.number("rarity", 1, MAX_RARITY, p) else {
                continue;
            };
            let rarity = rarity as u32;
            let weight = row.number("weight", 1, i64::from(u32::MAX), p).unwrap_or(0) as u32;
            if pool.rarity_weights.iter().any(|w| w.rarity == rarity) {
                row.problem(p, "rarity", format!("rarity {rarity} of {pool_id} is listed twice"));
                continue;
            }
            if !pool.entries.iter().any(|e| monsters.get(e.uid.as_str()) == Some(&rarity)) {
                row.problem(p, "rarity", format!("{pool_id} has no monster of rarity {rarity}"));
            }
            pool.rarity_weights.push(RarityWeight { rarity, weight });
        }
        for pool in pools.iter_mut() {
            pool.rarity_weights.sort_by_key(|w| w.rarity);
            for entry in &pool.entries {
                let rarity = monsters.get(entry.uid.as_str()).copied().unwrap_or(0);
                if !pool.rarity_weights.iter().any(|w| w.rarity == rarity) {
                    self.problems.sheet(
                        &sheet.name,
                        format!("{} has {} of rarity {rarity}, but no rate for rarity {rarity}", pool.uid, entry.uid),
                    );
                }
            }
            if pool.pity_after > 0 && !pool.rarity_weights.iter().any(|w| w.rarity >= pool.pity_rarity) {
                self.problems.sheet(
                    &sheet.name,
                    format!("{}'s pity gives rarity {}, which it has no rate for", pool.uid, pool.pity_rarity),
                );
            }
        }
    }

    pub(super) fn check_in(&mut self, sheet: &Sheet, known: &Rewardable) -> Vec<CheckInDay> {
        let mut out = Vec::new();
        for (i, row) in sheet.each().enumerate() {
            let p = &mut self.problems;
            let expected = i as i64 + 1;
            let day = row.number("day", 1, 31, p).unwrap_or(expected);
            if day != expected {
                row.problem(p, "day", format!("days must count up from 1; expected {expected}"));
            }
            let reward = known.reward(&row, "reward", "amount", p);
            out.push(CheckInDay { day: day as u32, reward: Some(reward) });
        }
        if out.len() < 28 {
            self.problems.sheet(&sheet.name, "needs a reward for each of at least 28 days (every month has them)");
        }
        out
    }
}
