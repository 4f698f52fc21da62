//! Sheets → `GameData` and one `Strings` per language, with every check a designer needs:
//! unknown ids, duplicate ids, non-positive weights, unreachable stages, quests no event
//! can satisfy, missing translations. All problems are collected, not just the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use prost::Message;
use sha2::{Digest, Sha256};
use summoner_proto::gamedata::{
    Currency, Element, GameData, Level, Monster, Quest, QuestKind, Rules, ShopItem, Stage, StageLevel, Strings,
    SummonPool, Weighted,
};

use crate::gdata::links::{World, check_quest_param, check_reachability};
use crate::gdata::problem::{Problem, Problems};
use crate::gdata::sheet::{Cells, Sheet};

/// The events quests can count; a quest on anything else could never complete.
pub const QUEST_CONDITIONS: [&str; 5] = ["explore", "level_reached", "summon", "stage_clear", "login"];
/// Stage difficulties, in unlock order.
pub const DIFFICULTIES: [&str; 3] = ["normal", "hard", "hell"];
const MAX_RARITY: i64 = 5;

/// What a build produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub data: GameData,
    /// One per language, ordered by language code.
    pub strings: Vec<Strings>,
}

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
    let pools = sheet(&mut b, "summon_pools.csv", &["pool", "name_key", "cost_currency", "cost", "monster", "weight"]);
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
        ],
    );
    let quests = sheet(
        &mut b,
        "quests.csv",
        &["uid", "name_key", "kind", "condition", "param", "target", "reward_currency", "reward_amount"],
    );
    let shop = sheet(
        &mut b,
        "shop.csv",
        &["uid", "name_key", "price_currency", "price", "reward", "reward_amount", "daily_limit"],
    );
    let levels = sheet(&mut b, "levels.csv", &["level", "exp_to_next", "stamina_max"]);
    let strings = sheet(&mut b, "strings.csv", &["key"]);

    let version = meta.as_ref().map_or(0, |s| b.version(s));
    let rules = rules.as_ref().map(|s| b.rules(s));
    let elements = elements.as_ref().map_or_else(Vec::new, |s| b.elements(s));
    let element_ids: HashSet<&str> = elements.iter().map(|e| e.uid.as_str()).collect();
    let monsters = monsters.as_ref().map_or_else(Vec::new, |s| b.monsters(s, &element_ids));
    let monster_rarity: HashMap<&str, u32> = monsters.iter().map(|m| (m.uid.as_str(), m.rarity)).collect();
    let pools = pools.as_ref().map_or_else(Vec::new, |s| b.pools(s, &monster_rarity));
    let stages = stages.as_ref().map_or_else(Vec::new, |s| b.stages(s, &monster_rarity));
    let levels = levels.as_ref().map_or_else(Vec::new, |s| b.levels(s));
    let summonable = pools.iter().flat_map(|p| &p.entries).filter_map(|e| monster_rarity.get(e.uid.as_str()));
    let max_summon_rarity = summonable.copied().max().unwrap_or(0);
    let world = World { stages: &stages, max_level: levels.len() as u32, max_summon_rarity };
    let quests = quests.as_ref().map_or_else(Vec::new, |s| b.quests(s, &world));
    let shop = shop.as_ref().map_or_else(Vec::new, |s| b.shop(s));
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

/// The hash of the content: the message encoded with version 0 and no hash.
pub fn content_hash_of_data(data: &GameData) -> String {
    let bare = GameData { version: 0, content_hash: String::new(), ..data.clone() };
    hex(&Sha256::digest(bare.encode_to_vec()))
}

