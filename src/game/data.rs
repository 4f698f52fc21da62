//! Game data as handlers read it: the rules and tables of one compiled version, checked
//! and indexed once when the version is loaded.
//!
//! Handlers read game data only through `&GameData`; [`crate::service::catalog::Catalog`]
//! hands each request the version that was current when it started.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::path::Path;

use summoner_proto::gamedata::{self, Quest, ShopItem};

use crate::game::calendar::DailyReset;
use crate::game::gacha::Pool;
use crate::game::stats;
use summoner_proto::files::Compiled;
use summoner_proto::files::{self, FilesError};

/// The build shipped inside the binary (`gamedata/compiled/`), used when no compiled
/// folder is configured or present.
const EMBEDDED_DATA: &[u8] = include_bytes!("../../gamedata/compiled/gamedata.pb");
const EMBEDDED_STRINGS: [&[u8]; 2] =
    [include_bytes!("../../gamedata/compiled/string.en.pb"), include_bytes!("../../gamedata/compiled/string.ko.pb")];

/// One loaded version of the game data.
#[derive(Debug, Clone, PartialEq)]
pub struct GameData {
    pub version: u32,
    pub content_hash: String,
    pub new_user: NewUserRules,
    pub stamina: StaminaRules,
    pub explore: ExploreRules,
    pub nickname: NicknameRules,
    pub box_rules: BoxRules,
    pub battle: BattleRules,
    pub social: SocialRules,
    /// How long system mail (rewards) is kept before it expires.
    pub mail_expire_ms: i64,
    /// When the game's day starts over.
    pub reset: DailyReset,
    /// Per level: experience to the next level (0 at the top) and stamina maximum.
    levels: Vec<gamedata::Level>,
    monsters: HashMap<String, usize>,
    /// Monster → its active skill in battle.
    skills: HashMap<String, crate::game::battle_sim::Skill>,
    /// Element → the elements it is strong against.
    strong: HashMap<String, Vec<String>>,
    pools: Vec<Pool>,
    stages: HashMap<String, StageInfo>,
    quests: HashMap<String, usize>,
    shop: HashMap<String, usize>,
    items: HashSet<String>,
    /// The whole compiled content (monsters, pools, stages, quests, shop) and its strings.
    pub content: Compiled,
}

/// What a new account starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUserRules {
    pub gold: u64,
    pub gems: u64,
}

/// Stamina regeneration.
#[derive(Debug, Clone, PartialEq)]
pub struct StaminaRules {
    /// One point regenerates per this many milliseconds.
    pub regen_ms: i64,
}

/// The Explore operation.
#[derive(Debug, Clone, PartialEq)]
pub struct ExploreRules {
    pub stamina_cost: u32,
    pub gold: RangeInclusive<u32>,
    pub exp: RangeInclusive<u32>,
}

/// Monster box and teams.
#[derive(Debug, Clone, PartialEq)]
pub struct BoxRules {
    /// Most monsters a user may own.
    pub limit: usize,
    pub team_slots: u32,
    pub team_size: usize,
    /// A monster's experience from level L to L + 1 is L times this.
    pub exp_per_level: u64,
}

/// Friends and gifts.
#[derive(Debug, Clone, PartialEq)]
pub struct SocialRules {
    /// Most friends plus friend requests sent.
    pub friend_limit: usize,
    /// Most friend requests received waiting.
    pub request_limit: usize,
    /// Friendship points a gift gives.
    pub gift_points: u32,
    /// The friend dungeon: shortest plausible win, the visitor's gold and its team's
    /// experience for a win, the host's friendship points.
    pub dungeon_min_ms: i64,
    pub dungeon_gold: u64,
    pub dungeon_monster_exp: u64,
    pub dungeon_host_points: u32,
    /// Clans: most members, the gold founding one costs, the day's check-ins that bring the
    /// reward, and its gems.
    pub clan_member_limit: u32,
    pub clan_create_gold: u64,
    pub clan_checkin_goal: u32,
    pub clan_checkin_gems: u32,
    /// Friendship points a user receives from gifts and visits per game day at most (None:
    /// no cap, in data from before the rule).
    pub friend_points_daily_cap: Option<u64>,
    /// The friend dungeon pays in full against a team of at least this percent of the
    /// visitor's power, in proportion below (None: always in full).
    pub dungeon_full_pay_pct: Option<u64>,
    /// How long a player who left a clan waits before joining or founding another.
    pub clan_leave_cooldown_ms: i64,
}

