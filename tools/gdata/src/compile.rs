//! Sheets → `GameData` and one `Strings` per language, with every check a designer needs:
//! unknown ids, duplicate ids, non-positive weights, unreachable stages, quests no event
//! can satisfy, missing translations. All problems are collected, not just the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

pub use summoner_proto::files::{Compiled, content_hash_of_data, content_hash_of_strings};
use summoner_proto::gamedata::{Currency, GameData};
pub use summoner_proto::vocabulary::{DIFFICULTIES, PLAIN_REWARDS, QUEST_CONDITIONS, STARTER_BOX_MOST};

use crate::links::World;
use crate::problem::{Problem, Problems};
use crate::sheet::{Cells, Sheet};

mod content;
mod economy;
mod progression;

/// The highest rarity a monster template may have (evolving can go beyond, up to the last
/// row of rarities.csv).
const MAX_RARITY: i64 = 5;

/// A `name_key` reference to check against the strings sheet.
struct KeyRef {
    sheet: String,
    row: usize,
    key: String,
}

#[derive(Default)]
struct Builder {
    problems: Problems,
    keys: Vec<KeyRef>,
}

/// Compiles the sheets in `dir`, or returns every problem found.
pub fn compile(dir: &Path) -> Result<Compiled, Vec<Problem>> {
    let mut b = Builder::default();
    let sheet = |b: &mut Builder, name: &str, columns: &[&str]| Sheet::read(dir, name, columns, &mut b.problems);
    let meta = sheet(&mut b, "meta.csv", &["key", "value"]);
    let rules = sheet(&mut b, "rules.csv", &["key", "value"]);
    let elements = sheet(&mut b, "elements.csv", &["uid", "name_key", "strong_against"]);
    let monsters = sheet(
        &mut b,
        "monsters.csv",
        &[
            "uid",
            "name_key",
            "element",
            "rarity",
            "base_hp",
            "base_attack",
            "base_defense",
            "growth_hp",
            "growth_attack",
            "growth_defense",
        ],
    );
    let pools = sheet(
        &mut b,
        "summon_pools.csv",
        &["pool", "name_key", "cost_currency", "cost", "monster", "weight", "ten_cost", "pity_after", "pity_rarity"],
    );
    let rates = sheet(&mut b, "summon_rates.csv", &["pool", "rarity", "weight"]);
    let rarities = sheet(
        &mut b,
        "rarities.csv",
        &[
            "rarity",
            "level_cap",
            "feed_exp",
            "enhance_gold",
            "evolve_gold",
            "evolve_item",
            "evolve_item_count",
            "sell_gold",
            "evolve_stat_pct",
        ],
    );
    let items = sheet(&mut b, "items.csv", &["uid", "name_key"]);
    let check_in = sheet(&mut b, "check_in.csv", &["day", "reward", "amount"]);
    let starter_box = sheet(&mut b, "starter_box.csv", &["monster", "count"]);
    let skills = sheet(&mut b, "skills.csv", &["monster", "cooldown", "multiplier_pct", "target"]);
    let stages = sheet(
        &mut b,
        "stages.csv",
        &[
            "stage",
            "name_key",
            "chapter",
            "difficulty",
            "stamina_cost",
            "enemies",
            "drops",
            "unlock_after",
            "display_mons",
            "enemy_level",
            "min_clear_secs",
            "gold",
            "user_exp",
            "monster_exp",
            "first_clear_gems",
        ],
    );
    let quests = sheet(
        &mut b,
        "quests.csv",
        &[
            "uid",
            "name_key",
            "kind",
            "condition",
            "param",
            "target",
            "reward_currency",
            "reward_amount",
            "reward_by_mail",
        ],
    );
    let shop = sheet(
        &mut b,
        "shop.csv",
        &["uid", "name_key", "price_currency", "price", "reward", "reward_amount", "daily_limit", "account_limit"],
    );
    let levels = sheet(&mut b, "levels.csv", &["level", "exp_to_next", "stamina_max"]);
    let strings = sheet(&mut b, "strings.csv", &["key"]);

    let version = meta.as_ref().map_or(0, |s| b.version(s));
    let rules = rules.as_ref().map(|s| b.rules(s));
    let elements = elements.as_ref().map_or_else(Vec::new, |s| b.elements(s));
    let element_ids: HashSet<&str> = elements.iter().map(|e| e.uid.as_str()).collect();
    let monsters = monsters.as_ref().map_or_else(Vec::new, |s| b.monsters(s, &element_ids));
    let monster_rarity: HashMap<&str, u32> = monsters.iter().map(|m| (m.uid.as_str(), m.rarity)).collect();
    let items = items.as_ref().map_or_else(Vec::new, |s| b.items(s));
    let item_ids: HashSet<&str> = items.iter().map(|i| i.uid.as_str()).collect();
    let rarities = rarities.as_ref().map_or_else(Vec::new, |s| b.rarities(s, &item_ids));
    let mut pools = pools.as_ref().map_or_else(Vec::new, |s| b.pools(s, &monster_rarity));
    if let Some(rates) = &rates {
        b.rates(rates, &mut pools, &monster_rarity);
    }
    let stages = stages.as_ref().map_or_else(Vec::new, |s| b.stages(s, &monster_rarity));
    let levels = levels.as_ref().map_or_else(Vec::new, |s| b.levels(s));
    let known = economy::Rewardable { items: &item_ids, monsters: &monster_rarity };
    let check_in_days = check_in.as_ref().map_or_else(Vec::new, |s| b.check_in(s, &known));
    let starter_box = starter_box.as_ref().map_or_else(Vec::new, |s| b.starter_box(s, &monster_rarity));
    let skills = skills.as_ref().map_or_else(Vec::new, |s| b.skills(s, &monsters));
    let summonable = pools.iter().flat_map(|p| &p.entries).filter_map(|e| monster_rarity.get(e.uid.as_str()));
    let max_summon_rarity = summonable.copied().max().unwrap_or(0);
    let world = World { stages: &stages, max_level: levels.len() as u32, max_summon_rarity };
    let quests = quests.as_ref().map_or_else(Vec::new, |s| b.quests(s, &world));
    let shop = shop.as_ref().map_or_else(Vec::new, |s| b.shop(s, &known));
    let strings = strings.as_ref().map_or_else(Vec::new, |s| b.strings(s, version));

    let mut problems = b.problems;
    for language in &strings {
        for key in &b.keys {
            if !language.entries.contains_key(&key.key) {
                problems.at(
                    &key.sheet,
                    key.row,
                    "name_key",
                    format!("no {} string for {:?}", language.language, key.key),
                );
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.0);
    }
    let mut data = GameData {
        version,
        content_hash: String::new(),
        rules,
        elements,
        monsters,
        summon_pools: pools,
        stages,
        quests,
        shop_items: shop,
        levels,
        rarities,
        items,
        check_in_days,
        starter_box,
        skills,
    };
    data.content_hash = content_hash_of_data(&data);
    let strings = strings
        .into_iter()
        .map(|mut s| {
            s.content_hash = content_hash_of_strings(&s);
            s
        })
        .collect();
    Ok(Compiled { data, strings })
}

fn currency(value: &str) -> Option<Currency> {
    match value {
        "gold" => Some(Currency::Gold),
        "gems" => Some(Currency::Gems),
        "friend_points" => Some(Currency::FriendPoints),
        _ => None,
    }
}

/// The id in `column`, if present and not seen before in this sheet (a repeat is
/// reported with the row it first appeared on).
fn new_id(seen: &mut HashMap<String, usize>, row: &Cells, column: &str, problems: &mut Problems) -> Option<String> {
    let id = row.text(column, problems)?;
    if let Some(first) = seen.get(&id) {
        row.problem(problems, column, format!("duplicate id {id:?} (first on row {first})"));
        return None;
    }
    seen.insert(id.clone(), row.line());
    Some(id)
}

impl Builder {
    fn key(&mut self, row: &Cells, problems_column: &str) -> String {
        let key = row.str(problems_column).to_owned();
        if key.is_empty() {
            row.problem(&mut self.problems, problems_column, "must not be empty");
        } else {
            self.keys.push(KeyRef { sheet: row.sheet().to_owned(), row: row.line(), key: key.clone() });
        }
        key
    }

    fn key_values<'s>(&mut self, sheet: &'s Sheet) -> BTreeMap<&'s str, Cells<'s>> {
        let mut map = BTreeMap::new();
        for row in sheet.each() {
            let key = row.str("key");
            if map.contains_key(key) {
                row.problem(&mut self.problems, "key", format!("duplicate key {key:?}"));
            } else {
                map.insert(key, row);
            }
        }
        map
    }
}