/// The hash of one language's strings, computed like [`content_hash_of_data`].
pub fn content_hash_of_strings(strings: &Strings) -> String {
    let bare = Strings { version: 0, content_hash: String::new(), ..strings.clone() };
    hex(&Sha256::digest(bare.encode_to_vec()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn currency(value: &str) -> Option<Currency> {
    match value {
        "gold" => Some(Currency::Gold),
        "gems" => Some(Currency::Gems),
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

    fn version(&mut self, sheet: &Sheet) -> u32 {
        let map = self.key_values(sheet);
        match map.get("version") {
            Some(row) => row.u32("value", 1, &mut self.problems).unwrap_or(0),
            None => {
                self.problems.sheet(&sheet.name, "no \"version\" row");
                0
            }
        }
    }

    fn rules(&mut self, sheet: &Sheet) -> Rules {
        let map = self.key_values(sheet);
        let known = [
            "new_user_gold",
            "new_user_gems",
            "stamina_regen_secs",
            "explore_stamina_cost",
            "explore_gold_min",
            "explore_gold_max",
            "explore_exp_min",
            "explore_exp_max",
            "nickname_min_chars",
            "nickname_max_chars",
        ];
        for (key, row) in &map {
            if !known.contains(key) {
                row.problem(&mut self.problems, "key", format!("unknown rule {key:?}"));
            }
        }
        let mut get = |key: &str, min: u32| match map.get(key) {
            Some(row) => row.u32("value", min, &mut self.problems).unwrap_or(0),
            None => {
                self.problems.sheet(&sheet.name, format!("no {key:?} row"));
                0
            }
        };
        let rules = Rules {
            new_user_gold: u64::from(get("new_user_gold", 0)),
            new_user_gems: u64::from(get("new_user_gems", 0)),
            stamina_regen_secs: get("stamina_regen_secs", 1),
            explore_stamina_cost: get("explore_stamina_cost", 1),
            explore_gold_min: get("explore_gold_min", 0),
            explore_gold_max: get("explore_gold_max", 0),
            explore_exp_min: get("explore_exp_min", 0),
            explore_exp_max: get("explore_exp_max", 0),
            nickname_min_chars: get("nickname_min_chars", 1),
            nickname_max_chars: get("nickname_max_chars", 1),
        };
        for (min, max, name) in [
            (rules.explore_gold_min, rules.explore_gold_max, "explore_gold_max"),
            (rules.explore_exp_min, rules.explore_exp_max, "explore_exp_max"),
            (rules.nickname_min_chars, rules.nickname_max_chars, "nickname_max_chars"),
        ] {
            if min > max
                && let Some(row) = map.get(name)
            {
                row.problem(&mut self.problems, "value", format!("{max} is below the minimum {min}"));
            }
        }
        rules
    }

    fn elements(&mut self, sheet: &Sheet) -> Vec<Element> {
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

    fn monsters(&mut self, sheet: &Sheet, elements: &HashSet<&str>) -> Vec<Monster> {
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

    fn pools(&mut self, sheet: &Sheet, monsters: &HashMap<&str, u32>) -> Vec<SummonPool> {
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
                    });
                    out.len() - 1
                }
            };
            let pool = &mut out[index];
            if pool.cost != cost || pool.cost_currency != cost_currency.unwrap_or(Currency::Unspecified) as i32 {
                row.problem(&mut self.problems, "cost", format!("differs from the first row of pool {pool_id:?}"));
            }
            if pool.entries.iter().any(|e| e.uid == monster) {
                row.problem(&mut self.problems, "monster", format!("{monster:?} is already in pool {pool_id:?}"));
            }
            pool.entries.push(Weighted { uid: monster, weight });
        }
        out
    }

    fn stages(&mut self, sheet: &Sheet, monsters: &HashMap<&str, u32>) -> Vec<Stage> {
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

    fn levels(&mut self, sheet: &Sheet) -> Vec<Level> {
        let mut out = Vec::new();
        let count = sheet.rows.len();
        for (i, row) in sheet.each().enumerate() {
            let p = &mut self.problems;
            let expected = i as i64 + 1;
            let level = row.number("level", 1, i64::from(u32::MAX), p).unwrap_or(expected);
            if level != expected {
                row.problem(p, "level", format!("levels must count up from 1; expected {expected}"));
            }
            let last = i + 1 == count;
            let exp =
                row.number("exp_to_next", if last { 0 } else { 1 }, if last { 0 } else { i64::MAX }, p).unwrap_or(0);
            let stamina_max = row.u32("stamina_max", 1, p).unwrap_or(1);
            out.push(Level { level: level as u32, exp_to_next: exp as u64, stamina_max });
        }
        if out.is_empty() {
            self.problems.sheet(&sheet.name, "needs at least one level");
        }
        out
    }

    fn quests(&mut self, sheet: &Sheet, world: &World) -> Vec<Quest> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for row in sheet.each() {
            let p = &mut self.problems;
            let Some(uid) = new_id(&mut seen, &row, "uid", p) else {
                continue;
            };
            let kind = match row.str("kind") {
                "daily" => QuestKind::Daily,
                "achievement" => QuestKind::Achievement,
                other => {
                    row.problem(p, "kind", format!("{other:?} is not daily or achievement"));
                    QuestKind::Unspecified
                }
            };
            let condition = row.str("condition").to_owned();
            let param = row.str("param").to_owned();
            if !QUEST_CONDITIONS.contains(&condition.as_str()) {
                row.problem(
                    p,
                    "condition",
                    format!("no event can satisfy {condition:?}; use one of {QUEST_CONDITIONS:?}"),
                );
            } else {
                check_quest_param(&row, &condition, &param, world, p);
            }
            let reward_currency = currency(row.str("reward_currency")).unwrap_or_else(|| {
                row.problem(p, "reward_currency", "must be gold or gems");
                Currency::Unspecified
            });
            let target = row.u32("target", 1, p).unwrap_or(1);
            let reward_amount = row.u32("reward_amount", 1, p).unwrap_or(0);
            let name_key = self.key(&row, "name_key");
            out.push(Quest {
                uid,
                name_key,
                kind: kind as i32,
                condition,
                param,
                target,
                reward_currency: reward_currency as i32,
                reward_amount,
            });
        }
        out
    }

    fn shop(&mut self, sheet: &Sheet) -> Vec<ShopItem> {
        let mut seen = HashMap::new();
        let mut out = Vec::new();
        for row in sheet.each() {
            let p = &mut self.problems;
            let Some(uid) = new_id(&mut seen, &row, "uid", p) else {
                continue;
            };
            let price_currency = currency(row.str("price_currency")).unwrap_or_else(|| {
                row.problem(p, "price_currency", "must be gold or gems");
                Currency::Unspecified
            });
            let reward = row.str("reward").to_owned();
            if !["gold", "gems", "stamina"].contains(&reward.as_str()) {
                row.problem(p, "reward", format!("{reward:?} is not gold, gems or stamina"));
            }
            let item = ShopItem {
                uid,
                name_key: String::new(),
                price_currency: price_currency as i32,
                price: row.u32("price", 1, p).unwrap_or(0),
                reward,
                reward_amount: row.u32("reward_amount", 1, p).unwrap_or(0),
                daily_limit: row.u32("daily_limit", 0, p).unwrap_or(0),
            };
            let name_key = self.key(&row, "name_key");
            out.push(ShopItem { name_key, ..item });
        }
        out
    }

    fn strings(&mut self, sheet: &Sheet, version: u32) -> Vec<Strings> {
        let languages: Vec<String> = sheet.headers().iter().filter(|h| *h != "key").cloned().collect();
        if languages.is_empty() {
            self.problems.sheet(&sheet.name, "needs one column per language after \"key\"");
        }
        let mut out: Vec<Strings> = languages
            .iter()
            .map(|language| Strings { version, language: language.clone(), ..Default::default() })
            .collect();
        out.sort_by(|a, b| a.language.cmp(&b.language));
        let mut seen = HashMap::new();
        for row in sheet.each() {
            let Some(key) = new_id(&mut seen, &row, "key", &mut self.problems) else {
                continue;
            };
            for strings in &mut out {
                let text = row.str(&strings.language);
                if text.is_empty() {
                    row.problem(
                        &mut self.problems,
                        &strings.language,
                        format!("no {} text for {key:?}", strings.language),
                    );
                } else {
                    strings.entries.insert(key.clone(), text.to_owned());
                }
            }
        }
        out
    }
}