/// Battles.
#[derive(Debug, Clone, PartialEq)]
pub struct BattleRules {
    pub expire_ms: i64,
    /// The least team power, in percent of the enemy power, for which a win is plausible.
    pub min_power_pct: u64,
}

/// One difficulty of one stage, with what a battle needs of it.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    /// `stage.01.01:normal`
    pub key: String,
    pub level: gamedata::StageLevel,
    /// The sum of the enemies' powers at the stage's enemy level.
    pub enemy_power: u64,
    pub enemy_elements: Vec<String>,
    /// Stage difficulties a first win here unlocks.
    pub unlocks: Vec<String>,
}

/// What a nickname may be.
#[derive(Debug, Clone, PartialEq)]
pub struct NicknameRules {
    pub min_chars: usize,
    pub max_chars: usize,
}

/// A compiled version that the server cannot use.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Files(#[from] FilesError),
    #[error("invalid game data version {version}: {message}")]
    Invalid { version: u32, message: String },
}

impl GameData {
    /// Checks a compiled set for what the server relies on and indexes it.
    pub fn from_compiled(content: Compiled) -> Result<Self, DataError> {
        let version = content.data.version;
        let invalid = |message: &str| Err(DataError::Invalid { version, message: message.to_owned() });
        let Some(rules) = content.data.rules.clone() else {
            return invalid("no rules");
        };
        let levels = content.data.levels.clone();
        if levels.is_empty() || levels.iter().enumerate().any(|(i, l)| l.level as usize != i + 1 || l.stamina_max == 0)
        {
            return invalid("levels must count up from 1 with a stamina maximum");
        }
        if rules.stamina_regen_secs == 0 || rules.explore_stamina_cost == 0 {
            return invalid("stamina regeneration and explore cost must be positive");
        }
        if rules.explore_gold_min > rules.explore_gold_max
            || rules.explore_exp_min > rules.explore_exp_max
            || rules.nickname_min_chars > rules.nickname_max_chars
        {
            return invalid("a minimum is above its maximum in rules");
        }
        if content.strings.is_empty() {
            return invalid("no strings");
        }
        let reset = match DailyReset::new(rules.daily_reset_hour, &rules.time_zone) {
            Ok(reset) => reset,
            Err(message) => return invalid(&message),
        };
        let d = &content.data;
        if d.rarities.len() < 5 || d.rarities.iter().enumerate().any(|(i, r)| r.rarity as usize != i + 1) {
            return invalid("rarities must count up from 1 to at least 5");
        }
        if rules.team_slots == 0 || rules.team_size == 0 || rules.box_limit == 0 || rules.monster_exp_per_level == 0 {
            return invalid("box limit, team slots, team size and monster experience must be positive");
        }
        if rules.friend_limit == 0 || rules.friend_request_limit == 0 {
            return invalid("the friend and friend-request limits must be positive");
        }
        let monsters: HashMap<String, usize> = d.monsters.iter().enumerate().map(|(i, m)| (m.uid.clone(), i)).collect();
        let rarity_of = |uid: &str| monsters.get(uid).map(|&i| d.monsters[i].rarity);
        let mut pools = Vec::new();
        for pool in &d.summon_pools {
            match Pool::new(pool, rarity_of) {
                Some(p) => pools.push(p),
                None => return invalid(&format!("summon pool {} has no usable rates", pool.uid)),
            }
        }
        let strong = d.elements.iter().map(|e| (e.uid.clone(), e.strong_against.clone())).collect();
        let mut skills = HashMap::new();
        for s in &d.skills {
            let Some(target) = crate::game::battle_sim::TargetRule::parse(&s.target) else {
                return invalid(&format!("the skill of {} has an unknown target {:?}", s.monster, s.target));
            };
            let skill = crate::game::battle_sim::Skill {
                cooldown: s.cooldown.max(1),
                multiplier_pct: s.multiplier_pct,
                target,
            };
            skills.insert(s.monster.clone(), skill);
        }
        let index = |uids: Vec<&String>| uids.into_iter().enumerate().map(|(i, u)| (u.clone(), i)).collect();
        let quests = index(d.quests.iter().map(|q| &q.uid).collect());
        let shop = index(d.shop_items.iter().map(|s| &s.uid).collect());
        let items = d.items.iter().map(|i| i.uid.clone()).collect();
        let mut data = Self {
            version,
            content_hash: content.data.content_hash.clone(),
            new_user: NewUserRules { gold: rules.new_user_gold, gems: rules.new_user_gems },
            stamina: StaminaRules { regen_ms: i64::from(rules.stamina_regen_secs) * 1000 },
            explore: ExploreRules {
                stamina_cost: rules.explore_stamina_cost,
                gold: rules.explore_gold_min..=rules.explore_gold_max,
                exp: rules.explore_exp_min..=rules.explore_exp_max,
            },
            nickname: NicknameRules {
                min_chars: rules.nickname_min_chars as usize,
                max_chars: rules.nickname_max_chars as usize,
            },
            box_rules: BoxRules {
                limit: rules.box_limit as usize,
                team_slots: rules.team_slots,
                team_size: rules.team_size as usize,
                exp_per_level: u64::from(rules.monster_exp_per_level),
            },
            battle: BattleRules {
                expire_ms: i64::from(rules.battle_expire_secs) * 1000,
                min_power_pct: u64::from(rules.battle_min_power_pct),
            },
            social: SocialRules {
                friend_limit: rules.friend_limit as usize,
                request_limit: rules.friend_request_limit as usize,
                gift_points: rules.gift_points,
                dungeon_min_ms: i64::from(rules.friend_dungeon_min_secs) * 1000,
                dungeon_gold: u64::from(rules.friend_dungeon_gold),
                dungeon_monster_exp: u64::from(rules.friend_dungeon_monster_exp),
                dungeon_host_points: rules.friend_dungeon_host_points,
                clan_member_limit: rules.clan_member_limit,
                clan_create_gold: u64::from(rules.clan_create_gold),
                clan_checkin_goal: rules.clan_checkin_goal,
                clan_checkin_gems: rules.clan_checkin_gems,
                friend_points_daily_cap: (rules.friend_points_daily_cap > 0)
                    .then_some(u64::from(rules.friend_points_daily_cap)),
                dungeon_full_pay_pct: (rules.friend_dungeon_full_pay_pct > 0)
                    .then_some(u64::from(rules.friend_dungeon_full_pay_pct)),
                clan_leave_cooldown_ms: i64::from(rules.clan_leave_cooldown_secs) * 1000,
            },
            mail_expire_ms: i64::from(rules.mail_expire_days) * 86_400_000,
            reset,
            levels,
            monsters,
            skills,
            strong,
            pools,
            stages: HashMap::new(),
            quests,
            shop,
            items,
            content,
        };
        data.stages = data.index_stages();
        Ok(data)
    }

