//! The sheets of a player's progression and the build's metadata: version, rules, levels,
//! quests (each must be completable by some event), shop items and the strings of every
//! language.

use std::collections::HashMap;

use summoner_proto::gamedata::{Currency, Level, Quest, QuestKind, Rules, ShopItem, Strings};

use super::economy::Rewardable;
use super::{Builder, QUEST_CONDITIONS, currency, new_id};
use crate::links::{World, check_quest_param};
use crate::sheet::Sheet;

impl Builder {
    pub(super) fn version(&mut self, sheet: &Sheet) -> u32 {
        let map = self.key_values(sheet);
        match map.get("version") {
            Some(row) => row.u32("value", 1, &mut self.problems).unwrap_or(0),
            None => {
                self.problems.sheet(&sheet.name, "no \"version\" row");
                0
            }
        }
    }

    pub(super) fn rules(&mut self, sheet: &Sheet) -> Rules {
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
            "box_limit",
            "team_slots",
            "team_size",
            "battle_expire_secs",
            "battle_min_power_pct",
            "monster_exp_per_level",
            "mail_expire_days",
            "daily_reset_hour",
            "time_zone",
            "friend_limit",
            "friend_request_limit",
            "gift_points",
            "friend_dungeon_min_secs",
            "friend_dungeon_gold",
            "friend_dungeon_monster_exp",
            "friend_dungeon_host_points",
            "clan_member_limit",
            "clan_create_gold",
            "clan_checkin_goal",
            "clan_checkin_gems",
            "friend_points_daily_cap",
            "friend_dungeon_full_pay_pct",
            "clan_leave_cooldown_secs",
        ];
        for (key, row) in &map {
            if !known.contains(key) {
                row.problem(&mut self.problems, "key", format!("unknown rule {key:?}"));
            }
        }
        let time_zone = match map.get("time_zone") {
            Some(row) => {
                let name = row.str("value").to_owned();
                if jiff::tz::TimeZone::get(&name).is_err() {
                    row.problem(&mut self.problems, "value", format!("{name:?} is not a known IANA time zone"));
                }
                name
            }
            None => {
                self.problems.sheet(&sheet.name, "no \"time_zone\" row");
                String::new()
            }
        };
        let mut get = |key: &str, min: u32, max: u32| match map.get(key) {
            Some(row) => row.number("value", i64::from(min), i64::from(max), &mut self.problems).unwrap_or(0) as u32,
            None => {
                self.problems.sheet(&sheet.name, format!("no {key:?} row"));
                0
            }
        };
        let any = u32::MAX;
        let rules = Rules {
            new_user_gold: u64::from(get("new_user_gold", 0, any)),
            new_user_gems: u64::from(get("new_user_gems", 0, any)),
            stamina_regen_secs: get("stamina_regen_secs", 1, any),
            explore_stamina_cost: get("explore_stamina_cost", 1, any),
            explore_gold_min: get("explore_gold_min", 0, any),
            explore_gold_max: get("explore_gold_max", 0, any),
            explore_exp_min: get("explore_exp_min", 0, any),
            explore_exp_max: get("explore_exp_max", 0, any),
            nickname_min_chars: get("nickname_min_chars", 1, any),
            nickname_max_chars: get("nickname_max_chars", 1, any),
            box_limit: get("box_limit", 1, any),
            team_slots: get("team_slots", 1, 10),
            team_size: get("team_size", 1, 10),
            battle_expire_secs: get("battle_expire_secs", 1, any),
            battle_min_power_pct: get("battle_min_power_pct", 0, 1000),
            monster_exp_per_level: get("monster_exp_per_level", 1, any),
            mail_expire_days: get("mail_expire_days", 1, 3650),
            daily_reset_hour: get("daily_reset_hour", 0, 23),
            friend_limit: get("friend_limit", 1, 1000),
            friend_request_limit: get("friend_request_limit", 1, 1000),
            gift_points: get("gift_points", 1, any),
            friend_dungeon_min_secs: get("friend_dungeon_min_secs", 1, 3600),
            friend_dungeon_gold: get("friend_dungeon_gold", 0, any),
            friend_dungeon_monster_exp: get("friend_dungeon_monster_exp", 0, any),
            friend_dungeon_host_points: get("friend_dungeon_host_points", 0, any),
            // A clan's news and reward reach every member in one transaction: a bounded size.
            clan_member_limit: get("clan_member_limit", 2, 60),
            clan_create_gold: get("clan_create_gold", 0, any),
            clan_checkin_goal: get("clan_checkin_goal", 1, 1000),
            clan_checkin_gems: get("clan_checkin_gems", 0, any),
            friend_points_daily_cap: get("friend_points_daily_cap", 1, any),
            friend_dungeon_full_pay_pct: get("friend_dungeon_full_pay_pct", 1, 1000),
            clan_leave_cooldown_secs: get("clan_leave_cooldown_secs", 0, 30 * 86_400),
            time_zone,
        };
        if rules.clan_checkin_goal > rules.clan_member_limit
            && let Some(row) = map.get("clan_checkin_goal")
        {
            let message = format!(
                "{} check-ins a day cannot come from at most {} members",
                rules.clan_checkin_goal, rules.clan_member_limit
            );
            row.problem(&mut self.problems, "value", message);
        }
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

    pub(super) fn levels(&mut self, sheet: &Sheet) -> Vec<Level> {
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

    pub(super) fn quests(&mut self, sheet: &Sheet, world: &World) -> Vec<Quest> {
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
                row.problem(p, "reward_currency", "must be gold, gems or friend_points");
                Currency::Unspecified
            });
            let target = row.u32("target", 1, p).unwrap_or(1);
            let reward_amount = row.u32("reward_amount", 1, p).unwrap_or(0);
            let reward_by_mail = match row.str("reward_by_mail") {
                "true" => true,
                "false" | "" => false,
                other => {
                    row.problem(p, "reward_by_mail", format!("{other:?} is not true or false"));
                    false
                }
            };
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
                reward_by_mail,
            });
        }
        out
    }

    pub(super) fn shop(&mut self, sheet: &Sheet, known: &Rewardable) -> Vec<ShopItem> {
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
            let reward = known.reward(&row, "reward", "reward_amount", p);
            let item = ShopItem {
                uid,
                name_key: String::new(),
                price_currency: price_currency as i32,
                price: row.u32("price", 1, p).unwrap_or(0),
                reward: reward.what,
                reward_amount: reward.amount,
                daily_limit: row.u32("daily_limit", 0, p).unwrap_or(0),
                account_limit: row.u32("account_limit", 0, p).unwrap_or(0),
            };
            let name_key = self.key(&row, "name_key");
            out.push(ShopItem { name_key, ..item });
        }
        out
    }

    pub(super) fn strings(&mut self, sheet: &Sheet, version: u32) -> Vec<Strings> {
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