    /// Every stage difficulty by `stage:difficulty`, with its enemy power and what it unlocks.
    fn index_stages(&self) -> HashMap<String, StageInfo> {
        let mut out: HashMap<String, StageInfo> = HashMap::new();
        for stage in &self.content.data.stages {
            for (difficulty, level) in [("normal", &stage.normal), ("hard", &stage.hard), ("hell", &stage.hell)] {
                let Some(level) = level else { continue };
                let enemies: Vec<_> = level.enemies.iter().filter_map(|uid| self.monster(uid)).collect();
                let enemy_power = enemies
                    .iter()
                    .filter_map(|m| stats::stats_of(self, &m.uid, level.enemy_level, 0))
                    .map(|s| s.power())
                    .sum();
                let mut enemy_elements: Vec<String> = enemies.iter().map(|m| m.element.clone()).collect();
                enemy_elements.dedup();
                let key = format!("{}:{difficulty}", stage.uid);
                let info = StageInfo {
                    key: key.clone(),
                    level: level.clone(),
                    enemy_power,
                    enemy_elements,
                    unlocks: Vec::new(),
                };
                out.insert(key, info);
            }
        }
        let edges: Vec<(String, String)> = out
            .values()
            .filter(|s| !s.level.unlock_after.is_empty())
            .map(|s| (s.level.unlock_after.clone(), s.key.clone()))
            .collect();
        for (after, node) in edges {
            if let Some(info) = out.get_mut(&after) {
                info.unlocks.push(node);
                info.unlocks.sort();
            }
        }
        out
    }

    /// A monster template.
    pub fn monster(&self, uid: &str) -> Option<&gamedata::Monster> {
        self.monsters.get(uid).map(|&i| &self.content.data.monsters[i])
    }

    /// The active skill of monster `uid` (None: the data gives it none).
    pub fn skill(&self, uid: &str) -> Option<crate::game::battle_sim::Skill> {
        self.skills.get(uid).copied()
    }

    /// Whether element `a` deals extra damage to element `b`.
    pub fn strong_against(&self, a: &str, b: &str) -> bool {
        self.strong.get(a).is_some_and(|targets| targets.iter().any(|t| t == b))
    }

    /// What `rarity` means (1 to [`GameData::max_rarity`]).
    pub fn rarity(&self, rarity: u32) -> Option<&gamedata::Rarity> {
        self.content.data.rarities.get((rarity as usize).checked_sub(1)?)
    }

    /// The highest rarity a monster can evolve to.
    pub fn max_rarity(&self) -> u32 {
        self.content.data.rarities.len() as u32
    }

    /// A summon pool.
    pub fn pool(&self, uid: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.uid == uid)
    }

    /// Every summon pool, in the sheet's order.
    pub fn pools(&self) -> &[Pool] {
        &self.pools
    }

    /// A stage difficulty by `stage:difficulty`.
    pub fn stage(&self, key: &str) -> Option<&StageInfo> {
        self.stages.get(key)
    }

    /// A quest.
    pub fn quest(&self, uid: &str) -> Option<&Quest> {
        self.quests.get(uid).map(|&i| &self.content.data.quests[i])
    }

    /// Every quest, in the sheet's order.
    pub fn quests(&self) -> &[Quest] {
        &self.content.data.quests
    }

    /// A shop item.
    pub fn shop_item(&self, uid: &str) -> Option<&ShopItem> {
        self.shop.get(uid).map(|&i| &self.content.data.shop_items[i])
    }

    /// Whether `uid` is an item (a material users hold counts of).
    pub fn is_item(&self, uid: &str) -> bool {
        self.items.contains(uid)
    }

    /// Whether `what` can be given as a reward: gold, gems, stamina, an item or a monster.
    pub fn is_reward(&self, what: &str) -> bool {
        summoner_proto::vocabulary::PLAIN_REWARDS.contains(&what) || self.is_item(what) || self.monster(what).is_some()
    }

    /// The check-in calendar: the reward of the Nth check-in of a month, from 1.
    pub fn check_in_days(&self) -> &[gamedata::CheckInDay] {
        &self.content.data.check_in_days
    }

    /// Reads and checks the compiled files in `dir`.
    pub fn load(dir: &Path) -> Result<Self, DataError> {
        Self::from_compiled(files::read(dir)?)
    }

    /// The build shipped inside the binary.
    pub fn embedded() -> Result<Self, DataError> {
        let path = Path::new("<embedded>");
        let data = files::decode_data(path, EMBEDDED_DATA)?;
        let strings =
            EMBEDDED_STRINGS.iter().map(|bytes| files::decode_strings(path, bytes)).collect::<Result<Vec<_>, _>>()?;
        Self::from_compiled(Compiled { data, strings })
    }

    fn level_row(&self, level: u32) -> &gamedata::Level {
        let index = (level.max(1) as usize - 1).min(self.levels.len() - 1);
        &self.levels[index]
    }

    /// Stamina maximum at `level`.
    pub fn stamina_max(&self, level: u32) -> u32 {
        self.level_row(level).stamina_max
    }

    /// Experience needed to leave `level`; None at the top level.
    pub fn exp_to_next(&self, level: u32) -> Option<u64> {
        if level == 0 || level as usize >= self.levels.len() {
            return None;
        }
        Some(self.level_row(level).exp_to_next).filter(|&e| e > 0)
    }

    /// The highest level.
    pub fn max_level(&self) -> u32 {
        self.levels.len() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_build_loads() {
        let data = GameData::embedded().expect("embedded game data loads");
        assert!(data.version >= 1);
        assert_eq!(data.max_level(), data.content.data.levels.len() as u32);
        assert_eq!(data.exp_to_next(data.max_level()), None);
        assert!(data.exp_to_next(1).is_some());
    }
}
